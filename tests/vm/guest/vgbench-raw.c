// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench's raw genetlink side: what a client without the library does
 * (libnl to resolve and to ask, plain recv() on the events socket so that
 * the bench measures the kernel's delivery, not libnl's callbacks).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/vfiogroup.h>

#include "vgbench.h"

static int resolved_family = -1, resolved_mcgrp = -1;

int raw_resolve(int *family, int *mcgrp)
{
	struct nl_sock *sk;

	if (resolved_family < 0) {
		sk = nl_socket_alloc();
		if (!sk)
			return -ENOMEM;
		if (genl_connect(sk) < 0) {
			nl_socket_free(sk);
			return -EIO;
		}
		resolved_family = genl_ctrl_resolve(sk, VFIOGROUP_FAMILY_NAME);
		if (resolved_family >= 0)
			resolved_mcgrp = genl_ctrl_resolve_grp(sk, VFIOGROUP_FAMILY_NAME,
							       VFIOGROUP_MCGRP_EVENTS);
		nl_socket_free(sk);
		if (resolved_family < 0 || resolved_mcgrp < 0) {
			resolved_family = -1;
			return -ENOENT;
		}
	}
	*family = resolved_family;
	*mcgrp = resolved_mcgrp;
	return 0;
}

int raw_open(struct raw_sock *r, int rcvbuf)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int err;

	memset(r, 0, sizeof(*r));
	err = raw_resolve(&r->family, &r->mcgrp);
	if (err)
		return err;
	r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (r->fd < 0)
		return -errno;
	/* FORCE passes rmem_max as root; the plain one is the fallback. */
	if (rcvbuf > 0 &&
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(r->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &r->mcgrp,
		       sizeof(r->mcgrp)) < 0) {
		err = -errno;
		close(r->fd);
		r->fd = -1;
		return err;
	}
	return 0;
}

void raw_close(struct raw_sock *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* The event of one notification; false if it is not one. */
static bool parse_event(struct nlmsghdr *nlh, struct raw_ev *ev)
{
	struct nlattr *tb[VFIOGROUP_A_MAX + 1], *et[VFIOGROUP_A_EVENT_MAX + 1];
	struct genlmsghdr *gh = nlmsg_data(nlh);

	if (gh->cmd != VFIOGROUP_CMD_EVENT_NTF ||
	    genlmsg_parse(nlh, 0, tb, VFIOGROUP_A_MAX, NULL) < 0 ||
	    !tb[VFIOGROUP_A_GROUP_ID] || !tb[VFIOGROUP_A_GROUP_EVENT] ||
	    nla_parse_nested(et, VFIOGROUP_A_EVENT_MAX, tb[VFIOGROUP_A_GROUP_EVENT], NULL) < 0 ||
	    !et[VFIOGROUP_A_EVENT_KIND] || !et[VFIOGROUP_A_EVENT_SEQ])
		return false;
	ev->group = nla_get_u32(tb[VFIOGROUP_A_GROUP_ID]);
	ev->kind = nla_get_u32(et[VFIOGROUP_A_EVENT_KIND]);
	ev->seq = nla_get_u64(et[VFIOGROUP_A_EVENT_SEQ]);
	ev->dev[0] = 0;
	if (et[VFIOGROUP_A_EVENT_DEV_NAME])
		nla_strlcpy(ev->dev, et[VFIOGROUP_A_EVENT_DEV_NAME], sizeof(ev->dev));
	return true;
}

/* Big enough for a burst of notifications in one datagram each. */
static _Thread_local unsigned char rx[64 * 1024];

int raw_read(struct raw_sock *r, int timeout_ms,
	     void (*fn)(const struct raw_ev *ev, void *arg), void *arg)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int got = 0, p;

	p = poll(&pfd, 1, timeout_ms);
	if (p < 0)
		return errno == EINTR ? 0 : -errno;
	if (p == 0)
		return 0;
	for (;;) {
		ssize_t n = recv(r->fd, rx, sizeof(rx), MSG_DONTWAIT);
		struct nlmsghdr *nlh;
		int len;

		if (n < 0) {
			if (errno == ENOBUFS) {
				r->enobufs++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				return got;
			return -errno;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rx; NLMSG_OK(nlh, (unsigned int)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			struct raw_ev ev;

			if (nlh->nlmsg_type != r->family || !parse_event(nlh, &ev))
				continue;
			if (r->last_seq && ev.seq > r->last_seq + 1)
				r->gaps += ev.seq - r->last_seq - 1;
			r->last_seq = ev.seq;
			r->events++;
			got++;
			if (fn)
				fn(&ev, arg);
		}
	}
}

/* --- requests, through libnl */

static int count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	++*(int *)arg;
	return NL_OK;
}

static int info_seq(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VFIOGROUP_A_INFO_MAX, NULL) == 0 &&
	    tb[VFIOGROUP_A_INFO_SEQ])
		*(uint64_t *)arg = nla_get_u64(tb[VFIOGROUP_A_INFO_SEQ]);
	return NL_OK;
}

static int ask(uint8_t cmd, int flags, nl_recvmsg_msg_cb_t cb, void *arg)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int family, mcgrp, err;

	if (!sk)
		return -ENOMEM;
	err = raw_resolve(&family, &mcgrp);
	if (!err && genl_connect(sk) < 0)
		err = -EIO;
	if (!err) {
		/* A dump of hundreds of groups comes in big batches. */
		nl_socket_set_buffer_size(sk, 0, 0);
		nl_socket_set_msg_buf_size(sk, 64 * 1024);
		msg = nlmsg_alloc();
		if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags,
					 cmd, VFIOGROUP_FAMILY_VERSION))
			err = -ENOMEM;
	}
	if (!err && nl_send_auto(sk, msg) < 0)
		err = -EIO;
	if (!err) {
		nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
		if (nl_recvmsgs_default(sk) < 0)
			err = -EIO;
	}
	nlmsg_free(msg);
	nl_socket_free(sk);
	return err;
}

int raw_module_seq(uint64_t *seq)
{
	*seq = 0;
	return ask(VFIOGROUP_CMD_INFO_GET, 0, info_seq, seq);
}

int raw_dump_groups(void)
{
	int n = 0, err = ask(VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP, count_msg, &n);

	return err ? err : n;
}
