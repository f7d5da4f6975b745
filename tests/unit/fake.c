/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake vfiogroup kernel and its transport: see fake.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake.h"

/* VFIO's drivers, as the module tells them up to 6.0. */
static bool fake_vfio(const struct fake_dev *d)
{
	return strstr(d->driver, "vfio") != NULL;
}

struct nl_msg *fake_group_msg(uint16_t family, uint8_t cmd,
			      const struct fake_group *g,
			      const struct vg_event_raw *ev, bool event_early)
{
	struct nl_msg *msg = nlmsg_alloc();
	bool viable = true;

	if (!msg)
		abort();
	genlmsg_put(msg, 0, 0, family, 0, 0, cmd, VFIOGROUP_FAMILY_VERSION);
	for (size_t i = 0; i < g->ndev; i++)
		if (g->dev[i].driver[0] && g->dev[i].blocks)
			viable = false;
	nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, g->id);
	for (int pass = 0; pass < 2; pass++) {
		struct nlattr *nest;

		if (ev && pass == (event_early ? 0 : 1)) {
			nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_EVENT);
			nla_put_u32(msg, VFIOGROUP_A_EVENT_KIND, ev->kind);
			nla_put_u64(msg, VFIOGROUP_A_EVENT_SEQ, ev->seq);
			nla_put_u64(msg, VFIOGROUP_A_EVENT_TIME_NS, ev->time_ns);
			if (ev->has_dev)
				nla_put_string(msg, VFIOGROUP_A_EVENT_DEV_NAME,
					       ev->dev_name);
			if (ev->has_driver)
				nla_put_string(msg, VFIOGROUP_A_EVENT_DRIVER,
					       ev->driver);
			nla_nest_end(msg, nest);
		}
		if (pass)
			break;
		nla_put_u8(msg, VFIOGROUP_A_GROUP_VIABLE, viable);
		nla_put_u64(msg, VFIOGROUP_A_GROUP_SEQ, g->seq);
		nla_put_u8(msg, VFIOGROUP_A_GROUP_READY, g->ready);
		if (!ev && g->in_use >= 0)
			nla_put_u8(msg, VFIOGROUP_A_GROUP_IN_USE, g->in_use);
		for (size_t i = 0; i < g->ndev; i++) {
			const struct fake_dev *d = &g->dev[i];

			nest = nla_nest_start(msg, VFIOGROUP_A_GROUP_DEVICE);
			nla_put_string(msg, VFIOGROUP_A_DEV_NAME, d->name);
			nla_put_string(msg, VFIOGROUP_A_DEV_BUS, "pci");
			if (d->driver[0])
				nla_put_string(msg, VFIOGROUP_A_DEV_DRIVER,
					       d->driver);
			nla_put_u8(msg, VFIOGROUP_A_DEV_VIABLE,
				   !(d->driver[0] && d->blocks));
			nla_put_u16(msg, VFIOGROUP_A_DEV_VENDOR, 0x8086);
			nla_put_u16(msg, VFIOGROUP_A_DEV_DEVICE, 0x100e);
			nla_put_u8(msg, VFIOGROUP_A_DEV_VFIO, fake_vfio(d));
			nla_nest_end(msg, nest);
		}
	}
	return msg;
}

struct nl_msg *fake_ctrl_msg(uint8_t cmd, const char *name, uint16_t id)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		abort();
	genlmsg_put(msg, 0, 0, GENL_ID_CTRL, 0, 0, cmd, 2);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name);
	nla_put_u16(msg, CTRL_ATTR_FAMILY_ID, id);
	return msg;
}

struct fake *fake_new(void)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	if (!fk || socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fk->sv) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fk->probe))
		abort();
	/* A full queue is an overrun, as on netlink, not a blocked test. */
	fcntl(fk->sv[1], F_SETFL, O_NONBLOCK);
	pthread_mutex_init(&fk->lock, NULL);
	fk->present = true;
	fk->family_id = 0x20;
	fk->version = VFIOGROUP_FAMILY_VERSION;
	fk->events_grp = 7;
	fk->events_reach = 1;
	return fk;
}

void fake_free(struct fake *fk)
{
	close(fk->sv[0]);
	close(fk->sv[1]);
	close(fk->probe[0]);
	close(fk->probe[1]);
	pthread_mutex_destroy(&fk->lock);
	free(fk);
}

