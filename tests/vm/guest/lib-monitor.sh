# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "lib" (part 2 of 3), sourced by run-tests.sh: with the e1000 $E,
# (b) vfiogroup monitor and -j monitor --group see each transition,
# (c) vfiogroup wait N --viable, (f) examples/vmm-wait holds and loses a
# group.
# shellcheck disable=SC2154 # mon_rc: set by helpers-monitor.sh's mon_wait

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
	check "vfiogroup wait $EG --viable --timeout 2 (not viable): exit 2 after $(((t1 - t0) * 10)) ms" \
		test "$rc" -eq 2 -a $((t1 - t0)) -ge 190 -a $((t1 - t0)) -lt 1000
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
	check "vfiogroup wait on a group that does not exist: exit 3 at once (rc=$rc)" test "$rc" -eq 3
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
