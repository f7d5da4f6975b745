// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: a seeded random walk over the guest's PCI NICs, checked after every
 * step against independent oracles.  Runs in the VM guest (section "walk"
 * of run-tests.sh, walk.sh), as root.
 *
 * Usage: walk [--steps N] [--seed S] [--deadline S] [--max-seconds S]
 *             [--rcvbuf BYTES] [-v]
 *
 *   --steps N        steps of the walk (default 500)
 *   --seed S         the walk's seed (default: from the clock); printed,
 *                    with the command line that repeats the walk
 *   --deadline S     per step: how long the library may take to catch up
 *                    with the module (default 20 s; a miss is a failure)
 *   --max-seconds S  stop stepping after S s (default: none), leaving the
 *                    restore and the final check; a walk cut short says so
 *                    with a SKIP line, never passes as complete
 *   --rcvbuf BYTES   shrink context A's receive buffer (SO_RCVBUF) so that
 *                    events overflow it: exercises the library's resync and
 *                    the barrier's notice path (not used by the section)
 *   -v               every step on stderr
 *
 * Devices: the PCI devices bound to e1000 or e1000e at start (never a
 * 00:1f.x function), each with that driver as its host driver, and the
 * pcieport of the root port above an e1000e.  Transition kinds, chosen by
 * weight among those that apply to the devices' state in sysfs:
 *
 *   unbind     a bound NIC: DEV/driver/unbind
 *   ovr-bind   an unbound NIC: driver_override=vfio-pci, vfio-pci/bind
 *   ovr-probe  an unbound NIC: driver_override=vfio-pci, drivers_probe
 *   new-id     an unbound NIC: driver_override cleared, vfio-pci/new_id
 *              "VENDOR DEVICE" and at once remove_id (vfio-pci also takes
 *              every other unbound device that matches, by id or by a
 *              driver_override naming it: one step, several transitions)
 *   host-bind  an unbound NIC: driver_override cleared, HOST/bind
 *   remove     a NIC that is present: DEV/remove
 *   rescan     some NIC is removed: /sys/bus/pci/rescan; each comes back
 *              on its host driver with no driver_override
 *   port       the root port: pcieport unbound if bound, else bound again
 *
 * The barrier after a step (sequence numbers, no sleeps): a raw info-get
 * gives the module's newest seq T.  Then the library's context A (one
 * unfiltered subscription) is dispatched -- poll() on vfiogroup_get_fd(),
 * vfiogroup_dispatch() -- until its callback has seen an event with seq >=
 * T.  Events reach an unfiltered context in seq order, so by then every
 * event up to T went through A's cache and callback.  A step that made no
 * event needs no wait: the callback has seen T already.  That alone could
 * wait forever in two cases: the event T was skipped as stale (the cache
 * already held the group at that seq after a re-fetch), or events were
 * lost and the library resynchronised, delivering synthesized events with
 * the groups' seqs and then a RESYNC (or RECONNECTED) notice.  So once a
 * notice arrives during the wait, the barrier is also reached when A's
 * cache is current: the same group ids as a raw dump taken now, each with
 * the dump's seq (the walk is the only thing changing the state, so a
 * dump taken after T is the state at T).  Context B, subscribed to one or
 * two of the walk's groups (kernel filter attached), is then dispatched
 * until its callback has seen, for each of its groups, the seq of that
 * group's last event in A's callback (or, after a notice on B, until B's
 * cache for its groups carries a raw get's seqs).  The deadline (default
 * 20 s; the KASAN kernels are about 5 times slower) counts from the info-
 * get; missing it is a failure and prints both sides.  Three misses end
 * the walk.
 *
 * Then every group (not only the one touched) is compared, as a whole
 * (device set; each device's bus, driver or none, viable flag, whether it
 * is registered with VFIO and its vfioX; the group's viable and ready
 * flags and whether its node /dev/vfio/N exists), against the reference:
 *
 *   reference  sysfs: the entries of /sys/kernel/iommu_groups/N/devices,
 *              their driver and subsystem links; viability by the rule (a
 *              group is viable iff no device in it is bound to a driver
 *              other than vfio-pci, pci-stub or pcieport; a device is
 *              viable iff it has no driver or one of those; on <= 5.18
 *              VFIO's own rule, "no driver, a bridge, pci-stub or a VFIO
 *              driver", says the same for these devices), except that
 *              wherever /dev/vfio/N exists the group's flag is
 *              VFIO_GROUP_GET_STATUS's (the ioctl needs no container);
 *              registered with VFIO: from 6.1 a vfio-dev/vfioX child in
 *              sysfs, before a driver with "vfio" in its name; ready:
 *              VFIO_GROUP_GET_STATUS viable where /dev/vfio/N exists,
 *              else 0 (and the rule, viable with a device registered
 *              with VFIO, must agree: "ready-rule-vs-vfio"); up to 5.15,
 *              where VFIO may put a group from a workqueue, a node left
 *              with no device registered counts as gone
 *   dump       a raw group-get dump (libnl, no library)
 *   get        a raw group-get do per group id (ENOENT for a group that
 *              existed once and is gone)
 *   cache      A: vfiogroup_group_ids() as a set, vfiogroup_get_group()
 *              per id, vfiogroup_find_device() per device (ENOENT for a
 *              removed one)
 *   callback   the ev->group of A's last callback per group (a raw dump at
 *              start for groups without events; a group whose last event
 *              left it without devices is gone)
 *   filtered   B's cache for its groups
 *   vfio       VFIO_GROUP_GET_STATUS against the module's viable flag
 *              (and against the rule); the module's ready flag against
 *              "VFIO viable and /dev/vfio/N exists" ("ready-vs-vfio")
 *   in-use     every raw reply carries group-in-use=0 from 5.19 (nobody
 *              holds a group during the walk), none before
 *
 * The module oracles also carry seqs: each must equal the dump's seq of
 * the group.  Each event A's callback receives is checked on its own
 * ("event" oracle): the state it carries is the one right after it (a
 * device-added or driver-bound device is there, with that driver; a
 * driver-unbound one is there without a driver; a device-removed one is
 * gone; the group's seq is the event's); viability changes only with a
 * viability-changed event, and each one flips it; likewise readiness with
 * ready-changed, after which the state is whole again (ready exactly when
 * viable with a device registered with VFIO: a ready-changed sent before
 * its cause's viability-changed would fail this); kernel seqs follow each
 * other with no gap unless a notice (which starts the count afresh) came
 * between them.
 *
 * Output: TAP result lines without numbers ("ok - ..."), diagnostics as
 * "# ..." lines (run-tests.sh numbers them), among them "# walk: seed=S
 * steps=N comparisons=M mismatches=X events=E vfio-status=K ready=R seconds=T"
 * (R: comparisons of the ready flag, in whole states and against VFIO)
 * (run-suite.sh's summary quotes it), the count of each transition kind,
 * mismatches and comparisons per oracle, and where the time went.  Every
 * mismatch is counted and printed with the step, the seed, the group, the
 * oracle and both states; one that stays the same from a step to the next
 * is printed once, and printing stops after 60.  At the end every device goes
 * back to its host driver with driver_override cleared, the port back to
 * pcieport, and everything is compared once more.  Exit 0 when every
 * result was ok, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/vfio.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/vfiogroup.h>
#include <vfiogroup.h>

#include "guest-util.h"

#define NAMEL		64
#define MAXD		16	/* devices per group */
#define MAXG		64	/* groups */
#define MAXW		16	/* walk devices */
#define MAX_PRINTED	60	/* mismatches printed in full */

/* ------------------------------------------------------------------ */
/* output                                                              */
/* ------------------------------------------------------------------ */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ */
/* group state, as every oracle sees it                                */
/* ------------------------------------------------------------------ */

struct dst {
	char name[NAMEL];
	char bus[NAMEL];
	char drv[NAMEL];	/* "" when unbound */
	int viable;
	int vfio;		/* registered with VFIO */
	char vfio_dev[NAMEL];	/* its vfioX (6.1+), "" when none */
};

struct gst {
	uint32_t id;
	int viable;
	int ready;		/* viable and a device registered with VFIO */
	int node;		/* /dev/vfio/N exists (as the oracle knows it) */
	bool has_seq;
	uint64_t seq;
	unsigned nd;
	struct dst d[MAXD];
};

struct world {
	unsigned n;
	struct gst g[MAXG];
};

static int dst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dst *)a)->name, ((const struct dst *)b)->name);
}

static int gst_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct gst *)a)->id, y = ((const struct gst *)b)->id;

	return x < y ? -1 : x > y;
}

static const struct gst *world_find(const struct world *w, uint32_t id)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->g[i].id == id)
			return &w->g[i];
	return NULL;
}

static void gst_fmt(const struct gst *g, char *buf, size_t len)
{
	size_t l;

	if (!g || !g->nd) {
		snprintf(buf, len, "{absent}");
		return;
	}
	l = (size_t)snprintf(buf, len, "{viable=%d ready=%d node=%d", g->viable, g->ready,
			     g->node);
	if (g->has_seq && l < len)
		l += (size_t)snprintf(buf + l, len - l, " seq=%" PRIu64, g->seq);
	for (unsigned i = 0; i < g->nd && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l, "%s%s %s %s v%d vfio%d%s%s",
				      i ? "; " : " [", g->d[i].name, g->d[i].bus,
				      *g->d[i].drv ? g->d[i].drv : "-",
				      g->d[i].viable, g->d[i].vfio,
				      *g->d[i].vfio_dev ? " " : "", g->d[i].vfio_dev);
	if (l < len)
		snprintf(buf + l, len - l, "]}");
}

