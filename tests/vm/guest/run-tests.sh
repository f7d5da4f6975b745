#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# run-tests.sh [SECTION...]: the vfiogroup tests inside the VM guest.
#
# Runs under busybox ash (busybox-static applets only) as root, from the
# bench's /init (tests/vm/guest-init.sh), with vgprobe, vgns, vgvfio and
# vgsys next to this script (or on PATH), and for "lib" lib-integration,
# vfiogroup and vmm-wait.
# Prints TAP on stdout (plan at the end), diagnostics as "# ..." lines;
# progress goes to stderr (the guest console).
#
# This file is the driver: it finds the programs, sets up, sources the
# shared helpers and then each section's file in the order they run, and
# prints the plan.  The helpers (sourced before any section):
#   helpers-tap.sh         ok, notok, skip, check, diag, log, indent, lib_tap
#   helpers-sysfs.sh       drivers, groups, devices from sysfs; the viability
#                          and readiness rule (rule_viable, rule_ready);
#                          bind_dev, unbind_dev, rebind
#   helpers-module.sh      MODULE_KO, loaded, vg_field, module_viable,
#                          module_group, module_seq
#   helpers-monitor.sh     vgprobe monitors: mon_start, mon_wait, mon_stop,
#                          mon_check, events_of, nevents, alive
#   helpers-cli.sh         vfiogroup(8)'s output read back (cli_listing,
#                          json_listing, cli_events, json_events, ...),
#                          cli_mon_start
#   helpers-transition.sh  trans_begin/trans_end, viability_check, act_*,
#                          bound_words; remove_rescan, bind_expect,
#                          unbind_expect for listeners other than M
# Here: find_prog, wait_for, want, time_left, cleanup.
#
# Sections (all by default; arguments or $VG_TEST select some, shell
# patterns allowed; "events" needs the earlier ones only for context), each
# in the file named after it, listed here in the order they run:
#   load      (load.sh) the module is loaded (insmod if
#             /sys/module/vfiogroup is absent)
#   dump      (dump.sh) (a) dump == /sys/kernel/iommu_groups, drivers ==
#             sysfs links; get --id / --dev, info
#   events    (events.sh)
#             (b) unbind e1000, bind vfio-pci, /dev/vfio/N appears
#             (c) viability == VFIO_GROUP_GET_STATUS after every step,
#                 multi-device groups (two-function e1000, 00:1f.x)
#             (d) PCI remove + rescan of the e1000e
#             (e) no sequence gaps, every transition gave its events
#   bad       (bad.sh) (g) malformed requests: EINVAL + extack, unknown
#             cmd EOPNOTSUPP; every attribute type an operation does not
#             list: EINVAL
#   user      (user-netns.sh) (h) uid 1000 can dump and subscribe
#   netns     (user-netns.sh) (i) a net ns of the initial user ns gets
#             events, one owned by a new user ns gets none
#   rmmod     (rmmod.sh) (f) rmmod with a listener blocked: ESHUTDOWN, then
#             insmod, dump
#   lib       (lib.sh, then lib-cli.sh, lib-monitor.sh, lib-scenarios.sh)
#             libvfiogroup, vfiogroup(8) and examples/vmm-wait against the
#             module (lib-integration, vfiogroup, vmm-wait next to this
#             script): list/show/-j == sysfs; monitor sees each transition;
#             wait --viable (0, timeout 3); vmm-wait holds and loses a group;
#             unsubscribe inside callbacks on a live stream; a bind/unbind
#             storm against a stalled consumer overflows it and the cache
#             heals ("# storm-toggles=N overflow-detected=1 healed=1");
#             binds and unbinds in a resync's window, every event checked
#             against a raw listener ("# window: runs=N ... unaccounted=0");
#             rmmod/insmod while subscribed.  VG_STORM=N: storm size.
#   qemu      (qemu.sh, with qemu-oracle.sh) Debian's qemu-system-x86_64
#             (/payload/qemu) as the oracle: -device vfio-pci,host=BDF
#             refused for the lone e1000 on e1000, realised on vfio-pci,
#             refused while another QEMU holds its group (the module
#             saying inuse=1 from 5.19) and realised again after, refused
#             when unbound; the two-function e1000 refused with one
#             function on e1000, realised with both on vfio-pci; 00:1f.3
#             realised on vfio-pci beside its unbound siblings.  The same
#             again on the cdev path (sid's QEMU, -object iommufd) where the
#             kernel has IOMMUFD, each hold tried on both paths.  QEMU's errors as "# " lines,
#             "# qemu: starts=N (cdev path C) realised=R failed=F ..."
#   qemu-walk (qemu-walk.sh) a seeded random walk of 40 steps (unbind,
#             vfio-pci, host driver, libvirt's unbind-then-bind, remove and
#             rescan, a QEMU holding a group) where QEMU judges the
#             library's readiness after each step: 0 disagreements, every
#             "not ready" names a device sysfs confirms, "vfiogroup wait
#             --ready --device" then QEMU never fails.
#             VG_QEMU_WALK_STEPS, VG_QEMU_WALK_SEED.
#   ynl       (ynl.sh) the YNL C client and Python CLI, built from the spec
#             (/payload/ynl), agree with vgprobe, sysfs and vfiogroup -j
#   hooks     (hooks.sh) vfiogroup-hooks (next to this script) runs a
#             hooks directory on the e1000's unbind, vfio-pci, unbind,
#             e1000: each event once, in seq order, hooks in name order,
#             VFIOGROUP_* as sysfs says; a hook past --hook-timeout killed
#             and logged, the next still runs; skipped files never run;
#             SIGTERM exits 0
#   hooks-metrics (hooks-metrics.sh) vfiogroup-hooks --textfile read by
#             Debian's node_exporter (/payload/node-exporter; skipped
#             without it), scraped with vghttp: groups == sysfs, event
#             counters grow by exactly the events of a vfio-pci round trip
#   bindings  (bindings.sh) the Go package's and the Rust crate's test
#             programs (vfiogroup-go-check, vfiogroup-rust-check, from
#             tests/vm/bindings-payload.sh): list, events of a bind/unbind/
#             remove/rescan sequence, overflow with a stalled consumer,
#             rmmod/insmod while watching, each against sysfs; the Go
#             device-plugin example and the Rust launcher example
#   kunit     (kunit.sh) vfiogroup_kunit.ko's KTAP, one line per case
#   faults    (faults.sh) failslab fail-nth on load, unbind, bind, get, dump
#   order     (order.sh) two groups' binds and unbinds at once: the raw
#             stream in sequence order, no gap, each event with its group's
#             state, and the loops shown to have raced.  VG_ORDER_CYCLES.
#   stress    (stress.sh) 100 rmmod/insmod cycles, two subscribers, a
#             bind/unbind loop
#   walk      (walk.sh) a seeded random walk of 500 steps (unbind, vfio-pci
#             three ways, host driver, PCI remove, rescan, pcieport) checked
#             after each step against sysfs, VFIO, raw dump/get, the
#             library's cache and callbacks.  VG_WALK_STEPS, VG_WALK_SEED.
# Only when named (want_explicit; "make bench", tests/bench/run.sh):
#   bench     (bench.sh) the performance bench: latency of four listening
#             paths, CPU per event, wakeups, storm, idle sockets
#   scale     (bench.sh) the same bench's boot with many edu devices: dump,
#             ctx_new, sysfs walk, memory per device, a rescan burst
#
# Expected events are derived from sysfs with the kernel >= 5.19 rule
# (helpers-sysfs.sh's rule_viable, held against VFIO): a group is viable
# iff no device in it is bound to a driver other than vfio-pci, pci-stub
# or pcieport (the drivers with driver_managed_dma).
#
# Nothing may hang: every wait polls with a deadline, every monitor has a
# timeout, and leftover monitors are killed on exit.

