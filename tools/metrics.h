/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Prometheus metrics of IOMMU groups in node_exporter's textfile format,
 * shared by "vfiogroup metrics" (one look) and vfiogroup-hooks
 * --textfile (kept current, with the daemon's own counters).
 */
#ifndef VFIOGROUP_TOOL_METRICS_H
#define VFIOGROUP_TOOL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vfiogroup.h"

struct metrics_group {
	uint32_t id;
	uint32_t devices;
	bool viable;
	bool ready;
};

/* How a hook run ended (vfiogroup_hook_runs_total{result}). */
enum hook_outcome {
	HOOK_OK,		/* exit status 0 */
	HOOK_EXIT,		/* non-zero exit status */
	HOOK_SIGNAL,		/* killed by a signal it was not sent by us */
	HOOK_TIMEOUT,		/* ran past --hook-timeout, killed */
	HOOK_EXEC,		/* could not be started */
	HOOK_OUTCOMES
};

/* What a long-running process counted since it started. */
struct metrics_counters {
	/* indexed by enum vfiogroup_event_kind; 0 unused */
	uint64_t events[VFIOGROUP_EV_RECONNECTED + 1];
	uint64_t resyncs;	/* library full re-dumps */
	uint64_t losses;	/* events lost: overruns + sequence gaps */
	uint64_t last_seq;	/* seq of the newest group event delivered */
	uint64_t hook_runs[HOOK_OUTCOMES];
	uint64_t queue_dropped;	/* events dropped for a full hook queue */
};

struct metrics_snapshot {
	bool connected;			/* the module answered */
	const struct metrics_group *groups;	/* ascending id */
	size_t ngroups;
	bool have_info;			/* module_seq, module_dropped valid */
	uint64_t module_seq;
	uint64_t module_dropped;
	const struct metrics_counters *counters;	/* NULL: one look */
};

/* The text, HELP and TYPE before each family.  Returns 0 or -EIO. */
int metrics_render(FILE *f, const struct metrics_snapshot *s);

/*
 * Fill s (groups malloc()ed, freed by metrics_snapshot_free) from ctx.
 * A module that is away is not an error: s->connected is false.  Returns
 * 0 or a negative errno of the library.
 */
int metrics_collect(struct vfiogroup_ctx *ctx, struct metrics_snapshot *s);
void metrics_snapshot_free(struct metrics_snapshot *s);

/* "vfiogroup metrics": the dispatch table's entry in vfiogroup.c. */
int cmd_metrics(int argc, char **argv);

#endif
