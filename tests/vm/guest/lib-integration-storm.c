// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration storm: a filtered context that stops reading while
 * bind/unbind toggles overflow its socket, then must notice the loss
 * (ENOBUFS) and heal its cache.
 */
#include "lib-integration.h"

#define MAX_DEVS	8

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

		pci_driver(s->dev[k], now, sizeof(now));
		if (*now) {
			r = pci_unbind(s->dev[k]);
			to = "-";
		} else {
			to = s->alt[k] && s->alt_next[k]++ % 2 ? "vfio-pci"
							       : s->orig[k];
			r = pci_bind(s->dev[k], to);
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

int cmd_storm(int argc, char **argv)
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
		pci_driver(s.dev[k], s.orig[k], NAME_LEN);
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
		groups[k] = pci_group(s.dev[k]);
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

		result(!strcmp(pci_driver(s.dev[k], now, sizeof(now)), s.orig[k]),
		       "%s back on %s", s.dev[k], s.orig[k]);
	}
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}
