# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "lib" (part 1 of 3, after lib.sh), sourced by run-tests.sh: the
# library's cache == sysfs (lib-integration cache), then (a) vfiogroup list /
# show / info, text and -j, == sysfs, viability by the rule.

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
	# "group":N,"viable": starts a group object ("group":N,"device": its
	# readiness)
	ngj=$(grep -o '"group":[0-9]*,"viable":' "$T/cli.json" | wc -l)
	check "vfiogroup -j list: $ngj groups, viability == rule" \
		test "$bad" -eq 0 -a "$ngj" -eq "$NGROUPS_SYS"
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
	check "vfiogroup show 99999: exit 3, 'no group' (rc=$rc: $(head -n1 "$T/show.out"))" \
		test "$rc" -eq 3 -a -n "$(grep 'no group 99999' "$T/show.out")"
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

# (g) with the e1000 $E alone in its group: list / show name what blocks
# the group; monitor's filters, JSON records, --snapshot, -t, --count,
# --timeout and output through a pipe against a known unbind / vfio-pci
# bind / unbind / e1000 bind (oracle: sysfs and the module's seq); wait's
# exit statuses 0 reached, 2 timed out, 3 absent or vanished (the e1000e's
# remove).
# shellcheck disable=SC2154 # mon_rc: set by helpers-monitor.sh's mon_wait
if want lib && [ "$(time_left)" -lt 60 ]; then
	skip "vfiogroup filters, records, wait statuses" "guest time budget: $(time_left) s left"
