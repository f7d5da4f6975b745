#!/bin/sh
# tap-summary.sh RESULTS
#
# Reads a results file written by guest-init.sh (TAP in "# vg-begin NAME" /
# "# vg-end NAME rc=N" sections, then "VG-BENCH-DONE rc=N") and prints one
# line on stdout:
#   PASSED FAILED SKIPPED DONE
# DONE is 1 when the final marker is there.  Problems go to stderr.
# Counted: top-level "ok" / "not ok" lines (indented subtest lines are not);
# "ok ... # SKIP" is passed and skipped; "not ok ... # TODO" is passed.
# Also counted as one failure each: "Bail out!", a section that exited
# non-zero without a "not ok", printed no result and no plan, ran another
# number of tests than its plan, or never ended (guest died or timed out).
# Exit status: 0 when FAILED is 0 and DONE is 1, else 1.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 RESULTS" >&2; exit 2; }
[ -r "$1" ] || { echo "tap-summary: cannot read $1" >&2; exit 2; }

tr -d '\r' <"$1" | awk '
function problem(msg) { failed++; printf "tap-summary: %s\n", msg > "/dev/stderr" }
function close_section(rc) {
	if (sec == "") return
	if (rc != 0 && notok == 0) problem(sec ": exited rc=" rc " without a failing test")
	if (ntests == 0 && plan < 0) problem(sec ": no TAP results and no plan")
	if (plan >= 0 && plan != ntests) problem(sec ": planned " plan " tests, ran " ntests)
	sec = ""
}
BEGIN { sec = ""; passed = failed = skipped = done = 0 }
/^# vg-begin / {
	close_section(0)
	sec = $3; ntests = 0; notok = 0; plan = -1
	next
}
/^# vg-end / {
	rc = $0; sub(/.* rc=/, "", rc)
	close_section(rc + 0)
	next
}
/^VG-BENCH-DONE/ { close_section(0); done = 1; next }
/^VG-BENCH-TIMEOUT/ { problem("the guest watchdog fired (timeout)"); next }
/^1\.\.[0-9]+/ { p = $0; sub(/^1\.\./, "", p); plan = p + 0; next }
/^Bail out!/ { problem((sec == "" ? "?" : sec) ": " $0); next }
/^ok( |$)/ {
	ntests++; passed++
	if ($0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) skipped++
	next
}
/^not ok( |$)/ {
	ntests++
	if ($0 ~ /#[ \t]*[Tt][Oo][Dd][Oo]/) { passed++; next }
	failed++; notok++
	printf "tap-summary: %s: %s\n", sec, $0 > "/dev/stderr"
	next
}
END {
	if (sec != "") problem(sec ": did not finish (guest died or timed out)")
	if (!done) printf "tap-summary: no VG-BENCH-DONE marker\n" > "/dev/stderr"
	print passed, failed, skipped, done
	exit (failed == 0 && done) ? 0 : 1
}'
