// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration: libvfiogroup against the real vfiogroup module, in the
 * VM guest.  Linked against the library's shared object from the build.
 *
 * Usage: lib-integration COMMAND [OPTIONS]
 *
 *   cache                 a new context's cache == /sys/kernel/iommu_groups
 *                         (groups, devices, buses, drivers, viability by the
 *                         >= 5.19 rule) and == a second context's (seqs)
 *   storm --dev D [--dev D2] [--toggles N] [--rcvbuf BYTES]
 *         [--max-seconds S]
 *                         a context subscribed to the devices' groups only
 *                         (so the kernel filter is attached), receive buffer
 *                         shrunk to BYTES (default 4096), does not dispatch
 *                         while a thread makes bind/unbind toggles of the
 *                         devices (the first one unbind/bind of its driver,
 *                         the second one alternately its driver and
 *                         vfio-pci), for half of N (default 300) or half of
 *                         S seconds (default 120), whichever comes first;
 *                         then dispatches while the rest runs, the devices
 *                         are put back, and the overflow must have been
 *                         detected (ENOBUFS) and the cache equal sysfs: the
 *                         number of toggles only has to be enough to
 *                         overflow, so slow (KASAN) kernels pass too
 *   filtered --dev A --dev B [--toggles N]
 *                         two contexts subscribed to A's group and to B's
 *                         group only (kernel filters attached) and one
 *                         unfiltered, while N (default 10) unbind/bind
 *                         cycles of both devices run: each filtered context
 *                         receives exactly its group's events, whole and
 *                         decoded, and nothing else, without a resync; the
 *                         unfiltered one every event, without a gap
 *   reload --module KO --dev D
 *                         rmmod/insmod while subscribed: DISCONNECTED, a
 *                         change made while the module is away comes back
 *                         synthesized before RECONNECTED, cache == sysfs;
 *                         then a back-to-back rmmod+insmod
 *   watch [--seconds S]   a diagnostic: print every event and, at the end
 *                         (or on SIGTERM), the context's statistics
 *   unsub --dev D [--toggles N]
 *                         the unsubscribe guarantee on a live event stream:
 *                         from inside the own callback, from another
 *                         subscription's callback, from another thread
 *                         while the callback runs; a subscription made in a
 *                         callback does not see the event being delivered
 *
 * Output: TAP result lines without numbers ("ok - ..." / "not ok - ..."),
 * diagnostics as "# ..." lines; run-tests.sh numbers them.  Exit status 0
 * when every result was ok, 1 otherwise, 2 on usage errors.  Every command
 * has a watchdog (alarm) so that nothing hangs.
 *
 * The sysfs side is walked here by hand (no library involved): PCI only,
 * drivers from the driver links, a group viable iff no device in it is bound
 * to a driver other than vfio-pci, pci-stub or pcieport.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vfiogroup.h>

#define MAX_DEVS	8
#define NAME_LEN	64

static int nfail;

