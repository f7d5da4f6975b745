// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench latency: N transitions (unbind, bind, unbind, ... of one device
 * on its driver), each timed from just before the sysfs write to its
 * receipt on four paths listening at once, each in its own thread:
 *   uevent        a NETLINK_KOBJECT_UEVENT socket: the device's bind or
 *                 unbind uevent (what a VMM can use today)
 *   uevent+sysfs  the same, then the reads a VMM makes to learn the
 *                 group's state: the device's iommu_group and driver
 *                 links, the group's devices and each one's driver
 *   raw           a genetlink socket joined to "events": the
 *                 driver-bound/unbound event
 *   lib           libvfiogroup: the subscription's callback, from a
 *                 poll() + vfiogroup_dispatch() loop
 * Every path must see every transition (else "not ok").  Per path: CPU of
 * its thread per transition (getrusage) and user instructions where there
 * is a PMU; and its work: the thread's CPU from each poll() that found
 * something to read to the end of handling it (receipt to callback or to
 * the sysfs answer), per transition, which leaves out the idle timeouts.  Two more contexts subscribed to another group count their
 * wakeups (poll() returns): one with the kernel filter, one without.
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
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/vfiogroup.h>

#include "vgbench.h"

enum { P_UEVENT, P_UEVENT_SYSFS, P_RAW, P_LIB, NPATHS };
static const char *const path_name[NPATHS] = { "uevent", "uevent+sysfs", "raw", "lib" };

struct path {
	int64_t *at;		/* receipt time of transition k */
	atomic_int got;		/* transitions received */
	uint64_t messages;	/* everything the thread read */
	int64_t cpu_ns, instructions;
	int64_t work_ns;	/* CPU from a poll() that found data to its end */
	int error;
};

struct wake_ctx {		/* a context filtered to another group */
	unsigned flags;
	uint64_t wakeups, callbacks;
	int error;
};

struct lat {
	const char *dev, *drv;
	long group, other_group;
	int n;
	int64_t *t0;
	struct path path[NPATHS];
	struct wake_ctx wake[2];
	atomic_bool stop;
	atomic_int ready;	/* threads listening */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void got_one(struct lat *l, int p)
{
	struct path *pa = &l->path[p];
	int k = atomic_load(&pa->got);

	if (k >= l->n)
		return;
	pa->at[k] = now_ns();
	pthread_mutex_lock(&l->mu);
	atomic_store(&pa->got, k + 1);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/* --- uevent paths */

/* Is this uevent the device's bind or unbind? */
static bool uevent_is_ours(const char *buf, size_t len, const char *dev)
{
	bool action = false, path = false;
	size_t dl = strlen(dev);

	for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
		const char *kv = buf + i;

		if (!strcmp(kv, "ACTION=bind") || !strcmp(kv, "ACTION=unbind"))
			action = true;
		else if (!strncmp(kv, "DEVPATH=", 8)) {
			size_t kl = strlen(kv);

			path = kl > dl && kv[kl - dl - 1] == '/' && !strcmp(kv + kl - dl, dev);
		}
	}
	return action && path;
}

/* What a VMM reads after the uevent to know the group's state now. */
static void read_group_state(const char *dev)
{
	char p[PATH_MAX], drv[NAME_LEN], buf[PATH_MAX];
	struct dirent *de;
	long g = pci_group(dev);
	DIR *d;

	pci_driver(dev, drv, sizeof(drv));
	snprintf(p, sizeof(p), "/sys/kernel/iommu_groups/%ld/devices", g);
	d = opendir(p);
	while (d && (de = readdir(d))) {
		char lp[PATH_MAX + 512];

		if (de->d_name[0] == '.')
			continue;
		snprintf(lp, sizeof(lp), "%s/%s/driver", p, de->d_name);
		if (readlink(lp, buf, sizeof(buf)) < 0)
			buf[0] = 0;
	}
	if (d)
		closedir(d);
}

static void *uevent_thread(struct lat *l, int p)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	int bufsz = 4 << 20;
	struct cpu_mark m;
	char buf[8192];

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		l->path[p].error = errno;
		atomic_fetch_add(&l->ready, 1);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	cpu_begin(&m);
	atomic_fetch_add(&l->ready, 1);
	while (!atomic_load(&l->stop)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t c0 = thread_cpu_now();
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n > 0) {
			buf[n] = 0;
			l->path[p].messages++;
			if (uevent_is_ours(buf, (size_t)n, l->dev)) {
				if (p == P_UEVENT_SYSFS)
					read_group_state(l->dev);
				got_one(l, p);
			}
		}
		l->path[p].work_ns += thread_cpu_now() - c0;
	}
	cpu_end(&m, &l->path[p].cpu_ns, &l->path[p].instructions);
	close(fd);
	return NULL;
}

