// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe's requests: the socket to the family (conn_open), and one request
 * sent and its answer read by hand (transact), so that a recv()'s exact
 * errno and the extended ACK's TLVs are seen, not libnl's view of them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/vfiogroup.h>

#include "errname.h"
#include "fail-nth.h"
#include "vgprobe.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

unsigned char rxbuf[RX_BUF_SIZE];
int req_timeout_ms = 10000;

int conn_open(struct conn *c, bool need_mcgrp)
{
	const char *fam;
	int one = 1, err;

	memset(c, 0, sizeof(*c));
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		fprintf(stderr, "vgprobe: nl_socket_alloc failed\n");
		return EXIT_USAGE;
	}
	err = genl_connect(c->sk);
	if (err < 0) {
		fprintf(stderr, "vgprobe: genl_connect: %s\n", nl_geterror(err));
		printf("error=%s\n", errname(errno ? errno : EIO));
		return EXIT_USAGE;
	}
	c->fd = nl_socket_get_fd(c->sk);
	/* VGPROBE_FAMILY: test the probe itself against another family. */
	fam = getenv("VGPROBE_FAMILY");
	if (!fam || !*fam)
		fam = VFIOGROUP_FAMILY_NAME;
	c->fam = fam;
	c->family = genl_ctrl_resolve(c->sk, fam);
	if (c->family < 0) {
		fprintf(stderr, "vgprobe: family %s: %s\n", fam, nl_geterror(c->family));
		printf("error=family-not-found\n");
		return EXIT_NOFAMILY;
	}
	if (need_mcgrp) {
		const char *grp = getenv("VGPROBE_MCGRP");

		if (!grp || !*grp)
			grp = VFIOGROUP_MCGRP_EVENTS;
		c->grp = grp;
		c->mcgrp = genl_ctrl_resolve_grp(c->sk, fam, grp);
		if (c->mcgrp < 0) {
			fprintf(stderr, "vgprobe: mcast group %s: %s\n", grp,
				nl_geterror(c->mcgrp));
			printf("error=mcgrp-not-found\n");
			return EXIT_NOFAMILY;
		}
	}
	/* Ask for extended ACKs (error messages) and keep ACKs short. */
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		fprintf(stderr, "vgprobe: NETLINK_EXT_ACK: %s\n", strerror(errno));
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		fprintf(stderr, "vgprobe: NETLINK_CAP_ACK: %s\n", strerror(errno));
	return EXIT_OK;
}

