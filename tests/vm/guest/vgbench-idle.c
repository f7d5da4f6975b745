// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench idle: the latency of the sysfs bind write (unbind untimed in
 * between) with no listener and with K raw genetlink sockets joined to
 * the events group that never read, in alternating blocks: each notification is cloned to every
 * one of them until their buffers are full, and then still looked at.
 * What it costs the writer is what a host with many idle subscribers
 * pays on every bind.  By default each bind starts once the unbind's
 * notifications have reached every socket (--barrier 1), so that what is
 * timed is whether the bind waits for listeners, not how a vCPU busy
 * serving the unbind's notifications slows it down; --barrier 0 times it
 * right after the unbind, as a VMM's rebind does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include "vgbench.h"

/*
 * Until every event the module has made reached *bar, a draining socket
 * that joined the events group before any idle one: netlink_broadcast()
 * walks a protocol's members newest first, so it serves bar last, and
 * bar's receipt of an event says every idle socket has had it.  A
 * sequence number barrier, not a sleep.
 */
static int wait_delivered(struct raw_sock *bar)
{
	int64_t deadline = now_ns() + 30 * 1000000000LL;
	uint64_t seq;
	int err = raw_module_seq(&seq);

	while (!err && bar->last_seq < seq) {
		int r = raw_read(bar, 1000, NULL, NULL);

		if (r < 0)
			err = r;
		else if (now_ns() > deadline)
			err = -ETIMEDOUT;
	}
	return err;
}

/*
 * One timed bind (the unbind before it untimed, then settle_ms of pause,
 * and with bar its notifications delivered), in µs; < 0: -errno.
 */
static double time_bind(const char *unbind, const char *bind, const char *dev, int settle_ms,
			struct raw_sock *bar)
{
	int64_t t0;
	double us;
	int err;

	err = write_file(unbind, dev);
	if (!err && bar)
		err = wait_delivered(bar);
	if (err)
		return err;
	if (settle_ms > 0)
		sleep_ms(settle_ms);
	t0 = now_ns();
	err = write_file(bind, dev);
	us = (double)(now_ns() - t0) / 1000.0;
	if (!err && bar)
		err = wait_delivered(bar);
	else
		sleep_ms(5);
	return err ? err : us;
}

/* Every idle socket joins the events group (on) or leaves it (off). */
static int set_joined(struct raw_sock *socks, int n, bool on)
{
	int opt = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;

	for (int i = 0; i < n; i++)
		if (setsockopt(socks[i].fd, SOL_NETLINK, opt, &socks[i].mcgrp,
			       sizeof(socks[i].mcgrp)) < 0)
			return -errno;
	return 0;
}

static void print_binds(const char *drv, int sockets, double *v, size_t k)
{
	struct dist d;

	dist_of(v, k, &d);
	printf("# bench: bind driver=%s idle_sockets=%d n=%zu median_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "max_us=%.1f\n", drv, sockets, d.n, d.median, d.p90, d.p99, d.max);
}

/*
 * n timed binds with the K sockets out of the events group and n with them
 * in, interleaved in blocks of BLOCK: the machine's load drifts during a
 * run, and two series taken one after the other would measure the drift.
 * The sockets stay open throughout; once joined their buffers fill and
 * stay full, as an idle subscriber's do.
 */
#define BLOCK	5
static int time_interleaved(const char *dev, const char *drv, int n, int settle_ms,
			    struct raw_sock *bar, struct raw_sock *socks, int nsock)
{
	double *v[2] = { calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(double)) };
	char unbind[PATH_MAX], bind[PATH_MAX];
	size_t k[2] = { 0, 0 };
	int err = v[0] && v[1] ? 0 : -ENOMEM;

	snprintf(unbind, sizeof(unbind), "/sys/bus/pci/drivers/%s/unbind", drv);
	snprintf(bind, sizeof(bind), "/sys/bus/pci/drivers/%s/bind", drv);
	for (int b = 0; !err && ((int)k[0] < n || (int)k[1] < n); b++) {
		int joined = b % 2;

		err = set_joined(socks, nsock, joined);
		for (int i = 0; !err && i < BLOCK && (int)k[joined] < n; i++) {
			double us = time_bind(unbind, bind, dev, settle_ms, bar);

			if (us < 0)
				err = (int)us;
			else
				v[joined][k[joined]++] = us;
		}
	}
	if (!err) {
		print_binds(drv, 0, v[0], k[0]);
		print_binds(drv, nsock, v[1], k[1]);
	}
	free(v[0]);
	free(v[1]);
	return err;
}

int job_idle(int argc, char **argv)
{
	const char *dev = opt_str(argc, argv, "--dev", NULL);
	const char *drv = opt_str(argc, argv, "--driver", NULL);
	int n = (int)opt_long(argc, argv, "--n", 100);
	int settle_ms = (int)opt_long(argc, argv, "--settle", 0);
	bool barrier = opt_long(argc, argv, "--barrier", 1) != 0;
	int nsock = (int)opt_long(argc, argv, "--sockets", 1000), opened = 0, err;
	struct rlimit rl = { .rlim_cur = (rlim_t)nsock + 256, .rlim_max = (rlim_t)nsock + 256 };
	struct raw_sock *socks, bar = { .fd = -1 };
	char orig[NAME_LEN];

	if (!dev || !drv || n < 1 || nsock < 1 || settle_ms < 0) {
		fprintf(stderr, "usage: vgbench idle --dev BDF --driver DRV [--n N] [--sockets K] "
			"[--settle MS] [--barrier 0|1]\n");
		return 1;
	}
	err = use_driver(dev, drv, orig, sizeof(orig));
	if (err) {
		result(false, "bench idle: %s on %s: %s", dev, drv, strerror(-err));
		restore_driver(dev, orig);
		return 1;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		diag("idle: RLIMIT_NOFILE %d: %s", nsock + 256, strerror(errno));
	/* before the idle sockets: the oldest member is served last */
	if (barrier) {
		err = raw_open(&bar, 4 << 20);
		result(!err, "bench idle: the barrier socket joined the events group%s%s",
		       err ? ": " : "", err ? strerror(-err) : "");
		if (err) {
			restore_driver(dev, orig);
			return 1;
		}
	}
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
	if (settle_ms)
		diag("idle: %d ms between each unbind and the timed bind", settle_ms);
	diag("idle: each bind timed %s", barrier ? "once the unbind's notifications reached every socket"
						 : "right after the unbind (no barrier)");
	err = time_interleaved(dev, drv, n, settle_ms, barrier ? &bar : NULL, socks, opened);
	result(!err, "bench idle: %d binds of %s with no listener and %d with %d idle sockets, "
	       "interleaved in blocks of %d%s%s", n, dev, n, opened, BLOCK,
	       err ? ": " : "", err ? strerror(-err) : "");
	for (int i = 0; i < opened; i++)
		raw_close(&socks[i]);
	free(socks);
	if (barrier) {
		/* a barrier that lost events proves nothing */
		result(!bar.gaps && !bar.enobufs, "bench idle: the barrier socket got every event "
		       "(%llu events, %llu missing, %llu ENOBUFS)", (unsigned long long)bar.events,
		       (unsigned long long)bar.gaps, (unsigned long long)bar.enobufs);
		raw_close(&bar);
	}
	restore_driver(dev, orig);
	return nfail ? 1 : 0;
}
