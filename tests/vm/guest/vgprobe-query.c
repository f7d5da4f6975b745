// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe's requests that ask for state: dump, get and info, their replies
 * checked beyond their shape (order, consistency) and printed as the lines
 * the scripts and ynl-canon.py compare.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>

#include <linux/vfiogroup.h>

#include "vgprobe.h"

static const char *notifier_name(uint32_t n)
{
	switch (n) {
	case VFIOGROUP_NOTIFIER_IOMMU_GROUP:	return "iommu-group";
	case VFIOGROUP_NOTIFIER_BUS:		return "bus";
	}
	return NULL;
}

/*
 * A reply's state is consistent: ready only when viable and some device is
 * registered with VFIO.  (Not so in a notification: there readiness is as
 * announced at the event's seq, which may lag its cause by one event, e.g.
 * a viability-changed to 0 still carries ready=1 before its ready-changed.)
 */
static void check_reply_ready(const struct groupinfo *g)
{
	unsigned int i, nvfio = 0;

	if (!g->has_ready || !g->ready)
		return;
	if (g->has_viable && !g->viable)
		note_malformed("group-ready-but-not-viable", VFIOGROUP_A_GROUP_READY);
	for (i = 0; i < g->ndev; i++)
		nvfio += g->dev[i].vfio == 1;
	if (!nvfio)
		note_malformed("group-ready-without-vfio-device", VFIOGROUP_A_GROUP_READY);
}

/* Room for MAX_DEVS devices, some KiB: static, reused for each message. */
static struct groupinfo gbuf;
static int in_use_seen = -1;	/* replies so far carried group-in-use */

struct dump_state {
	unsigned int groups;
	bool have_last;
	uint32_t last_id;
};

static void print_group(const struct groupinfo *g)
{
	unsigned int i;

	printf("group=%" PRIu32 " viable=%u seq=%" PRIu64 " ready=%u inuse=%s ndev=%u\n",
	       g->id, g->viable, g->seq, g->ready,
	       !g->has_in_use ? "-" : g->in_use ? "1" : "0", g->ndev);
	for (i = 0; i < g->ndev; i++) {
		const struct devinfo *d = &g->dev[i];

		printf("group=%" PRIu32 " viable=%u seq=%" PRIu64
		       " dev=%s bus=%s driver=%s devviable=%u vfio=%u vfiodev=%s",
		       g->id, g->viable, g->seq, d->name ? d->name : "?",
		       d->bus ? d->bus : "?", d->driver ? d->driver : "-", d->viable,
		       d->vfio, d->vfio_dev ? d->vfio_dev : "-");
		if (verbose && d->has_vendor && d->has_device)
			printf(" vendor=0x%04x device=0x%04x", d->vendor, d->device);
		printf("\n");
	}
}

static void group_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *st = arg;
	const struct genlmsghdr *gh = nlmsg_data(nlh);

	if (gh->cmd != VFIOGROUP_CMD_GROUP_GET)
		note_malformed("reply-cmd", gh->cmd);
	if (!parse_group(nlh, &gbuf))
		return;
	if (gbuf.event)
		note_malformed("reply-with-event", VFIOGROUP_A_GROUP_EVENT);
	/* Up to 5.18 the kernel does not show it: absent, or in every reply. */
	if (in_use_seen >= 0 && in_use_seen != gbuf.has_in_use)
		note_malformed("group-in-use-in-some-replies", VFIOGROUP_A_GROUP_IN_USE);
	in_use_seen = gbuf.has_in_use;
	check_reply_ready(&gbuf);
	if (st->have_last && gbuf.id <= st->last_id)
		note_malformed("dump-not-ordered-by-id", VFIOGROUP_A_GROUP_ID);
	st->have_last = true;
	st->last_id = gbuf.id;
	st->groups++;
	print_group(&gbuf);
}

/*
 * Sends MSG (and frees it) with CB for each reply: EXIT_OK when the kernel
 * answered without an error, else the exit status (an error answer printed).
 */
static int ask(struct conn *c, struct nl_msg *msg, msg_cb cb, void *arg)
{
	struct result r;
	int rc = transact(c, msg, cb, arg, &r);

	nlmsg_free(msg);
	if (rc)
		return rc;
	if (r.error) {
		print_kernel_error(&r);
		return EXIT_KERNEL;
	}
	return EXIT_OK;
}

int cmd_dump(struct conn *c)
{
	struct dump_state st = { 0 };

	return finish(ask(c, new_req(c, VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP), group_cb, &st));
}

int cmd_get(struct conn *c, int argc, char **argv)
{
	struct dump_state st = { 0 };
	struct nl_msg *msg;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: vgprobe get --id N | --dev NAME\n");
		return EXIT_USAGE;
	}
	msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
	if (!strcmp(argv[1], "--id")) {
		char *end;
		unsigned long v = strtoul(argv[2], &end, 0);

		if (*end || v > UINT32_MAX) {
			fprintf(stderr, "vgprobe: bad group id %s\n", argv[2]);
			return EXIT_USAGE;
		}
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, (uint32_t)v);
	} else if (!strcmp(argv[1], "--dev")) {
		nla_put_string(msg, VFIOGROUP_A_GROUP_DEV_NAME, argv[2]);
	} else {
		fprintf(stderr, "usage: vgprobe get --id N | --dev NAME\n");
		return EXIT_USAGE;
	}
	rc = ask(c, msg, group_cb, &st);
	if (rc)
		return finish(rc);
	if (st.groups != 1)
		note_malformed("get-reply-count", (int)st.groups);
	return finish(EXIT_OK);
}

static void info_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];
	const struct genlmsghdr *gh = nlmsg_data(nlh);
	uint64_t seq = 0, dropped = 0;
	uint32_t notifier = 0, groups = 0;
	uint8_t events = 0;
	const char *version, *nname;
	bool ok = true;
	int *count = arg;

	(*count)++;
	if (gh->cmd != VFIOGROUP_CMD_INFO_GET)
		note_malformed("reply-cmd", gh->cmd);
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFIOGROUP_A_INFO_MAX, NULL) < 0) {
		note_malformed("info-parse", 0);
		return;
	}
	ok &= get_int(tb[VFIOGROUP_A_INFO_SEQ], "info-seq", &seq);
	ok &= get_int(tb[VFIOGROUP_A_INFO_DROPPED], "info-dropped", &dropped);
	ok &= get_int(tb[VFIOGROUP_A_INFO_NOTIFIER], "info-notifier", &notifier);
	ok &= get_int(tb[VFIOGROUP_A_INFO_GROUPS], "info-groups", &groups);
	ok &= get_int(tb[VFIOGROUP_A_INFO_EVENTS], "info-events", &events);
	version = get_str(tb[VFIOGROUP_A_INFO_VERSION], "info-version");
	if (!ok || !version || events > 1)
		note_malformed("info-missing-attr", 0);
	nname = notifier_name(notifier);
	if (!nname)
		note_malformed("info-notifier-value", (int)notifier);
	printf("seq=%" PRIu64 " dropped=%" PRIu64 " notifier=%s groups=%" PRIu32
	       " version=%s events=%u\n", seq, dropped, nname ? nname : "?",
	       groups, version ? version : "?", events);
}

int cmd_info(struct conn *c)
{
	int count = 0;
	int rc = ask(c, new_req(c, VFIOGROUP_CMD_INFO_GET, 0), info_cb, &count);

	if (rc)
		return finish(rc);
	if (count != 1)
		note_malformed("info-reply-count", count);
	return finish(EXIT_OK);
}
