// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration window: the devices toggled and the steps of the
 * scenarios stall, drain and child, each ended by the barrier and the
 * oracles.
 */
#include "lib-integration.h"
#include "lib-integration-window.h"

#include <sys/wait.h>

/* --- the devices --------------------------------------------------- */

/* One transition of d: unbind it, or bind it (its driver or vfio-pci). */
static int toggle_dev(struct w_tdev *d, char *what, size_t len)
{
	char now[NAME_LEN];
	int r;

	pci_driver(d->name, now, sizeof(now));
	if (*now) {
		r = pci_unbind(d->name);
		snprintf(what, len, "unbind %s from %s", d->name, now);
	} else {
		const char *to = d->vfio && d->next++ % 2 ? "vfio-pci" : d->orig;

		r = pci_bind(d->name, to);
		snprintf(what, len, "bind %s to %s", d->name, to);
	}
	return r;
}

int w_toggle(struct win *w, int k, char *what, size_t len)
{
	int r = toggle_dev(&w->dev[k], what, len);

	if (r && w->sysfs_err++ < 5)
		diag("window: %s: %s", what, strerror(-r));
	return r;
}

/* --- steps ----------------------------------------------------------- */

void step_begin(struct win *w, struct w_step *s, const char *scen)
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
/*
 * The module sends its notifications from a work item, after the sysfs
 * write returned: wait until the raw listener heard the newest seq, so that
 * every event made so far is in the contexts' sockets too (one multicast
 * reaches every socket) before a context reads them.
 */
static void wait_delivered(struct win *w, struct w_step *s)
{
	int err = 0;
	uint64_t seq = raw_info_seq(w, &err);

	if (err || !raw_heard(w, seq, now_ms() + W_DEADLINE_MS))
		not_raced(s, "the raw listener did not hear seq %" PRIu64 " within %d s",
			  seq, W_DEADLINE_MS / 1000);
}

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
	wait_delivered(w, s);
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
void step_end(struct win *w, struct w_step *s)
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

			pci_driver(w->dev[k].name, now, sizeof(now));
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
void step_stall(struct win *w, int armed, int rep, struct w_step *s,
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
void step_drain(struct win *w, int rep, struct w_step *s,
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
void step_child(struct win *w, int rep, int rounds, struct w_step *s)
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


void scen_add(struct w_scen *sc, struct win *w, const struct w_step *s,
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
