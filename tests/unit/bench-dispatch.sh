#!/bin/sh
# The library's cost in user-space instructions, counted by callgrind on
# bench-dispatch (see its header): per event, receipt to callback, and for
# a new context on eight groups; then per event again with the device
# moving between drivers (--rebind), which its spare group never matches.
# A measurement, not a test: no threshold.
#   tests/unit/bench-dispatch.sh [BENCH] [EVENTS]
# BENCH: the bench-dispatch program (default: next to this script's build,
# $top_builddir/tests/unit/bench-dispatch, or ./bench-dispatch).
#
# Two figures each: "library" leaves out the fake kernel's own work (the
# fake transport's functions, f_*, but for the library's reply callback
# they call, on_reply), which stands in for the kernel and for the real
# transport's recvmsg() and libnl's message building; "with the fake
# kernel's work" is everything under the entry point (vfiogroup_dispatch,
# vg_ctx_new_transport).
set -eu
bench=${1:-}
events=${2:-2000}
contexts=20
if [ -z "$bench" ]; then
	for b in "${top_builddir:-.}/tests/unit/bench-dispatch" ./bench-dispatch; do
		[ -x "$b" ] && { bench=$b; break; }
	done
fi
if ! command -v valgrind >/dev/null 2>&1 ||
   ! command -v callgrind_annotate >/dev/null 2>&1; then
	echo "bench-dispatch.sh: SKIP: valgrind (callgrind) is not installed" >&2
	exit 77
fi
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
	echo "bench-dispatch.sh: no bench-dispatch program (make check builds it)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME ENTRY ARGS...: callgrind on the bench, collecting under ENTRY.
# Symbols bound at start: the first call's lazy binding is no cost of ours.
run() {
	name=$1
	entry=$2
	out=$tmp/$name.out
	shift 2
	LD_BIND_NOW=1 valgrind --tool=callgrind --callgrind-out-file="$out" \
		--toggle-collect="$entry" "$bench" "$@" \
		>"$tmp/stdout" 2>"$tmp/stderr" ||
		{ cat "$tmp/stderr" >&2; exit 1; }
	callgrind_annotate --inclusive=yes "$out" >"$tmp/$name.txt" 2>/dev/null
}

# cost NAME FUNCTION...: the inclusive cost of each, summed (PROGRAM for
# the total).  Functions named in the fake (fake.c) or the library only.
cost() {
	f=$tmp/$1.txt
	shift
	awk -v want=" $* " '
		{ n = $1; gsub(",", "", n) }
		/PROGRAM TOTALS/ { if (index(want, " PROGRAM ")) sum += n; next }
		# "N (P%)  file:function [object]"
		match($0, /:[^ :]+ \[/) {
			fn = substr($0, RSTART + 1, RLENGTH - 3)
			if (index(want, " " fn " ")) sum += n
		}
		END { print sum + 0 }' "$f"
}

# The fake kernel's own work is left out of "library": its transport's
# functions (f_*), which stand in for the kernel, for the real
# transport's recvmsg() and for libnl building the replies, but for the
# library's callback they call with each reply (on_reply).
run dispatch vfiogroup_dispatch "$events"
d_all=$(cost dispatch PROGRAM)
d_lib=$((d_all - $(cost dispatch f_recv f_request f_set_filter) +
	 $(cost dispatch on_reply)))
run rebind vfiogroup_dispatch --rebind "$events"
r_all=$(cost rebind PROGRAM)
r_lib=$((r_all - $(cost rebind f_recv f_request f_set_filter) +
	 $(cost rebind on_reply)))
run ctx vg_ctx_new_transport --ctx-new "$contexts"
c_all=$(cost ctx PROGRAM)
c_lib=$((c_all - $(cost ctx f_watch_ctrl f_resolve f_join f_set_filter f_request f_recv) +
	 $(cost ctx on_reply)))

echo "library: $((d_lib / events)) instructions per event (dispatch + callback), $((c_lib / contexts)) instructions for ctx_new at 8 groups"
echo "with the fake kernel's work: $((d_all / events)) per event, $((c_all / contexts)) for ctx_new"
echo "rebind (the changed device decoded every time): library $((r_lib / events)) per event, $((r_all / events)) with the fake kernel's work"
