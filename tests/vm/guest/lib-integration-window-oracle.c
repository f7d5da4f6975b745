// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration window: what the contexts under test were told (their
 * callback), the quiesce barrier, and the oracle that accounts for every
 * ground-truth event.
 */
#include "lib-integration.h"
#include "lib-integration-window.h"

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
void w_snapshot(struct wctx *c)
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

void win_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
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

void w_stats(struct wctx *c, struct vfiogroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	vfiogroup_stats(c->ctx, st, sizeof(*st));
}

/* Dispatch until nothing more is read (or the deadline); false on error. */
bool w_dispatch(struct win *w, struct wctx *c, int64_t end)
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

/* Has the raw listener heard seq (waiting until end, in ms)? */
bool raw_heard(struct win *w, uint64_t seq, int64_t end)
{
	while (w->tlast < seq) {
		if (now_ms() > end)
			return false;
		usleep(1000);
	}
	return true;
}

/*
 * The barrier, by sequence numbers rather than sleeps.  Every writer has
 * returned (the sysfs writes of this process, the armed callbacks, the
 * child reaped): the module numbered their notifications inside the
 * writes (and sends them from a work item), so every event is at or before
 * the newest seq S that info-get answers now.  Wait until the raw listener has S (so the ground truth is
 * complete), then dispatch each context until its socket is not readable
 * and vfiogroup_dispatch() reads nothing more; check that S did not move
 * meanwhile.  Returns S, or 0 when the deadline passed or something
 * failed (said in a diagnostic).
 */
uint64_t quiesce(struct win *w, const char *when)
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
		if (!raw_heard(w, s, end)) {
			diag("window: %s: QUIESCE DEADLINE: the raw listener did not hear seq %" PRIu64
			     " within %d s (it has %" PRIu64 ")", when, s,
			     W_DEADLINE_MS / 1000, (uint64_t)w->tlast);
			return 0;
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
unsigned account(struct win *w, uint64_t upto, unsigned *dl,
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
