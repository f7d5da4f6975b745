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
 *   window --dev D [--dev D2] [--reps N] [--max-seconds S] [--rcvbuf B]
 *                         acting in the window of a resync, against a raw
 *                         listener as ground truth: one filtered and one
 *                         unfiltered context with a small receive buffer
 *                         (B, default 4096) are overflowed by binds and
 *                         unbinds (of D2, else D); then a bind or unbind of
 *                         D from inside a RESYNC callback ("stall"),
 *                         another process toggling D while they resync
 *                         ("child"), a toggle right after a one-call resync
 *                         ("drain"); N rounds (default 3) within S seconds
 *                         (default 60; the first round always runs).  After
 *                         every step: every event of a covered group
 *                         delivered or covered by a later RESYNC, caches
 *                         == sysfs.  Fails the pre-drain libraries.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/vfiogroup.h>
#include <vfiogroup.h>

#include "guest-util.h"

#define MAX_DEVS	8
#define NAME_LEN	64

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

static bool in_ids(const uint32_t *ids, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * Compare ctx's view with sysfs; mismatches are printed as diagnostics,
 * at most a few.  Returns the number of mismatches.  With nonly > 0, only
 * the groups in only[] (those a filtered context follows), and not the
 * list of groups.
 */
static int compare_sysfs_only(struct vfiogroup_ctx *ctx, const char *when,
			      const uint32_t *only, int nonly)
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
		bool viable = true, has_node;
		char node[32];
		int r;

		while (j < s.n && s.d[j].group == g) {
			viable = viable && managed(s.d[j].driver);
			j++;
		}
		nd = j - i;
		ngroups++;
		if (nonly > 0 && !in_ids(only, nonly, g)) {
			i = j;
			continue;
		}
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
		/* ready: viable with the node /dev/vfio/N there (VFIO's own) */
		snprintf(node, sizeof(node), "/dev/vfio/%u", g);
		has_node = access(node, F_OK) == 0;
		if (vfiogroup_group_ready(lg) != (viable && has_node) && bad++ < 8)
			diag("%s: group %u ready=%d, viable %d and %s %s", when, g,
			     vfiogroup_group_ready(lg), viable, node,
			     has_node ? "exists" : "does not exist");
		if ((vfiogroup_group_node(lg) ? strcmp(vfiogroup_group_node(lg), node) : has_node) &&
		    bad++ < 8)
			diag("%s: group %u node %s, %s %s", when, g,
			     vfiogroup_group_node(lg) ? vfiogroup_group_node(lg) : "(none)", node,
			     has_node ? "exists" : "does not exist");
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
	if (nonly <= 0 && nids != ngroups && bad++ < 8)
		diag("%s: library has %d groups, sysfs %d", when, nids, ngroups);
	free(ids);
	free(s.d);
	return bad;
}

static int compare_sysfs(struct vfiogroup_ctx *ctx, const char *when)
{
	return compare_sysfs_only(ctx, when, NULL, 0);
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

	result(!bad, "library cache == /sys/kernel/iommu_groups (groups, devices, drivers, viability; ready and node == /dev/vfio/N)");
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
			   ev->kind > VFIOGROUP_EV_READY_CHANGED))
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
	/* the race shown: d's callback ran as unsubscribe was called, and
	 * had returned by the time unsubscribe did */
	bool d_caught, d_running_at_return;
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
	t->d_caught = t->d_in_cb;
	vfiogroup_unsubscribe(t->d);
	t->d_running_at_return = t->d_in_cb;
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
	result(t.d_caught,
	       "unsubscribe from another thread raced a running callback (it did not within 30 s: the next check shows nothing then)");
	result(t.d_gone && !t.d_after && !t.d_running_at_return,
	       "unsubscribe from another thread during the callback: it returned only once the callback had, and no call after (%u after)",
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
/* window: acting while a context resynchronises                       */
/* ------------------------------------------------------------------ */

/*
 * The window: Linux reports ENOBUFS once, when a netlink socket becomes
 * congested, and then drops every multicast for it silently until a
 * recvmsg() finds its queue empty.  A library that takes its baseline on
 * such a socket (right after reading the ENOBUFS, say, or while another
 * process binds) can lose an event after the baseline without ever
 * hearing of it; a context with a kernel filter then keeps a stale cache
 * for good.  This command acts in that window and checks every event
 * against a raw listener that sees them all:
 *
 *   stall  both contexts stalled until the kernel dropped events for each
 *          (their small receive buffers full), then one is dispatched and
 *          its RESYNC callback binds or unbinds D itself;
 *   child  a forked process toggles D without a pause while the parent
 *          lets both contexts overflow and resynchronise, round after
 *          round, each RESYNC callback waiting for two more of its
 *          transitions;
 *   drain  overflowed, one vfiogroup_dispatch() call each (it must
 *          resynchronise within it), then a toggle at once: it must
 *          arrive as kernel events.
 *
 * After each step the quiesce barrier (quiesce()) and the oracles: every
 * context's cache == sysfs for the groups it follows, the callbacks' last
 * word on each toggled device == sysfs, and every ground-truth event of a
 * covered group accounted for (account()).
 *
 * That it raced is checked, not assumed: a context counts as overflowed
 * when the kernel's own count of multicasts dropped for its socket (Drops
 * in /proc/net/netlink, by the socket's inode) grew by two -- the second
 * drop is a silent one, on a congested socket -- and a step whose contexts
 * did not report the overflow (vfiogroup_stats() overruns) or whose act
 * did not happen inside a RESYNC callback fails.  Also printed per act:
 * how many bytes were still queued on the socket when the callback ran and
 * how many of the multicasts made meanwhile the kernel dropped for it;
 * with no other writer (stall) both must be 0 once the library drains
 * before its baseline.
 */

#define W_MAXG		64		/* groups one context covers */
#define W_MAX_TRUTH	65536		/* ground-truth events */
#define W_DEADLINE_MS	20000		/* a quiesce; KASAN kernels are slow */
#define W_OVERFLOW_MAX	60		/* toggles to overflow, at most */
#define W_WHAT		(2 * NAME_LEN + 32)	/* a transition, described */

enum w_arm { ARM_NONE, ARM_TOGGLE, ARM_CHILD };

struct w_act {			/* what an armed RESYNC callback did */
	bool done;
	int err;
	uint64_t before, after;	/* module seq before and after it acted */
	long rmem;		/* bytes queued on the socket meanwhile */
	unsigned long drops;	/* multicasts the kernel dropped for it then */
	char what[W_WHAT];
};

struct w_tdev {			/* a device toggled: driver, none, vfio-pci */
	char name[NAME_LEN];
	char orig[NAME_LEN];
	uint32_t group;
	bool vfio;
	int next;
};

struct win;

struct wctx {
	const char *name;
	struct win *w;
	bool filtered;
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	int fd;
	ino_t ino;
	/* covered groups, and the seq up to which a resync covered each */
	int ng;
	uint32_t gid[W_MAXG];
	uint64_t upto[W_MAXG];
	/* kernel events delivered, indexed by seq - w->base - 1 */
	uint8_t *got;
	uint32_t *got_group;
	uint8_t *got_kind;
	uint64_t last_kseq;
	unsigned kernel, synth, resyncs, other_notices;
	unsigned dup, backwards, outside, uncovered, wrong, future;
	/* the toggled devices' drivers as the callbacks last told them */
	char last_drv[2][NAME_LEN];
	uint64_t notice_truth;	/* the module's newest seq at the last notice */
	int arm;
	struct w_act act;
	/* totals */
	unsigned delivered, covered, unaccounted, mismatches;
};

struct truth_ev {
	uint64_t seq;
	uint32_t group;
	uint32_t kind;
};

struct w_shared {		/* between the parent and the child (child) */
	atomic_int stop, done, errors;
};

struct win {
	/* raw genetlink: a request socket and the listener */
	int rq;
	uint16_t fam;
	uint32_t grp;
	int lfd;
	ino_t lino;
	pthread_t lth;
	atomic_bool lstop;
	struct truth_ev *tev;
	atomic_uint tn;			/* published */
	_Atomic uint64_t tlast;		/* newest seq heard */
	atomic_uint enobufs, gaps, trunc, lfull, lerr;
	unsigned checked;		/* truth events accounted so far */
	uint64_t base;			/* module seq when the contexts were ready */
	/* what is tested */
	struct wctx c[2];		/* filtered, unfiltered */
	int ndev;
	struct w_tdev dev[2];		/* dev[0]: the one acted on; dev[1]: overflow */
	struct w_shared *sh;
	bool have_drops;		/* /proc/net/netlink gives Drops */
	int dispatch_err;
	int sysfs_err;
	unsigned qfail;			/* barriers not reached in time */
	/* totals */
	unsigned runs, steps, truth;
	uint64_t overflows, resyncs;
};

/* --- raw generic netlink ------------------------------------------ */

#define RAW_ALIGN(l)	(((l) + 3u) & ~3u)

/* The attributes in buf[len] by type (the last of a type wins), max types. */
static void raw_attrs(const void *buf, size_t len, const struct nlattr **tb,
		      int max)
{
	const char *p = buf;

	memset(tb, 0, (size_t)(max + 1) * sizeof(*tb));
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const void *)p;
		size_t al = a->nla_len, step = RAW_ALIGN(al);
		int type = a->nla_type & NLA_TYPE_MASK;

		if (al < sizeof(struct nlattr) || al > len)
			break;
		if (type <= max)
			tb[type] = a;
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

static const void *raw_data(const struct nlattr *a)
{
	return (const char *)a + RAW_ALIGN(sizeof(struct nlattr));
}

static size_t raw_len(const struct nlattr *a)
{
	return a->nla_len - RAW_ALIGN(sizeof(struct nlattr));
}

static uint64_t raw_uint(const struct nlattr *a)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	if (!a)
		return 0;
	switch (raw_len(a)) {
	case 8:
		memcpy(&v64, raw_data(a), 8);
		return v64;
	case 4:
		memcpy(&v32, raw_data(a), 4);
		return v32;
	case 2:
		memcpy(&v16, raw_data(a), 2);
		return v16;
	default:
		return 0;
	}
}

