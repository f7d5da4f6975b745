/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event loop: read the event socket, keep the cache and the sequence
 * numbers straight, hand events to the subscribers.
 */
#include <errno.h>
#include <string.h>

#include <linux/genetlink.h>

#include "internal.h"

/* Bound the work of one call so that a busy socket cannot starve a loop. */
#define MAX_DATAGRAMS	256

static void deliver_kernel_event(struct vfiogroup_ctx *ctx,
				 const struct vg_msg *m)
{
	struct vfiogroup_ev ev = {
		.kind = m->ev.kind,
		.group_id = m->group_id,
		.seq = m->ev.seq,
		.time_ns = m->ev.time_ns,
		.dev_name = m->ev.has_dev ? m->ev.dev_name : NULL,
		.driver = m->ev.has_driver ? m->ev.driver : NULL,
		.group = m->group,
	};

	vg_deliver(ctx, &ev);
}

/*
 * A wanted group's event arrived cut short: the filter was narrower when
 * the kernel sent it.  Fetch the group and report what changed.
 */
static int refresh_wanted(struct vfiogroup_ctx *ctx, uint32_t id,
			  struct vfiogroup_group *old)
{
	struct vg_synth_list synth = { 0 };
	struct vfiogroup_group *g = NULL;
	int r = vg_refresh_group(ctx, id, &g);

	if (r && r != -ENOENT)
		return r;
	r = vg_group_diff(old, g, id, &synth);
	VG_STAT_ADD(ctx, synthesized, synth.n);
	vg_deliver_synth(ctx, &synth);
	vfiogroup_group_unref(g);
	return r;
}

/*
 * Sequence bookkeeping, cache_lock held.  Returns true when the event is
 * to be applied, false when it is old news; sets *gap on a lost event.
 */
static bool check_seq(struct vfiogroup_ctx *ctx, uint64_t seq, bool *gap)
{
	*gap = false;
	if (seq > ctx->last_seq) {
		/* After the baseline every event must be seen. */
		if (seq != ctx->last_seq + 1) {
			ctx->stats.gaps++;
			*gap = true;
			return false;
		}
		ctx->last_seq = seq;
	}
	return true;
}

/* Is the event newer than what the cache holds?  cache_lock held. */
static bool newer(struct vfiogroup_ctx *ctx, const struct vg_cache_entry *e,
		  uint64_t seq)
{
	if (!e)		/* not dumped: newer than the dump's baseline? */
		return seq > ctx->sync_seq;
	if (e->stale)
		return seq >= e->stale_seq || (e->group && seq > e->group->seq);
	return !e->group || seq > e->group->seq;
}

