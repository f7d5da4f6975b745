/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A context's log: a function of the caller's (libkmod's kmod_set_log_fn()
 * model) and a priority above which nothing is even formatted.  Without a
 * function nothing is logged, unless $VFIOGROUP_LOG asked for stderr when
 * the context was made: that is how an application that never heard of
 * logging can still be debugged.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* secure_getenv() */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "internal.h"

static void log_stderr(void *data, int priority, const char *file, int line,
		       const char *fn, const char *format, va_list args)
{
	(void)data;
	(void)priority;
	(void)file;
	(void)line;
	flockfile(stderr);
	fprintf(stderr, "libvfiogroup: %s: ", fn);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	funlockfile(stderr);
}

/* "err", "notice", "info", "debug" (or syslog's names), or a number. */
static int parse_priority(const char *s)
{
	static const struct { const char *name; int prio; } names[] = {
		{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT },
		{ "crit", LOG_CRIT }, { "err", LOG_ERR }, { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
	};
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return names[i].prio;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < LOG_EMERG || v > LOG_DEBUG)
		return -1;
	return (int)v;
}

void vg_log_init(struct vfiogroup_ctx *ctx)
{
	const char *env = secure_getenv("VFIOGROUP_LOG");
	int prio = env ? parse_priority(env) : -1;

	pthread_mutex_init(&ctx->log.lock, NULL);
	atomic_init(&ctx->log.priority, prio >= 0 ? prio : LOG_ERR);
	if (prio >= 0)
		ctx->log.fn = log_stderr;
}

bool vg_log_enabled(const struct vfiogroup_ctx *ctx, int priority)
{
	return priority <= atomic_load_explicit(&ctx->log.priority,
						memory_order_relaxed);
}

void vg_logv(struct vfiogroup_ctx *ctx, int priority, const char *file,
	     int line, const char *fn, const char *format, va_list args)
{
	vfiogroup_log_fn log_fn;
	void *data;

	pthread_mutex_lock(&ctx->log.lock);
	log_fn = ctx->log.fn;
	data = ctx->log.data;
	pthread_mutex_unlock(&ctx->log.lock);
	if (log_fn)
		log_fn(data, priority, file, line, fn, format, args);
}

void vg_log_at(struct vfiogroup_ctx *ctx, int priority, const char *file,
	       int line, const char *fn, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	vg_logv(ctx, priority, file, line, fn, format, ap);
	va_end(ap);
}

VG_EXPORT void vfiogroup_set_log_fn(struct vfiogroup_ctx *ctx,
				    vfiogroup_log_fn fn, void *data)
{
	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->log.lock);
	ctx->log.fn = fn;
	ctx->log.data = data;
	pthread_mutex_unlock(&ctx->log.lock);
}

VG_EXPORT void vfiogroup_set_log_priority(struct vfiogroup_ctx *ctx,
					  int priority)
{
	if (!ctx)
		return;
	if (priority < LOG_EMERG)
		priority = LOG_EMERG;
	if (priority > LOG_DEBUG)
		priority = LOG_DEBUG;
	atomic_store_explicit(&ctx->log.priority, priority,
			      memory_order_relaxed);
}

VG_EXPORT int vfiogroup_get_log_priority(const struct vfiogroup_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	return atomic_load_explicit(&ctx->log.priority, memory_order_relaxed);
}
