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
# Sections (all by default; arguments or $VG_TEST select some, shell
# patterns allowed; "events" needs the earlier ones only for context):
#   load      the module is loaded (insmod if /sys/module/vfiogroup is absent)
#   dump      (a) dump == /sys/kernel/iommu_groups, drivers == sysfs links;
#             get --id / --dev, info
#   events    (b) unbind e1000, bind vfio-pci, /dev/vfio/N appears
#             (c) viability == VFIO_GROUP_GET_STATUS after every step,
#                 multi-device groups (two-function e1000, 00:1f.x)
#             (d) PCI remove + rescan of the e1000e
#             (e) no sequence gaps, every transition gave its events
#   bad       (g) malformed requests: EINVAL + extack, unknown cmd EOPNOTSUPP;
#             every attribute type an operation does not list: EINVAL
#   user      (h) uid 1000 can dump and subscribe
#   netns     (i) a net ns of the initial user ns gets events, one owned
#                 by a new user ns gets none
#   rmmod     (f) rmmod with a listener blocked: ESHUTDOWN, then insmod, dump
#   lib       libvfiogroup, vfiogroup(8) and examples/vmm-wait against the
#             module (lib-integration, vfiogroup, vmm-wait next to this
#             script): list/show/-j == sysfs; monitor sees each transition;
#             wait --viable (0, timeout 3); vmm-wait holds and loses a group;
#             unsubscribe inside callbacks on a live stream; a bind/unbind
#             storm against a stalled consumer overflows it and the cache
#             heals ("# storm-toggles=N overflow-detected=1 healed=1");
#             binds and unbinds in a resync's window, every event checked
#             against a raw listener ("# window: runs=N ... unaccounted=0");
#             rmmod/insmod while subscribed.  VG_STORM=N: storm size.
#   qemu      (qemu-oracle.sh) Debian's qemu-system-x86_64 (/payload/qemu)
#             as the oracle: -device vfio-pci,host=BDF refused for the lone
#             e1000 on e1000, realised on vfio-pci, refused while another
#             QEMU holds its group (the module saying inuse=1 from 5.19)
#             and realised again after, refused when unbound; the
#             two-function e1000 refused with one function on e1000,
#             realised with both on vfio-pci; 00:1f.3 realised on vfio-pci
#             beside its unbound siblings.  The same again on the cdev path
#             (sid's QEMU, -object iommufd) where the kernel has IOMMUFD,
#             each hold tried on both paths.  QEMU's errors as "# " lines,
#             "# qemu: starts=N (cdev path C) realised=R failed=F ..."
#   ynl       (ynl.sh) the YNL C client and Python CLI, built from the spec
#             (/payload/ynl), agree with vgprobe, sysfs and vfiogroup -j
#   kunit     (kunit.sh) vfiogroup_kunit.ko's KTAP, one line per case
#   faults    (faults.sh) failslab fail-nth on load, unbind, bind, get, dump
#   stress    (stress.sh) 100 rmmod/insmod cycles, two subscribers, a
#             bind/unbind loop
#   walk      (walk.sh) a seeded random walk of 500 steps (unbind, vfio-pci
#             three ways, host driver, PCI remove, rescan, pcieport) checked
#             after each step against sysfs, VFIO, raw dump/get, the
#             library's cache and callbacks.  VG_WALK_STEPS, VG_WALK_SEED.
#   qemu-walk (qemu-walk.sh) a seeded random walk of 40 steps (unbind,
#             vfio-pci, host driver, libvirt's unbind-then-bind, remove and
#             rescan, a QEMU holding a group) where QEMU judges the
#             library's readiness after each step: 0 disagreements, every
#             "not ready" names a device sysfs confirms, "vfiogroup wait
#             --ready --device" then QEMU never fails.
#             VG_QEMU_WALK_STEPS, VG_QEMU_WALK_SEED.
#
# Expected events are derived from sysfs with the kernel >= 5.19 rule: a
# group is viable iff no device in it is bound to a driver other than
# vfio-pci, pci-stub or pcieport (the drivers with driver_managed_dma).
#
# Nothing may hang: every wait polls with a deadline, every monitor has a
# timeout, and leftover monitors are killed on exit.

HERE=$(cd "$(dirname "$0")" && pwd)
# guest_tool NAME: the program next to this script, in bin/, or on PATH
guest_tool() {
	for _c in "$HERE/$1" "$HERE/bin/$1" "$(command -v "$1" 2>/dev/null)"; do
		if [ -n "$_c" ] && [ -x "$_c" ]; then echo "$_c"; return; fi
	done
}
# The netlink oracle, and its companions: namespaces and uid, the VFIO
# side of a group, and module load and sysfs write (fault-injected).
VG=$(guest_tool vgprobe) VGNS=$(guest_tool vgns) VGVFIO=$(guest_tool vgvfio) VGSYS=$(guest_tool vgsys)

T=$(mktemp -d /tmp/vgtest.XXXXXX) || T=/tmp/vgtest.$$
mkdir -p "$T/u"
chmod 755 "$T"
chmod 1777 "$T/u"		# ready files of monitors running as uid 1000

n=0 nfail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # check DESC CONDITION...: ok if the command succeeds
	_d=$1
	shift
	if "$@"; then ok "$_d"; else notok "$_d"; fi
}
diag() { echo "# $*"; }
log() { echo "run-tests: $*" >&2; }
indent() { sed 's/^/#   /'; }

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
SELECT="$*"
[ -n "$SELECT" ] || SELECT=$(echo "${VG_TEST:-}" | tr ',' ' ')
RT_T0=$(cut -d. -f1 /proc/uptime)
RT_BUDGET=$(sed -n 's/.*vg\.timeout=\([0-9]*\).*/\1/p' /proc/cmdline 2>/dev/null)
RT_BUDGET=${RT_BUDGET:-540}
case " $SELECT " in *" run-tests "*|*" all "*) SELECT= ;; esac

# ---------------------------------------------------------------- sysfs

PCI=/sys/bus/pci/devices
drv_of() { # drv_of SYSFS-DEVICE-PATH -> driver name or -
	if [ -e "$1/driver" ]; then basename "$(readlink "$1/driver")"; else echo -; fi
}
pdrv() { drv_of "$PCI/$1"; }
grp_of() { basename "$(readlink "$PCI/$1/iommu_group")"; }
managed() { # does a device on driver $1 leave its group viable?
	case $1 in -|vfio-pci|pci-stub|pcieport) return 0 ;; esac
	return 1
}
# rule_viable GROUP [EXCLUDED-DEVICE]: the test's model of viability, from
# sysfs alone (every device unbound or on a driver that manages its own
# DMA).  It restates the module's rule, so it predicts events but proves
# nothing by itself: viability_check holds it against VFIO_GROUP_GET_STATUS
# wherever the group has a node, and the events section fails if that
# comparison never happened.
rule_viable() {
	for _d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_d" ] || continue
		[ "${_d##*/}" = "${2:-}" ] && continue
		managed "$(drv_of "$_d")" || { echo 0; return; }
	done
	echo 1
}
group_devs() { # group_devs GROUP: device names
	for _d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_d" ] && echo "${_d##*/}"
	done
}
ndevs() { group_devs "$1" | wc -l; }
sysfs_listing() { # "GROUP DEV BUS DRIVER", sorted
	for _g in /sys/kernel/iommu_groups/*; do
		[ -d "$_g/devices" ] || continue
		for _d in "$_g"/devices/*; do
			[ -e "$_d" ] || continue
			echo "${_g##*/} ${_d##*/} $(basename "$(readlink "$_d/subsystem")") $(drv_of "$_d")"
		done
	done | sort
}
kver_ge() { # kver_ge MAJOR MINOR
	_v=$(uname -r)
	_ma=${_v%%.*}
	_mi=${_v#*.}
	_mi=${_mi%%[!0-9]*}
	[ "$_ma" -gt "$1" ] || { [ "$_ma" -eq "$1" ] && [ "$_mi" -ge "$2" ]; }
}
# What the module says of a group's in-use state: 0 (nobody holds it) from
# 5.19, "-" (no attribute) up to 5.18.  VFIO_DEV_NAMES: from 6.1 VFIO adds
# a vfio-dev device under each device it registers.
if kver_ge 5 19; then INUSE_IDLE=0; else INUSE_IDLE=-; fi
if kver_ge 6 1; then VFIO_DEV_NAMES=1; else VFIO_DEV_NAMES=0; fi
# dev_vfio SYSFS-DEVICE-PATH: registered with VFIO?  From 6.1 it has a
# vfio-dev/vfioX child; up to 6.0 its driver has "vfio" in its name.
dev_vfio() {
	if [ "$VFIO_DEV_NAMES" = 1 ]; then
		for _v in "$1"/vfio-dev/vfio*; do [ -e "$_v" ] && return 0; done
		return 1
	fi
	case $(drv_of "$1") in *vfio*) return 0 ;; esac
	return 1
}
# rule_ready GROUP [EXCLUDED-DEVICE]: 1 when the group is viable by the rule
# and some device of it (but the excluded one) is registered with VFIO
rule_ready() {
	if [ "$(rule_viable "$1" "${2:-}")" = 1 ]; then
		for _rd in /sys/kernel/iommu_groups/"$1"/devices/*; do
			[ -e "$_rd" ] || continue
			[ "${_rd##*/}" = "${2:-}" ] && continue
			dev_vfio "$_rd" && { echo 1; return; }
		done
	fi
	echo 0
}

# ---------------------------------------------------------------- module

MODULE_KO=
for c in $VG_TEST_MODULES /payload/vfiogroup.ko "$HERE/vfiogroup.ko" /lib/modules/test/vfiogroup.ko; do
	case $c in *vfiogroup.ko) [ -f "$c" ] && { MODULE_KO=$c; break; } ;; esac
done
loaded() { [ -d /sys/module/vfiogroup ]; }

# vg_field LINE KEY -> value of KEY=value in LINE
vg_field() { echo "$1" | sed -n "s/^/ /; s/.* $2=\\([^ ]*\\).*/\\1/p"; }
# module_viable GROUP -> 0/1 from "get --id", empty if unknown
module_viable() { "$VG" get --id "$1" 2>/dev/null | sed -n '1s/.* viable=\([01]\) .*/\1/p'; }
# module_group GROUP -> the group line of "get --id" (viable, seq, ready, inuse, ndev)
module_group() { "$VG" get --id "$1" 2>/dev/null | head -n 1; }

# ---------------------------------------------------------------- monitors