HERE=$(cd "$(dirname "$0")" && pwd)
# find_prog NAME: next to this script, in bin/, or on PATH
find_prog() {
	for _c in "$HERE/$1" "$HERE/bin/$1" "$(command -v "$1" 2>/dev/null)"; do
		if [ -n "$_c" ] && [ -x "$_c" ]; then echo "$_c"; return 0; fi
	done
	return 1
}

# The netlink oracle, and its companions: namespaces and uid, the VFIO
# side of a group, and module load and sysfs write (fault-injected).
VG=$(find_prog vgprobe) VGNS=$(find_prog vgns) VGVFIO=$(find_prog vgvfio) VGSYS=$(find_prog vgsys)

T=$(mktemp -d /tmp/vgtest.XXXXXX) || T=/tmp/vgtest.$$
mkdir -p "$T/u"
chmod 755 "$T"
chmod 1777 "$T/u"		# ready files of monitors running as uid 1000

# shellcheck source=helpers-tap.sh source-path=SCRIPTDIR
. "$HERE/helpers-tap.sh"

PIDS=
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	_t=$(($1 * 10))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" && return 0
		usleep 100000
		_t=$((_t - 1))
	done
	"$@"
}

want() { # want SECTION: selected on the command line / $VG_TEST?
	[ $# -gt 0 ] || return 0
	[ -z "$SELECT" ] && return 0
	for _p in $SELECT; do
		# shellcheck disable=SC2254
		case $1 in $_p) return 0 ;; esac
	done
	return 1
}
# want_explicit SECTION: named by the selection; never part of a run of
# all sections (the bench's sections measure, they do not test).
want_explicit() {
	[ -n "$SELECT" ] || return 1
	want "$1"
}
SELECT="$*"
[ -n "$SELECT" ] || SELECT=$(echo "${VG_TEST:-}" | tr ',' ' ')
RT_T0=$(cut -d. -f1 /proc/uptime)
RT_BUDGET=$(sed -n 's/.*vg\.timeout=\([0-9]*\).*/\1/p' /proc/cmdline 2>/dev/null)
RT_BUDGET=${RT_BUDGET:-540}
case " $SELECT " in *" run-tests "*|*" all "*) SELECT= ;; esac

uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
# time_left: seconds of the guest budget (vg.timeout, counted by /init's
# watchdog from about when this script started) left for tests, keeping 75 s
# for the bench's own start, the kmemleak scans and power-off.  The debug
# kernel is several times slower: the slow parts of "lib" shrink or skip
# rather than let the watchdog end the run.
time_left() {
	echo $((RT_T0 + RT_BUDGET - 75 - $(cut -d. -f1 /proc/uptime)))
}

# The debug kernels (KASAN, lockdep, kmemleak; 4-8 times slower) check the
# module's memory and locking: the sections that test user space (QEMU as
# the oracle, the YNL CLI, the hook daemon, node_exporter) are left to
# Debian's kernels, and the loops that only need to run long enough to race
# run shorter.  A knob on the command line still wins.
DEBUG_KERNEL=0
case $(uname -r) in *-debug*) DEBUG_KERNEL=1 ;; esac
user_space_section() { case $1 in qemu-walk|ynl|hooks|hooks-metrics|bindings) true ;; *) false ;; esac; }
if [ "$DEBUG_KERNEL" = 1 ]; then
	: "${VG_ORDER_CYCLES:=15}" "${VG_STRESS_CYCLES:=50}" "${VG_WALK_STEPS:=200}"
fi

# The shared helpers: sysfs and the viability rule, the module's view,
# vgprobe monitors, vfiogroup(8)'s output, transitions and their events.
# shellcheck source=helpers-sysfs.sh source-path=SCRIPTDIR
. "$HERE/helpers-sysfs.sh"
# shellcheck source=helpers-module.sh source-path=SCRIPTDIR
. "$HERE/helpers-module.sh"
# shellcheck source=helpers-monitor.sh source-path=SCRIPTDIR
. "$HERE/helpers-monitor.sh"
# shellcheck source=helpers-cli.sh source-path=SCRIPTDIR
. "$HERE/helpers-cli.sh"
# shellcheck source=helpers-transition.sh source-path=SCRIPTDIR
. "$HERE/helpers-transition.sh"

# ---------------------------------------------------------------- the sections
# One file per section (per part of "lib"), in the order they run: the
# TAP numbering is the whole run's.  Each is guarded by its "want NAME".
# shellcheck source=load.sh source-path=SCRIPTDIR
. "$HERE/load.sh"
# shellcheck source=dump.sh source-path=SCRIPTDIR
. "$HERE/dump.sh"

# The e1000 to use: one alone in its group (00:02.0 on the bench), for
# events and the sections after it (user, netns, lib, qemu, ynl, faults,
# stress).
# shellcheck disable=SC2119 # no device to leave out
E=$(lone_e1000)
E_DRV=e1000

# shellcheck source=events.sh source-path=SCRIPTDIR
. "$HERE/events.sh"
# shellcheck source=bad.sh source-path=SCRIPTDIR
. "$HERE/bad.sh"
# shellcheck source=user-netns.sh source-path=SCRIPTDIR
. "$HERE/user-netns.sh"
# shellcheck source=rmmod.sh source-path=SCRIPTDIR
. "$HERE/rmmod.sh"
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$HERE/lib.sh"
# shellcheck source=lib-cli.sh source-path=SCRIPTDIR
. "$HERE/lib-cli.sh"
# shellcheck source=lib-monitor.sh source-path=SCRIPTDIR
. "$HERE/lib-monitor.sh"
# shellcheck source=lib-scenarios.sh source-path=SCRIPTDIR
. "$HERE/lib-scenarios.sh"
# shellcheck source=qemu.sh source-path=SCRIPTDIR
. "$HERE/qemu.sh"

# ---------------------------------------------------------------- qemu-walk, ynl, hooks, hooks-metrics, bindings, kunit, faults, order, stress, walk, bench
# (qemu-walk before walk: on 5.10 a device walk removes and rescans can no
# longer be given to VFIO, see qemu-walk.sh)
for _sec in qemu-walk ynl hooks hooks-metrics bindings kunit faults order stress walk bench; do
	if [ "$DEBUG_KERNEL" = 1 ] && [ -z "$SELECT" ] && user_space_section "$_sec"; then
		skip "$_sec: the whole section" "not on the debug kernels unless named by --test: it tests user space, whose module side (get, dump, events) the other sections run under KASAN and lockdep"
		continue
	fi
	case ",${VG_ELSEWHERE:-}," in *",$_sec,"*)
		skip "$_sec: the whole section" "another kernel of this run covers it better (VG_ELSEWHERE; tests/vm/run-suite.sh says which)"
		continue ;;
	esac
	# shellcheck source=/dev/null
	. "$HERE/$_sec.sh"
done

echo "1..$n"
log "done: $n tests, $nfail failed"
[ "$nfail" -eq 0 ]
