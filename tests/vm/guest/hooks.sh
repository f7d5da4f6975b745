# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "hooks", sourced by run-tests.sh: vfiogroup-hooks (built from
# tools/ as the guest program vfiogroup-hooks) against the module.  Its
# hooks directory holds two hooks that append their VFIOGROUP_* variables
# to a log, a hook that always fails, a hook that sleeps past the 2 s
# --hook-timeout on the first unbind, and files that must never run (a
# README, a dotfile, a backup~, a .dpkg-old, one not executable).  The
# e1000 $E is unbound, bound to vfio-pci, unbound and bound back to e1000;
# every event must reach the hooks once, in sequence order, the hooks of
# one event in name order, with the variables the events and sysfs say
# (the oracle: helpers-transition.sh's expected words, the module's
# sequence numbers, rule_viable/rule_ready after each step).  The timed
# out hook is killed and logged, and the hooks after it still run.  Then
# rmmod, an unbind while the module is away, insmod: disconnected, the
# unbind as a synthesized event, reconnected.
# Barriers are the module's seq: the log is read once its hooks saw it.

# hk_hook NAME: a hook that appends its variables to the log, one line a run
hk_hook() {
	cat >"$HD/$1" <<HOOK
#!/bin/sh
echo "name=$1 seq=\$VFIOGROUP_SEQ event=\$VFIOGROUP_EVENT group=\$VFIOGROUP_GROUP dev=\${VFIOGROUP_DEVICE:--} driver=\${VFIOGROUP_DRIVER:--} viable=\$VFIOGROUP_VIABLE ready=\$VFIOGROUP_READY synth=\$VFIOGROUP_SYNTHESIZED node=\${VFIOGROUP_NODE:--} devices=\$(echo \$VFIOGROUP_DEVICES | tr ' ' ,)" >>"$T/hooks.log"
HOOK
	chmod 755 "$HD/$1"
}
# hk_seq_done SEQ: the last hook (20-second) ran for an event numbered SEQ or later
hk_seq_done() {
	_hs=$(sed -n 's/^name=20-second seq=\([0-9]*\) .*/\1/p' "$T/hooks.log" 2>/dev/null | tail -n 1)
	[ -n "$_hs" ] && [ "$_hs" -ge "$1" ]
}
hx() { echo "$1" >>"$T/hooks.expect"; }
hk_gone() { ! alive "$pid_HK"; }
# hk_after LINE REGEX: the log holds a line matching REGEX from LINE on
hk_after() { sed -n "$1,\$p" "$T/hooks.log" | grep -q "$2"; }
# hk_step: after a change, the state the group must have been announced in
hk_step() { echo "$(module_seq) $(rule_viable "$HG") $(rule_ready "$HG")" >>"$T/hooks.steps"; }

if want hooks; then
	log "hooks"
	HK=$(find_prog vfiogroup-hooks)
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { modprobe vfio-pci 2>/dev/null; modprobe vfio_iommu_type1 2>/dev/null; }
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
fi
if want hooks && { [ -z "$HK" ] || [ -z "$E" ] || [ ! -d /sys/bus/pci/drivers/vfio-pci ]; }; then
	notok "hooks: needs vfiogroup-hooks in the payload (${HK:-missing}), an e1000 alone in its group (${E:-none}) and vfio-pci"
elif want hooks; then
	HD=$T/hooks.d HG=$(grp_of "$E")
	mkdir -p "$HD"
	: >"$T/hooks.log"
	: >"$T/hooks.expect"
	: >"$T/hooks.steps"
	hk_hook 10-env
	hk_hook 20-second
	printf '#!/bin/sh\nexit 3\n' >"$HD/15-fail"
	# sleeps on the first unbind only (it removes its flag), in a child:
	# the timeout must kill the hook's whole process group
	cat >"$HD/17-slow" <<HOOK