# mon_start NAME TIMEOUT COUNT [VGPROBE-COMMAND...]: start "VGPROBE-COMMAND
# monitor ..." (default: vgprobe; e.g. "unshare -n /payload/vgprobe" or
# "vgns --uid=1000 -- vgprobe") in the background, output in $T/NAME.out;
# waits until it is subscribed.
mon_start() {
	_n=$1 _to=$2 _cnt=$3
	shift 3
	[ $# -gt 0 ] || set -- "$VG"
	rm -f "$T/u/$_n.ready" "$T/$_n.out" "$T/$_n.err"
	if [ "$_cnt" -gt 0 ]; then
		"$@" monitor --timeout "$_to" --count "$_cnt" --ready-file "$T/u/$_n.ready" \
			>"$T/$_n.out" 2>"$T/$_n.err" </dev/null &
	else
		"$@" monitor --timeout "$_to" --ready-file "$T/u/$_n.ready" \
			>"$T/$_n.out" 2>"$T/$_n.err" </dev/null &
	fi
	eval "pid_$_n=$!"
	PIDS="$PIDS $!"
	_mp=$!
	# Until subscribed, or until it died (then its output says why).
	wait_for 15 ready_or_dead "$_n" "$_mp"
	test -e "$T/u/$_n.ready"
}
ready_or_dead() { [ -e "$T/u/$1.ready" ] || ! alive "$2"; }
alive() { # a process that exists and is not a zombie
	[ -e "/proc/$1/stat" ] || return 1
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}
# mon_wait NAME SECONDS: wait for the monitor to exit; mon_rc = its status,
# or "hang" (then it is killed).
mon_wait() {
	eval "_p=\$pid_$1"
	_t=$(($2 * 10))
	while alive "$_p" && [ "$_t" -gt 0 ]; do
		usleep 100000
		_t=$((_t - 1))
	done
	if alive "$_p"; then
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		mon_rc=hang
		return 1
	fi
	wait "$_p"
	mon_rc=$?
	return 0
}
mon_stop() { # mon_stop NAME: SIGTERM, then wait
	eval "_p=\$pid_$1"
	kill -TERM "$_p" 2>/dev/null
	mon_wait "$1" 10
}
events_of() { grep '^seq=' "$T/$1.out" 2>/dev/null; }
# mon_check NAME DESC RC EVENTS: after mon_wait, the monitor exited with RC
# having printed EVENTS events (its output is shown when not).
mon_check() {
	if [ "$mon_rc" = "$3" ] && [ "$(nevents "$1")" -eq "$4" ]; then
		ok "$2"
	else
		notok "$2 (rc=$mon_rc, $(nevents "$1") events; expected rc=$3, $4 events)"
		cat "$T/$1.out" "$T/$1.err" | indent
	fi
}
nevents() { events_of "$1" | wc -l; }

# ---------------------------------------------------------------- transitions
#
# Every sysfs change made while the main monitor M runs goes through act_*:
# each computes the events the change must produce (from sysfs, before and
# after), waits for that many new events on M and compares them, in order,
# as "kind:device:driver" words (viability-changed: "viability-changed:-:-",
# ready-changed: "ready-changed:-:-", always after the viability-changed of
# the same cause).

TRANS_OK=0 TRANS_BAD=0
: >"$T/trans.log"
MISMATCH=0 VCHECKS=0 RULE_MISMATCH=0
RCHECKS=0 READY_MISMATCH=0 READY_RULE_MISMATCH=0 INUSE_BAD=0
RV_CHECKS=0 RV_MISMATCH=0
ev_words() { # ev_words FROM TO: events FROM..TO of M as words
	events_of M | sed -n "$1,$2p" | while read -r _l; do
		echo "$(vg_field "$_l" kind):$(vg_field "$_l" dev):$(vg_field "$_l" driver)"
	done | tr '\n' ' ' | sed 's/ $//'
}
ev_groups() { # ev_groups FROM TO: group ids of events FROM..TO of M
	events_of M | sed -n "$1,$2p" | while read -r _l; do vg_field "$_l" group; done | sort -u | tr '\n' ' ' | sed 's/ $//'
}
trans_begin() { TB_START=$(nevents M) TB_SEQ=$(module_seq); }
ev_at_least() { [ "$(nevents M)" -ge "$1" ]; }
# The module's sequence number now (info-seq): every event made before this
# call has a number up to it.
module_seq() { "$VG" info 2>/dev/null | sed -n '1s/^seq=\([0-9]*\) .*/\1/p'; }
# seq_reached FILE SEQ: the monitor's output FILE holds an event numbered SEQ
# or later
seq_reached() {
	_sr=$(grep -o '^seq=[0-9]*' "$1" 2>/dev/null | tail -n 1)
	[ -n "$_sr" ] && [ "${_sr#seq=}" -ge "$2" ]
}
# trans_end DESC GROUP EXPECTED-WORDS
trans_end() {
	_desc=$1 _g=$2 _exp=$3
	_cnt=$(echo "$_exp" | wc -w)
	_want=$((TB_START + _cnt))
	wait_for 10 ev_at_least "$_want"
	# A barrier instead of a pause: the change is made, so every event it
	# caused is numbered up to the module's seq now; once M printed that
	# number, anything extra is in its output too.
	_bar=$(module_seq)
	if [ -z "$_bar" ] || [ -z "$TB_SEQ" ]; then
		diag "trans_end: no info-seq from the module ($_bar/$TB_SEQ): waiting 1 s instead"
		sleep 1
	elif [ "$_bar" != "$TB_SEQ" ] && ! wait_for 10 seq_reached "$T/M.out" "$_bar"; then
		diag "trans_end: M did not reach the module's seq $_bar within 10 s"
	fi
	_end=$(nevents M)
	_got=$(ev_words $((TB_START + 1)) "$_end")
	_gs=$(ev_groups $((TB_START + 1)) "$_end")
	echo "$_desc|$_exp|$_got" >>"$T/trans.log"
	if [ "$_got" = "$_exp" ] && { [ "$_gs" = "$_g" ] || [ -z "$_exp" ]; }; then
		TRANS_OK=$((TRANS_OK + 1))
		ok "events of $_desc: ${_exp:-none}"
	else
		TRANS_BAD=$((TRANS_BAD + 1))
		notok "events of $_desc: expected '${_exp:-none}' in group $_g, got '${_got:-none}' in group(s) '${_gs}'"
		events_of M | sed -n "$((TB_START + 1)),${_end}p" | indent
	fi
	viability_check "after $_desc"
}
# viability_check STEP: for every group, in one get: where /dev/vfio/N exists
# the module's viability must be VFIO_GROUP_GET_STATUS's; its readiness must
# be "VFIO_GROUP_GET_STATUS viable and /dev/vfio/N exists" and the sysfs
# rule's (rule_ready); in-use must be $INUSE_IDLE (nobody holds a group
# here); from 5.19 the viability must be the sysfs rule's too.
viability_check() {
	for _gd in /sys/kernel/iommu_groups/*; do
		_g=${_gd##*/}
		[ -d "$_gd/devices" ] || continue
		[ "$(ndevs "$_g")" -gt 0 ] || continue
		_gl=$(module_group "$_g")
		_mv=$(vg_field "$_gl" viable) _mr=$(vg_field "$_gl" ready) _mu=$(vg_field "$_gl" inuse)
		_vr=0
		if [ -e "/dev/vfio/$_g" ]; then
			_vs=$("$VGVFIO" status "$_g" 2>/dev/null)
			_vv=$(vg_field "$_vs" viable)
			VCHECKS=$((VCHECKS + 1))
			if [ -z "$_mv" ] || [ "$_mv" != "$_vv" ]; then
				MISMATCH=$((MISMATCH + 1))
				diag "viability mismatch $1: group $_g module='$_mv' vfio='$_vv' ($_vs)"
			fi
			_vr=${_vv:-?}
			# The rule that predicts every transition's events restates
			# the module's; VFIO's own answer is what keeps it honest.
			_rv=$(rule_viable "$_g")
			RV_CHECKS=$((RV_CHECKS + 1))
			if [ "$_rv" != "$_vv" ]; then
				RV_MISMATCH=$((RV_MISMATCH + 1))
				diag "rule vs VFIO $1: group $_g rule_viable='$_rv' VFIO_GROUP_GET_STATUS='$_vv' ($_vs)"
			fi
		fi
		RCHECKS=$((RCHECKS + 1))
		if [ -z "$_mr" ] || [ "$_mr" != "$_vr" ]; then
			READY_MISMATCH=$((READY_MISMATCH + 1))
			diag "ready mismatch $1: group $_g module='$_mr' VFIO (viable and /dev/vfio/$_g exists)='$_vr'"
		fi
		_rr=$(rule_ready "$_g")
		if [ "$_mr" != "$_rr" ]; then
			READY_RULE_MISMATCH=$((READY_RULE_MISMATCH + 1))
			diag "ready rule mismatch $1: group $_g module='$_mr' rule (viable, a device registered with VFIO)='$_rr'"
		fi
		if [ "$_mu" != "$INUSE_IDLE" ]; then
			INUSE_BAD=$((INUSE_BAD + 1))
			diag "in-use $1: group $_g module inuse='$_mu', expected '$INUSE_IDLE'"
		fi
		if [ "$INUSE_IDLE" = 0 ]; then
			_rv=$(rule_viable "$_g")
			if [ "$_mv" != "$_rv" ]; then
				RULE_MISMATCH=$((RULE_MISMATCH + 1))
				diag "rule mismatch $1: group $_g module='$_mv' driver_managed_dma rule='$_rv'"
			fi
		fi
	done
}
vc_word() { [ "$1" = "$2" ] || echo " viability-changed:-:-"; }
rc_word() { [ "$1" = "$2" ] || echo " ready-changed:-:-"; }
# A blocking driver's probe makes the group not viable (and not ready)
# before it binds: the viability-changed of a bind comes first.
vc_first() { [ "$1" = "$2" ] || echo "viability-changed:-:- "; }
rc_first() { [ "$1" = "$2" ] || echo "ready-changed:-:- "; }
# bound_words DEV DRIVER V0 V1 R0 R1: the words of DEV's bind to DRIVER,
# the group viable V0 and ready R0 before, V1 and R1 after.  A blocking
# driver (the viability changes) changes both at its probe's start, before
# driver-bound; any other (vfio-pci registering the device with VFIO)
# changes the readiness when it is bound, so ready-changed comes after.
bound_words() {
	if [ "$3" != "$4" ]; then
		echo "$(vc_first "$3" "$4")$(rc_first "$5" "$6")driver-bound:$1:$2"
	else
		echo "driver-bound:$1:$2$(rc_word "$5" "$6")"
	fi
}

# Each act_* uses its own variable names: ash has no local variables and
# they call each other.
act_unbind() { # act_unbind DEV
	_u_dev=$1
	_u_drv=$(pdrv "$_u_dev")
	[ "$_u_drv" != - ] || return 0
	_u_g=$(grp_of "$_u_dev")
	_u_v0=$(rule_viable "$_u_g") _u_r0=$(rule_ready "$_u_g")
	trans_begin
	echo "$_u_dev" >"/sys/bus/pci/drivers/$_u_drv/unbind"
	_u_v1=$(rule_viable "$_u_g") _u_r1=$(rule_ready "$_u_g")
	trans_end "unbind $_u_drv from $_u_dev" "$_u_g" \
		"driver-unbound:$_u_dev:$_u_drv$(vc_word "$_u_v0" "$_u_v1")$(rc_word "$_u_r0" "$_u_r1")"
}
act_bind() { # act_bind DEV DRIVER (via driver_override + drivers_probe)
	_b_dev=$1 _b_drv=$2
	[ "$(pdrv "$_b_dev")" = - ] || act_unbind "$_b_dev"
	_b_g=$(grp_of "$_b_dev")
	_b_v0=$(rule_viable "$_b_g") _b_r0=$(rule_ready "$_b_g")
	trans_begin
	echo "$_b_drv" >"$PCI/$_b_dev/driver_override"
	echo "$_b_dev" >/sys/bus/pci/drivers_probe 2>/dev/null
	_b_now=$(pdrv "$_b_dev")
	_b_v1=$(rule_viable "$_b_g") _b_r1=$(rule_ready "$_b_g")
	if [ "$_b_now" = "$_b_drv" ]; then
		trans_end "bind $_b_drv to $_b_dev" "$_b_g" \
			"$(bound_words "$_b_dev" "$_b_drv" "$_b_v0" "$_b_v1" "$_b_r0" "$_b_r1")"
	else
		notok "bind $_b_drv to $_b_dev (driver now '$_b_now')"
		trans_end "failed bind of $_b_drv to $_b_dev" "$_b_g" ""
	fi
}
act_restore() { # act_restore DEV DRIVER|-: back to DRIVER, override cleared
	_r_dev=$1 _r_drv=$2
	if [ "$(pdrv "$_r_dev")" != "$_r_drv" ]; then
		[ "$(pdrv "$_r_dev")" = - ] || act_unbind "$_r_dev"
		[ "$_r_drv" = - ] || act_bind "$_r_dev" "$_r_drv"
	fi
	echo >"$PCI/$_r_dev/driver_override" 2>/dev/null
}

