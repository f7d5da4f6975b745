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
 * How it steps, waits and compares is described beside the code: the
 * devices and the transition kinds in walk-devices.c and walk-step.c, the
 * barrier in walk-barrier.c, the oracles in walk-compare.c and
 * walk-event.c; walk.h lists every file.
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
#include "walk.h"

#include <netlink/netlink.h>
#include <netlink/socket.h>

/* The program's state: in walk.h too, because the oracles read it. */
struct vfiogroup_ctx *ca, *cb;
struct seen sa = { .name = "A" }, sb = { .name = "B" };
uint32_t fids[2];
int nfids;
uint64_t seed;
static unsigned steps_wanted = 500;
int deadline_s = 20;

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