/* The message at buf + *off, or NULL past the last whole one. */
static struct nlmsghdr *raw_msg(void *buf, size_t len, size_t *off)
{
	struct nlmsghdr *h = (void *)((char *)buf + *off);
	size_t left = len - *off;

	if (*off >= len || left < sizeof(*h) || h->nlmsg_len < sizeof(*h) ||
	    h->nlmsg_len > left)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

static int raw_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * One request (a "do"); *payload points at the reply's attributes in
 * buf.  Returns their length or -errno.
 */
static int raw_request(int fd, uint16_t type, uint8_t cmd, const void *attrs,
		       size_t alen, void *buf, size_t cap, const void **payload)
{
	static uint32_t seq;
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char a[256];
	} req;
	uint32_t me = ++seq;

	if (alen > sizeof(req.a))
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = (uint32_t)NLMSG_LENGTH(GENL_HDRLEN + alen);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = me;
	req.g.cmd = cmd;
	req.g.version = 1;
	if (alen)
		memcpy(req.a, attrs, alen);
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		struct nlmsghdr *h;
		size_t off = 0;

		if (n < 0)
			return -errno;
		while ((h = raw_msg(buf, (size_t)n, &off))) {
			if (h->nlmsg_seq != me)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -ENODATA;
			}
			if (h->nlmsg_type != type ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			*payload = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
			return (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		}
	}
}

/* The family id and the "events" group, through nlctrl. */
static int raw_resolve(struct win *w)
{
	static char buf[16384];
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	char attr[64];
	struct nlattr *a = (struct nlattr *)attr;
	const void *p;
	const char *name = VFIOGROUP_FAMILY_NAME;
	size_t nl = strlen(name) + 1;
	int len;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = (uint16_t)(RAW_ALIGN(sizeof(*a)) + nl);
	memset(attr + RAW_ALIGN(sizeof(*a)), 0, RAW_ALIGN(nl));
	memcpy(attr + RAW_ALIGN(sizeof(*a)), name, nl);
	len = raw_request(w->rq, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attr,
			  RAW_ALIGN(a->nla_len), buf, sizeof(buf), &p);
	if (len < 0)
		return len;
	raw_attrs(p, (size_t)len, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_MCAST_GROUPS])
		return -EPROTO;
	w->fam = (uint16_t)raw_uint(tb[CTRL_ATTR_FAMILY_ID]);
	/* a nest of nests, one per group */
	{
		const char *q = raw_data(tb[CTRL_ATTR_MCAST_GROUPS]);
		size_t ql = raw_len(tb[CTRL_ATTR_MCAST_GROUPS]);

		while (ql >= sizeof(struct nlattr)) {
			const struct nlattr *g = (const void *)q;
			const struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
			size_t step = RAW_ALIGN(g->nla_len);

			if (g->nla_len < sizeof(*g) || g->nla_len > ql)
				break;
			raw_attrs(raw_data(g), raw_len(g), gt, CTRL_ATTR_MCAST_GRP_MAX);
			if (gt[CTRL_ATTR_MCAST_GRP_NAME] && gt[CTRL_ATTR_MCAST_GRP_ID] &&
			    !strncmp(raw_data(gt[CTRL_ATTR_MCAST_GRP_NAME]),
				     VFIOGROUP_MCGRP_EVENTS,
				     raw_len(gt[CTRL_ATTR_MCAST_GRP_NAME])))
				w->grp = (uint32_t)raw_uint(gt[CTRL_ATTR_MCAST_GRP_ID]);
			if (step >= ql)
				break;
			q += step;
			ql -= step;
		}
	}
	return w->grp ? 0 : -ENOENT;
}

