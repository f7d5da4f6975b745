/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connecting, list-then-watch, and resynchronising.
 *
 * List-then-watch: join "events" first, then read INFO's newest seq (the
 * baseline), then dump.  Every event after the baseline is then either in
 * the socket or reported lost (ENOBUFS; without a filter also a gap in the
 * seq that follows the baseline); events at or before it may or may not be
 * queued and are applied only when newer than the dumped group.  A resync
 * is the same procedure on a live socket, plus the diff of old and new
 * cache turned into synthesized events so that no transition goes
 * unreported.  With a kernel filter attached, the cache keeps only the
 * groups it lets through (cover.c).
 *
 * "Either in the socket or reported lost" holds only on a socket that is
 * not congested: after an overrun netlink drops every multicast for it
 * silently until a recv leaves its queue empty.  So the dispatcher reads
 * the socket empty (EAGAIN) before every resync it starts (drain(),
 * dispatch.c); a new context's socket has nothing queued to begin with.
 *
 * All of it runs with dispatch_lock held: it is the only reader of the
 * event socket and the only one delivering.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

void vg_deliver_synth(struct vfiogroup_ctx *ctx, struct vg_synth_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct vg_synth *s = &l->s[i];

		s->ev.group = s->group;
		s->ev.dev_name = s->dev_name[0] ? s->dev_name : NULL;
		s->ev.driver = s->driver[0] ? s->driver : NULL;
		vg_deliver(ctx, &s->ev);
	}
	vg_synth_list_free(l);
}

void vg_disconnect(struct vfiogroup_ctx *ctx)
{
	bool was;

	pthread_mutex_lock(&ctx->cache_lock);
	was = ctx->connected;
	ctx->connected = false;
	vg_owed_changed(ctx);
	if (was)
		ctx->stats.disconnects++;
	pthread_mutex_unlock(&ctx->cache_lock);
	if (!was)
		return;
	vg_notice(ctx, "the module went away: disconnected");
	/*
	 * The filter stays: it names the old family id, so it lets every
	 * message of a new instance through whole until vg_sync() attaches
	 * one for the new id.
	 */
	vg_deliver_notice(ctx, VFIOGROUP_EV_DISCONNECTED);
}

static int resolve(struct vfiogroup_ctx *ctx, struct vg_family *fam)
{
	int r;

	pthread_mutex_lock(&ctx->req_lock);
	r = ctx->t->ops->resolve(ctx->t, fam);
	pthread_mutex_unlock(&ctx->req_lock);
	if (r == -ENOENT) {
		vg_set_error(ctx, "vfiogroup: generic netlink family \"%s\" "
			     "not found: the vfiogroup kernel module is not "
			     "loaded (try 'modprobe vfiogroup')",
			     VFIOGROUP_FAMILY_NAME);
	} else if (r) {
		vg_set_error(ctx, "vfiogroup: cannot resolve the \"%s\" "
			     "family: %s", VFIOGROUP_FAMILY_NAME,
			     vfiogroup_strerror(r));
	} else if (fam->version != VFIOGROUP_FAMILY_VERSION) {
		vg_set_error(ctx, "vfiogroup: the kernel module speaks "
			     "version %u of the \"%s\" family, this library "
			     "version %d", fam->version, VFIOGROUP_FAMILY_NAME,
			     VFIOGROUP_FAMILY_VERSION);
		r = -EPROTONOSUPPORT;
	}
	return r;
}

static bool known_pred(const void *arg, uint32_t id)
{
	return vg_known(arg, id);
}