elif want lib && [ -n "$CLI" ] && [ -n "$E" ] && [ "$LIB_VFIO" = 1 ]; then
	[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
	EG=$(grp_of "$E")
	gseq() { vg_field "$(module_group "$1")" seq; }

	# --- blockers, text and JSON, from the driver sysfs shows
	blk="$E bound to $(pdrv "$E") (not a VFIO-safe driver)"
	"$CLI" show "$EG" >"$T/g.show" 2>&1
	rc=$?
	check "vfiogroup show $EG: exit 0, says '$blk' (rc=$rc: $(tr '\n' '|' <"$T/g.show"))" \
		test "$rc" -eq 0 -a "$(grep -c "^not-ready: $blk\$" "$T/g.show")" -eq 1
	"$CLI" list >"$T/g.list" 2>&1
	check "vfiogroup list: group $EG's section says '$blk'" \
		test "$(awk -v g="$EG" '/^group / { in_g = ($2 == g) } in_g && /^not-ready: / { print }' "$T/g.list")" = "not-ready: $blk"
	"$CLI" -j show "$EG" >"$T/g.json" 2>&1
	check "vfiogroup -j show $EG: blocking_device, blocking_driver and why name $E on e1000" \
		grep -q "\"ready\":false,\"reason\":\"not viable\",\"in_use\":[a-z]*,\"blocking_device\":\"$E\",\"blocking_driver\":\"e1000\",\"node\":null,\"vfio_dev\":null,\"why\":\"$blk\"}}\$" "$T/g.json"
	"$CLI" -j list >"$T/g.jlist" 2>&1
	check "vfiogroup -j list: the same readiness for group $EG as -j show" \
		grep -qF "$(sed 's/^.*\("readiness":{[^}]*}\)}$/\1/' "$T/g.json")" "$T/g.jlist"

	# --- --snapshot --count 1: the whole record, from show and the module
	show=$("$CLI" -j show "$EG")
	state="${show%,\"readiness\":*}}"
	want_rec="{\"record\":\"snapshot\",\"event\":\"device-present\",\"group\":$EG,\"seq\":$(gseq "$EG"),\"time_ns\":0,\"synthesized\":false,\"device\":\"$E\",\"driver\":\"e1000\",\"state\":$state}"
	got=$("$CLI" -j monitor --snapshot --group "$EG" --count 1 --timeout 10 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$got" = "$want_rec" ]; then
		ok "vfiogroup -j monitor --snapshot --group $EG --count 1: exit 0, the one record == show and the module's seq"
	else
		notok "vfiogroup -j monitor --snapshot --count 1 (rc=$rc; expected, then got)"
		printf '%s\n%s\n' "$want_rec" "$got" | indent
	fi
	got=$("$CLI" monitor --snapshot --device "${E#0000:}" --count 1 2>&1)
	check "vfiogroup monitor --snapshot --device ${E#0000:} (no domain): '$got'" \
		test "$got" = "[snapshot] group $EG device-present $E driver e1000 -> not-viable not-ready seq $(gseq "$EG")"

	# an interface stands for its PCI device (vfiogroup(8), DEVICES)
	ifn=
	for nd in "$PCI/$E"/net/*; do [ -e "$nd" ] && { ifn=${nd##*/}; break; }; done
	if [ -n "$ifn" ]; then
		got=$("$CLI" monitor --snapshot --device "$ifn" --count 1 2>&1)
		sd=$("$CLI" show dev "$ifn" 2>&1 | head -n 1)
		check "vfiogroup monitor --device $ifn and show dev $ifn: $E, its interface's device ('$got'; '$sd')" \
			test "$got" = "[snapshot] group $EG device-present $E driver e1000 -> not-viable not-ready seq $(gseq "$EG")" \
			-a "$(echo "$sd" | cut -d' ' -f2)" = "$EG"
	else
		skip "vfiogroup monitor --device INTERFACE" "$E has no network interface"
	fi

	# --- --timeout alone ends with 0, before --count with 2
	t0=$(uptime_cs)
	"$CLI" monitor --group "$EG" --timeout 1 >"$T/g.to" 2>&1
	rc=$? t1=$(uptime_cs)
	check "vfiogroup monitor --timeout 1, no event: exit 0 after $(((t1 - t0) * 10)) ms, no output" \
		test "$rc" -eq 0 -a ! -s "$T/g.to" -a $((t1 - t0)) -ge 90 -a $((t1 - t0)) -lt 500
	"$CLI" monitor --group "$EG" --count 1 --timeout 1 >"$T/g.to" 2>&1
	rc=$?
	check "vfiogroup monitor --count 1 --timeout 1, no event: exit 2 ($(cat "$T/g.to"))" \
		test "$rc" -eq 2 -a -n "$(grep '0 of 1 records before the timeout' "$T/g.to")"

	# --- the monitors, started before the transitions (each in poll)
	cli_mon_start GD -j monitor --snapshot --device "$E" || notok "vfiogroup -j monitor --device $E waits in poll"
	cli_mon_start GV -j monitor --driver vfio-pci || notok "vfiogroup -j monitor --driver vfio-pci waits in poll"
	cli_mon_start GR -j monitor --group "$EG" --state ready || notok "vfiogroup -j monitor --state ready waits in poll"
	cli_mon_start GT monitor -t --group "$EG" || notok "vfiogroup monitor -t waits in poll"
	cli_mon_start GC monitor --group "$EG" --count 2 --timeout 60 || notok "vfiogroup monitor --count 2 waits in poll"
	# through a pipe (a FIFO: stdout is no terminal, stdio would buffer
	# it): the first record must arrive while the monitor still runs
	rm -f "$T/g.fifo" "$T/g.first" "$T/g.rest"
	if mkfifo "$T/g.fifo" 2>/dev/null; then
		{ IFS= read -r l; echo "$l" >"$T/g.first"; cat >"$T/g.rest"; } <"$T/g.fifo" &
		PIDS="$PIDS $!"
		"$CLI" -j monitor --snapshot --group "$EG" >"$T/g.fifo" 2>"$T/g.perr" &
		pid_GP=$!
		PIDS="$PIDS $pid_GP"
		wait_for 10 test -s "$T/g.first"
		if [ -s "$T/g.first" ] && alive "$pid_GP"; then
			ok "vfiogroup -j monitor | reader: the snapshot record arrives while the monitor runs"
		else
			notok "vfiogroup -j monitor | reader: first record while it runs (got '$(cat "$T/g.first" 2>/dev/null)')"
			indent <"$T/g.perr"
		fi
	else
		pid_GP=
		skip "vfiogroup -j monitor through a pipe" "no mkfifo"
	fi
	: >"$T/g.expect"
	gx() { echo "$1" >>"$T/g.expect"; }
	unbind_expect "$E" gx
	if [ -n "$pid_GP" ]; then
		if wait_for 10 cli_seq_reached "$T/g.rest" "$(gseq "$EG")" && alive "$pid_GP"; then
			ok "vfiogroup -j monitor | reader: the unbind's $(wc -l <"$T/g.rest") records arrive while the monitor runs"
		else
			notok "vfiogroup -j monitor | reader: the unbind's records arrive while it runs"
			cat "$T/g.rest" "$T/g.perr" | indent
		fi
	fi
	bind_expect "$E" vfio-pci gx
	unbind_expect "$E" gx
	bind_expect "$E" e1000 gx
	unbind_expect "$E" gx
	# last, a vfio-pci bind: its ready-changed (ready, on vfio-pci) is
	# every monitor's last record, so the module's seq is each one's barrier
	bind_expect "$E" vfio-pci gx
	s=$(gseq "$EG")
	for m in GD GV GR GT; do
		wait_for 10 cli_seq_reached "$T/$m.out" "$s" ||
			diag "$m did not reach group $EG's seq $s within 10 s"
	done
	mon_wait GC 10
	gc_rc=$mon_rc
	for m in GD GV GR GT; do mon_stop "$m"; done
	[ -z "$pid_GP" ] || { kill -TERM "$pid_GP" 2>/dev/null; wait "$pid_GP" 2>/dev/null; }
	rebind "$E" e1000

	# GD: the snapshot, then exactly the expected events, whole records
	json_events "$T/GD.out" | tail -n +2 >"$T/GD.words"
	if [ "$(head -n 1 "$T/GD.out")" = "$want_rec" ] && cmp -s "$T/g.expect" "$T/GD.words"; then
		ok "vfiogroup -j monitor --snapshot --device $E: the snapshot record, then the $(wc -l <"$T/g.expect") events of unbind, vfio-pci, unbind, e1000, unbind, vfio-pci"
	else
		notok "vfiogroup -j monitor --snapshot --device $E (expected, then got)"
		{ echo "$want_rec"; cat "$T/g.expect"; } | indent
		cat "$T/GD.out" "$T/GD.err" | indent
	fi
	bad=$(tail -n +2 "$T/GD.out" | awk -v g="$EG" -v e="$E" '{
		if (!match($0, /^\{"record":"kernel","event":"[a-z-]+","group":[0-9]+,"seq":[0-9]+,"time_ns":[1-9][0-9]*,"synthesized":false,"device":(null|"[^"]*"),"driver":(null|"[^"]*"),"state":\{"group":[0-9]+,"viable":(true|false),"ready":(true|false),"seq":[0-9]+,"node":(null|"[^"]*"),"devices":\[.*\]\}\}$/)) { print "shape: " $0; next }
		match($0, /"seq":[0-9]+/); r = substr($0, RSTART + 6, RLENGTH - 6)
		t = $0; sub(/^.*"state":\{/, "", t)
		match(t, /"seq":[0-9]+/); s = substr(t, RSTART + 6, RLENGTH - 6)
		if (r != s) print "state seq " s " != record seq " r
		if (n++ && r != p + 1) print "seq " p " -> " r
		p = r
		if (index($0, "\"group\":" g ",") == 0) print "group: " $0
		if (index($0, "\"devices\":[{\"name\":\"" e "\"") == 0) print "devices: " $0 }' | head -n 5)
	check "vfiogroup -j monitor: every record whole (record, event, group, seq, time_ns, device, driver, state with the same seq), seqs consecutive${bad:+: $bad}" \
		test -z "$bad" -a "$(tail -n 1 "$T/GD.out" | sed 's/.*"seq":\([0-9]*\).*/\1/')" = "$s"
	# GV / GR: exactly GD's records that name vfio-pci / whose state is ready
	grep '"driver":"vfio-pci"' "$T/GD.out" | grep -v '"record":"snapshot"' >"$T/GV.want"
	if cmp -s "$T/GV.want" "$T/GV.out" && [ -s "$T/GV.want" ]; then
		ok "vfiogroup -j monitor --driver vfio-pci: exactly the $(wc -l <"$T/GV.want") records naming vfio-pci (event or group), byte for byte"
	else
		notok "vfiogroup -j monitor --driver vfio-pci (expected, then got)"
		indent <"$T/GV.want"
		cat "$T/GV.out" "$T/GV.err" | indent
	fi
	grep '"state":{"group":[0-9]*,"viable":[a-z]*,"ready":true' "$T/GD.out" >"$T/GR.want"
	if cmp -s "$T/GR.want" "$T/GR.out" && [ -s "$T/GR.want" ]; then
		ok "vfiogroup -j monitor --state ready: exactly the $(wc -l <"$T/GR.want") records after which group $EG is ready"
	else
		notok "vfiogroup -j monitor --state ready (expected, then got)"
		indent <"$T/GR.want"
		cat "$T/GR.out" "$T/GR.err" | indent
	fi
	# GT: -t puts a timestamp before each record, which is otherwise the same
	sed 's/^\[[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{6\}[-+][0-9]\{4\}\] //' "$T/GT.out" >"$T/GT.bare"
	cli_events "$T/GT.bare" >"$T/GT.words"
	if cmp -s "$T/g.expect" "$T/GT.words" && [ "$(grep -c '^\[kernel\]' "$T/GT.bare")" -eq "$(wc -l <"$T/GT.out")" ]; then
		ok "vfiogroup monitor -t: each of the $(wc -l <"$T/GT.out") records stamped, the records as expected"
	else
		notok "vfiogroup monitor -t: each record stamped, the records as expected (got)"
		cat "$T/GT.out" "$T/GT.err" | indent
	fi
	check "vfiogroup monitor --count 2: exit 0 after exactly the first 2 records (rc=$gc_rc)" \
		test "$gc_rc" = 0 -a "$(cli_events "$T/GC.out" | tr '\n' ' ')" = "$(head -n 2 "$T/g.expect" | tr '\n' ' ')"

	# --- colour: never into a pipe, nor with NO_COLOR; --color=always wins
	esc=$(printf '\033')
	"$CLI" monitor --snapshot --group "$EG" --count 1 >"$T/g.col" 2>&1
	NO_COLOR=1 "$CLI" --color=always monitor --snapshot --group "$EG" --count 1 >"$T/g.col2" 2>&1
	check "vfiogroup monitor: no colour into a pipe by default, colour with --color=always despite NO_COLOR" \
		test -z "$(grep "$esc" "$T/g.col")" -a -n "$(grep "$esc\[3[12]m" "$T/g.col2")"
	# --- --json=pretty: the same record, indented
	"$CLI" --json=pretty monitor --snapshot --group "$EG" --count 1 >"$T/g.pretty" 2>&1
	short=$("$CLI" -j monitor --snapshot --group "$EG" --count 1 2>&1)
	check "vfiogroup --json=pretty monitor: $(wc -l <"$T/g.pretty") lines, the short record once joined" \
		test "$(wc -l <"$T/g.pretty")" -gt 10 -a "$(tr -d ' \n' <"$T/g.pretty")" = "$(echo "$short" | tr -d ' ')" \
		-a "$(sed -n 2p "$T/g.pretty")" = '  "record": "snapshot",'

	# --- lost events: a monitor with a tiny socket buffer (rmem_max at its
	# start), stopped while E changes, prints the differences as [synth]
	# records and then the resync notice; then kernel records again
	rmem=$(cat /proc/sys/net/core/rmem_max)
	echo 4096 >/proc/sys/net/core/rmem_max
	cli_mon_start GL monitor --group "$EG" || notok "vfiogroup monitor (small buffer) waits in poll"
	echo "$rmem" >/proc/sys/net/core/rmem_max
	kill -STOP "$pid_GL"
	for _ in 1 2 3 4 5 6; do rebind "$E" vfio-pci; rebind "$E" e1000; done
	rebind "$E" vfio-pci
	kill -CONT "$pid_GL"
	s=$(gseq "$EG")
	wait_for 10 grep -q '^\[notice\] resync' "$T/GL.out"
	last_synth=$(grep "^\[synth\] group $EG " "$T/GL.out" | tail -n 1)
	if [ "$(grep '^\[notice\] resync' "$T/GL.out")" = "[notice] resync seq $s" ] &&
		echo "$last_synth" | grep -q " -> viable ready seq $s\$"; then
		ok "vfiogroup monitor after lost events: [synth] records up to '$last_synth', then '[notice] resync seq $s' (the module's seq)"
	else
		notok "vfiogroup monitor after lost events: [synth] records, then '[notice] resync seq $s'"
		cat "$T/GL.out" "$T/GL.err" | indent
	fi
	unbind_dev "$E"
	s=$(gseq "$EG")
	wait_for 10 cli_seq_reached "$T/GL.out" "$s"
	check "vfiogroup monitor after the resync: kernel records again ($(tail -n 1 "$T/GL.out"))" \
		grep -q "^\[kernel\] group $EG driver-unbound $E driver vfio-pci -> viable " "$T/GL.out"
	mon_stop GL
	rebind "$E" e1000

	# --- wait: 0 reached, 2 timed out, 3 absent or vanished
	"$CLI" wait --device "$E" --viable --timeout 1 >"$T/g.wait" 2>&1
	rc=$?
	check "vfiogroup wait --device $E --viable --timeout 1 on e1000: exit 2, says '$blk' (rc=$rc: $(cat "$T/g.wait"))" \
		test "$rc" -eq 2 -a -n "$(grep "not viable after 1s: not-ready: $blk\$" "$T/g.wait")"
	rebind "$E" vfio-pci
	"$CLI" wait "$EG" --ready --timeout 5 >"$T/g.wait" 2>&1
	rc=$?
	check "vfiogroup wait $EG --ready on vfio-pci: exit 0, '$(cat "$T/g.wait")'" \
		test "$rc" -eq 0 -a -n "$(grep "^ready node /dev/vfio/$EG " "$T/g.wait")"
	"$CLI" wait --device "$E" --viable --timeout 5 >"$T/g.wait" 2>&1
	rc=$?
	check "vfiogroup wait --device $E --viable on vfio-pci: exit 0, '$(cat "$T/g.wait")'" \
		test "$rc" -eq 0 -a "$(cat "$T/g.wait")" = "device $E viable"
	rebind "$E" e1000
	"$CLI" wait --device 0000:7f:1f.7 --ready --timeout 5 >"$T/g.wait" 2>&1
	rc=$?
	check "vfiogroup wait --device of no such device: exit 3 at once (rc=$rc: $(cat "$T/g.wait"))" test "$rc" -eq 3
	# The device removed is the e1000e, not $E: on 5.10 with the emulated
	# Intel IOMMU a removed and rescanned device can no longer be given to
	# VFIO (qemu-walk.sh), and the qemu section needs $E later.  Listed in
	# $T/rescanned, which qemu-walk leaves out there.
	LV=
	for _d in /sys/bus/pci/drivers/e1000e/0000:*; do
		[ -e "$_d" ] || continue
		_d=${_d##*/}
		if [ "$(ndevs "$(grp_of "$_d")")" -eq 1 ]; then LV=$_d; break; fi
	done
	if [ -z "$LV" ]; then
		notok "vfiogroup wait: exit 3 when the device is removed: no e1000e alone in its group"
	else
		LVG=$(grp_of "$LV")
		cli_mon_start WG wait "$LVG" --ready --timeout 60 || notok "vfiogroup wait $LVG --ready waits in poll"
		cli_mon_start WD wait --device "$LV" --ready --timeout 60 || notok "vfiogroup wait --device $LV --ready waits in poll"
		echo "$LV" >>"$T/rescanned"
		echo 1 >"$PCI/$LV/remove"
		wait_for 10 test ! -e "$PCI/$LV"
		mon_wait WG 10
		wg_rc=$mon_rc
		mon_wait WD 10
		wd_rc=$mon_rc
		echo 1 >/sys/bus/pci/rescan
		wait_for 10 test -e "$PCI/$LV/driver"
		check "vfiogroup wait $LVG --ready: exit 3 when its only device is removed (rc=$wg_rc: $(cat "$T/WG.err"))" test "$wg_rc" = 3
		check "vfiogroup wait --device $LV --ready: exit 3 when it is removed (rc=$wd_rc: $(cat "$T/WD.err"))" test "$wd_rc" = 3
		check "$LV back on e1000e after remove and rescan" test "$(pdrv "$LV")" = e1000e
	fi
elif want lib; then
	skip "vfiogroup filters, records, wait statuses" "needs the tool, an e1000 alone in its group and vfio-pci"
fi
