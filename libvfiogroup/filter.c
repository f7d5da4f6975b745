/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The classic BPF socket filter that keeps a context from paying for the
 * groups none of its subscribers wants: an EVENT_NTF of the family whose
 * group is not wanted is dropped; everything else -- other families
 * (nlctrl), other commands, anything too short or odd to judge -- is
 * accepted whole.
 *
 * The program returns VG_FILTER_DROP (0) or VG_FILTER_ACCEPT (0xffffffff)
 * and nothing else, never a length in between (no "ret #len", no "ret a").
 * A length would make sk_filter() trim the message to it, and on a
 * netlink socket that trim is not private to us: netlink_broadcast() hands
 * the first listener the multicast skb itself (skb_get(), not a clone, when
 * nobody else holds it) and sk_filter() trims it in place, so every
 * listener served after ours -- other contexts, other processes, tools that
 * do not use this library -- would receive the notification cut short
 * (seen on Linux 6.1).  Accepting with 0xffffffff is safe because
 * pskb_trim() to a length >= skb->len does nothing; dropping only frees our
 * reference.  tests/unit/test-filter.c walks the program to check that
 * every return is one of the two.
 *
 * Dropped events leave gaps in the global sequence numbers that are not
 * losses: with a filter attached the library relies on ENOBUFS alone to
 * learn of lost events (the kernel's overrun, and the module's
 * netlink_set_err() when it cannot build or send one; docs/protocol.md).
 *
 * Relies on (docs/protocol.md): GROUP_ID is the first attribute of an
 * EVENT_NTF.  If it is not, the message is accepted whole, which is merely
 * slower.  Every load is bounds-checked first: a cBPF load past the end
 * ends the program with 0, which here would be a drop.
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

/* Scratch memory slot */
#define M_TMP		0

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
		size_t cap = p->cap ? p->cap * 2 : 64;
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
		size_t cap = p->capja ? p->capja * 2 : 16;
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
 * A = host-order u16 at off.  cBPF loads are big-endian, netlink headers
 * are host order: assemble from bytes.  Clobbers X and M_TMP.
 */
static void load_host_u16(struct prog *p, uint32_t off)
{
	uint32_t hi = p->le ? 1 : 0, lo = p->le ? 0 : 1;

	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, off + hi);
	emit(p, BPF_ALU | BPF_LSH | BPF_K, 0, 0, 8);
	emit(p, BPF_ST, 0, 0, M_TMP);
	emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, off + lo);
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

	/* Room for the headers and a u32 GROUP_ID?  Else accept whole. */
	emit(&p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
	require_k(&p, BPF_JGE, ATTRS_OFF + 8);

	/* Not an EVENT_NTF of our family: accept whole. */
	load_host_u16(&p, TYPE_OFF);
	require_k(&p, BPF_JEQ, family_id);
	emit(&p, BPF_LD | BPF_B | BPF_ABS, 0, 0, CMD_OFF);
	require_k(&p, BPF_JEQ, VFIOGROUP_CMD_EVENT_NTF);

	/* First attribute a whole GROUP_ID?  Else we cannot judge: accept. */
	load_host_u16(&p, ATTRS_OFF + 2);
	emit(&p, BPF_ALU | BPF_AND | BPF_K, 0, 0, NLA_TYPE_BITS);
	require_k(&p, BPF_JEQ, VFIOGROUP_A_GROUP_ID);
	load_host_u16(&p, ATTRS_OFF);
	require_k(&p, BPF_JGE, 8);

	/*
	 * A wanted group: accept whole.  The i-th of n compares jumps over
	 * the n - 1 - i after it and the drop: at most 128, fits jt.
	 */
	emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, ATTRS_OFF + 4);
	for (size_t i = 0; i < n; i++)
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0,
		     as_loaded(ids[i]));

	/* An event of a group nobody here wants. */
	emit(&p, BPF_RET | BPF_K, 0, 0, VG_FILTER_DROP);
	/* ACCEPT: the target of every "ja" above and of the id matches. */
	emit(&p, BPF_RET | BPF_K, 0, 0, VG_FILTER_ACCEPT);

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
