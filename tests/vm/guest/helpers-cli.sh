# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): vfiogroup(8)
# read back -- list and show (text and -j) as "GROUP DEV BUS DRIVER" lines,
# monitor (text and -j) as "kind:dev:driver@group" words, its sequence
# numbers -- and "vfiogroup monitor" started in the background until it
# waits in poll() (sections lib, ynl, stress).

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
