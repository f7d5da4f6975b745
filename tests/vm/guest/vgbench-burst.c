// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench burst: what SR-IOV VFs appearing at once look like to a
 * listener.  Every device of one PCI vendor:device (the edu devices of
 * the "scale" boot by default) is removed, then a rescan brings them all
 * back, hundreds of device-added events (and removals before them) in a
 * burst.  With --sriov 1, the real thing: every PF's sriov_numvfs is set
 * to 0, then back to what it was (the "scale" boot's emulated VFs).  A raw listener with a 32 MiB buffer must get every event (or
 * the loss is reported and fails); a library context dispatching in its
 * own thread must end with its cache equal to sysfs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgbench.h"

struct burst {
	struct raw_sock raw;
	struct vfiogroup_ctx *ctx;
	atomic_bool stop;
	int64_t raw_last_ns, lib_last_ns;
	uint64_t callbacks;
};

static void *raw_main(void *arg)
{
	struct burst *b = arg;

	while (!atomic_load(&b->stop))
		if (raw_read(&b->raw, 100, NULL, NULL) > 0)
			b->raw_last_ns = now_ns();
	return NULL;
}

static void burst_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *arg)
{
	struct burst *b = arg;

	(void)sub;
	(void)ev;
	b->callbacks++;
	b->lib_last_ns = now_ns();
}

static void *lib_main(void *arg)
{
	struct burst *b = arg;

	while (!atomic_load(&b->stop)) {
		struct pollfd pfd = { .fd = vfiogroup_get_fd(b->ctx), .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0)
			while (vfiogroup_dispatch(b->ctx) > 0)
				;
	}
	return NULL;
}

static long read_base(const char *dev, const char *file, int base)
{
	char p[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", dev, file);
	f = fopen(p, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return buf[0] ? strtol(buf, NULL, base) : -1;
}

static long read_hex(const char *dev, const char *file)
{
	return read_base(dev, file, 16);
}

static long read_dec(const char *dev, const char *file)
{
	return read_base(dev, file, 10);
}

/* Remove every vendor:device device; how many there were. */
static int remove_all(long vendor, long device)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char p[PATH_MAX];

		if (de->d_name[0] == '.' || read_hex(de->d_name, "vendor") != vendor ||
		    read_hex(de->d_name, "device") != device)
			continue;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/remove", de->d_name);
		if (!write_file(p, "1"))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* A PF and how many VFs it had before the burst. */
struct pf {
	char name[NAME_LEN];
	int vfs;
};

/*
 * sriov_numvfs of every PF that has VFs to 0, each remembered in *pfs, or
 * (back) to what they had; how many VFs went or came.
 */
static int sriov_set(struct pf **pfs, int *npf, bool back)
{
	DIR *d;
	struct dirent *de;
	int n = 0;

	if (back) {
		for (int i = 0; i < *npf; i++) {
			char p[PATH_MAX], v[16];

			snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", (*pfs)[i].name);
			snprintf(v, sizeof(v), "%d", (*pfs)[i].vfs);
			if (!write_file(p, v))
				n += (*pfs)[i].vfs;
		}
		return n;
	}
	d = opendir("/sys/bus/pci/devices");
	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		long vfs;
		struct pf *more;

		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof((*pfs)->name))
			continue;
		vfs = read_dec(de->d_name, "sriov_numvfs");
		if (vfs <= 0)
			continue;
		more = realloc(*pfs, (size_t)(*npf + 1) * sizeof(**pfs));
		if (!more)
			break;
		*pfs = more;
		memcpy((*pfs)[*npf].name, de->d_name, strlen(de->d_name) + 1);
		(*pfs)[(*npf)++].vfs = (int)vfs;
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", de->d_name);
		if (!write_file(p, "0"))
			n += (int)vfs;
	}
	if (d)
		closedir(d);
	return n;
}

