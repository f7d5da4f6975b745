/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decoder, on messages crafted with libnl the way the module builds
 * them, and on every way of getting them wrong.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake.h"
#include "run-suite.h"
#include "same-group.h"

#define FAM 0x20

static struct fake_group sample_group(void)
{
	struct fake_group g = { .id = 5, .seq = 9, .ndev = 2 };

	strcpy(g.dev[0].name, "0000:00:02.0");
	strcpy(g.dev[0].driver, "e1000");
	g.dev[0].blocks = true;
	strcpy(g.dev[1].name, "0000:00:02.1");
	return g;
}

static struct vg_event_raw sample_event(void)
{
	struct vg_event_raw ev = { .kind = VFIOGROUP_EVENT_DRIVER_BOUND,
				   .seq = 9, .time_ns = 1234,
				   .has_dev = true, .has_driver = true };

	strcpy(ev.dev_name, "0000:00:02.0");
	strcpy(ev.driver, "e1000");
	return ev;
}

static int decode_msg(struct nl_msg *msg, struct vg_msg *m)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	return vg_decode(nlh, nlh->nlmsg_len, FAM, m);
}

START_TEST(group_reply)
{
	struct fake_group fg = sample_group();
	struct nl_msg *msg = fake_group_msg(FAM, VFIOGROUP_CMD_GROUP_GET, &fg,
					    NULL, false);
	const struct vfiogroup_device *d;
	uint16_t ven = 0, dev = 0;
	struct vg_msg m;

	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_GROUP);
	ck_assert_uint_eq(vfiogroup_group_id(m.group), 5);
	ck_assert(!vfiogroup_group_viable(m.group));
	ck_assert_uint_eq(vfiogroup_group_seq(m.group), 9);
	ck_assert_uint_eq(vfiogroup_group_device_count(m.group), 2);
	d = vfiogroup_group_device(m.group, 0);
	ck_assert_str_eq(vfiogroup_device_name(d), "0000:00:02.0");
	ck_assert_str_eq(vfiogroup_device_bus(d), "pci");
	ck_assert_str_eq(vfiogroup_device_driver(d), "e1000");
	ck_assert(!vfiogroup_device_viable(d));
	ck_assert(vfiogroup_device_pci_id(d, &ven, &dev));
	ck_assert_uint_eq(ven, 0x8086);
	ck_assert_uint_eq(dev, 0x100e);
	d = vfiogroup_group_device(m.group, 1);
	ck_assert_ptr_null(vfiogroup_device_driver(d));
	ck_assert(vfiogroup_device_viable(d));
	ck_assert_ptr_null(vfiogroup_group_device(m.group, 2));
	vg_msg_release(&m);
	nlmsg_free(msg);
}
END_TEST

/* A module older than 0.3: no readiness, no vfio flag; derived by name. */
START_TEST(old_module_readiness)
{
	struct nl_msg *msg = nlmsg_alloc();
	const struct vfiogroup_device *d;
	struct nlattr *nest;
	struct vg_msg m;

	genlmsg_put(msg, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_GROUP_GET, 1);
	nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 7);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, 4);
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "0000:00:03.0");
	nla_put_string(msg, VFIOGROUP_A_DEV_DRIVER, "vfio-pci");
	nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
	nla_nest_end(msg, nest);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert(vfiogroup_group_ready(m.group));
	ck_assert_str_eq(vfiogroup_group_node(m.group), "/dev/vfio/7");
	d = vfiogroup_group_device(m.group, 0);
	ck_assert(vfiogroup_device_vfio(d));
	ck_assert_ptr_null(vfiogroup_device_vfio_dev(d));
	vg_msg_release(&m);
	nlmsg_free(msg);
}
END_TEST

START_TEST(event_ntf)
{
	struct fake_group fg = sample_group();
	struct vg_event_raw ev = sample_event();
	struct vg_msg m;

	for (int early = 0; early < 2; early++) {
		struct nl_msg *msg = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF,
						    &fg, &ev, early);

		ck_assert_int_eq(decode_msg(msg, &m), 0);
		ck_assert_int_eq(m.kind, VG_MSG_EVENT);
		ck_assert_uint_eq(m.group_id, 5);
		ck_assert_uint_eq(m.ev.kind, VFIOGROUP_EVENT_DRIVER_BOUND);
		ck_assert_uint_eq(m.ev.seq, 9);
		ck_assert_uint_eq(m.ev.time_ns, 1234);
		ck_assert_str_eq(m.ev.dev_name, "0000:00:02.0");
		ck_assert_str_eq(m.ev.driver, "e1000");
		ck_assert_uint_eq(m.group->ndev, 2);
		vg_msg_release(&m);
		nlmsg_free(msg);
	}
}
END_TEST

