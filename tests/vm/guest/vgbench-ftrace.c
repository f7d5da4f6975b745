// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The time the kernel spends in the module's notifier callbacks, measured
 * by the kernel's function_graph tracer rather than by the module: for
 * each traced call it records the time from entry to return.  Only the
 * entry points are filtered, so each call is one line; a callback that
 * calls another traced one is counted at its outermost call only.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgbench.h"

#define TRACEFS "/sys/kernel/tracing"

/* The module's notifier callbacks: the bus one, and 5.10's per-group one. */
static const char *const entry_points[] = { "vg_bus_notify", "vg_group_notify" };

static int tracefs_write(const char *file, const char *s, int flags)
{
	char p[128];

	snprintf(p, sizeof(p), TRACEFS "/%s", file);
	return write_file_flags(p, s, flags);
}

int ftrace_begin(void)
{
	int found = 0;

	if (tracefs_write("tracing_on", "0", O_TRUNC) ||
	    tracefs_write("current_tracer", "nop", O_TRUNC) ||
	    tracefs_write("set_ftrace_filter", "", O_TRUNC))
		return -ENOTSUP;
	for (size_t i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++)
		found += tracefs_write("set_ftrace_filter", entry_points[i], O_APPEND) == 0;
	if (!found)
		return -ENOENT;
	/* One line per call with its duration, nothing else. */
	return tracefs_write("current_tracer", "function_graph", O_TRUNC) ? -ENOTSUP : 0;
}

void ftrace_end(void)
{
	tracefs_write("tracing_on", "0", O_TRUNC);
	tracefs_write("current_tracer", "nop", O_TRUNC);
	tracefs_write("set_ftrace_filter", "", O_TRUNC);
}

/* Empty the buffer and start recording. */
int ftrace_start(void)
{
	int err = tracefs_write("trace", "", O_TRUNC);

	return err ? err : tracefs_write("tracing_on", "1", O_TRUNC);
}

/*
 * Stop recording; *us: the calls' total time, *calls: how many.  A line
 * is "CPU) [marker] D us | <depth spaces>name();" or "... | }" closing
 * an outer call; depth 0 is two spaces after the bar.
 */
int ftrace_stop(double *us, int *calls)
{
	char line[512];
	FILE *f;

	*us = 0;
	*calls = 0;
	tracefs_write("tracing_on", "0", O_TRUNC);
	f = fopen(TRACEFS "/trace", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *bar = strchr(line, '|'), *unit, *p;
		double d;

		if (line[0] == '#' || !bar || strncmp(bar + 1, "  ", 2) || isspace((unsigned char)bar[3]))
			continue;
		unit = strstr(line, " us ");
		if (!unit || unit > bar)
			continue;	/* an outer call's opening line */
		/* the number before " us", after the CPU and any marker */
		p = unit;
		while (p > line && (isdigit((unsigned char)p[-1]) || p[-1] == '.'))
			p--;
		d = strtod(p, NULL);
		*us += d;
		(*calls)++;
	}
	fclose(f);
	return 0;
}