int job_burst(int argc, char **argv)
{
	static struct burst b;
	long vendor = opt_long(argc, argv, "--vendor", 0x1234);
	long device = opt_long(argc, argv, "--device", 0x11e8);
	bool sriov = opt_long(argc, argv, "--sriov", 0) != 0;
	struct vfiogroup_sub *sub = NULL;
	struct pf *pfs = NULL;
	int npf = 0, back = 0;
	uint64_t seq0 = 0, seq1 = 0;
	int64_t t0, t_removed, t_rescanned, deadline;
	int r, removed, diffs = -1;
	pthread_t tr, tl;

	r = raw_open(&b.raw, 32 << 20);
	if (!r)
		r = vfiogroup_ctx_new(&b.ctx, 0);
	if (!r)
		r = vfiogroup_subscribe(b.ctx, NULL, VFIOGROUP_EVMASK_ALL, burst_cb, &b, &sub);
	if (r || raw_module_seq(&seq0)) {
		result(false, "bench burst: set up: %s", strerror(r < 0 ? -r : EIO));
		return 1;
	}
	pthread_create(&tr, NULL, raw_main, &b);
	pthread_create(&tl, NULL, lib_main, &b);
	t0 = now_ns();
	removed = sriov ? sriov_set(&pfs, &npf, false) : remove_all(vendor, device);
	t_removed = now_ns();
	if (sriov) {
		back = sriov_set(&pfs, &npf, true);
		r = back == removed ? 0 : -EIO;
	} else {
		r = write_file("/sys/bus/pci/rescan", "1");
	}
	t_rescanned = now_ns();
	raw_module_seq(&seq1);
	deadline = now_ns() + 120 * 1000000000LL;
	while (now_ns() < deadline && b.raw.last_seq < seq1)
		sleep_ms(50);
	while (now_ns() < deadline && (diffs = cache_diff_sysfs(b.ctx)) != 0)
		sleep_ms(500);
	atomic_store(&b.stop, true);
	pthread_join(tr, NULL);
	pthread_join(tl, NULL);
	if (diffs)
		diffs = cache_diff_sysfs(b.ctx);
	{
		struct vfiogroup_stats st = { 0 };

		vfiogroup_stats(b.ctx, &st, sizeof(st));
		printf("# bench: burst devices=%d module_events=%llu remove_ms=%.1f rescan_ms=%.1f "
		       "raw_events=%llu raw_enobufs=%llu raw_gaps=%llu raw_done_ms=%.1f "
		       "lib_callbacks=%llu lib_overruns=%llu lib_resyncs=%llu lib_done_ms=%.1f "
		       "cache_equals_sysfs=%d\n",
		       removed, (unsigned long long)(seq1 - seq0), (double)(t_removed - t0) / 1e6,
		       (double)(t_rescanned - t_removed) / 1e6, (unsigned long long)b.raw.events,
		       (unsigned long long)b.raw.enobufs, (unsigned long long)b.raw.gaps,
		       b.raw_last_ns ? (double)(b.raw_last_ns - t0) / 1e6 : 0.0,
		       (unsigned long long)b.callbacks, (unsigned long long)st.overruns,
		       (unsigned long long)st.resyncs,
		       b.lib_last_ns ? (double)(b.lib_last_ns - t0) / 1e6 : 0.0, diffs == 0);
	}
	if (sriov)
		result(removed > 0 && !r, "bench burst: %d VFs of %d PFs gone (sriov_numvfs 0), "
		       "%d back", removed, npf, back);
	else
		result(removed > 0 && !r, "bench burst: %d devices %04lx:%04lx removed, rescan %s",
		       removed, vendor, device, r ? strerror(-r) : "written");
	free(pfs);
	result(b.raw.events == seq1 - seq0 && !b.raw.enobufs && !b.raw.gaps,
	       "bench burst: the raw listener got all %llu events (got %llu, %llu ENOBUFS, %llu "
	       "in gaps)", (unsigned long long)(seq1 - seq0), (unsigned long long)b.raw.events,
	       (unsigned long long)b.raw.enobufs, (unsigned long long)b.raw.gaps);
	result(diffs == 0, "bench burst: the library's cache equals sysfs after the burst "
	       "(%d differences)", diffs);
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(b.ctx);
	raw_close(&b.raw);
	return nfail ? 1 : 0;
}