/* The module's newest seq (info-get), or 0 with *err set. */
static uint64_t raw_info_seq(struct win *w, int *err)
{
	static char buf[4096];
	const struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];
	const void *p;
	int len = raw_request(w->rq, w->fam, VFIOGROUP_CMD_INFO_GET, NULL, 0,
			      buf, sizeof(buf), &p);

	if (len < 0) {
		if (err && !*err)
			*err = len;
		return 0;
	}
	raw_attrs(p, (size_t)len, tb, VFIOGROUP_A_INFO_MAX);
	if (!tb[VFIOGROUP_A_INFO_SEQ]) {
		if (err && !*err)
			*err = -EPROTO;
		return 0;
	}
	return raw_uint(tb[VFIOGROUP_A_INFO_SEQ]);
}

/* The ground truth: every notification, in its own thread. */
static void *listener(void *arg)
{
	static char buf[65536];
	struct win *w = arg;

	while (!w->lstop) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(w->lfd, &mh, 0);
		struct nlmsghdr *h;
		size_t off = 0;

		if (n < 0) {
			if (errno == ENOBUFS)
				w->enobufs++;
			else if (errno != EAGAIN && errno != EINTR)
				w->lerr++;
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC)
			w->trunc++;
		while ((h = raw_msg(buf, (size_t)n, &off))) {
			const struct nlattr *tb[VFIOGROUP_A_MAX + 1];
			const struct nlattr *et[VFIOGROUP_A_EVENT_MAX + 1];
			const struct genlmsghdr *g = NLMSG_DATA(h);
			struct truth_ev e;
			unsigned i;

			if (h->nlmsg_type != w->fam ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    g->cmd != VFIOGROUP_CMD_EVENT_NTF)
				continue;
			raw_attrs((const char *)g + GENL_HDRLEN,
				  h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), tb,
				  VFIOGROUP_A_MAX);
			if (!tb[VFIOGROUP_A_GROUP_EVENT])
				continue;
			raw_attrs(raw_data(tb[VFIOGROUP_A_GROUP_EVENT]),
				  raw_len(tb[VFIOGROUP_A_GROUP_EVENT]), et,
				  VFIOGROUP_A_EVENT_MAX);
			e.seq = raw_uint(et[VFIOGROUP_A_EVENT_SEQ]);
			e.kind = (uint32_t)raw_uint(et[VFIOGROUP_A_EVENT_KIND]);
			e.group = (uint32_t)raw_uint(tb[VFIOGROUP_A_GROUP_ID]);
			i = w->tn;
			if (i && e.seq != w->tev[i - 1].seq + 1)
				w->gaps++;
			if (i == W_MAX_TRUTH) {
				w->lfull++;
				continue;
			}
			w->tev[i] = e;
			w->tn = i + 1;		/* publish */
			w->tlast = e.seq;
		}
	}
	return NULL;
}

/* Rmem and Drops of a netlink socket, by inode, from /proc/net/netlink. */
static bool nl_sock_stats(ino_t ino, long *rmem, unsigned long *drops)
{
	FILE *f = fopen("/proc/net/netlink", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char sk[40], groups[20];
		int eth;
		unsigned long pid, dr, inode;
		long rm, wm, dump, locks;

		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		if (sscanf(line, "%39s %d %lu %19s %ld %ld %ld %ld %lu %lu", sk,
			   &eth, &pid, groups, &rm, &wm, &dump, &locks, &dr,
			   &inode) != 10 || inode != (unsigned long)ino)
			continue;
		if (rmem)
			*rmem = rm;
		if (drops)
			*drops = dr;
		found = true;
	}
	fclose(f);
	return found;
}

static unsigned long sock_drops(ino_t ino)
{
	unsigned long d = 0;

	nl_sock_stats(ino, NULL, &d);
	return d;
}

/* --- the devices --------------------------------------------------- */

/* One transition of d: unbind it, or bind it (its driver or vfio-pci). */
static int toggle_dev(struct w_tdev *d, char *what, size_t len)
{
	char now[NAME_LEN];
	int r;

	sysfs_driver(d->name, now, sizeof(now));
	if (*now) {
		r = unbind(d->name);
		snprintf(what, len, "unbind %s from %s", d->name, now);
	} else {
		const char *to = d->vfio && d->next++ % 2 ? "vfio-pci" : d->orig;

		r = bind_to(d->name, to);
		snprintf(what, len, "bind %s to %s", d->name, to);
	}
	return r;
}

static int w_toggle(struct win *w, int k, char *what, size_t len)
{
	int r = toggle_dev(&w->dev[k], what, len);

	if (r && w->sysfs_err++ < 5)
		diag("window: %s: %s", what, strerror(-r));
	return r;
}

/* --- the contexts -------------------------------------------------- */

static int w_gidx(const struct wctx *c, uint32_t g)
{
	for (int i = 0; i < c->ng; i++)
		if (c->gid[i] == g)
			return i;
	return -1;
}

static bool w_covers(const struct wctx *c, uint32_t g)
{
	return !c->filtered || w_gidx(c, g) >= 0;
}

/* How far the resyncs so far covered group g (0: not at all). */
static uint64_t w_upto(const struct wctx *c, uint32_t g)
{
	int i = w_gidx(c, g);

	return i < 0 ? 0 : c->upto[i];
}

/*
 * Note what the subscriber has just been told by a resync (or by the first
 * load): the cache's seq of every covered group.  At a RESYNC notice the
 * cache is the fresh dump, and the synthesized events for what changed
 * have just been delivered.
 */
static void w_snapshot(struct wctx *c)
{
	for (int i = 0; i < c->ng; i++) {
		struct vfiogroup_group *g;

		if (vfiogroup_get_group(c->ctx, c->gid[i], &g))
			continue;
		if (vfiogroup_group_seq(g) > c->upto[i])
			c->upto[i] = vfiogroup_group_seq(g);
		vfiogroup_group_unref(g);
	}
}

/* What an armed RESYNC callback does: the act in the window. */
static void w_act(struct wctx *c)
{
	struct win *w = c->w;
	struct w_act *a = &c->act;
	unsigned long d0 = sock_drops(c->ino), d1;
	int kind = c->arm;

	c->arm = ARM_NONE;		/* once */
	a->done = true;
	a->before = raw_info_seq(w, &a->err);
	a->rmem = -1;
	nl_sock_stats(c->ino, &a->rmem, NULL);
	if (kind == ARM_TOGGLE) {
		int r = w_toggle(w, 0, a->what, sizeof(a->what));

		if (r && !a->err)
			a->err = r;
	} else {
		/*
		 * Another process's transitions during the resync: the one it
		 * is making may have sent its events already, the next one
		 * sends them now.
		 */
		int start = w->sh->done;
		int64_t end = now_ms() + 10000;

		while (w->sh->done < start + 2 && now_ms() < end)
			usleep(1000);
		snprintf(a->what, sizeof(a->what), "%d transitions of %s by another process",
			 w->sh->done - start, w->dev[0].name);
		if (w->sh->done < start + 2 && !a->err)
			a->err = -ETIMEDOUT;
	}
	a->after = raw_info_seq(w, &a->err);
	d1 = sock_drops(c->ino);
	a->drops = d1 - d0;
}

