# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "qemu-walk", sourced by run-tests.sh: QEMU judges readiness.  A
# seeded random walk over the bench's NICs (the e1000s, the two-function
# e1000 whose functions share a group, the e1000e behind its root port):
# unbind; vfio-pci; the host driver back; libvirt's sequence (host driver
# unbound, vfio-pci bound, judged in the gap too); PCI remove and rescan; a
# QEMU holding a ready group and letting go.  After each step, for the
# device acted on and one other, the library's answer (vfiogroup -j show
# dev DEV: readiness, with a fresh look at "in use") is put to QEMU itself
# (qemu-oracle.sh: -device vfio-pci,host=DEV, paused, quit once realised;
# where the kernel has IOMMUFD, on the cdev path too, with -object iommufd):
# where the library says ready QEMU must realise the device, where it says
# not ready QEMU must fail and the library must name a device in the way
# that sysfs confirms.  After each bind of vfio-pci, "vfiogroup wait
# --ready --device DEV" is followed by QEMU, which must realise the device.
# Holds take turns between the two paths.  What the walk did not reach (a
# gap, a ready answer, a hold on each path) is then made on purpose: top-ups.
# Summary: "# qemu-walk: seed=S steps=N top-ups=U judged=J (cdev path C) ...
# disagreements=D named-wrong=W wait-then-qemu=Q gap-checks=G holds=H (cdev
# path HC)".
#
# Up to 5.18 the module cannot see a user holding a group, so there the
# walk makes no hold step; on 5.10 it makes no remove and rescan either, as
# that kernel (with the emulated Intel IOMMU) refuses a rescanned device to
# VFIO, module or not (each said by a SKIP line, never counted as passed).
#
# Knobs (kernel command line): VG_QEMU_WALK_STEPS (default 40),
# VG_QEMU_WALK_SEED (default: from the clock; printed).

# qw_rand N: a number in 0..N-1 from the walk's own generator (an LCG: the
# same seed gives the same walk on every kernel and shell).
qw_rand() {
	QW_S=$(((QW_S * 1103515245 + 12345) % 2147483648))
	QW_R=$(((QW_S / 65536) % $1))
}
# qw_pick: QW_D = a random device of the walk that exists now
qw_pick() {
	qw_rand "$QW_N"
	eval "QW_D=\$QW_DEV_$QW_R QW_HOST=\$QW_HOSTDRV_$QW_R"
}
qw_held_group() { [ -n "$QW_HOLD_G" ] && [ -e "$PCI/$1" ] && [ "$(grp_of "$1")" = "$QW_HOLD_G" ]; }

# The transitions: helpers-sysfs.sh's unbind_dev and rebind, and these.
qw_remove_rescan() {
	echo 1 >"$PCI/$1/remove" && echo 1 >/sys/bus/pci/rescan
	wait_for 10 test -e "$PCI/$1"
}

# qw_ask DEV: the library's answer through vfiogroup -j show dev DEV:
# QW_READY (1/0), QW_REASON, QW_BDEV and QW_BDRV (the device in the way).
qw_ask() {
	QW_READY=- QW_REASON='' QW_BDEV='' QW_BDRV=''
	_qa=$("$QW_CLI" -j show dev "$1" 2>&1) || { QW_REASON="show failed: $_qa"; return 1; }
	_qa=${_qa#*\"readiness\":}
	case $_qa in *'"ready":true'*) QW_READY=1 ;; *'"ready":false'*) QW_READY=0 ;; esac
	QW_REASON=$(echo "$_qa" | sed -n 's/.*"reason":"\([^"]*\)".*/\1/p')
	QW_BDEV=$(echo "$_qa" | sed -n 's/.*"blocking_device":"\([^"]*\)".*/\1/p')
	QW_BDRV=$(echo "$_qa" | sed -n 's/.*"blocking_driver":"\([^"]*\)".*/\1/p')
	[ "$QW_READY" != - ]
}