/* Equal as states (not seqs); NULL or no devices = absent. */
static bool gst_same(const struct gst *a, const struct gst *b)
{
	bool pa = a && a->nd, pb = b && b->nd;

	if (!pa || !pb)
		return pa == pb;
	if (a->viable != b->viable || a->ready != b->ready || a->node != b->node ||
	    a->nd != b->nd)
		return false;
	for (unsigned i = 0; i < a->nd; i++)
		if (strcmp(a->d[i].name, b->d[i].name) ||
		    strcmp(a->d[i].bus, b->d[i].bus) ||
		    strcmp(a->d[i].drv, b->d[i].drv) ||
		    a->d[i].viable != b->d[i].viable ||
		    a->d[i].vfio != b->d[i].vfio ||
		    strcmp(a->d[i].vfio_dev, b->d[i].vfio_dev))
			return false;
	return true;
}

static const struct dst *gst_dev(const struct gst *g, const char *name)
{
	for (unsigned i = 0; g && i < g->nd; i++)
		if (!strcmp(g->d[i].name, name))
			return &g->d[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* sysfs                                                               */
/* ------------------------------------------------------------------ */

#define PCI_DEVS "/sys/bus/pci/devices"

static int read_line(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static bool dev_present(const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), PCI_DEVS "/%s", dev);
	return access(p, F_OK) == 0;
}

static void dev_driver(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver", dev);
	link_base(p, out, len);
}

static long dev_group(const char *dev)
{
	char p[PATH_MAX], g[NAMEL];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/iommu_group", dev);
	link_base(p, g, sizeof(g));
	return *g ? strtol(g, NULL, 10) : -1;
}

/* driver_override is empty ("(null)", or nothing on old kernels)? */
static bool override_clear(const char *dev)
{
	char p[PATH_MAX], v[NAMEL];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", dev);
	if (read_line(p, v, sizeof(v)))
		return false;
	return !*v || !strcmp(v, "(null)");
}

/*
 * Kernel features the oracles depend on: from 5.19 replies carry
 * group-in-use; from 6.1 VFIO adds a vfio-dev device (vfioX) under each
 * device it registers, before that a VFIO driver is known by its name.
 */
static bool k_in_use, k_vfio_dev, k_deferred_put;

static void kernel_features(void)
{
	struct utsname u;
	unsigned ma = 0, mi = 0;

	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u", &ma, &mi);
	k_in_use = ma > 5 || (ma == 5 && mi >= 19);
	k_vfio_dev = ma > 6 || (ma == 6 && mi >= 1);
	k_deferred_put = ma < 5 || (ma == 5 && mi < 16);
}

/* Registered with VFIO, by sysfs: the vfio-dev child (6.1+) or the name. */
static void sysfs_vfio(const char *devpath, struct dst *d)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *dd;

	d->vfio = 0;
	d->vfio_dev[0] = 0;
	if (!k_vfio_dev) {
		d->vfio = strstr(d->drv, "vfio") != NULL;
		return;
	}
	snprintf(p, sizeof(p), "%.4000s/vfio-dev", devpath);
	dd = opendir(p);
	if (!dd)
		return;
	while ((de = readdir(dd)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			d->vfio = 1;
			scopy(d->vfio_dev, sizeof(d->vfio_dev), de->d_name);
		}
	closedir(dd);
}

/*
 * The reference world from sysfs: viability by the rule, readiness as
 * viable and some device registered with VFIO, node as /dev/vfio/N exists.
 */
static int sysfs_world(struct world *w)
{
	DIR *gd = opendir("/sys/kernel/iommu_groups");
	struct dirent *ge;

	w->n = 0;
	if (!gd)
		return -errno;
	while ((ge = readdir(gd))) {
		char path[PATH_MAX];
		struct dirent *de;
		struct gst *g;
		DIR *dd;

		if (ge->d_name[0] == '.' || w->n == MAXG)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
			 ge->d_name);
		dd = opendir(path);
		if (!dd)
			continue;	/* going away */
		g = &w->g[w->n];
		memset(g, 0, sizeof(*g));
		g->id = (uint32_t)strtoul(ge->d_name, NULL, 10);
		g->viable = 1;
		while ((de = readdir(dd))) {
			struct dst *d;
			char p[PATH_MAX];

			if (de->d_name[0] == '.' || g->nd == MAXD)
				continue;
			d = &g->d[g->nd++];
			scopy(d->name, sizeof(d->name), de->d_name);
			snprintf(p, sizeof(p), "%.200s/%.64s/subsystem", path, de->d_name);
			link_base(p, d->bus, sizeof(d->bus));
			snprintf(p, sizeof(p), "%.200s/%.64s/driver", path, de->d_name);
			link_base(p, d->drv, sizeof(d->drv));
			d->viable = managed(d->drv);
			if (!d->viable)
				g->viable = 0;
			snprintf(p, sizeof(p), "%.200s/%.64s", path, de->d_name);
			sysfs_vfio(p, d);
			g->ready |= d->vfio;
		}
		closedir(dd);
		if (!g->nd)
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/%u", g->id);
		g->node = access(path, F_OK) == 0;
		/*
		 * Up to 5.15 VFIO may drop a group's last reference from a
		 * workqueue (the deferred put 5.16 removed), so the node can
		 * outlive the group's last registered device for a moment:
		 * it counts as gone then.  A registered device still needs it.
		 */
		if (k_deferred_put && g->node && !g->ready)
			g->node = 0;
		g->ready &= g->viable;
		qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
		w->n++;
	}
	closedir(gd);
	qsort(w->g, w->n, sizeof(w->g[0]), gst_cmp);
	return 0;
}

/* Has sysfs a device of g registered with VFIO? */
static bool world_any_vfio(const struct gst *g)
{
	for (unsigned i = 0; i < g->nd; i++)
		if (g->d[i].vfio)
			return true;
	return false;
}

/* VFIO_GROUP_GET_STATUS: 1 viable, 0 not, -errno (-ENOENT: no node). */
static int vfio_status(uint32_t id)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/dev/vfio/%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, VFIO_GROUP_GET_STATUS, &st);
	r = r < 0 ? -errno : !!(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	close(fd);
	return r;
}

/* ------------------------------------------------------------------ */
/* raw netlink (libnl, no library)                                     */
/* ------------------------------------------------------------------ */

static struct nl_sock *nsk;
static int nfam;
static unsigned raw_malformed;
/* group-in-use in raw replies: present from 5.19 (and 0: nobody holds a
 * group in the walk), absent before */
static unsigned long inuse_checks, inuse_bad;
static unsigned char rxbuf[256 * 1024];

