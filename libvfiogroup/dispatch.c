/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event loop: read the event socket, keep the cache and the sequence
 * numbers straight, hand events to the subscribers.
 *
 * Every resync starts here, at the top of the loop, never in the middle of
 * a datagram: the datagram being walked lives in ctx->rxbuf, which the
 * drain before a resync reads into (see drain()).
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
		.dev_name = m->ev.dev_name,
		.driver = m->ev.driver,
		.group = m->group,
	};

	vg_deliver(ctx, &ev);
}

/*
 * Done with a group: kept as the next event's to decode into when nobody
 * else holds it and there is no spare yet, else dropped.  dispatch_lock.
 */
static void drop_group(struct vfiogroup_ctx *ctx, struct vfiogroup_group *g)
{
	if (g && !ctx->spare && vg_group_sole(g))
		ctx->spare = g;
	else
		vfiogroup_group_unref(g);
}

enum verdict { APPLY, SKIP, GAP, REFRESH };

/*
 * What to do with an event, and the sequence bookkeeping; cache_lock held.
 *
 * Without a kernel filter every event reaches the socket, so after the
 * baseline each must be the next one: a gap is a loss (the module's own
 * failures leave one, besides ENOBUFS).  With a filter, the events of the
 * other groups are dropped by the kernel: gaps are expected and say
 * nothing, and ENOBUFS alone reports losses (the kernel's overrun, and the
 * module's netlink_set_err() when it cannot build or send an event).
 * Either way an event not newer than the group's cache entry is old news.
 */
static enum verdict judge(struct vfiogroup_ctx *ctx, const struct vg_msg *m,
			  struct vg_cache_entry **entry)
{
	struct vg_cache_entry *e;
	uint64_t seq = m->ev.seq;

	/* Queued before the filter narrowed, or let through regardless. */
	if (!vg_covered(ctx, m->group_id))
		return SKIP;
	/* Newly covered: fetch it first (list-then-watch). */
	if (!vg_known(ctx, m->group_id))
		return REFRESH;
	if (seq > ctx->last_seq) {
		/* no filter since the baseline (cover.c, subscribe.c) */
		if (ctx->gapcheck && seq != ctx->last_seq + 1) {
			ctx->stats.gaps++;
			return GAP;
		}
		ctx->last_seq = seq;
	}
	e = vg_cache_find(&ctx->cache, m->group_id);
	/* not in the cache: newer than what the last dump knew? */
	if (seq <= (e ? e->seq : ctx->sync_seq))
		return SKIP;
	*entry = e;	/* spares vg_cache_put_at() a second lookup */
	return APPLY;
}

/* Refreshes tried for one event while other threads change the cover. */
#define MAX_REFRESH	4

static int handle_event(struct vfiogroup_ctx *ctx, struct vg_msg *m)
{
	struct vfiogroup_group *old;
	struct vg_cache_entry *e = NULL;
	uint64_t last;
	enum verdict v;
	int tries = 0, r;

	for (;;) {
		pthread_mutex_lock(&ctx->cache_lock);
		if (!tries)	/* counted here: one lock per event, not two */
			ctx->stats.messages++;
		if (!ctx->connected || !ctx->synced || ctx->need_resync) {
			pthread_mutex_unlock(&ctx->cache_lock);
			return 0;
		}
		v = judge(ctx, m, &e);
		if (v != REFRESH || tries++ == MAX_REFRESH)
			break;
		pthread_mutex_unlock(&ctx->cache_lock);
		/*
		 * On failure it asks for a resync.  It may also succeed without
		 * making this group known: uncovered and covered again while
		 * it fetched.  Then judge again (maybe not covered any more).
		 */
		vg_refresh_pending(ctx);
	}
	switch (v) {
	case REFRESH:	/* the cover would not hold still: start over */
	case GAP:	/* the rest of this datagram predates the reload anyway */
		vg_owe_resync(ctx);
		last = ctx->last_seq;
		pthread_mutex_unlock(&ctx->cache_lock);
		if (v == GAP)
			vg_notice(ctx, "events lost: seq %llu after %llu; resynchronising",
				  (unsigned long long)m->ev.seq,
				  (unsigned long long)last);
		else
			vg_notice(ctx, "group %u: its filter kept changing; resynchronising",
				  m->group_id);
		return 0;
	case SKIP:
		ctx->stats.stale++;
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	case APPLY:
		break;
	}
	ctx->stats.events++;
	r = vg_cache_put_at(&ctx->cache, e, vfiogroup_group_ref(m->group),
			    &old);
	if (r)	/* the cache could not follow: start over from a dump */
		vg_owe_resync(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);
	drop_group(ctx, old);
	vg_dbg(ctx, "event seq %llu: group %u, kind %u, device %s, driver %s",
	       (unsigned long long)m->ev.seq, m->group_id, m->ev.kind,
	       m->ev.dev_name ? m->ev.dev_name : "-",
	       m->ev.driver ? m->ev.driver : "-");
	if (!r)
		deliver_kernel_event(ctx, m);
	return 0;
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
	 * we are connected, we missed the DELFAMILY.  Either way start over,
	 * from the top of the loop.
	 */
	vg_disconnect(ctx);
	ctx->sync_owed = true;
	return 0;
}

