#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# run-tests.sh [SECTION...]: the vfiogroup tests inside the VM guest.
#
# Runs under busybox ash (busybox-static applets only) as root, from the
# bench's /init (tests/vm/guest-init.sh), with vgprobe next to this script
# (or on PATH).  Prints TAP on stdout (plan at the end), diagnostics as
# "# ..." lines; progress goes to stderr (the guest console).
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
#   bad       (g) malformed requests: EINVAL + extack, unknown cmd EOPNOTSUPP
#   user      (h) uid 1000 can dump and subscribe
#   netns     (i) a net ns of the initial user ns gets events, one owned
#                 by a new user ns gets none
#   rmmod     (f) rmmod with a listener blocked: ESHUTDOWN, then insmod, dump
#
# Expected events are derived from sysfs with the kernel >= 5.19 rule: a
# group is viable iff no device in it is bound to a driver other than
# vfio-pci, pci-stub or pcieport (the drivers with driver_managed_dma).
#
# Nothing may hang: every wait polls with a deadline, every monitor has a
# timeout, and leftover monitors are killed on exit.

HERE=$(cd "$(dirname "$0")" && pwd)
VG=
for c in "$HERE/vgprobe" "$HERE/bin/vgprobe" "$(command -v vgprobe 2>/dev/null)"; do
	if [ -n "$c" ] && [ -x "$c" ]; then VG=$c; break; fi
done

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
# rule_viable GROUP [EXCLUDED-DEVICE]
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

# ---------------------------------------------------------------- monitors

# mon_start NAME TIMEOUT COUNT [VGPROBE-COMMAND...]: start "VGPROBE-COMMAND
# monitor ..." (default: vgprobe; e.g. "unshare -n /payload/vgprobe" or
# "vgprobe --uid=1000") in the background, output in $T/NAME.out; waits until
# it is subscribed.
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
# as "kind:device:driver" words (viability-changed: "viability-changed:-:-").