static int raw_open(void)
{
	int one = 1;

	nsk = nl_socket_alloc();
	if (!nsk || genl_connect(nsk) < 0)
		return -EIO;
	nfam = genl_ctrl_resolve(nsk, VFIOGROUP_FAMILY_NAME);
	if (nfam < 0)
		return -ENOENT;
	setsockopt(nl_socket_get_fd(nsk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return 0;
}

static void malformed(const char *what)
{
	if (raw_malformed++ < 10)
		diag("walk: malformed reply: %s", what);
}

static bool attr_fixed(const struct nlattr *a, void *v, int len)
{
	if (!a)
		return false;
	if (nla_len(a) != len) {
		malformed("attribute length");
		return false;
	}
	memcpy(v, nla_data(a), (size_t)len);
	return true;
}

static bool attr_str(const struct nlattr *a, char *out, size_t len)
{
	const char *s;
	int n;

	out[0] = 0;
	if (!a)
		return false;
	s = nla_data(a);
	n = nla_len(a);
	if (n < 1 || s[n - 1] || strlen(s) != (size_t)n - 1) {
		malformed("string");
		return false;
	}
	scopy(out, len, s);
	return true;
}

/* A group-get reply or a dump entry into g. */
static bool parse_group(const struct nlmsghdr *nlh, struct gst *g)
{
	struct nlattr *a;
	uint8_t v8;
	bool id = false, vi = false, rd = false, iu = false;
	int rem;

	memset(g, 0, sizeof(*g));
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		malformed("short genlmsg");
		return false;
	}
	nlmsg_for_each_attr(a, (struct nlmsghdr *)nlh, GENL_HDRLEN, rem) {
		switch (nla_type(a)) {
		case VFIOGROUP_A_GROUP_ID:
			id = attr_fixed(a, &g->id, 4);
			break;
		case VFIOGROUP_A_GROUP_VIABLE:
			if ((vi = attr_fixed(a, &v8, 1)))
				g->viable = v8;
			break;
		case VFIOGROUP_A_GROUP_SEQ:
			g->has_seq = attr_fixed(a, &g->seq, 8);
			break;
		case VFIOGROUP_A_GROUP_READY:
			if ((rd = attr_fixed(a, &v8, 1)))
				g->ready = v8;
			break;
		case VFIOGROUP_A_GROUP_IN_USE:
			if ((iu = attr_fixed(a, &v8, 1)) && v8 && inuse_bad++ < 5)
				diag("walk: group-in-use=%u in a reply (nobody holds a group here)", v8);
			break;
		case VFIOGROUP_A_GROUP_DEVICE: {
			struct nlattr *dt[VFIOGROUP_A_DEV_MAX + 1];
			struct dst *d;

			if (g->nd == MAXD || nla_parse_nested(dt, VFIOGROUP_A_DEV_MAX, a, NULL) < 0) {
				malformed("device nest");
				break;
			}
			d = &g->d[g->nd++];
			if (!attr_str(dt[VFIOGROUP_A_DEV_NAME], d->name, sizeof(d->name)))
				malformed("device without name");
			if (!attr_str(dt[VFIOGROUP_A_DEV_BUS], d->bus, sizeof(d->bus)))
				malformed("device without bus");
			attr_str(dt[VFIOGROUP_A_DEV_DRIVER], d->drv, sizeof(d->drv));
			d->viable = -1;
			if (attr_fixed(dt[VFIOGROUP_A_DEV_VIABLE], &v8, 1))
				d->viable = v8;
			else
				malformed("device without viable");
			d->vfio = -1;
			if (attr_fixed(dt[VFIOGROUP_A_DEV_VFIO], &v8, 1))
				d->vfio = v8;
			else
				malformed("device without vfio");
			attr_str(dt[VFIOGROUP_A_DEV_VFIO_DEV], d->vfio_dev, sizeof(d->vfio_dev));
			g->node |= d->vfio == 1;
			break;
		}
		default:
			break;
		}
	}
	if (!id || !vi || !g->has_seq || !rd)
		malformed("group without id, viable, seq or ready");
	inuse_checks++;
	if (iu != k_in_use) {
		inuse_bad++;
		malformed(k_in_use ? "group-in-use missing (5.19 and later)"
				   : "group-in-use before 5.19");
	}
	qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
	return id;
}

typedef void (*raw_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * One request: send, read until the ACK/error (do) or NLMSG_DONE (dump).
 * Returns 0, the kernel's -errno, or -ETIMEDOUT/-EIO.
 */
static int raw_request(uint8_t cmd, int flags, int64_t id, raw_cb cb, void *arg)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t seq;
	int r;

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nfam, 0,
				 flags | NLM_F_ACK, cmd, VFIOGROUP_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (id >= 0)
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, (uint32_t)id);
	r = nl_send_auto(nsk, msg);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (r < 0)
		return -EIO;
	for (;;) {
		struct pollfd p = { .fd = nl_socket_get_fd(nsk), .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		r = poll(&p, 1, 20000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		n = recv(p.fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (unsigned)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				return nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EIO : e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
				return e;
			}
			if (nlh->nlmsg_type == nfam && cb)
				cb(nlh, arg);
		}
	}
}

static void dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct world *w = arg;

	if (w->n == MAXG) {
		malformed("too many groups");
		return;
	}
	if (parse_group(nlh, &w->g[w->n]))
		w->n++;
}

static int raw_dump(struct world *w)
{
	int r;

	w->n = 0;
	r = raw_request(VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP, -1, dump_cb, w);
	qsort(w->g, w->n, sizeof(w->g[0]), gst_cmp);
	return r;
}

struct get_arg {
	struct gst *g;
	int n;
};

static void get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct get_arg *a = arg;

	if (a->n++ == 0)
		parse_group(nlh, a->g);
	else
		malformed("more than one reply to a get");
}

/* 0 and *g, or -ENOENT (then g->nd == 0), or another -errno. */
static int raw_get(uint32_t id, struct gst *g)
{
	struct get_arg a = { .g = g };
	int r;

	memset(g, 0, sizeof(*g));
	r = raw_request(VFIOGROUP_CMD_GROUP_GET, 0, id, get_cb, &a);
	if (!r && a.n != 1)
		malformed("get without a reply");
	return r;
}

static void info_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFIOGROUP_A_INFO_MAX, NULL) < 0 ||
	    !attr_fixed(tb[VFIOGROUP_A_INFO_SEQ], arg, 8))
		malformed("info without seq");
}

static int raw_info_seq(uint64_t *seq)
{
	int r;

	*seq = UINT64_MAX;
	r = raw_request(VFIOGROUP_CMD_INFO_GET, 0, -1, info_cb, seq);
	return r ? r : *seq == UINT64_MAX ? -EIO : 0;
}

/* ------------------------------------------------------------------ */
/* the library                                                         */
/* ------------------------------------------------------------------ */

static void lib_gst(const struct vfiogroup_group *lg, struct gst *g)
{
	size_t n = vfiogroup_group_device_count(lg);

	memset(g, 0, sizeof(*g));
	const char *node = vfiogroup_group_node(lg);
	char want[32];

	g->id = vfiogroup_group_id(lg);
	g->viable = vfiogroup_group_viable(lg);
	g->ready = vfiogroup_group_ready(lg);
	/* the node's name, when there is one, must be the group's */
	snprintf(want, sizeof(want), "/dev/vfio/%u", g->id);
	g->node = !node ? 0 : !strcmp(node, want) ? 1 : 2;
	g->has_seq = true;
	g->seq = vfiogroup_group_seq(lg);
	for (size_t i = 0; i < n && g->nd < MAXD; i++) {
		const struct vfiogroup_device *d = vfiogroup_group_device(lg, i);
		const char *drv = vfiogroup_device_driver(d);
		const char *vd = vfiogroup_device_vfio_dev(d);
		struct dst *x = &g->d[g->nd++];

		scopy(x->name, sizeof(x->name), vfiogroup_device_name(d));
		scopy(x->bus, sizeof(x->bus), vfiogroup_device_bus(d));
		scopy(x->drv, sizeof(x->drv), drv ? drv : "");
		x->viable = vfiogroup_device_viable(d);
		x->vfio = vfiogroup_device_vfio(d);
		scopy(x->vfio_dev, sizeof(x->vfio_dev), vd ? vd : "");
	}
	qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
}

/* 0 and *g, or -ENOENT (g absent), or another -errno. */
static int lib_get(struct vfiogroup_ctx *ctx, uint32_t id, struct gst *g)
{
	struct vfiogroup_group *lg = NULL;
	int r = vfiogroup_get_group(ctx, id, &lg);

	memset(g, 0, sizeof(*g));
	if (r)
		return r;
	lib_gst(lg, g);
	vfiogroup_group_unref(lg);
	return 0;
}

/* Per context: what its callback has seen. */
struct seen {
	const char *name;
	uint64_t max_seq;		/* highest event seq delivered */
	uint64_t last_kernel;		/* last kernel event seq (gap check) */
	unsigned notices;		/* RESYNC/DISCONNECTED/RECONNECTED */
	unsigned events, synth;
	unsigned kinds[7];
	unsigned gaps;			/* kernel seq gaps seen */
	uint32_t ids[MAXG];		/* per group: */
	uint64_t lastseq[MAXG];		/*   seq of its last event */
	struct gst *state;		/*   state of its last event (A only) */
	bool present[MAXG];
	unsigned nids;
	/* event oracle (A only) */
	unsigned ev_checks, ev_bad, ready_flips;
	char ev_first_bad[8][900];
	unsigned ev_nbad_stored;
};

static int seen_slot(struct seen *s, uint32_t id)
{
	for (unsigned i = 0; i < s->nids; i++)
		if (s->ids[i] == id)
			return (int)i;
	if (s->nids == MAXG)
		return -1;
	s->ids[s->nids] = id;
	s->lastseq[s->nids] = 0;
	s->present[s->nids] = false;
	return (int)s->nids++;
}

static const char *const kind_names[] = {
	"?", "device-added", "device-removed", "driver-bound",
	"driver-unbound", "viability-changed", "ready-changed",
};

