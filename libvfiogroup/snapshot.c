/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Queries, answered from the cache for the groups it follows (known, see
 * cover.c).  A group the kernel filter hides, or one it let through only
 * just now, is asked of the kernel instead: the caller never sees the
 * filter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A round trip to the kernel, or -EAGAIN where the caller forbade them. */
static int may_ask_kernel(const struct vfiogroup_ctx *ctx)
{
	return ctx->flags & VFIOGROUP_CTX_NONBLOCK_QUERIES ? -EAGAIN : 0;
}

/* -ENOTCONN before the first successful load, else 0. */
static int usable(struct vfiogroup_ctx *ctx)
{
	bool synced;

	if (!ctx->t)
		return -ENOTCONN;
	pthread_mutex_lock(&ctx->cache_lock);
	synced = ctx->synced;
	pthread_mutex_unlock(&ctx->cache_lock);
	return synced ? 0 : -ENOTCONN;
}

/*
 * The ids of the groups that exist: the cache's word for the known ones,
 * the dump's (NULL when every group is known) for the others.  Both are
 * sorted: one merge pass.  cache_lock held.
 */
static int list_ids(struct vfiogroup_ctx *ctx, const struct vg_cache *dump,
		    uint32_t **out, size_t *n)
{
	const struct vg_cache *c = &ctx->cache;
	size_t cap = c->n + (dump ? dump->n : 0), i = 0, j = 0;
	uint32_t *ids = cap ? malloc(cap * sizeof(*ids)) : NULL;

	*n = 0;
	if (cap && !ids)
		return -ENOMEM;
	while (i < c->n || (dump && j < dump->n)) {
		const struct vg_cache_entry *e = i < c->n ? &c->e[i] : NULL;
		const struct vg_cache_entry *d =
			dump && j < dump->n ? &dump->e[j] : NULL;
		uint32_t id = e && (!d || e->id <= d->id) ? e->id : d->id;
		bool in_e = e && e->id == id && e->group;
		bool in_d = d && d->id == id && d->group;

		if (!dump || vg_known(ctx, id) ? in_e : in_d)
			ids[(*n)++] = id;
		i += e && e->id == id;
		j += d && d->id == id;
	}
	*out = ids;
	return 0;
}

VG_EXPORT int vfiogroup_group_ids(struct vfiogroup_ctx *ctx, uint32_t **out)
{
	struct vg_cache dump;
	uint32_t *ids = NULL;
	bool have_dump = false, done = false;
	size_t n = 0;
	int r;

	if (!ctx || !out)
		return -EINVAL;
	*out = NULL;
	r = usable(ctx);
	if (r)
		return r;
	vg_cache_init(&dump);
	/*
	 * Groups the filter hides, and new ones among them: ask the kernel.
	 * Whether every group is known is decided under the lock that the
	 * merge holds: an unsubscribe in between may narrow the cache, and
	 * then the dump is needed after all (one more round at most).
	 */
	while (!r && !done) {
		pthread_mutex_lock(&ctx->cache_lock);
		if (ctx->known_all || have_dump) {
			r = list_ids(ctx, ctx->known_all ? NULL : &dump, &ids, &n);
			done = true;
		}
		pthread_mutex_unlock(&ctx->cache_lock);
		if (!done) {
			r = may_ask_kernel(ctx);
			if (!r)
				r = vg_req_dump(ctx, &dump);
			have_dump = true;
		}
	}
	vg_cache_clear(&dump);
	if (r)
		return r;
	if (!n) {
		free(ids);
		ids = NULL;
	}
	*out = ids;
	return n > INT32_MAX ? -EOVERFLOW : (int)n;
}

int vg_lookup_group(struct vfiogroup_ctx *ctx, uint32_t id,
		    struct vfiogroup_group **out, bool *fresh)
{
	struct vg_request req = { .kind = VG_REQ_GROUP_BY_ID, .group_id = id };
	struct vg_cache_entry *e;
	bool known;
	int r;

	if (!ctx || !out)
		return -EINVAL;
	*out = NULL;
	*fresh = false;
	r = usable(ctx);
	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	known = vg_known(ctx, id);
	e = known ? vg_cache_find(&ctx->cache, id) : NULL;
	if (e && e->group)
		*out = vfiogroup_group_ref(e->group);
	pthread_mutex_unlock(&ctx->cache_lock);
	if (known)
		return *out ? 0 : -ENOENT;
	r = may_ask_kernel(ctx);
	if (!r)
		r = vg_req_group(ctx, &req, out);
	*fresh = !r;
	return r;
}

int vg_lookup_device(struct vfiogroup_ctx *ctx, const char *dev_name,
		     struct vfiogroup_group **out, bool *fresh)
{
	struct vg_request req = { .kind = VG_REQ_GROUP_BY_DEV,
				  .dev_name = dev_name };
	bool all;
	int r;

	if (!ctx || !dev_name || !out)
		return -EINVAL;
	*out = NULL;
	*fresh = false;
	r = usable(ctx);
	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	all = ctx->known_all;
	for (size_t i = 0; i < ctx->cache.n && !*out; i++)
		if (vg_known(ctx, ctx->cache.e[i].id) &&
		    vg_group_find_dev(ctx->cache.e[i].group, dev_name))
			*out = vfiogroup_group_ref(ctx->cache.e[i].group);
	pthread_mutex_unlock(&ctx->cache_lock);
	if (*out)
		return 0;
	/* Not in a group the cache follows: maybe in one it does not. */
	if (all)
		return -ENOENT;
	r = may_ask_kernel(ctx);
	if (!r)
		r = vg_req_group(ctx, &req, out);
	*fresh = !r;
	return r;
}

VG_EXPORT int vfiogroup_get_group(struct vfiogroup_ctx *ctx, uint32_t id,
				  struct vfiogroup_group **out)
{
	bool fresh;

	return vg_lookup_group(ctx, id, out, &fresh);
}

VG_EXPORT int vfiogroup_find_device(struct vfiogroup_ctx *ctx,
				    const char *dev_name,
				    struct vfiogroup_group **out)
{
	bool fresh;

	return vg_lookup_device(ctx, dev_name, out, &fresh);
}

VG_EXPORT int vfiogroup_is_viable(struct vfiogroup_ctx *ctx, uint32_t id)
{
	struct vfiogroup_group *g;
	int r = vfiogroup_get_group(ctx, id, &g);

	if (r)
		return r;
	r = g->viable;
	vfiogroup_group_unref(g);
	return r;
}

VG_EXPORT int vfiogroup_info(struct vfiogroup_ctx *ctx,
			     struct vfiogroup_info *out)
{
	if (!ctx || !out)
		return -EINVAL;
	if (!ctx->t)
		return -ENOTCONN;
	if (may_ask_kernel(ctx))
		return -EAGAIN;
	return vg_req_info(ctx, out, NULL);
}
