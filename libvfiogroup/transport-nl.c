/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real transport: two libnl generic netlink sockets.
 *
 * Why two: the event socket is non-blocking, joined to the multicast
 * groups and filtered; requests on it would interleave replies with
 * notifications.  The request socket is blocking and sees only replies
 * to what it asked.
 *
 * Both are read with recvmsg() directly rather than through libnl: the
 * event socket because we need the raw errors (ENOBUFS, ESHUTDOWN), the
 * sender address (only the kernel, nl_pid 0, is believed) and MSG_TRUNC;
 * the request socket for speed (do_request()).  libnl builds and sends.
 *
 * The kernel filter (filter.c) is attached to the event socket.  It only
 * ever drops a message or accepts it whole: netlink_broadcast() may hand
 * every listener the very same skb, so a filter that returned a length
 * would cut the message short for the other listeners too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "internal.h"

/* Room for bursts; the kernel caps it at net.core.rmem_max. */
#define EVENT_RCVBUF	(1024 * 1024)

struct nl_transport {
	struct vg_transport base;
	struct nl_sock *ev;
	struct nl_sock *req;
	void *rxbuf;		/* REQ_BUFSIZE, for replies */
};

#define T(t) ((struct nl_transport *)(t))

/* libnl reports its own error codes; the API promises errnos. */
static int nlerr_to_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case 0:				return 0;
	case NLE_NOMEM:			return -ENOMEM;
	case NLE_OBJ_NOTFOUND:		return -ENOENT;
	case NLE_PERM:			return -EPERM;
	case NLE_NOACCESS:		return -EACCES;
	case NLE_AGAIN:			return -EAGAIN;
	case NLE_INTR:			return -EINTR;
	case NLE_BUSY:			return -EBUSY;
	case NLE_INVAL:			return -EINVAL;
	case NLE_RANGE:			return -ERANGE;
	case NLE_MSGSIZE:		return -EMSGSIZE;
	case NLE_OPNOTSUPP:		return -EOPNOTSUPP;
	case NLE_PROTO_MISMATCH:	return -EPROTONOSUPPORT;
	case NLE_NOADDR:		return -EADDRNOTAVAIL;
	case NLE_BAD_SOCK:		return -EBADF;
	case NLE_AF_NOSUPPORT:		return -EAFNOSUPPORT;
	case NLE_MSG_TRUNC:		return -EMSGSIZE;
	case NLE_DUMP_INTR:		return -EINTR;
	default:			return -EIO;
	}
}

/* ------------------------------------------------------------------ */
/* One request, its replies handed to fn                              */
/* ------------------------------------------------------------------ */

/*
 * Replies are read with one recvmsg() each into the transport's buffer
 * and walked in place.  libnl's nl_recvmsgs() peeks before every read
 * (two system calls a datagram, with 16 KiB in libnl 3.7) and copies
 * every message into an nl_msg of its own.  The kernel sizes dump parts
 * to the largest read it has seen, up to nearly 32 KiB: this buffer gets
 * parts of that size, and a group-get reply may be as big as an event.
 */
#define REQ_BUFSIZE	(64 * 1024)

/*
 * One datagram of fd into buf: its length, -EPERM when not from the
 * kernel (nl_pid 0), -EMSGSIZE when cut short, or another negative errno.
 */
static long recv_from_kernel(int fd, void *buf, size_t cap, int flags)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(fd, &mh, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (mh.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK ||
	    from.nl_pid != 0)
		return -EPERM;
	return (long)n;
}

/* One datagram of replies (only the kernel answers requests). */
static long recv_replies(struct nl_transport *t)
{
	long n;

	do
		n = recv_from_kernel(nl_socket_get_fd(t->req), t->rxbuf,
				     REQ_BUFSIZE, 0);
	while (n == -EPERM);
	return n;
}

/* The errno a message that ends a request carries (0: a clean end). */
static int end_error(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	int done;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:	/* error 0 is an ack; only a do may end so */
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		return e->error;
	case NLMSG_DONE:	/* a dump the kernel ended in error says so */
		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(done)))
			return 0;
		memcpy(&done, NLMSG_DATA(nlh), sizeof(done));
		return done < 0 ? done : 0;
	default:		/* NLMSG_OVERRUN */
		return -EOVERFLOW;
	}
}

