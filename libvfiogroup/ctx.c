/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The context: one connection to the family, its cache, its
 * subscriptions.  Everything lives here; the library has no globals.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Generous: a group with a few hundred devices still fits one read. */
#define RXBUF_SIZE	(64 * 1024)

void vg_error_at(struct vfiogroup_ctx *ctx, const char *file, int line,
		 const char *fn, const char *fmt, ...)
{
	char text[sizeof(ctx->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&ctx->cache_lock);
	memcpy(ctx->err, text, sizeof(text));
	pthread_mutex_unlock(&ctx->cache_lock);
	if (vg_log_enabled(ctx, 3))	/* LOG_ERR */
		vg_log_at(ctx, 3, file, line, fn, "%s", text);
}

static void ctx_free(struct vfiogroup_ctx *ctx)
{
	if (ctx->t)
		ctx->t->ops->destroy(ctx->t);
	vg_cache_clear(&ctx->cache);
	vfiogroup_group_unref(ctx->spare);
	free(ctx->cover.ids.ids);
	free(ctx->cover.since);
	free(ctx->known.ids);
	free(ctx->rxbuf);
	pthread_mutex_destroy(&ctx->dispatch_lock);
	pthread_mutex_destroy(&ctx->req_lock);
	pthread_mutex_destroy(&ctx->cache_lock);
	pthread_mutex_destroy(&ctx->filter_lock);
	pthread_mutex_destroy(&ctx->subs_lock);
	pthread_cond_destroy(&ctx->subs_cond);
	pthread_mutex_destroy(&ctx->log.lock);
	free(ctx);
}

static struct vfiogroup_ctx *ctx_alloc(unsigned flags)
{
	struct vfiogroup_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->rxbuf = malloc(RXBUF_SIZE);
	if (!ctx->rxbuf) {
		free(ctx);
		return NULL;
	}
	ctx->rxcap = RXBUF_SIZE;
	atomic_init(&ctx->refs, 1);
	atomic_init(&ctx->owed_gen, 0);
	ctx->flags = flags;
	pthread_mutexattr_t attr;

	/* Error-checking: a callback re-entering dispatch gets EDEADLK. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&ctx->dispatch_lock, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_init(&ctx->req_lock, NULL);
	pthread_mutex_init(&ctx->cache_lock, NULL);
	pthread_mutex_init(&ctx->filter_lock, NULL);
	pthread_mutex_init(&ctx->subs_lock, NULL);
	pthread_cond_init(&ctx->subs_cond, NULL);
	vg_log_init(ctx);
	vg_cache_init(&ctx->cache);
	/* No filter yet: every group's events come, every group is followed. */
	ctx->cover.all = true;
	ctx->known_all = true;
	ctx->gapcheck = true;
	return ctx;
}

/*
 * The transport is the context's from here on, even on failure.  On
 * failure other than -ENOMEM the context is still handed out, holding the
 * message: see vfiogroup_ctx_new() in vfiogroup.h.
 */
int vg_ctx_new_transport(struct vfiogroup_ctx **out, unsigned flags,
			 struct vg_transport *t)
{
	struct vfiogroup_ctx *ctx = ctx_alloc(flags);
	int r;

	*out = NULL;
	if (!ctx) {
		if (t)
			t->ops->destroy(t);
		return -ENOMEM;
	}
	ctx->t = t;

	r = t->ops->watch_ctrl(t);
	if (r) {
		vg_set_error(ctx, "vfiogroup: cannot join nlctrl's notify group: %s",
			     vfiogroup_strerror(r));
		goto fail;
	}
	pthread_mutex_lock(&ctx->dispatch_lock);
	r = vg_sync(ctx, VG_SYNC_INITIAL);
	pthread_mutex_unlock(&ctx->dispatch_lock);
	if (r == -ENOENT && (flags & VFIOGROUP_CTX_WAIT_MODULE))
		r = 0;	/* stay disconnected, nlctrl tells us when it comes */
	if (r)
		goto fail;
	*out = ctx;
	return 0;
fail:
	if (r == -ENOMEM) {
		ctx_free(ctx);
		return r;
	}
	*out = ctx;
	return r;
}

VG_EXPORT int vfiogroup_ctx_new(struct vfiogroup_ctx **out, unsigned flags)
{
	struct vg_transport *t;
	char err[256] = "";
	int r;

	if (!out)
		return -EINVAL;
	if (flags & ~(VFIOGROUP_CTX_WAIT_MODULE | VFIOGROUP_CTX_NO_KERNEL_FILTER |
		      VFIOGROUP_CTX_NONBLOCK_QUERIES)) {
		*out = NULL;
		return -EINVAL;
	}
	r = vg_transport_nl_new(&t, err, sizeof(err));
	if (r) {
		struct vfiogroup_ctx *ctx = r == -ENOMEM ? NULL : ctx_alloc(flags);

		*out = ctx;
		if (ctx)
			snprintf(ctx->err, sizeof(ctx->err), "%s", err);
		return ctx ? r : -ENOMEM;
	}
	return vg_ctx_new_transport(out, flags, t);
}

VG_EXPORT struct vfiogroup_ctx *vfiogroup_ctx_ref(struct vfiogroup_ctx *ctx)
{
	if (ctx)
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
	return ctx;
}

VG_EXPORT struct vfiogroup_ctx *vfiogroup_ctx_unref(struct vfiogroup_ctx *ctx)
{
	if (ctx && atomic_fetch_sub_explicit(&ctx->refs, 1,
					     memory_order_acq_rel) == 1)
		ctx_free(ctx);
	return NULL;
}

VG_EXPORT const char *vfiogroup_ctx_last_error(const struct vfiogroup_ctx *ctx)
{
	if (!ctx)
		return "vfiogroup: out of memory";
	return ctx->err;
}

VG_EXPORT int vfiogroup_ctx_error(const struct vfiogroup_ctx *ctx, char *buf,
				  size_t size)
{
	/* Locking does not change what the caller sees of ctx. */
	struct vfiogroup_ctx *c = (struct vfiogroup_ctx *)ctx;
	int n;

	if (!buf && size)
		return -EINVAL;
	if (!ctx)
		return snprintf(buf, size, "%s", vfiogroup_ctx_last_error(NULL));
	pthread_mutex_lock(&c->cache_lock);
	n = snprintf(buf, size, "%s", c->err);
	pthread_mutex_unlock(&c->cache_lock);
	return n;
}

VG_EXPORT int vfiogroup_ctx_connected(struct vfiogroup_ctx *ctx)
{
	int c;

	if (!ctx)
		return -EINVAL;
	pthread_mutex_lock(&ctx->cache_lock);
	c = ctx->connected;
	pthread_mutex_unlock(&ctx->cache_lock);
	return c;
}

VG_EXPORT int vfiogroup_get_fd(struct vfiogroup_ctx *ctx)
{
	if (!ctx || !ctx->t)
		return -EINVAL;
	return ctx->t->ops->fd(ctx->t);
}

VG_EXPORT int vfiogroup_stats(struct vfiogroup_ctx *ctx,
			      struct vfiogroup_stats *out, size_t size)
{
	struct vfiogroup_stats s;

	if (!ctx || !out)
		return -EINVAL;
	pthread_mutex_lock(&ctx->cache_lock);
	s = ctx->stats;
	pthread_mutex_unlock(&ctx->cache_lock);
	/* counted where the callbacks are, not under cache_lock */
	pthread_mutex_lock(&ctx->subs_lock);
	s.delivered = ctx->delivered;
	pthread_mutex_unlock(&ctx->subs_lock);
	vg_copy_sized(out, size, &s, sizeof(s));
	return 0;
}

VG_EXPORT const char *vfiogroup_version(void)
{
	return PACKAGE_VERSION;
}
