/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF socket filter that keeps a context from paying for the
 * groups none of its subscribers wants.
 *
 * Why truncate instead of drop: event sequence numbers are global, so a
 * dropped event would look exactly like a lost one and force a resync.
 * An unwanted EVENT_NTF is therefore cut right after its GROUP_EVENT nest:
 * the library still sees the seq (gap detection stays exact) but not the
 * device nests.  Everything else -- other families (nlctrl), other
 * commands, anything too short or odd to judge -- is accepted whole.
 *
 * Relies on (documented in docs/libvfiogroup.md): GROUP_ID is the first
 * attribute of an EVENT_NTF, and GROUP_EVENT is among the first
 * VG_FILTER_MAX_ATTRS attributes; if it is not, the message is accepted
 * whole, which is merely slower.
 *
 * cBPF has no backward jumps, so the attribute walk is unrolled.  Every
 * conditional jump only skips the next instruction (or a short fixed
 * block); long jumps are "ja", whose 32-bit offset cannot overflow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "internal.h"

#define ATTRS_OFF	(NLMSG_HDRLEN + GENL_HDRLEN)	/* 20 */
#define CMD_OFF		NLMSG_HDRLEN			/* genlmsghdr.cmd */
#define TYPE_OFF	4				/* nlmsghdr.nlmsg_type */
#define NLA_TYPE_BITS	0x3fff		/* ~(NLA_F_NESTED|NLA_F_NET_BYTEORDER) */
#define ACCEPT_ALL	0xffffffffu

/* Scratch memory slots */
#define M_OFF		0	/* offset of the current attribute */
#define M_LEN		1	/* its nla_len */
#define M_TMP		2

