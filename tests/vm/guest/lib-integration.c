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
 * The sysfs side is walked by hand (no library involved): PCI only,
 * drivers from the driver links, a group viable iff no device in it is bound
 * to a driver other than vfio-pci, pci-stub or pcieport.
 *
 * This file holds main(), which picks the scenario; each scenario lives in
 * lib-integration-NAME.c (window in four files), what they share in
 * lib-integration-sysfs.c and lib-integration-common.c.
 */
#include "lib-integration.h"

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