START_TEST(info_and_ctrl)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct vg_msg m;

	genlmsg_put(msg, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_INFO_GET, 1);
	nla_put_u64(msg, VFIOGROUP_A_INFO_SEQ, 77);
	nla_put_u64(msg, VFIOGROUP_A_INFO_DROPPED, 3);
	nla_put_u32(msg, VFIOGROUP_A_INFO_NOTIFIER, VFIOGROUP_NOTIFIER_BUS);
	nla_put_u32(msg, VFIOGROUP_A_INFO_GROUPS, 6);
	nla_put_string(msg, VFIOGROUP_A_INFO_VERSION, "0.1.0");
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_INFO);
	ck_assert_uint_eq(m.info.seq, 77);
	ck_assert_uint_eq(m.info.dropped, 3);
	ck_assert_uint_eq(m.info.notifier, VFIOGROUP_NOTIFIER_BUS);
	ck_assert_uint_eq(m.info.groups, 6);
	ck_assert_str_eq(m.info.version, "0.1.0");
	nlmsg_free(msg);

	msg = fake_ctrl_msg(CTRL_CMD_DELFAMILY, "vfiogroup", 0x21);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_CTRL);
	ck_assert_uint_eq(m.ctrl_cmd, CTRL_CMD_DELFAMILY);
	ck_assert_uint_eq(m.ctrl_family_id, 0x21);
	ck_assert_str_eq(m.ctrl_family, "vfiogroup");
	nlmsg_free(msg);

	/* nlctrl's other news is not for us */
	msg = fake_ctrl_msg(CTRL_CMD_NEWMCAST_GRP, "vfiogroup", 0x21);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_IGNORE);
	nlmsg_free(msg);
}
END_TEST