static void result(bool good, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void result(bool good, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", good ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!good)
		nfail++;
}

static void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_alarm(int sig)
{
	static const char msg[] = "not ok - lib-integration watchdog fired (hang)\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* ------------------------------------------------------------------ */
/* sysfs                                                               */
/* ------------------------------------------------------------------ */

struct sdev {
	uint32_t group;
	char name[NAME_LEN];
	char bus[NAME_LEN];
	char driver[NAME_LEN];	/* "" when unbound */
};

struct sysfs_state {
	struct sdev *d;
	size_t n, cap;
};

/* Copy src into dst[len], cut short if need be. */
static void scopy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	out[0] = 0;
	if (n < 0)
		return;
	buf[n] = 0;
	b = strrchr(buf, '/');
	scopy(out, len, b ? b + 1 : buf);
}

static bool managed(const char *drv)
{
	return !*drv || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

static int sdev_cmp(const void *a, const void *b)
{
	const struct sdev *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int sysfs_read(struct sysfs_state *s)
{
	DIR *gd = opendir("/sys/kernel/iommu_groups");
	struct dirent *ge;

	s->n = 0;
	if (!gd)
		return -errno;
	while ((ge = readdir(gd))) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *dd;

		if (ge->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
			 ge->d_name);
		dd = opendir(path);
		if (!dd)
			continue;	/* going away */
		while ((de = readdir(dd))) {
			struct sdev *d;
			char p[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			if (s->n == s->cap) {
				size_t cap = s->cap ? 2 * s->cap : 32;
				struct sdev *nd = realloc(s->d, cap * sizeof(*nd));

				if (!nd) {
					closedir(dd);
					closedir(gd);
					return -ENOMEM;
				}
				s->d = nd;
				s->cap = cap;
			}
			d = &s->d[s->n++];
			d->group = (uint32_t)strtoul(ge->d_name, NULL, 10);
			scopy(d->name, sizeof(d->name), de->d_name);
			d->bus[0] = d->driver[0] = 0;
			if (snprintf(p, sizeof(p), "%s/%s/subsystem", path,
				     de->d_name) < (int)sizeof(p))
				link_base(p, d->bus, sizeof(d->bus));
			if (snprintf(p, sizeof(p), "%s/%s/driver", path,
				     de->d_name) < (int)sizeof(p))
				link_base(p, d->driver, sizeof(d->driver));
		}
		closedir(dd);
	}
	closedir(gd);
	qsort(s->d, s->n, sizeof(*s->d), sdev_cmp);
	return 0;
}

static const char *sysfs_driver(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", dev);
	link_base(p, out, len);
	return out;
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int unbind(const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", dev);
	return write_file(p, dev);
}

/* Bind dev (unbound) to drv through driver_override + drivers_probe. */
static int bind_to(const char *dev, const char *drv)
{
	char p[PATH_MAX], now[NAME_LEN];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", dev);
	r = write_file(p, drv);
	if (!r)
		r = write_file("/sys/bus/pci/drivers_probe", dev);
	write_file(p, "\n");
	if (!r && strcmp(sysfs_driver(dev, now, sizeof(now)), drv))
		r = -ENODEV;
	return r;
}

/* Put dev back on drv ("" = unbound). */
static int restore(const char *dev, const char *drv)
{
	char now[NAME_LEN];

	sysfs_driver(dev, now, sizeof(now));
	if (!strcmp(now, drv))
		return 0;
	if (*now && unbind(dev))
		return -EIO;
	return *drv ? bind_to(dev, drv) : 0;
}

/* ------------------------------------------------------------------ */
/* the library's cache against sysfs                                   */
/* ------------------------------------------------------------------ */

/*
 * Compare ctx's view with sysfs; mismatches are printed as diagnostics,
 * at most a few.  Returns the number of mismatches.
 */
static int compare_sysfs(struct vfiogroup_ctx *ctx, const char *when)
{
	struct sysfs_state s = { 0 };
	uint32_t *ids = NULL;
	int nids, bad = 0, ngroups = 0;
	size_t i = 0;

	if (sysfs_read(&s)) {
		diag("%s: cannot read sysfs", when);
		return 1;
	}
	nids = vfiogroup_group_ids(ctx, &ids);
	if (nids < 0) {
		diag("%s: vfiogroup_group_ids: %s", when, vfiogroup_strerror(nids));
		free(s.d);
		return 1;
	}
	/* Every sysfs group, in order, against the library's. */
	while (i < s.n) {
		uint32_t g = s.d[i].group;
		size_t j = i, nd;
		struct vfiogroup_group *lg;
		bool viable = true;
		int r;

		while (j < s.n && s.d[j].group == g) {
			viable = viable && managed(s.d[j].driver);
			j++;
		}
		nd = j - i;
		ngroups++;
		r = vfiogroup_get_group(ctx, g, &lg);
		if (r) {
			if (bad++ < 8)
				diag("%s: group %u in sysfs, library: %s", when, g,
				     vfiogroup_strerror(r));
			i = j;
			continue;
		}
		if (vfiogroup_group_viable(lg) != viable && bad++ < 8)
			diag("%s: group %u viable=%d, sysfs rule %d", when, g,
			     vfiogroup_group_viable(lg), viable);
		if (vfiogroup_group_device_count(lg) != nd && bad++ < 8)
			diag("%s: group %u has %zu devices, sysfs %zu", when, g,
			     vfiogroup_group_device_count(lg), nd);
		for (size_t k = i; k < j; k++) {
			const struct vfiogroup_device *d = NULL;
			const char *drv;

			for (size_t x = 0; x < vfiogroup_group_device_count(lg); x++) {
				d = vfiogroup_group_device(lg, x);
				if (!strcmp(vfiogroup_device_name(d), s.d[k].name))
					break;
				d = NULL;
			}
			if (!d) {
				if (bad++ < 8)
					diag("%s: group %u: %s missing", when, g,
					     s.d[k].name);
				continue;
			}
			drv = vfiogroup_device_driver(d);
			if (strcmp(drv ? drv : "", s.d[k].driver) && bad++ < 8)
				diag("%s: %s driver '%s', sysfs '%s'", when,
				     s.d[k].name, drv ? drv : "", s.d[k].driver);
			if (strcmp(vfiogroup_device_bus(d), s.d[k].bus) && bad++ < 8)
				diag("%s: %s bus '%s', sysfs '%s'", when,
				     s.d[k].name, vfiogroup_device_bus(d), s.d[k].bus);
			if (vfiogroup_device_viable(d) != managed(s.d[k].driver) &&
			    bad++ < 8)
				diag("%s: %s devviable %d, rule %d", when,
				     s.d[k].name, vfiogroup_device_viable(d),
				     managed(s.d[k].driver));
		}
		vfiogroup_group_unref(lg);
		i = j;
	}
	if (nids != ngroups && bad++ < 8)
		diag("%s: library has %d groups, sysfs %d", when, nids, ngroups);
	free(ids);
	free(s.d);
	return bad;
}

/* Same groups and seqs as a context connected just now (a fresh dump). */
static int compare_fresh(struct vfiogroup_ctx *ctx, const char *when)
{
	struct vfiogroup_ctx *f = NULL;
	uint32_t *a = NULL, *b = NULL;
	int na, nb, bad = 0, r;

	r = vfiogroup_ctx_new(&f, 0);
	if (r) {
		diag("%s: second context: %s", when, vfiogroup_ctx_last_error(f));
		vfiogroup_ctx_unref(f);
		return 1;
	}
	na = vfiogroup_group_ids(ctx, &a);
	nb = vfiogroup_group_ids(f, &b);
	if (na != nb || na < 0) {
		diag("%s: %d groups, a fresh context %d", when, na, nb);
		bad++;
	}
	for (int i = 0; !bad && i < na; i++) {
		struct vfiogroup_group *x = NULL, *y = NULL;

		if (a[i] != b[i] || vfiogroup_get_group(ctx, a[i], &x) ||
		    vfiogroup_get_group(f, b[i], &y) ||
		    vfiogroup_group_seq(x) != vfiogroup_group_seq(y) ||
		    vfiogroup_group_viable(x) != vfiogroup_group_viable(y)) {
			diag("%s: group %u: seq %" PRIu64 ", fresh context: group %u seq %" PRIu64,
			     when, a[i], x ? vfiogroup_group_seq(x) : 0, b[i],
			     y ? vfiogroup_group_seq(y) : 0);
			bad++;
		}
		vfiogroup_group_unref(x);
		vfiogroup_group_unref(y);
	}
	free(a);
	free(b);
	vfiogroup_ctx_unref(f);
	return bad;
}

/*
 * Dispatch until nothing arrives for quiet_ms (or until *stop_flag, or
 * timeout_ms).  Returns the first dispatch error (0 if none).
 */
static int drain(struct vfiogroup_ctx *ctx, int quiet_ms, int timeout_ms,
		 volatile bool *stop_flag)
{
	int64_t end = now_ms() + timeout_ms, last = now_ms();
	int err = 0;

	while (now_ms() < end && now_ms() - last < quiet_ms) {
		struct pollfd p = { .fd = vfiogroup_get_fd(ctx), .events = POLLIN };
		int n;

		if (stop_flag && *stop_flag)
			break;
		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((n = vfiogroup_dispatch(ctx)) > 0)
			last = now_ms();
		if (n < 0 && !err) {
			err = n;
			diag("vfiogroup_dispatch: %s", vfiogroup_strerror(n));
		}
	}
	return err;
}

static void print_stats(struct vfiogroup_ctx *ctx, const char *what)
{
	struct vfiogroup_stats st;

	vfiogroup_stats(ctx, &st, sizeof(st));
	diag("%s stats: messages=%" PRIu64 " events=%" PRIu64 " delivered=%" PRIu64
	     " stale=%" PRIu64 " overruns=%" PRIu64 " gaps=%" PRIu64 " resyncs=%" PRIu64
	     " synthesized=%" PRIu64 " malformed=%" PRIu64 " disconnects=%" PRIu64
	     " reconnects=%" PRIu64, what, st.messages, st.events, st.delivered,
	     st.stale, st.overruns, st.gaps, st.resyncs, st.synthesized,
	     st.malformed, st.disconnects, st.reconnects);
}

static struct vfiogroup_ctx *connect_or_die(void)
{
	struct vfiogroup_ctx *ctx = NULL;
	int r = vfiogroup_ctx_new(&ctx, 0);

	if (r) {
		result(false, "vfiogroup_ctx_new: %s", vfiogroup_ctx_last_error(ctx));
		exit(1);
	}
	return ctx;
}

/* The IOMMU group of a PCI device, or -1. */
static long group_of(const char *dev)
{
	char p[PATH_MAX], g[NAME_LEN];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", dev);
	link_base(p, g, sizeof(g));
	return *g ? strtol(g, NULL, 10) : -1;
}

/* Instructions of the socket filter attached to ctx's socket, 0 if none. */
static int filter_len(struct vfiogroup_ctx *ctx)
{
	socklen_t len = 0;

	if (getsockopt(vfiogroup_get_fd(ctx), SOL_SOCKET, SO_GET_FILTER, NULL,
		       &len) < 0)
		return -errno;
	return (int)len;
}

/* A subscription to the listed groups only (ids < 0 ignored). */
static int subscribe_groups(struct vfiogroup_ctx *ctx, const long *ids, int n,
			    vfiogroup_cb cb, void *userdata,
			    struct vfiogroup_sub **sub)
{
	struct vfiogroup_filter *f = NULL;
	int r = vfiogroup_filter_new(&f);

	for (int i = 0; !r && i < n; i++)
		if (ids[i] >= 0)
			r = vfiogroup_filter_add_group(f, (uint32_t)ids[i]);
	if (!r)
		r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL, cb,
					userdata, sub);
	vfiogroup_filter_free(f);
	return r;
}

/* ------------------------------------------------------------------ */
/* cache                                                               */
/* ------------------------------------------------------------------ */

static int cmd_cache(void)
{
	struct vfiogroup_ctx *ctx = connect_or_die();
	int bad = compare_sysfs(ctx, "new context");

	result(!bad, "library cache == /sys/kernel/iommu_groups (groups, devices, drivers, viability)");
	bad = compare_fresh(ctx, "new context");
	result(!bad, "two contexts agree on every group's seq and viability");
	vfiogroup_ctx_unref(ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* storm                                                               */
/* ------------------------------------------------------------------ */

struct counts {
	atomic_uint kernel, synth, resync, disconnected, reconnected;
	atomic_uint bad;		/* events without a group state */
	uint64_t last_kernel_seq;	/* dispatch thread only */
	unsigned backwards;		/* kernel seqs not increasing */
	/* reload: notices and the synthesized events seen, in order */
	char trace[4096];
	bool want_dev_synth;
	char dev[NAME_LEN];
	bool dev_synth_before_reconnect;
	bool dev_kernel_bound;
};

static void count_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	struct counts *c = userdata;
	size_t l = strlen(c->trace);

	(void)sub;
	switch (ev->kind) {
	case VFIOGROUP_EV_RESYNC:
		c->resync++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " resync");
		return;
	case VFIOGROUP_EV_DISCONNECTED:
		c->disconnected++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " disconnected");
		return;
	case VFIOGROUP_EV_RECONNECTED:
		c->reconnected++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " reconnected");
		return;
	default:
		break;
	}
	if (!ev->group || (ev->kind < VFIOGROUP_EV_DEVICE_ADDED ||
			   ev->kind > VFIOGROUP_EV_VIABILITY_CHANGED))
		c->bad++;
	if (ev->flags & VFIOGROUP_EVENT_SYNTHESIZED) {
		c->synth++;
		if (ev->dev_name && !strcmp(ev->dev_name, c->dev) &&
		    ev->kind == VFIOGROUP_EV_DRIVER_UNBOUND && !c->reconnected)
			c->dev_synth_before_reconnect = true;
		if (l < sizeof(c->trace) - 200)
			snprintf(c->trace + l, sizeof(c->trace) - l,
				 " synth:%u:%s", ev->kind,
				 ev->dev_name ? ev->dev_name : "-");
		return;
	}
	c->kernel++;
	if (ev->seq <= c->last_kernel_seq && !c->disconnected)
		c->backwards++;
	c->last_kernel_seq = ev->seq;
	if (ev->dev_name && !strcmp(ev->dev_name, c->dev) &&
	    ev->kind == VFIOGROUP_EV_DRIVER_BOUND)
		c->dev_kernel_bound = true;
}

struct storm {
	int ndev;
	char dev[MAX_DEVS][NAME_LEN];
	char orig[MAX_DEVS][NAME_LEN];
	bool alt[MAX_DEVS];		/* alternate orig and vfio-pci */
	int alt_next[MAX_DEVS];
	int toggles;			/* wanted */
	int64_t deadline;
	atomic_int done;		/* toggles made */
	atomic_int errors;
	atomic_bool finished;
	char first_error[160];
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;

	for (int i = 0; i < s->toggles && now_ms() < s->deadline; i++) {
		int k = i % s->ndev, r;
		char now[NAME_LEN];
		const char *to;

		sysfs_driver(s->dev[k], now, sizeof(now));
		if (*now) {
			r = unbind(s->dev[k]);
			to = "-";
		} else {
			to = s->alt[k] && s->alt_next[k]++ % 2 ? "vfio-pci"
							       : s->orig[k];
			r = bind_to(s->dev[k], to);
		}
		if (r && !s->errors++)
			snprintf(s->first_error, sizeof(s->first_error),
				 "toggle %d: %s -> %s: %s", i, s->dev[k], to,
				 strerror(-r));
		s->done++;
	}
	s->finished = true;
	return NULL;
}

static int cmd_storm(int argc, char **argv)
{
	struct storm s = { .toggles = 300 };
	struct counts c = { 0 };
	struct vfiogroup_stats st;
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	int rcvbuf = 4096, max_s = 120, dispatch_err = 0, got = 0, flen;
	socklen_t sl = sizeof(got);
	int64_t t0, t_half, t1, t_heal;
	long groups[MAX_DEVS];
	pthread_t th;
	bool overflow, healed;
	int bad, badf, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc && s.ndev < MAX_DEVS)
			scopy(s.dev[s.ndev++], NAME_LEN, argv[++i]);
		else if (!strcmp(argv[i], "--toggles") && i + 1 < argc)
			s.toggles = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
			max_s = atoi(argv[++i]);
		else
			return 2;
	}
	if (!s.ndev || s.toggles < 2)
		return 2;
	alarm((unsigned)max_s + 120);
	for (int k = 0; k < s.ndev; k++) {
		sysfs_driver(s.dev[k], s.orig[k], NAME_LEN);
		s.alt[k] = k == 1 && access("/sys/bus/pci/drivers/vfio-pci", F_OK) == 0;
		diag("storm device %s on '%s'%s", s.dev[k], s.orig[k],
		     s.alt[k] ? ", alternating with vfio-pci" : "");
		if (!*s.orig[k]) {
			result(false, "storm device %s is bound to a driver", s.dev[k]);
			return 1;
		}
	}

	ctx = connect_or_die();
	/* The storm's groups only: the kernel filter drops the others'. */
	for (int k = 0; k < s.ndev; k++)
		groups[k] = group_of(s.dev[k]);
	r = subscribe_groups(ctx, groups, s.ndev, count_cb, &c, &sub);
	if (r) {
		result(false, "subscribe: %s", vfiogroup_strerror(r));
		return 1;
	}
	flen = filter_len(ctx);
	result(flen > 0, "storm: a kernel filter is attached for the storm's %d group(s), first %ld (%d instructions)",
	       s.ndev, groups[0], flen);
	/* The stalled consumer: a small buffer, and nobody reading it. */
	setsockopt(vfiogroup_get_fd(ctx), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));
	getsockopt(vfiogroup_get_fd(ctx), SOL_SOCKET, SO_RCVBUF, &got, &sl);
	diag("event socket SO_RCVBUF set to %d, kernel says %d", rcvbuf, got);

	t0 = now_ms();
	s.deadline = t0 + (int64_t)max_s * 1000;
	if (pthread_create(&th, NULL, storm_thread, &s)) {
		result(false, "storm thread");
		return 1;
	}
	/*
	 * Stalled for the first half of the storm, in toggles or in time,
	 * whichever comes first: a slow kernel makes fewer toggles, but a
	 * few are enough to overflow a 4 KiB buffer.
	 */
	while (!s.finished && s.done < s.toggles / 2 &&
	       now_ms() < t0 + (int64_t)max_s * 500)
		usleep(20000);
	t_half = now_ms();
	diag("stalled for %d toggles (%.1f s), now dispatching during the rest",
	     (int)s.done, (double)(t_half - t0) / 1000);
	/* Then a live consumer while the storm goes on. */
	while (!s.finished) {
		r = drain(ctx, 1000000, 200, NULL);
		if (r && !dispatch_err)
			dispatch_err = r;
	}
	pthread_join(th, NULL);
	t1 = now_ms();
	diag("storm: %d toggles in %.1f s (%.0f/s), %d sysfs errors%s%s",
	     (int)s.done, (double)(t1 - t0) / 1000,
	     (double)s.done * 1000 / (double)(t1 - t0 + 1), (int)s.errors,
	     s.errors ? ", first: " : "", s.first_error);
	for (int k = 0; k < s.ndev; k++)
		if (restore(s.dev[k], s.orig[k]))
			diag("could not put %s back on %s", s.dev[k], s.orig[k]);
	r = drain(ctx, 1000, 30000, NULL);
	if (r && !dispatch_err)
		dispatch_err = r;
	t_heal = now_ms();

	vfiogroup_stats(ctx, &st, sizeof(st));
	print_stats(ctx, "storm");
	diag("delivered: kernel=%u synthesized=%u resync-notices=%u", c.kernel,
	     c.synth, c.resync);
	/* With a filter, ENOBUFS is the one loss signal (gaps mean nothing). */
	overflow = st.overruns > 0 && c.resync > 0;
	bad = compare_sysfs(ctx, "after the storm");
	badf = compare_fresh(ctx, "after the storm");
	healed = !bad && !badf;
	printf("# storm-toggles=%d overflow-detected=%d healed=%d\n", (int)s.done,
	       overflow, healed);
	/*
	 * Bounded by count and time: a slow kernel makes fewer toggles; they
	 * only have to be enough to overflow the buffer (the next results).
	 */
	result(s.done >= s.toggles || s.done >= 10,
	       "storm made %d of %d toggles in %.1f s (time cap %d s; at least 10)",
	       (int)s.done, s.toggles, (double)(t1 - t0) / 1000, max_s);
	result(!s.errors, "every bind/unbind of the storm succeeded (%d errors)",
	       (int)s.errors);
	result(overflow, "overflow detected through ENOBUFS with the filter attached (ENOBUFS %" PRIu64
	       ", gaps %" PRIu64 ", resyncs %" PRIu64 ", RESYNC notices %u)",
	       st.overruns, st.gaps, st.resyncs, c.resync);
	result(!st.gaps && !st.malformed,
	       "with the filter: no gap taken for a loss, nothing malformed or cut (%" PRIu64
	       " gaps, %" PRIu64 " malformed)", st.gaps, st.malformed);
	result(st.resyncs == c.resync,
	       "one RESYNC notice per resync (stats %" PRIu64 ", notices %u)",
	       st.resyncs, c.resync);
	result(!dispatch_err, "vfiogroup_dispatch never failed during the storm (%s)",
	       dispatch_err ? vfiogroup_strerror(dispatch_err) : "none");
	result(!c.bad && !c.backwards,
	       "every event had a group state, kernel seqs only grew (%u bad, %u backwards)",
	       c.bad, c.backwards);
	result(!bad, "after the storm: cache == sysfs (healed in %.1f s after the last toggle)",
	       (double)(t_heal - t1) / 1000);
	result(!badf, "after the storm: cache == a fresh context (every group's seq)");
	for (int k = 0; k < s.ndev; k++) {
		char now[NAME_LEN];

		result(!strcmp(sysfs_driver(s.dev[k], now, sizeof(now)), s.orig[k]),
		       "%s back on %s", s.dev[k], s.orig[k]);
	}
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* filtered: kernel filters on two contexts, one context without       */
/* ------------------------------------------------------------------ */