static void *uevent_main(void *arg) { return uevent_thread(arg, P_UEVENT); }
static void *uevent_sysfs_main(void *arg) { return uevent_thread(arg, P_UEVENT_SYSFS); }

/* --- raw genetlink path */

static void raw_event(const struct raw_ev *ev, void *arg)
{
	struct lat *l = arg;

	if ((ev->kind == VFIOGROUP_EVENT_DRIVER_BOUND ||
	     ev->kind == VFIOGROUP_EVENT_DRIVER_UNBOUND) && !strcmp(ev->dev, l->dev))
		got_one(l, P_RAW);
}

static void *raw_main(void *arg)
{
	struct lat *l = arg;
	struct raw_sock r;
	struct cpu_mark m;
	int err = raw_open(&r, 4 << 20);

	if (err) {
		l->path[P_RAW].error = -err;
		atomic_fetch_add(&l->ready, 1);
		return NULL;
	}
	cpu_begin(&m);
	atomic_fetch_add(&l->ready, 1);
	while (!atomic_load(&l->stop)) {
		int64_t c0 = thread_cpu_now();

		if (raw_read(&r, 100, raw_event, l) != 0)
			l->path[P_RAW].work_ns += thread_cpu_now() - c0;
	}
	cpu_end(&m, &l->path[P_RAW].cpu_ns, &l->path[P_RAW].instructions);
	l->path[P_RAW].messages = r.events;
	raw_close(&r);
	return NULL;
}

/* --- library paths */

static void lib_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *arg)
{
	struct lat *l = arg;

	(void)sub;
	if (ev->dev_name && !strcmp(ev->dev_name, l->dev))
		got_one(l, P_LIB);
}

/* A context subscribed to group's events, its fd polled until stop. */
static int lib_loop(struct lat *l, long group, unsigned flags, vfiogroup_cb cb, void *data,
		    uint64_t *wakeups, struct cpu_mark *m, int64_t *cpu_ns, int64_t *instr,
		    int64_t *work_ns)
{
	struct vfiogroup_ctx *ctx = NULL;
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *sub = NULL;
	struct vfiogroup_stats st;
	int r;

	r = vfiogroup_ctx_new(&ctx, flags);
	if (!r)
		r = vfiogroup_filter_new(&f);
	if (!r)
		r = vfiogroup_filter_add_group(f, (uint32_t)group);
	if (!r)
		r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_GROUP, cb, data, &sub);
	vfiogroup_filter_free(f);
	if (m)
		cpu_begin(m);
	atomic_fetch_add(&l->ready, 1);
	while (!r && !atomic_load(&l->stop)) {
		struct pollfd pfd = { .fd = vfiogroup_get_fd(ctx), .events = POLLIN };
		int64_t c0 = thread_cpu_now();

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (wakeups)
			++*wakeups;
		while (vfiogroup_dispatch(ctx) > 0)
			;
		if (work_ns)
			*work_ns += thread_cpu_now() - c0;
	}
	if (m)
		cpu_end(m, cpu_ns, instr);
	if (!r && vfiogroup_stats(ctx, &st, sizeof(st)) == 0 && cb == lib_cb)
		l->path[P_LIB].messages = st.messages;
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return r;
}