# hold_test GROUP: a VFIO user (vgvfio hold: container set, TYPE1
# IOMMU) holds the ready GROUP: from 5.19 the module's get says inuse=1
# while held and 0 once the holder is gone (up to 5.18 "-" throughout);
# the readiness stays as it was, and no event comes of it.
hold_test() {
	_h_g=$1
	_h_l0=$(module_group "$_h_g")
	rm -f "$T/u/H.ready"
	trans_begin
	"$VGVFIO" hold "$_h_g" 120 --ready-file "$T/u/H.ready" >"$T/H.out" 2>"$T/H.err" </dev/null &
	pid_H=$!
	PIDS="$PIDS $pid_H"
	wait_for 15 ready_or_dead H "$pid_H"
	if [ -e "$T/u/H.ready" ]; then
		ok "vfio-hold: $(head -n 1 "$T/H.out")"
		_h_l1=$(module_group "$_h_g")
		_h_d1=$("$VG" dump | grep "^group=$_h_g .* ndev=")
		if [ "$INUSE_IDLE" = 0 ]; then _h_want=1; else _h_want=-; fi
		check "group $_h_g held by a VFIO user: get and dump say inuse=$_h_want, ready stays $(vg_field "$_h_l0" ready) (get: $_h_l1)" \
			test "$(vg_field "$_h_l1" inuse)" = "$_h_want" -a "$(vg_field "$_h_d1" inuse)" = "$_h_want" \
			-a "$(vg_field "$_h_l1" ready)" = "$(vg_field "$_h_l0" ready)" \
			-a "$(vg_field "$_h_l1" viable)" = "$(vg_field "$_h_l0" viable)"
		_h_vs=$("$VGVFIO" status "$_h_g" 2>&1)
		check "group $_h_g held: a second open of /dev/vfio/$_h_g is refused (EBUSY: $_h_vs)" \
			test "$(vg_field "$_h_vs" error)" = EBUSY
	else
		notok "vfio-hold $_h_g: holds the group (container set, TYPE1): $(cat "$T/H.out" "$T/H.err" | tr '\n' ' ')"
	fi
	mon_stop H
	check "vfio-hold: released on SIGTERM, exit 0 (rc=$mon_rc)" test "$mon_rc" = 0 -a -n "$(grep '^released$' "$T/H.out")"
	_h_l2=$(module_group "$_h_g")
	check "group $_h_g released: inuse=$INUSE_IDLE, ready $(vg_field "$_h_l0" ready) as before ($_h_l2)" \
		test "$(vg_field "$_h_l2" inuse)" = "$INUSE_IDLE" -a "$(vg_field "$_h_l2" ready)" = "$(vg_field "$_h_l0" ready)"
	trans_end "holding and releasing group $_h_g as a VFIO user" "$_h_g" ""
}

# ---------------------------------------------------------------- load

log "start (kernel $(uname -r), vgprobe $VG, module ${MODULE_KO:-?})"
if [ -z "$VG" ] || [ -z "$VGNS" ] || [ -z "$VGVFIO" ] || [ -z "$VGSYS" ]; then
	notok "vgprobe, vgns, vgvfio, vgsys found next to run-tests.sh or on PATH ($VG, $VGNS, $VGVFIO, $VGSYS)"
	echo "1..$n"
	exit 1
fi

if true; then
	if loaded; then
		ok "vfiogroup module loaded (by the bench)"
	elif [ -n "$MODULE_KO" ] && out=$(insmod "$MODULE_KO" 2>&1); then
		ok "insmod $MODULE_KO"
	else
		notok "load the module (${MODULE_KO:-no vfiogroup.ko found}): $out"
	fi
fi
if ! loaded || ! "$VG" info >/dev/null 2>&1; then
	notok "family vfiogroup answers info (module not loaded?)"
	echo "1..$n"
	exit 1
fi
# shellcheck disable=SC2012
NGROUPS_SYS=$(ls /sys/kernel/iommu_groups | wc -l)

# ---------------------------------------------------------------- (a) dump

if want dump; then
	log "dump"
	"$VG" dump >"$T/dump.out" 2>"$T/dump.err"
	rc=$?
	check "dump succeeds with well-formed replies (rc=$rc)" test "$rc" -eq 0
	grep '^malformed=' "$T/dump.out" | indent
	sed -n 's/^group=\([0-9]*\) viable=[01] seq=[0-9]* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) devviable=[01].*/\1 \2 \3 \4/p' \
		"$T/dump.out" | sort >"$T/dump.devs"
	sysfs_listing >"$T/sysfs.devs"
	if diff "$T/sysfs.devs" "$T/dump.devs" >"$T/dump.diff"; then
		ok "dump == /sys/kernel/iommu_groups: $(wc -l <"$T/sysfs.devs") devices, same groups, drivers == sysfs driver links"
	else
		notok "dump == /sys/kernel/iommu_groups (diff sysfs vs dump below)"
		indent <"$T/dump.diff"
	fi
	# Every bus that holds a group's device here is one the module says,
	# at load, that it follows.
	followed=$(dmesg | sed -n 's/.*vfiogroup: buses followed: //p' | tail -n 1)
	missing=$(cut -d' ' -f3 "$T/sysfs.devs" | sort -u | while read -r _b; do
		case " $followed " in *" $_b "*) ;; *) echo "$_b" ;; esac
	done | tr '\n' ' ')
	check "the module follows every bus with IOMMU group members (followed: ${followed:-?}; not followed: ${missing:-none})" \
		test -n "$followed" -a -z "$missing"
	grep ' ndev=' "$T/dump.out" | sed 's/^group=\([0-9]*\) .* ndev=\([0-9]*\)$/\1 \2/' >"$T/dump.groups"
	ids=$(cut -d' ' -f1 "$T/dump.groups" | tr '\n' ' ')
	sorted=$(cut -d' ' -f1 "$T/dump.groups" | sort -n | tr '\n' ' ')
	check "dump lists $(wc -l <"$T/dump.groups") groups ordered by id ($ids)" \
		test "$ids" = "$sorted" -a "$(wc -l <"$T/dump.groups")" -eq "$NGROUPS_SYS"
	bad=0
	while read -r g nd; do
		[ "$nd" -eq "$(ndevs "$g")" ] || { bad=$((bad + 1)); diag "group $g: ndev=$nd, sysfs $(ndevs "$g")"; }
	done <"$T/dump.groups"
	check "every group's device count == sysfs" test "$bad" -eq 0
	# Readiness and in-use on every group line: ready by the rule (viable,
	# a device registered with VFIO) and by VFIO where /dev/vfio/N exists;
	# nobody holds a group at load, so in-use is 0 from 5.19, absent before.
	bad=0 nready=0
	while read -r l; do
		g=$(vg_field "$l" group) r=$(vg_field "$l" ready) u=$(vg_field "$l" inuse)
		e=$(rule_ready "$g")
		if [ -e "/dev/vfio/$g" ]; then
			[ "$e" = "$(vg_field "$("$VGVFIO" status "$g" 2>/dev/null)" viable)" ] || e="rule $e, VFIO differs"
		else
			[ "$e" = 0 ] || e="rule $e, no /dev/vfio/$g"
		fi
		[ "$r" != 1 ] || nready=$((nready + 1))
		if [ "$r" != "$e" ] || [ "$u" != "$INUSE_IDLE" ]; then
			bad=$((bad + 1))
			diag "group $g: ready=$r inuse=$u, expected ready $e inuse $INUSE_IDLE"
		fi
	done <<EOF
$(grep ' ndev=' "$T/dump.out")
EOF
	check "dump: every group's ready == rule and VFIO ($nready ready), inuse == $INUSE_IDLE on $(uname -r)" test "$bad" -eq 0
	if kver_ge 5 19; then
		bad=0
		while read -r l; do
			g=$(vg_field "$l" group) d=$(vg_field "$l" dev) dv=$(vg_field "$l" devviable)
			e=1
			managed "$(vg_field "$l" driver)" || e=0
			[ "$dv" = "$e" ] || { bad=$((bad + 1)); diag "device $d: devviable=$dv, expected $e"; }
		done <<EOF
$(grep ' dev=' "$T/dump.out")
EOF
		check "devviable == 0 exactly for devices on drivers without driver_managed_dma" test "$bad" -eq 0
	fi

	"$VG" info >"$T/info.out" 2>&1
	rc=$?
	info=$(cat "$T/info.out")
	diag "info: $info"
	check "info succeeds (rc=$rc)" test "$rc" -eq 0
	check "info groups == sysfs groups ($NGROUPS_SYS)" test "$(vg_field "$info" groups)" = "$NGROUPS_SYS"
	# The running kernel's own answer (as /init reports it for the host).
	if grep -q ' iommu_group_register_notifier$' /proc/kallsyms; then
		want_notifier=iommu-group
	else
		want_notifier=bus
	fi
	check "info notifier == $want_notifier on $(uname -r)" test "$(vg_field "$info" notifier)" = "$want_notifier"
	check "info version is set" test -n "$(vg_field "$info" version)" -a "$(vg_field "$info" version)" != "?"
	check "info dropped == 0" test "$(vg_field "$info" dropped)" = 0

	first=$(head -n1 "$T/sysfs.devs")
	fg=${first%% *} fd=$(echo "$first" | cut -d' ' -f2)
	if [ -n "$fd" ]; then
		out=$("$VG" get --dev "$fd" 2>&1)
		check "get --dev $fd finds group $fg" test "$(echo "$out" | head -n1 | sed -n 's/^group=\([0-9]*\) .*/\1/p')" = "$fg"
		out=$("$VG" get --id "$fg" 2>&1)
		check "get --id $fg == its dump entry" test "$out" = "$(grep "^group=$fg " "$T/dump.out")"
	fi
	out=$("$VG" get --id 99999 2>&1)
	rc=$?
	diag "get --id 99999: $(echo "$out" | head -n1)"
	check "get --id 99999: ENOENT with an extack message (rc=$rc)" \
		test "$rc" -eq 5 -a "$(vg_field "$out" errno)" = ENOENT -a -n "$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')"
	out=$("$VG" get --dev 0000:ff:1f.7 2>&1)
	rc=$?
	diag "get --dev 0000:ff:1f.7: $(echo "$out" | head -n1)"
	check "get --dev of no device: ENOENT with an extack message (rc=$rc)" \
		test "$rc" -eq 5 -a "$(vg_field "$out" errno)" = ENOENT -a -n "$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')"
fi

# ---------------------------------------------------------------- (b)-(e) events