#define MAX_EV	4096

struct fcounts {
	const char *name;
	long want;			/* the one group subscribed, -1: all */
	unsigned kernel, synth, notices;
	unsigned other_group;		/* events of a group not subscribed */
	unsigned not_whole;		/* without a state, or the device missing */
	unsigned nseq;
	uint64_t seq[MAX_EV];
	uint32_t grp[MAX_EV];
};

static void fcount_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		      void *userdata)
{
	struct fcounts *c = userdata;
	const struct vfiogroup_group *g = ev->group;
	bool whole;

	(void)sub;
	if (ev->kind >= VFIOGROUP_EV_RESYNC) {
		c->notices++;
		return;
	}
	if (ev->flags & VFIOGROUP_EVENT_SYNTHESIZED) {
		c->synth++;
		return;
	}
	c->kernel++;
	if (c->want >= 0 && ev->group_id != (uint32_t)c->want)
		c->other_group++;
	/*
	 * Whole: the group state is there, and a device event's device is
	 * in it (unless it left, or the group is gone).
	 */
	whole = g && vfiogroup_group_id(g) == ev->group_id;
	if (whole && ev->dev_name && ev->kind != VFIOGROUP_EV_DEVICE_REMOVED &&
	    vfiogroup_group_device_count(g)) {
		bool found = false;

		for (size_t i = 0; i < vfiogroup_group_device_count(g); i++)
			found = found || !strcmp(vfiogroup_device_name(
					vfiogroup_group_device(g, i)), ev->dev_name);
		whole = found;
	}
	if (whole && ev->kind == VFIOGROUP_EV_DRIVER_BOUND)
		whole = ev->driver && ev->dev_name;
	c->not_whole += !whole;
	if (c->nseq < MAX_EV) {
		c->seq[c->nseq] = ev->seq;
		c->grp[c->nseq++] = ev->group_id;
	}
}