# qw_named_ok DEV: does sysfs confirm what the library named as in the way?
qw_named_ok() {
	case $QW_REASON in
	"not viable")
		[ -n "$QW_BDEV" ] && [ -e "$PCI/$QW_BDEV" ] &&
			[ "$(grp_of "$QW_BDEV")" = "$(grp_of "$1")" ] &&
			! managed "$(pdrv "$QW_BDEV")" &&
			[ "${QW_BDRV:--}" = "$(pdrv "$QW_BDEV")" ] ;;
	"not bound to a VFIO driver")
		[ "$QW_BDEV" = "$1" ] && [ "$(pdrv "$1")" != vfio-pci ] &&
			[ "${QW_BDRV:--}" = "$(pdrv "$1")" ] ;;
	"in use by another user")
		qw_held_group "$1" ;;
	*) return 1 ;;
	esac
}

# qw_judge DEV WHEN: the library's answer against QEMU's, on every path.
qw_judge() {
	qw_held_group "$1" && [ "$QW_HOLD_D" = "$1" ] && return 0	# the holder itself
	if ! qw_ask "$1"; then
		QW_BAD=$((QW_BAD + 1))
		diag "qemu-walk: step $QW_I ($2): $1: no answer: $QW_REASON"
		return
	fi
	for QEMU_VIA in $QW_PATHS; do
		qemu_try "$1"
		_qr=$?
		QW_J=$((QW_J + 1))
		[ "$QEMU_VIA" = group ] || QW_JC=$((QW_JC + 1))
		if [ "$_qr" -gt 1 ]; then
			QW_HANG=$((QW_HANG + 1))
			diag "qemu-walk: step $QW_I ($2): $1: QEMU ($QEMU_VIA path) did not answer: $QEMU_ERR"
		elif [ "$QW_READY" = 1 ] && [ "$_qr" -ne 0 ]; then
			QW_BAD=$((QW_BAD + 1))
			diag "qemu-walk: step $QW_I ($2): $1: library says ready, QEMU ($QEMU_VIA path) failed: $QEMU_ERR"
		elif [ "$QW_READY" = 0 ] && [ "$_qr" -eq 0 ]; then
			QW_BAD=$((QW_BAD + 1))
			diag "qemu-walk: step $QW_I ($2): $1: library says not ready ($QW_REASON $QW_BDEV $QW_BDRV), QEMU ($QEMU_VIA path) realised it"
		elif [ "$QW_READY" = 0 ]; then
			QW_NOT=$((QW_NOT + 1))
		else
			QW_YES=$((QW_YES + 1))
		fi
	done
	QEMU_VIA=group
	if [ "$QW_READY" = 0 ] && ! qw_named_ok "$1"; then
		QW_NAMED=$((QW_NAMED + 1))
		diag "qemu-walk: step $QW_I ($2): $1: named '$QW_REASON' '$QW_BDEV' '$QW_BDRV'; sysfs: $(for _x in $(group_devs "$(grp_of "$1")"); do printf '%s=%s ' "$_x" "$(pdrv "$_x")"; done)"
	fi
}

# qw_wait_then_qemu DEV: after vfio-pci's bind, the CLI's wait, then QEMU.
qw_wait_then_qemu() {
	qw_held_group "$1" && return 0
	if "$QW_CLI" wait --ready --device "$1" --timeout 10 >"$T/qw.wait" 2>&1; then
		for QEMU_VIA in $QW_PATHS; do
			qemu_try "$1"
			_qr=$?
			QW_WQ=$((QW_WQ + 1))
			if [ "$_qr" -ne 0 ]; then
				QW_BAD=$((QW_BAD + 1))
				diag "qemu-walk: step $QW_I: vfiogroup wait --ready --device $1 returned, then QEMU ($QEMU_VIA path) failed: $QEMU_ERR"
			fi
		done
		QEMU_VIA=group
	elif ! { [ "$(rule_viable "$(grp_of "$1")")" = 0 ] && grep -q '(not a VFIO-safe driver)' "$T/qw.wait"; }; then
		# only a host driver elsewhere in the group may keep it waiting
		QW_BAD=$((QW_BAD + 1))
		diag "qemu-walk: step $QW_I: vfiogroup wait --ready --device $1 failed: $(cat "$T/qw.wait")"
	fi
}