/*
 * Would the filter attached to sv[0] take it?  Asked of the twin socket
 * that has the same filter, so that what it drops is never taken for a
 * full queue's loss: the kernel runs sk_filter() before it looks at the
 * queue (do_one_broadcast()).  lock held.
 */
static bool filter_accepts(struct fake *fk, const void *buf, size_t len)
{
	char c;

	if (!fk->filtered)
		return true;
	if (send(fk->probe[1], buf, len, MSG_DONTWAIT) < 0)
		abort();
	/* a short read still consumes the datagram */
	return recv(fk->probe[0], &c, sizeof(c), MSG_DONTWAIT) >= 0;
}

/*
 * netlink_broadcast_deliver() queues while the listener's rmem_alloc is
 * not above its rcvbuf.  AF_UNIX ignores sv[0]'s SO_RCVBUF, so we look:
 * what sv[0] holds is charged to sv[1], its only sender (SIOCOUTQ, in
 * truesize like rmem_alloc).  lock held.
 */
static bool room(struct fake *fk)
{
	int queued, rcvbuf;
	socklen_t len = sizeof(rcvbuf);

	if (ioctl(fk->sv[1], SIOCOUTQ, &queued) ||
	    getsockopt(fk->sv[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len))
		abort();
	return queued <= rcvbuf;
}

/*
 * One multicast to the listener, as netlink delivers it: the filter
 * first; nothing while congested; else queued if there is room, or the
 * socket becomes congested and ENOBUFS is reported, only then
 * (netlink_overrun()).  lock held.
 */
static void send_locked(struct fake *fk, const void *buf, size_t len)
{
	if (!filter_accepts(fk, buf, len))
		return;
	if (fk->congested) {
		fk->overruns++;
		fk->silent_drops++;
		return;
	}
	if (room(fk) && send(fk->sv[1], buf, len, MSG_DONTWAIT) >= 0)
		return;
	fk->overruns++;
	fk->congested = true;
	fk->pending_err = -ENOBUFS;
}

void fake_send_raw(struct fake *fk, const void *buf, size_t len)
{
	pthread_mutex_lock(&fk->lock);
	send_locked(fk, buf, len);
	pthread_mutex_unlock(&fk->lock);
}

static void send_msg_locked(struct fake *fk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	send_locked(fk, nlh, nlh->nlmsg_len);
	nlmsg_free(msg);
}

static struct fake_group *find_group(struct fake *fk, uint32_t gid)
{
	for (size_t i = 0; i < fk->ngroups; i++)
		if (fk->groups[i].id == gid)
			return &fk->groups[i];
	return NULL;
}

static bool group_viable(const struct fake_group *g)
{
	for (size_t i = 0; i < g->ndev; i++)
		if (g->dev[i].driver[0] && g->dev[i].blocks)
			return false;
	return true;
}

/* One event: new seq, notification (unless lost or no module). */
static void notify(struct fake *fk, struct fake_group *g, uint32_t kind,
		   const char *dev, const char *driver)
{
	struct vg_event_raw ev = { .kind = kind };

	if (!fk->present)
		return;
	ev.seq = g->seq = ++fk->seq;
	ev.time_ns = ev.seq * 1000;
	if (dev) {
		ev.has_dev = true;
		strcpy(ev.dev_name, dev);
	}
	if (driver && *driver) {
		ev.has_driver = true;
		strcpy(ev.driver, driver);
	}
	if (fk->drop_next > 0) {
		fk->drop_next--;
		fk->dropped++;
		if (fk->drop_enobufs)
			fk->pending_err = -ENOBUFS;
		return;
	}
	send_msg_locked(fk, fake_group_msg(fk->family_id,
					   VFIOGROUP_CMD_EVENT_NTF, g, &ev,
					   fk->event_early));
}

/* The module's readiness rule: viable, and a device registered with VFIO. */
static bool group_ready(const struct fake_group *g)
{
	for (size_t i = 0; i < g->ndev; i++)
		if (fake_vfio(&g->dev[i]))
			return group_viable(g);
	return false;
}

static void after_change(struct fake *fk, struct fake_group *g, bool was)
{
	if (g->ndev && group_viable(g) != was)
		notify(fk, g, VFIOGROUP_EVENT_VIABILITY_CHANGED, NULL, NULL);
	if (g->ndev && group_ready(g) != g->ready) {
		g->ready = !g->ready;
		notify(fk, g, VFIOGROUP_EVENT_READY_CHANGED, NULL, NULL);
	}
	if (!g->ndev) {
		size_t i = (size_t)(g - fk->groups);

		memmove(g, g + 1, (fk->ngroups - i - 1) * sizeof(*g));
		fk->ngroups--;
	}
}

void fake_add_device(struct fake *fk, uint32_t gid, const char *dev,
		     const char *driver, bool blocks)
{
	struct fake_group *g;
	struct fake_dev *d;
	bool was = true;

	pthread_mutex_lock(&fk->lock);
	g = find_group(fk, gid);
	if (!g) {
		size_t i = 0;

		/* Keep them sorted, like the module's list. */
		while (i < fk->ngroups && fk->groups[i].id < gid)
			i++;
		memmove(&fk->groups[i + 1], &fk->groups[i],
			(fk->ngroups - i) * sizeof(*g));
		fk->ngroups++;
		g = &fk->groups[i];
		memset(g, 0, sizeof(*g));
		g->in_use = -1;
		g->id = gid;
	} else {
		was = group_viable(g);
	}
	d = &g->dev[g->ndev++];
	memset(d, 0, sizeof(*d));
	strcpy(d->name, dev);
	notify(fk, g, VFIOGROUP_EVENT_DEVICE_ADDED, dev, NULL);
	if (driver) {
		strcpy(d->driver, driver);
		d->blocks = blocks;
		notify(fk, g, VFIOGROUP_EVENT_DRIVER_BOUND, dev, driver);
	}
	after_change(fk, g, was);
	pthread_mutex_unlock(&fk->lock);
}

static struct fake_dev *find_dev(struct fake_group *g, const char *dev)
{
	for (size_t i = 0; g && i < g->ndev; i++)
		if (!strcmp(g->dev[i].name, dev))
			return &g->dev[i];
	abort();	/* a test bug */
}

void fake_remove_device(struct fake *fk, uint32_t gid, const char *dev)
{
	struct fake_group *g;
	struct fake_dev *d;
	bool was;

	pthread_mutex_lock(&fk->lock);
	g = find_group(fk, gid);
	d = find_dev(g, dev);
	was = group_viable(g);
	if (d->driver[0]) {
		char drv[VFIOGROUP_NAME_MAX];

		strcpy(drv, d->driver);
		d->driver[0] = 0;
		notify(fk, g, VFIOGROUP_EVENT_DRIVER_UNBOUND, dev, drv);
	}
	memmove(d, d + 1, (size_t)(&g->dev[g->ndev] - d - 1) * sizeof(*d));
	g->ndev--;
	notify(fk, g, VFIOGROUP_EVENT_DEVICE_REMOVED, dev, NULL);
	after_change(fk, g, was);
	pthread_mutex_unlock(&fk->lock);
}

void fake_bind(struct fake *fk, uint32_t gid, const char *dev,
	       const char *driver, bool blocks)
{
	struct fake_group *g;
	struct fake_dev *d;
	bool was;

	pthread_mutex_lock(&fk->lock);
	g = find_group(fk, gid);
	d = find_dev(g, dev);
	was = group_viable(g);
	strcpy(d->driver, driver);
	d->blocks = blocks;
	notify(fk, g, VFIOGROUP_EVENT_DRIVER_BOUND, dev, driver);
	after_change(fk, g, was);
	pthread_mutex_unlock(&fk->lock);
}

void fake_unbind(struct fake *fk, uint32_t gid, const char *dev)
{
	char drv[VFIOGROUP_NAME_MAX];
	struct fake_group *g;
	struct fake_dev *d;
	bool was;

	pthread_mutex_lock(&fk->lock);
	g = find_group(fk, gid);
	d = find_dev(g, dev);
	was = group_viable(g);
	strcpy(drv, d->driver);
	d->driver[0] = 0;
	notify(fk, g, VFIOGROUP_EVENT_DRIVER_UNBOUND, dev, drv);
	after_change(fk, g, was);
	pthread_mutex_unlock(&fk->lock);
}

bool fake_viable(struct fake *fk, uint32_t gid)
{
	bool v;

	pthread_mutex_lock(&fk->lock);
	v = group_viable(find_group(fk, gid));
	pthread_mutex_unlock(&fk->lock);
	return v;
}

bool fake_congested(struct fake *fk)
{
	bool c;

	pthread_mutex_lock(&fk->lock);
	c = fk->congested;
	pthread_mutex_unlock(&fk->lock);
	return c;
}

void fake_unload(struct fake *fk)
{
	pthread_mutex_lock(&fk->lock);
	fk->present = false;
	fk->pending_err = -ESHUTDOWN;
	send_msg_locked(fk, fake_ctrl_msg(CTRL_CMD_DELFAMILY,
					  VFIOGROUP_FAMILY_NAME,
					  fk->family_id));
	pthread_mutex_unlock(&fk->lock);
}

void fake_load(struct fake *fk)
{
	pthread_mutex_lock(&fk->lock);
	fk->present = true;
	fk->family_id++;
	fk->events_grp++;
	/* A new module instance numbers from scratch. */
	fk->seq = 0;
	for (size_t i = 0; i < fk->ngroups; i++)
		fk->groups[i].seq = 0;
	send_msg_locked(fk, fake_ctrl_msg(CTRL_CMD_NEWFAMILY,
					  VFIOGROUP_FAMILY_NAME,
					  fk->family_id));
	pthread_mutex_unlock(&fk->lock);
}

/* ------------------------------------------------------------------ */
/* The transport                                                       */
/* ------------------------------------------------------------------ */

struct fake_transport {
	struct vg_transport base;
	struct fake *fk;
};

#define FK(t) (((struct fake_transport *)(t))->fk)

static int f_watch_ctrl(struct vg_transport *t)
{
	(void)t;
	return 0;
}

static int f_resolve(struct vg_transport *t, struct vg_family *fam)
{
	struct fake *fk = FK(t);
	int r = 0;

	pthread_mutex_lock(&fk->lock);
	if (!fk->present) {
		r = -ENOENT;
	} else {
		fam->id = fk->family_id;
		fam->version = fk->version;
		fam->events_grp = fk->events_grp;
	}
	pthread_mutex_unlock(&fk->lock);
	return r;
}

static int f_join(struct vg_transport *t, uint32_t old_grp, uint32_t grp)
{
	(void)old_grp;
	(void)grp;
	pthread_mutex_lock(&FK(t)->lock);
	FK(t)->joins++;
	pthread_mutex_unlock(&FK(t)->lock);
	return 0;
}

static void run_hook(struct fake *fk, enum fake_point at,
		     enum vg_req_kind kind)
{
	fake_hook_fn fn;
	void *arg;

	pthread_mutex_lock(&fk->lock);
	fn = fk->hook;
	arg = fk->hook_arg;
	pthread_mutex_unlock(&fk->lock);
	if (fn)
		fn(fk, at, kind, arg);
}

/*
 * Nothing queued on sv[0].  Not SIOCINQ: on an AF_UNIX datagram socket it
 * tells the length of the next datagram, which is 0 for an empty one as
 * for none.  lock held.
 */
static bool queue_empty(struct fake *fk)
{
	return recv(fk->sv[0], NULL, 0, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN;
}

/*
 * netlink_recvmsg(): a pending error first (sock_error()), else a
 * datagram; then, whatever that was, an empty queue ends the congestion
 * (netlink_rcv_wake()).  Under the lock, so no message slips in between.
 */
static long f_recv(struct vg_transport *t, void *buf, size_t cap)
{
	struct fake *fk = FK(t);
	long r;

	pthread_mutex_lock(&fk->lock);
	r = fk->pending_err;
	fk->pending_err = 0;
	if (!r) {
		ssize_t n = recv(fk->sv[0], buf, cap, MSG_DONTWAIT);

		r = n < 0 ? -errno : (long)n;
	}
	if (fk->congested && queue_empty(fk))
		fk->congested = false;
	pthread_mutex_unlock(&fk->lock);
	run_hook(fk, FAKE_RECV_AFTER, 0);
	return r;
}

static int reply(struct nl_msg *msg, vg_reply_fn fn, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int r = fn(nlh, nlh->nlmsg_len, arg);

	nlmsg_free(msg);
	return r;
}

static int f_request(struct vg_transport *t, const struct vg_family *fam,
		     const struct vg_request *req, vg_reply_fn fn, void *arg)
{
	struct fake *fk = FK(t);
	struct nl_msg *msg;
	int r = -ENOENT;

	run_hook(fk, FAKE_REQUEST_BEFORE, req->kind);
	pthread_mutex_lock(&fk->lock);
	fk->requests++;
	if (!fk->present || fam->id != fk->family_id)
		goto out;
	switch (req->kind) {
	case VG_REQ_INFO:
		msg = nlmsg_alloc();
		genlmsg_put(msg, 0, 0, fk->family_id, 0, 0,
			    VFIOGROUP_CMD_INFO_GET, 1);
		nla_put_u64(msg, VFIOGROUP_A_INFO_SEQ, fk->seq);
		nla_put_u64(msg, VFIOGROUP_A_INFO_DROPPED, fk->dropped);
		nla_put_u32(msg, VFIOGROUP_A_INFO_NOTIFIER,
			    VFIOGROUP_NOTIFIER_BUS);
		nla_put_u32(msg, VFIOGROUP_A_INFO_GROUPS, (uint32_t)fk->ngroups);
		nla_put_string(msg, VFIOGROUP_A_INFO_VERSION, "fake");
		if (fk->events_reach >= 0)
			nla_put_u8(msg, VFIOGROUP_A_INFO_EVENTS,
				   (uint8_t)fk->events_reach);
		r = reply(msg, fn, arg);
		break;
	case VG_REQ_DUMP:
		r = 0;
		for (size_t i = 0; i < fk->ngroups && !r; i++)
			r = reply(fake_group_msg(fk->family_id,
						 VFIOGROUP_CMD_GROUP_GET,
						 &fk->groups[i], NULL, false),
				  fn, arg);
		break;
	case VG_REQ_GROUP_BY_ID:
	case VG_REQ_GROUP_BY_DEV:
		for (size_t i = 0; i < fk->ngroups; i++) {
			struct fake_group *g = &fk->groups[i];
			bool hit = req->kind == VG_REQ_GROUP_BY_ID ?
				   g->id == req->group_id : false;

			for (size_t j = 0; req->kind == VG_REQ_GROUP_BY_DEV &&
					   !hit && j < g->ndev; j++)
				hit = !strcmp(g->dev[j].name, req->dev_name);
			if (hit) {
				r = reply(fake_group_msg(fk->family_id,
							 VFIOGROUP_CMD_GROUP_GET,
							 g, NULL, false),
					  fn, arg);
				break;
			}
		}
		break;
	}
out:
	pthread_mutex_unlock(&fk->lock);
	run_hook(fk, FAKE_REQUEST_AFTER, req->kind);
	return r;
}

static int set_filter(int fd, const struct sock_fprog *prog)
{
	int dummy = 0;

	if (prog)
		return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog,
				  sizeof(*prog)) ? -errno : 0;
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &dummy,
		       sizeof(dummy)) && errno != ENOENT)
		return -errno;
	return 0;
}