START_TEST(other_family_and_control)
{
	struct fake_group fg = sample_group();
	struct nl_msg *msg = fake_group_msg(FAM + 1, VFIOGROUP_CMD_GROUP_GET,
					    &fg, NULL, false);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct { struct nlmsghdr h; int err; } e;
	struct vg_msg m;

	memset(&e, 0, sizeof(e));
	e.h.nlmsg_len = sizeof(e);
	e.h.nlmsg_type = NLMSG_ERROR;
	e.err = -ENOENT;
	ck_assert_int_eq(vg_decode(nlh, nlh->nlmsg_len, FAM, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_IGNORE);
	/* family not resolved yet: nothing is ours */
	ck_assert_int_eq(vg_decode(nlh, nlh->nlmsg_len, 0, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_IGNORE);
	nlmsg_free(msg);

	ck_assert_int_eq(vg_decode(&e.h, sizeof(e), FAM, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_ERROR);
	ck_assert_int_eq(m.error, -ENOENT);
	e.err = 0;
	ck_assert_int_eq(vg_decode(&e.h, sizeof(e), FAM, &m), 0);
	ck_assert_int_eq(m.kind, VG_MSG_IGNORE);
	e.err = 5;	/* positive errors do not exist */
	ck_assert_int_eq(vg_decode(&e.h, sizeof(e), FAM, &m), -EBADMSG);
	e.h.nlmsg_len = NLMSG_HDRLEN + 2;
	ck_assert_int_eq(vg_decode(&e.h, NLMSG_HDRLEN + 2, FAM, &m), -EBADMSG);
}
END_TEST

/* Build a group reply by hand, with one thing wrong. */
enum breakage { B_NONE, B_NO_ID, B_NO_SEQ, B_SHORT_ID, B_STR_NO_NUL,
		B_STR_EMPTY, B_STR_LONG, B_DUP_DEV, B_DEV_NO_NAME,
		B_DEV_NO_VIABLE, B_HALF_PCI, B_BAD_NEST, B_VFIO_TWO,
		B_VFIO_DEV_UNREGISTERED, B_READY_TWO,
		B_EVENT_KIND, B_EVENT_NO_SEQ };

static struct nl_msg *broken(enum breakage b)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint8_t cmd = b >= B_EVENT_KIND ? VFIOGROUP_CMD_EVENT_NTF
					: VFIOGROUP_CMD_GROUP_GET;
	char longname[100];
	struct nlattr *nest;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	genlmsg_put(msg, 0, 0, FAM, 0, 0, cmd, 1);
	if (b == B_SHORT_ID)
		nla_put_u16(msg, VFIOGROUP_A_GROUP_ID, 1);
	else if (b != B_NO_ID)
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 1);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, 1);
	if (b != B_NO_SEQ)
		nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, 4);
	for (int i = 0; i < (b == B_DUP_DEV ? 2 : 1); i++) {
		nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
		if (b == B_STR_NO_NUL)
			nla_put(msg, VFIOGROUP_A_DEV_NAME, 4, "abcd");
		else if (b == B_STR_EMPTY)
			nla_put(msg, VFIOGROUP_A_DEV_NAME, 1, "");
		else if (b == B_STR_LONG)
			nla_put_string(msg, VFIOGROUP_A_DEV_NAME, longname);
		else if (b != B_DEV_NO_NAME)
			nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "dev0");
		if (b != B_DEV_NO_VIABLE)
			nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
		if (b == B_HALF_PCI)
			nla_put_u16(msg, VFIOGROUP_A_DEV_VENDOR, 1);
		nla_put_u8(msg, VFIOGROUP_A_DEV_VFIO, b == B_VFIO_TWO ? 2 :
			   b == B_VFIO_DEV_UNREGISTERED ? 0 : 1);
		nla_put_string(msg, VFIOGROUP_A_DEV_VFIO_DEV, "vfio0");
		nla_nest_end(msg, nest);
	}
	if (b == B_BAD_NEST)	/* a nest whose content is not attributes */
		nla_put(msg, VFIOGROUP_A_GROUP_DEVICE, 3, "\x09\x00\x01");
	nla_put_u8(msg, VFIOGROUP_A_GROUP_READY, b == B_READY_TWO ? 2 : 1);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_IN_USE, 0);
	if (cmd == VFIOGROUP_CMD_EVENT_NTF) {
		nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_EVENT);
		nla_put_u32(msg, VFIOGROUP_A_EVENT_KIND,
			    b == B_EVENT_KIND ? 99 : 1);
		if (b != B_EVENT_NO_SEQ)
			nla_put_u64(msg, VFIOGROUP_A_EVENT_SEQ, 4);
		nla_nest_end(msg, nest);
	}
	return msg;
}

START_TEST(malformed)
{
	struct nl_msg *msg = broken((enum breakage)_i);
	struct vg_msg m;
	int r = decode_msg(msg, &m);

	if (_i == B_NONE) {
		ck_assert_int_eq(r, 0);
		vg_msg_release(&m);
	} else {
		ck_assert_msg(r == -EBADMSG, "breakage %d decoded (%d)", _i, r);
		ck_assert_ptr_null(m.group);
	}
	nlmsg_free(msg);
}
END_TEST

/*
 * Every prefix of a notification or a reply: the decoder sees avail <
 * nlmsg_len and must refuse it (nothing is cut short on purpose: the
 * kernel filter drops or accepts whole), never read further.  Copies go
 * to exact-size heap blocks so that ASan and valgrind catch any overread.
 */
START_TEST(truncated_prefixes)
{
	struct fake_group fg = sample_group();
	struct vg_event_raw ev = sample_event();

	for (int kind = 0; kind < 3; kind++) {
		struct nl_msg *msg = kind < 2 ?
			fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg, &ev,
				       kind) :
			fake_group_msg(FAM, VFIOGROUP_CMD_GROUP_GET, &fg, NULL,
				       false);
		struct nlmsghdr *nlh = nlmsg_hdr(msg);

		for (size_t len = 0; len < nlh->nlmsg_len; len++) {
			void *copy = malloc(len ? len : 1);
			struct vg_msg m;

			memcpy(copy, nlh, len);
			ck_assert_int_eq(vg_decode(copy, len, FAM, &m), -EBADMSG);
			ck_assert_ptr_null(m.group);
			ck_assert_int_eq(m.kind, VG_MSG_IGNORE);
			free(copy);
		}
		nlmsg_free(msg);
	}
}
END_TEST

