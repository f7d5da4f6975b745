/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one renderer of vfiogroup's metrics (metrics.h), in the text
 * exposition format node_exporter's textfile collector reads: every
 * family announced by HELP and TYPE, label values plain numbers or fixed
 * words, so nothing needs escaping.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "metrics.h"
#include "print.h"

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void per_group(FILE *f, const struct metrics_snapshot *s,
		      const char *name, const char *help, int which)
{
	family(f, name, "gauge", help);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct metrics_group *g = &s->groups[i];
		unsigned v = which == 0 ? g->viable : which == 1 ? g->ready
				       : g->devices;

		fprintf(f, "%s{group=\"%" PRIu32 "\"} %u\n", name, g->id, v);
	}
}

static const char *const outcome_names[HOOK_OUTCOMES] = {
	[HOOK_OK] = "ok", [HOOK_EXIT] = "exit", [HOOK_SIGNAL] = "signal",
	[HOOK_TIMEOUT] = "timeout", [HOOK_EXEC] = "exec",
};

static void counters(FILE *f, const struct metrics_counters *c)
{
	family(f, "vfiogroup_events_total", "counter",
	       "Events delivered to this process, by kind (synthesized ones included).");
	for (unsigned k = 1; k <= VFIOGROUP_EV_RECONNECTED; k++) {
		const char *name = event_name(k);

		if (strcmp(name, "unknown"))
			fprintf(f, "vfiogroup_events_total{kind=\"%s\"} %" PRIu64 "\n",
				name, c->events[k]);
	}
	family(f, "vfiogroup_last_event_seq", "gauge",
	       "Sequence number of the newest group event this process handled.");
	fprintf(f, "vfiogroup_last_event_seq %" PRIu64 "\n", c->last_seq);
	family(f, "vfiogroup_resyncs_total", "counter",
	       "Full re-reads of the groups after lost events or a reconnect.");
	fprintf(f, "vfiogroup_resyncs_total %" PRIu64 "\n", c->resyncs);
	family(f, "vfiogroup_losses_total", "counter",
	       "Times events were lost on the way to this process (socket overruns, sequence gaps).");
	fprintf(f, "vfiogroup_losses_total %" PRIu64 "\n", c->losses);
	family(f, "vfiogroup_hook_runs_total", "counter",
	       "Hook runs by how they ended.");
	for (unsigned o = 0; o < HOOK_OUTCOMES; o++)
		fprintf(f, "vfiogroup_hook_runs_total{result=\"%s\"} %" PRIu64 "\n",
			outcome_names[o], c->hook_runs[o]);
	family(f, "vfiogroup_hook_queue_dropped_total", "counter",
	       "Events dropped because too many waited for hooks (a resync ran instead).");
	fprintf(f, "vfiogroup_hook_queue_dropped_total %" PRIu64 "\n",
		c->queue_dropped);
}

int metrics_render(FILE *f, const struct metrics_snapshot *s)
{
	uint64_t devices = 0;

	for (size_t i = 0; i < s->ngroups; i++)
		devices += s->groups[i].devices;
	family(f, "vfiogroup_up", "gauge",
	       "1 when the vfiogroup kernel module answered, else 0.");
	fprintf(f, "vfiogroup_up %d\n", s->connected ? 1 : 0);
	family(f, "vfiogroup_groups", "gauge", "IOMMU groups.");
	fprintf(f, "vfiogroup_groups %zu\n", s->ngroups);
	family(f, "vfiogroup_devices", "gauge", "Devices in IOMMU groups.");
	fprintf(f, "vfiogroup_devices %" PRIu64 "\n", devices);
	per_group(f, s, "vfiogroup_group_devices", "Devices in the group.", 2);
	per_group(f, s, "vfiogroup_group_viable",
		  "1 when no device of the group is bound to a driver that keeps it from VFIO.",
		  0);
	per_group(f, s, "vfiogroup_group_ready",
		  "1 when the group is viable and a device of it is registered with VFIO.",
		  1);
	if (s->have_info) {
		family(f, "vfiogroup_module_seq", "gauge",
		       "Sequence number of the kernel module's newest event.");
		fprintf(f, "vfiogroup_module_seq %" PRIu64 "\n", s->module_seq);
		family(f, "vfiogroup_module_dropped_total", "counter",
		       "Events the kernel module failed to send.");
		fprintf(f, "vfiogroup_module_dropped_total %" PRIu64 "\n",
			s->module_dropped);
	}
	if (s->counters)
		counters(f, s->counters);
	return ferror(f) ? -EIO : 0;
}