struct burst {
	const char *dev[2];
	char drv[2][NAME_LEN];
	int n;
	atomic_int done, errors;
	atomic_bool finished;
};

static void *burst_thread(void *arg)
{
	struct burst *b = arg;

	for (int i = 0; i < b->n; i++) {
		for (int k = 0; k < 2; k++) {
			if (unbind(b->dev[k]))
				b->errors++;
			if (bind_to(b->dev[k], b->drv[k]))
				b->errors++;
		}
		b->done++;
	}
	b->finished = true;
	return NULL;
}

/* Dispatch every context that has something, for up to 200 ms. */
static int dispatch_all(struct vfiogroup_ctx **ctx, int n)
{
	struct pollfd p[3];
	int err = 0;

	for (int i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = vfiogroup_get_fd(ctx[i]),
					.events = POLLIN };
	if (poll(p, (nfds_t)n, 200) <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		int r;

		while ((r = vfiogroup_dispatch(ctx[i])) > 0)
			;
		if (r < 0 && !err)
			err = r;
	}
	return err;
}

/* The seqs of u's events of group g, in order, == those c received? */
static bool same_events(const struct fcounts *u, const struct fcounts *c,
			uint32_t g, unsigned *nu)
{
	unsigned j = 0;
	bool same = true;

	*nu = 0;
	for (unsigned i = 0; i < u->nseq; i++) {
		if (u->grp[i] != g)
			continue;
		(*nu)++;
		if (j >= c->nseq || c->seq[j] != u->seq[i])
			same = false;
		j++;
	}
	return same && j == c->nseq;
}

