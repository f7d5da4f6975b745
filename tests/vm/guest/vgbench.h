/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * vgbench: the performance bench's guest program (bench.sh runs it; see
 * docs/performance.md).  One file per job: vgbench-latency.c (the four
 * listening paths on the same transitions, CPU per event, wakeups of
 * filtered contexts), vgbench-storm.c, vgbench-scale.c (dump, ctx_new,
 * sysfs walk, cost of a transition for the first and last group),
 * vgbench-idle.c (bind latency with idle subscribed sockets),
 * vgbench-burst.c (hundreds of devices appearing at once).  Shared here:
 * the raw genetlink side (vgbench-raw.c), figures and sysfs
 * (vgbench-util.c).
 *
 * Output: "# bench: JOB KEY=VALUE ..." lines (tests/bench/run.sh reads
 * them) and "ok - "/"not ok - " lines for what may fail the bench: a path
 * that missed an event, a cache that differs from sysfs.  Figures are
 * never judged.
 */
#ifndef VG_VGBENCH_H
#define VG_VGBENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vfiogroup.h>

/* TAP lines, nfail, write_file() and link_base(): the guest programs' own. */
#include "guest-util.h"
#include "pci-sysfs.h"

#define NAME_LEN 64

/* --- vgbench-raw.c: the family without the library */

struct raw_ev {
	uint64_t seq;
	uint32_t kind;		/* enum vfiogroup_event */
	uint32_t group;
	char dev[NAME_LEN];	/* "" when the event names no device */
};

struct raw_sock {
	int fd;
	int family;
	int mcgrp;
	uint64_t last_seq;	/* 0 before the first event */
	uint64_t events;
	uint64_t gaps;		/* events missing between two received */
	uint64_t enobufs;	/* recv() said the socket overflowed */
};

/* Resolve the family and its events group (once per process). */
int raw_resolve(int *family, int *mcgrp);
/* A socket joined to the events group, receive buffer rcvbuf bytes. */
int raw_open(struct raw_sock *r, int rcvbuf);
void raw_close(struct raw_sock *r);
/*
 * Wait up to timeout_ms for the socket, then read what is there, calling
 * fn for each event.  Returns the events read (0 on timeout), or -errno.
 */
int raw_read(struct raw_sock *r, int timeout_ms,
	     void (*fn)(const struct raw_ev *ev, void *arg), void *arg);
/* The module's newest sequence number (info request). */
int raw_module_seq(uint64_t *seq);
/* One dump of every group: the number of groups, or -errno. */
int raw_dump_groups(void);

/* --- vgbench-util.c */

int64_t now_ns(void);
void sleep_ms(int ms);

/* Percentiles by nearest rank over v[n] (sorted in place), in the unit given. */
struct dist {
	size_t n;
	double median, p90, p99, max;
};
void dist_of(double *v, size_t n, struct dist *out);

/*
 * Put dev on drv through driver_override, which stays set so that
 * drivers/DRV/bind takes it back (vfio-pci has no id of its own); orig
 * gets the driver it had ("" none).  restore_driver() undoes it.
 */
int use_driver(const char *dev, const char *drv, char *orig, size_t len);
void restore_driver(const char *dev, const char *orig);

/*
 * Does the context's cache say what /sys/kernel/iommu_groups says (groups,
 * their devices, each device's driver)?  Differences as "# " lines, the
 * first few; returns their number.
 */
int cache_diff_sysfs(struct vfiogroup_ctx *ctx);

/*
 * CPU of the calling thread: utime + stime (getrusage RUSAGE_THREAD) and,
 * where the PMU allows it, user-mode instructions (perf_event_open);
 * instructions is -1 when the counter is not available (TCG has none).
 */
struct cpu_mark {
	int perf_fd;
	int64_t cpu_ns;
};
void cpu_begin(struct cpu_mark *m);
/* CPU time of the calling thread in ns (CLOCK_THREAD_CPUTIME_ID) */
int64_t thread_cpu_now(void);
/* Elapsed CPU ns and instructions (-1: n/a) since cpu_begin; closes. */
void cpu_end(struct cpu_mark *m, int64_t *cpu_ns, int64_t *instructions);

/* --- the jobs, each "vgbench JOB [options]" */

/*
 * The module's notifier callbacks timed by function_graph (vgbench-ftrace.c):
 * begin (-ENOTSUP: no tracer, -ENOENT: no callback to trace), then start and
 * stop around what is measured, then end.
 */
int ftrace_begin(void);
int ftrace_start(void);
int ftrace_stop(double *us, int *calls);
void ftrace_end(void);

int job_latency(int argc, char **argv);
int job_storm(int argc, char **argv);
int job_scale(int argc, char **argv);
int job_idle(int argc, char **argv);
int job_burst(int argc, char **argv);

/* Options of the jobs: --name VALUE pairs (usage() on anything else). */
const char *opt_str(int argc, char **argv, const char *name, const char *dflt);
long opt_long(int argc, char **argv, const char *name, long dflt);

#endif /* VG_VGBENCH_H */