static void win_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		   void *userdata)
{
	struct wctx *c = userdata;
	struct win *w = c->w;
	uint64_t idx;

	(void)sub;
	switch (ev->kind) {
	case VFIOGROUP_EV_RESYNC:
	case VFIOGROUP_EV_RECONNECTED:
		if (ev->kind == VFIOGROUP_EV_RESYNC)
			c->resyncs++;
		else
			c->other_notices++;
		{
			int err = 0;

			c->notice_truth = raw_info_seq(w, &err);
			w_snapshot(c);
			/* the dump was taken before this moment */
			for (int i = 0; !err && i < c->ng; i++)
				c->future += c->upto[i] > c->notice_truth;
		}
		if (c->arm && ev->kind == VFIOGROUP_EV_RESYNC)
			w_act(c);
		return;
	case VFIOGROUP_EV_DISCONNECTED:
		c->other_notices++;
		return;
	default:
		break;
	}
	/* The callbacks' word on the toggled devices. */
	for (int k = 0; k < w->ndev; k++) {
		const struct vfiogroup_group *g = ev->group;

		if (!g || ev->group_id != w->dev[k].group)
			continue;
		for (size_t i = 0; i < vfiogroup_group_device_count(g); i++) {
			const struct vfiogroup_device *d = vfiogroup_group_device(g, i);

			if (!strcmp(vfiogroup_device_name(d), w->dev[k].name)) {
				const char *drv = vfiogroup_device_driver(d);

				scopy(c->last_drv[k], NAME_LEN, drv ? drv : "");
			}
		}
	}
	if (ev->flags & VFIOGROUP_EVENT_SYNTHESIZED) {
		c->synth++;
		return;
	}
	c->kernel++;
	if (!w_covers(c, ev->group_id))
		c->uncovered++;
	if (ev->seq <= c->last_kseq)
		c->backwards++;
	c->last_kseq = ev->seq;
	if (ev->seq <= w->base || ev->seq - w->base > W_MAX_TRUTH) {
		c->outside++;
		return;
	}
	idx = ev->seq - w->base - 1;
	if (c->got[idx]++)
		c->dup++;
	c->got_group[idx] = ev->group_id;
	c->got_kind[idx] = (uint8_t)ev->kind;
}

static void w_stats(struct wctx *c, struct vfiogroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	vfiogroup_stats(c->ctx, st, sizeof(*st));
}

/* Dispatch until nothing more is read (or the deadline); false on error. */
static bool w_dispatch(struct win *w, struct wctx *c, int64_t end)
{
	int n;

	do {
		n = vfiogroup_dispatch(c->ctx);
		if (n < 0) {
			if (!w->dispatch_err)
				diag("window: %s: vfiogroup_dispatch: %s", c->name,
				     vfiogroup_strerror(n));
			w->dispatch_err = w->dispatch_err ? w->dispatch_err : n;
			return false;
		}
	} while (n > 0 && now_ms() < end);
	return true;
}

/*
 * The barrier, by sequence numbers rather than sleeps.  Every writer has
 * returned (the sysfs writes of this process, the armed callbacks, the
 * child reaped): the module sent their notifications inside the writes,
 * so every event is at or before the newest seq S that info-get answers
 * now.  Wait until the raw listener has S (so the ground truth is
 * complete), then dispatch each context until its socket is not readable
 * and vfiogroup_dispatch() reads nothing more; check that S did not move
 * meanwhile.  Returns S, or 0 when the deadline passed or something
 * failed (said in a diagnostic).
 */
static uint64_t quiesce(struct win *w, const char *when)
{
	int64_t end = now_ms() + W_DEADLINE_MS;

	w->c[0].arm = w->c[1].arm = ARM_NONE;
	for (;;) {
		int err = 0;
		uint64_t s = raw_info_seq(w, &err);

		if (err) {
			diag("window: %s: info-get: %s", when, strerror(-err));
			return 0;
		}
		while (w->tlast < s) {
			if (now_ms() > end) {
				diag("window: %s: QUIESCE DEADLINE: the raw listener did not hear seq %" PRIu64
				     " within %d s (it has %" PRIu64 ")", when, s,
				     W_DEADLINE_MS / 1000, (uint64_t)w->tlast);
				return 0;
			}
			usleep(1000);
		}
		for (int i = 0; i < 2; i++) {
			struct wctx *c = &w->c[i];

			for (;;) {
				struct pollfd p = { .fd = c->fd, .events = POLLIN };
				bool readable = poll(&p, 1, 0) > 0;
				int n;

				if (now_ms() > end) {
					diag("window: %s: QUIESCE DEADLINE: %s still has something to read after %d s",
					     when, c->name, W_DEADLINE_MS / 1000);
					return 0;
				}
				n = vfiogroup_dispatch(c->ctx);
				if (n < 0) {
					diag("window: %s: %s: vfiogroup_dispatch: %s", when,
					     c->name, vfiogroup_strerror(n));
					w->dispatch_err = w->dispatch_err ? w->dispatch_err : n;
					return 0;
				}
				if (!readable && !n)
					break;
			}
		}
		if (raw_info_seq(w, &err) == s && !err)
			return s;
		if (now_ms() > end) {
			diag("window: %s: QUIESCE DEADLINE: events kept coming for %d s",
			     when, W_DEADLINE_MS / 1000);
			return 0;
		}
	}
}

/*
 * "0 events unaccounted for".  Each ground-truth event (seq s, group g)
 * after the contexts were ready, for each context that covers g (the
 * filtered one: the groups it follows; the unfiltered one: all), is by the
 * barrier that follows it either
 *
 *  - delivered: the callback got the kernel event with seq s (and the same
 *    group and kind), or
 *  - covered by a resync: a RESYNC notice reached the callback when the
 *    cache's seq for g (the fresh dump's, snapshotted inside the notice
 *    callback, w_snapshot()) was already >= s.  A group's seq is that of
 *    its newest event, so that dump contained the event's effect, and the
 *    synthesized events delivered before the notice told the subscriber
 *    about it;
 *
 * or it is unaccounted for: the subscriber was never told.
 *
 * Why the cache's seq and not the ground truth's newest seq at the moment
 * of the notice: the library's baseline lies somewhere before the notice,
 * and an event between the two -- made during the resync by another
 * process, exactly what a congested socket drops -- would count as
 * covered although neither the dump nor the socket had it.  What the
 * cache holds at the notice is what the subscriber was actually told.
 * (The module's newest seq at each notice, from a raw info-get in the
 * callback, is kept for the diagnostics, and no snapshot may be newer.)
 * Evaluated at every barrier for the
 * events since the previous one, so that a later resync does not excuse a
 * loss that went unnoticed until then.  Returns the unaccounted events.
 */