# qw_step [KIND [PATH]]: one step of the walk, of a random kind unless KIND
# names one (a top-up); a hold goes through PATH if given.
qw_step() {
	qw_pick
	_d=$QW_D
	[ -e "$PCI/$_d" ] || { echo 1 >/sys/bus/pci/rescan; wait_for 10 test -e "$PCI/$_d"; }
	if [ $# -gt 0 ]; then
		_k=$1
	else
		qw_rand 8
		_k=$QW_R
	fi
	# A held group is left alone: VFIO would wait for QEMU to give the
	# device back.  Its only transition is the release.
	if [ -n "$QW_HOLD_G" ] && { [ "$_k" -eq 7 ] || qw_held_group "$_d"; }; then
		qemu_release
		QW_HOLD_G='' QW_HOLD_D=''
		_what="release"
	else
		case $_k in
		0) _what="unbind $_d"; unbind_dev "$_d" ;;
		1|2) _what="vfio-pci $_d"; rebind "$_d" vfio-pci || diag "qemu-walk: vfio-pci bind of $_d failed" ;;
		3) _what="host $_d"; rebind "$_d" "$QW_HOST" || diag "qemu-walk: $QW_HOST bind of $_d failed" ;;
		4) _what="libvirt $_d"
			rebind "$_d" "$QW_HOST" >/dev/null 2>&1
			unbind_dev "$_d"
			# the gap: viable, maybe, but not ready for this device
			if "$QW_CLI" wait --ready --device "$_d" --timeout 0 >"$T/qw.gap" 2>&1; then
				QW_BAD=$((QW_BAD + 1))
				diag "qemu-walk: step $QW_I: wait --ready returned in the unbind-bind gap of $_d"
			fi
			QW_GAP=$((QW_GAP + 1))
			qw_judge "$_d" "gap"
			rebind "$_d" vfio-pci || diag "qemu-walk: vfio-pci bind of $_d failed" ;;
		5) _what="remove+rescan $_d"
			if [ "$QW_RESCAN_OK" = 0 ]; then
				QW_NORR=$((QW_NORR + 1))
				_what="$_what (not made: 5.10 cannot give a rescanned device to VFIO)"
			else
				qw_remove_rescan "$_d" || diag "qemu-walk: $_d did not come back"
			fi ;;
		6) _what="hold $_d"
			if [ "$QW_SEES_USE" = 0 ]; then
				QW_NOHOLD=$((QW_NOHOLD + 1))
				_what="$_what (not made: no in-use before 5.19)"
			else
				# a top-up hold must not fail on a host driver elsewhere
				[ $# -eq 0 ] || for _x in $(group_devs "$(grp_of "$_d")"); do
					[ "$(pdrv "$_x")" = vfio-pci ] || rebind "$_x" vfio-pci
				done
				rebind "$_d" vfio-pci && qw_wait_then_qemu "$_d"
				# Where both paths exist, holds take turns (not the
				# walk's generator: a seed walks alike on every kernel).
				QEMU_VIA=group
				[ "$QW_PATHS" = group ] || [ $((QW_HOLDS % 2)) -eq 0 ] || QEMU_VIA=cdev
				[ $# -lt 2 ] || QEMU_VIA=$2
				_what="$_what ($QEMU_VIA path)"
				if qemu_hold "$_d"; then
					QW_HOLD_G=$(grp_of "$_d") QW_HOLD_D=$_d
					QW_HOLDS=$((QW_HOLDS + 1))
					[ "$QEMU_VIA" = group ] || QW_HOLDS_C=$((QW_HOLDS_C + 1))
				else
					diag "qemu-walk: could not hold $_d on the $QEMU_VIA path: $QEMU_ERR"
				fi
				QEMU_VIA=group
			fi ;;
		*) _what="vfio-pci $_d (again)"; rebind "$_d" vfio-pci ;;
		esac
	fi
	echo "$QW_I $_what${1:+ (top-up)}" >>"$T/qw.steps"
	case $_what in vfio-pci*|libvirt*) qw_wait_then_qemu "$_d" ;; esac
	qw_judge "$_d" "$_what"
	qw_pick
	[ "$QW_D" = "$_d" ] || { [ -e "$PCI/$QW_D" ] && qw_judge "$QW_D" "$_what, other"; }
}

