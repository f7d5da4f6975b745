/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF filter, attached for real (SO_ATTACH_FILTER on an
 * AF_UNIX datagram socketpair runs the same sk_filter() as netlink) and
 * fed netlink-formatted buffers: which arrive, and that they arrive whole.
 * Plus the property the library's safety rests on, checked on the program
 * itself: it returns 0 or 0xffffffff and nothing else, never a length (a
 * length trims the skb that netlink multicast shares between listeners).
 * test-fanout fans a real netlink multicast out to filtered sockets.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
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

/*
 * Every way out of the program is "ret #0" or "ret #0xffffffff": no
 * "ret a"/"ret x", no other constant, and no jump past the end (the
 * kernel's checker refuses that anyway; we check it for the walk to mean
 * something).  Returns what is wrong, or NULL.
 */
static const char *drop_or_whole_violation(const struct sock_fprog *prog)
{
	static char why[128];
	unsigned rets = 0, drops = 0;

	if (!prog->len || BPF_CLASS(prog->filter[prog->len - 1].code) != BPF_RET)
		return "the last instruction is not a return";
	for (unsigned i = 0; i < prog->len; i++) {
		const struct sock_filter *f = &prog->filter[i];

		if (BPF_CLASS(f->code) == BPF_JMP) {
			unsigned long far = BPF_OP(f->code) == BPF_JA ?
					    f->k : (f->jt > f->jf ? f->jt : f->jf);

			if (i + 1 + far >= prog->len) {
				snprintf(why, sizeof(why),
					 "insn %u jumps past the end", i);
				return why;
			}
			continue;
		}
		if (BPF_CLASS(f->code) != BPF_RET)
			continue;
		rets++;
		if (BPF_RVAL(f->code) != BPF_K) {
			snprintf(why, sizeof(why), "insn %u returns a register, "
				 "not a constant", i);
			return why;
		}
		if (f->k != VG_FILTER_DROP && f->k != VG_FILTER_ACCEPT) {
			snprintf(why, sizeof(why), "insn %u returns %#x: a "
				 "length would trim the shared skb", i, f->k);
			return why;
		}
		drops += f->k == VG_FILTER_DROP;
	}
	return drops > 1 || rets < 1 ? "unexpected returns" : NULL;
}

static void assert_drop_or_whole(const struct sock_fprog *prog)
{
	const char *why = drop_or_whole_violation(prog);

	ck_assert_msg(!why, "%s", why ? why : "");
}

static void attach(const uint32_t *ids, size_t n)
{
	struct sock_fprog prog;

	ck_assert_int_eq(vg_filter_build(FAM, ids, n, &prog), 0);
	ck_assert_int_le(prog.len, BPF_MAXINSNS);
	assert_drop_or_whole(&prog);
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

	return pass(nlh, nlh->nlmsg_len);
}

/* Sent, and received whole (every byte of it). */
static void assert_whole(struct nl_msg *msg)
{
	ck_assert_int_eq(pass_msg(msg), nlmsg_hdr(msg)->nlmsg_len);
	nlmsg_free(msg);
}

static void assert_dropped(struct nl_msg *msg)
{
	ck_assert_int_eq(pass_msg(msg), -1);
	ck_assert_int_eq(errno, EAGAIN);
	nlmsg_free(msg);
}

static struct fake_group group(uint32_t id, size_t ndev)
{
	struct fake_group g = { .id = id, .seq = 41, .ndev = ndev };

	for (size_t i = 0; i < ndev; i++)
		snprintf(g.dev[i].name, sizeof(g.dev[i].name), "0000:00:%02zx.0", i);
	return g;
}

static const struct vg_event_raw ev = { .kind = 1, .seq = 41 };

static struct nl_msg *event(const struct fake_group *g, bool early)
{
	return fake_group_msg(FAM, VFIOGROUP_CMD_EVENT_NTF, g, &ev, early);
}

START_TEST(wanted_whole_unwanted_dropped)
{
	const uint32_t ids[] = { 3, 70000 };
	struct fake_group g3 = group(3, 2), g7 = group(70000, FAKE_MAX_DEVS);
	struct fake_group g5 = group(5, 3);

	attach(ids, 2);
	for (int early = 0; early < 2; early++) {
		struct nl_msg *m = event(&g7, early);
		char rx[4096];
		struct vg_msg dm;
		long n;

		/* wanted: every byte, and it decodes to the whole group */
		ck_assert_int_eq(send(sv[1], nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len,
				      0), (long)nlmsg_hdr(m)->nlmsg_len);
		n = recv(sv[0], rx, sizeof(rx), MSG_DONTWAIT);
		ck_assert_int_eq(n, nlmsg_hdr(m)->nlmsg_len);
		ck_assert_int_eq(vg_decode((struct nlmsghdr *)rx, (size_t)n, FAM,
					   &dm), 0);
		ck_assert_int_eq(dm.kind, VG_MSG_EVENT);
		ck_assert_uint_eq(dm.group->ndev, FAKE_MAX_DEVS);
		vg_msg_release(&dm);
		nlmsg_free(m);

		assert_whole(event(&g3, early));
		/* unwanted: not one byte */
		assert_dropped(event(&g5, early));
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
	assert_whole(fake_group_msg(FAM, VFIOGROUP_CMD_GROUP_GET, &g5, NULL,
				    false));
	/* another family's message shaped like ours */
	assert_whole(fake_group_msg(FAM + 1, VFIOGROUP_CMD_EVENT_NTF, &g5, &ev,
				    false));
	/* nlctrl news */
	assert_whole(fake_ctrl_msg(CTRL_CMD_DELFAMILY, "vfiogroup", FAM));
	assert_whole(fake_ctrl_msg(CTRL_CMD_NEWFAMILY, "vfiogroup", FAM));
	/* an INFO reply */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_INFO_GET, 1);
	nla_put_u64(m, VFIOGROUP_A_INFO_SEQ, 5);
	assert_whole(m);
	/* too short to judge, however short: accepted whole */
	for (size_t len = 1; len < sizeof(junk); len++)
		ck_assert_int_eq(pass(junk, len), (long)len);
	/* just short of a GROUP_ID: accepted whole (an unchecked load would
	 * end the program with 0, a drop) */
	m = event(&g5, false);
	ck_assert_int_eq(pass(nlmsg_hdr(m), 27), 27);
	ck_assert_int_eq(pass(nlmsg_hdr(m), 28), -1);
	nlmsg_free(m);
}
END_TEST