void conn_close(struct conn *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

/* The extended ACK's TLVs after the echoed request (skip bytes of it). */
static void parse_extack(const struct nlmsghdr *nlh, size_t skip, struct result *r)
{
	const unsigned char *p, *end;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p = (const unsigned char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(skip);
	end = (const unsigned char *)nlh + nlh->nlmsg_len;
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		const unsigned char *d = p + NLA_HDRLEN;
		size_t dlen;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) {
			note_malformed("extack-tlv", a->nla_type);
			return;
		}
		dlen = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			if (dlen > 0) {
				size_t n = strnlen((const char *)d, dlen);

				if (n >= sizeof(r->extack))
					n = sizeof(r->extack) - 1;
				memcpy(r->extack, d, n);
				r->extack[n] = '\0';
			}
			break;
		case NLMSGERR_ATTR_OFFS:
			if (dlen == 4) {
				memcpy(&r->offs, d, 4);
				r->has_offs = true;
			}
			break;
#ifdef NLMSGERR_ATTR_MISS_TYPE
		case NLMSGERR_ATTR_MISS_TYPE:
			if (dlen == 4) {
				memcpy(&r->miss_type, d, 4);
				r->has_miss = true;
			}
			break;
#endif
		default:
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * A recv() that "succeeds" without a netlink message in the buffer.  Seen
 * when a kernel sets a socket error with the wrong sign (netlink_set_err()
 * wants a negative code): recv() then returns the errno value as a length.
 */
bool bogus_recv(ssize_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rxbuf;

	if (n >= (ssize_t)NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	    nlh->nlmsg_len <= (size_t)n)
		return false;
	printf("error=EBADMSG recv=%zd\n", n);
	fprintf(stderr, "vgprobe: recv returned %zd without a netlink message "
		"(%s as a positive socket error?)\n", n, errname((int)n));
	return true;
}

/*
 * Send msg and read the answer: data messages go to cb, the request ends at
 * NLMSG_ERROR (ack or error) or NLMSG_DONE.  Returns an EXIT_* code for
 * local failures, EXIT_OK otherwise (kernel errors are in r->error).
 */
static int transact_once(struct conn *c, struct nl_msg *msg, msg_cb cb,
			 void *arg, struct result *r)
{
	uint32_t seq;
	int err;

	memset(r, 0, sizeof(*r));
	err = nl_send_auto(c->sk, msg);
	if (err < 0) {
		/* The kernel refused the request itself (ENOMEM, ENOBUFS). */
		fprintf(stderr, "vgprobe: send: %s\n", nl_geterror(err));
		printf("error=%s\n", errname(errno ? errno : EIO));
		return EXIT_RECV;
	}
	seq = nlmsg_hdr(msg)->nlmsg_seq;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		err = poll(&pfd, 1, req_timeout_ms);
		if (err < 0 && errno == EINTR)
			continue;
		if (err < 0) {
			fprintf(stderr, "vgprobe: poll: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
		if (err == 0) {
			printf("error=ETIMEDOUT\n");
			fprintf(stderr, "vgprobe: no answer within %d ms\n", req_timeout_ms);
			return EXIT_USAGE;
		}
		memset(rxbuf, 0, NLMSG_HDRLEN);
		n = recv(c->fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			printf("error=%s\n", errname(errno));
			return EXIT_RECV;
		}
		if (bogus_recv(n))
			return EXIT_RECV;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (unsigned int)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* stray answer to an older request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				size_t skip = sizeof(*e);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					note_malformed("short-nlmsgerr", 0);
					return EXIT_MALFORMED;
				}
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				r->error = -e->error;
				parse_extack(nlh, skip, r);
				return EXIT_OK;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int derr;

					memcpy(&derr, NLMSG_DATA(nlh), sizeof(derr));
					r->error = -derr;
					parse_extack(nlh, sizeof(int), r);
				}
				return EXIT_OK;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP || nlh->nlmsg_type == NLMSG_OVERRUN)
				continue;
			if (nlh->nlmsg_type != c->family) {
				note_malformed("unexpected-nlmsg-type", nlh->nlmsg_type);
				continue;
			}
			r->nmsgs++;
			if (cb)
				cb(nlh, arg);
		}
		if (len > 0)
			note_malformed("trailing-bytes", len);
	}
}

/* Armed for exactly the request: its send and every recv of its answer. */
int transact(struct conn *c, struct nl_msg *msg, msg_cb cb, void *arg,
	     struct result *r)
{
	int rc;

	fault_arm();
	rc = transact_once(c, msg, cb, arg, r);
	fault_disarm();
	return rc;
}

void print_kernel_error(const struct result *r)
{
	printf("errno=%s extack=%s\n", errname(r->error), r->extack);
	if (r->has_offs)
		printf("extack-offs=%" PRIu32 "\n", r->offs);
	if (r->has_miss)
		printf("extack-miss-type=%" PRIu32 "\n", r->miss_type);
}

struct nl_msg *new_req(struct conn *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg) {
		fprintf(stderr, "vgprobe: nlmsg_alloc failed\n");
		exit(EXIT_USAGE);
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, flags, cmd,
			 VFIOGROUP_FAMILY_VERSION)) {
		fprintf(stderr, "vgprobe: genlmsg_put failed\n");
		exit(EXIT_USAGE);
	}
	return msg;
}