#!/bin/sh
[ "\$VFIOGROUP_EVENT" = driver-unbound ] && rm "$T/hooks.slow" 2>/dev/null || exit 0
echo "slow-start seq=\$VFIOGROUP_SEQ" >>"$T/hooks.log"
sleep 60
echo slow-end >>"$T/hooks.log"
HOOK
	: >"$T/hooks.slow"
	for f in README .hidden backup~ 12-x.dpkg-old 13-noexec; do
		printf '#!/bin/sh\necho "name=BAD-%s" >>"%s"\n' "$f" "$T/hooks.log" >"$HD/$f"
		chmod 755 "$HD/$f"
	done
	chmod 644 "$HD/13-noexec"
	chmod 755 "$HD/15-fail" "$HD/17-slow"
	mkdir "$HD/14-dir"

	"$HK" -d "$HD" --hook-timeout 2 -v >"$T/hooks.out" 2>"$T/hooks.err" </dev/null &
	pid_HK=$!
	PIDS="$PIDS $pid_HK"
	# The hooks' first run is the start's resync: then it is subscribed.
	if wait_for 20 grep -q '^name=20-second .*event=resync' "$T/hooks.log"; then
		ok "hooks: vfiogroup-hooks started, hooks ran once with VFIOGROUP_EVENT=resync"
	else
		notok "hooks: no resync run of the hooks within 20 s"
		indent <"$T/hooks.err"
	fi
	s0=$(module_seq)
	unbind_expect "$E" hx
	hk_step
	bind_expect "$E" vfio-pci hx
	hk_step
	unbind_expect "$E" hx
	hk_step
	bind_expect "$E" e1000 hx
	hk_step
	s1=$(module_seq)
	wait_for 30 hk_seq_done "$s1" || diag "hooks: the hooks did not reach the module's seq $s1 within 30 s"

	# Every event of s0 < seq <= s1 once, in order, as the words expect
	awk -v a="$s0" -v b="$s1" '$1 == "name=10-env" { split($2, s, "="); if (s[2] > a && s[2] <= b) print }' \
		"$T/hooks.log" >"$T/hooks.env"
	sed 's/^name=10-env seq=[0-9]* event=\([^ ]*\) group=\([^ ]*\) dev=\([^ ]*\) driver=\([^ ]*\) .*/\1:\3:\4@\2/' \
		"$T/hooks.env" >"$T/hooks.words"
	if cmp -s "$T/hooks.expect" "$T/hooks.words"; then
		ok "hooks: $(wc -l <"$T/hooks.expect") events of unbind, vfio-pci, unbind, e1000: VFIOGROUP_EVENT, _DEVICE, _DRIVER, _GROUP as sysfs predicts"
	else
		notok "hooks: events seen by the hooks (expected, then got)"
		indent <"$T/hooks.expect"
		indent <"$T/hooks.words"
	fi
	seqs=$(sed 's/^name=10-env seq=\([0-9]*\) .*/\1/' "$T/hooks.env" | tr '\n' ' ' | sed 's/ $//')
	want_seqs=$(seq $((s0 + 1)) "$s1" | tr '\n' ' ' | sed 's/ $//')
	check "hooks: VFIOGROUP_SEQ of the runs == the module's numbers $((s0 + 1))..$s1, in order (got: $seqs)" \
		test "$seqs" = "$want_seqs"
	# For each event: 10-env, then 20-second (15-fail and 17-slow log
	# nothing): name order, one event's hooks before the next event's
	pairs=$(awk -v a="$s0" -v b="$s1" '/^name=(10-env|20-second) / { split($2, s, "="); if (s[2] > a && s[2] <= b) printf "%s:%s ", substr($1, 6), s[2] }' "$T/hooks.log")
	bad=$(echo "$pairs" | awk '{ for (i = 1; i <= NF; i += 2) { split($i, x, ":"); split($(i + 1), y, ":");
		if (x[1] != "10-env" || y[1] != "20-second" || x[2] != y[2]) n++ } } END { print n + 0 }')
	check "hooks: per event 10-env then 20-second, never interleaved with another event ($bad out of order)" test "$bad" -eq 0
	# The announced state: after each step, its last event's
	# VFIOGROUP_VIABLE/_READY == the rule on sysfs; NODE while ready
	bad=0
	while read -r sq v r; do
		_l=$(awk -v q="$sq" '{ split($2, s, "="); if (s[2] <= q) l = $0 } END { print l }' "$T/hooks.env")
		if [ "$(vg_field "$_l" viable)" != "$v" ] || [ "$(vg_field "$_l" ready)" != "$r" ]; then
			bad=$((bad + 1))
			diag "hooks: after seq $sq rule viable=$v ready=$r, hook saw: $_l"
		fi
	done <"$T/hooks.steps"
	check "hooks: VFIOGROUP_VIABLE and _READY after each step == sysfs's rule ($(wc -l <"$T/hooks.steps") steps)" test "$bad" -eq 0
	bad=$(awk -v g="$HG" -v e="$E" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["group"] != g || f["synth"] != "0" || f["devices"] != e ||
		    (f["node"] != "-" && f["node"] != "/dev/vfio/" g) ||
		    (f["event"] == "ready-changed" && (f["ready"] == "1") != (f["node"] == "/dev/vfio/" g))) {
			n++; print "# " $0 > "/dev/stderr" } } END { print n + 0 }' "$T/hooks.env")
	# (READY changes with ready-changed only: the driver-unbound before
	# it already has no node but still READY=1, as the library says)
	check "hooks: VFIOGROUP_GROUP $HG, _DEVICES $E, _SYNTHESIZED 0; at ready-changed _NODE /dev/vfio/$HG exactly when _READY 1" test "$bad" -eq 0
	# The timeout: 17-slow started on the first unbind, was killed (its
	# "slow-end" never written), logged, and 20-second ran after it
	slow_seq=$(sed -n 's/^slow-start seq=\([0-9]*\)$/\1/p' "$T/hooks.log")
	check "hooks: the slow hook was killed at its 2 s timeout and logged (seq ${slow_seq:-none})" \
		test -n "$slow_seq" -a -z "$(grep '^slow-end' "$T/hooks.log")" -a \
		-n "$(grep "17-slow: driver-unbound seq $slow_seq: timed out after 2 s, killed" "$T/hooks.err")"
	check "hooks: after the timed-out hook, 20-second still ran for seq ${slow_seq:-none}" \
		grep -q "^name=20-second seq=${slow_seq:-x} " "$T/hooks.log"
	hk_failed=$(grep -c '15-fail: .*: exit status 3$' "$T/hooks.err")
	check "hooks: the failing hook logged each time ($hk_failed), the hooks after it ran" \
		test "$hk_failed" -ge "$(wc -l <"$T/hooks.expect")"
	check "hooks: README, dotfile, backup~, .dpkg-old, not executable, directory: never run" \
		test -z "$(grep '^name=BAD' "$T/hooks.log")"
	# (before the rmmod, at which the library's notices are expected)
	other=$(grep -v -e '15-fail: .*exit status 3$' -e '17-slow: .*timed out' -e '^<[67]>' "$T/hooks.err")
	check "hooks: nothing else at notice or worse in its log" test -z "$other"
	[ -z "$other" ] || echo "$other" | indent
	hk_err_from=$(($(wc -l <"$T/hooks.err") + 1))

	# The module going away and coming back: the hooks get disconnected;
	# the e1000 unbound while no module watched comes back as the
	# resync's synthesized events, then reconnected; the hooks after it
	# see the new module's events.
	if [ -z "$MODULE_KO" ]; then
		skip "hooks: rmmod and insmod under the daemon" "no vfiogroup.ko to insmod again"
	else
		hk_from=$(($(wc -l <"$T/hooks.log") + 1))
		rmmod vfiogroup
		wait_for 20 grep -q '^name=20-second .*event=disconnected' "$T/hooks.log" ||
			diag "hooks: no disconnected run within 20 s of rmmod"
		unbind_dev "$E"
		hk_v=$(rule_viable "$HG")
		insmod "$MODULE_KO"
		wait_for 20 grep -q '^name=20-second .*event=reconnected' "$T/hooks.log" ||
			diag "hooks: no reconnected run within 20 s of insmod"
		bind_dev "$E" e1000
		# (the new module numbers from 1 again: the barrier is the bind's
		# last event, driver-bound, reaching the last hook)
		wait_for 20 hk_after "$hk_from" '^name=20-second .*event=driver-bound' ||
			diag "hooks: no driver-bound run within 20 s of the bind"
		sed -n "$hk_from,\$p" "$T/hooks.log" | grep '^name=10-env ' >"$T/hooks.rr"
		hk_words=$(sed 's/^name=10-env seq=[0-9]* event=\([^ ]*\) group=[^ ]* dev=\([^ ]*\) driver=\([^ ]*\) .* synth=\([01]\) .*/\1:\2:\3:\4/' "$T/hooks.rr" | tr '\n' ' ')
		diag "hooks: around rmmod/insmod: $hk_words"
		case $hk_words in
		"disconnected:-:-:0 driver-unbound:$E:e1000:1 "*"reconnected:-:-:0 "*"driver-bound:$E:e1000:0 "*) hk_rr=1 ;;
		*) hk_rr=0 ;;
		esac
		hk_last_v=$(grep -v ' synth=0 ' "$T/hooks.rr" | tail -n 1)
		check "hooks: rmmod, unbind, insmod, bind: disconnected, the unbind synthesized, reconnected, then the new module's driver-bound" \
			test "$hk_rr" = 1
		check "hooks: the resync's last synthesized event says viable $hk_v, as sysfs did" \
			test "$(vg_field "$hk_last_v" viable)" = "$hk_v"
		# The daemon's own errors, not the library's ("vfiogroup: ..."):
		# the library may say that the module is absent; it must never
		# take a module being unloaded or loaded for one speaking another
		# version (it did, once on 6.1, when it asked for the family's
		# id, group and version in three requests).
		hk_errs=$(sed -n "$hk_err_from,\$p" "$T/hooks.err" | grep '^<[0-3]>' | grep -v '^<[0-3]>vfiogroup-hooks: vfiogroup: ')
		check "hooks: the library never took the reloading module for another family version" \
			test -z "$(sed -n "$hk_err_from,\$p" "$T/hooks.err" | grep -e 'unsupported vfiogroup family version' -e 'the kernel module speaks version')"
		hk_alive=0
		alive "$pid_HK" && hk_alive=1
		check "hooks: the daemon outlived the module's absence, logging no error of its own" \
			test -z "$hk_errs" -a "$hk_alive" = 1
		[ -z "$hk_errs" ] || echo "$hk_errs" | indent
		diag "hooks: its log around rmmod/insmod: $(sed -n "$hk_err_from,\$p" "$T/hooks.err" | grep -v -e '^<[67]>' -e '15-fail' | tr '\n' '|')"
	fi
	kill -TERM "$pid_HK"
	wait_for 10 hk_gone
	wait "$pid_HK"
	hk_rc=$?
	check "hooks: SIGTERM: exit 0 (rc=$hk_rc)" test "$hk_rc" -eq 0
	restore=$(pdrv "$E")
	[ "$restore" = e1000 ] || rebind "$E" e1000
fi