/*
 * Auto-ack is off on the request socket: a do ends with its one reply or
 * an error, a dump with NLMSG_DONE.  Messages of another sequence number
 * answer an earlier request given up halfway and are skipped.  Once fn
 * fails, a dump is still read to its end without it, so that the kernel
 * finishes it and the socket is left empty for the next request.
 */
static int do_request(struct nl_transport *t, struct nl_msg *msg, bool dump,
		      vg_reply_fn fn, void *arg)
{
	bool intr = false, done = false;
	uint32_t seq;
	int err = 0, r;

	r = nl_send_auto(t->req, msg);
	if (r < 0)
		return nlerr_to_errno(r);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	while (!done) {
		long n = recv_replies(t);
		int len = (int)n;
		struct nlmsghdr *nlh;

		if (n < 0)
			return err ? err : (int)n;
		for (nlh = t->rxbuf; !done && NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_OVERRUN) {
				r = end_error(nlh);
				err = err ? err : r;
				done = true;
			} else if (!err) {
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					intr = true;
				err = fn(nlh, nlh->nlmsg_len, arg);
				err = err < 0 ? err : 0;
				done = !dump;	/* a do has exactly one reply */
			}
		}
	}
	if (!err && intr)
		err = -EINTR;	/* the dump saw changes: redo */
	/*
	 * netlink refuses to start a dump of a family whose module is going
	 * away (try_module_get() fails: EPROTONOSUPPORT); to us that family
	 * is as good as gone.
	 */
	if (dump && err == -EPROTONOSUPPORT)
		err = -ENOENT;
	return err;
}

/* ------------------------------------------------------------------ */

struct family_reply {
	const char *grp_name;
	struct vg_family *fam;
	bool has_grp;
};

/* Is @grp (one CTRL_ATTR_MCAST_GROUPS entry) the group asked for? */
static void on_mcast_group(struct nlattr *grp, struct family_reply *fr)
{
	static struct nla_policy pol[CTRL_ATTR_MCAST_GRP_MAX + 1] = {
		[CTRL_ATTR_MCAST_GRP_NAME] = { .type = NLA_STRING },
		[CTRL_ATTR_MCAST_GRP_ID] = { .type = NLA_U32 },
	};
	struct nlattr *tb[CTRL_ATTR_MCAST_GRP_MAX + 1];

	if (nla_parse_nested(tb, CTRL_ATTR_MCAST_GRP_MAX, grp, pol) < 0 ||
	    !tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_MCAST_GRP_NAME]), fr->grp_name))
		return;
	fr->fam->events_grp = nla_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	fr->has_grp = true;
}

static int on_family(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	static struct nla_policy pol[CTRL_ATTR_MAX + 1] = {
		[CTRL_ATTR_FAMILY_ID] = { .type = NLA_U16 },
		[CTRL_ATTR_VERSION] = { .type = NLA_U32 },
		[CTRL_ATTR_MCAST_GROUPS] = { .type = NLA_NESTED },
	};
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct family_reply *fr = arg;
	struct nlattr *grp;
	int rem;

	if (avail < NLMSG_HDRLEN + GENL_HDRLEN ||
	    genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX, pol) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_VERSION])
		return -EBADMSG;
	fr->fam->id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	fr->fam->version = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem)
			on_mcast_group(grp, fr);
	return 0;
}

/*
 * One CTRL_CMD_GETFAMILY gives the id, the version and the multicast
 * groups from one moment: asked in three requests (genl_ctrl_resolve(),
 * genl_ctrl_resolve_grp(), the version), a family unloaded in between
 * looked like a family without our group ("unsupported version") rather
 * than the absent module it is.
 */
int vg_nl_resolve(struct vg_transport *t, const char *family,
		  const char *grp_name, struct vg_family *fam)
{
	struct family_reply fr = { .grp_name = grp_name, .fam = fam };
	struct nl_msg *msg;
	int r;

	memset(fam, 0, sizeof(*fam));
	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, family)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = do_request(T(t), msg, false, on_family, &fr);
	nlmsg_free(msg);
	if (!r && !fr.has_grp)
		r = -EPROTONOSUPPORT;	/* family without our group */
	if (r)
		memset(fam, 0, sizeof(*fam));
	return r;
}

