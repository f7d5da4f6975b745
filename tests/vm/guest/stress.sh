# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "stress", sourced by run-tests.sh: VG_STRESS_CYCLES (default 100,
# 50 on the debug kernels) rmmod/insmod cycles while two subscribers listen and a loop unbinds and
# binds the e1000 $E as fast as it can:
#   A  "vfiogroup monitor" (libvfiogroup): survives every reload, ends
#      connected, and sees a transition made after the last cycle
#   B  raw vgprobe monitors, one after another: each one ends with
#      ESHUTDOWN at an rmmod (or finds no family between cycles, or gets
#      ENOBUFS, or hears nlctrl's DELFAMILY, having joined the events group
#      in the instant between the module's ESHUTDOWN and its unregistering),
#      and sees no sequence gap before that
# No rmmod or insmod may fail or hang; the console check and kmemleak (on
# the debug kernels) do the rest.  An rmmod may find the module busy
# (EAGAIN: a netlink dump in progress holds a module reference until its
# last part is read, as for any genetlink module): it is tried again, for at
# most 10 s, and the busy refusals are counted and shown.

ST_CYCLES=${VG_STRESS_CYCLES:-100}

st_bind_loop() { # until $T/st.stop exists
	while [ ! -e "$T/st.stop" ]; do
		echo "$E" >/sys/bus/pci/drivers/e1000/unbind 2>/dev/null
		echo "$E" >/sys/bus/pci/drivers/e1000/bind 2>/dev/null
	done
}

# B: raw monitors back to back; one line per run in $T/st.b.runs:
# "RC EVENTS GAPS LAST-ERROR"
st_raw_loop() {
	_i=0
	while [ ! -e "$T/st.stop" ]; do
		_i=$((_i + 1))
		rm -f "$T/st.b.ready"
		"$VG" monitor --timeout 60 --ready-file "$T/st.b.ready" \
			>"$T/st.b.out" 2>/dev/null </dev/null
		_r=$?
		_gaps=$(sed -n 's/^seq=\([0-9]*\) .*/\1/p' "$T/st.b.out" |
			awk 'NR > 1 && $1 != p + 1 { g++ } { p = $1 } END { print g + 0 }')
		echo "$_r $(grep -c '^seq=' "$T/st.b.out") $_gaps $(sed -n 's/^error=//p' "$T/st.b.out" | tail -n 1)" >>"$T/st.b.runs"
		# No family between rmmod and insmod: try again shortly.
		[ "$_r" != 7 ] || usleep 20000
	done
}

# rmmod, again while the module is busy; counts st_busy, leaves the last
# error in st_err
st_rmmod() {
	_tries=0
	while ! st_err=$(timeout 60 rmmod vfiogroup 2>&1); do
		case $st_err in
		*"temporarily unavailable"*) ;;
		*) return 1 ;;
		esac
		st_busy=$((st_busy + 1)) _tries=$((_tries + 1))
		if [ "$_tries" -ge 100 ]; then
			st_err="$st_err (busy for 10 s)"
			return 1
		fi
		usleep 100000
	done
}

st_a_current() { # the last driver-bound of $E after line $1 of SA's output
	tail -n +"$(($1 + 1))" "$T/SA.out" | cli_events | grep -q "^driver-bound:$E:e1000@"
}

if want stress; then
	log "stress"
	CLI=${CLI:-$(find_prog vfiogroup)}
	if [ -z "$MODULE_KO" ] || [ -z "$E" ] || [ -z "$CLI" ]; then
		notok "stress: needs vfiogroup.ko, an e1000 alone in its group and the vfiogroup tool"
	elif [ "$(time_left)" -lt 120 ]; then
		notok "stress: guest time budget: only $(time_left) s left"
	else
		loaded || insmod "$MODULE_KO"
		rm -f "$T/st.stop" "$T/st.b.runs"
		cli_mon_start SA monitor || diag "stress: vfiogroup monitor not ready"
		st_raw_loop &
		st_raw=$!
		st_bind_loop &
		st_bind=$!
		PIDS="$PIDS $st_raw $st_bind"
		st_t0=$(cut -d. -f1 /proc/uptime) st_fail=0 st_done=0 st_busy=0
		# Leave 60 s for the checks and the rest of the run.
		st_deadline=$((st_t0 + $(time_left) - 60))
		while [ "$st_done" -lt "$ST_CYCLES" ] && [ "$(cut -d. -f1 /proc/uptime)" -lt "$st_deadline" ]; do
			if ! st_rmmod; then
				st_fail=$((st_fail + 1))
				diag "stress: cycle $st_done: rmmod: $st_err"
			fi
			if ! out=$(timeout 60 insmod "$MODULE_KO" 2>&1); then
				st_fail=$((st_fail + 1))
				diag "stress: cycle $st_done: insmod: $out"
				loaded || break
			fi
			st_done=$((st_done + 1))
		done
		st_secs=$(($(cut -d. -f1 /proc/uptime) - st_t0))
		touch "$T/st.stop"
		wait "$st_bind"
		[ "$(pdrv "$E")" = e1000 ] || echo "$E" >/sys/bus/pci/drivers/e1000/bind
		# One reload more ends B's last monitor, with ESHUTDOWN.
		wait_for 10 test -e "$T/st.b.ready"
		st_rmmod && insmod "$MODULE_KO" || st_fail=$((st_fail + 1))
		wait "$st_raw"
		diag "stress: $st_done cycles in $st_secs s, $st_fail rmmod/insmod failures, $st_busy busy refusals retried"
		check "stress: $st_done of $ST_CYCLES rmmod/insmod cycles, none failed or hung" \
			test "$st_done" -eq "$ST_CYCLES" -a "$st_fail" -eq 0

		# B: every run ended with an error a subscriber can act on.
		st_runs=$(wc -l <"$T/st.b.runs")
		st_bad=$(awk '!(($1 == 4 && ($4 == "ESHUTDOWN" || $4 == "ENOBUFS" || $4 == "family-removed")) || $1 == 7) ||
			($3 > 0 && $4 != "ENOBUFS")' "$T/st.b.runs")
		st_shut=$(awk '$4 == "ESHUTDOWN"' "$T/st.b.runs" | wc -l)
		diag "stress: raw monitor runs: $st_runs; by end: $(awk '{ print $1 "/" ($4 == "" ? "-" : $4) }' "$T/st.b.runs" | sort | uniq -c | tr -s ' \n' '  ')"
		check "stress: each raw monitor saw its events without gaps, then ESHUTDOWN/ENOBUFS/DELFAMILY (or no family)" \
			test -z "$st_bad" -a "$st_shut" -ge 1
		[ -z "$st_bad" ] || echo "$st_bad" | head -n 5 | indent

		# A: still running, told of the reloads, and current.
		st_mark=$(nlines "$T/SA.out")
		unbind_dev "$E"
		echo "$E" >/sys/bus/pci/drivers/e1000/bind
		wait_for 20 st_a_current "$st_mark"
		st_disc=$(grep -c '^\[notice\] disconnected seq [0-9]*$' "$T/SA.out")
		st_alive=0
		alive "$(eval "echo \$pid_SA")" && st_alive=1
		check "stress: vfiogroup monitor alive, $st_disc disconnects, saw the transition after the last cycle" \
			test "$st_alive" = 1 -a "$st_disc" -ge 1 -a -n "$(st_a_current "$st_mark" && echo y)"
		mon_stop SA
		check "stress: dump equals sysfs afterwards" state_ok
	fi
fi