static void *lib_main(void *arg)
{
	struct lat *l = arg;
	struct path *p = &l->path[P_LIB];
	struct cpu_mark m;

	p->error = -lib_loop(l, l->group, 0, lib_cb, l, NULL, &m, &p->cpu_ns, &p->instructions,
			     &p->work_ns);
	return NULL;
}

static void wake_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *arg)
{
	(void)sub;
	(void)ev;
	((struct wake_ctx *)arg)->callbacks++;
}

static void *wake_main(void *arg, int i)
{
	struct lat *l = arg;
	struct wake_ctx *w = &l->wake[i];

	w->error = -lib_loop(l, l->other_group, w->flags, wake_cb, w, &w->wakeups, NULL, NULL, NULL,
			     NULL);
	return NULL;
}

static void *wake_filtered_main(void *arg) { return wake_main(arg, 0); }
static void *wake_unfiltered_main(void *arg) { return wake_main(arg, 1); }

/* --- the run */

static bool all_got(struct lat *l, int k)
{
	for (int p = 0; p < NPATHS; p++)
		if (atomic_load(&l->path[p].got) < k)
			return false;
	return true;
}

/* Wait until every path has transition k (count k+1), 10 s at most. */
static bool wait_all(struct lat *l, int k)
{
	int64_t deadline = now_ns() + 10 * 1000000000LL;
	bool ok;

	pthread_mutex_lock(&l->mu);
	while (!(ok = all_got(l, k + 1)) && now_ns() < deadline) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

/*
 * Distribution of path p's latencies in µs: of the transitions of one
 * parity (0 unbind, 1 bind; -1 all), or (minus_uevent) of the difference
 * to the uevent path's receipt of the same transition.
 */
static void path_dist(struct lat *l, int p, int parity, bool minus_uevent, struct dist *d)
{
	int got = atomic_load(&l->path[p].got), gu = atomic_load(&l->path[P_UEVENT].got);
	double *v = calloc((size_t)l->n, sizeof(*v));
	size_t k = 0;

	for (int i = 0; v && i < got; i++) {
		if (parity >= 0 && i % 2 != parity)
			continue;
		if (minus_uevent && i >= gu)
			break;
		v[k++] = (double)(l->path[p].at[i] - (minus_uevent ? l->path[P_UEVENT].at[i]
								    : l->t0[i])) / 1000.0;
	}
	dist_of(v, k, d);
	free(v);
}

static void print_path(struct lat *l, int p, double base_median)
{
	struct path *pa = &l->path[p];
	int got = atomic_load(&pa->got);
	char instr[32] = "n/a";
	struct dist d, du, db, dd;

	path_dist(l, p, -1, false, &d);
	path_dist(l, p, 0, false, &du);
	path_dist(l, p, 1, false, &db);
	path_dist(l, p, -1, true, &dd);
	if (pa->instructions > 0 && got)
		snprintf(instr, sizeof(instr), "%lld", (long long)(pa->instructions / got));
	printf("# bench: latency driver=%s path=%s n=%zu median_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "max_us=%.1f ratio_median=%.2f unbind_median_us=%.1f bind_median_us=%.1f "
	       "vs_uevent_median_us=%.1f vs_uevent_p90_us=%.1f cpu_us_per_event=%.1f "
	       "work_us_per_event=%.1f instr_per_event=%s messages=%llu\n",
	       l->drv, path_name[p], d.n, d.median, d.p90, d.p99, d.max,
	       base_median > 0 ? d.median / base_median : 0.0, du.median, db.median, dd.median,
	       dd.p90, got ? (double)pa->cpu_ns / 1000.0 / got : 0.0,
	       got ? (double)pa->work_ns / 1000.0 / got : 0.0, instr,
	       (unsigned long long)pa->messages);
}

static double median_of(struct lat *l, int p)
{
	struct dist d;

	path_dist(l, p, -1, false, &d);
	return d.median;
}

int job_latency(int argc, char **argv)
{
	static struct lat l = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
	void *(*const mains[])(void *) = { uevent_main, uevent_sysfs_main, raw_main, lib_main,
					   wake_filtered_main, wake_unfiltered_main };
	pthread_t th[6];
	char path[PATH_MAX], orig[NAME_LEN];
	int nth = 6, done = 0, werr = 0;
	uint64_t raw_group_events;

	l.dev = opt_str(argc, argv, "--dev", NULL);
	l.drv = opt_str(argc, argv, "--driver", NULL);
	l.n = (int)opt_long(argc, argv, "--n", 200);
	l.other_group = opt_long(argc, argv, "--other-group", -1);
	if (!l.dev || !l.drv || l.n < 2 || l.other_group < 0) {
		fprintf(stderr, "usage: vgbench latency --dev BDF --driver DRV --other-group G [--n N]\n");
		return 1;
	}
	werr = use_driver(l.dev, l.drv, orig, sizeof(orig));
	if (werr) {
		result(false, "bench latency: %s on %s: %s", l.dev, l.drv, strerror(-werr));
		restore_driver(l.dev, orig);
		return 1;
	}
	l.group = pci_group(l.dev);
	l.t0 = calloc((size_t)l.n, sizeof(*l.t0));
	for (int p = 0; p < NPATHS; p++)
		l.path[p].at = calloc((size_t)l.n, sizeof(int64_t));
	l.wake[1].flags = VFIOGROUP_CTX_NO_KERNEL_FILTER;
	for (int i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, mains[i], &l);
	while (atomic_load(&l.ready) < nth)
		sleep_ms(10);
	sleep_ms(200);	/* the contexts' first dispatch done */

	/* The device starts bound: even transitions unbind, odd ones bind. */
	for (int i = 0; i < l.n; i++) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/%s", l.drv,
			 i % 2 ? "bind" : "unbind");
		l.t0[i] = now_ns();
		werr = write_file(path, l.dev);
		if (werr || !wait_all(&l, i))
			break;
		done++;
		/* let the transition's other events and uevents pass */
		sleep_ms(10);
	}
	sleep_ms(300);
	atomic_store(&l.stop, true);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (done % 2) {	/* bound again, then as it was */
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", l.drv);
		write_file(path, l.dev);
	}
	restore_driver(l.dev, orig);

	for (int p = 0; p < NPATHS; p++) {
		if (l.path[p].error)
			diag("latency: path %s: %s", path_name[p], strerror(l.path[p].error));
		print_path(&l, p, median_of(&l, P_UEVENT));
	}
	/* Per 1,000 events of the measured group: what the raw path read. */
	raw_group_events = l.path[P_RAW].messages;
	for (int i = 0; i < 2; i++)
		printf("# bench: wakeups driver=%s ctx=%s other_group=%ld group_events=%llu wakeups=%llu "
		       "callbacks=%llu per_1000_events=%.1f\n",
		       l.drv, i ? "no-kernel-filter" : "kernel-filter", l.other_group,
		       (unsigned long long)raw_group_events, (unsigned long long)l.wake[i].wakeups,
		       (unsigned long long)l.wake[i].callbacks,
		       raw_group_events ? 1000.0 * (double)l.wake[i].wakeups / (double)raw_group_events
					: 0.0);
	if (werr)
		diag("latency: write %s: %s", path, strerror(-werr));
	for (int p = 0; p < NPATHS; p++)
		result(atomic_load(&l.path[p].got) == l.n,
		       "bench latency: path %s got %d of %d transitions of %s on %s", path_name[p],
		       atomic_load(&l.path[p].got), l.n, l.dev, l.drv);
	result(!l.wake[0].error && !l.wake[1].error && !l.wake[0].callbacks && !l.wake[1].callbacks,
	       "bench latency: the contexts filtered to group %ld got no callback of group %ld",
	       l.other_group, l.group);
	return nfail ? 1 : 0;
}