# The e1000 to use: one alone in its group (00:02.0 on the bench).
E=
for d in /sys/bus/pci/drivers/e1000/0000:*; do
	[ -e "$d" ] || continue
	d=${d##*/}
	if [ "$(ndevs "$(grp_of "$d")")" -eq 1 ]; then E=$d; break; fi
done
E_DRV=e1000

if want events; then
	log "events"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		diag "vfio-pci is not loaded: trying modprobe"
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	HAVE_VFIO=0
	[ -d /sys/bus/pci/drivers/vfio-pci ] && HAVE_VFIO=1
	info0=$("$VG" info)
	seq0=$(vg_field "$info0" seq)
	# Its timeout only guards against a hang (the bench's watchdog does
	# too): the whole guest budget, as the events section alone takes more
	# than 400 s on the debug kernel on a loaded host.
	if mon_start M "$RT_BUDGET" 0; then
		ok "monitor subscribed (ready file)"
	else
		notok "monitor subscribed (ready file) within 15 s: $(cat "$T/M.out" "$T/M.err" 2>/dev/null | tr '\n' ' ')"
	fi
	viability_check "at start"

	# --- (b) e1000 -> unbound -> vfio-pci
	if [ -z "$E" ]; then
		skip "e1000 unbind / vfio-pci bind" "no device on e1000 alone in its group"
	elif [ "$HAVE_VFIO" = 0 ]; then
		skip "e1000 unbind / vfio-pci bind" "no vfio-pci driver in this guest"
	else
		EG=$(grp_of "$E")
		diag "e1000 device $E, IOMMU group $EG"
		act_unbind "$E"
		act_bind "$E" vfio-pci
		if wait_for 10 test -c "/dev/vfio/$EG"; then
			ok "/dev/vfio/$EG appears after binding vfio-pci"
		else
			notok "/dev/vfio/$EG appears within 10 s after binding vfio-pci"
		fi
		st=$("$VGVFIO" status "$EG" 2>&1)
		diag "vfio-status $EG: $st; module: viable=$(module_viable "$EG")"
		check "group $EG (only vfio-pci) is viable for VFIO and for the module" \
			test "$(vg_field "$st" viable)" = 1 -a "$(module_viable "$EG")" = 1
		# Registered with VFIO: from 6.1 the name sysfs gives the
		# vfio-dev device under it, up to 6.0 none.
		dl=$("$VG" get --id "$EG" | grep " dev=$E ")
		want_vd=-
		for _v in "$PCI/$E"/vfio-dev/vfio*; do [ -e "$_v" ] && want_vd=${_v##*/}; done
		check "get: $E on vfio-pci is vfio=1, vfiodev=$want_vd as sysfs says ($(vg_field "$dl" vfio) $(vg_field "$dl" vfiodev))" \
			test "$(vg_field "$dl" vfio)" = 1 -a "$(vg_field "$dl" vfiodev)" = "$want_vd"
		if kver_ge 6 1; then
			check "6.1 and later: sysfs has $E's vfio-dev device" test "$want_vd" != -
		fi
		# The cdev a VMM opens on the iommufd path, by devtmpfs.
		if [ -c /dev/iommu ]; then
			check "cdev kernel: the module's vfiodev $(vg_field "$dl" vfiodev) is the node /dev/vfio/devices/$(vg_field "$dl" vfiodev)" \
				test -c "/dev/vfio/devices/$(vg_field "$dl" vfiodev)"
		fi
		check "group $EG (only vfio-pci) is ready for the module, as VFIO and the rule say ($(module_group "$EG"))" \
			test "$(vg_field "$(module_group "$EG")" ready)" = 1 -a "$(rule_ready "$EG")" = 1
		hold_test "$EG"
	fi

	# --- (c) multi-device groups: one function on vfio-pci, the others on
	# their host drivers (not viable), then unbound (viable), then restored.
	nmulti=0 exercised_nonviable=0
	if [ "$HAVE_VFIO" = 1 ]; then
		for gdir in /sys/kernel/iommu_groups/*; do
			G=${gdir##*/}
			[ "$(ndevs "$G")" -ge 2 ] || continue
			devs=$(group_devs "$G")
			# Skip groups with bridges (root ports) or the host bridge.
			case " $(for d in $devs; do pdrv "$d"; done | tr '\n' ' ')" in *pcieport*) continue ;; esac
			nmulti=$((nmulti + 1))
			: >"$T/orig.$G"
			for d in $devs; do echo "$d $(pdrv "$d")" >>"$T/orig.$G"; done
			diag "multi-device group $G: $(tr '\n' ';' <"$T/orig.$G")"
			# The device for vfio-pci: the last one (00:1f.3 / 00:06.1).
			V=$(echo "$devs" | tail -n1)
			others=$(echo "$devs" | grep -v "^$V\$")
			host_others=0
			for d in $others; do managed "$(pdrv "$d")" || host_others=$((host_others + 1)); done
			act_bind "$V" vfio-pci
			wait_for 10 test -c "/dev/vfio/$G" || notok "/dev/vfio/$G appears within 10 s"
			st=$("$VGVFIO" status "$G" 2>&1)
			mv=$(module_viable "$G")
			exp=$(rule_viable "$G")
			diag "group $G with $V on vfio-pci, $host_others other(s) on host drivers: vfio '$st', module viable=$mv, rule $exp"
			if [ "$host_others" -gt 0 ]; then
				exercised_nonviable=1
				check "group $G: $V on vfio-pci, others on host drivers: not viable for VFIO and module" \
					test "$(vg_field "$st" viable)" = 0 -a "$mv" = 0
			fi
			for d in $others; do act_unbind "$d"; done
			st=$("$VGVFIO" status "$G" 2>&1)
			mv=$(module_viable "$G")
			check "group $G: $V on vfio-pci, others unbound: viable for VFIO and module" \
				test "$(vg_field "$st" viable)" = 1 -a "$mv" = 1
			# Restore: host drivers back first (while V still holds vfio).
			while read -r d drv; do
				[ "$d" = "$V" ] && continue
				act_restore "$d" "$drv"
			done <"$T/orig.$G"
			viability_check "group $G restored but $V"
			act_restore "$V" "$(grep "^$V " "$T/orig.$G" | cut -d' ' -f2)"
			restored=1
			while read -r d drv; do
				[ "$(pdrv "$d")" = "$drv" ] || { restored=0; diag "$d: driver $(pdrv "$d"), was $drv"; }
			done <"$T/orig.$G"
			check "group $G restored to its original drivers" test "$restored" = 1
		done
	fi
	[ "$nmulti" -gt 0 ] || diag "no multi-device group without bridges: (c) multi-device part not run"
	[ "$nmulti" -eq 0 ] || [ "$exercised_nonviable" = 1 ] ||
		diag "no multi-device group had another device on a host driver: not-viable case not exercised"

	# --- (d) PCI remove + rescan of the e1000e
	R=
	for d in /sys/bus/pci/drivers/e1000e/0000:*; do [ -e "$d" ] && { R=${d##*/}; break; }; done
	if [ -z "$R" ]; then
		skip "PCI remove + rescan" "no device on e1000e"
	else
		RG=$(grp_of "$R")
		RDRV=$(pdrv "$R")
		nd=$(ndevs "$RG")
		diag "e1000e device $R, IOMMU group $RG ($nd device(s))"
		v0=$(rule_viable "$RG") vo=$(rule_viable "$RG" "$R")
		r0=$(rule_ready "$RG") ro=$(rule_ready "$RG" "$R")
		trans_begin
		echo "$R" >>"$T/rescanned"
		echo 1 >"$PCI/$R/remove"
		wait_for 10 test ! -e "$PCI/$R"
		trans_end "PCI remove of $R" "$RG" \
			"driver-unbound:$R:$RDRV$(vc_word "$v0" "$vo")$(rc_word "$r0" "$ro") device-removed:$R:-"
		lastrm=$(events_of M | grep ' kind=device-removed ' | tail -n1)
		if [ "$nd" -eq 1 ]; then
			check "device-removed of the last device shows 0 devices" test "$(vg_field "$lastrm" ndev)" = 0
			out=$("$VG" get --id "$RG" 2>&1)
			check "group $RG is gone after its last device (get: ENOENT)" test "$(vg_field "$out" errno)" = ENOENT
		fi
		trans_begin
		echo 1 >/sys/bus/pci/rescan
		wait_for 10 test -e "$PCI/$R/driver"
		RG2=$(grp_of "$R")
		[ "$RG2" = "$RG" ] || diag "group after rescan: $RG2 (was $RG)"
		RDRV2=$(pdrv "$R")
		expw="device-added:$R:-"
		if [ "$RDRV2" != - ]; then
			expw="$expw $(bound_words "$R" "$RDRV2" "$(rule_viable "$RG2" "$R")" "$(rule_viable "$RG2")" \
				"$(rule_ready "$RG2" "$R")" "$(rule_ready "$RG2")")"
		fi
		trans_end "PCI rescan bringing back $R" "$RG2" "$expw"
		check "$R back on $RDRV after rescan" test "$RDRV2" = "$RDRV"
	fi

	# --- restore the e1000
	if [ -n "$E" ] && [ "$HAVE_VFIO" = 1 ]; then
		act_restore "$E" "$E_DRV"
		check "$E back on $E_DRV" test "$(pdrv "$E")" = "$E_DRV"
	fi

	mon_stop M
	diag "main monitor: $(nevents M) events, exit $mon_rc"
	check "main monitor had no error and no malformed notification" \
		test -z "$(grep -v -e '^seq=' -e '^stopped=' "$T/M.out")"
	grep -v -e '^seq=' -e '^stopped=' "$T/M.out" | indent

	# --- (c) summary
	echo "# viability-mismatches=$MISMATCH (of $VCHECKS comparisons with VFIO_GROUP_GET_STATUS)"
	if [ "$VCHECKS" -gt 0 ]; then
		check "module viability == VFIO_GROUP_GET_STATUS after every step ($VCHECKS checks)" test "$MISMATCH" -eq 0
	else
		skip "module viability == VFIO_GROUP_GET_STATUS" "no /dev/vfio/N ever existed"
	fi
	echo "# rule-vs-vfio-mismatches=$RV_MISMATCH (of $RV_CHECKS comparisons)"
	check "the test's sysfs rule (rule_viable) == VFIO_GROUP_GET_STATUS wherever /dev/vfio/N exists ($RV_CHECKS checks)" \
		test "$RV_MISMATCH" -eq 0 -a "$RV_CHECKS" -gt 0
	if kver_ge 5 19; then
		echo "# rule-mismatches=$RULE_MISMATCH"
		check "module viability == driver_managed_dma rule for every group after every step" test "$RULE_MISMATCH" -eq 0
	fi
	echo "# ready-mismatches=$READY_MISMATCH rule=$READY_RULE_MISMATCH (of $RCHECKS comparisons) inuse-bad=$INUSE_BAD"
	check "module ready == VFIO (viable and /dev/vfio/N exists) for every group after every step ($RCHECKS checks)" \
		test "$READY_MISMATCH" -eq 0 -a "$RCHECKS" -gt 0
	check "module ready == rule (viable, a device registered with VFIO) for every group after every step" \
		test "$READY_RULE_MISMATCH" -eq 0
	check "module inuse == $INUSE_IDLE for every group after every step" test "$INUSE_BAD" -eq 0

	# --- (e) sequence numbers and events per transition
	events_of M >"$T/M.ev"
	if [ -s "$T/M.ev" ]; then
		gaps=$(awk '{ split($1, a, "="); s = a[2] + 0
			if (NR > 1 && s != prev + 1) { printf "%d->%d ", prev, s }
			prev = s }' "$T/M.ev")
		check "event sequence numbers have no gaps ($(head -n1 "$T/M.ev" | cut -d' ' -f1) .. $(tail -n1 "$T/M.ev" | cut -d' ' -f1))" test -z "$gaps"
		[ -z "$gaps" ] || diag "gaps: $gaps"
		first=$(vg_field "$(head -n1 "$T/M.ev")" seq)
		check "first event seq == info seq before the monitor + 1 ($seq0 + 1)" test "$first" = "$((seq0 + 1))"
		back=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^time=/) { t = substr($i, 6) + 0 }
			if (NR > 1 && t < prev) bad++; prev = t } END { print bad + 0 }' "$T/M.ev")
		check "event times (CLOCK_BOOTTIME) never go back" test "$back" -eq 0
		last=$(vg_field "$(tail -n1 "$T/M.ev")" seq)
		info1=$("$VG" info)
		check "info seq == last event seq ($last)" test "$(vg_field "$info1" seq)" = "$last"
		bad=0
		# shellcheck disable=SC2013
		for g in $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^group=/) print substr($i, 7) }' "$T/M.ev" | sort -un); do
			[ "$(ndevs "$g")" -gt 0 ] || continue
			ls=$(grep " group=$g " "$T/M.ev" | tail -n1)
			gs=$("$VG" get --id "$g" | head -n1)
			[ "$(vg_field "$gs" seq)" = "$(vg_field "$ls" seq)" ] ||
				{ bad=$((bad + 1)); diag "group $g: seq $(vg_field "$gs" seq), its last event $(vg_field "$ls" seq)"; }
		done
		check "every group's seq == seq of its last event" test "$bad" -eq 0
		# The announced viability flips with every viability-changed (a
		# group whose last device left starts afresh).
		bad=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			g = f["group"]
			if (f["kind"] == "viability-changed" && (g in last) && last[g] == f["viable"]) {
				bad++; print "# viability-changed without a change: " $0 > "/dev/stderr" }
			last[g] = f["viable"]
			if (f["kind"] == "device-removed" && f["ndev"] == 0) delete last[g] }
			END { print bad + 0 }' "$T/M.ev")
		check "every viability-changed flips the group's announced viability" test "$bad" -eq 0
		# The announced readiness changes only with ready-changed, and
		# each one flips it.
		bad=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			g = f["group"]
			if ((g in last) && (f["kind"] == "ready-changed") == (last[g] == f["ready"])) {
				bad++; print "# ready " (f["kind"] == "ready-changed" ? "did not change" : "changed without ready-changed") ": " $0 > "/dev/stderr" }
			last[g] = f["ready"]
			if (f["kind"] == "device-removed" && f["ndev"] == 0) delete last[g] }
			END { print bad + 0 }' "$T/M.ev")
		check "ready changes exactly with ready-changed, which flips it ($(grep -c ' kind=ready-changed ' "$T/M.ev") of them)" test "$bad" -eq 0
	else
		notok "the main monitor saw events"
	fi
	for k in device-added device-removed driver-bound driver-unbound viability-changed ready-changed; do
		echo "# events-per-transition kind=$k count=$(grep -c " kind=$k " "$T/M.ev")"
	done
	while IFS='|' read -r desc exp got; do
		echo "# events-per-transition [$desc] expected=$(echo "$exp" | wc -w) got=$(echo "$got" | wc -w)"
	done <"$T/trans.log"
	check "all $((TRANS_OK + TRANS_BAD)) transitions produced exactly the expected events" \
		test "$TRANS_BAD" -eq 0 -a "$((TRANS_OK + TRANS_BAD))" -gt 0