static int t_watch_ctrl(struct vg_transport *t)
{
	struct vg_family ctrl;
	int r = vg_nl_resolve(t, "nlctrl", "notify", &ctrl);

	if (r)
		return r;
	return nlerr_to_errno(nl_socket_add_membership(T(t)->ev,
						       (int)ctrl.events_grp));
}

static int t_resolve(struct vg_transport *t, struct vg_family *fam)
{
	return vg_nl_resolve(t, VFIOGROUP_FAMILY_NAME, VFIOGROUP_MCGRP_EVENTS,
			     fam);
}

static int t_join(struct vg_transport *t, uint32_t old_grp, uint32_t grp)
{
	/* The old group may be gone with its family: ignore failures. */
	if (old_grp)
		nl_socket_drop_membership(T(t)->ev, (int)old_grp);
	return nlerr_to_errno(nl_socket_add_membership(T(t)->ev, (int)grp));
}

static long t_recv(struct vg_transport *t, void *buf, size_t cap)
{
	return recv_from_kernel(nl_socket_get_fd(T(t)->ev), buf, cap,
				MSG_DONTWAIT);
}

static int t_request(struct vg_transport *t, const struct vg_family *fam,
		     const struct vg_request *req, vg_reply_fn fn, void *arg)
{
	int flags = req->kind == VG_REQ_DUMP ? NLM_F_DUMP : 0;
	uint8_t cmd = req->kind == VG_REQ_INFO ? VFIOGROUP_CMD_INFO_GET
					       : VFIOGROUP_CMD_GROUP_GET;
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam->id, 0, flags, cmd,
			 VFIOGROUP_FAMILY_VERSION) ||
	    (req->kind == VG_REQ_GROUP_BY_ID &&
	     nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, req->group_id)) ||
	    (req->kind == VG_REQ_GROUP_BY_DEV &&
	     nla_put_string(msg, VFIOGROUP_A_GROUP_DEV_NAME, req->dev_name))) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	/* -EINTR for a dump the kernel flagged inconsistent: caller redoes */
	r = do_request(T(t), msg, !!flags, fn, arg);
	nlmsg_free(msg);
	return r;
}

static int t_set_filter(struct vg_transport *t, const struct sock_fprog *prog)
{
	int fd = nl_socket_get_fd(T(t)->ev), dummy = 0;

	if (prog)
		return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog,
				  sizeof(*prog)) ? -errno : 0;
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy, sizeof(dummy)) &&
	    errno != ENOENT)
		return -errno;
	return 0;
}

static int t_fd(struct vg_transport *t)
{
	return nl_socket_get_fd(T(t)->ev);
}

static void t_destroy(struct vg_transport *t)
{
	nl_socket_free(T(t)->ev);
	nl_socket_free(T(t)->req);
	free(T(t)->rxbuf);
	free(t);
}

static const struct vg_transport_ops nl_ops = {
	.watch_ctrl = t_watch_ctrl,
	.resolve = t_resolve,
	.join = t_join,
	.recv = t_recv,
	.request = t_request,
	.set_filter = t_set_filter,
	.fd = t_fd,
	.destroy = t_destroy,
};

static struct nl_sock *open_sock(int *err)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (!sk) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = nlerr_to_errno(genl_connect(sk));
	if (*err) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int vg_transport_nl_new(struct vg_transport **out, char *err, size_t errlen)
{
	struct nl_transport *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->base.ops = &nl_ops;
	t->rxbuf = malloc(REQ_BUFSIZE);
	if (!t->rxbuf) {
		free(t);
		return -ENOMEM;
	}
	t->ev = open_sock(&r);
	if (t->ev)
		t->req = open_sock(&r);
	if (!r) {
		/* Notifications are not replies: no sequence to check. */
		nl_socket_disable_seq_check(t->ev);
		nl_socket_disable_auto_ack(t->req);
		r = nlerr_to_errno(nl_socket_set_nonblocking(t->ev));
	}
	if (!r) {
		nl_socket_set_buffer_size(t->ev, EVENT_RCVBUF, 0);
		*out = &t->base;
		return 0;
	}
	snprintf(err, errlen, "vfiogroup: cannot open a generic netlink "
		 "socket: %s", vfiogroup_strerror(r));
	if (t->ev)
		nl_socket_free(t->ev);
	if (t->req)
		nl_socket_free(t->req);
	free(t->rxbuf);
	free(t);
	return r;
}
