// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the barrier after a step -- waits by sequence numbers until
 * contexts A and B have caught up with the module, or the deadline passes.
 */
#include "walk.h"

/*
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
 */

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
int barrier(const char *where, uint64_t *target_out)
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