fi

# ---------------------------------------------------------------- (g) bad requests

if want bad; then
	log "bad requests"
	for c in id-u64 id-short name-long name-nonul attr-beyond-max foreign-attr no-attr info-attr dump-attr unknown-cmd; do
		out=$("$VG" bad "$c" 2>&1)
		rc=$?
		e=$(vg_field "$out" errno)
		msg=$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')
		diag "bad $c: $(echo "$out" | head -n1)"
		case $c in
		unknown-cmd)
			check "bad request $c: EOPNOTSUPP" test "$rc" -eq 0 -a "$e" = EOPNOTSUPP ;;
		dump-attr)
			# Up to 6.1 the module refuses it in the dump's start(),
			# which has no extack there: EINVAL without a message.
			if kver_ge 6 2; then
				check "bad request $c: EINVAL with an extack message" test "$rc" -eq 0 -a "$e" = EINVAL -a -n "$msg"
			else
				check "bad request $c: EINVAL (no extack before 6.2)" test "$rc" -eq 0 -a "$e" = EINVAL
			fi ;;
		*)
			check "bad request $c: EINVAL with an extack message" test "$rc" -eq 0 -a "$e" = EINVAL -a -n "$msg" ;;
		esac
	done
	# Every attribute type an operation does not list, on every operation.
	sg=$(find /sys/kernel/iommu_groups -mindepth 1 -maxdepth 1 | sed 's|.*/||' | sort -n | head -n 1)
	"$VG" bad sweep "$sg" >"$T/sweep.out" 2>&1
	rc=$?
	nsw=$(grep -c '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out")
	if kver_ge 6 2; then
		swbad=$(grep '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out" | grep -v ' errno=EINVAL extack=.')
	else
		# Up to 6.1 a dump's start() has no extack (see dump-attr).
		swbad=$(grep '^sweep op=[^ ]* attr=[0-9]' "$T/sweep.out" |
			grep -v ' errno=EINVAL extack=.' | grep -v '^sweep op=group-get-dump attr=[0-9]* errno=EINVAL ')
	fi
	check "bad requests: all $nsw attribute types the three operations do not list are EINVAL (rc=$rc)" \
		test "$rc" -eq 0 -a "$nsw" -ge 40 -a -z "$swbad"
	[ -z "$swbad" ] || echo "$swbad" | head -n 10 | indent
	check "bad requests: the control (group-get of group $sg by id alone) succeeds" \
		grep -q '^sweep op=group-get attr=- errno=0 ' "$T/sweep.out"
	check "family still answers after the bad requests" "$VG" info
fi

# ---------------------------------------------------------------- (h) (i) user, netns

# One transition all the listeners below must (or must not) see: unbind
# the e1000 and bind it back.
poke() {
	if [ -n "$E" ]; then
		echo "$E" >/sys/bus/pci/drivers/$E_DRV/unbind
		echo "$E" >/sys/bus/pci/drivers/$E_DRV/bind
	fi
}

if want user || want netns; then
	if [ -z "$E" ]; then
		skip "uid 1000 and netns listeners" "no e1000 device to toggle"
	else
		log "user + netns"
		# uid 1000: the bench's asuser (su), or vgns --uid.
		if command -v asuser >/dev/null 2>&1 && [ "$(asuser id -u 2>/dev/null)" = 1000 ]; then
			ASUSER="asuser $VG"
		else
			ASUSER="$VGNS --uid=1000:1000 -- $VG"
		fi
		# shellcheck disable=SC2086
		ASVG() { $ASUSER "$@"; }
		diag "as uid 1000: $ASUSER"
		# Namespaces: busybox unshare if it works, else vgns --unshare.
		if unshare -n true 2>/dev/null; then NETNS="unshare -n"; else NETNS=; fi
		if unshare -U -r -n true 2>/dev/null; then USERNS="unshare -U -r -n"; else USERNS=; fi
		if want user; then
			"$VG" dump >"$T/root.dump" 2>&1
			ASVG dump >"$T/user.dump" 2>&1
			rc=$?
			check "uid 1000 can dump (rc=$rc, same output as root)" \
				test "$rc" -eq 0 -a -s "$T/user.dump" -a "$(cat "$T/user.dump")" = "$(cat "$T/root.dump")"
			ASVG info >/dev/null 2>&1
			check "uid 1000 can get info" test $? -eq 0
			# shellcheck disable=SC2086
			mon_start U 60 1 $ASUSER || diag "uid 1000 monitor not ready: $(cat "$T/U.out" "$T/U.err" | tr '\n' ' ')"
		fi
		HAVE_USERNS=1
		if want netns; then
			if [ -n "$NETNS" ]; then
				diag "$NETNS: $($NETNS "$VGNS" netns-check)"
				# shellcheck disable=SC2086
				mon_start N1 60 1 $NETNS "$VG"
			else
				diag "busybox unshare -n failed: vgns --unshare=net"
				mon_start N1 60 1 "$VGNS" --unshare=net -- "$VG"
			fi
			if [ ! -e /proc/self/ns/user ]; then
				HAVE_USERNS=0
				diag "kernel without user namespaces (CONFIG_USER_NS=n)"
			elif [ -n "$USERNS" ]; then
				diag "$USERNS: $($USERNS "$VGNS" netns-check)"
				# shellcheck disable=SC2086
				mon_start N2 8 0 $USERNS "$VG"
			else
				diag "busybox unshare -U -r -n failed: vgns --unshare=user-net"
				mon_start N2 8 0 "$VGNS" --unshare=user-net -- "$VG"
			fi
		fi
		poke
		if want user; then
			mon_wait U 20
			mon_check U "uid 1000 subscribed and got an event" 0 1
		fi
		if want netns; then
			mon_wait N1 20
			mon_check N1 "listener in a new net ns of the initial user ns gets events" 0 1
			out=$("$VG" info 2>&1)
			check "info in the initial namespaces: events=1 ($out)" test "$(vg_field "$out" events)" = 1
			if [ -n "$NETNS" ]; then
				# shellcheck disable=SC2086
				out=$($NETNS "$VG" info 2>&1)
			else
				out=$("$VGNS" --unshare=net -- "$VG" info 2>&1)
			fi
			check "info in a new net ns of the initial user ns: events=1 ($out)" test "$(vg_field "$out" events)" = 1
			if [ "$HAVE_USERNS" = 1 ]; then
				if [ -n "$USERNS" ]; then
					# shellcheck disable=SC2086
					out=$($USERNS "$VG" info 2>&1)
				else
					out=$("$VGNS" --unshare=user-net -- "$VG" info 2>&1)
				fi
				check "info in a net ns owned by a new user ns: answers, events=0 ($out)" \
					test "$(vg_field "$out" events)" = 0 -a -n "$(vg_field "$out" seq)"
			fi
			if [ "$HAVE_USERNS" = 0 ]; then
				skip "listener in a net ns owned by a new user ns gets none" "no user namespaces in this kernel"
			elif [ -e "$T/u/N2.ready" ]; then
				mon_wait N2 20
				mon_check N2 "listener in a net ns owned by a new user ns gets none (times out)" 3 0
			else
				mon_wait N2 5
				notok "listener in a net ns owned by a new user ns subscribed (ready file)"
				cat "$T/N2.out" "$T/N2.err" | indent
			fi
		fi
		check "$E back on $E_DRV after the toggle" test "$(pdrv "$E")" = "$E_DRV"
	fi
fi

# ---------------------------------------------------------------- (f) rmmod

if want rmmod; then
	log "rmmod"
	if [ -z "$MODULE_KO" ]; then
		skip "rmmod with a blocked listener" "no vfiogroup.ko to insmod again"
	else
		mon_start R 60 0 || diag "R not ready"
		mon_start RU 60 0 "$VGNS" --uid=1000:1000 -- "$VG" || diag "RU not ready"
		out=$(timeout 30 rmmod vfiogroup 2>&1)
		rc=$?
		check "rmmod vfiogroup with listeners subscribed (rc=$rc $out)" test "$rc" -eq 0
		check "module gone after rmmod" test ! -d /sys/module/vfiogroup
		for m in R RU; do
			mon_wait "$m" 10
			who="blocked listener"
			[ "$m" = R ] || who="blocked uid-1000 listener"
			if [ "$mon_rc" = 4 ] && [ "$(grep -c '^error=ESHUTDOWN$' "$T/$m.out")" -eq 1 ]; then
				ok "$who gets error=ESHUTDOWN and exits 4 at rmmod"
			else
				notok "$who gets error=ESHUTDOWN and exits 4 at rmmod (rc=$mon_rc)"
				cat "$T/$m.out" "$T/$m.err" | indent
			fi
		done
		out=$(insmod "$MODULE_KO" 2>&1)
		rc=$?
		check "insmod again after rmmod (rc=$rc $out)" test "$rc" -eq 0
		"$VG" dump >"$T/dump2.out" 2>&1
		rc=$?
		check "dump works after re-insmod (rc=$rc, $(grep -c ' ndev=' "$T/dump2.out") groups)" \
			test "$rc" -eq 0 -a "$(grep -c ' ndev=' "$T/dump2.out")" -eq "$NGROUPS_SYS"
		sed -n 's/^group=\([0-9]*\) viable=[01] seq=[0-9]* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) devviable=[01].*/\1 \2 \3 \4/p' \
			"$T/dump2.out" | sort >"$T/dump2.devs"
		sysfs_listing >"$T/sysfs2.devs"
		check "dump after re-insmod == sysfs" cmp -s "$T/sysfs2.devs" "$T/dump2.devs"
		diag "info after re-insmod: $("$VG" info 2>&1)"
	fi
fi

# ---------------------------------------------------------------- lib
#
# libvfiogroup, its tool and its example against the real module, through
# the library's shared object (lib-integration, vfiogroup and vmm-wait are
# built by tests/Makefile.am and linked against libvfiogroup.so.1).

# find_prog NAME: next to this script, in bin/, or on PATH
find_prog() {
	for _c in "$HERE/$1" "$HERE/bin/$1" "$(command -v "$1" 2>/dev/null)"; do
		if [ -n "$_c" ] && [ -x "$_c" ]; then echo "$_c"; return 0; fi
	done
	return 1
}
uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
# time_left: seconds of the guest budget (vg.timeout, counted by /init's
# watchdog from about when this script started) left for tests, keeping 75 s
# for the bench's own start, the kmemleak scans and power-off.  The debug
# kernel is several times slower: the slow parts of "lib" shrink or skip
# rather than let the watchdog end the run.
time_left() {
	echo $((RT_T0 + RT_BUDGET - 75 - $(cut -d. -f1 /proc/uptime)))
}

# lib_tap CMD...: run a program that prints "ok - ..."/"not ok - ..." and
# "# ..." lines; number its results.  A non-zero exit without a failed
# result (a crash, the watchdog, a usage error) is one failure more.
lib_tap() {
	"$@" >"$T/li.out" 2>"$T/li.err"
	_lrc=$?
	_lbefore=$nfail
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) ok "${_l#ok - }" ;;
		"not ok - "*) notok "${_l#not ok - }" ;;
		"#"*) echo "$_l" ;;
		*) echo "# $_l" ;;
		esac
	done <"$T/li.out"
	if [ "$_lrc" -ne 0 ] && [ "$nfail" -eq "$_lbefore" ]; then
		notok "${1##*/} $2 exited with status $_lrc"
	fi
	[ ! -s "$T/li.err" ] || indent <"$T/li.err"
}

