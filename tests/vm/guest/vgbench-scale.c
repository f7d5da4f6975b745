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

/* One unbind and bind write of dev on vfio-pci: t[0], t[1] their wall times, t[2], t[3] the module's */
static int transition(const char *dev, bool traced, double *t[4], int i)
{
	int err = timed_write("/sys/bus/pci/drivers/vfio-pci/unbind", dev, traced,
			      &t[0][i], &t[2][i]);

	if (!err)
		err = timed_write("/sys/bus/pci/drivers/vfio-pci/bind", dev, traced,
				  &t[1][i], &t[3][i]);
	sleep_ms(5);
	return err;
}

/* The median of the module's times, or -1 when a write was not traced. */
static double module_median(double *v, int n)
{
	for (int i = 0; i < n; i++)
		if (v[i] < 0)
			return -1;
	return median_of(v, n);
}

int job_scale(int argc, char **argv)
{
	const char *first = opt_str(argc, argv, "--first", NULL);
	const char *last = opt_str(argc, argv, "--last", NULL);
	int reps = (int)opt_long(argc, argv, "--reps", 10), ngroups = 0, nctx = 0, ndev = 0, err;
	double dump_ms, ctx_ms, walk_ms, fu, fb, lu, lb, fmu, fmb, lmu, lmb, *v[8];
	int terr;
	bool traced;

	if (!first || !last || reps < 1) {
		fprintf(stderr, "usage: vgbench scale --first BDF --last BDF [--reps R]\n");
		return 1;
	}
	v[0] = calloc(8 * (size_t)reps, sizeof(double));
	if (!v[0]) {
		result(false, "bench scale: out of memory");
		return 1;
	}
	for (int i = 1; i < 8; i++)
		v[i] = v[0] + (size_t)i * reps;
	/*
	 * Each series interleaved with the ones it is compared with, rep by
	 * rep: the host's load drifts during a run, and series taken one
	 * after the other would measure the drift.
	 */
	for (int i = 0; i < reps; i++) {
		v[0][i] = time_ms(raw_dump_groups, &ngroups);
		v[1][i] = time_ms(ctx_new_once, &nctx);
		v[2][i] = time_ms(sysfs_walk, &ndev);
	}
	dump_ms = median_of(v[0], reps);
	ctx_ms = median_of(v[1], reps);
	walk_ms = median_of(v[2], reps);
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
		double *f[4] = { v[0], v[1], v[4], v[5] }, *l[4] = { v[2], v[3], v[6], v[7] };

		err = transition(first, traced, f, i);
		if (!err)
			err = transition(last, traced, l, i);
	}
	if (traced)
		ftrace_end();
	off_vfio(first);
	off_vfio(last);
	fu = median_of(v[0], reps);
	fb = median_of(v[1], reps);
	lu = median_of(v[2], reps);
	lb = median_of(v[3], reps);
	fmu = module_median(v[4], reps);
	fmb = module_median(v[5], reps);
	lmu = module_median(v[6], reps);
	lmb = module_median(v[7], reps);
	result(!err, "bench scale: %d unbind/bind of %s (group %ld) and of %s (group %ld) on "
	       "vfio-pci, alternately%s%s", reps, first, pci_group(first), last, pci_group(last),
	       err ? ": " : "", err ? strerror(-err) : "");
	if (traced)
		result(!err && fmu >= 0 && fmb >= 0 && lmu >= 0 && lmb >= 0,
		       "bench scale: function_graph timed the module's callbacks in every write");
	printf("# bench: scale groups=%d devices=%d reps=%d dump_ms=%.2f ctx_new_ms=%.2f "
	       "sysfs_walk_ms=%.2f first_group=%ld first_unbind_us=%.1f first_bind_us=%.1f "
	       "last_group=%ld last_unbind_us=%.1f last_bind_us=%.1f",
	       ngroups, ndev, reps, dump_ms, ctx_ms, walk_ms, pci_group(first), fu, fb,
	       pci_group(last), lu, lb);
	if (traced && fmu >= 0 && fmb >= 0 && lmu >= 0 && lmb >= 0)
		printf(" first_module_unbind_us=%.1f first_module_bind_us=%.1f "
		       "last_module_unbind_us=%.1f last_module_bind_us=%.1f",
		       fmu, fmb, lmu, lmb);
	printf("\n");
	free(v[0]);
	return nfail ? 1 : 0;
}