int vg_sync(struct vfiogroup_ctx *ctx, enum vg_sync_reason why)
{
	struct vg_synth_list synth = { 0 };
	struct vfiogroup_info info;
	struct vg_family fam, old;
	struct vg_cache fresh;
	bool was_connected, moved;
	size_t ngroups;
	uint64_t gen;
	int events = -1;
	int r;

	/* Until this succeeds, dispatch retries it before reading on. */
	pthread_mutex_lock(&ctx->cache_lock);
	vg_owe_resync(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);

	/* Always re-resolve: a reload we did not hear about changes ids. */
	r = resolve(ctx, &fam);
	if (r) {
		if (r == -ENOENT || r == -EPROTONOSUPPORT)
			vg_disconnect(ctx);
		return r;
	}

	pthread_mutex_lock(&ctx->cache_lock);
	old = ctx->fam;
	was_connected = ctx->connected;
	pthread_mutex_unlock(&ctx->cache_lock);
	moved = was_connected && old.id != fam.id;

	/*
	 * Join every time: an unregistered family loses its listeners, and
	 * a reload we missed (ENOBUFS ate the nlctrl news) may well reuse the
	 * same ids.  Joining twice is harmless; leaving and re-joining the
	 * same group would open a window, so leave only a different one.
	 */
	{
		uint32_t leave = old.events_grp != fam.events_grp ?
				 old.events_grp : 0;

		r = ctx->t->ops->join(ctx->t, leave, fam.events_grp);
		if (r) {
			vg_set_error(ctx, "vfiogroup: cannot join the \"%s\" "
				     "multicast group: %s",
				     VFIOGROUP_MCGRP_EVENTS,
				     vfiogroup_strerror(r));
			return r;
		}
	}
	pthread_mutex_lock(&ctx->cache_lock);
	ctx->fam = fam;
	ctx->connected = true;
	vg_owed_changed(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);
	vg_update_filter(ctx);		/* it names the family id */
	pthread_mutex_lock(&ctx->cache_lock);
	gen = ctx->cover_gen;
	pthread_mutex_unlock(&ctx->cache_lock);

	/* Joined and filtered; now the baseline, then the list. */
	r = vg_req_info(ctx, &info, &events);
	vg_cache_init(&fresh);
	if (!r && !events) {
		/* A cache nothing would keep current: refuse to make one. */
		vg_set_error(ctx, "vfiogroup: the module's events do not reach "
			     "this network namespace (it belongs to a user "
			     "namespace other than the host's, as in an "
			     "unprivileged container); use one owned by the "
			     "initial user namespace");
		vg_disconnect(ctx);
		return -EPERM;
	}
	if (!r)
		r = vg_req_dump(ctx, &fresh);
	if (r) {
		/*
		 * ENOENT: the family went since the resolve, an rmmod under
		 * way (nlctrl's DELFAMILY follows); an error only for a new
		 * context, a notice for one that reconnects.
		 */
		if (r == -ENOENT && why != VG_SYNC_INITIAL)
			vg_notice(ctx, "the module went away while its groups "
				  "were being loaded");
		else
			vg_set_error(ctx, "vfiogroup: cannot load the groups: "
				     "%s", vfiogroup_strerror(r));
		vg_cache_clear(&fresh);
		/*
		 * A reconnection that did not come about (the family went
		 * between the resolve and the INFO: the module's ESHUTDOWN
		 * precedes its unregistering) announced nothing, so it stays
		 * disconnected: the DELFAMILY that follows says nothing more.
		 */
		if (!was_connected) {
			pthread_mutex_lock(&ctx->cache_lock);
			ctx->connected = false;
			vg_owed_changed(ctx);
			pthread_mutex_unlock(&ctx->cache_lock);
		}
		return r;
	}

	pthread_mutex_lock(&ctx->cache_lock);
	/* Only what the filter lets through can be followed. */
	for (size_t i = fresh.n; !ctx->cover.all && i-- > 0;)
		if (!vg_covered(ctx, fresh.e[i].id))
			vg_cache_remove(&fresh, fresh.e[i].id);
	/*
	 * Differences are reported for the groups the subscribers could
	 * follow; the others (newly covered) had no "before".
	 */
	if (why != VG_SYNC_INITIAL)
		r = vg_cache_diff(&ctx->cache, &fresh, known_pred, ctx, &synth);
	vg_cache_swap(&ctx->cache, &fresh);
	ctx->sync_seq = ctx->last_seq = info.seq;
	/* The dump came after the filter was attached: all is known. */
	vg_know_cover(ctx, gen);
	ctx->reload_gen++;	/* a refresh under way fetched for the old cache */
	ctx->synced = true;
	ctx->need_resync = false;
	vg_owed_changed(ctx);
	if (why == VG_SYNC_RESYNC && !moved)
		ctx->stats.resyncs++;
	else if (why != VG_SYNC_INITIAL)
		ctx->stats.reconnects++;
	ctx->stats.synthesized += synth.n;
	ngroups = ctx->cache.n;
	pthread_mutex_unlock(&ctx->cache_lock);
	vg_cache_clear(&fresh);		/* the old cache now */

	if (why == VG_SYNC_INITIAL)
		vg_info(ctx, "connected to family id %u: %zu groups at seq %llu",
			fam.id, ngroups, (unsigned long long)info.seq);
	else
		vg_notice(ctx, "%s: %zu groups at seq %llu, %zu events synthesized",
			  why == VG_SYNC_RESYNC && !moved ? "resynchronised" :
			  "reconnected", ngroups, (unsigned long long)info.seq,
			  synth.n);

	/*
	 * -ENOMEM while diffing: the cache is right, but some transitions
	 * went unreported; the notice still says "state changed behind you".
	 */
	vg_deliver_synth(ctx, &synth);
	if (why == VG_SYNC_RESYNC && !moved)
		vg_deliver_notice(ctx, VFIOGROUP_EV_RESYNC);
	else if (why != VG_SYNC_INITIAL)
		vg_deliver_notice(ctx, VFIOGROUP_EV_RECONNECTED);
	return r;
}
