// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench's shared helpers: output, clocks, percentiles, sysfs, the
 * library's cache held against sysfs, CPU of a thread, options.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "vgbench.h"

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static double rank(const double *v, size_t n, double q)
{
	size_t k = (size_t)ceil(q * (double)n);

	return v[k ? k - 1 : 0];
}

void dist_of(double *v, size_t n, struct dist *out)
{
	memset(out, 0, sizeof(*out));
	out->n = n;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	out->median = rank(v, n, 0.5);
	out->p90 = rank(v, n, 0.9);
	out->p99 = rank(v, n, 0.99);
	out->max = v[n - 1];
}

int use_driver(const char *dev, const char *drv, char *orig, size_t len)
{
	char p[PATH_MAX], now[NAME_LEN];
	int r;

	pci_driver(dev, orig, len);
	if (!strcmp(orig, drv))
		return 0;
	r = *orig ? pci_unbind(dev) : 0;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", dev);
	if (!r)
		r = write_file(p, drv);
	if (!r)
		r = write_file("/sys/bus/pci/drivers_probe", dev);
	pci_driver(dev, now, sizeof(now));
	return r ? r : strcmp(now, drv) ? -ENODEV : 0;
}

void restore_driver(const char *dev, const char *orig)
{
	char p[PATH_MAX], now[NAME_LEN];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", dev);
	write_file(p, "\n");
	pci_driver(dev, now, sizeof(now));
	if (!strcmp(now, orig))
		return;
	if (*now)
		pci_unbind(dev);
	if (*orig) {
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", orig);
		write_file(p, dev);
	}
}

/* One group of sysfs against the cache: differences found. */
static int group_diff(struct vfiogroup_ctx *ctx, uint32_t id, int shown)
{
	struct vfiogroup_group *g = NULL;
	char p[PATH_MAX], drv[NAME_LEN];
	struct dirent *de;
	size_t ndev = 0;
	int bad = 0, r;
	DIR *d;

	r = vfiogroup_get_group(ctx, id, &g);
	if (r < 0) {
		if (shown < 5)
			diag("cache: group %u: %s", id, vfiogroup_strerror(r));
		return 1;
	}
	snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%u/devices", id);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		const char *cdrv = NULL;
		bool found = false;
		char lp[PATH_MAX + 512];

		if (de->d_name[0] == '.')
			continue;
		ndev++;
		snprintf(lp, sizeof(lp), "%s/%s/driver", p, de->d_name);
		link_base(lp, drv, sizeof(drv));
		for (size_t i = 0; i < vfiogroup_group_device_count(g); i++) {
			const struct vfiogroup_device *dv = vfiogroup_group_device(g, i);

			if (!strcmp(vfiogroup_device_name(dv), de->d_name)) {
				found = true;
				cdrv = vfiogroup_device_driver(dv);
			}
		}
		if (!found || strcmp(cdrv ? cdrv : "", drv)) {
			if (shown + bad < 5)
				diag("cache: group %u device %s: cache %s, sysfs driver '%s'", id,
				     de->d_name, found ? (cdrv ? cdrv : "unbound") : "has no such device",
				     drv);
			bad++;
		}
	}
	if (d)
		closedir(d);
	if (ndev != vfiogroup_group_device_count(g)) {
		if (shown + bad < 5)
			diag("cache: group %u: %zu devices, sysfs %zu", id,
			     vfiogroup_group_device_count(g), ndev);
		bad++;
	}
	vfiogroup_group_unref(g);
	return bad;
}

int cache_diff_sysfs(struct vfiogroup_ctx *ctx)
{
	DIR *d = opendir("/sys/kernel/iommu_groups");
	uint32_t *ids = NULL;
	struct dirent *de;
	int bad = 0, nsys = 0, ncache;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		nsys++;
		bad += group_diff(ctx, (uint32_t)strtoul(de->d_name, NULL, 10), bad);
	}
	if (d)
		closedir(d);
	ncache = vfiogroup_group_ids(ctx, &ids);
	free(ids);
	if (ncache != nsys) {
		diag("cache: %d groups, sysfs %d", ncache, nsys);
		bad++;
	}
	return bad;
}

/* user + system time of the calling thread, getrusage(RUSAGE_THREAD) */
static int64_t thread_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return ((int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
		ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

int64_t thread_cpu_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cpu_begin(struct cpu_mark *m)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(pa),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	/* This thread only, any CPU; refused where there is no PMU. */
	m->perf_fd = (int)syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
	m->cpu_ns = thread_cpu_ns();
}

void cpu_end(struct cpu_mark *m, int64_t *cpu_ns, int64_t *instructions)
{
	long long count = -1;

	*cpu_ns = thread_cpu_ns() - m->cpu_ns;
	*instructions = -1;
	if (m->perf_fd >= 0) {
		if (read(m->perf_fd, &count, sizeof(count)) != sizeof(count) || count <= 0)
			count = -1;
		close(m->perf_fd);
		*instructions = count;
	}
	m->perf_fd = -1;
}

static const char *find_opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i += 2)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

const char *opt_str(int argc, char **argv, const char *name, const char *dflt)
{
	const char *v = find_opt(argc, argv, name);

	return v ? v : dflt;
}

long opt_long(int argc, char **argv, const char *name, long dflt)
{
	const char *v = find_opt(argc, argv, name);

	return v ? strtol(v, NULL, 0) : dflt;
}
