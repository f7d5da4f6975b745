# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "order", sourced by run-tests.sh: the module sends notifications
# after releasing its lock, by whichever caller holds the delivery lock, so
# events of different groups made at the same time must still arrive in
# sequence order, with no gap, each carrying its group's state right after
# itself.  Two loops bind and unbind two devices of two groups at once
# (VG_ORDER_CYCLES each, default 50, 15 on the debug kernels) while a raw
# listener with a huge buffer (vgprobe) records everything; the module's own
# seq is the barrier.
# Checked over the whole stream: seq increases by one each time; every
# event's group, device and driver are the loops' own; per group, every
# viability-changed flips the group's viability and every other event
# carries the last one; per group as many binds and unbinds as were made,
# one device listed each time; and the stream switched between the groups
# often enough to show the two loops raced (a run that did not race says so
# and fails).

OR_CYCLES=${VG_ORDER_CYCLES:-50}

# or_loop DEV DRIVER: unbind and bind DEV OR_CYCLES times
or_loop() {
	_i=0
	while [ "$_i" -lt "$OR_CYCLES" ]; do
		echo "$1" >"/sys/bus/pci/drivers/$2/unbind"
		echo "$1" >"/sys/bus/pci/drivers/$2/bind"
		_i=$((_i + 1))
	done
}

# or_check GROUP-A DEV-A DRIVER-A GROUP-B DEV-B DRIVER-B < events: one line,
# "bad=N switches=N binds=A,B unbinds=A,B vc=A,B first=SEQ last=SEQ",
# and the first few bad events as "bad: WHY: LINE"
or_check() {
	awk -v ga="$1" -v da="$2" -v ra="$3" -v gb="$4" -v db="$5" -v rb="$6" '
	function f(name,  i, kv) {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == name) return kv[2]
		}
		return ""
	}
	function bad(why) {
		nbad++
		if (nbad <= 5) print "bad: " why ": " $0
	}
	BEGIN { dev[ga] = da; drv[ga] = ra; dev[gb] = db; drv[gb] = rb
		v[ga] = 0; v[gb] = 0 }
	{
		s = f("seq") + 0; g = f("group"); k = f("kind")
		if (NR == 1) first = s
		else if (s != last + 1) bad("seq " s " after " last)
		last = s
		if (!(g in dev)) { bad("another group"); next }
		if (NR > 1 && g != prev) switches++
		prev = g
		if (f("ndev") != 1) bad("ndev")
		if (k == "viability-changed") {
			if (f("viable") == v[g]) bad("viability did not flip")
			v[g] = f("viable"); vc[g]++
			next
		}
		if (f("viable") != v[g]) bad("viable is not the last announced")
		if (f("dev") != dev[g] || f("driver") != drv[g]) bad("device or driver")
		if (k == "driver-bound") binds[g]++
		else if (k == "driver-unbound") unbinds[g]++
		else bad("kind")
	}
	END {
		printf "bad=%d switches=%d binds=%d,%d unbinds=%d,%d vc=%d,%d first=%d last=%d\n",
			nbad, switches, binds[ga], binds[gb], unbinds[ga], unbinds[gb],
			vc[ga], vc[gb], first, last
	}'
}

if want order; then
	log "order"
	OR_B=
	for _d in /sys/bus/pci/drivers/e1000e/0000:*; do
		[ -e "$_d" ] || continue
		_d=${_d##*/}
		if [ "$(ndevs "$(grp_of "$_d")")" -eq 1 ]; then OR_B=$_d; break; fi
	done
	if [ -z "$MODULE_KO" ] || [ -z "$E" ] || [ -z "$OR_B" ]; then
		notok "order: needs vfiogroup.ko, an e1000 and an e1000e each alone in its group"
	elif [ "$(time_left)" -lt 120 ]; then
		notok "order: guest time budget: only $(time_left) s left"
	else
		loaded || insmod "$MODULE_KO"
		OR_GA=$(grp_of "$E") OR_GB=$(grp_of "$OR_B")
		if mon_start O 600 0; then
			or_loop "$E" e1000 &
			_pa=$!
			or_loop "$OR_B" e1000e &
			_pb=$!
			wait "$_pa" "$_pb"
			_seq=$(module_seq)
			wait_for 120 seq_reached "$T/O.out" "$_seq"
			mon_stop O
			_sum=$(events_of O | or_check "$OR_GA" "$E" e1000 "$OR_GB" "$OR_B" e1000e)
			diag "order: $(echo "$_sum" | tail -n 1) module-seq=$_seq"
			_c=$OR_CYCLES
			_want="bad=0 switches=* binds=$_c,$_c unbinds=$_c,$_c vc=$((2 * _c)),$((2 * _c)) first=* last=$_seq"
			# shellcheck disable=SC2254
			case $(echo "$_sum" | tail -n 1) in
			$_want) ok "order: $((8 * _c)) events of two groups' concurrent binds in sequence order, each with its group's state" ;;
			*) notok "order: the stream is not what the two loops made"
			   echo "$_sum" | indent ;;
			esac
			_sw=$(echo "$_sum" | tail -n 1 | sed 's/.*switches=\([0-9]*\).*/\1/')
			if [ "${_sw:-0}" -ge 4 ]; then
				ok "order: the two loops raced ($_sw switches between the groups)"
			else
				notok "order: the two loops did not race (${_sw:-0} switches between the groups)"
			fi
		else
			notok "order: the raw monitor did not subscribe"
			indent <"$T/O.err"
		fi
		# Both devices back on their drivers, whatever happened.
		for _p in "$E:e1000" "$OR_B:e1000e"; do
			[ "$(pdrv "${_p%%:*}")" != - ] || echo "${_p%%:*}" >"/sys/bus/pci/drivers/${_p#*:}/bind" 2>/dev/null
		done
	fi
fi
