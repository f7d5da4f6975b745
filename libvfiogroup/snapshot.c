/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Queries, answered from the cache.  An entry the kernel filter left stale
 * is fetched again first: the caller never sees the filter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

/* Refetch every stale entry (there are none unless a filter is on). */
static int refresh_stale(struct vfiogroup_ctx *ctx)
{
	uint32_t *ids = NULL;
	size_t n = 0;
	int r = 0;

	pthread_mutex_lock(&ctx->cache_lock);
	for (size_t i = 0; i < ctx->cache.n; i++)
		n += ctx->cache.e[i].stale;
	if (n) {
		ids = malloc(n * sizeof(*ids));
		n = 0;
		for (size_t i = 0; ids && i < ctx->cache.n; i++)
			if (ctx->cache.e[i].stale)
				ids[n++] = ctx->cache.e[i].id;
	}
	pthread_mutex_unlock(&ctx->cache_lock);
	if (n && !ids)
		return -ENOMEM;
	for (size_t i = 0; i < n && (!r || r == -ENOENT); i++)
		r = vg_refresh_group(ctx, ids[i], NULL);
	free(ids);
	return r == -ENOENT ? 0 : r;
}

VG_EXPORT int vfiogroup_group_ids(struct vfiogroup_ctx *ctx, uint32_t **out)
{
	uint32_t *ids = NULL;
	size_t n = 0;
	int r;

	if (!ctx || !out)
		return -EINVAL;
	*out = NULL;
	r = usable(ctx);
	if (!r)
		r = refresh_stale(ctx);
	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	if (ctx->cache.n) {
		ids = malloc(ctx->cache.n * sizeof(*ids));
		for (size_t i = 0; ids && i < ctx->cache.n; i++)
			if (ctx->cache.e[i].group)
				ids[n++] = ctx->cache.e[i].id;
	}
	r = ctx->cache.n && !ids ? -ENOMEM : 0;
	pthread_mutex_unlock(&ctx->cache_lock);
	if (r)
		return r;
	if (!n) {
		free(ids);
		ids = NULL;
	}
	*out = ids;
	return n > INT32_MAX ? -EOVERFLOW : (int)n;
}

VG_EXPORT int vfiogroup_get_group(struct vfiogroup_ctx *ctx, uint32_t id,
				  struct vfiogroup_group **out)
{
	struct vg_cache_entry *e;
	bool stale = false;
	int r;

	if (!ctx || !out)
		return -EINVAL;
	*out = NULL;
	r = usable(ctx);
	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	e = vg_cache_find(&ctx->cache, id);
	if (e && !e->stale && e->group)
		*out = vfiogroup_group_ref(e->group);
	else
		stale = e != NULL;
	pthread_mutex_unlock(&ctx->cache_lock);
	if (*out)
		return 0;
	return stale ? vg_refresh_group(ctx, id, out) : -ENOENT;
}

VG_EXPORT int vfiogroup_find_device(struct vfiogroup_ctx *ctx,
				    const char *dev_name,
				    struct vfiogroup_group **out)
{
	int r;

	if (!ctx || !dev_name || !out)
		return -EINVAL;
	*out = NULL;
	r = usable(ctx);
	if (!r)
		r = refresh_stale(ctx);
	if (r)
		return r;
	pthread_mutex_lock(&ctx->cache_lock);
	for (size_t i = 0; i < ctx->cache.n && !*out; i++)
		if (vg_group_find_dev(ctx->cache.e[i].group, dev_name))
			*out = vfiogroup_group_ref(ctx->cache.e[i].group);
	pthread_mutex_unlock(&ctx->cache_lock);
	return *out ? 0 : -ENOENT;
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
	return vg_req_info(ctx, out);
}