static unsigned account(struct win *w, uint64_t upto, unsigned *dl,
			unsigned *cv, unsigned *ua)
{
	unsigned n = w->tn, bad = 0;

	for (; w->checked < n && w->tev[w->checked].seq <= upto; w->checked++) {
		const struct truth_ev *e = &w->tev[w->checked];

		if (e->seq <= w->base)
			continue;
		w->truth++;
		for (int i = 0; i < 2; i++) {
			struct wctx *c = &w->c[i];
			uint64_t idx = e->seq - w->base - 1;

			if (!w_covers(c, e->group))
				continue;
			if (idx < W_MAX_TRUTH && c->got[idx]) {
				if (c->got_group[idx] != e->group ||
				    c->got_kind[idx] != e->kind)
					c->wrong++;
				c->delivered++;
				dl[i]++;
			} else if (w_upto(c, e->group) >= e->seq) {
				c->covered++;
				cv[i]++;
			} else {
				c->unaccounted++;
				ua[i]++;
				if (bad++ < 4)
					diag("window: UNACCOUNTED: %s never heard of seq %" PRIu64
					     " (group %u, kind %u): not delivered, and no resync covered it (group %u covered up to %" PRIu64
					     ", module at the last notice %" PRIu64 ")",
					     c->name, e->seq, e->group, e->kind, e->group,
					     w_upto(c, e->group), c->notice_truth);
			}
		}
	}
	return bad;
}

/* --- steps ----------------------------------------------------------- */

struct w_step {
	const char *scen;		/* stall, child, drain */
	char label[96];
	struct vfiogroup_stats st0[2];
	bool raced;			/* overflow detected, act in the window */
	bool ok;			/* every oracle held */
	char why[160];			/* the first reason it did not race */
};

static void step_begin(struct win *w, struct w_step *s, const char *scen)
{
	memset(s, 0, sizeof(*s));
	s->scen = scen;
	s->raced = true;
	for (int i = 0; i < 2; i++) {
		w_stats(&w->c[i], &s->st0[i]);
		memset(&w->c[i].act, 0, sizeof(w->c[i].act));
	}
}

static void not_raced(struct w_step *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void not_raced(struct w_step *s, const char *fmt, ...)
{
	va_list ap;

	if (s->raced) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
	}
	s->raced = false;
}

/*
 * Toggle dev[k] until the kernel has dropped at least two multicasts for
 * each context (its receive buffer full, the socket congested: the second
 * drop is a silent one).  Without /proc/net/netlink, a fixed 24.  Returns
 * the transitions made.
 */
static int overflow(struct win *w, int k, struct w_step *s)
{
	unsigned long d0[2];
	int n = 0;

	for (int i = 0; i < 2; i++)
		d0[i] = sock_drops(w->c[i].ino);
	while (n < W_OVERFLOW_MAX) {
		char what[W_WHAT];
		bool all = true;

		w_toggle(w, k, what, sizeof(what));
		n++;
		if (!w->have_drops) {
			if (n >= 24)
				break;
			continue;
		}
		for (int i = 0; i < 2; i++)
			all = all && sock_drops(w->c[i].ino) >= d0[i] + 2;
		if (all)
			break;
	}
	if (n == W_OVERFLOW_MAX)
		not_raced(s, "%d transitions did not overflow both contexts", n);
	return n;
}

/* Overruns grew on both contexts since the step began? */
static void check_overflow(struct win *w, struct w_step *s)
{
	for (int i = 0; i < 2; i++) {
		struct vfiogroup_stats st;

		w_stats(&w->c[i], &st);
		if (st.overruns <= s->st0[i].overruns)
			not_raced(s, "%s: no overflow detected (overruns %" PRIu64 ")",
				  w->c[i].name, st.overruns);
	}
}

/* The barrier and every oracle; one diagnostic line for the step. */
static void step_end(struct win *w, struct w_step *s)
{
	unsigned dl[2] = { 0 }, cv[2] = { 0 }, ua[2] = { 0 };
	char line[768];
	size_t l = 0;
	uint64_t seq = quiesce(w, s->label);

	w->steps++;
	s->ok = seq != 0;
	w->qfail += !seq;
	if (seq)
		account(w, seq, dl, cv, ua);
	for (int i = 0; i < 2; i++) {
		struct wctx *c = &w->c[i];
		struct vfiogroup_stats st;
		char when[160];
		int bad;

		snprintf(when, sizeof(when), "%s, %s", s->label, c->name);
		bad = c->filtered ? compare_sysfs_only(c->ctx, when, c->gid, c->ng)
				  : compare_sysfs(c->ctx, when);
		for (int k = 0; k < w->ndev; k++) {
			char now[NAME_LEN];

			sysfs_driver(w->dev[k].name, now, sizeof(now));
			if (strcmp(now, c->last_drv[k])) {
				bad++;
				diag("%s: the callbacks last said %s is on '%s', sysfs says '%s'",
				     when, w->dev[k].name, c->last_drv[k], now);
			}
		}
		c->mismatches += (unsigned)bad;
		w_stats(c, &st);
		w->overflows += st.overruns - s->st0[i].overruns;
		w->resyncs += st.resyncs - s->st0[i].resyncs;
		l += (size_t)snprintf(line + l, sizeof(line) - l,
			"; %s: overruns +%" PRIu64 " resyncs +%" PRIu64
			" delivered %u covered %u unaccounted %u mismatches %d",
			c->filtered ? "filtered" : "unfiltered",
			st.overruns - s->st0[i].overruns,
			st.resyncs - s->st0[i].resyncs, dl[i], cv[i], ua[i], bad);
		if (ua[i] || bad)
			s->ok = false;
	}
	diag("window %s%s%s", s->label, line, s->raced ? "" : " (DID NOT RACE)");
	if (!s->raced)
		diag("window %s: did not race: %s", s->label, s->why);
}

/* The act of an armed callback, checked and described. */
static void check_act(struct wctx *c, struct w_step *s)
{
	struct w_act *a = &c->act;

	if (!a->done)
		not_raced(s, "%s: no RESYNC callback ran to act in", c->name);
	else if (a->err)
		not_raced(s, "%s: the act in the RESYNC callback failed: %s",
			  c->name, strerror(-a->err));
	else
		diag("window %s: in the RESYNC callback of the %s: %s, seqs %" PRIu64 "..%" PRIu64
		     ", %ld bytes queued on its socket, %lu of its multicasts dropped by the kernel meanwhile",
		     s->label, c->name, a->what, a->before + 1, a->after, a->rmem,
		     a->drops);
}

