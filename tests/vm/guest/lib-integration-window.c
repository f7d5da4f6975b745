// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration window: acting while a context resynchronises, checked
 * against a raw listener.  This file holds the scenario's entry point and
 * set-up; lib-integration-window.h lists the other three files.
 */
#include "lib-integration.h"
#include "lib-integration-window.h"

#include <sys/mman.h>

#include <linux/netlink.h>

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

int cmd_window(int argc, char **argv)
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
		long g = pci_group(d->name);

		pci_driver(d->name, d->orig, NAME_LEN);
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
