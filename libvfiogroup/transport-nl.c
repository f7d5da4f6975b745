/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real transport: two libnl generic netlink sockets.
 *
 * Why two: the event socket is non-blocking, joined to the multicast
 * groups and filtered; requests on it would interleave replies with
 * notifications.  The request socket is blocking and sees only replies
 * to what it asked, which libnl sequences and parses for us.
 *
 * The event socket is read with recvmsg() directly rather than through
 * libnl, because we need the raw errors (ENOBUFS, ESHUTDOWN), the sender
 * address (only the kernel, nl_pid 0, is believed) and MSG_TRUNC.
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

struct req_state {
	vg_reply_fn fn;
	void *arg;
	int err;
	bool dump;
	bool done;
	bool intr;
};

static int on_msg_in(struct nl_msg *msg, void *arg)
{
	(void)arg;
	/* Only the kernel answers requests. */
	return nlmsg_get_src(msg)->nl_pid ? NL_SKIP : NL_OK;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int r;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		st->intr = true;
	r = st->fn(nlh, nlh->nlmsg_len, st->arg);
	if (r < 0) {
		st->err = r;
		return NL_STOP;
	}
	if (!st->dump) {	/* a do has exactly one reply */
		st->done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_state *st = arg;

	(void)nla;
	st->err = e->error < 0 ? e->error : -EIO;
	return NL_STOP;
}

static int on_done(struct nl_msg *msg, void *arg)
{
	struct req_state *st = arg;

	(void)msg;
	st->done = true;
	return NL_STOP;
}

/*
 * Auto-ack is off on the request socket: a do ends with its one reply or
 * an error, a dump with NLMSG_DONE.  (An ack after a dump's DONE would be
 * left in the socket and break the next request's sequence check.)
 */
static int do_request(struct nl_sock *sk, struct nl_msg *msg, bool dump,
		      vg_reply_fn fn, void *arg)
{
	struct req_state st = { .fn = fn, .arg = arg, .dump = dump };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int r;

	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, on_msg_in, &st);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &st);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_done, &st);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &st);

	r = nl_send_auto(sk, msg);
	if (r < 0) {
		nl_cb_put(cb);
		return nlerr_to_errno(r);
	}
	/* Until the one reply (do) or NLMSG_DONE (dump), or an error. */
	while (!st.done && !st.err) {
		r = nl_recvmsgs(sk, cb);
		if (r < 0 && !st.err)
			st.err = nlerr_to_errno(r);
	}
	nl_cb_put(cb);
	if (!st.err && st.intr)
		st.err = -EINTR;	/* the dump saw changes: redo */
	/*
	 * netlink refuses to start a dump of a family whose module is going
	 * away (try_module_get() fails: EPROTONOSUPPORT); to us that family
	 * is as good as gone.
	 */
	if (dump && st.err == -EPROTONOSUPPORT)
		st.err = -ENOENT;
	return st.err;
}

/* ------------------------------------------------------------------ */

static int t_watch_ctrl(struct vg_transport *t)
{
	int grp = genl_ctrl_resolve_grp(T(t)->req, "nlctrl", "notify");

	if (grp < 0)
		return nlerr_to_errno(grp);
	return nlerr_to_errno(nl_socket_add_membership(T(t)->ev, grp));
}

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
	r = do_request(T(t)->req, msg, false, on_family, &fr);
	nlmsg_free(msg);
	if (!r && !fr.has_grp)
		r = -EPROTONOSUPPORT;	/* family without our group */
	if (r)
		memset(fam, 0, sizeof(*fam));
	return r;
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
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do
		n = recvmsg(nl_socket_get_fd(T(t)->ev), &mh, MSG_DONTWAIT);
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
	r = do_request(T(t)->req, msg, !!flags, fn, arg);
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
	free(t);
	return r;
}
