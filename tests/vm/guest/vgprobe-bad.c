// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe bad: requests the module must refuse (wrong types and lengths,
 * attributes an operation does not list, unknown commands), each answer's
 * errno and extack printed for the guest suite to judge.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>

#include <linux/vfiogroup.h>

#include "errname.h"
#include "vgprobe.h"

/*
 * bad sweep GROUP: every attribute type 1..VG_SWEEP_MAX that an operation
 * does not list, sent to each operation (group-get do, with GROUP's valid
 * group-id beside it; group-get dump; info-get), one answer a line:
 * "sweep op=OP attr=T errno=E extack=MSG".  Then, as a control, the do with
 * the group-id alone: "sweep op=group-get attr=- errno=0 ...".  The guest
 * requires EINVAL on every line but the control.
 */
#define VG_SWEEP_MAX	(VFIOGROUP_A_INFO_MAX + 3)

static int bad_sweep(struct conn *c, const char *group)
{
	static const struct { const char *name; uint8_t cmd; int flags; } ops[] = {
		{ "group-get", VFIOGROUP_CMD_GROUP_GET, 0 },
		{ "group-get-dump", VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP },
		{ "info-get", VFIOGROUP_CMD_INFO_GET, 0 },
	};
	static const char zero[8];
	uint32_t id = (uint32_t)strtoul(group, NULL, 10);
	struct result r;
	struct nl_msg *msg;
	size_t o;
	int t, rc;

	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (t = 0; t <= VG_SWEEP_MAX; t++) {
			bool is_do = o == 0;

			/* group-get's own two; t == 0 is the control */
			if ((is_do && (t == VFIOGROUP_A_GROUP_ID ||
				       t == VFIOGROUP_A_GROUP_DEV_NAME)) ||
			    (!is_do && t == 0))
				continue;
			msg = new_req(c, ops[o].cmd, ops[o].flags);
			if (is_do)
				nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, id);
			if (t)
				nla_put(msg, t, sizeof(zero), zero);
			rc = transact(c, msg, NULL, NULL, &r);
			nlmsg_free(msg);
			if (rc)
				return finish(rc);
			printf("sweep op=%s attr=%s%.0d errno=%s extack=%s\n",
			       ops[o].name, t ? "" : "-", t, r.error ? errname(r.error) : "0",
			       r.extack);
		}
	}
	return finish(EXIT_OK);
}

int cmd_bad(struct conn *c, int argc, char **argv)
{
	static const char *const cases =
		"unknown-cmd id-u64 id-short name-long name-nonul attr-beyond-max foreign-attr no-attr info-attr dump-attr";
	struct result r;
	struct nl_msg *msg;
	const char *cs;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "sweep"))
		return bad_sweep(c, argv[2]);
	if (argc != 2 && !(argc >= 5 && !strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: vgprobe bad CASE (%s), bad sweep GROUP\n", cases);
		return EXIT_USAGE;
	}
	cs = argv[1];
	if (!strcmp(cs, "unknown-cmd")) {
		/* Past every command the family has. */
		msg = new_req(c, VFIOGROUP_CMD_MAX + 100, 0);
	} else if (!strcmp(cs, "id-u64")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u64(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "id-short")) {
		uint16_t v = 0;

		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put(msg, VFIOGROUP_A_GROUP_ID, sizeof(v), &v);
	} else if (!strcmp(cs, "name-long")) {
		char name[201];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_string(msg, VFIOGROUP_A_GROUP_DEV_NAME, name);
	} else if (!strcmp(cs, "name-nonul")) {
		static const char name[] = "0000:00:02.0";

		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put(msg, VFIOGROUP_A_GROUP_DEV_NAME, (int)strlen(name), name);
	} else if (!strcmp(cs, "attr-beyond-max")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u32(msg, VFIOGROUP_A_MAX + 1, 0);
	} else if (!strcmp(cs, "foreign-attr")) {
		/* An attribute of another set (info's), which GROUP_GET does not take. */
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u64(msg, VFIOGROUP_A_INFO_SEQ, 0);
	} else if (!strcmp(cs, "no-attr")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
	} else if (!strcmp(cs, "info-attr")) {
		/* info-get takes no attribute at all. */
		msg = new_req(c, VFIOGROUP_CMD_INFO_GET, 0);
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "dump-attr")) {
		/* The group-get dump takes none either, though its do does. */
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP);
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "raw") && (argc == 5 || argc == 6)) {
		/* bad raw CMD TYPE LEN [dump]: one attribute of LEN bytes 'A' */
		static char fill[4096];
		long cmd = strtol(argv[2], NULL, 0);
		long type = strtol(argv[3], NULL, 0);
		long len = strtol(argv[4], NULL, 0);

		if (cmd < 0 || cmd > 255 || type < 0 || type > 0x3fff || len < 0 ||
		    len > (long)sizeof(fill)) {
			fprintf(stderr, "vgprobe: bad raw CMD(0-255) TYPE LEN(0-4096) [dump]\n");
			return EXIT_USAGE;
		}
		memset(fill, 'A', sizeof(fill));
		msg = new_req(c, (uint8_t)cmd, argc == 6 ? NLM_F_DUMP : 0);
		if (type)
			nla_put(msg, (int)type, (int)len, fill);
	} else {
		fprintf(stderr, "vgprobe: unknown case %s (%s)\n", cs, cases);
		return EXIT_USAGE;
	}
	rc = transact(c, msg, NULL, NULL, &r);
	nlmsg_free(msg);
	if (rc)
		return finish(rc);
	print_kernel_error(&r);
	if (r.nmsgs)
		printf("replies=%u\n", r.nmsgs);
	return finish(EXIT_OK);
}