/* A group reply for id with n devices dev0..dev<n-1>, the last one on VFIO. */
static struct nl_msg *group_of(uint32_t id, int n)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_GROUP_GET, 1);
	nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, id);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, 4);
	for (int i = 0; i < n; i++) {
		struct nlattr *nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
		char name[16];

		snprintf(name, sizeof(name), "dev%d", i);
		nla_put_string(msg, VFIOGROUP_A_DEV_NAME, name);
		nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
		nla_put_u8(msg, VFIOGROUP_A_DEV_VFIO, i == n - 1);
		nla_nest_end(msg, nest);
	}
	return msg;
}

/* A notification of group 1 whose event has the strings given (NULL: none). */
static struct nl_msg *event_with(const void *dev, size_t dev_len,
				 const void *driver, size_t driver_len)
{
	struct nl_msg *msg = group_of(1, 1);
	struct nlattr *nest;

	genlmsg_hdr(nlmsg_hdr(msg))->cmd = VFIOGROUP_CMD_EVENT_NTF;
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_EVENT);
	nla_put_u32(msg, VFIOGROUP_A_EVENT_KIND, VFIOGROUP_EVENT_DRIVER_BOUND);
	nla_put_u64(msg, VFIOGROUP_A_EVENT_SEQ, 4);
	if (dev)
		nla_put(msg, VFIOGROUP_A_EVENT_DEV_NAME, (int)dev_len, dev);
	if (driver)
		nla_put(msg, VFIOGROUP_A_EVENT_DRIVER, (int)driver_len, driver);
	nla_nest_end(msg, nest);
	return msg;
}

/*
 * The event's strings are left in the message, checked as the copied ones
 * are: absent is NULL; empty, unterminated or too long is malformed; a
 * NUL inside ends the string.
 */
START_TEST(event_strings)
{
	char longname[VFIOGROUP_NAME_MAX + 1];
	struct nl_msg *msg;
	struct vg_msg m;

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	msg = event_with(NULL, 0, NULL, 0);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_ptr_null(m.ev.dev_name);
	ck_assert_ptr_null(m.ev.driver);
	vg_msg_release(&m);
	nlmsg_free(msg);

	msg = event_with("dev0", 5, "ab\0cd", 6);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_str_eq(m.ev.dev_name, "dev0");
	ck_assert_str_eq(m.ev.driver, "ab");
	vg_msg_release(&m);
	nlmsg_free(msg);

	/* the longest that fits, its NUL included */
	msg = event_with("dev0", 5, longname + 1, VFIOGROUP_NAME_MAX);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_uint_eq(strlen(m.ev.driver), VFIOGROUP_NAME_MAX - 1);
	vg_msg_release(&m);
	nlmsg_free(msg);

	msg = event_with("", 1, NULL, 0);
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	nlmsg_free(msg);
	msg = event_with("dev0", 4, NULL, 0);
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	nlmsg_free(msg);
	msg = event_with("dev0", 5, longname, sizeof(longname));
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	ck_assert_ptr_null(m.group);
	nlmsg_free(msg);
}
END_TEST

/* Bytes appended to a message as they are, its length fixed up. */
static void append_raw(struct nl_msg *msg, const void *raw, size_t len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	void *p = nlmsg_reserve(msg, len, 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, raw, len);
	nlh = nlmsg_hdr(msg);
	nlh->nlmsg_len = nlh->nlmsg_len - (uint32_t)NLMSG_ALIGN(len) +
			 (uint32_t)len;
}

/*
 * The decoder's own attribute walker keeps libnl's nla_parse() rules (it
 * replaced it): flags stripped from types, unknown types skipped unseen,
 * every instance of a known type checked though only the last is kept,
 * a string's last byte its NUL, and the walk ended quietly by what does
 * not fit a whole attribute.
 */