# qw_topup: a short walk may miss a kind of step the checks below need (40
# steps make no hold with p = 0.5%, one hold and so none on the cdev path
# with p = 3%); what it missed is made on purpose after it, on a device the
# walk's generator picks, and counted as top-ups.
qw_needs_hold() { [ "$QW_SEES_USE" = 1 ] && [ "$(($1))" -eq 0 ]; }
qw_topup() {
	QW_TOP=0
	while [ "$QW_TOP" -lt 8 ] && [ "$(time_left)" -gt 60 ]; do
		if [ "$QW_GAP" -eq 0 ] || [ "$QW_NOT" -eq 0 ]; then
			set -- 4
		elif [ "$QW_YES" -eq 0 ] || [ "$QW_WQ" -eq 0 ]; then
			set -- 1
		elif qw_needs_hold "QW_HOLDS - QW_HOLDS_C"; then
			set -- 6 group
		elif [ "$QW_PATHS" != group ] && qw_needs_hold QW_HOLDS_C; then
			set -- 6 cdev
		else
			break
		fi
		if [ -n "$QW_HOLD_G" ]; then
			qemu_release
			QW_HOLD_G='' QW_HOLD_D=''
		fi
		QW_I=$((QW_I + 1)) QW_TOP=$((QW_TOP + 1))
		qw_step "$@"
	done
}