# vfiogroup list (text) -> "GROUP DEV BUS DRIVER" lines, sorted
cli_listing() {
	awk '/^group / { g = $2; next }
	/^    / { bus = "-"; drv = "-"
		for (i = 2; i < NF; i++) { if ($i == "bus") bus = $(i + 1); if ($i == "driver") drv = $(i + 1) }
		if (drv == "(none)") drv = "-"
		print g, $1, bus, drv }' "$@" | sort
}
# vfiogroup -j list -> the same lines
json_listing() {
	awk '{ s = $0
		while (match(s, /"(group|name|bus|driver)":("[^"]*"|[0-9]+|null)/)) {
			t = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
			k = t; sub(/":.*/, "", k); sub(/^"/, "", k)
			v = t; sub(/^"[a-z]*":/, "", v); gsub(/"/, "", v)
			if (k == "group") g = v
			else if (k == "name") d = v
			else if (k == "bus") b = v
			else { if (v == "null") v = "-"; print g, d, b, v }
		} }' "$@" | sort
}
# "vfiogroup monitor" text -> "kind:dev:driver@group" words, one a line
cli_events() {
	awk '$1 == "[kernel]" || $1 == "[synth]" { dev = "-"; drv = "-"; i = 5
		if ($i != "driver" && $i != "->") { dev = $i; i++ }
		if ($i == "driver") drv = $(i + 1)
		print $4 ":" dev ":" drv "@" $3 }' "$@"
}
# cli_seq_reached FILE SEQ: vfiogroup monitor's output (text "... seq N" or
# -j '"seq":N') holds an event numbered SEQ or later
cli_seq_reached() {
	[ -n "$2" ] || return 1
	_cs=$(sed -n 's/.* seq \([0-9]*\)$/\1/p; s/.*"seq":\([0-9]*\).*/\1/p' "$1" 2>/dev/null | tail -n 1)
	[ -n "$_cs" ] && [ "$_cs" -ge "$2" ]
}
# "vfiogroup -j monitor" -> the same words
json_events() {
	awk '{ k = "-"; g = "-"; d = "-"; r = "-"
		if (match($0, /"event":"[^"]*"/)) { k = substr($0, RSTART + 9, RLENGTH - 10) }
		if (match($0, /"group":[0-9]+/)) { g = substr($0, RSTART + 8, RLENGTH - 8) }
		# the first "device" and "driver" belong to the event (null or a
		# string), those of the state come later
		if (match($0, /"device":("[^"]*"|null)/)) { d = substr($0, RSTART + 9, RLENGTH - 9) }
		if (match($0, /"driver":("[^"]*"|null)/)) { r = substr($0, RSTART + 9, RLENGTH - 9) }
		gsub(/"/, "", d); gsub(/"/, "", r)
		if (d == "null") d = "-"
		if (r == "null") r = "-"
		if (k == "resync" || k == "disconnected" || k == "reconnected") print k
		else print k ":" d ":" r "@" g }' "$@"
}
# Seqs of the text monitor's kernel events: consecutive?
cli_seq_gaps() {
	awk '$1 == "[kernel]" { s = $NF + 0; if (n++ && s != p + 1) printf "%d->%d ", p, s; p = s }' "$@"
}
# in_syscall PID NR...: is PID blocked in one of these system calls?
in_syscall() {
	_s=$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)
	shift
	for _nr in "$@"; do [ "$_s" = "$_nr" ] && return 0; done
	return 1
}
# cli_mon_start NAME ARGS...: "vfiogroup ARGS monitor" in the background,
# output in $T/NAME.out; returns once it waits in poll() (connected and
# subscribed) -- poll is 7, ppoll 271 on x86_64.
cli_mon_start() {
	_cn=$1
	shift
	"$CLI" "$@" >"$T/$_cn.out" 2>"$T/$_cn.err" </dev/null &
	eval "pid_$_cn=$!"
	PIDS="$PIDS $!"
	_cp=$!
	wait_for 15 cli_mon_ready "$_cp"
	in_syscall "$_cp" 7 271
}
cli_mon_ready() { in_syscall "$1" 7 271 || ! alive "$1"; }
nlines() { wc -l <"$1" 2>/dev/null || echo 0; }
lines_at_least() { [ "$(nlines "$1")" -ge "$2" ]; }
# bind_dev DEV DRIVER: driver_override + drivers_probe, override cleared
bind_dev() {
	echo "$2" >"$PCI/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	echo >"$PCI/$1/driver_override"
	[ "$(pdrv "$1")" = "$2" ]
}
lr_reconnected() { [ "$(grep -c '^reconnected$' "$T/LR.out")" -ge 2 ]; }
unbind_dev() { [ "$(pdrv "$1")" = - ] || echo "$1" >"$PCI/$1/driver/unbind"; }
# remove_rescan DEV EXPECT: PCI-remove DEV, alone in its group, and rescan
# it back, calling EXPECT with each event word that must come of it
# ("kind:dev:driver@group", in order); sets RG, RDRV, RG2
remove_rescan() {
	_rr=$1 _ex=$2
	RG=$(grp_of "$_rr") RDRV=$(pdrv "$_rr")
	$_ex "driver-unbound:$_rr:$RDRV@$RG"
	[ "$(rule_viable "$RG")" = "$(rule_viable "$RG" "$_rr")" ] || $_ex "viability-changed:-:-@$RG"
	[ "$(rule_ready "$RG")" = "$(rule_ready "$RG" "$_rr")" ] || $_ex "ready-changed:-:-@$RG"
	$_ex "device-removed:$_rr:-@$RG"
	echo "$_rr" >>"$T/rescanned"
	echo 1 >"$PCI/$_rr/remove"
	wait_for 10 test ! -e "$PCI/$_rr"
	echo 1 >/sys/bus/pci/rescan
	wait_for 10 test -e "$PCI/$_rr/driver"
	RG2=$(grp_of "$_rr")
	$_ex "device-added:$_rr:-@$RG2"
	for _rw in $(bound_words "$_rr" "$(pdrv "$_rr")" "$(rule_viable "$RG2" "$_rr")" "$(rule_viable "$RG2")" \
		"$(rule_ready "$RG2" "$_rr")" "$(rule_ready "$RG2")"); do
		$_ex "$_rw@$RG2"
	done
}
# bind_expect DEV DRIVER EXPECT: bind_dev DEV DRIVER, calling EXPECT with
# the words of DEV's group that must come of it (bound_words)
bind_expect() {
	_be_g=$(grp_of "$1")
	_be_v0=$(rule_viable "$_be_g") _be_r0=$(rule_ready "$_be_g")
	bind_dev "$1" "$2"
	for _bw in $(bound_words "$1" "$2" "$_be_v0" "$(rule_viable "$_be_g")" "$_be_r0" "$(rule_ready "$_be_g")"); do
		$3 "$_bw@$_be_g"
	done
}
# unbind_expect DEV EXPECT: unbind_dev DEV, calling EXPECT with the words
unbind_expect() {
	_ue_g=$(grp_of "$1") _ue_d=$(pdrv "$1")
	_ue_v0=$(rule_viable "$_ue_g") _ue_r0=$(rule_ready "$_ue_g")
	unbind_dev "$1"
	$2 "driver-unbound:$1:$_ue_d@$_ue_g"
	[ "$_ue_v0" = "$(rule_viable "$_ue_g")" ] || $2 "viability-changed:-:-@$_ue_g"
	[ "$_ue_r0" = "$(rule_ready "$_ue_g")" ] || $2 "ready-changed:-:-@$_ue_g"
}

if want lib; then
	log "lib"
	LI=$(find_prog lib-integration) CLI=$(find_prog vfiogroup) VMMW=$(find_prog vmm-wait)
	diag "lib-integration=${LI:-missing} vfiogroup=${CLI:-missing} vmm-wait=${VMMW:-missing}"
	check "lib-integration, vfiogroup and vmm-wait are in the payload" \
		test -n "$LI" -a -n "$CLI" -a -n "$VMMW"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	LIB_VFIO=0
	[ -d /sys/bus/pci/drivers/vfio-pci ] && LIB_VFIO=1
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	# shellcheck disable=SC2012
	NGROUPS_SYS=$(ls /sys/kernel/iommu_groups | wc -l)
	# Devices: E (the e1000 alone in its group, for the tool), S1 another
	# e1000 alone in its group (storm, reload, unsub), S2 an e1000 in a
	# multi-device group without bridges (storm, with vfio-pci).
	S1='' S2=''
	for d in /sys/bus/pci/drivers/e1000/0000:*; do
		[ -e "$d" ] || continue
		d=${d##*/}
		[ "$d" != "$E" ] || continue
		nd=$(ndevs "$(grp_of "$d")")
		if [ "$nd" -eq 1 ] && [ -z "$S1" ]; then S1=$d; fi
		if [ "$nd" -ge 2 ]; then S2=$d; fi
	done
	diag "devices: E=${E:-none} S1=${S1:-none} S2=${S2:-none}; vfio-pci: $LIB_VFIO"
fi

if want lib; then
	diag "guest time left for lib: $(time_left) s"
fi
if want lib && [ "$(time_left)" -lt 45 ]; then
	skip "library cache, vfiogroup list / show / info" "guest time budget: $(time_left) s left"
elif want lib && [ -n "$LI" ] && [ -n "$CLI" ] && [ -n "$VMMW" ]; then
	# --- the library's cache == sysfs
	lib_tap "$LI" cache

	# --- (a) vfiogroup list / show / info / -j
	sysfs_listing >"$T/lib.sysfs"
	"$CLI" list >"$T/cli.list" 2>"$T/cli.err"
	rc=$?
	cli_listing "$T/cli.list" >"$T/cli.devs"
	if [ "$rc" -eq 0 ] && diff "$T/lib.sysfs" "$T/cli.devs" >"$T/cli.diff"; then
		ok "vfiogroup list == /sys/kernel/iommu_groups: $(wc -l <"$T/lib.sysfs") devices, buses, driver links"
	else
		notok "vfiogroup list == /sys/kernel/iommu_groups (rc=$rc; diff sysfs vs list below)"
		cat "$T/cli.diff" "$T/cli.err" | indent
	fi
	bad=0
	while read -r _ g v _; do
		[ "$v" = viable ] && v=1 || v=0
		[ "$v" = "$(rule_viable "$g")" ] || { bad=$((bad + 1)); diag "list: group $g viable=$v, rule $(rule_viable "$g")"; }
	done <<EOF2
$(grep '^group ' "$T/cli.list")
EOF2
	check "vfiogroup list: $(grep -c '^group ' "$T/cli.list") groups (sysfs $NGROUPS_SYS), each viable exactly by the driver_managed_dma rule" \
		test "$bad" -eq 0 -a "$(grep -c '^group ' "$T/cli.list")" -eq "$NGROUPS_SYS"
	bad=$(awk '/^    / { b = 0; for (i = 2; i <= NF; i++) { if ($i == "driver") d = $(i + 1); if ($i == "blocks-viability") b = 1 }
		m = (d == "(none)" || d == "vfio-pci" || d == "pci-stub" || d == "pcieport")
		if (m == b) { n++; print "# blocks-viability wrong: " $0 > "/dev/stderr" } } END { print n + 0 }' "$T/cli.list")
	check "vfiogroup list: blocks-viability exactly on devices whose driver blocks" test "$bad" -eq 0
	"$CLI" -j list >"$T/cli.json" 2>"$T/cli.err"
	rc=$?
	json_listing "$T/cli.json" >"$T/json.devs"
	if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/cli.json")" -eq 1 ] && diff "$T/lib.sysfs" "$T/json.devs" >"$T/cli.diff"; then
		ok "vfiogroup -j list: one JSON array, devices, buses, drivers == sysfs"
	else
		notok "vfiogroup -j list == sysfs (rc=$rc)"
		cat "$T/cli.diff" "$T/cli.err" | indent
	fi
	bad=0
	# shellcheck disable=SC2013
	for gv in $(grep -o '"group":[0-9]*,"viable":[a-z]*' "$T/cli.json" | sed 's/"group":\([0-9]*\),"viable":\([a-z]*\)/\1:\2/'); do
		g=${gv%:*} v=${gv#*:}
		[ "$v" = true ] && v=1 || v=0
		[ "$v" = "$(rule_viable "$g")" ] || { bad=$((bad + 1)); diag "-j list: group $g viable=$v"; }
	done
	check "vfiogroup -j list: $(grep -o '"group":' "$T/cli.json" | wc -l) groups, viability == rule" \
		test "$bad" -eq 0 -a "$(grep -o '"group":' "$T/cli.json" | wc -l)" -eq "$NGROUPS_SYS"
	bad=0
	for g in /sys/kernel/iommu_groups/*; do
		g=${g##*/}
		"$CLI" show "$g" >"$T/show.out" 2>&1 || { bad=$((bad + 1)); diag "show $g failed: $(cat "$T/show.out")"; continue; }
		[ "$(cli_listing "$T/show.out")" = "$(grep "^$g " "$T/lib.sysfs")" ] ||
			{ bad=$((bad + 1)); diag "show $g: $(tr '\n' '|' <"$T/show.out")"; }
		"$CLI" -j show "$g" >"$T/show.json" 2>&1
		[ "$(json_listing "$T/show.json")" = "$(grep "^$g " "$T/lib.sysfs")" ] ||
			{ bad=$((bad + 1)); diag "-j show $g: $(cat "$T/show.json")"; }
	done
	check "vfiogroup show N and -j show N == sysfs for each of the $NGROUPS_SYS groups" test "$bad" -eq 0
	bad=0
	while read -r g d _; do
		[ "$("$CLI" show dev "$d" 2>&1 | head -n1 | cut -d' ' -f2)" = "$g" ] || { bad=$((bad + 1)); diag "show dev $d: not group $g"; }
	done <"$T/lib.sysfs"
	check "vfiogroup show dev NAME finds the group of each of the $(wc -l <"$T/lib.sysfs") devices" test "$bad" -eq 0
	"$CLI" show 99999 >"$T/show.out" 2>&1
	rc=$?
	check "vfiogroup show 99999: exit 4, 'no group' (rc=$rc: $(head -n1 "$T/show.out"))" \
		test "$rc" -eq 4 -a -n "$(grep 'no group 99999' "$T/show.out")"
	out=$("$CLI" info 2>&1)
	rc=$?
	diag "vfiogroup info: $out"
	check "vfiogroup info: groups $NGROUPS_SYS, notifier, dropped 0" \
		test "$rc" -eq 0 -a "$(echo "$out" | sed -n 's/.* groups \([0-9]*\) .*/\1/p')" = "$NGROUPS_SYS" \
		-a -n "$(echo "$out" | grep -E ' notifier (bus|iommu-group) .* dropped 0$')"
	# Events never reach a net ns owned by another user ns: no cache.
	if [ -e /proc/self/ns/user ] && unshare -U -r -n true 2>/dev/null; then
		out=$(unshare -U -r -n "$CLI" list 2>&1)
		rc=$?
		check "vfiogroup list in a net ns owned by a new user ns: refused, says why (rc=$rc: $out)" \
			test "$rc" -ne 0 -a -n "$(echo "$out" | grep 'do not reach this network namespace')"
	else
		skip "vfiogroup list in a net ns owned by a new user ns" "no user namespaces (or busybox unshare -U -r -n fails)"
	fi
fi

if want lib && [ "$(time_left)" -lt 60 ]; then
	skip "vfiogroup monitor / wait, vmm-wait" "guest time budget: $(time_left) s left"
elif want lib && [ -n "$CLI" ] && [ -n "$E" ] && [ "$LIB_VFIO" = 1 ]; then
	EG=$(grp_of "$E")
	# --- (b) vfiogroup monitor: every transition, its kinds and group
	cli_mon_start LM monitor || notok "vfiogroup monitor waits in poll within 15 s"
	cli_mon_start LJ -j monitor --group "$EG" || notok "vfiogroup -j monitor --group $EG waits in poll within 15 s"
	: >"$T/lib.expect"
	lx() { echo "$1" >>"$T/lib.expect"; }
	# e1000 unbound: viability-changed; vfio-pci bound: ready-changed
	# after driver-bound; unbound: ready-changed; e1000: viability-changed
	unbind_expect "$E" lx
	bind_expect "$E" vfio-pci lx
	unbind_expect "$E" lx
	bind_expect "$E" e1000 lx
	grep "@$EG\$" "$T/lib.expect" >"$T/lib.expect.eg"
	R=
	for d in /sys/bus/pci/drivers/e1000e/0000:*; do [ -e "$d" ] && { R=${d##*/}; break; }; done
	if [ -n "$R" ] && [ "$(ndevs "$(grp_of "$R")")" -eq 1 ]; then
		remove_rescan "$R" lx
	else
		diag "no e1000e alone in its group: monitor without remove/rescan"
	fi
	want_n=$(wc -l <"$T/lib.expect")
	wait_for 10 lines_at_least "$T/LM.out" "$want_n"
	wait_for 5 lines_at_least "$T/LJ.out" "$(wc -l <"$T/lib.expect.eg")"
	# Barriers, not a pause: once LM printed the module's seq now and LJ
	# group $EG's, anything extra is in their output too.
	wait_for 10 cli_seq_reached "$T/LM.out" "$(module_seq)" ||
		diag "vfiogroup monitor did not reach the module's seq within 10 s"
	wait_for 10 cli_seq_reached "$T/LJ.out" "$(vg_field "$(module_group "$EG")" seq)" ||
		diag "vfiogroup -j monitor did not reach group $EG's seq within 10 s"
	mon_stop LM
	lm_rc=$mon_rc
	mon_stop LJ
	lj_rc=$mon_rc
	cli_events "$T/LM.out" >"$T/LM.words"
	if [ "$lm_rc" = 0 ] && cmp -s "$T/lib.expect" "$T/LM.words"; then
		ok "vfiogroup monitor: $want_n events of unbind, vfio-pci bind, unbind, e1000 bind${R:+, remove, rescan}: kinds, devices, drivers, groups as expected; SIGTERM exits 0"
	else
		notok "vfiogroup monitor: expected events, exit 0 on SIGTERM (rc=$lm_rc; expected, then got)"
		indent <"$T/lib.expect"
		cat "$T/LM.out" "$T/LM.err" | indent
	fi
	gaps=$(cli_seq_gaps "$T/LM.out")
	check "vfiogroup monitor: kernel seqs consecutive, no synthesized event (${gaps:-no gaps})" \
		test -z "$gaps" -a -z "$(grep -v '^\[kernel\] ' "$T/LM.out")"
	check "vfiogroup monitor: state after each event as announced (-> viable / not-viable, ready / not-ready; gone)" \
		test -z "$(grep '^\[kernel\]' "$T/LM.out" | grep -v ' -> \(\(viable\|not-viable\) \(ready\|not-ready\)\|gone\) seq [0-9]*$')"
	# ready-changed lines carry the readiness they announce: E's group
	# ready after the vfio-pci bind, not after the unbind
	check "vfiogroup monitor: the ready-changed of the vfio-pci bind says ready, that of its unbind not-ready" \
		test "$(grep "^\[kernel\] group $EG ready-changed " "$T/LM.out" | sed 's/.* -> [a-z-]* \([a-z-]*\) seq .*/\1/' | tr '\n' ' ')" = "ready not-ready "
	json_events "$T/LJ.out" >"$T/LJ.words"
	if [ "$lj_rc" = 0 ] && cmp -s "$T/lib.expect.eg" "$T/LJ.words"; then
		ok "vfiogroup -j monitor --group $EG: exactly the $(wc -l <"$T/lib.expect.eg") events of group $EG"
	else
		notok "vfiogroup -j monitor --group $EG: exactly group $EG's events (rc=$lj_rc; expected, then got)"
		indent <"$T/lib.expect.eg"
		cat "$T/LJ.out" "$T/LJ.err" | indent
	fi

	# --- (c) vfiogroup wait N --viable
	[ "$(pdrv "$E")" = e1000 ] || bind_dev "$E" e1000
	t0=$(uptime_cs)
	"$CLI" wait "$EG" --viable --timeout 2 >"$T/wait.out" 2>&1
	rc=$? t1=$(uptime_cs)
	check "vfiogroup wait $EG --viable --timeout 2 (not viable): exit 3 after $(((t1 - t0) * 10)) ms" \
		test "$rc" -eq 3 -a $((t1 - t0)) -ge 190 -a $((t1 - t0)) -lt 1000
	(sleep 2; echo "$E" >/sys/bus/pci/drivers/e1000/unbind) &
	bgp=$!
	PIDS="$PIDS $bgp"
	t0=$(uptime_cs)
	"$CLI" wait "$EG" --viable --timeout 30 >"$T/wait.out" 2>&1
	rc=$? t1=$(uptime_cs)
	wait "$bgp"
	check "vfiogroup wait $EG --viable: exit 0 when an unbind 2 s later makes it viable (after $(((t1 - t0) * 10)) ms: $(cat "$T/wait.out"))" \
		test "$rc" -eq 0 -a "$(cat "$T/wait.out")" = "group $EG viable" -a $((t1 - t0)) -ge 150 -a $((t1 - t0)) -lt 2500
	out=$("$CLI" -j wait "$EG" --viable --timeout 0 2>&1)
	rc=$?
	check "vfiogroup -j wait on a viable group: exit 0 at once, $out" test "$rc" -eq 0 -a "$out" = "{\"group\":$EG,\"viable\":true}"
	"$CLI" wait 99999 --viable --timeout 1 >/dev/null 2>&1
	rc=$?
	check "vfiogroup wait on a group that does not exist: exit 3 (rc=$rc)" test "$rc" -eq 3
	bind_dev "$E" e1000

	# --- (f) examples/vmm-wait
	"$VMMW" "$EG" --timeout 2 >"$T/vmm.out" 2>&1
	rc=$?
	check "vmm-wait $EG --timeout 2 on a group that is not viable: exit 3 (rc=$rc)" test "$rc" -eq 3
	vmm_start() {
		"$VMMW" "$@" >"$T/vmm.out" 2>"$T/vmm.err" </dev/null &
		# shellcheck disable=SC2034  # read by mon_stop / mon_wait
		pid_VMM=$!
		PIDS="$PIDS $!"
		wait_for 15 grep -q 'waiting for group' "$T/vmm.out"
	}
	vmm_start "$EG" --timeout 60
	unbind_dev "$E"
	bind_dev "$E" vfio-pci
	if wait_for 15 grep -q "holding /dev/vfio/$EG (viable)" "$T/vmm.out"; then
		ok "vmm-wait: waits, then holds /dev/vfio/$EG once $E is on vfio-pci"
	else
		notok "vmm-wait: holds /dev/vfio/$EG once $E is on vfio-pci"
		cat "$T/vmm.out" "$T/vmm.err" | indent
	fi
	mon_stop VMM
	check "vmm-wait: SIGTERM while holding the group: exit 0 (rc=$mon_rc)" test "$mon_rc" = 0
	vmm_start "$EG" --timeout 60
	if wait_for 15 grep -q "holding /dev/vfio/$EG (viable)" "$T/vmm.out"; then
		unbind_dev "$E"
		bind_dev "$E" e1000
		mon_wait VMM 15
		msg=$(grep 'no longer viable' "$T/vmm.out")
		diag "vmm-wait: $msg"
		check "vmm-wait: a host driver takes $E: exit 1, '$msg'" \
			test "$mon_rc" = 1 -a "$msg" = "vmm-wait: group $EG is no longer viable ($E: a driver is probing it)"
	else
		notok "vmm-wait: holds an already viable group at once"
		cat "$T/vmm.out" "$T/vmm.err" | indent
		mon_stop VMM
	fi
	bind_dev "$E" e1000 || [ "$(pdrv "$E")" = e1000 ]
	check "$E back on e1000 after the tool tests" test "$(pdrv "$E")" = e1000
elif want lib; then
	skip "vfiogroup monitor / wait, vmm-wait" "needs the tool, an e1000 alone in its group and vfio-pci"
fi

if want lib && [ -n "$LI" ]; then
	# --- (g) unsubscribe guarantee on a live stream
	if [ -n "$S1" ] && [ "$(time_left)" -ge 40 ]; then
		lib_tap "$LI" unsub --dev "$S1" --toggles 20
	elif [ -n "$S1" ]; then
		skip "unsubscribe on a live stream" "guest time budget: $(time_left) s left"
	else
		skip "unsubscribe on a live stream" "no second e1000 alone in its group"
	fi
	# --- (h) kernel filters: a context per group (S1's, and S2's or E's)
	# beside an unfiltered one, during unbind/bind cycles of both
	FD2=${S2:-$E}
	if [ -n "$S1" ] && [ -n "$FD2" ] && [ "$(time_left)" -ge 60 ]; then
		ftog=10
		[ "$(time_left)" -ge 150 ] || ftog=4
		log "lib: filtered contexts ($ftog cycles)"
		lib_tap "$LI" filtered --dev "$S1" --dev "$FD2" --toggles "$ftog"
	elif [ -n "$S1" ] && [ -n "$FD2" ]; then
		skip "filtered contexts during a burst" "guest time budget: $(time_left) s left"
	else
		skip "filtered contexts during a burst" "needs two e1000s in different groups"
	fi
	# --- (i) acting in a resync's window, a raw listener as ground truth:
	# a bind from inside the RESYNC callback, another process binding
	# while the contexts resync, a bind right after the drain.  Up to 60 s
	# (the first round always runs), keeping 150 s for storm and reload.
	win_s=$(($(time_left) - 150))
	[ "$win_s" -le 60 ] || win_s=60
	if [ -n "$S1" ] && [ "$win_s" -ge 25 ]; then
		log "lib: window (up to $win_s s)"
		# shellcheck disable=SC2086
		lib_tap "$LI" window --dev "$S1" ${S2:+--dev "$S2"} --max-seconds "$win_s"
	elif [ -n "$S1" ]; then
		skip "binds in a resync's window" "guest time budget: $(time_left) s left"
	else
		skip "binds in a resync's window" "no second e1000 alone in its group"
	fi
	# --- (d) storm against a stalled consumer, the kernel filter attached
	# Up to 90 s, less when the guest budget is short (the reload after
	# it needs about 60 s on the debug kernel); storm and its checks adapt
	# to how many toggles the kernel manages in that time.
	storm_s=$(($(time_left) - 60))
	[ "$storm_s" -le 90 ] || storm_s=90
	if [ -n "$S1" ] && [ "$storm_s" -ge 20 ]; then
		log "lib: storm (up to $storm_s s)"
		# shellcheck disable=SC2086
		lib_tap "$LI" storm --dev "$S1" ${S2:+--dev "$S2"} --toggles "${VG_STORM:-300}" --max-seconds "$storm_s"
	elif [ -n "$S1" ]; then
		skip "bind/unbind storm" "guest time budget: $(time_left) s left"
	else
		skip "bind/unbind storm" "no second e1000 alone in its group"
	fi
	# --- (e) rmmod / insmod while subscribed, with the tool listening too
	if [ -n "$MODULE_KO" ] && [ -n "$S1" ] && [ "$(time_left)" -lt 30 ]; then
		skip "rmmod/insmod while subscribed" "guest time budget: $(time_left) s left"
	elif [ -n "$MODULE_KO" ] && [ -n "$S1" ]; then
		log "lib: reload"
		[ -z "$CLI" ] || cli_mon_start LR monitor || diag "vfiogroup monitor for the reload did not start"
		lib_tap "$LI" reload --module "$MODULE_KO" --dev "$S1"
		if [ -n "$CLI" ]; then
			wait_for 10 lr_reconnected
			lr_pid=$(eval "echo \$pid_LR")
			if alive "$lr_pid"; then lr_alive=1; else lr_alive=0; fi
			mon_stop LR
			check "vfiogroup monitor across two reloads: disconnected, reconnected twice each, still running, exit 0 (rc=$mon_rc)" \
				test "$lr_alive" = 1 -a "$mon_rc" = 0 -a "$(grep -c '^disconnected$' "$T/LR.out")" -eq 2 \
				-a "$(grep -c '^reconnected$' "$T/LR.out")" -eq 2
			grep -v '^\[kernel\]' "$T/LR.out" | indent
		fi
		lib_tap "$LI" cache
	else
		skip "rmmod/insmod while subscribed" "no vfiogroup.ko to insmod again or no second e1000"
	fi
fi

# ---------------------------------------------------------------- qemu
#
# QEMU itself says whether a VMM can take a device (qemu-oracle.sh).

# qemu_expect DESC WANT BDF [PATTERN]: qemu_try BDF must return WANT (0
# realised, 1 refused) and, when refused, say something matching PATTERN
# (grep -E); QEMU's error text and the time as diagnostics.
qemu_expect() {
	qemu_try "$3"
	_qe_rc=$?
	_qe_ok=0
	if [ "$_qe_rc" = "$2" ]; then
		_qe_ok=1
		[ "$2" = 0 ] || [ -z "${4:-}" ] || echo "$QEMU_ERR" | grep -qE "$4" || _qe_ok=0
	fi
	case $_qe_rc in 0) _qe_w=realised ;; 1) _qe_w=refused ;; *) _qe_w="no answer" ;; esac
	if [ "$_qe_ok" = 1 ]; then ok "qemu: $1: $_qe_w ($QEMU_MS ms)"
	else notok "qemu: $1: $_qe_w ($QEMU_MS ms), want $([ "$2" = 0 ] && echo realised || echo "refused${4:+ with /$4/}")"
	fi
	[ -z "$QEMU_ERR" ] || diag "qemu: $3: $QEMU_ERR"
}

# rebind DEV DRIVER: unbind DEV (if bound), bind it to DRIVER
rebind() { unbind_dev "$1"; bind_dev "$1" "$2"; }

# qemu_path VIA: the qemu section's scenarios on one path (qemu-oracle.sh's
# QEMU_VIA).  Why QEMU must refuse differs by path: the group path fails at
# /dev/vfio/GROUP (missing, not viable, busy); the cdev path at the device's
# vfio-dev directory (missing), or when binding the device to iommufd:
# EPERM when a kernel driver in the group uses its DMA (not viable), EBUSY
# when a user of the group path holds it, EINVAL when another iommufd user
# has the device open already (6.12's vfio_df_open()).
qemu_path() {
	QEMU_VIA=$1
	_qp=$1
	if [ "$_qp" = cdev ]; then
		_qp_nonode="vfio-dev: No such file" _qp_notviable="Operation not permitted"
		_qp_unbound=$_qp_nonode
	else
		_qp_nonode="/dev/vfio/$EG|not viable" _qp_notviable="not viable"
		_qp_unbound="/dev/vfio/$EG"
	fi
	[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
	qemu_expect "$_qp: $E on e1000" 1 "$E" "$_qp_nonode"
	if rebind "$E" vfio-pci; then
		qemu_expect "$_qp: $E on vfio-pci" 0 "$E"
		if qemu_hold "$E"; then
			ok "qemu: $_qp: $E on vfio-pci held by a paused QEMU (pid $QEMU_HOLD_PID, $QEMU_MS ms)"
			diag "qemu: the held QEMU's $(grep '^VmRSS' "/proc/$QEMU_HOLD_PID/status" | tr -s ' \t' ' '), guest $(grep '^MemAvailable' /proc/meminfo | tr -s ' ' ' ')"
			if loaded; then
				_qp_l=$(module_group "$EG")
				check "qemu: $_qp: group $EG held by QEMU: the module says inuse=$([ "$INUSE_IDLE" = 0 ] && echo 1 || echo -), ready=1 ($_qp_l)" \
					test "$(vg_field "$_qp_l" inuse)" = "$([ "$INUSE_IDLE" = 0 ] && echo 1 || echo -)" -a "$(vg_field "$_qp_l" ready)" = 1
			fi
			for _qp_other in $QEMU_PATHS; do
				QEMU_VIA=$_qp_other
				_qp_held="busy"
				[ "$_qp $_qp_other" != "cdev cdev" ] || _qp_held="Invalid argument"
				qemu_expect "$_qp: $E held by another QEMU, tried on the $_qp_other path" 1 "$E" "$_qp_held"
			done
			QEMU_VIA=$_qp
			if qemu_release; then ok "qemu: $_qp: the holding QEMU quit"
			else notok "qemu: $_qp: the holding QEMU quit: $QEMU_ERR"; fi
			qemu_expect "$_qp: $E on vfio-pci after the release" 0 "$E"
		else
			notok "qemu: $_qp: $E on vfio-pci held by a paused QEMU: $QEMU_ERR"
		fi
	else
		notok "qemu: bind $E to vfio-pci (driver $(pdrv "$E"))"
	fi
	unbind_dev "$E"
	qemu_expect "$_qp: $E unbound" 1 "$E" "$_qp_unbound"
	bind_dev "$E" e1000
	check "qemu: $_qp: $E back on e1000" test "$(pdrv "$E")" = e1000
	if [ -z "$M0" ]; then
		skip "qemu: $_qp: group of two" "no two-function e1000"
	else
		MG=$(grp_of "$M0")
		if rebind "$M0" vfio-pci; then
			qemu_expect "$_qp: $M0 on vfio-pci, $M1 on $(pdrv "$M1") (group $MG)" 1 "$M0" "$_qp_notviable"
			if rebind "$M1" vfio-pci; then
				qemu_expect "$_qp: $M0 and $M1 on vfio-pci (group $MG)" 0 "$M0"
			else
				notok "qemu: bind $M1 to vfio-pci"
			fi
		else
			notok "qemu: bind $M0 to vfio-pci"
		fi
		rebind "$M0" e1000
		rebind "$M1" e1000
		check "qemu: $_qp: $M0 and $M1 back on e1000" test "$(pdrv "$M0") $(pdrv "$M1")" = "e1000 e1000"
	fi
	# A group of several devices none of which has a driver (q35's
	# 00:1f.x): one of them on vfio-pci, the others unbound.
	U=''
	for g in /sys/kernel/iommu_groups/*; do
		[ "$(ndevs "${g##*/}")" -ge 2 ] || continue
		[ -z "$(for d in $(group_devs "${g##*/}"); do [ "$(pdrv "$d")" = - ] || echo "$d"; done)" ] || continue
		U=$(group_devs "${g##*/}" | tail -n 1)
		break
	done
	if [ -z "$U" ]; then
		skip "qemu: $_qp: vfio-pci beside unbound devices" "no group of unbound devices"
	elif rebind "$U" vfio-pci; then
		qemu_expect "$_qp: $U on vfio-pci, the other $(($(ndevs "$(grp_of "$U")") - 1)) of group $(grp_of "$U") unbound" 0 "$U"
		unbind_dev "$U"
		check "qemu: $_qp: $U unbound again" test "$(pdrv "$U")" = -
	else
		notok "qemu: bind $U to vfio-pci"
		unbind_dev "$U"
	fi
	QEMU_VIA=group
}

if want qemu; then
	log "qemu"
	# shellcheck source=qemu-oracle.sh source-path=SCRIPTDIR
	. "$HERE/qemu-oracle.sh"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	# The two-function e1000 (one group of two, both on e1000).
	M0='' M1=''
	for d in /sys/bus/pci/drivers/e1000/0000:*; do
		[ -e "$d" ] || continue
		d=${d##*/}
		if [ "$(ndevs "$(grp_of "$d")")" -eq 2 ]; then
			M0=$d M1=$(group_devs "$(grp_of "$d")" | grep -vx "$d")
			break
		fi
	done
	if [ ! -x "$QEMU_BIN" ]; then
		notok "qemu: $QEMU_BIN in the payload (run-suite.sh: tests/vm/qemu-payload.sh)"
	elif [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		notok "qemu: needs the vfio-pci driver"
	elif [ -z "$E" ]; then
		skip "qemu: vfio-pci oracle" "no device on e1000 alone in its group"
	elif [ "$(time_left)" -lt 60 ]; then
		skip "qemu: vfio-pci oracle" "guest time budget: $(time_left) s left"
	else
		EG=$(grp_of "$E")
		QEMU_PATHS=group
		if [ ! -c /dev/iommu ]; then
			skip "qemu: the cdev path (-object iommufd)" "this kernel has no IOMMUFD (no /dev/iommu; Debian builds it without)"
		elif ! qemu_has_cdev; then
			notok "qemu: the cdev path: the kernel has /dev/iommu, but no vfio-dev class or no $QEMU_CDEV_BIN (run-suite.sh: tests/vm/qemu-iommufd-payload.sh)"
		else
			QEMU_PATHS="group cdev"
		fi
		diag "qemu: $E (group $EG), two-function ${M0:-none} ${M1:-}; paths: $QEMU_PATHS; $("$QEMU_BIN" --version | head -n 1)"
		[ "$QEMU_PATHS" = group ] || diag "qemu: cdev path: $("$QEMU_CDEV_BIN" --version | head -n 1)"
		for _via in $QEMU_PATHS; do
			qemu_path "$_via"
		done
	fi
	diag "$(qemu_summary)"
fi

# ---------------------------------------------------------------- qemu-walk, ynl, kunit, faults, stress, walk
# (qemu-walk before walk: on 5.10 a device walk removes and rescans can no
# longer be given to VFIO, see qemu-walk.sh)
for _sec in qemu-walk ynl kunit faults stress walk; do
	# shellcheck source=/dev/null
	. "$HERE/$_sec.sh"
done

echo "1..$n"
log "done: $n tests, $nfail failed"
[ "$nfail" -eq 0 ]
