# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): vgprobe
# monitors in the background -- started until subscribed (ready file),
# waited for with a deadline, stopped, their events read back -- named by a
# word (M, U, N1, ...) that names their files in $T and their pid_NAME.
# shellcheck disable=SC2154 # _p: assigned by eval "_p=\$pid_NAME"

# mon_start NAME TIMEOUT COUNT [VGPROBE-COMMAND...]: start "VGPROBE-COMMAND
# monitor ..." (default: vgprobe; e.g. "unshare -n /payload/vgprobe" or
# "vgns --uid=1000 -- vgprobe") in the background, output in $T/NAME.out;
# waits until it is subscribed.  $MON_OPTS, when set, goes to the monitor
# as its first options (e.g. --datagrams).
# shellcheck disable=SC2086 # MON_OPTS: words on purpose
mon_start() {
	_n=$1 _to=$2 _cnt=$3
	shift 3
	[ $# -gt 0 ] || set -- "$VG"
	rm -f "$T/u/$_n.ready" "$T/$_n.out" "$T/$_n.err"
	if [ "$_cnt" -gt 0 ]; then
		"$@" monitor ${MON_OPTS:-} --timeout "$_to" --count "$_cnt" --ready-file "$T/u/$_n.ready" \
			>"$T/$_n.out" 2>"$T/$_n.err" </dev/null &
	else
		"$@" monitor ${MON_OPTS:-} --timeout "$_to" --ready-file "$T/u/$_n.ready" \
			>"$T/$_n.out" 2>"$T/$_n.err" </dev/null &
	fi
	eval "pid_$_n=$!"
	PIDS="$PIDS $!"
	_mp=$!
	# Until subscribed, or until it died (then its output says why).
	wait_for 15 ready_or_dead "$_n" "$_mp"
	test -e "$T/u/$_n.ready"
}
ready_or_dead() { [ -e "$T/u/$1.ready" ] || ! alive "$2"; }
alive() { # a process that exists and is not a zombie
	[ -e "/proc/$1/stat" ] || return 1
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ] && [ "$_st" != X ]
}
# mon_wait NAME SECONDS: wait for the monitor to exit; mon_rc = its status,
# or "hang" (then it is killed).
mon_wait() {
	eval "_p=\$pid_$1"
	_t=$(($2 * 10))
	while alive "$_p" && [ "$_t" -gt 0 ]; do
		usleep 100000
		_t=$((_t - 1))
	done
	if alive "$_p"; then
		kill -KILL "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		mon_rc=hang
		return 1
	fi
	wait "$_p"
	mon_rc=$?
	return 0
}
mon_stop() { # mon_stop NAME: SIGTERM, then wait
	eval "_p=\$pid_$1"
	kill -TERM "$_p" 2>/dev/null
	mon_wait "$1" 10
}
events_of() { grep '^seq=' "$T/$1.out" 2>/dev/null; }
# mon_check NAME DESC RC EVENTS: after mon_wait, the monitor exited with RC
# having printed EVENTS events (its output is shown when not).
mon_check() {
	if [ "$mon_rc" = "$3" ] && [ "$(nevents "$1")" -eq "$4" ]; then
		ok "$2"
	else
		notok "$2 (rc=$mon_rc, $(nevents "$1") events; expected rc=$3, $4 events)"
		cat "$T/$1.out" "$T/$1.err" | indent
	fi
}
nevents() { events_of "$1" | wc -l; }