static int handle_event(struct vfiogroup_ctx *ctx, struct vg_msg *m)
{
	struct vfiogroup_group *old = NULL;
	struct vg_cache_entry *e;
	bool gap, apply, partial_wanted = false;
	int r = 0;

	pthread_mutex_lock(&ctx->cache_lock);
	if (!ctx->connected || !ctx->synced || ctx->need_resync) {
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	apply = check_seq(ctx, m->ev.seq, &gap);
	if (gap) {
		pthread_mutex_unlock(&ctx->cache_lock);
		return vg_sync(ctx, VG_SYNC_RESYNC);
	}
	e = vg_cache_find(&ctx->cache, m->group_id);
	apply = apply && newer(ctx, e, m->ev.seq);
	if (!apply) {
		ctx->stats.stale++;
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	old = e ? vfiogroup_group_ref(e->group) : NULL;
	if (m->partial) {
		ctx->stats.truncated++;
		r = vg_cache_mark_stale(&ctx->cache, m->group_id, m->ev.seq);
	} else {
		ctx->stats.events++;
		r = vg_cache_put(&ctx->cache, vfiogroup_group_ref(m->group));
	}
	pthread_mutex_unlock(&ctx->cache_lock);

	if (r) {
		/* The cache could not follow: start over from a dump. */
		pthread_mutex_lock(&ctx->cache_lock);
		ctx->need_resync = true;
		pthread_mutex_unlock(&ctx->cache_lock);
	} else if (!m->partial) {
		deliver_kernel_event(ctx, m);
	} else {
		/* Subscribers' wishes are read outside cache_lock. */
		partial_wanted = vg_wants_group(ctx, m->group_id);
		if (partial_wanted)
			r = refresh_wanted(ctx, m->group_id, old);
	}
	vfiogroup_group_unref(old);
	return r;
}

static int handle_ctrl(struct vfiogroup_ctx *ctx, const struct vg_msg *m)
{
	bool connected;
	uint16_t id;

	if (strcmp(m->ctrl_family, VFIOGROUP_FAMILY_NAME))
		return 0;
	pthread_mutex_lock(&ctx->cache_lock);
	connected = ctx->connected;
	id = ctx->fam.id;
	pthread_mutex_unlock(&ctx->cache_lock);

	if (m->ctrl_cmd == CTRL_CMD_DELFAMILY) {
		if (connected && m->ctrl_family_id == id)
			vg_disconnect(ctx);
		return 0;
	}
	/*
	 * NEWFAMILY is sent only when a family registers: if we still think
	 * we are connected, we missed the DELFAMILY.  Either way start over.
	 */
	vg_disconnect(ctx);
	return vg_sync(ctx, VG_SYNC_RECONNECT);
}

static int handle_msg(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	struct vfiogroup_ctx *ctx = arg;
	struct vg_msg m;
	uint16_t family;
	int r;

	pthread_mutex_lock(&ctx->cache_lock);
	ctx->stats.messages++;
	family = ctx->fam.id;
	pthread_mutex_unlock(&ctx->cache_lock);

	r = vg_decode(nlh, avail, family, &m);
	if (r == -EBADMSG) {
		/* Dropped; if it was an event, the next seq shows the gap. */
		VG_STAT_ADD(ctx, malformed, 1);
		return 0;
	}
	if (r) {	/* -ENOMEM: we lost it, resync later */
		pthread_mutex_lock(&ctx->cache_lock);
		ctx->need_resync = true;
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	switch (m.kind) {
	case VG_MSG_EVENT:
		r = handle_event(ctx, &m);
		break;
	case VG_MSG_CTRL:
		r = handle_ctrl(ctx, &m);
		break;
	default:
		break;	/* nothing else is expected on the event socket */
	}
	vg_msg_release(&m);
	return r < 0 && r != -ENOMEM ? r : 0;
}

int vg_handle_datagram(struct vfiogroup_ctx *ctx, const void *buf, size_t len)
{
	int r = vg_each_msg(buf, len, handle_msg, ctx);

	if (r == -EBADMSG) {
		VG_STAT_ADD(ctx, malformed, 1);
		return 0;
	}
	return r < 0 ? r : 0;
}

static bool pending_resync(struct vfiogroup_ctx *ctx)
{
	bool need;

	pthread_mutex_lock(&ctx->cache_lock);
	need = ctx->connected && ctx->need_resync;
	pthread_mutex_unlock(&ctx->cache_lock);
	return need;
}

static int dispatch_locked(struct vfiogroup_ctx *ctx)
{
	int n = 0, r = 0;

	if (pending_resync(ctx)) {
		r = vg_sync(ctx, VG_SYNC_RESYNC);
		if (r && r != -ENOENT && r != -EPROTONOSUPPORT)
			return r;
	}
	while (n < MAX_DATAGRAMS) {
		long len = ctx->t->ops->recv(ctx->t, ctx->rxbuf, ctx->rxcap);

		if (len == -EAGAIN)
			break;
		n++;
		switch (len) {
		case -ENOBUFS:		/* the socket overflowed */
		case -EMSGSIZE:		/* one did not fit the buffer */
			VG_STAT_ADD(ctx, overruns, 1);
			r = vg_sync(ctx, VG_SYNC_RESYNC);
			break;
		case -ESHUTDOWN:	/* the module is going away */
			vg_disconnect(ctx);
			r = 0;
			break;
		case -EPERM:		/* not from the kernel */
			VG_STAT_ADD(ctx, foreign, 1);
			r = 0;
			break;
		default:
			r = len < 0 ? (int)len
				    : vg_handle_datagram(ctx, ctx->rxbuf,
							 (size_t)len);
			break;
		}
		/* Module gone or version mismatch: reported as notices. */
		if (r == -ENOENT || r == -EPROTONOSUPPORT)
			r = 0;
		if (r)
			return r;
	}
	return n;
}

VG_EXPORT int vfiogroup_dispatch(struct vfiogroup_ctx *ctx)
{
	int r;

	if (!ctx)
		return -EINVAL;
	if (!ctx->t)
		return -ENOTCONN;
	/* An error-checking mutex: re-entry from a callback is EDEADLK. */
	r = pthread_mutex_lock(&ctx->dispatch_lock);
	if (r)
		return -r;
	vfiogroup_ctx_ref(ctx);	/* a callback may drop the caller's */
	r = dispatch_locked(ctx);
	pthread_mutex_unlock(&ctx->dispatch_lock);
	vfiogroup_ctx_unref(ctx);
	return r;
}