/* Scenario stall: the armed context's RESYNC callback binds or unbinds. */
static void step_stall(struct win *w, int armed, int rep, struct w_step *s,
		       bool *drained)
{
	struct wctx *c = &w->c[armed];
	int n;

	step_begin(w, s, "stall");
	snprintf(s->label, sizeof(s->label), "stall %d (the %s acts)", rep,
		 c->name);
	n = overflow(w, w->ndev - 1, s);
	diag("window %s: %d transitions of %s overflowed both contexts", s->label,
	     n, w->dev[w->ndev - 1].name);
	c->arm = ARM_TOGGLE;
	w_dispatch(w, c, now_ms() + W_DEADLINE_MS);
	c->arm = ARM_NONE;
	/* then the other one, whose resync comes after the act */
	w_dispatch(w, &w->c[!armed], now_ms() + W_DEADLINE_MS);
	check_overflow(w, s);
	check_act(c, s);
	/*
	 * Nobody else writes meanwhile: the library read its socket empty
	 * before the baseline, so nothing is queued when the callback runs
	 * and the kernel drops nothing of what it makes.
	 */
	if (c->act.done && (c->act.rmem != 0 || c->act.drops))
		*drained = false;
	step_end(w, s);
}

/* Scenario drain: one dispatch call each, then a toggle at once. */
static void step_drain(struct win *w, int rep, struct w_step *s,
		       bool *arrived)
{
	char what[W_WHAT];
	int err = 0, n;
	uint64_t before, after;

	step_begin(w, s, "drain");
	snprintf(s->label, sizeof(s->label), "drain %d", rep);
	n = overflow(w, w->ndev - 1, s);
	for (int i = 0; i < 2; i++) {
		struct vfiogroup_stats st;
		int r = vfiogroup_dispatch(w->c[i].ctx);

		if (r < 0) {
			w->dispatch_err = w->dispatch_err ? w->dispatch_err : r;
			diag("window %s: %s: vfiogroup_dispatch: %s", s->label,
			     w->c[i].name, vfiogroup_strerror(r));
		}
		w_stats(&w->c[i], &st);
		if (st.resyncs <= s->st0[i].resyncs)
			not_raced(s, "%s: no resync within one vfiogroup_dispatch() call",
				  w->c[i].name);
	}
	check_overflow(w, s);
	before = raw_info_seq(w, &err);
	w_toggle(w, 0, what, sizeof(what));
	after = raw_info_seq(w, &err);
	diag("window %s: %d transitions overflowed both, one dispatch call each resynchronised, then %s: seqs %" PRIu64
	     "..%" PRIu64, s->label, n, what, before + 1, after);
	step_end(w, s);
	/* Right after the drain: they must come as kernel events. */
	for (uint64_t q = before + 1; !err && q <= after; q++)
		for (int i = 0; i < 2; i++) {
			struct wctx *c = &w->c[i];
			uint64_t idx = q - w->base - 1;

			if (q > w->base && idx < W_MAX_TRUTH && !c->got[idx]) {
				*arrived = false;
				diag("window %s: %s: seq %" PRIu64 " (after the drain) did not arrive as a kernel event",
				     s->label, c->name, q);
			}
		}
	if (err || after <= before)
		*arrived = false;
}

/* Scenario child: another process toggles while both resync, rounds times. */
static void step_child(struct win *w, int rep, int rounds, struct w_step *s)
{
	pid_t pid;
	int status = 0, r;
	int64_t end;

	step_begin(w, s, "child");
	snprintf(s->label, sizeof(s->label), "child %d", rep);
	w->sh->stop = 0;
	w->sh->done = 0;
	w->sh->errors = 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		not_raced(s, "fork: %s", strerror(errno));
		step_end(w, s);
		return;
	}
	if (!pid) {
		struct w_tdev d = w->dev[0];

		alarm(0);
		while (!w->sh->stop) {
			char what[W_WHAT];

			if (toggle_dev(&d, what, sizeof(what))) {
				w->sh->errors++;
				usleep(10000);
			}
			w->sh->done++;
		}
		_exit(0);
	}
	for (int round = 1; round <= rounds; round++) {
		unsigned long d0[2];
		struct vfiogroup_stats st[2];
		bool all = false;

		for (int i = 0; i < 2; i++) {
			d0[i] = sock_drops(w->c[i].ino);
			w_stats(&w->c[i], &st[i]);
		}
		/* stalled until the kernel dropped some for both */
		end = now_ms() + 15000;
		while (!all && now_ms() < end) {
			usleep(2000);
			all = true;
			for (int i = 0; i < 2; i++)
				all = all && (w->have_drops ? sock_drops(w->c[i].ino) >= d0[i] + 2
							    : w->sh->done >= 20 * round);
		}
		if (!all)
			not_raced(s, "round %d: the child's transitions did not overflow both contexts in 15 s",
				  round);
		for (int i = 0; i < 2; i++) {
			struct wctx *c = &w->c[i];
			struct vfiogroup_stats now;

			memset(&c->act, 0, sizeof(c->act));
			c->arm = ARM_CHILD;
			w_dispatch(w, c, now_ms() + W_DEADLINE_MS);
			c->arm = ARM_NONE;
			w_stats(c, &now);
			if (now.overruns <= st[i].overruns)
				not_raced(s, "round %d: %s: no overflow detected", round, c->name);
			check_act(c, s);
		}
	}
	/* stop the child; it finishes the transition it is making */
	w->sh->stop = 1;
	end = now_ms() + W_DEADLINE_MS;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		usleep(5000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		not_raced(s, "the child did not stop within %d s", W_DEADLINE_MS / 1000);
	}
	diag("window %s: the child made %d transitions of %s (%d sysfs errors) over %d rounds",
	     s->label, (int)w->sh->done, w->dev[0].name, (int)w->sh->errors, rounds);
	w->sysfs_err += w->sh->errors;
	step_end(w, s);
}

struct w_scen {
	const char *name;
	unsigned steps, raced, ok;
	unsigned dl[2], cv[2], ua[2], mm[2];
};

static void scen_add(struct w_scen *sc, struct win *w, const struct w_step *s,
		     const unsigned *ua0, const unsigned *mm0,
		     const unsigned *dl0, const unsigned *cv0)
{
	sc->steps++;
	sc->raced += s->raced;
	sc->ok += s->ok;
	for (int i = 0; i < 2; i++) {
		sc->ua[i] += w->c[i].unaccounted - ua0[i];
		sc->mm[i] += w->c[i].mismatches - mm0[i];
		sc->dl[i] += w->c[i].delivered - dl0[i];
		sc->cv[i] += w->c[i].covered - cv0[i];
	}
}

