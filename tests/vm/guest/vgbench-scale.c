// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench scale: on a guest with many groups (bench.sh's "scale" boot,
 * edu devices each behind its own root port), the medians of R runs of:
 * a raw dump of every group, vfiogroup_ctx_new() + unref (connect and
 * load the cache), a walk of /sys/kernel/iommu_groups reading every
 * device's driver link (what a VMM does without the module); and the wall
 * time of the sysfs unbind and bind writes of the device of the first and
 * of the last group (on vfio-pci through driver_override), with the time
 * the module's notifier callbacks took in each (function_graph), which
 * shows whether the module's cost per event grows with the groups.  The
 * series compared are interleaved rep by rep.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgbench.h"

static int sysfs_walk(void)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	struct dirent *de;
	int ndev = 0;

	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		struct dirent *dd;
		DIR *gd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%.255s/devices", de->d_name);
		gd = opendir(p);
		while (gd && (dd = readdir(gd))) {
			char lp[PATH_MAX + 512], buf[PATH_MAX];

			if (dd->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "%s/%s/driver", p, dd->d_name);
			if (readlink(lp, buf, sizeof(buf)) < 0)
				buf[0] = 0;
			ndev++;
		}
		if (gd)
			closedir(gd);
	}
	if (d)
		closedir(d);
	return ndev;
}

static int ctx_new_once(void)
{
	struct vfiogroup_ctx *ctx = NULL;
	int r = vfiogroup_ctx_new(&ctx, 0);

	vfiogroup_ctx_unref(ctx);
	return r;
}

/* How long what took, in ms; *last gets its answer. */
static double time_ms(int (*what)(void), int *last)
{
	int64_t t0 = now_ns();

	*last = what();
	return (double)(now_ns() - t0) / 1e6;
}

static double median_of(double *v, int n)
{
	struct dist d;

	dist_of(v, v ? (size_t)n : 0, &d);
	return d.median;
}

/* dev on vfio-pci, the override kept while binding through drivers/vfio-pci/bind */
static int on_vfio(const char *dev)
{
	char ov[PATH_MAX];
	int err = pci_bind(dev, "vfio-pci");

	snprintf(ov, sizeof(ov), "/sys/bus/pci/devices/%s/driver_override", dev);
	return err ? err : write_file(ov, "vfio-pci");
}

static void off_vfio(const char *dev)
{
	char ov[PATH_MAX];

	pci_unbind(dev);
	snprintf(ov, sizeof(ov), "/sys/bus/pci/devices/%s/driver_override", dev);
	write_file(ov, "\n");
}

/*
 * One sysfs write, its wall time in µs in *us and, when traced, the time
 * the module's notifier callbacks took in it in *module_us.
 */
static int timed_write(const char *file, const char *dev, bool traced,
		       double *us, double *module_us)
{
	int64_t t0;
	int calls, err;

	if (traced && ftrace_start())
		traced = false;
	t0 = now_ns();
	err = write_file(file, dev);
	*us = (double)(now_ns() - t0) / 1000.0;
	if (traced && ftrace_stop(module_us, &calls) == 0 && calls > 0)
		return err;
	*module_us = -1;
	return err;
}

/*
 * A device's series, reps each: its writes' wall times and the module's
 * share (-1 for a write the tracer did not time).
 */
enum { UNBIND, BIND, MODULE_UNBIND, MODULE_BIND, NSERIES };

struct side {
	const char *dev;
	double *us[NSERIES];
	double median[NSERIES];
};

/* Rep i of dev's unbind and bind writes on vfio-pci. */
static int transition(struct side *s, bool traced, int i)
{
	int err = timed_write("/sys/bus/pci/drivers/vfio-pci/unbind", s->dev, traced,
			      &s->us[UNBIND][i], &s->us[MODULE_UNBIND][i]);

	if (!err)
		err = timed_write("/sys/bus/pci/drivers/vfio-pci/bind", s->dev, traced,
				  &s->us[BIND][i], &s->us[MODULE_BIND][i]);
	sleep_ms(5);
	return err;
}