static int cmd_filtered(int argc, char **argv)
{
	static struct fcounts fa, fb, fu;
	struct fcounts *fc[3] = { &fa, &fb, &fu };
	struct burst b = { .n = 10 };
	struct vfiogroup_ctx *ctx[3];
	struct vfiogroup_sub *sub[3];
	struct vfiogroup_stats st[3];
	long g[2];
	int nd = 0, err = 0, r;
	unsigned gaps = 0, na, nb;
	pthread_t th;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc && nd < 2)
			b.dev[nd++] = argv[++i];
		else if (!strcmp(argv[i], "--toggles") && i + 1 < argc)
			b.n = atoi(argv[++i]);
		else
			return 2;
	}
	if (nd != 2 || b.n < 1)
		return 2;
	alarm(180);
	for (int k = 0; k < 2; k++) {
		sysfs_driver(b.dev[k], b.drv[k], NAME_LEN);
		g[k] = group_of(b.dev[k]);
		if (!*b.drv[k] || g[k] < 0) {
			result(false, "%s is bound to a driver and in a group", b.dev[k]);
			return 1;
		}
	}
	if (g[0] == g[1]) {
		result(false, "%s and %s are in different groups", b.dev[0], b.dev[1]);
		return 1;
	}
	diag("filtered: %s (group %ld, %s) and %s (group %ld, %s), %d cycles each",
	     b.dev[0], g[0], b.drv[0], b.dev[1], g[1], b.drv[1], b.n);
	fa.name = "group-A context";
	fa.want = g[0];
	fb.name = "group-B context";
	fb.want = g[1];
	fu.name = "unfiltered context";
	fu.want = -1;
	for (int i = 0; i < 3; i++) {
		ctx[i] = connect_or_die();
		r = i < 2 ? subscribe_groups(ctx[i], &g[i], 1, fcount_cb, fc[i], &sub[i])
			  : vfiogroup_subscribe(ctx[i], NULL, VFIOGROUP_EVMASK_ALL,
						fcount_cb, fc[i], &sub[i]);
		if (r) {
			result(false, "subscribe: %s", vfiogroup_strerror(r));
			return 1;
		}
	}
	result(filter_len(ctx[0]) > 0 && filter_len(ctx[1]) > 0 && filter_len(ctx[2]) == 0,
	       "kernel filters attached to the two filtered contexts (%d and %d instructions), none to the third",
	       filter_len(ctx[0]), filter_len(ctx[1]));

	if (pthread_create(&th, NULL, burst_thread, &b)) {
		result(false, "burst thread");
		return 1;
	}
	while (!b.finished) {
		r = dispatch_all(ctx, 3);
		err = err ? err : r;
	}
	pthread_join(th, NULL);
	for (int64_t quiet = now_ms() + 1000; now_ms() < quiet;) {
		r = dispatch_all(ctx, 3);
		err = err ? err : r;
	}
	for (int k = 0; k < 2; k++)
		if (restore(b.dev[k], b.drv[k]))
			diag("could not put %s back on %s", b.dev[k], b.drv[k]);
	for (int64_t quiet = now_ms() + 1000; now_ms() < quiet;) {
		r = dispatch_all(ctx, 3);
		err = err ? err : r;
	}

	for (int i = 0; i < 3; i++) {
		vfiogroup_stats(ctx[i], &st[i], sizeof(st[i]));
		print_stats(ctx[i], fc[i]->name);
		diag("%s: kernel=%u synthesized=%u notices=%u other-group=%u not-whole=%u",
		     fc[i]->name, fc[i]->kernel, fc[i]->synth, fc[i]->notices,
		     fc[i]->other_group, fc[i]->not_whole);
	}
	for (unsigned i = 1; i < fu.nseq; i++)
		gaps += fu.seq[i] != fu.seq[i - 1] + 1;
	result(!b.errors && b.done == b.n, "%d unbind/bind cycles of both devices (%d sysfs errors)",
	       (int)b.done, (int)b.errors);
	result(fu.kernel > 0 && fu.nseq == fu.kernel && !gaps && !st[2].gaps &&
	       !st[2].overruns && !st[2].resyncs && !fu.synth && !fu.not_whole,
	       "unfiltered context: %u events, seqs %" PRIu64 "..%" PRIu64 " without a gap, all whole, no resync",
	       fu.kernel, fu.nseq ? fu.seq[0] : 0, fu.nseq ? fu.seq[fu.nseq - 1] : 0);
	for (int i = 0; i < 2; i++) {
		struct fcounts *c = fc[i];
		bool same = same_events(&fu, c, (uint32_t)g[i], i ? &nb : &na);
		unsigned nu = i ? nb : na;

		result(c->kernel > 0 && !c->other_group && same,
		       "%s (group %ld): exactly its group's %u events, as the unfiltered context saw them (got %u, %u of other groups)",
		       c->name, g[i], nu, c->kernel, c->other_group);
		result(!c->not_whole && !st[i].malformed,
		       "%s: every event whole and decoded (%u not whole, %" PRIu64 " malformed)",
		       c->name, c->not_whole, st[i].malformed);
		result(!st[i].resyncs && !st[i].overruns && !st[i].gaps && !c->synth && !c->notices,
		       "%s: no resync, no loss reported, gaps not taken for losses (%" PRIu64 " resyncs, %" PRIu64
		       " overruns, %" PRIu64 " gaps, %u synthesized)",
		       c->name, st[i].resyncs, st[i].overruns, st[i].gaps, c->synth);
		/* the kernel dropped the rest: only its events reached the socket */
		result(st[i].messages == c->kernel + st[i].stale,
		       "%s: the kernel dropped the other groups' events (%" PRIu64 " messages received for %u events)",
		       c->name, st[i].messages, c->kernel);
	}
	for (int i = 0; i < 3; i++) {
		r = compare_sysfs(ctx[i], fc[i]->name);
		result(!r, "%s: cache (and, filtered, the kernel's answers) == sysfs after the burst", fc[i]->name);
	}
	result(!err, "vfiogroup_dispatch never failed (%s)", err ? vfiogroup_strerror(err) : "none");
	for (int i = 0; i < 3; i++) {
		vfiogroup_unsubscribe(sub[i]);
		vfiogroup_ctx_unref(ctx[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* reload                                                              */
/* ------------------------------------------------------------------ */

static int run(const char *cmd)
{
	int r = system(cmd);

	if (r == -1 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

/* Dispatch until cond(c) holds, up to timeout_ms; true if it did. */
static bool dispatch_until(struct vfiogroup_ctx *ctx, struct counts *c,
			   bool (*cond)(const struct counts *), int timeout_ms,
			   int *err)
{
	int64_t end = now_ms() + timeout_ms;

	while (!cond(c) && now_ms() < end) {
		struct pollfd p = { .fd = vfiogroup_get_fd(ctx), .events = POLLIN };
		int n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while ((n = vfiogroup_dispatch(ctx)) > 0)
			;
		if (n < 0 && !*err) {
			*err = n;
			diag("vfiogroup_dispatch: %s", vfiogroup_strerror(n));
		}
	}
	return cond(c);
}

static bool is_disconnected(const struct counts *c) { return c->disconnected >= 1; }
static bool is_reconnected(const struct counts *c) { return c->reconnected >= 1; }
static bool is_bound(const struct counts *c) { return c->dev_kernel_bound; }
static bool is_reconnected2(const struct counts *c) { return c->reconnected >= 2; }

static int cmd_reload(int argc, char **argv)
{
	const char *ko = NULL, *dev = NULL;
	struct counts c = { 0 };
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	struct vfiogroup_stats st;
	char cmd[PATH_MAX + 32], drv[NAME_LEN];
	uint32_t *ids = NULL;
	int err = 0, r, n;
	int64_t t;
	bool ok;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--module") && i + 1 < argc)
			ko = argv[++i];
		else if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			dev = argv[++i];
		else
			return 2;
	}
	if (!ko || !dev)
		return 2;
	alarm(120);
	sysfs_driver(dev, drv, sizeof(drv));
	scopy(c.dev, sizeof(c.dev), dev);
	diag("reload: module %s, device %s on '%s'", ko, dev, drv);

	ctx = connect_or_die();
	r = vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, count_cb, &c, &sub);
	if (r) {
		result(false, "subscribe: %s", vfiogroup_strerror(r));
		return 1;
	}

	/* 1. rmmod while subscribed. */
	t = now_ms();
	r = run("rmmod vfiogroup");
	result(r == 0, "rmmod vfiogroup with a library context subscribed (rc=%d)", r);
	ok = dispatch_until(ctx, &c, is_disconnected, 10000, &err);
	result(ok && c.disconnected == 1,
	       "DISCONNECTED delivered once (%u, after %.1f s)", c.disconnected,
	       (double)(now_ms() - t) / 1000);
	result(vfiogroup_ctx_connected(ctx) == 0, "vfiogroup_ctx_connected() == 0 while unloaded");
	n = vfiogroup_group_ids(ctx, &ids);
	result(n > 0, "the cache keeps the last known state while unloaded (%d groups)", n);
	free(ids);

	/* 2. A change the library cannot hear about. */
	r = *drv ? unbind(dev) : -EINVAL;
	result(r == 0, "unbind %s from %s while the module is away", dev, drv);

	/* 3. insmod: RECONNECTED, the change reported, synthesized, before. */
	t = now_ms();
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	r = run(cmd);
	result(r == 0, "insmod %s (rc=%d)", ko, r);
	ok = dispatch_until(ctx, &c, is_reconnected, 15000, &err);
	result(ok && c.reconnected == 1, "RECONNECTED delivered once after insmod (after %.1f s)",
	       (double)(now_ms() - t) / 1000);
	result(c.dev_synth_before_reconnect,
	       "the unbind made while unloaded was reported (synthesized) before RECONNECTED");
	result(vfiogroup_ctx_connected(ctx) == 1, "vfiogroup_ctx_connected() == 1 again");
	drain(ctx, 300, 5000, NULL);
	n = compare_sysfs(ctx, "after reconnect");
	result(!n, "after reconnect: cache == sysfs");
	n = compare_fresh(ctx, "after reconnect");
	result(!n, "after reconnect: cache == a fresh context (seqs of the new module)");

	/* 4. Live events of the new module reach the old context. */
	r = restore(dev, drv);
	ok = !r && dispatch_until(ctx, &c, is_bound, 10000, &err);
	result(ok, "a kernel driver-bound event of the reloaded module arrives (%s back on %s)",
	       dev, drv);

	/* 5. rmmod + insmod back to back, dispatching only afterwards. */
	r = run("rmmod vfiogroup");
	if (!r)
		r = run(cmd);
	result(r == 0, "back-to-back rmmod + insmod (rc=%d)", r);
	ok = dispatch_until(ctx, &c, is_reconnected2, 15000, &err);
	drain(ctx, 300, 5000, NULL);
	result(ok && c.disconnected == 2 && vfiogroup_ctx_connected(ctx) == 1,
	       "back-to-back reload: DISCONNECTED then RECONNECTED again (%u, %u)",
	       c.disconnected, c.reconnected);
	n = compare_sysfs(ctx, "after the second reload");
	n += compare_fresh(ctx, "after the second reload");
	result(!n, "after the second reload: cache == sysfs == a fresh context");

	vfiogroup_stats(ctx, &st, sizeof(st));
	print_stats(ctx, "reload");
	diag("notices and synthesized events:%s", c.trace);
	result(!err, "vfiogroup_dispatch never failed across the reloads (%s)",
	       err ? vfiogroup_strerror(err) : "none");
	result(st.disconnects == 2 && st.reconnects == 2 && !c.bad,
	       "stats: disconnects == reconnects == 2 (%" PRIu64 ", %" PRIu64 ")",
	       st.disconnects, st.reconnects);
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* unsub                                                               */
/* ------------------------------------------------------------------ */

struct unsub_test {
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *a, *b, *c, *d, *e, *f;
	/* a: unsubscribes itself at its 3rd event, subscribes e */
	unsigned a_calls, a_after;
	uint64_t a_last_seq;
	bool a_gone;
	/* b: unsubscribes c at b's 2nd event */
	unsigned b_calls;
	bool c_gone;
	unsigned c_calls, c_after;
	/* d: unsubscribed from another thread while its callback sleeps */
	atomic_uint d_calls, d_after;
	atomic_bool d_gone, d_in_cb;
	/* e: subscribed from inside a's callback */
	unsigned e_calls;
	uint64_t e_first_seq;
	/* f: control */
	atomic_uint f_calls;
};

static void cb_e(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	if (!t->e_calls++)
		t->e_first_seq = ev->seq;
}

static void cb_a(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	if (t->a_gone) {
		t->a_after++;
		return;
	}
	if (++t->a_calls == 3) {
		t->a_last_seq = ev->seq;
		vfiogroup_unsubscribe(sub);	/* returns at once */
		t->a_gone = true;
		if (vfiogroup_subscribe(t->ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_e,
					t, &t->e))
			t->e = NULL;
	}
}

static void cb_b(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (++t->b_calls == 2) {
		vfiogroup_unsubscribe(t->c);	/* another subscription's */
		t->c_gone = true;
	}
}

static void cb_c(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (t->c_gone)
		t->c_after++;
	t->c_calls++;
}

static void cb_d(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (t->d_gone)
		t->d_after++;
	t->d_in_cb = true;
	t->d_calls++;
	usleep(5000);		/* widen the window for the other thread */
	if (t->d_gone)
		t->d_after++;
	t->d_in_cb = false;
}

static void cb_f(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	t->f_calls++;
}

static void *unsub_d_thread(void *arg)
{
	struct unsub_test *t = arg;
	int64_t end = now_ms() + 30000;

	/* Unsubscribe while d's callback is running, if we can catch it. */
	while (now_ms() < end && (t->f_calls < 6 || !t->d_in_cb))
		usleep(200);
	vfiogroup_unsubscribe(t->d);
	t->d_gone = true;
	return NULL;
}

struct toggler {
	const char *dev;
	char drv[NAME_LEN];
	int n;
	atomic_int done;
	atomic_bool finished;
};

static void *toggle_thread(void *arg)
{
	struct toggler *tg = arg;

	for (int i = 0; i < tg->n; i++) {
		if (unbind(tg->dev) || bind_to(tg->dev, tg->drv))
			break;
		tg->done++;
		usleep(20000);
	}
	tg->finished = true;
	return NULL;
}

static int cmd_unsub(int argc, char **argv)
{
	struct unsub_test t = { 0 };
	struct toggler tg = { .n = 20 };
	struct vfiogroup_stats st;
	pthread_t th_t, th_d;
	int r = 0, err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			tg.dev = argv[++i];
		else if (!strcmp(argv[i], "--toggles") && i + 1 < argc)
			tg.n = atoi(argv[++i]);
		else
			return 2;
	}
	if (!tg.dev || tg.n < 4)
		return 2;
	alarm(120);
	sysfs_driver(tg.dev, tg.drv, sizeof(tg.drv));
	if (!*tg.drv) {
		result(false, "%s is bound to a driver", tg.dev);
		return 1;
	}
	t.ctx = connect_or_die();
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_a, &t, &t.a);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_b, &t, &t.b);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_c, &t, &t.c);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_d, &t, &t.d);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_f, &t, &t.f);
	if (r) {
		result(false, "five subscriptions");
		return 1;
	}
	pthread_create(&th_d, NULL, unsub_d_thread, &t);
	pthread_create(&th_t, NULL, toggle_thread, &tg);
	while (!tg.finished)
		drain(t.ctx, 1000000, 200, NULL);
	pthread_join(th_t, NULL);
	err = drain(t.ctx, 1000, 20000, NULL);
	pthread_join(th_d, NULL);
	err = err ? err : drain(t.ctx, 300, 5000, NULL);

	vfiogroup_stats(t.ctx, &st, sizeof(st));
	print_stats(t.ctx, "unsub");
	diag("%d toggles of %s; calls: a=%u b=%u c=%u d=%u e=%u f=%u", (int)tg.done,
	     tg.dev, t.a_calls, t.b_calls, t.c_calls, (unsigned)t.d_calls,
	     t.e_calls, (unsigned)t.f_calls);
	result(tg.done == tg.n, "%d unbind/bind toggles of %s", (int)tg.done, tg.dev);
	result(t.f_calls == 4u * (unsigned)tg.done && !st.gaps && !st.overruns,
	       "control subscription saw every event (%u, 4 per toggle), no loss",
	       (unsigned)t.f_calls);
	result(t.a_calls == 3 && !t.a_after,
	       "unsubscribe from inside its own callback: no call after it (%u after)",
	       t.a_after);
	result(t.e && t.e_calls > 0 && t.e_first_seq > t.a_last_seq,
	       "a subscription made in a callback does not see the event being delivered (first seq %" PRIu64 " > %" PRIu64 ")",
	       t.e_first_seq, t.a_last_seq);
	result(t.c_gone && !t.c_after && t.c_calls >= 1,
	       "unsubscribe of another subscription from a callback: no call after it (%u after)",
	       t.c_after);
	result(t.d_gone && !t.d_after,
	       "unsubscribe from another thread during the callback: once it returns, no call (%u after)",
	       (unsigned)t.d_after);
	result(!err, "vfiogroup_dispatch never failed (%s)",
	       err ? vfiogroup_strerror(err) : "none");
	vfiogroup_unsubscribe(t.b);
	vfiogroup_unsubscribe(t.e);
	vfiogroup_unsubscribe(t.f);
	vfiogroup_ctx_unref(t.ctx);
	return 0;
}