static int w_ctx_new(struct win *w, struct wctx *c, const char *name,
		     bool filtered, int rcvbuf, int *got)
{
	struct stat sb;
	socklen_t sl = sizeof(*got);
	int r;

	c->name = name;
	c->w = w;
	c->filtered = filtered;
	c->got = calloc(W_MAX_TRUTH, 1);
	c->got_group = calloc(W_MAX_TRUTH, sizeof(*c->got_group));
	c->got_kind = calloc(W_MAX_TRUTH, 1);
	if (!c->got || !c->got_group || !c->got_kind)
		return -ENOMEM;
	c->ctx = connect_or_die();
	if (filtered) {
		long ids[2];

		for (int k = 0; k < w->ndev; k++)
			ids[k] = w->dev[k].group;
		r = subscribe_groups(c->ctx, ids, w->ndev, win_cb, c, &c->sub);
	} else {
		r = vfiogroup_subscribe(c->ctx, NULL, VFIOGROUP_EVMASK_ALL, win_cb,
					c, &c->sub);
	}
	if (r)
		return r;
	c->fd = vfiogroup_get_fd(c->ctx);
	if (fstat(c->fd, &sb) < 0)
		return -errno;
	c->ino = sb.st_ino;
	/* the stalled consumer's small buffer */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, got, &sl) < 0)
		return -errno;
	for (int k = 0; k < w->ndev; k++) {
		struct vfiogroup_group *g;

		/* the callbacks have told nothing yet: the cache's word */
		c->last_drv[k][0] = 0;
		if (!vfiogroup_get_group(c->ctx, w->dev[k].group, &g)) {
			for (size_t i = 0; i < vfiogroup_group_device_count(g); i++) {
				const struct vfiogroup_device *d = vfiogroup_group_device(g, i);
				const char *drv = vfiogroup_device_driver(d);

				if (!strcmp(vfiogroup_device_name(d), w->dev[k].name))
					scopy(c->last_drv[k], NAME_LEN, drv ? drv : "");
			}
			vfiogroup_group_unref(g);
		}
	}
	return 0;
}