START_TEST(walker_rules)
{
	struct nl_msg *msg;
	struct nlattr *nest;
	struct vg_msg m;

	/* NLA_F_NESTED on the device nest: still a device */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_GROUP_GET, 1);
	nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 3);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, 4);
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE | NLA_F_NESTED);
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "dev0");
	nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
	nla_put(msg, 200, 0, NULL);	/* a newer module's, empty */
	nla_nest_end(msg, nest);
	nla_put(msg, 300, 1, "");	/* unknown at the top too */
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_uint_eq(m.group->ndev, 1);
	ck_assert_str_eq(m.group->dev[0].name, "dev0");
	vg_msg_release(&m);

	/* trailing bytes too few for a header: the walk ends, no error */
	append_raw(msg, "\x01\x02", 2);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_uint_eq(m.group->ndev, 1);
	vg_msg_release(&m);
	nlmsg_free(msg);

	/* a header claiming more than is left ends the walk the same way */
	msg = group_of(3, 1);
	append_raw(msg, "\x40\x00\x05\x00", 4);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_uint_eq(m.group->ndev, 1);
	vg_msg_release(&m);
	nlmsg_free(msg);

	/* the last attribute's padding missing: it still counts */
	msg = group_of(3, 1);
	append_raw(msg, "\x05\x00\x08\x00\x01", 5);	/* READY = 1, unpadded */
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert(m.group->ready);
	vg_msg_release(&m);
	nlmsg_free(msg);

	/* an empty VIABLE before the good one: checked though not kept */
	msg = nlmsg_alloc();
	genlmsg_put(msg, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_GROUP_GET, 1);
	nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 3);
	nla_put(msg, VFIOGROUP_A_GROUP_VIABLE, 0, NULL);
	nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, 4);
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	ck_assert_ptr_null(m.group);
	nlmsg_free(msg);

	/* a string with a NUL, but not as its last byte */
	msg = group_of(3, 1);
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "dev9");
	nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
	nla_put(msg, VFIOGROUP_A_DEV_BUS, 4, "pc\0i");
	nla_nest_end(msg, nest);
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	nlmsg_free(msg);

	/* a repeated string keeps the last, and checks the first too */
	msg = group_of(3, 0);
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "first");
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "second");
	nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
	nla_nest_end(msg, nest);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_str_eq(m.group->dev[0].name, "second");
	vg_msg_release(&m);
	nlmsg_free(msg);
}
END_TEST

/* The devices are counted before the group is allocated: many fit. */
START_TEST(many_devices)
{
	struct nl_msg *msg = group_of(4294967295u, 40);
	struct nlattr *nest;
	struct vg_msg m;
	char name[16];

	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_uint_eq(m.group->ndev, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		ck_assert_str_eq(m.group->dev[i].name, name);
	}
	ck_assert_str_eq(vfiogroup_group_node(m.group), "/dev/vfio/4294967295");
	vg_msg_release(&m);

	/* one more, a duplicate of the first: refused */
	nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
	nla_put_string(msg, VFIOGROUP_A_DEV_NAME, "dev0");
	nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
	nla_nest_end(msg, nest);
	ck_assert_int_eq(decode_msg(msg, &m), -EBADMSG);
	ck_assert_ptr_null(m.group);
	nlmsg_free(msg);

	msg = group_of(0, 1);
	ck_assert_int_eq(decode_msg(msg, &m), 0);
	ck_assert_str_eq(vfiogroup_group_node(m.group), "/dev/vfio/0");
	vg_msg_release(&m);
	nlmsg_free(msg);
}
END_TEST

/* vg_decode_into(): the spare is used when it has the room, else dropped. */
START_TEST(decode_into_spare)
{
	struct nl_msg *two = group_of(7, 2), *three = group_of(8, 3);
	struct nlmsghdr *h2 = nlmsg_hdr(two), *h3 = nlmsg_hdr(three);
	struct vfiogroup_group *spare, *was;
	struct vg_msg m;

	/* a used group with room for 3, renewed whole for a 2-device one */
	ck_assert_int_eq(vg_decode(h3, h3->nlmsg_len, FAM, &m), 0);
	spare = was = m.group;
	m.group = NULL;
	ck_assert_int_eq(vg_decode_into(h2, h2->nlmsg_len, FAM, &spare, &m), 0);
	ck_assert_ptr_eq(m.group, was);
	ck_assert_ptr_null(spare);
	ck_assert_uint_eq(m.group->id, 7);
	ck_assert_uint_eq(m.group->ndev, 2);
	ck_assert_str_eq(m.group->dev[1].name, "dev1");
	ck_assert_str_eq(vfiogroup_group_node(m.group), "/dev/vfio/7");
	ck_assert_uint_eq(atomic_load(&m.group->refs), 1);

	/* room for 2 is too little for 3: dropped, a new one made */
	spare = m.group;
	m.group = NULL;
	ck_assert_int_eq(vg_decode_into(h3, h3->nlmsg_len, FAM, &spare, &m), 0);
	ck_assert_ptr_null(spare);
	ck_assert_uint_eq(m.group->ndev, 3);
	ck_assert_str_eq(m.group->dev[2].name, "dev2");

	/* a malformed message uses the spare up (freed: ASan sees no leak) */
	spare = m.group;
	m.group = NULL;
	{
		struct nl_msg *dup = broken(B_DUP_DEV);
		struct nlmsghdr *hd = nlmsg_hdr(dup);

		ck_assert_int_eq(vg_decode_into(hd, hd->nlmsg_len, FAM, &spare,
						&m), -EBADMSG);
		ck_assert_ptr_null(spare);
		ck_assert_ptr_null(m.group);
		nlmsg_free(dup);
	}
	nlmsg_free(two);
	nlmsg_free(three);
}
END_TEST

