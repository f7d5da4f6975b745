/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Subscriptions, built like the kernel's blocking notifier chains: a
 * callback never runs outside its registration.
 *
 *  - The dispatcher walks the list under subs_lock but drops the lock
 *    around each callback, after marking that subscription "running".
 *  - A running subscription is never unlinked by anyone but the thread
 *    that ends it, so the dispatcher can always step to ->next.
 *  - vfiogroup_unsubscribe() marks the subscription dead.  If its callback
 *    runs in another thread, it waits on subs_cond until it returns; if it
 *    runs in this very thread (we are inside it), waiting would deadlock,
 *    so the dispatcher frees it once the callback returns.  Otherwise
 *    nobody holds it and it is freed at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

VG_EXPORT int vfiogroup_filter_new(struct vfiogroup_filter **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

VG_EXPORT void vfiogroup_filter_free(struct vfiogroup_filter *f)
{
	if (f) {
		free(f->ids);
		free(f);
	}
}

size_t vg_filter_pos(const struct vfiogroup_filter *f, uint32_t id)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool vg_filter_has(const struct vfiogroup_filter *f, uint32_t id)
{
	size_t i = vg_filter_pos(f, id);

	return i < f->n && f->ids[i] == id;
}

VG_EXPORT int vfiogroup_filter_add_group(struct vfiogroup_filter *f,
					 uint32_t id)
{
	size_t i;

	if (!f)
		return -EINVAL;
	i = vg_filter_pos(f, id);
	if (i < f->n && f->ids[i] == id)
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 4;
		uint32_t *n = realloc(f->ids, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->ids = n;
		f->cap = cap;
	}
	memmove(&f->ids[i + 1], &f->ids[i], (f->n - i) * sizeof(*f->ids));
	f->ids[i] = id;
	f->n++;
	return 0;
}

static int filter_copy(struct vfiogroup_filter *dst,
		       const struct vfiogroup_filter *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->n)
		return 0;
	dst->ids = malloc(src->n * sizeof(*dst->ids));
	if (!dst->ids)
		return -ENOMEM;
	memcpy(dst->ids, src->ids, src->n * sizeof(*dst->ids));
	dst->n = dst->cap = src->n;
	return 0;
}

/* ------------------------------------------------------------------ */

/* subs_lock held */
static void sub_unlink(struct vfiogroup_ctx *ctx, struct vfiogroup_sub *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		ctx->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		ctx->subs_tail = s->prev;
}

static void sub_free(struct vfiogroup_sub *s)
{
	struct vfiogroup_ctx *ctx = s->ctx;

	free(s->filter.ids);
	free(s);
	vfiogroup_ctx_unref(ctx);
}

/* dev_name NULL: by filter (NULL: every group). */
static int subscribe(struct vfiogroup_ctx *ctx,
		     const struct vfiogroup_filter *filter, const char *dev_name,
		     unsigned event_mask, vfiogroup_cb cb, void *userdata,
		     struct vfiogroup_sub **out)
{
	struct vfiogroup_sub *s;
	int r;