static void ev_bad(struct seen *s, const struct vfiogroup_ev *ev,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ev_bad(struct seen *s, const struct vfiogroup_ev *ev,
		   const char *fmt, ...)
{
	char why[200], st[400];
	struct gst g;
	va_list ap;

	s->ev_bad++;
	if (s->ev_nbad_stored >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lib_gst(ev->group, &g);
	gst_fmt(&g, st, sizeof(st));
	snprintf(s->ev_first_bad[s->ev_nbad_stored++], sizeof(s->ev_first_bad[0]),
		 "seq=%" PRIu64 " %s dev=%.64s driver=%.64s group=%u: %.150s; state %.400s",
		 ev->seq, kind_names[ev->kind], ev->dev_name ? ev->dev_name : "-",
		 ev->driver ? ev->driver : "-", ev->group_id, why, st);
}

/* The event oracle: does the state carried fit the event? */
static void check_event(struct seen *s, const struct vfiogroup_ev *ev,
			const struct gst *prev)
{
	const char *dev = ev->dev_name;
	const struct vfiogroup_device *d = NULL;
	const struct vfiogroup_group *g = ev->group;
	size_t n = vfiogroup_group_device_count(g);
	bool had = prev && prev->nd;

	s->ev_checks++;
	for (size_t i = 0; dev && i < n; i++)
		if (!strcmp(vfiogroup_device_name(vfiogroup_group_device(g, i)), dev))
			d = vfiogroup_group_device(g, i);
	if (vfiogroup_group_id(g) != ev->group_id)
		ev_bad(s, ev, "state of group %u", vfiogroup_group_id(g));
	if (vfiogroup_group_seq(g) != ev->seq)
		ev_bad(s, ev, "state's seq %" PRIu64 " is not the event's",
		       vfiogroup_group_seq(g));
	switch (ev->kind) {
	case VFIOGROUP_EV_DEVICE_ADDED:
		if (!d)
			ev_bad(s, ev, "the device is not in the state");
		break;
	case VFIOGROUP_EV_DEVICE_REMOVED:
		if (d || !dev)
			ev_bad(s, ev, "the device is still in the state");
		break;
	case VFIOGROUP_EV_DRIVER_BOUND:
		if (!d || !ev->driver || !vfiogroup_device_driver(d) ||
		    strcmp(vfiogroup_device_driver(d), ev->driver))
			ev_bad(s, ev, "the device is not on that driver in the state");
		break;
	case VFIOGROUP_EV_DRIVER_UNBOUND:
		if (!d || vfiogroup_device_driver(d))
			ev_bad(s, ev, "the device is not there without a driver in the state");
		break;
	case VFIOGROUP_EV_VIABILITY_CHANGED:
		if (had && n && prev->viable == (int)vfiogroup_group_viable(g))
			ev_bad(s, ev, "viability did not change (%d)", prev->viable);
		break;
	case VFIOGROUP_EV_READY_CHANGED: {
		/*
		 * The last event of its cause: the state it carries is whole
		 * again, ready exactly when viable with a device registered
		 * with VFIO (a ready-changed before its viability-changed
		 * would carry ready=0 beside viable=1 and a VFIO device).
		 */
		bool any = false;

		if (had && n && prev->ready == (int)vfiogroup_group_ready(g))
			ev_bad(s, ev, "readiness did not change (%d)", prev->ready);
		for (size_t i = 0; i < n; i++)
			any |= vfiogroup_device_vfio(vfiogroup_group_device(g, i));
		if (vfiogroup_group_ready(g) != (vfiogroup_group_viable(g) && any))
			ev_bad(s, ev, "ready=%d, but viable=%d and %s device registered with VFIO",
			       vfiogroup_group_ready(g), vfiogroup_group_viable(g),
			       any ? "a" : "no");
		break;
	}
	}
	if (ev->kind != VFIOGROUP_EV_VIABILITY_CHANGED && had && n &&
	    prev->viable != (int)vfiogroup_group_viable(g))
		ev_bad(s, ev, "viability changed (%d -> %d) without viability-changed",
		       prev->viable, vfiogroup_group_viable(g));
	if (ev->kind != VFIOGROUP_EV_READY_CHANGED && had && n &&
	    prev->ready != (int)vfiogroup_group_ready(g))
		ev_bad(s, ev, "readiness changed (%d -> %d) without ready-changed",
		       prev->ready, vfiogroup_group_ready(g));
	if (ev->kind == VFIOGROUP_EV_READY_CHANGED)
		s->ready_flips++;
}

static void seen_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		    void *userdata)
{
	struct seen *s = userdata;
	bool synth = ev->flags & VFIOGROUP_EVENT_SYNTHESIZED;
	int k;

	(void)sub;
	if (ev->kind >= VFIOGROUP_EV_RESYNC) {
		/*
		 * The events the resync absorbed are never delivered: the
		 * next kernel event starts the gap check afresh.
		 */
		s->last_kernel = 0;
		if (s->notices++ < 10)
			diag("walk: context %s: notice %s%s", s->name,
		     ev->kind == VFIOGROUP_EV_RESYNC ? "RESYNC" :
		     ev->kind == VFIOGROUP_EV_DISCONNECTED ? "DISCONNECTED" : "RECONNECTED",
			     s->notices == 10 ? " (the next ones are only counted)" : "");
		return;
	}
	if (ev->kind < VFIOGROUP_EV_DEVICE_ADDED || ev->kind > VFIOGROUP_EV_READY_CHANGED ||
	    !ev->group) {
		s->ev_bad++;
		return;
	}
	s->events++;
	s->kinds[ev->kind]++;
	if (synth) {
		s->synth++;
	} else {
		if (s->last_kernel && ev->seq != s->last_kernel + 1)
			s->gaps++;
		s->last_kernel = ev->seq;
	}
	if (ev->seq > s->max_seq)
		s->max_seq = ev->seq;
	k = seen_slot(s, ev->group_id);
	if (k < 0)
		return;
	s->lastseq[k] = ev->seq;
	if (s->state) {
		struct gst g;

		if (!synth)
			check_event(s, ev, s->present[k] ? &s->state[k] : NULL);
		lib_gst(ev->group, &g);
		s->state[k] = g;
		s->present[k] = g.nd > 0;
	}
}

static void dispatch_all(struct vfiogroup_ctx *ctx, const char *name)
{
	int n;

	while ((n = vfiogroup_dispatch(ctx)) > 0)
		;
	if (n < 0)
		diag("walk: vfiogroup_dispatch(%s): %s", name, vfiogroup_strerror(n));
}

/* ------------------------------------------------------------------ */
/* the walk                                                            */
/* ------------------------------------------------------------------ */

enum kind { K_UNBIND, K_OVR_BIND, K_OVR_PROBE, K_NEW_ID, K_HOST_BIND,
	    K_REMOVE, K_RESCAN, K_PORT, NKINDS };
static const char *const knames[NKINDS] = {
	"unbind", "ovr-bind", "ovr-probe", "new-id", "host-bind", "remove",
	"rescan", "port",
};
/*
 * Every bind needs an unbound device, which only unbind (or a remove of a
 * bound one) makes: the binds get more weight so that each of them occurs
 * 20-50 times in 500 steps (seeded simulations: at least 24 each in 200
 * seeds), unbind about 150 times, the others 30-80.
 */
static const unsigned kweight[NKINDS] = { 3, 4, 4, 4, 4, 1, 3, 1 };

struct wdev {
	char name[NAMEL];
	char host[NAMEL];
	char ids[16];		/* "VVVV DDDD" for new_id */
	bool port;
};

static struct wdev wd[MAXW];
static int nwd, port_idx = -1;

static uint64_t rng;

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void dev_ids(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX], v[16], d[16];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/vendor", dev);
	read_line(p, v, sizeof(v));
	snprintf(p, sizeof(p), PCI_DEVS "/%s/device", dev);
	read_line(p, d, sizeof(d));
	snprintf(out, len, "%.6s %.6s", v[0] == '0' && v[1] == 'x' ? v + 2 : v,
		 d[0] == '0' && d[1] == 'x' ? d + 2 : d);
}

static int wdev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wdev *)a)->name, ((const struct wdev *)b)->name);
}

/* The NICs on e1000/e1000e and the root port above an e1000e. */
static void find_devices(void)
{
	static const char *const hosts[] = { "e1000", "e1000e" };

	for (size_t h = 0; h < 2; h++) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "/sys/bus/pci/drivers/%s", hosts[h]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && nwd < MAXW - 1) {
			if (!strchr(de->d_name, ':') || strstr(de->d_name, ":1f."))
				continue;
			scopy(wd[nwd].name, NAMEL, de->d_name);
			scopy(wd[nwd].host, NAMEL, hosts[h]);
			dev_ids(de->d_name, wd[nwd].ids, sizeof(wd[nwd].ids));
			nwd++;
		}
		closedir(d);
	}
	/* sorted by name: the walk must not depend on readdir's order */
	qsort(wd, (size_t)nwd, sizeof(wd[0]), wdev_cmp);
	for (int i = 0; i < nwd && port_idx < 0; i++) {
		char p[PATH_MAX], real[PATH_MAX], *s, drv[NAMEL];

		if (strcmp(wd[i].host, "e1000e"))
			continue;
		snprintf(p, sizeof(p), PCI_DEVS "/%s", wd[i].name);
		if (!realpath(p, real) || !(s = strrchr(real, '/')))
			continue;
		*s = 0;
		s = strrchr(real, '/');
		if (!s || !strchr(s + 1, ':') || strstr(s + 1, ":1f."))
			continue;
		dev_driver(s + 1, drv, sizeof(drv));
		if (strcmp(drv, "pcieport"))
			continue;
		port_idx = nwd;
		scopy(wd[nwd].name, NAMEL, s + 1);
		scopy(wd[nwd].host, NAMEL, "pcieport");
		wd[nwd].port = true;
		nwd++;
	}
}

struct step {
	int n;
	enum kind k;
	int dev;		/* index in wd, -1 for rescan */
	char desc[160];
	int err;		/* the sysfs write's */
};