/*
 * A spare keeps the devices whose nests are the same bytes as those it
 * was decoded from, and decodes the others again.  The kept ones are
 * marked here (a group is never written once built; this one is the
 * test's own) to see which path each device took.
 */
START_TEST(spare_keeps_same_nests)
{
	struct fake_group fg = sample_group();
	struct vg_event_raw ev = sample_event();
	struct nl_msg *a = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg,
					  &ev, false), *b, *lng;
	struct nlmsghdr *ha = nlmsg_hdr(a), *hb, *hl;
	struct vfiogroup_group *spare = NULL, *g;
	struct vg_msg m, fresh;

	/* device 1 bound: its nest changes, device 0's does not */
	strcpy(fg.dev[1].driver, "vfio-pci");
	b = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg, &ev, false);
	hb = nlmsg_hdr(b);

	/* decoded with a spare to give (the dispatcher): nests kept */
	ck_assert_int_eq(vg_decode_into(ha, ha->nlmsg_len, FAM, &spare, &m), 0);
	g = m.group;
	ck_assert_uint_ne(g->dev[0].nest_len, 0);
	ck_assert_uint_ne(g->dev[1].nest_len, 0);
	strcpy(g->dev[0].bus, "kept");
	strcpy(g->dev[1].bus, "kept");

	spare = g;
	ck_assert_int_eq(vg_decode_into(hb, hb->nlmsg_len, FAM, &spare, &m), 0);
	ck_assert_ptr_eq(m.group, g);
	ck_assert_str_eq(g->dev[0].bus, "kept");	/* same bytes */
	ck_assert_str_eq(g->dev[1].bus, "pci");		/* decoded again */
	ck_assert_str_eq(g->dev[1].driver, "vfio-pci");

	/* unmarked, a spare decodes what a fresh decode does, both ways */
	strcpy(g->dev[0].bus, "pci");
	for (int i = 0; i < 4; i++) {
		struct nlmsghdr *h = i % 2 ? hb : ha;

		spare = m.group;
		ck_assert_int_eq(vg_decode_into(h, h->nlmsg_len, FAM, &spare,
						&m), 0);
		ck_assert_ptr_eq(m.group, g);
		ck_assert_int_eq(vg_decode(h, h->nlmsg_len, FAM, &fresh), 0);
		ck_assert(vg_test_same_group(g, fresh.group));
		/* a decode without a spare keeps no nests */
		ck_assert_uint_eq(fresh.group->dev[0].nest_len, 0);
		vg_msg_release(&fresh);
	}
	vg_msg_release(&m);

	/* a nest too long to keep is decoded every time */
	memset(fg.dev[1].driver, 'd', VFIOGROUP_NAME_MAX - 1);
	fg.dev[1].driver[VFIOGROUP_NAME_MAX - 1] = '\0';
	memset(fg.dev[1].name, 'n', VFIOGROUP_NAME_MAX - 1);
	fg.dev[1].name[VFIOGROUP_NAME_MAX - 1] = '\0';
	lng = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg, &ev, false);
	hl = nlmsg_hdr(lng);
	spare = NULL;
	ck_assert_int_eq(vg_decode_into(hl, hl->nlmsg_len, FAM, &spare, &m), 0);
	ck_assert_uint_ne(m.group->dev[0].nest_len, 0);
	ck_assert_uint_eq(m.group->dev[1].nest_len, 0);
	ck_assert_str_eq(m.group->dev[1].driver, fg.dev[1].driver);
	vg_msg_release(&m);

	nlmsg_free(a);
	nlmsg_free(b);
	nlmsg_free(lng);
}
END_TEST

