# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): the TAP
# lines and their numbering (one count for the whole run, $n, and the
# failures, $nfail), diagnostics ("# ..." lines on stdout), progress on
# stderr (the guest console), and lib_tap, which numbers the results of a
# program that prints its own "ok - "/"not ok - " lines.

n=0 nfail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # check DESC CONDITION...: ok if the command succeeds
	_d=$1
	shift
	if "$@"; then ok "$_d"; else notok "$_d"; fi
}
diag() { echo "# $*"; }
# log MESSAGE: progress on the console, with the guest's uptime so that a
# run's log shows where its time went.
log() { echo "run-tests: [$(cut -d' ' -f1 /proc/uptime) s] $*" >&2; }
indent() { sed 's/^/#   /'; }

# lib_tap CMD...: run a program that prints "ok - ..."/"not ok - ..." and
# "# ..." lines; number its results.  A non-zero exit without a failed
# result (a crash, the watchdog, a usage error) is one failure more.
lib_tap() {
	"$@" >"$T/li.out" 2>"$T/li.err"
	_lrc=$?
	_lbefore=$nfail
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) ok "${_l#ok - }" ;;
		"not ok - "*) notok "${_l#not ok - }" ;;
		"#"*) echo "$_l" ;;
		*) echo "# $_l" ;;
		esac
	done <"$T/li.out"
	if [ "$_lrc" -ne 0 ] && [ "$nfail" -eq "$_lbefore" ]; then
		notok "${1##*/} $2 exited with status $_lrc"
	fi
	[ ! -s "$T/li.err" ] || indent <"$T/li.err"
}