/* ------------------------------------------------------------------ */
/* watch: a diagnostic                                                 */
/* ------------------------------------------------------------------ */

static void watch_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	(void)sub;
	(void)userdata;
	printf("# event kind=%u group=%u seq=%" PRIu64 " flags=%u dev=%s driver=%s ndev=%zu\n",
	       ev->kind, ev->group_id, ev->seq, ev->flags,
	       ev->dev_name ? ev->dev_name : "-", ev->driver ? ev->driver : "-",
	       ev->group ? vfiogroup_group_device_count(ev->group) : 0);
}

static volatile bool watch_stop;

static void on_term(int sig)
{
	(void)sig;
	watch_stop = true;
}

static int cmd_watch(int argc, char **argv)
{
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	int seconds = 60;

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atoi(argv[2]);
	else if (argc != 1)
		return 2;
	signal(SIGTERM, on_term);
	ctx = connect_or_die();
	if (vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, watch_cb, NULL, &sub))
		return 1;
	diag("watching");
	drain(ctx, seconds * 1000, seconds * 1000, &watch_stop);
	print_stats(ctx, "watch");
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	signal(SIGALRM, on_alarm);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lib-integration cache|storm|filtered|reload|unsub [OPTIONS]\n");
		return 2;
	}
	if (!strcmp(argv[1], "cache"))
		r = cmd_cache();
	else if (!strcmp(argv[1], "storm"))
		r = cmd_storm(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "filtered"))
		r = cmd_filtered(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "reload"))
		r = cmd_reload(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "unsub"))
		r = cmd_unsub(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "watch"))
		r = cmd_watch(argc - 1, argv + 1);
	else
		r = 2;
	if (r == 2)
		fprintf(stderr, "lib-integration: bad arguments\n");
	return r ? r : nfail ? 1 : 0;
}
