/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF filter, attached for real (SO_ATTACH_FILTER on an
 * AF_UNIX datagram socketpair runs the same sk_filter() as netlink) and
 * fed netlink-formatted buffers: which arrive, and how long.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake.h"
#include "run-suite.h"

#define FAM 0x20

static int sv[2];

static void setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
}

static void attach(const uint32_t *ids, size_t n)
{
	struct sock_fprog prog;

	ck_assert_int_eq(vg_filter_build(FAM, ids, n, &prog), 0);
	ck_assert_int_le(prog.len, BPF_MAXINSNS);
	ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				    sizeof(prog)), 0);
	free(prog.filter);
}

/* Bytes that arrive for buf, or -1 when it was dropped. */
static long pass(const void *buf, size_t len)
{
	static char rx[65536];

	ck_assert_int_eq(send(sv[1], buf, len, 0), (long)len);
	return recv(sv[0], rx, sizeof(rx), MSG_DONTWAIT);
}

static long pass_msg(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	long n = pass(nlh, nlh->nlmsg_len);

	return n;
}

/* Where the GROUP_EVENT nest ends in msg (what the filter keeps). */
static long event_end(struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem)
		if (nla_type(a) == VFIOGROUP_A_GROUP_EVENT)
			return (char *)a + a->nla_len - (char *)nlh;
	return -1;
}

static struct fake_group group(uint32_t id, size_t ndev)
{
	struct fake_group g = { .id = id, .seq = 41, .ndev = ndev };

	for (size_t i = 0; i < ndev; i++)
		snprintf(g.dev[i].name, sizeof(g.dev[i].name), "0000:00:%02zx.0", i);
	return g;
}

static const struct vg_event_raw ev = { .kind = 1, .seq = 41 };

START_TEST(wanted_whole_unwanted_cut)
{
	const uint32_t ids[] = { 3, 70000 };
	struct fake_group g3 = group(3, 2), g7 = group(70000, 1), g5 = group(5, 3);
	struct nl_msg *m;
	long n;

	attach(ids, 2);
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g3, &ev, false);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g7, &ev, false);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	for (int early = 0; early < 2; early++) {
		struct vg_msg dm;
		char copy[4096];

		m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g5, &ev, early);
		n = pass_msg(m);
		ck_assert_int_eq(n, event_end(m));
		/*
		 * With the event last there is nothing after it to cut: the
		 * saving needs the module to put GROUP_EVENT early.
		 */
		if (!early)
			ck_assert_int_eq(n, nlmsg_hdr(m)->nlmsg_len);
		else
			ck_assert_int_lt(n, nlmsg_hdr(m)->nlmsg_len);
		/* and what is left still tells the group and the seq */
		memcpy(copy, nlmsg_hdr(m), (size_t)n);
		ck_assert_int_eq(vg_decode((struct nlmsghdr *)copy, (size_t)n,
					   FAM, &dm), 0);
		ck_assert(dm.partial == early);
		ck_assert_uint_eq(dm.group_id, 5);
		ck_assert_uint_eq(dm.ev.seq, 41);
		if (early)	/* header, GROUP_ID, the event: small */
			ck_assert_int_lt(n, 80);
		vg_msg_release(&dm);
		nlmsg_free(m);
	}
}
END_TEST

START_TEST(everything_else_whole)
{
	const uint32_t ids[] = { 3 };
	struct fake_group g5 = group(5, 2);
	struct nl_msg *m;
	char junk[64] = { 0 };

	attach(ids, 1);
	/* a reply (GROUP_GET) for an unwanted group */
	m = fake_group_msg(FAM, VFIOGROUP_CMD_GROUP_GET, &g5, NULL, false);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	/* another family's message shaped like ours */
	m = fake_group_msg(FAM + 1, VFIOGROUP_CMD_EVENT_NTF, &g5, &ev, false);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	/* nlctrl */
	m = fake_ctrl_msg(CTRL_CMD_DELFAMILY, "vfiogroup", FAM);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	/* too short to judge: accepted, never dropped (nothing is dropped) */
	for (size_t len = 1; len < sizeof(junk); len++)
		ck_assert_int_eq(pass(junk, len), (long)len);
}
END_TEST

