// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration filtered: two contexts with kernel filters for one group
 * each and one without, during unbind/bind cycles: each filtered one gets
 * exactly its group's events, the unfiltered one all, without a gap.
 */
#include "lib-integration.h"

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
			if (pci_unbind(b->dev[k]))
				b->errors++;
			if (pci_bind(b->dev[k], b->drv[k]))
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

int cmd_filtered(int argc, char **argv)
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
		pci_driver(b.dev[k], b.drv[k], NAME_LEN);
		g[k] = pci_group(b.dev[k]);
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
