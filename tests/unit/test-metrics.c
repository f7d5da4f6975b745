/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The metrics renderer (tools/metrics-render.c) from a fixed state: the
 * exact text node_exporter's textfile collector reads, with and without
 * a daemon's counters; and the textfile written whole, by rename.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hooks.h"
#include "run-suite.h"

static const struct metrics_group groups[] = {
	{ .id = 2, .devices = 1, .viable = true, .ready = false },
	{ .id = 14, .devices = 2, .viable = false, .ready = false },
	{ .id = 15, .devices = 1, .viable = true, .ready = true },
};

static const char state_text[] =
	"# HELP vfiogroup_up 1 when the vfiogroup kernel module answered, else 0.\n"
	"# TYPE vfiogroup_up gauge\n"
	"vfiogroup_up 1\n"
	"# HELP vfiogroup_groups IOMMU groups.\n"
	"# TYPE vfiogroup_groups gauge\n"
	"vfiogroup_groups 3\n"
	"# HELP vfiogroup_devices Devices in IOMMU groups.\n"
	"# TYPE vfiogroup_devices gauge\n"
	"vfiogroup_devices 4\n"
	"# HELP vfiogroup_group_devices Devices in the group.\n"
	"# TYPE vfiogroup_group_devices gauge\n"
	"vfiogroup_group_devices{group=\"2\"} 1\n"
	"vfiogroup_group_devices{group=\"14\"} 2\n"
	"vfiogroup_group_devices{group=\"15\"} 1\n"
	"# HELP vfiogroup_group_viable 1 when no device of the group is bound to a driver that keeps it from VFIO.\n"
	"# TYPE vfiogroup_group_viable gauge\n"
	"vfiogroup_group_viable{group=\"2\"} 1\n"
	"vfiogroup_group_viable{group=\"14\"} 0\n"
	"vfiogroup_group_viable{group=\"15\"} 1\n"
	"# HELP vfiogroup_group_ready 1 when the group is viable and a device of it is registered with VFIO.\n"
	"# TYPE vfiogroup_group_ready gauge\n"
	"vfiogroup_group_ready{group=\"2\"} 0\n"
	"vfiogroup_group_ready{group=\"14\"} 0\n"
	"vfiogroup_group_ready{group=\"15\"} 1\n"
	"# HELP vfiogroup_module_seq Sequence number of the kernel module's newest event.\n"
	"# TYPE vfiogroup_module_seq gauge\n"
	"vfiogroup_module_seq 812\n"
	"# HELP vfiogroup_module_dropped_total Events the kernel module failed to send.\n"
	"# TYPE vfiogroup_module_dropped_total counter\n"
	"vfiogroup_module_dropped_total 7\n";

static char *render(const struct metrics_snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(metrics_render(f, s), 0);
	fclose(f);
	return buf;
}

static struct metrics_snapshot fixed(void)
{
	return (struct metrics_snapshot){
		.connected = true, .groups = groups, .ngroups = 3,
		.have_info = true, .module_seq = 812, .module_dropped = 7,
	};
}

START_TEST(state_only)
{
	struct metrics_snapshot s = fixed();
	char *text = render(&s);

	ck_assert_str_eq(text, state_text);
	free(text);
}
END_TEST

START_TEST(module_away)
{
	struct metrics_snapshot s = { .connected = false };
	char *text = render(&s);

	/* every family still announced, no info families, no samples */
	ck_assert_ptr_nonnull(strstr(text, "\nvfiogroup_up 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nvfiogroup_groups 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE vfiogroup_group_ready gauge\n"));
	ck_assert_ptr_null(strstr(text, "{group="));
	ck_assert_ptr_null(strstr(text, "vfiogroup_module_seq"));
	ck_assert_ptr_null(strstr(text, "vfiogroup_events_total"));
	free(text);
}
END_TEST

