# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "events", sourced by run-tests.sh, with a vgprobe monitor M
# listening throughout:
#   (b) unbind the e1000 $E, bind vfio-pci, /dev/vfio/N appears; a VFIO
#       user holds the group (hold_test)
#   (c) viability == VFIO_GROUP_GET_STATUS after every step (viability_check),
#       multi-device groups (two-function e1000, 00:1f.x)
#   (d) PCI remove + rescan of the e1000e
#   (e) no sequence gaps, every transition gave its events
# Each step goes through helpers-transition.sh's act_*, trans_begin and
# trans_end, which predict the events from sysfs and compare.
# shellcheck disable=SC2154 # mon_rc: set by helpers-monitor.sh's mon_wait

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
	# --datagrams: each line says which datagram brought it (e).
	MON_OPTS=--datagrams
	mon_start M "$RT_BUDGET" 0
	# shellcheck disable=SC2034 # read by mon_start
	_r=$? MON_OPTS=
	if [ "$_r" = 0 ]; then
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
		# The module sends a transition's notifications of one group as
		# one datagram; listeners' socket filters read only the first
		# message's group, so a datagram must never hold two groups.
		dg=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			d = f["dgram"]; n[d]++
			if (d in g && g[d] != f["group"]) { mixed++; print "# datagram " d " mixes groups " g[d] " and " f["group"] > "/dev/stderr" }
			g[d] = f["group"] }
			END { for (d in n) { all++; if (n[d] > 1) multi++ }
				print "all=" all + 0, "multi=" multi + 0, "mixed=" mixed + 0 }' "$T/M.ev")
		dg_all=$(vg_field "$dg" all) dg_multi=$(vg_field "$dg" multi)
		echo "# datagrams: $dg"
		check "no datagram holds two groups' notifications ($dg_all datagrams)" \
			test "$(vg_field "$dg" mixed)" -eq 0
		check "a transition's notifications of one group share a datagram ($dg_multi of $dg_all datagrams held several)" \
			test "$dg_multi" -gt 0
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