START_TEST(odd_layouts_whole)
{
	const uint32_t ids[] = { 3 };
	struct fake_group big = group(5, FAKE_MAX_DEVS);
	struct nl_msg *m;
	struct nlattr *nest;
	int i;

	attach(ids, 1);
	/* GROUP_ID not first: cannot judge, accept */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u8(m, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nest = nla_nest_start(m, VFIOGROUP_A_GROUP_EVENT);
	nla_put_u64(m, VFIOGROUP_A_EVENT_SEQ, 1);
	nla_nest_end(m, nest);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	/* the event beyond the walked attributes: accept whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	for (i = 0; i < VG_FILTER_MAX_ATTRS + 2; i++)
		nla_put_u8(m, VFIOGROUP_A_GROUP_VIABLE, 1);
	nest = nla_nest_start(m, VFIOGROUP_A_GROUP_EVENT);
	nla_put_u64(m, VFIOGROUP_A_EVENT_SEQ, 1);
	nla_nest_end(m, nest);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	/* ... but within them it is found, however many devices */
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &big, &ev, false);
	ck_assert_int_eq(pass_msg(m), event_end(m));
	nlmsg_free(m);

	/* an attribute claiming nla_len 2 mid-walk: accept whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nla_put_u32(m, VFIOGROUP_A_GROUP_VIABLE, 0);
	nest = nla_nest_start(m, VFIOGROUP_A_GROUP_EVENT);
	nla_put_u64(m, VFIOGROUP_A_EVENT_SEQ, 1);
	nla_nest_end(m, nest);
	((struct nlattr *)((char *)nlmsg_hdr(m) + 28))->nla_len = 2;
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	/* attribute running past the end: the walk stops, accept whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nla_put_u32(m, VFIOGROUP_A_GROUP_VIABLE, 0);
	((struct nlattr *)((char *)nlmsg_hdr(m) + 28))->nla_len = 4000;
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);

	/* NLA_F_NESTED on the event nest does not hide it */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nest = nla_nest_start(m, VFIOGROUP_A_GROUP_EVENT | NLA_F_NESTED);
	nla_put_u64(m, VFIOGROUP_A_EVENT_SEQ, 1);
	nla_nest_end(m, nest);
	nla_put_u8(m, VFIOGROUP_A_GROUP_VIABLE, 1);
	ck_assert_int_eq(pass_msg(m), event_end(m));
	ck_assert_int_lt(event_end(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
}
END_TEST

START_TEST(no_ids_cuts_every_event)
{
	struct fake_group g = group(0, 1);
	struct nl_msg *m;

	attach(NULL, 0);
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g, &ev, false);
	ck_assert_int_eq(pass_msg(m), event_end(m));
	nlmsg_free(m);
}
END_TEST

START_TEST(many_ids)
{
	uint32_t ids[VG_FILTER_MAX_GROUPS + 1];
	struct sock_fprog prog;
	struct fake_group g;
	struct nl_msg *m;

	for (size_t i = 0; i <= VG_FILTER_MAX_GROUPS; i++)
		ids[i] = (uint32_t)(i * 3);
	ck_assert_int_eq(vg_filter_build(FAM, ids, VG_FILTER_MAX_GROUPS + 1,
					 &prog), -E2BIG);
	attach(ids, VG_FILTER_MAX_GROUPS);
	/* the last id in the list still passes whole, its neighbour is cut */
	g = group(ids[VG_FILTER_MAX_GROUPS - 1], 1);
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g, &ev, false);
	ck_assert_int_eq(pass_msg(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	g = group(ids[VG_FILTER_MAX_GROUPS - 1] + 1, 1);
	m = fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, &g, &ev, false);
	ck_assert_int_eq(pass_msg(m), event_end(m));
	nlmsg_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wanted_whole_unwanted_cut);
	tcase_add_test(tc, everything_else_whole);
	tcase_add_test(tc, odd_layouts_whole);
	tcase_add_test(tc, no_ids_cuts_every_event);
	tcase_add_test(tc, many_ids);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