/* A group reply of these devices, their nests alike but for the names. */
static struct nl_msg *named(const char *const *names, int n)
{
	struct nl_msg *msg = group_of(9, 0);

	for (int i = 0; i < n; i++) {
		struct nlattr *nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);

		nla_put_string(msg, VFIOGROUP_A_DEV_NAME, names[i]);
		nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE, 1);
		nla_nest_end(msg, nest);
	}
	return msg;
}

/* names into *g, its spare (NULL: a new group): the decoder's answer. */
static int decode_names(struct vfiogroup_group **g, const char *const *names,
			int n)
{
	struct nl_msg *msg = named(names, n);
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct vg_msg m;
	int r = vg_decode_into(h, h->nlmsg_len, FAM, g, &m);

	ck_assert_ptr_null(*g);	/* used up, either way */
	*g = m.group;
	nlmsg_free(msg);
	return r;
}

/*
 * Names stay unique when a spare's devices are kept without decoding
 * them: a duplicate of a kept device is refused, also in a slot past the
 * spare's last device whose stale nest is the duplicate's very bytes.
 */
START_TEST(spare_checks_names)
{
	static const char *const xya[] = { "x", "y", "a" }, *const ab[] = {
		"a", "b" }, *const aba[] = { "a", "b", "a" }, *const abc[] = {
		"a", "b", "c" }, *const abb[] = { "a", "b", "b" };
	struct vfiogroup_group *g = NULL;

	/* a, b, a after a, b: the first two kept, the third refused */
	ck_assert_int_eq(decode_names(&g, ab, 2), 0);
	ck_assert_uint_ne(g->dev[1].nest_len, 0);
	ck_assert_int_eq(decode_names(&g, aba, 3), -EBADMSG);
	ck_assert_ptr_null(g);

	/* x, y, a then a, b: slot 2 of the room for three keeps a's nest */
	ck_assert_int_eq(decode_names(&g, xya, 3), 0);
	ck_assert_int_eq(decode_names(&g, ab, 2), 0);
	ck_assert_uint_eq(g->ndevs, 3);
	ck_assert_uint_eq(g->dev[2].nest_len, g->dev[0].nest_len);
	ck_assert_int_eq(decode_names(&g, aba, 3), -EBADMSG);

	/* a stale nest that is no duplicate is taken as it is */
	ck_assert_int_eq(decode_names(&g, abc, 3), 0);
	ck_assert_int_eq(decode_names(&g, ab, 2), 0);
	ck_assert_int_eq(decode_names(&g, abc, 3), 0);
	ck_assert_str_eq(g->dev[2].name, "c");
	ck_assert_int_eq(decode_names(&g, abb, 3), -EBADMSG);
}
END_TEST

/* p = the message's len bytes with n of them set at random (LCG state *x). */
static void flipped_copy(unsigned char *p, const struct nlmsghdr *nlh,
			 size_t len, int n, uint32_t *x)
{
	memcpy(p, nlh, len);
	for (int k = 0; k < n; k++) {
		*x = *x * 1103515245u + 12345u;
		p[(*x >> 8) % len] = (unsigned char)(*x >> 20);
	}
}

/*
 * Random bytes flipped in a notification decoded into a spare made from
 * the message unflipped: the same verdict and the same group as a fresh
 * decode, whether the flips hit a kept device's nest or not.
 */
