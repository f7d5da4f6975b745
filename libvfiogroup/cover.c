/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the attached kernel filter lets through (the cover), which cache
 * entries are therefore current (the known groups), and the refresh that
 * makes newly covered groups known.
 *
 * The filter drops the events of the groups it does not cover, so the
 * cache cannot follow them: their entries are removed when the filter
 * narrows, their queries go to the kernel (snapshot.c), and the events of
 * theirs that still arrive (queued before the filter changed) are skipped.
 *
 * A group the filter starts to cover is not known until it is refreshed,
 * list-then-watch style: the wider filter is attached first, then INFO's
 * seq S is read and the group fetched (GROUP_GET), and only its events
 * newer than what was fetched are applied from then on.  A group that does
 * not exist gets a tombstone at S, so that older events of it still queued
 * (from a time it was covered before) cannot bring it back.  When the
 * filter is dropped altogether, the refresh is a dump, and gap detection
 * resumes after S (dispatch.c).  No synthesized event comes of a refresh:
 * no subscription followed the group before (else it would have been
 * covered), and a new subscription is owed only what happens after it.
 *
 * vfiogroup_subscribe() refreshes before it returns, so that a query made
 * right after it is answered from a known entry and every later event is
 * delivered; the dispatcher refreshes too, before it applies an event of a
 * covered group that is not known yet, and whenever it starts.  Several
 * may run at once, while other threads change the cover: the cache of a
 * known group is never touched by a refresh (its events bring it up to
 * date); what a refresh fetched counts only for the groups covered without
 * a break since before it started (each covered id carries the cover_gen
 * since which it is, cover.since), and nothing of it counts when the cache
 * was reloaded meanwhile (reload_gen: maybe another module instance).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool vg_covered(const struct vfiogroup_ctx *ctx, uint32_t id)
{
	return ctx->cover.all || vg_filter_has(&ctx->cover.ids, id);
}

bool vg_known(const struct vfiogroup_ctx *ctx, uint32_t id)
{
	return ctx->known_all || vg_filter_has(&ctx->known, id);
}

bool vg_refresh_needed(const struct vfiogroup_ctx *ctx)
{
	if (ctx->known_all)
		return false;
	if (ctx->cover.all)
		return true;
	for (size_t i = 0; i < ctx->cover.ids.n; i++)
		if (!vg_filter_has(&ctx->known, ctx->cover.ids.ids[i]))
			return true;
	return false;
}

static void filter_reset(struct vfiogroup_filter *f)
{
	free(f->ids);
	memset(f, 0, sizeof(*f));
}

/* dst = a copy of src; empty on failure (more to refresh, nothing wrong). */
static void filter_assign(struct vfiogroup_filter *dst,
			  const struct vfiogroup_filter *src)
{
	filter_reset(dst);
	if (!src->n)
		return;
	dst->ids = malloc(src->n * sizeof(*dst->ids));
	if (!dst->ids)
		return;
	memcpy(dst->ids, src->ids, src->n * sizeof(*dst->ids));
	dst->n = dst->cap = src->n;
}

static bool filter_equal(const struct vfiogroup_filter *a,
			 const struct vfiogroup_filter *b)
{
	return a->n == b->n &&
	       (!a->n || !memcmp(a->ids, b->ids, a->n * sizeof(*a->ids)));
}

void vg_know_cover(struct vfiogroup_ctx *ctx, uint64_t gen)
{
	filter_reset(&ctx->known);
	ctx->known_all = false;
	vg_owed_changed(ctx);
	/*
	 * The cover changed while the dump was taken: some group may have
	 * been dumped before the filter let it through.  Refresh them all.
	 */
	if (gen != ctx->cover_gen)
		return;
	if (ctx->cover.all) {
		ctx->known_all = true;
		/* and nothing was dropped since the reload's baseline */
		ctx->gapcheck = !ctx->attaching;
	} else
		filter_assign(&ctx->known, &ctx->cover.ids);
}