TRANS_OK=0 TRANS_BAD=0
: >"$T/trans.log"
MISMATCH=0 VCHECKS=0 RULE_MISMATCH=0
ev_words() { # ev_words FROM TO: events FROM..TO of M as words
	events_of M | sed -n "$1,$2p" | while read -r _l; do
		echo "$(vg_field "$_l" kind):$(vg_field "$_l" dev):$(vg_field "$_l" driver)"
	done | tr '\n' ' ' | sed 's/ $//'
}
ev_groups() { # ev_groups FROM TO: group ids of events FROM..TO of M
	events_of M | sed -n "$1,$2p" | while read -r _l; do vg_field "$_l" group; done | sort -u | tr '\n' ' ' | sed 's/ $//'
}
trans_begin() { TB_START=$(nevents M); }
ev_at_least() { [ "$(nevents M)" -ge "$1" ]; }
# trans_end DESC GROUP EXPECTED-WORDS
trans_end() {
	_desc=$1 _g=$2 _exp=$3
	_cnt=$(echo "$_exp" | wc -w)
	_want=$((TB_START + _cnt))
	wait_for 10 ev_at_least "$_want"
	usleep 300000			# anything extra arrives here too
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
# viability_check STEP: for every /dev/vfio/N the module's viability must be
# VFIO_GROUP_GET_STATUS's; and for every group the >= 5.19 sysfs rule's.
viability_check() {
	for _f in /dev/vfio/[0-9]*; do
		[ -e "$_f" ] || continue
		_g=${_f##*/}
		_mv=$(module_viable "$_g")
		_vs=$("$VG" vfio-status "$_g" 2>/dev/null)
		_vv=$(vg_field "$_vs" viable)
		VCHECKS=$((VCHECKS + 1))
		if [ -z "$_mv" ] || [ "$_mv" != "$_vv" ]; then
			MISMATCH=$((MISMATCH + 1))
			diag "viability mismatch $1: group $_g module='$_mv' vfio='$_vv' ($_vs)"
		fi
	done
	if kver_ge 5 19; then
		for _gd in /sys/kernel/iommu_groups/*; do
			_g=${_gd##*/}
			[ -d "$_gd/devices" ] || continue
			[ "$(ndevs "$_g")" -gt 0 ] || continue
			_mv=$(module_viable "$_g")
			_rv=$(rule_viable "$_g")
			if [ "$_mv" != "$_rv" ]; then
				RULE_MISMATCH=$((RULE_MISMATCH + 1))
				diag "rule mismatch $1: group $_g module='$_mv' driver_managed_dma rule='$_rv'"
			fi
		done
	fi
}
vc_word() { [ "$1" = "$2" ] || echo " viability-changed:-:-"; }

# Each act_* uses its own variable names: ash has no local variables and
# they call each other.
act_unbind() { # act_unbind DEV
	_u_dev=$1
	_u_drv=$(pdrv "$_u_dev")
	[ "$_u_drv" != - ] || return 0
	_u_g=$(grp_of "$_u_dev")
	_u_v0=$(rule_viable "$_u_g")
	trans_begin
	echo "$_u_dev" >"/sys/bus/pci/drivers/$_u_drv/unbind"
	_u_v1=$(rule_viable "$_u_g")
	trans_end "unbind $_u_drv from $_u_dev" "$_u_g" \
		"driver-unbound:$_u_dev:$_u_drv$(vc_word "$_u_v0" "$_u_v1")"
}
act_bind() { # act_bind DEV DRIVER (via driver_override + drivers_probe)
	_b_dev=$1 _b_drv=$2
	[ "$(pdrv "$_b_dev")" = - ] || act_unbind "$_b_dev"
	_b_g=$(grp_of "$_b_dev")
	_b_v0=$(rule_viable "$_b_g")
	trans_begin
	echo "$_b_drv" >"$PCI/$_b_dev/driver_override"
	echo "$_b_dev" >/sys/bus/pci/drivers_probe 2>/dev/null
	_b_now=$(pdrv "$_b_dev")
	_b_v1=$(rule_viable "$_b_g")
	if [ "$_b_now" = "$_b_drv" ]; then
		trans_end "bind $_b_drv to $_b_dev" "$_b_g" \
			"driver-bound:$_b_dev:$_b_drv$(vc_word "$_b_v0" "$_b_v1")"
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

# ---------------------------------------------------------------- load

log "start (kernel $(uname -r), vgprobe $VG, module ${MODULE_KO:-?})"
if [ -z "$VG" ]; then
	notok "vgprobe found next to run-tests.sh or on PATH"
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
	if kver_ge 5 19; then want_notifier=bus; else want_notifier=iommu-group; fi
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
	if mon_start M 400 0; then
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
		st=$("$VG" vfio-status "$EG" 2>&1)
		diag "vfio-status $EG: $st; module: viable=$(module_viable "$EG")"
		check "group $EG (only vfio-pci) is viable for VFIO and for the module" \
			test "$(vg_field "$st" viable)" = 1 -a "$(module_viable "$EG")" = 1
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
			st=$("$VG" vfio-status "$G" 2>&1)
			mv=$(module_viable "$G")
			exp=$(rule_viable "$G")
			diag "group $G with $V on vfio-pci, $host_others other(s) on host drivers: vfio '$st', module viable=$mv, rule $exp"
			if [ "$host_others" -gt 0 ]; then
				exercised_nonviable=1
				check "group $G: $V on vfio-pci, others on host drivers: not viable for VFIO and module" \
					test "$(vg_field "$st" viable)" = 0 -a "$mv" = 0
			fi
			for d in $others; do act_unbind "$d"; done
			st=$("$VG" vfio-status "$G" 2>&1)
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
		v0=$(rule_viable "$RG")
		vo=$(rule_viable "$RG" "$R")
		trans_begin
		echo 1 >"$PCI/$R/remove"
		wait_for 10 test ! -e "$PCI/$R"
		trans_end "PCI remove of $R" "$RG" \
			"driver-unbound:$R:$RDRV$(vc_word "$v0" "$vo") device-removed:$R:-"
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
			expw="$expw driver-bound:$R:$RDRV2$(vc_word "$(rule_viable "$RG2" "$R")" "$(rule_viable "$RG2")")"
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
	if kver_ge 5 19; then
		echo "# rule-mismatches=$RULE_MISMATCH"
		check "module viability == driver_managed_dma rule for every group after every step" test "$RULE_MISMATCH" -eq 0
	fi

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
	else
		notok "the main monitor saw events"
	fi
	for k in device-added device-removed driver-bound driver-unbound viability-changed; do
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
	for c in id-u64 id-short name-long name-nonul attr-beyond-max foreign-attr no-attr unknown-cmd; do
		out=$("$VG" bad "$c" 2>&1)
		rc=$?
		e=$(vg_field "$out" errno)
		msg=$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')
		diag "bad $c: $(echo "$out" | head -n1)"
		case $c in
		unknown-cmd)
			check "bad request $c: EOPNOTSUPP" test "$rc" -eq 0 -a "$e" = EOPNOTSUPP ;;
		*)
			check "bad request $c: EINVAL with an extack message" test "$rc" -eq 0 -a "$e" = EINVAL -a -n "$msg" ;;
		esac
	done
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
		# uid 1000: the bench's asuser (su), or vgprobe's own --uid.
		if command -v asuser >/dev/null 2>&1 && [ "$(asuser id -u 2>/dev/null)" = 1000 ]; then
			ASUSER="asuser $VG"
		else
			ASUSER="$VG --uid=1000:1000"
		fi
		# shellcheck disable=SC2086
		ASVG() { $ASUSER "$@"; }
		diag "as uid 1000: $ASUSER"
		# Namespaces: busybox unshare if it works, else vgprobe's --unshare.
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
				diag "$NETNS: $($NETNS "$VG" netns-check)"
				# shellcheck disable=SC2086
				mon_start N1 60 1 $NETNS "$VG"
			else
				diag "busybox unshare -n failed: vgprobe --unshare=net"
				mon_start N1 60 1 "$VG" --unshare=net
			fi
			if [ ! -e /proc/self/ns/user ]; then
				HAVE_USERNS=0
				diag "kernel without user namespaces (CONFIG_USER_NS=n)"
			elif [ -n "$USERNS" ]; then
				diag "$USERNS: $($USERNS "$VG" netns-check)"
				# shellcheck disable=SC2086
				mon_start N2 8 0 $USERNS "$VG"
			else
				diag "busybox unshare -U -r -n failed: vgprobe --unshare=user-net"
				mon_start N2 8 0 "$VG" --unshare=user-net
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
		mon_start RU 60 0 "$VG" --uid=1000:1000 || diag "RU not ready"
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

echo "1..$n"
log "done: $n tests, $nfail failed"
[ "$nfail" -eq 0 ]
