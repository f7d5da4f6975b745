/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the commands share (cli.h).  The exit statuses scripts rely on are
 * one mapping for every command: a
 * missing module is "any other error" (1), as a script cannot act on it
 * differently from a failed socket; only timeouts (2) and a group or
 * device that is not there (3) get statuses of their own.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>

#include "cli.h"
#include "json-pretty.h"

int exit_status_of(int err)
{
	switch (err) {
	case 0:
		return EXIT_OK;
	case -ETIMEDOUT:
		return EXIT_TIMEOUT;
	case -ENODEV:
		return EXIT_GONE;
	default:
		return EXIT_ERROR;
	}
}

int cli_fail(const char *what, int err)
{
	fprintf(stderr, "vfiogroup: %s: %s\n", what, vfiogroup_strerror(err));
	return exit_status_of(err);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vfiogroup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vfiogroup --help'.\n", stderr);
	return EXIT_ERROR;
}

int cli_bad_option(const char *cmd, char **argv)
{
	const char *prefix = cmd ? cmd : "", *sep = cmd ? ": " : "";

	if (optopt)
		return cli_usage_error("%s%sunknown option '-%c'", prefix, sep,
				       optopt);
	return cli_usage_error("%s%sunknown option '%s'", prefix, sep,
			       argv[optind - 1]);
}

int cli_connect(void)
{
	int r = vfiogroup_ctx_new(&cli_ctx, 0);

	if (!r)
		return EXIT_OK;
	fprintf(stderr, "%s\n", vfiogroup_ctx_last_error(cli_ctx));
	cli_ctx = vfiogroup_ctx_unref(cli_ctx);
	return EXIT_ERROR;
}

bool color_wanted(enum color_mode mode, bool tty, const char *no_color)
{
	switch (mode) {
	case COLOR_ALWAYS:
		return true;	/* asked for by name: wins over NO_COLOR */
	case COLOR_NEVER:
		return false;
	default:
		return tty && !(no_color && *no_color);
	}
}

static char *pretty_buf;
static size_t pretty_len;

FILE *out_begin(void)
{
	FILE *f;

	if (cli.json != JSON_PRETTY)
		return stdout;
	f = open_memstream(&pretty_buf, &pretty_len);
	return f ? f : stdout;
}

/* Every record flushed, whether stdout is a terminal or a pipe. */
void out_end(FILE *f)
{
	if (f != stdout) {
		fclose(f);
		json_pretty(stdout, pretty_buf);
		free(pretty_buf);
		pretty_buf = NULL;
	}
	fflush(stdout);
}