/* Choose and make one transition. */
static void do_step(struct step *st)
{
	int cand[NKINDS][MAXW], ncand[NKINDS] = { 0 };
	unsigned total = 0, pick;
	char drv[NAMEL], p[PATH_MAX];
	struct wdev *w;
	int k, i, r = 0;

	for (i = 0; i < nwd; i++) {
		bool present = dev_present(wd[i].name);

		dev_driver(wd[i].name, drv, sizeof(drv));
		if (wd[i].port) {
			if (present)
				cand[K_PORT][ncand[K_PORT]++] = i;
			continue;
		}
		if (!present) {
			cand[K_RESCAN][ncand[K_RESCAN]++] = i;
			continue;
		}
		cand[K_REMOVE][ncand[K_REMOVE]++] = i;
		if (*drv) {
			cand[K_UNBIND][ncand[K_UNBIND]++] = i;
		} else {
			for (k = K_OVR_BIND; k <= K_HOST_BIND; k++)
				cand[k][ncand[k]++] = i;
		}
	}
	for (k = 0; k < NKINDS; k++)
		if (ncand[k])
			total += kweight[k];
	pick = (unsigned)(rnd() % total);
	for (k = 0; k < NKINDS; k++) {
		if (!ncand[k])
			continue;
		if (pick < kweight[k])
			break;
		pick -= kweight[k];
	}
	st->k = (enum kind)k;
	st->dev = cand[k][rnd() % (uint64_t)ncand[k]];
	w = &wd[st->dev];
	dev_driver(w->name, drv, sizeof(drv));
	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", w->name);
	switch (st->k) {
	case K_UNBIND:
		snprintf(st->desc, sizeof(st->desc), "unbind %s from %s", w->name, drv);
		snprintf(p, sizeof(p), PCI_DEVS "/%s/driver/unbind", w->name);
		r = write_file(p, w->name);
		break;
	case K_OVR_BIND:
	case K_OVR_PROBE:
		snprintf(st->desc, sizeof(st->desc), "%s to vfio-pci: driver_override + %s",
			 w->name, st->k == K_OVR_BIND ? "vfio-pci/bind" : "drivers_probe");
		r = write_file(p, "vfio-pci");
		if (!r)
			r = write_file(st->k == K_OVR_BIND ? "/sys/bus/pci/drivers/vfio-pci/bind"
							   : "/sys/bus/pci/drivers_probe",
				       w->name);
		break;
	case K_NEW_ID:
		snprintf(st->desc, sizeof(st->desc), "%s to vfio-pci: new_id \"%s\" + remove_id",
			 w->name, w->ids);
		r = write_file(p, "\n");
		if (!r)
			r = write_file("/sys/bus/pci/drivers/vfio-pci/new_id", w->ids);
		i = write_file("/sys/bus/pci/drivers/vfio-pci/remove_id", w->ids);
		if (!r)
			r = i;
		break;
	case K_HOST_BIND:
		snprintf(st->desc, sizeof(st->desc), "%s to %s (driver_override cleared)",
			 w->name, w->host);
		r = write_file(p, "\n");
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", w->host);
		if (!r)
			r = write_file(p, w->name);
		break;
	case K_REMOVE:
		snprintf(st->desc, sizeof(st->desc), "PCI remove of %s (on %s)", w->name,
			 *drv ? drv : "no driver");
		snprintf(p, sizeof(p), PCI_DEVS "/%s/remove", w->name);
		r = write_file(p, "1");
		break;
	case K_RESCAN:
		st->dev = -1;
		snprintf(st->desc, sizeof(st->desc), "PCI rescan (%d device(s) removed)",
			 ncand[K_RESCAN]);
		r = write_file("/sys/bus/pci/rescan", "1");
		break;
	case K_PORT:
		snprintf(st->desc, sizeof(st->desc), "%s pcieport %s %s", *drv ? "unbind" : "bind",
			 *drv ? "from" : "to", w->name);
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/pcieport/%s", *drv ? "unbind" : "bind");
		r = write_file(p, w->name);
		break;
	default:
		break;
	}
	st->err = r;
}

