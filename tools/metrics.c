/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * "vfiogroup metrics": the groups' state once, in node_exporter's textfile
 * format on stdout, for a cron job or a quick look.  A single look has
 * seen no events, so the event and hook counters are left out: they come
 * from vfiogroup-hooks --textfile, which counts them while it runs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "metrics.h"

int cmd_metrics(int argc, char **argv)
{
	struct metrics_snapshot s;
	struct vfiogroup_ctx *ctx = NULL;
	int r;

	if (argc > 1) {
		fprintf(stderr, "vfiogroup: metrics: unexpected '%s'\n"
			"Try 'vfiogroup --help'.\n", argv[1]);
		return EXIT_ERROR;
	}
	r = vfiogroup_ctx_new(&ctx, 0);
	if (r && r != -ENOENT && r != -EPROTONOSUPPORT) {
		fprintf(stderr, "%s\n", vfiogroup_ctx_last_error(ctx));
		vfiogroup_ctx_unref(ctx);
		return EXIT_ERROR;
	}
	/* No module: still a valid page, vfiogroup_up 0, and exit 1. */
	r = metrics_collect(ctx, &s);
	if (r) {
		fprintf(stderr, "vfiogroup: metrics: %s\n", vfiogroup_strerror(r));
		vfiogroup_ctx_unref(ctx);
		return EXIT_ERROR;
	}
	r = metrics_render(stdout, &s);
	metrics_snapshot_free(&s);
	if (!s.connected)
		fprintf(stderr, "%s\n", vfiogroup_ctx_last_error(ctx));
	vfiogroup_ctx_unref(ctx);
	if (fflush(stdout) || r) {
		fprintf(stderr, "vfiogroup: metrics: writing: %s\n",
			strerror(errno ? errno : EIO));
		return EXIT_ERROR;
	}
	return s.connected ? EXIT_OK : EXIT_ERROR;
}
