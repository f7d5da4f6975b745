# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "ynl", sourced by run-tests.sh: the family driven by the kernel's
# own YNL tools, from nothing but the spec (payload: tests/vm/ynl/payload.sh,
# in /payload/ynl).  Two clients that share no code with the module, the
# library or vgprobe:
#   YC  ynl-client: the C user code ynl-gen-c makes of the spec + lib/ynl.c
#   YP  the YNL Python CLI (cli.py --spec vfiogroup.yaml --output-json),
#       its JSON turned into vgprobe's lines by ynl-canon.py
# Each must print what vgprobe prints (dump, get by id and by device name,
# an ENOENT with its extack, info), and what sysfs and "vfiogroup -j" say.
# Events: while YC, YP, a vgprobe monitor and "vfiogroup -j monitor" listen,
# the e1000 $E is unbound and bound again, then taken by vfio-pci (ready-
# changed) and given back, and the e1000e $R is removed and
# found again by a rescan; every listener must report the events expected
# from sysfs, and the three decoders the same lines (seq, kind, group,
# device, driver, viability, readiness, device count) for every sequence
# number.
# The CLI only reads its notifications after --sleep S: when the
# transitions took longer than S (a slow guest), the round is run again
# with twice S, up to 40 s.

YD=$HERE/ynl

# yp ARGS...: the YNL CLI on our spec, JSON out
yp() {
	PYTHONHOME=$YD/python "$YD/python/bin/python3" "$YD/cli.py" \
		--spec "$YD/vfiogroup.yaml" --no-schema --output-json "$@"
}
ycanon() { PYTHONHOME=$YD/python "$YD/python/bin/python3" "$YD/ynl-canon.py" "$1"; }
# event lines (vgprobe's, ynl-client's, ynl-canon's) -> "kind:dev:driver@group"
yl_words() {
	sed -n 's/^seq=[0-9]* kind=\([^ ]*\) group=\([^ ]*\) dev=\([^ ]*\) driver=\([^ ]*\) .*/\1:\3:\4@\2/p' "$@"
}
# yl_range FROM TO FILE: the event lines with FROM < seq <= TO, time dropped
yl_range() {
	sed 's/ time=[0-9]*//' "$3" | awk -v a="$1" -v b="$2" -F'[= ]' '$1 == "seq" && $2 > a && $2 <= b'
}
# Is PID's generic netlink socket in a multicast group yet?  (In
# /proc/net/netlink: protocol 16, the portid the kernel gave the process's
# first socket, which is its pid, and a group bitmap.)
yp_subscribed() {
	awk -v p="$1" '$2 == 16 && $3 == p && $4 != "00000000" { f = 1 } END { exit !f }' /proc/net/netlink
}
# ycmp NAME A B: A == B, else the diff
ycmp() {
	if cmp -s "$2" "$3"; then
		ok "$1 ($(wc -l <"$2") lines)"
	else
		notok "$1 (diff below)"
		diff "$2" "$3" | head -n 20 | indent
	fi
}