/* Did the step do what it meant to?  "" if so, else why not. */
static void step_effect(const struct step *st, const bool *was_removed, char *why,
			size_t len)
{
	char drv[NAMEL];
	const struct wdev *w = st->dev >= 0 ? &wd[st->dev] : NULL;

	why[0] = 0;
	if (st->err)
		snprintf(why, len, "write: %s; ", strerror(-st->err));
	if (w)
		dev_driver(w->name, drv, sizeof(drv));
	switch (st->k) {
	case K_UNBIND:
		if (*drv)
			snprintf(why + strlen(why), len - strlen(why), "still on %s", drv);
		break;
	case K_OVR_BIND:
	case K_OVR_PROBE:
	case K_NEW_ID:
		if (strcmp(drv, "vfio-pci"))
			snprintf(why + strlen(why), len - strlen(why), "on '%s', not vfio-pci", drv);
		break;
	case K_HOST_BIND:
		if (strcmp(drv, w->host) || !override_clear(w->name))
			snprintf(why + strlen(why), len - strlen(why), "on '%s'%s", drv,
				 override_clear(w->name) ? "" : ", driver_override set");
		break;
	case K_REMOVE:
		if (dev_present(w->name))
			snprintf(why + strlen(why), len - strlen(why), "still present");
		break;
	case K_RESCAN:
		for (int i = 0; i < nwd; i++) {
			if (!was_removed[i])
				continue;
			dev_driver(wd[i].name, drv, sizeof(drv));
			if (!dev_present(wd[i].name))
				snprintf(why + strlen(why), len - strlen(why), "%.16s not back; ",
					 wd[i].name);
			else if (strcmp(drv, wd[i].host) || !override_clear(wd[i].name))
				snprintf(why + strlen(why), len - strlen(why),
					 "%.16s back on '%.20s'%s, not on its host driver; ",
					 wd[i].name, drv,
					 override_clear(wd[i].name) ? "" : " with driver_override");
		}
		break;
	case K_PORT:
		break;	/* either way is fine: the oracles say the rest */
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* barrier and comparisons                                             */
/* ------------------------------------------------------------------ */

static struct vfiogroup_ctx *ca, *cb;
static struct seen sa = { .name = "A" }, sb = { .name = "B" };
static uint32_t fids[2];
static int nfids;
static uint64_t seed;
static unsigned steps_wanted = 500;
static int deadline_s = 20;

enum oracle { O_DUMP, O_GET, O_CACHE, O_FIND, O_CALLBACK, O_FILTERED,
	      O_VFIO, O_RULE_VFIO, O_READY_VFIO, O_RULE_READY, O_IN_USE, O_EVENT,
	      O_BARRIER, NORACLES };
static const char *const onames[NORACLES] = {
	"dump", "get", "cache", "find-device", "callback", "filtered",
	"vfio-status", "rule-vs-vfio", "ready-vs-vfio", "ready-rule-vs-vfio", "in-use",
	"event", "barrier",
};
static unsigned long comparisons[NORACLES], mismatches[NORACLES];
static unsigned long printed, vfio_checks;
/* ready compared: in each whole-state comparison and against VFIO */
static unsigned long ready_checks;

/*
 * A mismatch that stays from one comparison round to the next (same oracle,
 * group, states) is counted each time but printed once: rounds keep the
 * hashes of their mismatches.
 */
#define MAXH 512
static uint64_t hprev[MAXH], hcur[MAXH];
static unsigned nhprev, nhcur;
static unsigned long repeats;

static void new_round(void)
{
	memcpy(hprev, hcur, sizeof(hcur[0]) * nhcur);
	nhprev = nhcur;
	nhcur = 0;
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static void mismatch(int o, const char *where, uint32_t gid, const struct gst *want,
		     const struct gst *got, const char *extra)
{
	char a[600], b[600], k[32];
	uint64_t h;
	bool seen = false;

	mismatches[o]++;
	gst_fmt(want, a, sizeof(a));
	gst_fmt(got, b, sizeof(b));
	snprintf(k, sizeof(k), "%d:%u:", o, gid);
	h = fnv(fnv(fnv(fnv(0xcbf29ce484222325ULL, k), extra ? extra : ""), a), b);
	for (unsigned i = 0; i < nhprev && !seen; i++)
		seen = hprev[i] == h;
	if (nhcur < MAXH)
		hcur[nhcur++] = h;
	if (seen) {
		repeats++;
		return;
	}
	if (printed++ >= MAX_PRINTED)
		return;
	diag("walk: MISMATCH %s seed=%" PRIu64 " group=%u oracle=%s%s%s: want %s got %s",
	     where, seed, gid, onames[o], extra ? ": " : "", extra ? extra : "", a, b);
}

/* want (sysfs) vs got; seqs vs the dump's (when both known). */
static void compare(int o, const char *where, uint32_t gid, const struct gst *want,
		    const struct gst *got, const struct gst *dump)
{
	char extra[120] = "";

	comparisons[o]++;
	if (want && want->nd && got && got->nd)
		ready_checks++;
	if (!gst_same(want, got)) {
		mismatch(o, where, gid, want, got, NULL);
		return;
	}
	if (got && got->nd && got->has_seq && dump && dump->nd && dump->has_seq &&
	    got->seq != dump->seq) {
		snprintf(extra, sizeof(extra), "seq %" PRIu64 ", the dump's %" PRIu64,
			 got->seq, dump->seq);
		mismatch(o, where, gid, want, got, extra);
	}
}

/* Is ctx's cache current for these ids (all if n < 0)?  Against raw. */
static bool cache_current(struct vfiogroup_ctx *ctx, const uint32_t *only, int n)
{
	static struct world d;
	uint32_t *ids = NULL;
	int nids;
	bool good = true;

	if (raw_dump(&d))
		return false;
	if (n < 0) {
		nids = vfiogroup_group_ids(ctx, &ids);
		if (nids != (int)d.n)
			good = false;
		for (int i = 0; good && i < nids; i++)
			good = ids[i] == d.g[i].id;
		free(ids);
	}
	for (unsigned i = 0; good && i < (n < 0 ? d.n : (unsigned)n); i++) {
		uint32_t id = n < 0 ? d.g[i].id : only[i];
		const struct gst *x = world_find(&d, id);
		struct gst g;
		int r = lib_get(ctx, id, &g);

		if (x)
			good = !r && g.seq == x->seq;
		else
			good = r == -ENOENT;
	}
	return good;
}

static bool b_caught_up(void)
{
	for (int i = 0; i < nfids; i++) {
		int ka = seen_slot(&sa, fids[i]), kb = seen_slot(&sb, fids[i]);

		if (ka >= 0 && kb >= 0 && sb.lastseq[kb] < sa.lastseq[ka])
			return false;
	}
	return true;
}

/* 0, or -ETIMEDOUT (printed). */
static int barrier(const char *where, uint64_t *target_out)
{
	unsigned na0 = sa.notices, nb0 = sb.notices;
	uint64_t target;
	int64_t end;
	bool a_done = false, b_done = false;
	int r;

	r = raw_info_seq(&target);
	end = now_ms() + deadline_s * 1000;
	if (r) {
		diag("walk: %s: info-get: %s", where, strerror(-r));
		return -EIO;
	}
	*target_out = target;
	while (!a_done || !b_done) {
		struct pollfd p = { .events = POLLIN };
		int64_t left = end - now_ms();

		dispatch_all(ca, "A");
		if (!a_done)
			a_done = sa.max_seq >= target ||
				 (sa.notices != na0 && cache_current(ca, NULL, -1));
		if (a_done) {
			dispatch_all(cb, "B");
			b_done = b_caught_up() ||
				 (sb.notices != nb0 && cache_current(cb, fids, nfids));
		}
		if (a_done && b_done)
			break;
		if (left <= 0) {
			comparisons[O_BARRIER]++;
			mismatches[O_BARRIER]++;
			diag("walk: BARRIER MISSED %s seed=%" PRIu64 ": after %d s the module is at seq %" PRIu64
			     "; context A's callback saw up to %" PRIu64 " (%u notices)%s; context B %s",
			     where, seed, deadline_s, target, sa.max_seq, sa.notices - na0,
			     a_done ? " (caught up)" : "", b_done ? "caught up" : "behind on its groups");
			return -ETIMEDOUT;
		}
		/* A first, then B; after a notice, look at the cache every 50 ms */
		p.fd = vfiogroup_get_fd(a_done ? cb : ca);
		poll(&p, 1, (int)(sa.notices != na0 || sb.notices != nb0 ? 50 :
				  left < 1000 ? left : 1000));
	}
	comparisons[O_BARRIER]++;
	return 0;
}

static uint32_t ever[MAXG];
static unsigned never;

static void note_id(uint32_t id)
{
	for (unsigned i = 0; i < never; i++)
		if (ever[i] == id)
			return;
	if (never < MAXG)
		ever[never++] = id;
}

static char removed_names[MAXW][NAMEL];
static int nremoved_names;

/* Every oracle against the reference, for every group. */
/* Where the comparisons' time goes (us): sysfs, dump, VFIO, gets; all */
static int64_t t_phase[5];

static void compare_all(const char *where)
{
	static struct world ref, dump;
	struct gst g;
	uint32_t *ids = NULL;
	int nids, r;
	int64_t t = now_us(), t0 = t, t1;

	new_round();
	if (sysfs_world(&ref)) {
		diag("walk: %s: cannot read /sys/kernel/iommu_groups", where);
		mismatches[O_DUMP]++;
		return;
	}
	t1 = now_us();
	t_phase[0] += t1 - t;
	r = raw_dump(&dump);
	t = now_us();
	t_phase[1] += t - t1;
	if (r) {
		diag("walk: %s: raw dump: %s", where, strerror(-r));
		mismatches[O_DUMP]++;
	}
	/*
	 * Viability where VFIO can tell; readiness everywhere: VFIO's
	 * viability where /dev/vfio/N exists, else 0.  Both replace the
	 * rule's in the reference, each disagreement of the rule counted.
	 */
	for (unsigned i = 0; i < ref.n; i++) {
		struct gst *x = &ref.g[i];
		const struct gst *m = world_find(&dump, x->id);
		int64_t tv = now_us();
		int v = vfio_status(x->id), vr;
		char extra[160];

		t_phase[2] += now_us() - tv;
		note_id(x->id);
		vr = v == -ENOENT || v == -ENODEV ? 0 : v;
		/* up to 5.15 the node outlives the last registration a moment */
		if (k_deferred_put && vr > 0 && !world_any_vfio(x))
			vr = 0;
		if (vr >= 0) {
			comparisons[O_READY_VFIO]++;
			comparisons[O_RULE_READY]++;
			ready_checks++;
			if (x->ready != vr) {
				snprintf(extra, sizeof(extra), "VFIO: viable=%d and /dev/vfio/%u %s; "
					 "the rule's ready %d", v > 0, x->id,
					 v >= 0 ? "exists" : "does not exist", x->ready);
				mismatch(O_RULE_READY, where, x->id, x, x, extra);
				x->ready = vr;
			}
			if (!m || m->ready != vr) {
				snprintf(extra, sizeof(extra), "VFIO: viable=%d and /dev/vfio/%u %s; "
					 "the module's ready %d", v > 0, x->id,
					 v >= 0 ? "exists" : "does not exist", m ? m->ready : -1);
				mismatch(O_READY_VFIO, where, x->id, x, m, extra);
			}
		}
		if (v == -ENOENT || v == -ENODEV)
			continue;
		if (v < 0) {
			diag("walk: %s: /dev/vfio/%u: %s", where, x->id, strerror(-v));
			continue;
		}
		vfio_checks++;
		comparisons[O_VFIO]++;
		comparisons[O_RULE_VFIO]++;
		if (x->viable != v) {
			snprintf(extra, sizeof(extra), "VFIO_GROUP_GET_STATUS viable=%d, the rule %d",
				 v, x->viable);
			mismatch(O_RULE_VFIO, where, x->id, x, x, extra);
			x->viable = v;
		}
		if (!m || m->viable != v) {
			snprintf(extra, sizeof(extra), "VFIO_GROUP_GET_STATUS viable=%d, the module %d",
				 v, m ? m->viable : -1);
			mismatch(O_VFIO, where, x->id, x, m, extra);
		}
	}
	for (unsigned i = 0; i < dump.n; i++)
		note_id(dump.g[i].id);

	/* every group ever seen: dump, get, cache, callback */
	for (unsigned i = 0; i < never; i++) {
		uint32_t id = ever[i];
		const struct gst *want = world_find(&ref, id), *dg = world_find(&dump, id);
		int k;

		compare(O_DUMP, where, id, want, dg, NULL);
		t1 = now_us();
		r = raw_get(id, &g);
		t_phase[3] += now_us() - t1;
		if (r && r != -ENOENT)
			diag("walk: %s: raw get %u: %s", where, id, strerror(-r));
		compare(O_GET, where, id, want, &g, dg);
		r = lib_get(ca, id, &g);
		if (r && r != -ENOENT)
			diag("walk: %s: vfiogroup_get_group(%u): %s", where, id,
			     vfiogroup_strerror(r));
		compare(O_CACHE, where, id, want, &g, dg);
		k = seen_slot(&sa, id);
		compare(O_CALLBACK, where, id, want,
			k >= 0 && sa.present[k] ? &sa.state[k] : NULL, dg);
	}
	/* the cache's set of ids */
	nids = vfiogroup_group_ids(ca, &ids);
	comparisons[O_CACHE]++;
	if (nids != (int)ref.n) {
		char extra[200];
		size_t l = (size_t)snprintf(extra, sizeof(extra), "vfiogroup_group_ids: %d ids:", nids);

		for (int i = 0; i < nids && l < sizeof(extra); i++)
			l += (size_t)snprintf(extra + l, sizeof(extra) - l, " %u", ids[i]);
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "; sysfs %u groups",
			 ref.n);
		mismatch(O_CACHE, where, 0, NULL, NULL, extra);
	} else {
		for (int i = 0; i < nids; i++)
			if (ids[i] != ref.g[i].id) {
				mismatch(O_CACHE, where, ids[i], &ref.g[i], NULL,
					 "vfiogroup_group_ids: another id");
				break;
			}
	}
	free(ids);
	/* find_device for every device, and ENOENT for the removed ones */
	for (unsigned i = 0; i < ref.n; i++) {
		for (unsigned j = 0; j < ref.g[i].nd; j++) {
			struct vfiogroup_group *lg = NULL;
			char extra[160];

			r = vfiogroup_find_device(ca, ref.g[i].d[j].name, &lg);
			comparisons[O_FIND]++;
			if (r) {
				snprintf(extra, sizeof(extra), "find_device(%s): %s",
					 ref.g[i].d[j].name, vfiogroup_strerror(r));
				mismatch(O_FIND, where, ref.g[i].id, &ref.g[i], NULL, extra);
				continue;
			}
			lib_gst(lg, &g);
			vfiogroup_group_unref(lg);
			if (g.id != ref.g[i].id || !gst_same(&ref.g[i], &g)) {
				snprintf(extra, sizeof(extra), "find_device(%s) gave group %u",
					 ref.g[i].d[j].name, g.id);
				mismatch(O_FIND, where, ref.g[i].id, &ref.g[i], &g, extra);
			}
		}
	}
	for (int i = 0; i < nremoved_names; i++) {
		struct vfiogroup_group *lg = NULL;
		bool there = false;
		char extra[NAMEL + 160];

		for (unsigned a = 0; a < ref.n && !there; a++)
			there = gst_dev(&ref.g[a], removed_names[i]) != NULL;
		if (there)
			continue;
		comparisons[O_FIND]++;
		r = vfiogroup_find_device(ca, removed_names[i], &lg);
		if (r != -ENOENT) {
			if (!r)
				lib_gst(lg, &g);
			snprintf(extra, sizeof(extra), "find_device(%.*s) of a removed device: %.100s",
				 NAMEL - 1, removed_names[i],
				 r ? vfiogroup_strerror(r) : "found");
			mismatch(O_FIND, where, r ? 0 : g.id, NULL, r ? NULL : &g, extra);
		}
		vfiogroup_group_unref(lg);
	}
	/* context B, its groups */
	for (int i = 0; i < nfids; i++) {
		r = lib_get(cb, fids[i], &g);
		if (r && r != -ENOENT)
			diag("walk: %s: B: vfiogroup_get_group(%u): %s", where, fids[i],
			     vfiogroup_strerror(r));
		compare(O_FILTERED, where, fids[i], world_find(&ref, fids[i]), &g,
			world_find(&dump, fids[i]));
	}
	comparisons[O_IN_USE] = inuse_checks;
	mismatches[O_IN_USE] = inuse_bad;
	t_phase[4] += now_us() - t0;
}

/* The event oracle's findings since the last call, as mismatches. */
static void collect_events(const char *where, unsigned gaps0)
{
	comparisons[O_EVENT] += sa.ev_checks;
	sa.ev_checks = 0;
	if (sa.ev_bad) {
		mismatches[O_EVENT] += sa.ev_bad;
		for (unsigned i = 0; i < sa.ev_nbad_stored; i++)
			if (printed++ < MAX_PRINTED)
				diag("walk: MISMATCH %s seed=%" PRIu64 " oracle=event: %s", where,
				     seed, sa.ev_first_bad[i]);
		sa.ev_bad = 0;
		sa.ev_nbad_stored = 0;
	}
	if (sa.gaps != gaps0) {
		mismatches[O_EVENT] += sa.gaps - gaps0;
		if (printed++ < MAX_PRINTED)
			diag("walk: MISMATCH %s seed=%" PRIu64 " oracle=event: %u gap(s) between kernel "
			     "events context A's callback saw, with no notice between them", where,
			     seed, sa.gaps - gaps0);
	}
}

static unsigned long total_mismatches(void)
{
	unsigned long t = 0;

	for (int o = 0; o < NORACLES; o++)
		t += mismatches[o];
	return t;
}

static unsigned long total_comparisons(void)
{
	unsigned long t = 0;

	for (int o = 0; o < NORACLES; o++)
		t += comparisons[o];
	return t;
}

/* Every walk device back on its host driver, driver_override cleared. */
static int restore_all(char *why, size_t len)
{
	char drv[NAMEL], p[PATH_MAX];
	bool any_removed = false;

	why[0] = 0;
	for (int i = 0; i < nwd; i++)
		any_removed |= !dev_present(wd[i].name);
	if (any_removed)
		write_file("/sys/bus/pci/rescan", "1");
	for (int i = 0; i < nwd; i++) {
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (strcmp(drv, wd[i].host)) {
			if (*drv) {
				snprintf(p, sizeof(p), PCI_DEVS "/%s/driver/unbind", wd[i].name);
				write_file(p, wd[i].name);
			}
		}
		snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", wd[i].name);
		if (!wd[i].port)
			write_file(p, "\n");
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (!*drv) {
			snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", wd[i].host);
			write_file(p, wd[i].name);
		}
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (strcmp(drv, wd[i].host) || (!wd[i].port && !override_clear(wd[i].name)))
			snprintf(why + strlen(why), len - strlen(why), " %.16s on '%.20s'%s;",
				 wd[i].name, drv,
				 override_clear(wd[i].name) ? "" : " with driver_override");
	}
	return *why ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned kcount[NKINDS] = { 0 }, done = 0, effect_bad = 0, barrier_missed = 0;
	int64_t t0, t_act = 0, t_bar = 0, t_cmp = 0, max_step = 0, t_end;
	int max_seconds = 0, rcvbuf = 0, r;
	bool verbose = false, seed_given = false, cut_short = false;
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *suba = NULL, *subb = NULL;
	static struct world start;
	uint64_t target;
	char why[1024];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps_wanted = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
			seed_given = true;
		} else if (!strcmp(argv[i], "--deadline") && i + 1 < argc)
			deadline_s = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc)
			max_seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rcvbuf") && i + 1 < argc)
			rcvbuf = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else {
			fprintf(stderr, "usage: walk [--steps N] [--seed S] [--deadline S] "
				"[--max-seconds S] [--rcvbuf BYTES] [-v]\n");
			return 2;
		}
	}
	if (deadline_s < 1)
		deadline_s = 1;
	if (!seed_given) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^
		       ((uint64_t)getpid() << 20);
		seed %= 1000000000000ULL;	/* short enough to type */
	}
	rng = seed;
	kernel_features();
	watchdog_msg = "not ok - walk: watchdog fired (hang)\n";
	signal(SIGALRM, on_alarm);
	/* the steps' own limit, plus the restore, plus slack */
	alarm(max_seconds ? (unsigned)max_seconds + 300 : 7200);
	setvbuf(stdout, NULL, _IOLBF, 0);

	diag("walk: seed=%" PRIu64 " steps=%u deadline=%d s%s", seed, steps_wanted, deadline_s,
	     max_seconds ? "" : ", no time limit");
	diag("walk: rerun in the guest: walk --seed %" PRIu64 " --steps %u; on the bench: "
	     "run-suite.sh --test walk --append 'VG_WALK_SEED=%" PRIu64 " VG_WALK_STEPS=%u'",
	     seed, steps_wanted, seed, steps_wanted);

	find_devices();
	if (nwd < 2) {
		result(false, "walk: at least two NICs on e1000/e1000e (found %d)", nwd);
		return 1;
	}
	for (int i = 0; i < nwd; i++)
		diag("walk: device %s host driver %s group %ld%s%s%s", wd[i].name, wd[i].host,
		     dev_group(wd[i].name), wd[i].port ? "" : " ids ", wd[i].port ? "" : wd[i].ids,
		     wd[i].port ? " (root port above the e1000e)" : "");
	if (access("/sys/bus/pci/drivers/vfio-pci", F_OK)) {
		result(false, "walk: vfio-pci is loaded");
		return 1;
	}

	r = raw_open();
	if (r) {
		result(false, "walk: raw netlink: family %s: %s", VFIOGROUP_FAMILY_NAME,
		       strerror(-r));
		return 1;
	}
	/* Context A: one unfiltered subscription; its callback keeps state. */
	sa.state = calloc(MAXG, sizeof(struct gst));
	if (!sa.state)
		return 1;
	r = vfiogroup_ctx_new(&ca, 0);
	if (!r)
		r = vfiogroup_subscribe(ca, NULL, VFIOGROUP_EVMASK_ALL, seen_cb, &sa, &suba);
	if (r) {
		result(false, "walk: library context A: %s", vfiogroup_ctx_last_error(ca));
		return 1;
	}
	if (rcvbuf > 0) {
		setsockopt(vfiogroup_get_fd(ca), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		diag("walk: context A's receive buffer shrunk to %d bytes (overflows expected)",
		     rcvbuf);
	}
	/* Context B: the e1000e's group and a multi-device group, filtered. */
	for (int i = 0; i < nwd && nfids < 2; i++) {
		long g = dev_group(wd[i].name);
		bool multi = false;

		for (int j = 0; j < nwd; j++)
			multi |= j != i && dev_group(wd[j].name) == g;
		if (g >= 0 && !wd[i].port && (!strcmp(wd[i].host, "e1000e") || multi) &&
		    (nfids == 0 || fids[0] != (uint32_t)g))
			fids[nfids++] = (uint32_t)g;
	}
	if (!nfids)
		fids[nfids++] = (uint32_t)dev_group(wd[0].name);
	r = vfiogroup_ctx_new(&cb, 0);
	if (!r)
		r = vfiogroup_filter_new(&f);
	for (int i = 0; !r && i < nfids; i++)
		r = vfiogroup_filter_add_group(f, fids[i]);
	if (!r)
		r = vfiogroup_subscribe(cb, f, VFIOGROUP_EVMASK_ALL, seen_cb, &sb, &subb);
	vfiogroup_filter_free(f);
	if (r) {
		result(false, "walk: library context B: %s", vfiogroup_strerror(r));
		return 1;
	}
	{
		socklen_t flen = 0;

		getsockopt(vfiogroup_get_fd(cb), SOL_SOCKET, SO_GET_FILTER, NULL, &flen);
		diag("walk: context B follows group(s) %u%s%.0u (kernel filter: %u instructions)",
		     fids[0], nfids > 1 ? " and " : "", nfids > 1 ? fids[1] : 0, (unsigned)flen);
	}

	/*
	 * Baselines: the callback state of every group starts from a raw dump
	 * (not the library's cache); A's seq from a raw info-get, B's per
	 * group from its own cache.  Nothing changes the state meanwhile.
	 */
	if (raw_info_seq(&target) || raw_dump(&start)) {
		result(false, "walk: raw info-get and dump at start");
		return 1;
	}
	sa.max_seq = sa.last_kernel = target;
	for (unsigned i = 0; i < start.n; i++) {
		int k = seen_slot(&sa, start.g[i].id);

		if (k < 0)
			continue;
		sa.state[k] = start.g[i];
		sa.present[k] = true;
		sa.lastseq[k] = start.g[i].seq;
	}
	for (int i = 0; i < nfids; i++) {
		struct gst g;
		int k = seen_slot(&sb, fids[i]);

		if (k >= 0 && !lib_get(cb, fids[i], &g))
			sb.lastseq[k] = g.seq;
	}
	diag("walk: module at seq %" PRIu64 ", %u groups", target, start.n);
	compare_all("at start");

	t0 = now_ms();
	t_end = max_seconds ? t0 + (int64_t)max_seconds * 1000 : INT64_MAX;
	for (unsigned s = 1; s <= steps_wanted; s++) {
		struct step st = { .n = (int)s };
		bool was_removed[MAXW];
		char where[256];
		int64_t a, b, c, e;
		unsigned gaps0 = sa.gaps;

		if (now_ms() >= t_end) {
			cut_short = true;
			break;
		}
		for (int i = 0; i < nwd; i++)
			was_removed[i] = !dev_present(wd[i].name);
		a = now_ms();
		do_step(&st);
		b = now_ms();
		kcount[st.k]++;
		if (st.k == K_REMOVE && nremoved_names < MAXW) {
			bool known = false;

			for (int i = 0; i < nremoved_names; i++)
				known |= !strcmp(removed_names[i], wd[st.dev].name);
			if (!known)
				scopy(removed_names[nremoved_names++], NAMEL, wd[st.dev].name);
		}
		snprintf(where, sizeof(where), "step=%u (%s)", s, st.desc);
		if (verbose)
			fprintf(stderr, "walk: %s\n", where);
		else if (s % 50 == 0)
			fprintf(stderr, "walk: step %u/%u at %" PRId64 " s\n", s, steps_wanted,
				(now_ms() - t0) / 1000);
		step_effect(&st, was_removed, why, sizeof(why));
		if (*why) {
			effect_bad++;
			if (effect_bad <= 20)
				diag("walk: step %u seed=%" PRIu64 ": %s did not take: %s", s, seed,
				     st.desc, why);
		}
		r = barrier(where, &target);
		c = now_ms();
		if (r)
			barrier_missed++;
		collect_events(where, gaps0);
		compare_all(where);
		e = now_ms();
		t_act += b - a;
		t_bar += c - b;
		t_cmp += e - c;
		if (e - a > max_step)
			max_step = e - a;
		done = s;
		if (barrier_missed >= 3) {
			diag("walk: three barriers missed: the walk ends at step %u", s);
			break;
		}
	}
	t_end = now_ms();

	/* Restore, then everything once more. */
	{
		unsigned gaps0 = sa.gaps;
		bool restored = !restore_all(why, sizeof(why));

		result(restored, "walk: every device back on its host driver, driver_override cleared%s%s",
		       restored ? "" : ":", why);
		r = barrier("after the restore", &target);
		if (r)
			barrier_missed++;
		collect_events("after the restore", gaps0);
		{
			unsigned long m0 = total_mismatches();

			compare_all("after the restore");
			result(total_mismatches() == m0 && !r,
			       "walk: after the restore all oracles equal sysfs for every group");
		}
	}

	/* Figures */
	{
		char kc[400], oc[600];
		size_t l = 0;
		bool all_kinds = true;
		unsigned long m = total_mismatches(), cmp = total_comparisons();
		double secs = (double)(t_end - t0) / 1000.0;

		for (int k = 0; k < NKINDS; k++) {
			l += (size_t)snprintf(kc + l, sizeof(kc) - l, "%s%s=%u", k ? " " : "",
					      knames[k], kcount[k]);
			if (!kcount[k] && !(k == K_PORT && port_idx < 0))
				all_kinds = false;
		}
		l = 0;
		for (int o = 0; o < NORACLES; o++)
			l += (size_t)snprintf(oc + l, sizeof(oc) - l, "%s%s=%lu/%lu", o ? " " : "",
					      onames[o], mismatches[o], comparisons[o]);
		diag("walk: kinds: %s", kc);
		diag("walk: mismatches/comparisons per oracle: %s", oc);
		diag("walk: events seen by context A: %u (%u synthesized; device-added=%u "
		     "device-removed=%u driver-bound=%u driver-unbound=%u viability-changed=%u "
		     "ready-changed=%u), notices %u; context B: %u events, %u notices",
		     sa.events, sa.synth, sa.kinds[1], sa.kinds[2], sa.kinds[3], sa.kinds[4],
		     sa.kinds[5], sa.kinds[6], sa.notices, sb.events, sb.notices);
		if (done) {
			int64_t known = t_phase[0] + t_phase[1] + t_phase[2] + t_phase[3];

			diag("walk: %u steps in %.1f s: %.0f ms/step (action %" PRId64 ", barrier %" PRId64
			     ", comparisons %" PRId64 "), slowest step %" PRId64 " ms",
			     done, secs, secs * 1000.0 / done, t_act / done, t_bar / done,
			     t_cmp / done, max_step);
			diag("walk: comparisons, ms/step: sysfs %.1f, raw dump %.1f, VFIO %.1f, raw gets "
			     "%.1f, library %.1f", t_phase[0] / 1000.0 / done, t_phase[1] / 1000.0 / done,
			     t_phase[2] / 1000.0 / done, t_phase[3] / 1000.0 / done,
			     (t_phase[4] - known) / 1000.0 / done);
		}
		if (printed > MAX_PRINTED || repeats)
			diag("walk: not printed: %lu mismatches past the first %d, %lu the same as "
			     "in the step before", printed > MAX_PRINTED ? printed - MAX_PRINTED : 0,
			     MAX_PRINTED, repeats);
		if (raw_malformed)
			diag("walk: %u malformed raw replies", raw_malformed);
		printf("# walk: seed=%" PRIu64 " steps=%u comparisons=%lu mismatches=%lu events=%u "
		       "vfio-status=%lu ready=%lu seconds=%.0f\n", seed, done, cmp, m, sa.events,
		       vfio_checks, ready_checks, secs);

		result(m == 0 && !raw_malformed,
		       "walk: %u steps, %lu comparisons, %lu mismatches (cache, callback, dump, get, "
		       "filtered, events)%s", done, cmp, m,
		       m ? ": rerun with the seed above" : "");
		if (vfio_checks)
			result(mismatches[O_VFIO] == 0 && mismatches[O_RULE_VFIO] == 0,
			       "walk: viability == VFIO_GROUP_GET_STATUS in %lu comparisons", vfio_checks);
		else
			result(false, "walk: VFIO_GROUP_GET_STATUS was never available (no /dev/vfio/N)");
		result(mismatches[O_READY_VFIO] == 0 && mismatches[O_RULE_READY] == 0 &&
		       (sa.ready_flips > 0 || done < 50),
		       "walk: ready == (VFIO viable and /dev/vfio/N exists) == rule in %lu comparisons "
		       "(and in %lu whole-state comparisons), %u ready-changed each flipping it",
		       comparisons[O_READY_VFIO], ready_checks - comparisons[O_READY_VFIO],
		       sa.ready_flips);
		result(inuse_bad == 0, "walk: group-in-use %s in all %lu raw replies",
		       k_in_use ? "present and 0" : "absent (before 5.19)", inuse_checks);
		if (done >= 100)
			result(all_kinds, "walk: every transition kind occurred (%s)", kc);
		else
			printf("ok - walk: every transition kind occurred # SKIP %u steps are too few "
			       "(%s)\n", done, kc);
		result(effect_bad == 0, "walk: every step had its intended effect in sysfs (%u did not)",
		       effect_bad);
		result(barrier_missed == 0, "walk: the library caught up with the module within %d s "
		       "after every step (%u missed)", deadline_s, barrier_missed);
		if (cut_short)
			printf("ok - walk: all %u steps # SKIP guest time budget: %u of %u steps in "
			       "%d s\n", steps_wanted, done, steps_wanted, max_seconds);
		else if (done < steps_wanted)
			result(false, "walk: all %u steps (ended at %u)", steps_wanted, done);
	}
	fflush(stdout);
	vfiogroup_unsubscribe(suba);
	vfiogroup_unsubscribe(subb);
	vfiogroup_ctx_unref(ca);
	vfiogroup_ctx_unref(cb);
	nl_socket_free(nsk);
	free(sa.state);
	return nfail ? 1 : 0;
}
