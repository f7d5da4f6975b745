// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench scale: on a guest with many groups (bench.sh's "scale" boot,
 * edu devices each behind its own root port), the medians of R runs of:
 * a raw dump of every group, vfiogroup_ctx_new() + unref (connect and
 * load the cache), a walk of /sys/kernel/iommu_groups reading every
 * device's driver link (what a VMM does without the module); and the wall
 * time of the sysfs unbind and bind writes of the device of the first and
 * of the last group (on vfio-pci through driver_override), which shows
 * whether the module's cost per event grows with the groups.
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

/* Median over reps runs of what, in ms; *last gets its last answer. */
static double median_ms(int reps, int (*what)(void), int *last)
{
	double *v = calloc((size_t)reps, sizeof(*v));
	struct dist d;

	for (int i = 0; v && i < reps; i++) {
		int64_t t0 = now_ns();

		*last = what();
		v[i] = (double)(now_ns() - t0) / 1e6;
	}
	dist_of(v, v ? (size_t)reps : 0, &d);
	free(v);
	return d.median;
}

/* Median µs of the unbind and bind writes of dev on vfio-pci. */
static int transition_us(const char *dev, int reps, double *unbind_us, double *bind_us)
{
	double *u = calloc((size_t)reps, sizeof(*u)), *b = calloc((size_t)reps, sizeof(*b));
	char ov[PATH_MAX];
	struct dist d;
	int err = pci_bind(dev, "vfio-pci"), k = 0;

	/* the override stays while binding through drivers/vfio-pci/bind */
	snprintf(ov, sizeof(ov), "/sys/bus/pci/devices/%s/driver_override", dev);
	if (!err)
		err = write_file(ov, "vfio-pci");
	for (int i = 0; u && b && i < reps && !err; i++) {
		int64_t t0 = now_ns();

		err = write_file("/sys/bus/pci/drivers/vfio-pci/unbind", dev);
		u[k] = (double)(now_ns() - t0) / 1000.0;
		t0 = now_ns();
		if (!err)
			err = write_file("/sys/bus/pci/drivers/vfio-pci/bind", dev);
		b[k++] = (double)(now_ns() - t0) / 1000.0;
		sleep_ms(5);
	}
	dist_of(u, u ? (size_t)k : 0, &d);
	*unbind_us = d.median;
	dist_of(b, b ? (size_t)k : 0, &d);
	*bind_us = d.median;
	pci_unbind(dev);
	write_file(ov, "\n");
	free(u);
	free(b);
	return err;
}

int job_scale(int argc, char **argv)
{
	const char *first = opt_str(argc, argv, "--first", NULL);
	const char *last = opt_str(argc, argv, "--last", NULL);
	int reps = (int)opt_long(argc, argv, "--reps", 10), ngroups = 0, nctx = 0, ndev = 0, err;
	double dump_ms, ctx_ms, walk_ms, fu = 0, fb = 0, lu = 0, lb = 0;

	if (!first || !last || reps < 1) {
		fprintf(stderr, "usage: vgbench scale --first BDF --last BDF [--reps R]\n");
		return 1;
	}
	dump_ms = median_ms(reps, raw_dump_groups, &ngroups);
	ctx_ms = median_ms(reps, ctx_new_once, &nctx);
	walk_ms = median_ms(reps, sysfs_walk, &ndev);
	result(ngroups > 0 && nctx == 0 && ndev > 0,
	       "bench scale: dump (%d groups), ctx_new (%s), sysfs walk (%d devices)", ngroups,
	       nctx ? vfiogroup_strerror(nctx) : "ok", ndev);
	err = transition_us(first, reps, &fu, &fb);
	result(!err, "bench scale: %d unbind/bind of %s (group %ld) on vfio-pci%s%s", reps, first,
	       pci_group(first), err ? ": " : "", err ? strerror(-err) : "");
	err = transition_us(last, reps, &lu, &lb);
	result(!err, "bench scale: %d unbind/bind of %s (group %ld) on vfio-pci%s%s", reps, last,
	       pci_group(last), err ? ": " : "", err ? strerror(-err) : "");
	printf("# bench: scale groups=%d devices=%d reps=%d dump_ms=%.2f ctx_new_ms=%.2f "
	       "sysfs_walk_ms=%.2f first_group=%ld first_unbind_us=%.1f first_bind_us=%.1f "
	       "last_group=%ld last_unbind_us=%.1f last_bind_us=%.1f\n",
	       ngroups, ndev, reps, dump_ms, ctx_ms, walk_ms, pci_group(first), fu, fb,
	       pci_group(last), lu, lb);
	return nfail ? 1 : 0;
}