static int cmd_window(int argc, char **argv)
{
	static struct win w;
	struct w_scen sc[3] = { { .name = "stall" }, { .name = "child" },
				{ .name = "drain" } };
	struct sysfs_state ss = { 0 };
	int reps = 3, max_s = 60, rcvbuf = 4096, got[2] = { 0, 0 }, lbuf = 0;
	int force = 8 << 20, r;
	socklen_t sl = sizeof(lbuf);
	bool drained = true, arrived = true, end_bad = false;
	int64_t t0, t_rep = 0;
	unsigned long ldrops = 0;
	int rep;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc && w.ndev < 2)
			scopy(w.dev[w.ndev++].name, NAME_LEN, argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
			max_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = atoi(argv[++i]);
		else
			return 2;
	}
	if (!w.ndev || reps < 1 || max_s < 1 || rcvbuf < 1)
		return 2;
	/* the first round always runs: up to about 2 min on KASAN kernels */
	alarm((unsigned)max_s + 300);
	t0 = now_ms();
	for (int k = 0; k < w.ndev; k++) {
		struct w_tdev *d = &w.dev[k];
		long g = group_of(d->name);

		sysfs_driver(d->name, d->orig, NAME_LEN);
		d->vfio = access("/sys/bus/pci/drivers/vfio-pci", F_OK) == 0;
		if (!*d->orig || g < 0) {
			result(false, "window: %s is bound to a driver and in an IOMMU group",
			       d->name);
			return 1;
		}
		d->group = (uint32_t)g;
		diag("window: device %s (group %u) on '%s'%s", d->name, d->group,
		     d->orig, d->vfio ? ", toggled between it, none and vfio-pci"
				      : ", toggled between it and none");
	}

	/* The ground truth first: a raw listener that never overflows. */
	w.tev = calloc(W_MAX_TRUTH, sizeof(*w.tev));
	w.sh = mmap(NULL, sizeof(*w.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	w.rq = raw_socket();
	w.lfd = raw_socket();
	if (!w.tev || w.sh == MAP_FAILED || w.rq < 0 || w.lfd < 0) {
		result(false, "window: memory, raw netlink sockets");
		return 1;
	}
	r = raw_resolve(&w);
	if (!r) {
		struct timeval tv = { .tv_usec = 100000 };
		struct stat sb;

		if (setsockopt(w.lfd, SOL_SOCKET, SO_RCVBUFFORCE, &force, sizeof(force)) < 0 ||
		    getsockopt(w.lfd, SOL_SOCKET, SO_RCVBUF, &lbuf, &sl) < 0 ||
		    setsockopt(w.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    setsockopt(w.lfd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &w.grp,
			       sizeof(w.grp)) < 0 || fstat(w.lfd, &sb) < 0)
			r = -errno;
		w.lino = sb.st_ino;
	}
	if (!r && pthread_create(&w.lth, NULL, listener, &w))
		r = -EAGAIN;
	result(!r && lbuf >= force, "window: raw listener on family %u, events group %u, SO_RCVBUFFORCE %d: kernel says %d (%s)",
	       w.fam, w.grp, force, lbuf, r ? strerror(-r) : "joined");
	if (r)
		return 1;
	w.have_drops = nl_sock_stats(w.lino, NULL, &ldrops);
	if (!w.have_drops)
		diag("window: no Drops in /proc/net/netlink: overflowing with 24 transitions each time");

	/* The contexts under test. */
	if (sysfs_read(&ss)) {
		result(false, "window: read /sys/kernel/iommu_groups");
		return 1;
	}
	for (size_t i = 0; i < ss.n; i++)
		if (!in_ids(w.c[1].gid, w.c[1].ng, ss.d[i].group) && w.c[1].ng < W_MAXG)
			w.c[1].gid[w.c[1].ng++] = ss.d[i].group;
	free(ss.d);
	for (int k = 0; k < w.ndev; k++)
		if (!in_ids(w.c[0].gid, w.c[0].ng, w.dev[k].group))
			w.c[0].gid[w.c[0].ng++] = w.dev[k].group;
	r = w_ctx_new(&w, &w.c[0], "filtered context", true, rcvbuf, &got[0]);
	if (!r)
		r = w_ctx_new(&w, &w.c[1], "unfiltered context", false, rcvbuf, &got[1]);
	if (r) {
		result(false, "window: two contexts, subscribed, small buffers: %s",
		       vfiogroup_strerror(r));
		return 1;
	}
	result(filter_len(w.c[0].ctx) > 0 && filter_len(w.c[1].ctx) == 0,
	       "window: the filtered context has a kernel filter for %d group(s) (%d instructions), the unfiltered one none",
	       w.c[0].ng, filter_len(w.c[0].ctx));
	result(got[0] == 2 * rcvbuf && got[1] == 2 * rcvbuf,
	       "window: event sockets' SO_RCVBUF set to %d, the kernel doubled it: %d and %d",
	       rcvbuf, got[0], got[1]);
	r = 0;
	w.base = raw_info_seq(&w, &r);
	for (int i = 0; i < 2; i++)
		w_snapshot(&w.c[i]);
	if (r) {
		result(false, "window: raw info-get: %s", strerror(-r));
		return 1;
	}
	diag("window: base seq %" PRIu64 ", up to %d rounds in %d s", w.base, reps, max_s);

	for (rep = 1; rep <= reps; rep++) {
		struct w_step s;
		int64_t t = now_ms();

		if (rep > 1 && t - t0 + t_rep > (int64_t)max_s * 1000) {
			diag("window: time cap: %d of %d rounds in %d s", rep - 1, reps,
			     max_s);
			break;
		}
		for (int part = 0; part < 4; part++) {
			unsigned ua0[2], mm0[2], dl0[2], cv0[2];
			struct w_scen *x;

			for (int i = 0; i < 2; i++) {
				ua0[i] = w.c[i].unaccounted;
				mm0[i] = w.c[i].mismatches;
				dl0[i] = w.c[i].delivered;
				cv0[i] = w.c[i].covered;
			}
			if (part < 2) {
				step_stall(&w, part, rep, &s, &drained);
				x = &sc[0];
			} else if (part == 2) {
				step_drain(&w, rep, &s, &arrived);
				x = &sc[2];
			} else {
				step_child(&w, rep, 2, &s);
				x = &sc[1];
			}
			scen_add(x, &w, &s, ua0, mm0, dl0, cv0);
		}
		w.runs += 3;
		t_rep = now_ms() - t;
	}

	/* Put the devices back, and check the end state once more. */
	for (int k = 0; k < w.ndev; k++)
		if (restore(w.dev[k].name, w.dev[k].orig)) {
			diag("window: could not put %s back on %s", w.dev[k].name,
			     w.dev[k].orig);
			end_bad = true;
		}
	{
		struct w_step s;

		step_begin(&w, &s, "end");
		snprintf(s.label, sizeof(s.label), "devices restored");
		step_end(&w, &s);
		end_bad = end_bad || !s.ok;
	}
	w.lstop = true;
	pthread_join(w.lth, NULL);

	/* Results. */
	for (int i = 0; i < 2; i++) {
		struct vfiogroup_stats st;

		w_stats(&w.c[i], &st);
		print_stats(w.c[i].ctx, w.c[i].name);
		diag("%s: callbacks: kernel=%u synthesized=%u resync-notices=%u other-notices=%u",
		     w.c[i].name, w.c[i].kernel, w.c[i].synth, w.c[i].resyncs,
		     w.c[i].other_notices);
	}
	{
		unsigned long d = 0;

		nl_sock_stats(w.lino, NULL, &d);
		result(!w.enobufs && !w.gaps && !w.trunc && !w.lfull && !w.lerr &&
		       d == ldrops && w.tn > 0,
		       "window: raw listener: %u events, seqs %" PRIu64 "..%" PRIu64
		       " consecutive (%u gaps), no ENOBUFS (%u), none cut short (%u), %lu kernel drops, %u errors",
		       (unsigned)w.tn, w.tn ? w.tev[0].seq : 0,
		       w.tn ? w.tev[w.tn - 1].seq : 0, (unsigned)w.gaps,
		       (unsigned)w.enobufs, (unsigned)w.trunc, d - ldrops,
		       (unsigned)w.lerr);
	}
	for (int x = 0; x < 3; x++) {
		static const char *const what[3] = {
			"overflowed both contexts (ENOBUFS: overruns grew) and made a bind or unbind inside a RESYNC callback",
			"overflowed both contexts every round while another process toggled, whose transitions the RESYNC callbacks waited for",
			"overflowed both contexts and each resynchronised within one vfiogroup_dispatch() call",
		};

		result(sc[x].steps > 0 && sc[x].raced == sc[x].steps,
		       "window %s: %u of %u steps %s", sc[x].name, sc[x].raced,
		       sc[x].steps, what[x]);
		for (int i = 0; i < 2; i++)
			result(sc[x].steps > 0 && !sc[x].ua[i] && !sc[x].mm[i],
			       "window %s, %s: %u events unaccounted (%u delivered, %u covered by a resync), %u cache/callback mismatches with sysfs after %u steps",
			       sc[x].name, w.c[i].name, sc[x].ua[i], sc[x].dl[i],
			       sc[x].cv[i], sc[x].mm[i], sc[x].steps);
	}
	result(drained,
	       "window stall: every RESYNC callback ran on a socket read empty (nothing queued, none of its own events dropped by the kernel)");
	result(arrived, "window drain: the transition right after the drain arrived as kernel events on both contexts");
	result(!end_bad, "window: devices back on their drivers, caches == sysfs, nothing unaccounted");
	for (int i = 0; i < 2; i++) {
		struct wctx *c = &w.c[i];

		result(!c->dup && !c->backwards && !c->outside && !c->uncovered && !c->wrong &&
		       !c->future && !c->other_notices,
		       "window: %s: kernel events unique, in order, of covered groups, as the ground truth had them; resync dumps not newer than their notice; no (dis/re)connect (%u dup, %u backwards, %u outside, %u uncovered, %u differing, %u future, %u other notices)",
		       c->name, c->dup, c->backwards, c->outside, c->uncovered,
		       c->wrong, c->future, c->other_notices);
	}
	result(!w.qfail, "window: every quiesce barrier reached within %d s (%u of %u not)",
	       W_DEADLINE_MS / 1000, w.qfail, w.steps);
	result(!w.dispatch_err, "window: vfiogroup_dispatch never failed (%s)",
	       w.dispatch_err ? vfiogroup_strerror(w.dispatch_err) : "none");
	result(!w.sysfs_err, "window: every bind and unbind succeeded (%d errors)",
	       w.sysfs_err);
	printf("# window: runs=%u steps=%u overflows=%" PRIu64 " resyncs=%" PRIu64
	       " truth=%u delivered=%u covered=%u unaccounted=%u mismatches=%u seconds=%d\n",
	       w.runs, w.steps, w.overflows, w.resyncs, w.truth,
	       w.c[0].delivered + w.c[1].delivered, w.c[0].covered + w.c[1].covered,
	       w.c[0].unaccounted + w.c[1].unaccounted,
	       w.c[0].mismatches + w.c[1].mismatches,
	       (int)((now_ms() - t0 + 500) / 1000));
	for (int i = 0; i < 2; i++) {
		vfiogroup_unsubscribe(w.c[i].sub);
		vfiogroup_ctx_unref(w.c[i].ctx);
	}
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

	watchdog_msg = "not ok - lib-integration watchdog fired (hang)\n";
	signal(SIGALRM, on_alarm);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lib-integration cache|storm|filtered|reload|unsub|window|watch [OPTIONS]\n");
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
	else if (!strcmp(argv[1], "window"))
		r = cmd_window(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "watch"))
		r = cmd_watch(argc - 1, argv + 1);
	else
		r = 2;
	if (r == 2)
		fprintf(stderr, "lib-integration: bad arguments\n");
	return r ? r : nfail ? 1 : 0;
}