# One round of transitions watched by the four listeners, the CLI sleeping
# $1 s; sets yr_ok=1 when the CLI was still asleep once all had happened.
ynl_round() {
	_s=$1
	rm -f "$T/YP.json" "$T/u/YC.ready"
	mon_start YV 120 0 || diag "ynl: vgprobe monitor did not start"
	"$YD/ynl-client" monitor --timeout 120 --ready-file "$T/u/YC.ready" \
		>"$T/YC.out" 2>"$T/YC.err" </dev/null &
	pid_YC=$!
	PIDS="$PIDS $pid_YC"
	wait_for 15 ready_or_dead YC "$pid_YC"
	# exec: the CLI keeps the shell's pid, so its socket's portid is $!
	(exec env PYTHONHOME="$YD/python" "$YD/python/bin/python3" "$YD/cli.py" \
		--spec "$YD/vfiogroup.yaml" --no-schema --output-json \
		--subscribe events --sleep "$_s" >"$T/YP.json" 2>"$T/YP.err" </dev/null) &
	pid_YP=$!
	PIDS="$PIDS $pid_YP"
	wait_for 30 yp_subscribed "$pid_YP" || diag "ynl: the YNL CLI is not subscribed after 30 s"
	cli_mon_start YJ -j monitor || diag "ynl: vfiogroup -j monitor did not start"
	s0=$(vg_field "$("$VG" info)" seq)

	: >"$T/ynl.expect"
	yx() { echo "$1" >>"$T/ynl.expect"; }
	EG=$(grp_of "$E")
	# unbind and bind back: viability-changed both times; then E on
	# vfio-pci and back, for the ready-changed (decoded by all three)
	unbind_expect "$E" yx
	bind_expect "$E" e1000 yx
	if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
		unbind_expect "$E" yx
		bind_expect "$E" vfio-pci yx
		unbind_expect "$E" yx
		bind_expect "$E" e1000 yx
	else
		diag "ynl: no vfio-pci: no ready-changed in the round"
	fi
	remove_rescan "$R" yx

	s1=$(vg_field "$("$VG" info)" seq)
	wait_for 15 grep -q "^seq=$s1 " "$T/YC.out"
	wait_for 15 grep -q "^seq=$s1 " "$T/YV.out"
	wait_for 10 lines_at_least "$T/YJ.out" "$(wc -l <"$T/ynl.expect")"
	yr_ok=0
	alive "$pid_YP" && yr_ok=1
	mon_stop YV
	mon_stop YJ
	kill -TERM "$pid_YC" 2>/dev/null
	wait "$pid_YC" 2>/dev/null
	# The CLI prints once its sleep is over.
	_t=$(((_s + 30) * 10))
	while alive "$pid_YP" && [ "$_t" -gt 0 ]; do usleep 100000; _t=$((_t - 1)); done
	alive "$pid_YP" && kill -KILL "$pid_YP" 2>/dev/null
	wait "$pid_YP" 2>/dev/null
	yp_rc=$?
}