/* Its medians; false when the tracer left one of its writes untimed. */
static bool side_medians(struct side *s, int reps)
{
	for (int k = 0; k < NSERIES; k++)
		s->median[k] = median_of(s->us[k], reps);
	for (int i = 0; i < reps; i++)
		if (s->us[MODULE_UNBIND][i] < 0 || s->us[MODULE_BIND][i] < 0)
			return false;
	return true;
}

int job_scale(int argc, char **argv)
{
	const char *first = opt_str(argc, argv, "--first", NULL);
	const char *last = opt_str(argc, argv, "--last", NULL);
	int reps = (int)opt_long(argc, argv, "--reps", 10), ngroups = 0, nctx = 0, ndev = 0, err;
	struct side side[2] = { { .dev = first }, { .dev = last } };
	double dump_ms, ctx_ms, walk_ms, *v;
	bool traced, timed;
	int terr;

	if (!first || !last || reps < 1) {
		fprintf(stderr, "usage: vgbench scale --first BDF --last BDF [--reps R]\n");
		return 1;
	}
	v = calloc(2 * NSERIES * (size_t)reps, sizeof(double));
	if (!v) {
		result(false, "bench scale: out of memory");
		return 1;
	}
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < NSERIES; k++)
			side[d].us[k] = v + (size_t)(d * NSERIES + k) * reps;
	/*
	 * Each series interleaved with the ones it is compared with, rep by
	 * rep: the host's load drifts during a run, and series taken one
	 * after the other would measure the drift.
	 */
	for (int i = 0; i < reps; i++) {
		v[i] = time_ms(raw_dump_groups, &ngroups);
		v[reps + i] = time_ms(ctx_new_once, &nctx);
		v[2 * reps + i] = time_ms(sysfs_walk, &ndev);
	}
	dump_ms = median_of(v, reps);
	ctx_ms = median_of(v + reps, reps);
	walk_ms = median_of(v + 2 * reps, reps);
	result(ngroups > 0 && nctx == 0 && ndev > 0,
	       "bench scale: dump (%d groups), ctx_new (%s), sysfs walk (%d devices), interleaved",
	       ngroups, nctx ? vfiogroup_strerror(nctx) : "ok", ndev);
	/*
	 * The write's wall time is mostly the driver's; the module's own
	 * share is what function_graph says its callbacks took.
	 */
	terr = ftrace_begin();
	traced = terr == 0;
	if (!traced)
		printf("# bench: scale: the module's callbacks not timed: %s\n",
		       terr == -ENOENT ? "no callback in set_ftrace_filter" : "no function_graph tracer");
	err = on_vfio(first);
	if (!err)
		err = on_vfio(last);
	for (int i = 0; i < reps && !err; i++) {
		err = transition(&side[0], traced, i);
		if (!err)
			err = transition(&side[1], traced, i);
	}
	if (traced)
		ftrace_end();
	off_vfio(first);
	off_vfio(last);
	timed = side_medians(&side[0], reps);
	timed = side_medians(&side[1], reps) && timed;
	result(!err, "bench scale: %d unbind/bind of %s (group %ld) and of %s (group %ld) on "
	       "vfio-pci, alternately%s%s", reps, first, pci_group(first), last, pci_group(last),
	       err ? ": " : "", err ? strerror(-err) : "");
	if (traced)
		result(!err && timed,
		       "bench scale: function_graph timed the module's callbacks in every write");
	printf("# bench: scale groups=%d devices=%d reps=%d dump_ms=%.2f ctx_new_ms=%.2f "
	       "sysfs_walk_ms=%.2f first_group=%ld first_unbind_us=%.1f first_bind_us=%.1f "
	       "last_group=%ld last_unbind_us=%.1f last_bind_us=%.1f",
	       ngroups, ndev, reps, dump_ms, ctx_ms, walk_ms, pci_group(first),
	       side[0].median[UNBIND], side[0].median[BIND], pci_group(last),
	       side[1].median[UNBIND], side[1].median[BIND]);
	if (traced && timed)
		printf(" first_module_unbind_us=%.1f first_module_bind_us=%.1f "
		       "last_module_unbind_us=%.1f last_module_bind_us=%.1f",
		       side[0].median[MODULE_UNBIND], side[0].median[MODULE_BIND],
		       side[1].median[MODULE_UNBIND], side[1].median[MODULE_BIND]);
	printf("\n");
	free(v);
	return nfail ? 1 : 0;
}