/* On sv[0] and its twin at once, as far as a sender can tell. */
static int f_set_filter(struct vg_transport *t, const struct sock_fprog *prog)
{
	struct fake *fk = FK(t);
	int r;

	pthread_mutex_lock(&fk->lock);
	r = set_filter(fk->sv[0], prog);
	if (!r && set_filter(fk->probe[0], prog))
		abort();
	if (!r)
		fk->filtered = prog != NULL;
	pthread_mutex_unlock(&fk->lock);
	return r;
}

static int f_fd(struct vg_transport *t)
{
	return FK(t)->sv[0];
}

static void f_destroy(struct vg_transport *t)
{
	free(t);
}

static const struct vg_transport_ops fake_ops = {
	.watch_ctrl = f_watch_ctrl,
	.resolve = f_resolve,
	.join = f_join,
	.recv = f_recv,
	.request = f_request,
	.set_filter = f_set_filter,
	.fd = f_fd,
	.destroy = f_destroy,
};

struct vg_transport *fake_transport(struct fake *fk)
{
	struct fake_transport *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->base.ops = &fake_ops;
	t->fk = fk;
	return &t->base;
}

int fake_ctx(struct fake *fk, unsigned flags, struct vfiogroup_ctx **ctx)
{
	return vg_ctx_new_transport(ctx, flags, fake_transport(fk));
}

void fake_set_in_use(struct fake *fk, uint32_t gid, int in_use)
{
	struct fake_group *g;

	pthread_mutex_lock(&fk->lock);
	g = find_group(fk, gid);
	if (g)
		g->in_use = in_use;
	pthread_mutex_unlock(&fk->lock);
}