START_TEST(with_counters)
{
	struct metrics_counters c = {
		.resyncs = 2, .losses = 3, .last_seq = 811, .queue_dropped = 1025,
	};
	struct metrics_snapshot s = fixed();
	char *text;

	c.events[VFIOGROUP_EV_DRIVER_BOUND] = 5;
	c.events[VFIOGROUP_EV_READY_CHANGED] = 2;
	c.events[VFIOGROUP_EV_RESYNC] = 2;
	c.hook_runs[HOOK_OK] = 9;
	c.hook_runs[HOOK_TIMEOUT] = 1;
	s.counters = &c;
	text = render(&s);
	ck_assert_int_eq(strncmp(text, state_text, strlen(state_text)), 0);
	ck_assert_str_eq(text + strlen(state_text),
		"# HELP vfiogroup_events_total Events delivered to this process, by kind (synthesized ones included).\n"
		"# TYPE vfiogroup_events_total counter\n"
		"vfiogroup_events_total{kind=\"device-added\"} 0\n"
		"vfiogroup_events_total{kind=\"device-removed\"} 0\n"
		"vfiogroup_events_total{kind=\"driver-bound\"} 5\n"
		"vfiogroup_events_total{kind=\"driver-unbound\"} 0\n"
		"vfiogroup_events_total{kind=\"viability-changed\"} 0\n"
		"vfiogroup_events_total{kind=\"ready-changed\"} 2\n"
		"vfiogroup_events_total{kind=\"resync\"} 2\n"
		"vfiogroup_events_total{kind=\"disconnected\"} 0\n"
		"vfiogroup_events_total{kind=\"reconnected\"} 0\n"
		"# HELP vfiogroup_last_event_seq Sequence number of the newest group event this process handled.\n"
		"# TYPE vfiogroup_last_event_seq gauge\n"
		"vfiogroup_last_event_seq 811\n"
		"# HELP vfiogroup_resyncs_total Full re-reads of the groups after lost events or a reconnect.\n"
		"# TYPE vfiogroup_resyncs_total counter\n"
		"vfiogroup_resyncs_total 2\n"
		"# HELP vfiogroup_losses_total Times events were lost on the way to this process (socket overruns, sequence gaps).\n"
		"# TYPE vfiogroup_losses_total counter\n"
		"vfiogroup_losses_total 3\n"
		"# HELP vfiogroup_hook_runs_total Hook runs by how they ended.\n"
		"# TYPE vfiogroup_hook_runs_total counter\n"
		"vfiogroup_hook_runs_total{result=\"ok\"} 9\n"
		"vfiogroup_hook_runs_total{result=\"exit\"} 0\n"
		"vfiogroup_hook_runs_total{result=\"signal\"} 0\n"
		"vfiogroup_hook_runs_total{result=\"timeout\"} 1\n"
		"vfiogroup_hook_runs_total{result=\"exec\"} 0\n"
		"# HELP vfiogroup_hook_queue_dropped_total Events dropped because too many waited for hooks (a resync ran instead).\n"
		"# TYPE vfiogroup_hook_queue_dropped_total counter\n"
		"vfiogroup_hook_queue_dropped_total 1025\n");
	free(text);
}
END_TEST

START_TEST(textfile_renamed_whole)
{
	char dir[] = "/tmp/vg-test-metrics.XXXXXX", path[128], buf[8192];
	struct metrics_snapshot s = fixed();
	struct dirent *de;
	size_t n;
	int files = 0;
	FILE *f;
	DIR *d;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(textfile_write(dir, &s), 0);
	/* a second write replaces the first */
	ck_assert_int_eq(textfile_write(dir, &s), 0);
	snprintf(path, sizeof(path), "%s/vfiogroup.prom", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, state_text);
	/* nothing but the final file: the temporary one was renamed */
	d = opendir(dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			files++;
	closedir(d);
	ck_assert_int_eq(files, 1);
	unlink(path);
	rmdir(dir);
	ck_assert_int_eq(textfile_write("/nonexistent/vg-metrics", &s), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, state_only);
	tcase_add_test(tc, module_away);
	tcase_add_test(tc, with_counters);
	tcase_add_test(tc, textfile_renamed_whole);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
