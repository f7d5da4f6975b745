/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging of vfiogroup-hooks: plain stderr lines with a "<N>" syslog
 * priority prefix, which journald (and systemd's stderr capture) turns
 * into the record's priority, with no libsystemd dependency.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "hooks.h"

int hooks_log_level = LOG_NOTICE;

static void vlog_line(int priority, const char *fmt, va_list ap)
{
	/* one write per line (stderr is unbuffered): whole lines in the journal */
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "<%d>vfiogroup-hooks: ", priority);

	if (n < 0)
		return;
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	fprintf(stderr, "%s\n", buf);
}

void hlog(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority > hooks_log_level)
		return;
	va_start(ap, fmt);
	vlog_line(priority, fmt, ap);
	va_end(ap);
}

void hooks_lib_log(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct vfiogroup_ctx *ctx = data;

	/*
	 * While the module is away the library keeps looking for it and
	 * logs each miss as a failure; for a daemon that waits for the
	 * module (and said so at notice) that is its state, not an error.
	 */
	if (priority < LOG_NOTICE && ctx && !vfiogroup_ctx_connected(ctx))
		priority = LOG_INFO;
	(void)file;
	(void)line;
	(void)fn;
	if (priority <= hooks_log_level)
		vlog_line(priority, format, args);
}