START_TEST(spare_same_as_fresh)
{
	struct fake_group fg = sample_group();
	struct vg_event_raw ev = sample_event();
	struct nl_msg *msg = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg,
					    &ev, false);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t x = 0x9e3779b9;
	int changed = 0, refused = 0;

	for (int iter = 0; iter < 5000; iter++) {
		size_t len = nlh->nlmsg_len;
		unsigned char *p = malloc(len);
		struct vfiogroup_group *spare = NULL;
		struct vg_msg fresh, into;
		int r;

		flipped_copy(p, nlh, len, 1 + iter % 3, &x);
		ck_assert_int_eq(vg_decode_into(nlh, len, FAM, &spare, &into),
				 0);
		spare = into.group;
		r = vg_decode((struct nlmsghdr *)p, len, FAM, &fresh);
		ck_assert_int_eq(vg_decode_into((struct nlmsghdr *)p, len, FAM,
						&spare, &into), r);
		/* used, or dropped with a bad group; untouched without one */
		vfiogroup_group_unref(spare);
		ck_assert_int_eq(into.kind, fresh.kind);
		ck_assert(!into.group == !fresh.group);
		if (fresh.group) {
			ck_assert_msg(vg_test_same_group(into.group,
							 fresh.group),
				      "iteration %d: the spare differs", iter);
			changed += memcmp(p, nlh, len) != 0;
		}
		refused += r != 0;
		vg_msg_release(&fresh);
		vg_msg_release(&into);
		free(p);
	}
	/*
	 * Both verdicts were compared, and many a message accepted with
	 * bytes changed (flips land in one nest at most, mostly).
	 */
	ck_assert_int_gt(changed, 100);
	ck_assert_int_gt(refused, 100);
	nlmsg_free(msg);
}
END_TEST

static int count_cb(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	size_t *seen = arg;

	seen[0]++;
	seen[1] += avail;
	(void)nlh;
	return 0;
}

START_TEST(datagram_walk)
{
	struct fake_group fg = sample_group();
	struct nl_msg *a = fake_group_msg(FAM, VFIOGROUP_CMD_GROUP_GET, &fg,
					  NULL, false);
	struct nlmsghdr *h = nlmsg_hdr(a);
	size_t len = NLMSG_ALIGN(h->nlmsg_len);
	char *buf = calloc(3, len);
	size_t seen[2] = { 0, 0 };

	for (int i = 0; i < 3; i++)
		memcpy(buf + i * len, h, h->nlmsg_len);
	ck_assert_int_eq(vg_each_msg(buf, 3 * len, count_cb, seen), 3);
	ck_assert_uint_eq(seen[0], 3);
	/* last one cut: the whole ones are handed over, then -EBADMSG */
	seen[0] = seen[1] = 0;
	ck_assert_int_eq(vg_each_msg(buf, 2 * len + 20, count_cb, seen),
			 -EBADMSG);
	ck_assert_uint_eq(seen[0], 2);
	ck_assert_uint_eq(seen[1], 2 * h->nlmsg_len);
	/* trailing bytes too few for a header */
	ck_assert_int_eq(vg_each_msg(buf, len + 7, count_cb, seen), -EBADMSG);
	/* a header claiming less than itself */
	((struct nlmsghdr *)buf)->nlmsg_len = 3;
	ck_assert_int_eq(vg_each_msg(buf, 3 * len, count_cb, seen), -EBADMSG);
	free(buf);
	nlmsg_free(a);
}
END_TEST

/* Deterministic garbage, and valid messages with random bytes flipped. */
START_TEST(random_bytes)
{
	struct fake_group fg = sample_group();
	struct vg_event_raw ev = sample_event();
	struct nl_msg *msg = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &fg,
					    &ev, false);
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	uint32_t x = 0x12345678;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = nlh->nlmsg_len;
		unsigned char *p = malloc(len);
		struct vg_msg m;

		flipped_copy(p, nlh, len, 1 + iter % 4, &x);
		if (vg_decode((struct nlmsghdr *)p, len, FAM, &m) == 0)
			vg_msg_release(&m);
		free(p);
	}
	nlmsg_free(msg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, group_reply);
	tcase_add_test(tc, event_ntf);
	tcase_add_test(tc, info_and_ctrl);
	tcase_add_test(tc, other_family_and_control);
	tcase_add_loop_test(tc, malformed, B_NONE, B_EVENT_NO_SEQ + 1);
	tcase_add_test(tc, old_module_readiness);
	tcase_add_test(tc, truncated_prefixes);
	tcase_add_test(tc, datagram_walk);
	tcase_add_test(tc, random_bytes);
	tcase_add_test(tc, walker_rules);
	tcase_add_test(tc, many_devices);
	tcase_add_test(tc, decode_into_spare);
	tcase_add_test(tc, event_strings);
	tcase_add_test(tc, spare_keeps_same_nests);
	tcase_add_test(tc, spare_checks_names);
	tcase_add_test(tc, spare_same_as_fresh);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
