// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench storm: a tight unbind/bind loop of one device for S seconds
 * while a raw listener (4 MiB buffer, drained by its own thread) and a
 * library context (every group, the library's own buffer, dispatched by
 * its own thread) take what comes: events/s each, losses (ENOBUFS,
 * sequence gaps; the library's overruns and resyncs), and after the
 * storm, once both reached the module's last sequence number, the cache
 * held against sysfs.  The raw listener must lose nothing (its buffer is
 * there for that); the library may lose and resync, but must end equal
 * to sysfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgbench.h"

struct storm {
	const char *dev, *drv;
	int seconds;
	atomic_bool stop_writer, stop_readers;
	long transitions, write_errors;
	struct raw_sock raw;
	struct vfiogroup_ctx *ctx;
	uint64_t callbacks;
	int64_t raw_first_ns, raw_last_ns, lib_first_ns, lib_last_ns;
};

static void *writer_main(void *arg)
{
	struct storm *s = arg;
	char unbind[PATH_MAX], bind[PATH_MAX];

	snprintf(unbind, sizeof(unbind), "/sys/bus/pci/drivers/%s/unbind", s->drv);
	snprintf(bind, sizeof(bind), "/sys/bus/pci/drivers/%s/bind", s->drv);
	while (!atomic_load(&s->stop_writer)) {
		if (write_file(unbind, s->dev))
			s->write_errors++;
		if (write_file(bind, s->dev))
			s->write_errors++;
		s->transitions += 2;
	}
	return NULL;
}

static void *raw_main(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load(&s->stop_readers)) {
		uint64_t before = s->raw.events;

		if (raw_read(&s->raw, 100, NULL, NULL) > 0) {
			if (!before)
				s->raw_first_ns = now_ns();
			s->raw_last_ns = now_ns();
		}
	}
	return NULL;
}

static void storm_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *arg)
{
	struct storm *s = arg;

	(void)sub;
	(void)ev;
	if (!s->callbacks++)
		s->lib_first_ns = now_ns();
	s->lib_last_ns = now_ns();
}

static void *lib_main(void *arg)
{
	struct storm *s = arg;

	while (!atomic_load(&s->stop_readers)) {
		struct pollfd pfd = { .fd = vfiogroup_get_fd(s->ctx), .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0)
			while (vfiogroup_dispatch(s->ctx) > 0)
				;
	}
	return NULL;
}

/* The library has applied the module's event seq (or resynced past it). */
static bool lib_reached(struct storm *s, uint64_t seq)
{
	struct vfiogroup_group *g = NULL;
	long id = pci_group(s->dev);
	bool ok;

	if (id < 0 || vfiogroup_get_group(s->ctx, (uint32_t)id, &g) < 0)
		return false;
	ok = vfiogroup_group_seq(g) >= seq;
	vfiogroup_group_unref(g);
	return ok;
}

static double rate(uint64_t n, int64_t first, int64_t last, int seconds)
{
	/* over the span events came in, the storm's length when too short */
	double span = (double)(last - first) / 1e9;

	if (span < seconds / 2.0)
		span = seconds;
	return (double)n / span;
}

int job_storm(int argc, char **argv)
{
	static struct storm s;
	struct vfiogroup_stats st = { 0 };
	struct vfiogroup_sub *sub = NULL;
	pthread_t tw, tr, tl;
	uint64_t seq0 = 0, seq1 = 0;
	int64_t deadline;
	char orig[NAME_LEN] = "";
	int r, diffs = -1;
	bool raw_done = false, lib_done = false;

	s.dev = opt_str(argc, argv, "--dev", NULL);
	s.drv = opt_str(argc, argv, "--driver", NULL);
	s.seconds = (int)opt_long(argc, argv, "--seconds", 10);
	if (!s.dev || !s.drv || s.seconds < 1) {
		fprintf(stderr, "usage: vgbench storm --dev BDF --driver DRV [--seconds S]\n");
		return 1;
	}
	r = use_driver(s.dev, s.drv, orig, sizeof(orig));
	if (!r)
		r = raw_open(&s.raw, 4 << 20);
	if (!r)
		r = vfiogroup_ctx_new(&s.ctx, 0);
	if (!r)
		r = vfiogroup_subscribe(s.ctx, NULL, VFIOGROUP_EVMASK_ALL, storm_cb, &s, &sub);
	if (r || raw_module_seq(&seq0)) {
		result(false, "bench storm: set up (%s on %s): %s", s.dev, s.drv,
		       strerror(r < 0 ? -r : EIO));
		restore_driver(s.dev, orig);
		return 1;
	}
	pthread_create(&tr, NULL, raw_main, &s);
	pthread_create(&tl, NULL, lib_main, &s);
	pthread_create(&tw, NULL, writer_main, &s);
	sleep_ms(s.seconds * 1000);
	atomic_store(&s.stop_writer, true);
	pthread_join(tw, NULL);
	restore_driver(s.dev, orig);
	raw_module_seq(&seq1);
	deadline = now_ns() + 60 * 1000000000LL;
	while (now_ns() < deadline && !(raw_done && lib_done)) {
		raw_done = s.raw.last_seq >= seq1;
		lib_done = lib_reached(&s, seq1);
		sleep_ms(50);
	}
	atomic_store(&s.stop_readers, true);
	pthread_join(tr, NULL);
	pthread_join(tl, NULL);
	while (vfiogroup_dispatch(s.ctx) > 0)
		;
	diffs = cache_diff_sysfs(s.ctx);
	vfiogroup_stats(s.ctx, &st, sizeof(st));

	printf("# bench: storm driver=%s seconds=%d transitions=%ld transitions_per_s=%.1f module_events=%llu "
	       "raw_events=%llu raw_per_s=%.1f raw_enobufs=%llu raw_gaps=%llu "
	       "lib_callbacks=%llu lib_per_s=%.1f lib_overruns=%llu lib_resyncs=%llu "
	       "lib_synthesized=%llu cache_equals_sysfs=%d\n",
	       s.drv, s.seconds, s.transitions, (double)s.transitions / s.seconds,
	       (unsigned long long)(seq1 - seq0), (unsigned long long)s.raw.events,
	       rate(s.raw.events, s.raw_first_ns, s.raw_last_ns, s.seconds),
	       (unsigned long long)s.raw.enobufs, (unsigned long long)s.raw.gaps,
	       (unsigned long long)s.callbacks,
	       rate(s.callbacks, s.lib_first_ns, s.lib_last_ns, s.seconds),
	       (unsigned long long)st.overruns, (unsigned long long)st.resyncs,
	       (unsigned long long)st.synthesized, diffs == 0);
	result(raw_done && s.raw.events == seq1 - seq0 && !s.raw.enobufs && !s.raw.gaps,
	       "bench storm: the raw listener got all %llu events of %ld transitions (got %llu, "
	       "%llu ENOBUFS, %llu in gaps)", (unsigned long long)(seq1 - seq0), s.transitions,
	       (unsigned long long)s.raw.events, (unsigned long long)s.raw.enobufs,
	       (unsigned long long)s.raw.gaps);
	result(lib_done && diffs == 0,
	       "bench storm: the library reached the last event and its cache equals sysfs "
	       "(%d differences)", diffs);
	result(!s.write_errors, "bench storm: every sysfs write succeeded (%ld failed)",
	       s.write_errors);
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(s.ctx);
	raw_close(&s.raw);
	return nfail ? 1 : 0;
}