	if (!ctx || !cb || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (dev_name) {
		/* It may come back in any group: the kernel lets all through. */
		strcpy(s->device, dev_name);	/* length checked by the caller */
		s->all_groups = true;
	} else if (filter) {
		r = filter_copy(&s->filter, filter);
		if (r) {
			free(s);
			return r;
		}
	} else {
		s->all_groups = true;
	}
	s->ctx = vfiogroup_ctx_ref(ctx);
	s->mask = event_mask;
	s->cb = cb;
	s->userdata = userdata;

	pthread_mutex_lock(&ctx->subs_lock);
	/* Deliveries already under way were numbered before: skip us. */
	s->gen = ++ctx->subs_gen;
	s->prev = ctx->subs_tail;
	if (ctx->subs_tail)
		ctx->subs_tail->next = s;
	else
		ctx->subs = s;
	ctx->subs_tail = s;
	ctx->nsubs++;
	if (s->all_groups)
		ctx->nsubs_all++;
	pthread_mutex_unlock(&ctx->subs_lock);

	/*
	 * A failure to narrow the filter only costs wakeups; a failure to
	 * widen it would lose events, and vg_update_filter() detaches the
	 * filter in that case.  Then list-then-watch for the groups it lets
	 * through now: once we return, a query about them is answered from a
	 * current entry and each of their later events is delivered.  (A
	 * failed refresh leaves them to a resync, announced by RESYNC.)
	 */
	vg_update_filter(ctx);
	vg_refresh_pending(ctx);
	*out = s;
	return 0;
}

VG_EXPORT int vfiogroup_subscribe(struct vfiogroup_ctx *ctx,
				  const struct vfiogroup_filter *filter,
				  unsigned event_mask, vfiogroup_cb cb,
				  void *userdata, struct vfiogroup_sub **out)
{
	return subscribe(ctx, filter, NULL, event_mask, cb, userdata, out);
}

VG_EXPORT int vfiogroup_subscribe_device(struct vfiogroup_ctx *ctx,
					 const char *dev_name,
					 unsigned event_mask, vfiogroup_cb cb,
					 void *userdata,
					 struct vfiogroup_sub **out)
{
	if (!dev_name || !*dev_name || strlen(dev_name) >= VFIOGROUP_NAME_MAX)
		return -EINVAL;
	return subscribe(ctx, NULL, dev_name, event_mask, cb, userdata, out);
}

VG_EXPORT void vfiogroup_unsubscribe(struct vfiogroup_sub *s)
{
	struct vfiogroup_ctx *ctx;

	if (!s)
		return;
	ctx = s->ctx;

	pthread_mutex_lock(&ctx->subs_lock);
	s->dead = true;
	ctx->nsubs--;
	if (s->all_groups)
		ctx->nsubs_all--;
	if (s->running && pthread_equal(s->runner, pthread_self())) {
		/* Inside its own callback: the dispatcher frees it. */
		pthread_mutex_unlock(&ctx->subs_lock);
		vg_update_filter(ctx);
		return;
	}
	s->waiters++;
	while (s->running)
		pthread_cond_wait(&ctx->subs_cond, &ctx->subs_lock);
	s->waiters--;
	sub_unlink(ctx, s);
	pthread_mutex_unlock(&ctx->subs_lock);

	vfiogroup_ctx_ref(ctx);	/* sub_free() may drop the last one */
	sub_free(s);
	vg_update_filter(ctx);
	vfiogroup_ctx_unref(ctx);
}

static bool sub_wants(const struct vfiogroup_sub *s,
		      const struct vfiogroup_ev *ev)
{
	if (ev->kind >= 32 || !(s->mask & VFIOGROUP_EVMASK(ev->kind)))
		return false;
	if (ev->kind >= VFIOGROUP_EV_RESYNC)
		return true;
	/* Its own events, and those of the group it is in after them. */
	if (s->device[0])
		return (ev->dev_name && !strcmp(ev->dev_name, s->device)) ||
		       vg_group_find_dev(ev->group, s->device);
	return s->all_groups || vg_filter_has(&s->filter, ev->group_id);
}

/* Runs callbacks: called with dispatch_lock held and no other lock. */
void vg_deliver(struct vfiogroup_ctx *ctx, const struct vfiogroup_ev *ev)
{
	struct vfiogroup_sub *s;
	uint64_t gen;

	pthread_mutex_lock(&ctx->subs_lock);
	gen = ctx->subs_gen;
	s = ctx->subs;
	while (s) {
		struct vfiogroup_sub *next;

		if (s->dead || s->gen > gen || !sub_wants(s, ev)) {
			s = s->next;
			continue;
		}
		s->running = true;
		s->runner = pthread_self();
		pthread_mutex_unlock(&ctx->subs_lock);

		s->cb(s, ev, s->userdata);

		pthread_mutex_lock(&ctx->subs_lock);
		ctx->delivered++;
		s->running = false;
		next = s->next;
		if (s->dead) {
			if (s->waiters) {
				/* The waiting thread unlinks and frees it. */
				pthread_cond_broadcast(&ctx->subs_cond);
			} else {
				/* Unsubscribed from inside its callback. */
				sub_unlink(ctx, s);
				pthread_mutex_unlock(&ctx->subs_lock);
				sub_free(s);	/* dispatch holds a ctx ref */
				pthread_mutex_lock(&ctx->subs_lock);
			}
		}
		s = next;
	}
	pthread_mutex_unlock(&ctx->subs_lock);
}

void vg_deliver_notice(struct vfiogroup_ctx *ctx, unsigned kind)
{
	struct vfiogroup_ev ev = { .kind = kind };

	vg_deliver(ctx, &ev);
}

/* Union of the live subscriptions' groups; false if that means "all". */
static bool wanted_ids(struct vfiogroup_ctx *ctx, struct vfiogroup_filter *u)
{
	bool narrow = true;

	pthread_mutex_lock(&ctx->subs_lock);
	if (!ctx->nsubs || ctx->nsubs_all)
		narrow = false;
	for (struct vfiogroup_sub *s = ctx->subs; s && narrow; s = s->next) {
		if (s->dead)
			continue;
		for (size_t i = 0; i < s->filter.n && narrow; i++)
			if (vfiogroup_filter_add_group(u, s->filter.ids[i]) ||
			    u->n > VG_FILTER_MAX_GROUPS)
				narrow = false;
	}
	pthread_mutex_unlock(&ctx->subs_lock);
	return narrow;
}

int vg_update_filter(struct vfiogroup_ctx *ctx)
{
	struct vfiogroup_filter u = { 0 };
	struct sock_fprog prog = { 0 };
	bool narrow, all = false, changed = false;
	uint64_t *since = NULL;
	uint16_t family;
	int r = 0;

	/* Never attached: the cover stays "every group". */
	if ((ctx->flags & VFIOGROUP_CTX_NO_KERNEL_FILTER) || !ctx->t)
		return 0;

	/* filter_lock: the last computed filter is the one attached. */
	pthread_mutex_lock(&ctx->filter_lock);
	pthread_mutex_lock(&ctx->cache_lock);
	family = ctx->connected ? ctx->fam.id : 0;
	pthread_mutex_unlock(&ctx->cache_lock);
	if (!family) {
		/* Keep what is attached; vg_sync() comes back with the id. */
		pthread_mutex_unlock(&ctx->filter_lock);
		return 0;
	}

	narrow = wanted_ids(ctx, &u);
	if (narrow) {
		/* the cover's stamps (cover.c), one per id */
		since = malloc((u.n ? u.n : 1) * sizeof(*since));
		r = since ? vg_filter_build(family, u.ids, u.n, &prog) : -ENOMEM;
		if (!r) {
			bool was;

			/*
			 * From the moment the kernel has it, gaps are no
			 * longer losses: stop taking them for losses first.
			 */
			pthread_mutex_lock(&ctx->cache_lock);
			was = ctx->gapcheck;
			ctx->gapcheck = false;
			ctx->attaching = true;
			pthread_mutex_unlock(&ctx->cache_lock);
			r = ctx->t->ops->set_filter(ctx->t, &prog);
			free(prog.filter);
			if (r) {
				pthread_mutex_lock(&ctx->cache_lock);
				ctx->attaching = false;
				/* nothing was ever dropped: as before */
				if (!ctx->filter_attached)
					ctx->gapcheck = was;
				pthread_mutex_unlock(&ctx->cache_lock);
			}
		}
		if (!r) {
			ctx->filter_attached = true;
			changed = true;
		}
	}
	/* Not narrowing, or could not: make sure nothing is dropped. */
	if (!narrow || r) {
		if (!ctx->filter_attached ||
		    !ctx->t->ops->set_filter(ctx->t, NULL)) {
			ctx->filter_attached = false;
			all = changed = true;
		}
		/* else the old filter stays, and so does its cover */
	}
	/*
	 * Recorded after the kernel applies it: an event sent from now on
	 * is judged by this filter, so a refresh that starts after this
	 * sees everything the cover will not bring as events.
	 */
	if (changed) {
		pthread_mutex_lock(&ctx->cache_lock);
		vg_set_cover(ctx, all, &u, all ? NULL : since);
		ctx->attaching = false;
		pthread_mutex_unlock(&ctx->cache_lock);
		if (!all)
			since = NULL;	/* the cover's now */
	}
	pthread_mutex_unlock(&ctx->filter_lock);
	free(since);
	free(u.ids);
	return r;
}