/* Since when id is covered without a break; false if it is not. */
static bool covered_since(const struct vfiogroup_ctx *ctx, uint32_t id,
			  uint64_t *since)
{
	const struct vg_cover *c = &ctx->cover;
	size_t i;

	if (c->all) {
		*since = c->all_since;
		return true;
	}
	i = vg_filter_pos(&c->ids, id);
	if (i == c->ids.n || c->ids.ids[i] != id)
		return false;
	*since = c->since[i];
	return true;
}

bool vg_set_cover(struct vfiogroup_ctx *ctx, bool all,
		  struct vfiogroup_filter *ids, uint64_t *since)
{
	struct vg_cover *c = &ctx->cover;
	size_t k = 0;

	if (all) {
		if (ids)
			filter_reset(ids);
		free(since);
		if (c->all)
			return false;
		/*
		 * The groups known so far stay known (their events kept
		 * coming); every other one waits for a dump.
		 */
		filter_reset(&c->ids);
		free(c->since);
		c->since = NULL;
		c->all = true;
		c->all_since = ++ctx->cover_gen;
		vg_owed_changed(ctx);
		return true;
	}
	if (!c->all && filter_equal(&c->ids, ids)) {
		filter_reset(ids);
		free(since);
		return false;
	}
	ctx->cover_gen++;
	vg_owed_changed(ctx);
	/* Covered before too: since then; else from now on. */
	for (size_t i = 0; i < ids->n; i++)
		if (!covered_since(ctx, ids->ids[i], &since[i]))
			since[i] = ctx->cover_gen;
	if (ctx->known_all) {
		/* Every group was followed: so were the ones still covered. */
		filter_assign(&ctx->known, ids);
		ctx->known_all = false;
	} else {
		for (size_t i = 0; i < ctx->known.n; i++)
			if (vg_filter_has(ids, ctx->known.ids[i]))
				ctx->known.ids[k++] = ctx->known.ids[i];
		ctx->known.n = k;
	}
	filter_reset(&c->ids);
	free(c->since);
	c->ids = *ids;
	c->since = since;
	c->all = false;
	memset(ids, 0, sizeof(*ids));
	/* Entries that can no longer be followed go. */
	for (size_t i = ctx->cache.n; i-- > 0;)
		if (!vg_filter_has(&c->ids, ctx->cache.e[i].id))
			vg_cache_remove(&ctx->cache, ctx->cache.e[i].id);
	return true;
}

/*
 * What a refresh started at cover_gen gen fetched goes into the cache, for
 * the groups not known yet and covered without a break since before gen,
 * newer over older; then they are known.  cache_lock held.  s is INFO's
 * seq read before the fetch; all: fresh is a dump of every group.
 */
static int merge(struct vfiogroup_ctx *ctx, struct vg_cache *fresh,
		 uint64_t s, bool all, uint64_t gen)
{
	uint64_t since;
	int r = 0;

	/* A dump counts only if nothing has been filtered since before it. */
	if (all && !(ctx->cover.all && ctx->cover.all_since <= gen))
		return 0;
	for (size_t i = 0; i < fresh->n && !r; i++) {
		struct vg_cache_entry *f = &fresh->e[i];
		struct vg_cache_entry *e = vg_cache_find(&ctx->cache, f->id);

		if (vg_known(ctx, f->id) || !covered_since(ctx, f->id, &since) ||
		    since > gen)
			continue;
		if (f->group && (!e || f->seq > e->seq))
			r = vg_cache_put(&ctx->cache,
					 vfiogroup_group_ref(f->group));
		else if (!f->group && (!e || e->seq <= f->seq))
			r = vg_cache_put_absent(&ctx->cache, f->id, f->seq);
		if (!r && !all)
			r = vfiogroup_filter_add_group(&ctx->known, f->id);
	}
	if (r || !all)
		return r;
	/* Not in the dump, and nothing newer since: gone before it. */
	for (size_t i = ctx->cache.n; i-- > 0;) {
		struct vg_cache_entry *e = &ctx->cache.e[i];

		if (!vg_known(ctx, e->id) && !vg_cache_find(fresh, e->id) &&
		    e->seq <= s)
			vg_cache_remove(&ctx->cache, e->id);
	}
	/*
	 * Groups missing from the dump did not exist after s; and from s on
	 * no filter hid anything, so gap detection resumes there.
	 */
	if (s > ctx->sync_seq)
		ctx->sync_seq = s;
	if (s > ctx->last_seq)
		ctx->last_seq = s;
	filter_reset(&ctx->known);
	ctx->known_all = true;
	/* unless a filter is going on right now */
	ctx->gapcheck = !ctx->attaching;
	return 0;
}

