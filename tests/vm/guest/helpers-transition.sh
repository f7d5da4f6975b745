# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): transitions
# and the events they must produce, and after each the whole state held
# against VFIO and the rule (viability_check); the counters behind the
# events section's summary.
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

# The same words for listeners other than M (sections lib, ynl): each
# event that must come of a change, as "kind:dev:driver@group", handed to
# an EXPECT command.
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
