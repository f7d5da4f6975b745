/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes a seed corpus for fuzz-decode into the directory given: real
 * messages built by the unit tests' fake kernel (replies, notifications
 * with the event first and last, nlctrl news, info), and a datagram of two
 * notifications of one group, the second decoded into the first's group.
 */
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake.h"

static void put(const char *dir, const char *name, struct nl_msg *m)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(nlmsg_hdr(m), 1, nlmsg_hdr(m)->nlmsg_len, f);
		fclose(f);
	}
	nlmsg_free(m);
}

/* Two messages in one datagram, as the event socket may deliver them. */
static void put2(const char *dir, const char *name, struct nl_msg *a,
		 struct nl_msg *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		static const char pad[NLMSG_ALIGNTO];
		size_t la = nlmsg_hdr(a)->nlmsg_len;

		fwrite(nlmsg_hdr(a), 1, la, f);
		fwrite(pad, 1, NLMSG_ALIGN(la) - la, f);
		fwrite(nlmsg_hdr(b), 1, nlmsg_hdr(b)->nlmsg_len, f);
		fclose(f);
	}
	nlmsg_free(a);
	nlmsg_free(b);
}

int main(int argc, char **argv)
{
	struct fake_group g = { .id = 7, .seq = 3, .ndev = 2 };
	struct vg_event_raw ev = { .kind = 3, .seq = 3, .has_dev = true,
				   .has_driver = true };
	struct nl_msg *m;

	if (argc != 2)
		return 2;
	strcpy(g.dev[0].name, "0000:00:1f.0");
	strcpy(g.dev[0].driver, "lpc_ich");
	g.dev[0].blocks = true;
	strcpy(g.dev[1].name, "0000:00:1f.3");
	strcpy(ev.dev_name, "0000:00:1f.0");
	strcpy(ev.driver, "lpc_ich");
	put(argv[1], "reply", fake_group_msg(0x20, VFIOGROUP_CMD_GROUP_GET, &g,
					     NULL, false));
	put(argv[1], "event-last", fake_group_msg(0x20, VFIOGROUP_CMD_EVENT_NTF,
						  &g, &ev, false));
	put(argv[1], "event-first", fake_group_msg(0x20, VFIOGROUP_CMD_EVENT_NTF,
						   &g, &ev, true));
	m = fake_group_msg(0x20, VFIOGROUP_CMD_EVENT_NTF, &g, &ev, false);
	strcpy(g.dev[1].driver, "vfio-pci");
	ev.seq = g.seq = 4;
	strcpy(ev.dev_name, g.dev[1].name);
	strcpy(ev.driver, "vfio-pci");
	put2(argv[1], "two-events", m,
	     fake_group_msg(0x20, VFIOGROUP_CMD_EVENT_NTF, &g, &ev, false));
	put(argv[1], "ctrl", fake_ctrl_msg(CTRL_CMD_NEWFAMILY, "vfiogroup", 0x20));
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, 0x20, 0, 0, VFIOGROUP_CMD_INFO_GET, 1);
	nla_put_u64(m, VFIOGROUP_A_INFO_SEQ, 5);
	nla_put_string(m, VFIOGROUP_A_INFO_VERSION, "1.0");
	put(argv[1], "info", m);
	return 0;
}