if want ynl; then
	log "ynl"
	CLI=${CLI:-$(find_prog vfiogroup)}
	R=
	for d in /sys/bus/pci/drivers/e1000e/0000:*; do [ -e "$d" ] && { R=${d##*/}; break; }; done
	if [ ! -x "$YD/ynl-client" ] || [ ! -x "$YD/python/bin/python3" ]; then
		notok "ynl: needs the YNL payload in $YD (tests/vm/ynl/payload.sh, run by run-suite.sh)"
	elif [ -z "$E" ] || [ -z "$R" ] || [ -z "$CLI" ] || [ "$(ndevs "$(grp_of "$R")")" -ne 1 ]; then
		notok "ynl: needs an e1000 and an e1000e each alone in its group, and the vfiogroup tool"
	else
		loaded || insmod "$MODULE_KO"

		# --- requests: dump, get, info; nothing changes meanwhile
		"$VG" dump >"$T/yv.dump" 2>&1
		"$YD/ynl-client" dump >"$T/yc.dump" 2>&1
		yp --dump group-get >"$T/yp.json" 2>&1
		ycanon groups <"$T/yp.json" >"$T/yp.dump" 2>&1
		ycmp "ynl: ynl-client dump == vgprobe dump" "$T/yv.dump" "$T/yc.dump"
		ycmp "ynl: YNL CLI dump == vgprobe dump" "$T/yv.dump" "$T/yp.dump"
		sed -n 's/^group=\([0-9]*\) .* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) .*/\1 \2 \3 \4/p' \
			"$T/yc.dump" | sort >"$T/yc.devs"
		sysfs_listing >"$T/ysys.devs"
		ycmp "ynl: ynl-client dump == /sys/kernel/iommu_groups" "$T/ysys.devs" "$T/yc.devs"
		"$CLI" -j list >"$T/ycli.json" 2>&1
		json_listing "$T/ycli.json" >"$T/ycli.devs"
		ycmp "ynl: ynl-client dump == vfiogroup -j list" "$T/ycli.devs" "$T/yc.devs"

		EG=$(grp_of "$E")
		for q in "--id $EG|{\"group-id\": $EG}" "--dev $E|{\"group-dev-name\": \"$E\"}" \
			"--id 99999|{\"group-id\": 99999}"; do
			a=${q%%|*} j=${q#*|}
			# shellcheck disable=SC2086 # "--id N" / "--dev NAME"
			"$VG" get $a >"$T/yv.get" 2>/dev/null
			grep -v '^extack-' "$T/yv.get" >"$T/yv.get1"
			# shellcheck disable=SC2086
			"$YD/ynl-client" get $a >"$T/yc.get.all" 2>&1
			grep -v '^extack-' "$T/yc.get.all" >"$T/yc.get"
			if yp --do group-get --json "$j" >"$T/yp.get.json" 2>&1; then
				ycanon groups <"$T/yp.get.json" >"$T/yp.get" 2>&1
			else
				ycanon error <"$T/yp.get.json" >"$T/yp.get" 2>&1
			fi
			ycmp "ynl: ynl-client get $a == vgprobe get $a" "$T/yv.get1" "$T/yc.get"
			ycmp "ynl: YNL CLI group-get $j == vgprobe get $a" "$T/yv.get1" "$T/yp.get"
		done
		yext=$(sed -n 's/^errno=ENOENT extack=//p' "$T/yc.get")
		ybad=$(sed -n 's/^extack-ynl=//p' "$T/yc.get.all")
		check "ynl: ynl-client get --id 99999: ENOENT, extack '$yext', offset named by YNL: $ybad" \
			test -n "$yext" -a "$ybad" = "(bad attribute: .group-id)"

		"$VG" info >"$T/yv.info" 2>&1
		"$YD/ynl-client" info >"$T/yc.info" 2>&1
		yp --do info-get >"$T/yp.info.json" 2>&1
		ycanon info <"$T/yp.info.json" >"$T/yp.info" 2>&1
		ycmp "ynl: ynl-client info == vgprobe info" "$T/yv.info" "$T/yc.info"
		ycmp "ynl: YNL CLI info-get == vgprobe info" "$T/yv.info" "$T/yp.info"

		# --- events
		ys=5
		while :; do
			ynl_round "$ys"
			if [ "$yr_ok" = 1 ] || [ "$ys" -ge 40 ]; then break; fi
			diag "ynl: the transitions outlasted the CLI's --sleep $ys: again with $((ys * 2))"
			ys=$((ys * 2))
		done
		diag "ynl: events $s0..$s1, CLI --sleep $ys (rc=$yp_rc)"
		check "ynl: the YNL CLI slept through the transitions and exited 0 (--sleep $ys, rc=$yp_rc)" \
			test "$yr_ok" = 1 -a "$yp_rc" = 0
		ycanon events <"$T/YP.json" >"$T/YP.lines" 2>&1
		yl_range "$s0" "$s1" "$T/YV.out" >"$T/yv.ev"
		yl_range "$s0" "$s1" "$T/YC.out" >"$T/yc.ev"
		yl_range "$s0" "$s1" "$T/YP.lines" >"$T/yp.ev"
		yl_words "$T/yc.ev" >"$T/yc.words"
		ycmp "ynl: ynl-client events == those expected from sysfs" "$T/ynl.expect" "$T/yc.words"
		check "ynl: ynl-client saw seqs $((s0 + 1))..$s1, each once" \
			test "$(wc -l <"$T/yc.ev")" -eq $((s1 - s0)) -a "$(cut -d' ' -f1 "$T/yc.ev" | sort -u | wc -l)" -eq $((s1 - s0))
		ycmp "ynl: ynl-client events == vgprobe's, field for field" "$T/yv.ev" "$T/yc.ev"
		ycmp "ynl: YNL CLI events == vgprobe's, field for field" "$T/yv.ev" "$T/yp.ev"
		json_events "$T/YJ.out" >"$T/yj.words"
		ycmp "ynl: vfiogroup -j monitor == ynl-client's events" "$T/yj.words" "$T/yc.words"
	fi
fi