struct prog {
	struct sock_filter *insn;
	size_t n, cap;
	size_t *ja_accept;	/* indexes of "ja ACCEPT" to fix up */
	size_t nja, capja;
	bool oom;
	bool le;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf,
		 uint32_t k)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct sock_filter *n = realloc(p->insn, cap * sizeof(*n));

		if (!n) {
			p->oom = true;
			return;
		}
		p->insn = n;
		p->cap = cap;
	}
	p->insn[p->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void ja_accept(struct prog *p)
{
	if (p->nja == p->capja) {
		size_t cap = p->capja ? p->capja * 2 : 64;
		size_t *n = realloc(p->ja_accept, cap * sizeof(*n));

		if (!n) {
			p->oom = true;
			return;
		}
		p->ja_accept = n;
		p->capja = cap;
	}
	p->ja_accept[p->nja++] = p->n;
	emit(p, BPF_JMP | BPF_JA, 0, 0, 0);
}

/* "if !(A cond k) accept whole" */
static void require_k(struct prog *p, uint16_t cond, uint32_t k)
{
	emit(p, BPF_JMP | cond | BPF_K, 1, 0, k);
	ja_accept(p);
}

/*
 * A = host-order u16 at X + off (ind) or at off (abs).  cBPF loads are
 * big-endian, netlink headers are host order: assemble from bytes.
 * Clobbers X and M_TMP.
 */
static void load_host_u16(struct prog *p, bool ind, uint32_t off)
{
	uint16_t mode = ind ? BPF_IND : BPF_ABS;
	uint32_t hi = p->le ? 1 : 0, lo = p->le ? 0 : 1;

	emit(p, BPF_LD | BPF_B | mode, 0, 0, off + hi);
	emit(p, BPF_ALU | BPF_LSH | BPF_K, 0, 0, 8);
	emit(p, BPF_ST, 0, 0, M_TMP);
	emit(p, BPF_LD | BPF_B | mode, 0, 0, off + lo);
	emit(p, BPF_LDX | BPF_MEM, 0, 0, M_TMP);
	emit(p, BPF_ALU | BPF_OR | BPF_X, 0, 0, 0);
}

/* The u32 as "ld [k]" sees the host's bytes of v. */
static uint32_t as_loaded(uint32_t v)
{
	uint8_t b[4];

	memcpy(b, &v, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

int vg_filter_build(uint16_t family_id, const uint32_t *ids, size_t n,
		    struct sock_fprog *prog)
{
	const uint16_t one = 1;
	struct prog p = { .le = *(const uint8_t *)&one == 1 };

	if (n > VG_FILTER_MAX_GROUPS)
		return -E2BIG;

	/* Not an EVENT_NTF of our family: accept whole. */
	emit(&p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	require_k(&p, BPF_JGE, ATTRS_OFF + 8);	/* room for GROUP_ID */
	load_host_u16(&p, false, TYPE_OFF);
	require_k(&p, BPF_JEQ, family_id);
	emit(&p, BPF_LD | BPF_B | BPF_ABS, 0, 0, CMD_OFF);
	require_k(&p, BPF_JEQ, VFIOGROUP_CMD_EVENT_NTF);

	/* First attribute a whole GROUP_ID? Else we cannot judge: accept. */
	load_host_u16(&p, false, ATTRS_OFF + 2);
	emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, NLA_TYPE_BITS);
	require_k(&p, BPF_JEQ, VFIOGROUP_A_GROUP_ID);
	load_host_u16(&p, false, ATTRS_OFF);
	require_k(&p, BPF_JGE, 8);

	/* Wanted group: accept whole. */
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ATTRS_OFF + 4);
	for (size_t i = 0; i < n; i++) {
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, as_loaded(ids[i]));
		ja_accept(&p);
	}

	/* Unwanted: find GROUP_EVENT and cut right after it. */
	emit(&p, BPF_LD | BPF_IMM, 0, 0, ATTRS_OFF);
	emit(&p, BPF_ST, 0, 0, M_OFF);
	for (int i = 0; i < VG_FILTER_MAX_ATTRS; i++) {
		/* off + 4 <= len, or the walk is over: accept whole */
		emit(&p, BPF_LD | BPF_MEM, 0, 0, M_OFF);
		emit(&p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, 4);
		emit(&p, BPF_MISC | BPF_TAX, 0, 0, 0);
		emit(&p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
		emit(&p, BPF_JMP | BPF_JGE | BPF_X, 1, 0, 0);
		ja_accept(&p);

		/* nla_len >= 4, or the message is odd: accept whole */
		emit(&p, BPF_LDX | BPF_MEM, 0, 0, M_OFF);
		load_host_u16(&p, true, 0);
		require_k(&p, BPF_JGE, 4);
		emit(&p, BPF_ST, 0, 0, M_LEN);

		/* GROUP_EVENT: return off + nla_len */
		emit(&p, BPF_LDX | BPF_MEM, 0, 0, M_OFF);
		load_host_u16(&p, true, 2);
		emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, NLA_TYPE_BITS);
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 4,
		     VFIOGROUP_A_GROUP_EVENT);
		emit(&p, BPF_LD | BPF_MEM, 0, 0, M_OFF);
		emit(&p, BPF_LDX | BPF_MEM, 0, 0, M_LEN);
		emit(&p, BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0);
		emit(&p, BPF_RET | BPF_A, 0, 0, 0);

		/* off += NLA_ALIGN(nla_len) */
		emit(&p, BPF_LD | BPF_MEM, 0, 0, M_LEN);
		emit(&p, BPF_ALU | BPF_ADD | BPF_K, 0, 0, 3);
		emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, ~3u);
		emit(&p, BPF_LDX | BPF_MEM, 0, 0, M_OFF);
		emit(&p, BPF_ALU | BPF_ADD | BPF_X, 0, 0, 0);
		emit(&p, BPF_ST, 0, 0, M_OFF);
	}

	/* ACCEPT: the target of every "ja" above. */
	emit(&p, BPF_RET | BPF_K, 0, 0, ACCEPT_ALL);

	if (p.oom || p.n > BPF_MAXINSNS) {
		free(p.insn);
		free(p.ja_accept);
		return p.oom ? -ENOMEM : -E2BIG;
	}
	for (size_t i = 0; i < p.nja; i++) {
		size_t at = p.ja_accept[i];

		p.insn[at].k = (uint32_t)(p.n - 1 - (at + 1));
	}
	free(p.ja_accept);
	prog->filter = p.insn;
	prog->len = (unsigned short)p.n;
	return 0;
}