static int handle_msg(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	struct vfiogroup_ctx *ctx = arg;
	/* Written only with dispatch_lock held, as it is here (internal.h). */
	uint16_t family = ctx->fam.id;
	struct vg_msg m;
	int r;

	r = vg_decode_into(nlh, avail, family, &ctx->spare, &m);
	if (r == -EBADMSG) {
		const struct genlmsghdr *gh = (const void *)((const char *)nlh +
							    NLMSG_HDRLEN);
		bool event = family && nlh->nlmsg_type == family &&
			     avail >= NLMSG_HDRLEN + GENL_HDRLEN &&
			     gh->cmd == VFIOGROUP_CMD_EVENT_NTF;

		/*
		 * Dropped.  A notification of ours is an event lost, which
		 * no gap may show (a filter hides them): resync.
		 */
		pthread_mutex_lock(&ctx->cache_lock);
		ctx->stats.messages++;
		ctx->stats.malformed++;
		if (event && ctx->connected)
			vg_owe_resync(ctx);
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	if (r) {	/* -ENOMEM: we lost it, resync later */
		pthread_mutex_lock(&ctx->cache_lock);
		ctx->stats.messages++;
		vg_owe_resync(ctx);
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	switch (m.kind) {
	case VG_MSG_EVENT:
		r = handle_event(ctx, &m);	/* counts it */
		break;
	case VG_MSG_CTRL:
		VG_STAT_ADD(ctx, messages, 1);
		r = handle_ctrl(ctx, &m);
		break;
	default:
		VG_STAT_ADD(ctx, messages, 1);
		break;	/* nothing else is expected on the event socket */
	}
	drop_group(ctx, m.group);
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

/*
 * What the top of the loop owes, in one look under cache_lock: a resync
 * (decided since, here or by another thread), or a refresh of groups the
 * filter lets through that are not known yet (vg_refresh_pending() looks
 * again itself).
 *
 * Most often nothing, and nothing has changed since the last look: then
 * owed_gen has not moved and the lock is not taken.  A change made just
 * after that load is as good as made just after an unlock here:
 * handle_event() looks again under the lock before it applies anything,
 * and the next turn of the loop sees the new owed_gen.
 */
static void owed(struct vfiogroup_ctx *ctx, bool *resync, bool *refresh)
{
	uint64_t gen = atomic_load_explicit(&ctx->owed_gen,
					    memory_order_acquire);

	*resync = *refresh = false;
	if (ctx->owed_none && gen == ctx->owed_none_gen)
		return;
	pthread_mutex_lock(&ctx->cache_lock);
	/* the writers bump it under this lock: it goes with what we read */
	gen = atomic_load_explicit(&ctx->owed_gen, memory_order_relaxed);
	*resync = ctx->connected && ctx->need_resync;
	*refresh = ctx->connected && ctx->synced && !ctx->need_resync &&
		   vg_refresh_needed(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);
	ctx->owed_none = !*resync && !*refresh;
	ctx->owed_none_gen = gen;
}

/* Events were lost (ENOBUFS, or a datagram cut short): reload, drained. */
static void lost(struct vfiogroup_ctx *ctx, int why)
{
	ctx->sync_owed = true;
	pthread_mutex_lock(&ctx->cache_lock);
	ctx->stats.overruns++;
	/* nothing is applied or refreshed until then */
	vg_owe_resync(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);
	vg_notice(ctx, "events lost (%s): resynchronising",
		  why == -ENOBUFS ? "ENOBUFS" : "a message did not fit");
}

/*
 * Read the event socket until recv() says EAGAIN, throwing away what it
 * reads, before a resync takes its baseline.
 *
 * Netlink reports ENOBUFS only when a socket becomes congested; from then
 * on it drops every multicast for it without a word (the socket filter
 * runs first, so a filtered socket is no different), until a recvmsg()
 * leaves the queue empty.  A baseline taken before that could be followed
 * by events that never arrive and are never reported: an event made by a
 * RESYNC callback, say, or any event while we work through a full queue.
 * The EAGAIN is the proof: the queue was empty at the end of that recv,
 * which cleared the congestion, so from here on every event is in the
 * socket or reported by a new ENOBUFS.  What is thrown away is older than
 * the baseline taken next: the dump has it.  nlctrl news among it is not
 * lost either: vg_sync() resolves the family again.
 *
 * Every resync drains, not only a loss's (a gap, a malformed event, a
 * refresh that failed, NEWFAMILY): then no baseline is ever taken on a
 * socket not read empty since, whatever asked for it.  Nothing is lost by
 * it: what is queued before a baseline is older than it, so the dump has
 * it and reading it afterwards would only skip it as stale; an ENOBUFS
 * met on the way is covered by this resync instead of asking for another.
 * Nor does it hold a resync back for long: draining reads faster than
 * dispatching (no decoding, no callbacks), so a socket it cannot empty is
 * one the loop could not have kept up with either.
 *
 * Bounded by the budget of this call (*n datagrams read so far): a socket
 * that is not congested (ENOBUFS from the module's netlink_set_err()) can
 * be fed without end.  Returns 0 once empty, -EBUSY when the budget ran
 * out first (the resync stays owed: the next call drains on), or an errno
 * of recv().
 */
static int drain(struct vfiogroup_ctx *ctx, int *n)
{
	uint64_t drained = 0, overruns = 0, foreign = 0;
	bool empty = false;
	int r = 0;

	while (!r && *n < MAX_DATAGRAMS) {
		long len = ctx->t->ops->recv(ctx->t, ctx->rxbuf, ctx->rxcap);

		if (len == -EAGAIN) {
			empty = true;
			break;
		}
		(*n)++;
		switch (len) {
		case -ENOBUFS:		/* more lost: this drain covers it */
			overruns++;
			break;
		case -ESHUTDOWN:	/* resolved again once drained */
			vg_disconnect(ctx);
			break;
		case -EPERM:
			foreign++;
			break;
		case -EMSGSIZE:
			drained++;
			break;
		default:
			if (len < 0)
				r = (int)len;
			else
				drained++;
			break;
		}
	}
	pthread_mutex_lock(&ctx->cache_lock);
	ctx->stats.drained += drained;
	ctx->stats.overruns += overruns;
	ctx->stats.foreign += foreign;
	pthread_mutex_unlock(&ctx->cache_lock);
	vg_info(ctx, "drained %llu messages before the baseline (%llu more losses)%s",
		(unsigned long long)drained, (unsigned long long)overruns,
		empty ? "" : ", not empty yet");
	return r ? r : empty ? 0 : -EBUSY;
}

/*
 * The resync owed: drain, then reload.  Connected or not after a loss,
 * which may have eaten nlctrl's news of a reload (vg_sync() resolves the
 * family again; -ENOENT then just means it is still away).
 */
static int resync(struct vfiogroup_ctx *ctx, int *n)
{
	bool connected;
	int r = drain(ctx, n);

	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	connected = ctx->connected;
	pthread_mutex_unlock(&ctx->cache_lock);
	r = vg_sync(ctx, connected ? VG_SYNC_RESYNC : VG_SYNC_RECONNECT);
	/*
	 * Module away, another version, or events that cannot reach us:
	 * disconnected, and nlctrl tells when that changes.
	 */
	if (!r || r == -ENOENT || r == -EPROTONOSUPPORT || r == -EPERM)
		ctx->sync_owed = false;
	return r;
}

static int dispatch_locked(struct vfiogroup_ctx *ctx)
{
	int n = 0, r = 0;

	while (n < MAX_DATAGRAMS) {
		bool resync_due, refresh_due;
		long len;

		owed(ctx, &resync_due, &refresh_due);
		/* A resync owed (failed before, or decided since) first. */
		if (ctx->sync_owed || resync_due) {
			r = resync(ctx, &n);
			if (r == -EBUSY)	/* still draining: next call */
				break;
			if (r && r != -ENOENT && r != -EPROTONOSUPPORT)
				return r;
			refresh_due = true;	/* the cover may have moved */
		}
		/* Groups the filter lets through that are not known yet. */
		if (refresh_due)
			vg_refresh_pending(ctx);

		len = ctx->t->ops->recv(ctx->t, ctx->rxbuf, ctx->rxcap);

		if (len == -EAGAIN)
			break;
		n++;
		switch (len) {
		case -ENOBUFS:		/* lost: overflow, or the module's */
		case -EMSGSIZE:		/* one did not fit the buffer */
			lost(ctx, (int)len);
			r = 0;
			break;
		case -ESHUTDOWN:	/* the module is going away */
			/*
			 * netlink_set_err() overwrites a pending ENOBUFS, and
			 * a socket still congested drops nlctrl's DELFAMILY
			 * and NEWFAMILY without a word: drain, and look for
			 * the family ourselves, as after a loss.
			 */
			vg_disconnect(ctx);
			ctx->sync_owed = true;
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