/* Fetch ids (or every group when all) into fresh; s: INFO's seq. */
static int fetch(struct vfiogroup_ctx *ctx, const uint32_t *ids, size_t n,
		 bool all, struct vg_cache *fresh, uint64_t *s)
{
	struct vfiogroup_info info;
	int r = vg_req_info(ctx, &info, NULL);

	*s = info.seq;
	if (!r && all)
		r = vg_req_dump(ctx, fresh);
	for (size_t i = 0; i < n && !r; i++) {
		struct vg_request req = { .kind = VG_REQ_GROUP_BY_ID,
					  .group_id = ids[i] };
		struct vfiogroup_group *g = NULL;

		r = vg_req_group(ctx, &req, &g);
		if (r == -ENOENT)
			r = vg_cache_put_absent(fresh, ids[i], info.seq);
		else if (!r)
			r = vg_cache_put(fresh, g);
	}
	return r;
}

int vg_refresh_pending(struct vfiogroup_ctx *ctx)
{
	struct vg_cache fresh;
	uint32_t *ids = NULL;
	uint64_t gen, reload, s = 0;
	size_t n = 0;
	bool all;
	int r;

	pthread_mutex_lock(&ctx->cache_lock);
	if (!ctx->connected || !ctx->synced || ctx->need_resync ||
	    !vg_refresh_needed(ctx)) {
		pthread_mutex_unlock(&ctx->cache_lock);
		return 0;
	}
	gen = ctx->cover_gen;
	reload = ctx->reload_gen;
	all = ctx->cover.all;
	if (!all) {
		ids = malloc(ctx->cover.ids.n * sizeof(*ids));
		for (size_t i = 0; ids && i < ctx->cover.ids.n; i++)
			if (!vg_filter_has(&ctx->known, ctx->cover.ids.ids[i]))
				ids[n++] = ctx->cover.ids.ids[i];
	}
	pthread_mutex_unlock(&ctx->cache_lock);

	vg_cache_init(&fresh);
	r = !all && !ids ? -ENOMEM : fetch(ctx, ids, n, all, &fresh, &s);
	free(ids);
	pthread_mutex_lock(&ctx->cache_lock);
	/*
	 * Fetched for a cache that was reloaded since (maybe from another
	 * module instance): worthless, and not needed any more.
	 */
	if (!r && reload == ctx->reload_gen && ctx->connected) {
		r = merge(ctx, &fresh, s, all, gen);
		vg_owed_changed(ctx);	/* more groups known */
	}
	/* Those groups stay unknown: a resync will load everything. */
	if (r && ctx->connected)
		vg_owe_resync(ctx);
	pthread_mutex_unlock(&ctx->cache_lock);
	vg_cache_clear(&fresh);
	if (all)
		vg_dbg(ctx, "refresh of every group at seq %llu: %s",
		       (unsigned long long)s, r ? vfiogroup_strerror(r) : "done");
	else
		vg_dbg(ctx, "refresh of %zu newly followed groups at seq %llu: %s",
		       n, (unsigned long long)s, r ? vfiogroup_strerror(r) : "done");
	return r;
}
