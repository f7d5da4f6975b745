// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench idle: the latency of the sysfs bind write (unbind untimed in
 * between) with no listener, then with K raw genetlink sockets joined to
 * the events group that never read: each notification is cloned to every
 * one of them until their buffers are full, and then still looked at.
 * What it costs the writer is what a host with many idle subscribers
 * pays on every bind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "vgbench.h"

/* n timed binds; their distribution in µs on stdout. */
static int time_binds(const char *dev, const char *drv, int n, int sockets)
{
	double *v = calloc((size_t)n, sizeof(*v));
	char unbind[PATH_MAX], bind[PATH_MAX];
	struct dist d;
	int k = 0, err = 0;

	snprintf(unbind, sizeof(unbind), "/sys/bus/pci/drivers/%s/unbind", drv);
	snprintf(bind, sizeof(bind), "/sys/bus/pci/drivers/%s/bind", drv);
	for (int i = 0; v && i < n && !err; i++) {
		int64_t t0;

		err = write_file(unbind, dev);
		t0 = now_ns();
		if (!err)
			err = write_file(bind, dev);
		if (!err)
			v[k++] = (double)(now_ns() - t0) / 1000.0;
		sleep_ms(5);
	}
	dist_of(v, (size_t)k, &d);
	printf("# bench: bind driver=%s idle_sockets=%d n=%zu median_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "max_us=%.1f\n", drv, sockets, d.n, d.median, d.p90, d.p99, d.max);
	free(v);
	return err ? err : k == n ? 0 : -ENOMEM;
}

int job_idle(int argc, char **argv)
{
	const char *dev = opt_str(argc, argv, "--dev", NULL);
	const char *drv = opt_str(argc, argv, "--driver", NULL);
	int n = (int)opt_long(argc, argv, "--n", 100);
	int nsock = (int)opt_long(argc, argv, "--sockets", 1000), opened = 0, err;
	struct rlimit rl = { .rlim_cur = (rlim_t)nsock + 256, .rlim_max = (rlim_t)nsock + 256 };
	struct raw_sock *socks;
	char orig[NAME_LEN];

	if (!dev || !drv || n < 1 || nsock < 1) {
		fprintf(stderr, "usage: vgbench idle --dev BDF --driver DRV [--n N] [--sockets K]\n");
		return 1;
	}
	err = use_driver(dev, drv, orig, sizeof(orig));
	if (err) {
		result(false, "bench idle: %s on %s: %s", dev, drv, strerror(-err));
		restore_driver(dev, orig);
		return 1;
	}
	err = time_binds(dev, drv, n, 0);
	result(!err, "bench idle: %d binds of %s with no listener%s%s", n, dev,
	       err ? ": " : "", err ? strerror(-err) : "");
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		diag("idle: RLIMIT_NOFILE %d: %s", nsock + 256, strerror(errno));
	socks = calloc((size_t)nsock, sizeof(*socks));
	for (int i = 0; socks && i < nsock; i++) {
		/* the default buffer: what an idle client would have */
		err = raw_open(&socks[i], 0);
		if (err) {
			diag("idle: socket %d: %s", i, strerror(-err));
			break;
		}
		opened++;
	}
	result(opened == nsock, "bench idle: %d of %d idle sockets joined the events group",
	       opened, nsock);
	err = time_binds(dev, drv, n, opened);
	result(!err, "bench idle: %d binds of %s with %d idle sockets%s%s", n, dev, opened,
	       err ? ": " : "", err ? strerror(-err) : "");
	for (int i = 0; i < opened; i++)
		raw_close(&socks[i]);
	free(socks);
	restore_driver(dev, orig);
	return nfail ? 1 : 0;
}