START_TEST(odd_layouts_whole)
{
	const uint32_t ids[] = { 3 };
	struct nl_msg *m;
	struct nlattr *nest;

	attach(ids, 1);
	/* GROUP_ID not first: cannot judge, accept whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u8(m, VFIOGROUP_A_GROUP_VIABLE, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nest = nla_nest_start(m, VFIOGROUP_A_GROUP_EVENT);
	nla_put_u64(m, VFIOGROUP_A_EVENT_SEQ, 1);
	nla_nest_end(m, nest);
	assert_whole(m);

	/* a GROUP_ID too short for a u32: accept whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u16(m, VFIOGROUP_A_GROUP_ID, 5);
	nla_put_u32(m, VFIOGROUP_A_GROUP_VIABLE, 0);
	assert_whole(m);

	/* nonsense after a valid unwanted GROUP_ID: still dropped, whole */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 5);
	nla_put_u32(m, VFIOGROUP_A_GROUP_VIABLE, 0);
	((struct nlattr *)((char *)nlmsg_hdr(m) + 28))->nla_len = 4000;
	assert_dropped(m);

	/* ... and for a wanted one, accepted whole: the library judges it */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID, 3);
	nla_put_u32(m, VFIOGROUP_A_GROUP_VIABLE, 0);
	((struct nlattr *)((char *)nlmsg_hdr(m) + 28))->nla_len = 2;
	assert_whole(m);

	/* NLA_F_NESTED-style flag bits on GROUP_ID do not hide it */
	m = nlmsg_alloc();
	genlmsg_put(m, 0, 0, FAM, 0, 0, VFIOGROUP_CMD_EVENT_NTF, 1);
	nla_put_u32(m, VFIOGROUP_A_GROUP_ID | NLA_F_NET_BYTEORDER, 5);
	assert_dropped(m);
}
END_TEST

START_TEST(no_ids_drops_every_event)
{
	struct fake_group g = group(0, 1);

	attach(NULL, 0);
	assert_dropped(event(&g, false));
	assert_whole(fake_ctrl_msg(CTRL_CMD_NEWFAMILY, "vfiogroup", FAM));
}
END_TEST

START_TEST(many_ids)
{
	uint32_t ids[VG_FILTER_MAX_GROUPS + 1];
	struct sock_fprog prog;
	struct fake_group g;

	for (size_t i = 0; i <= VG_FILTER_MAX_GROUPS; i++)
		ids[i] = (uint32_t)(i * 3);
	ck_assert_int_eq(vg_filter_build(FAM, ids, VG_FILTER_MAX_GROUPS + 1,
					 &prog), -E2BIG);
	attach(ids, VG_FILTER_MAX_GROUPS);
	/* the first and the last id in the list pass whole, neighbours not */
	for (size_t i = 0; i < VG_FILTER_MAX_GROUPS; i += VG_FILTER_MAX_GROUPS - 1) {
		g = group(ids[i], 1);
		assert_whole(event(&g, false));
		g = group(ids[i] + 1, 1);
		assert_dropped(event(&g, false));
	}
}
END_TEST

/* The walk itself catches what it should. */
START_TEST(walk_catches_lengths)
{
	struct sock_filter bad_len[] = {
		BPF_STMT(BPF_RET | BPF_K, 40),
	};
	struct sock_filter bad_a[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter good[] = {
		BPF_STMT(BPF_RET | BPF_K, VG_FILTER_ACCEPT),
	};
	struct sock_fprog p1 = { 1, bad_len }, p2 = { 2, bad_a }, p3 = { 1, good };

	ck_assert_ptr_nonnull(drop_or_whole_violation(&p1));
	ck_assert_ptr_nonnull(drop_or_whole_violation(&p2));
	ck_assert_ptr_null(drop_or_whole_violation(&p3));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wanted_whole_unwanted_dropped);
	tcase_add_test(tc, everything_else_whole);
	tcase_add_test(tc, odd_layouts_whole);
	tcase_add_test(tc, no_ids_drops_every_event);
	tcase_add_test(tc, many_ids);
	tcase_add_test(tc, walk_catches_lengths);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