qw_main() {
	QW_N=0
	QW_SEES_USE=0 QW_RESCAN_OK=0
	kver_ge 5 19 && QW_SEES_USE=1
	# 5.10 with the emulated Intel IOMMU leaves a removed and rescanned
	# device unattachable (VFIO_SET_IOMMU: EBUSY) with or without the
	# module, while VFIO_GROUP_GET_STATUS calls it viable; 6.1 on do not.
	# There the walk leaves out what earlier sections rescanned.
	kver_ge 6 1 && QW_RESCAN_OK=1
	for _dd in /sys/bus/pci/drivers/e1000/0000:* /sys/bus/pci/drivers/e1000e/0000:*; do
		[ -e "$_dd" ] || continue
		if [ "$QW_RESCAN_OK" = 0 ] && grep -qx "${_dd##*/}" "$T/rescanned" 2>/dev/null; then
			diag "qemu-walk: ${_dd##*/} left out: removed and rescanned earlier, which 5.10 does not survive"
			continue
		fi
		eval "QW_DEV_$QW_N=${_dd##*/} QW_HOSTDRV_$QW_N=$(basename "${_dd%/*}")"
		QW_N=$((QW_N + 1))
	done
	QW_SEED=${VG_QEMU_WALK_SEED:-$(($(date +%s) % 100000))}
	QW_S=$QW_SEED
	QW_J=0 QW_BAD=0 QW_HANG=0 QW_NOT=0 QW_YES=0 QW_NAMED=0 QW_WQ=0 QW_GAP=0
	QW_HOLDS=0 QW_NOHOLD=0 QW_NORR=0 QW_HOLD_G='' QW_HOLD_D='' QW_D=''
	QW_JC=0 QW_HOLDS_C=0 QW_PATHS=group
	qemu_has_cdev && QW_PATHS="group cdev"
	: >"$T/qw.steps"
	diag "qemu-walk: seed=$QW_SEED steps=$QW_STEPS devices=$QW_N paths: $QW_PATHS (repeat: --append 'VG_QEMU_WALK_SEED=$QW_SEED')"
	_t0=$(cut -d. -f1 /proc/uptime)
	QW_I=0
	while [ "$QW_I" -lt "$QW_STEPS" ] && [ "$(time_left)" -gt 60 ]; do
		QW_I=$((QW_I + 1))
		qw_step
	done
	QW_WALKED=$QW_I
	qw_topup
	[ -z "$QW_HOLD_G" ] || qemu_release
	# Every device back on its host driver.
	echo 1 >/sys/bus/pci/rescan
	_i=0
	while [ "$_i" -lt "$QW_N" ]; do
		_h=''
		eval "_d=\$QW_DEV_$_i _h=\$QW_HOSTDRV_$_i"
		[ "$(pdrv "$_d")" = "$_h" ] || rebind "$_d" "$_h" || diag "qemu-walk: $_d not back on $_h"
		_i=$((_i + 1))
	done
	diag "qemu-walk: seed=$QW_SEED steps=$QW_WALKED top-ups=$QW_TOP judged=$QW_J (cdev path $QW_JC) ready=$QW_YES not-ready=$QW_NOT disagreements=$QW_BAD named-wrong=$QW_NAMED qemu-hangs=$QW_HANG wait-then-qemu=$QW_WQ gap-checks=$QW_GAP holds=$QW_HOLDS (cdev path $QW_HOLDS_C) seconds=$(($(cut -d. -f1 /proc/uptime) - _t0))"
	[ "$QW_WALKED" -eq "$QW_STEPS" ] ||
		skip "qemu-walk: all $QW_STEPS steps" "guest time budget: stopped after $QW_WALKED"
	check "qemu-walk: $QW_J answers of the library put to QEMU (ready $QW_YES, not ready $QW_NOT), 0 disagreements" \
		test "$QW_BAD" -eq 0 -a "$QW_J" -gt 0 -a "$QW_HANG" -eq 0
	check "qemu-walk: every not-ready answer named a device in the way that sysfs confirms" test "$QW_NAMED" -eq 0
	if [ "$QW_PATHS" != group ]; then
		check "qemu-walk: the cdev path (-object iommufd) judged $QW_JC answers, and a QEMU held a group through it $QW_HOLDS_C times" \
			test "$QW_JC" -gt 0 -a "$QW_HOLDS_C" -gt 0
	fi
	check "qemu-walk: vfiogroup wait --ready --device then QEMU: $QW_WQ times, never failed" test "$QW_WQ" -gt 0
	check "qemu-walk: the walk reached both answers and the unbind-bind gap (ready $QW_YES, not ready $QW_NOT, gaps $QW_GAP)" \
		test "$QW_YES" -gt 0 -a "$QW_NOT" -gt 0 -a "$QW_GAP" -gt 0
	if [ "$QW_SEES_USE" = 1 ]; then
		check "qemu-walk: a second QEMU held a ready group ($QW_HOLDS times)" test "$QW_HOLDS" -gt 0
	else
		skip "qemu-walk: a QEMU holding the group ($QW_NOHOLD hold steps not made)" "up to 5.18 no module can see a group's user (docs/kernel-module.md)"
	fi
	[ "$QW_RESCAN_OK" = 1 ] ||
		skip "qemu-walk: remove and rescan ($QW_NORR steps not made)" "5.10 with the emulated Intel IOMMU refuses VFIO a rescanned device (EBUSY at VFIO_SET_IOMMU, also without the module; docs/kernel-module.md)"
	sed 's/^/step /' "$T/qw.steps" | indent
}

if want qemu-walk; then
	log "qemu-walk"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	QW_CLI=$(find_prog vfiogroup)
	QW_STEPS=${VG_QEMU_WALK_STEPS:-40}
	# shellcheck source=qemu-oracle.sh source-path=SCRIPTDIR
	. "$HERE/qemu-oracle.sh"
	if [ -z "$QW_CLI" ] || [ ! -x "$QEMU_BIN" ]; then
		notok "qemu-walk: vfiogroup and the QEMU oracle (qemu-oracle.sh) are in the payload"
	elif [ ! -d /sys/bus/pci/drivers/vfio-pci ] || ! loaded; then
		notok "qemu-walk: needs vfio-pci and the vfiogroup module"
	elif [ "$(time_left)" -lt 90 ]; then
		skip "qemu-walk: $QW_STEPS steps judged by QEMU" "guest time budget: $(time_left) s left"
	else
		qw_main
	fi
fi
