// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the count of comparisons and mismatches per oracle, and how a
 * mismatch is printed (once while it lasts, the first 60 in full); the
 * event oracle's findings collected as mismatches.
 */
#include "walk.h"

const char *const onames[NORACLES] = {
	"dump", "get", "cache", "find-device", "callback", "filtered",
	"vfio-status", "rule-vs-vfio", "ready-vs-vfio", "ready-rule-vs-vfio", "in-use",
	"event", "barrier",
};
unsigned long comparisons[NORACLES], mismatches[NORACLES];
unsigned long printed, vfio_checks;
/* ready compared: in each whole-state comparison and against VFIO */
unsigned long ready_checks;

/*
 * A mismatch that stays from one comparison round to the next (same oracle,
 * group, states) is counted each time but printed once: rounds keep the
 * hashes of their mismatches.
 */
#define MAXH 512
static uint64_t hprev[MAXH], hcur[MAXH];
static unsigned nhprev, nhcur;
unsigned long repeats;

void new_round(void)
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

void mismatch(int o, const char *where, uint32_t gid, const struct gst *want,
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
void compare(int o, const char *where, uint32_t gid, const struct gst *want,
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

/* The event oracle's findings since the last call, as mismatches. */
void collect_events(const char *where, unsigned gaps0)
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

unsigned long total_mismatches(void)
{
	unsigned long t = 0;

	for (int o = 0; o < NORACLES; o++)
		t += mismatches[o];
	return t;
}

unsigned long total_comparisons(void)
{
	unsigned long t = 0;

	for (int o = 0; o < NORACLES; o++)
		t += comparisons[o];
	return t;
}
