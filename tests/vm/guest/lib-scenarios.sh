# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "lib" (part 3 of 3), sourced by run-tests.sh: lib-integration's
# scenarios (lib-integration-NAME.c), each as far as the guest budget
# allows: (g) unsub, (h) filtered, (i) window, (d) storm, (e) reload (with
# vfiogroup monitor listening too), then cache once more.
# shellcheck disable=SC2154 # mon_rc: set by helpers-monitor.sh's mon_wait

lr_reconnected() { [ "$(grep -c '^\[notice\] reconnected seq [0-9]*$' "$T/LR.out")" -ge 2 ]; }

if want lib && [ -n "$LI" ]; then
	# --- (g) unsubscribe guarantee on a live stream
	if [ -n "$S1" ] && [ "$(time_left)" -ge 40 ]; then
		lib_tap "$LI" unsub --dev "$S1" --toggles 20
	elif [ -n "$S1" ]; then
		skip "unsubscribe on a live stream" "guest time budget: $(time_left) s left"
	else
		skip "unsubscribe on a live stream" "no second e1000 alone in its group"
	fi
	# --- (h) kernel filters: a context per group (S1's, and S2's or E's)
	# beside an unfiltered one, during unbind/bind cycles of both
	FD2=${S2:-$E}
	if [ -n "$S1" ] && [ -n "$FD2" ] && [ "$(time_left)" -ge 60 ]; then
		ftog=10
		[ "$(time_left)" -ge 150 ] || ftog=4
		log "lib: filtered contexts ($ftog cycles)"
		lib_tap "$LI" filtered --dev "$S1" --dev "$FD2" --toggles "$ftog"
	elif [ -n "$S1" ] && [ -n "$FD2" ]; then
		skip "filtered contexts during a burst" "guest time budget: $(time_left) s left"
	else
		skip "filtered contexts during a burst" "needs two e1000s in different groups"
	fi
	# --- (i) acting in a resync's window, a raw listener as ground truth:
	# a bind from inside the RESYNC callback, another process binding
	# while the contexts resync, a bind right after the drain.  Up to 60 s
	# (the first round always runs), keeping 150 s for storm and reload.
	win_s=$(($(time_left) - 150))
	[ "$win_s" -le 60 ] || win_s=60
	if [ -n "$S1" ] && [ "$win_s" -ge 25 ]; then
		log "lib: window (up to $win_s s)"
		# shellcheck disable=SC2086
		lib_tap "$LI" window --dev "$S1" ${S2:+--dev "$S2"} --max-seconds "$win_s"
	elif [ -n "$S1" ]; then
		skip "binds in a resync's window" "guest time budget: $(time_left) s left"
	else
		skip "binds in a resync's window" "no second e1000 alone in its group"
	fi
	# --- (d) storm against a stalled consumer, the kernel filter attached
	# Up to 90 s, less when the guest budget is short (the reload after
	# it needs about 60 s on the debug kernel); storm and its checks adapt
	# to how many toggles the kernel manages in that time.
	storm_s=$(($(time_left) - 60))
	[ "$storm_s" -le 90 ] || storm_s=90
	if [ -n "$S1" ] && [ "$storm_s" -ge 20 ]; then
		log "lib: storm (up to $storm_s s)"
		# shellcheck disable=SC2086
		lib_tap "$LI" storm --dev "$S1" ${S2:+--dev "$S2"} --toggles "${VG_STORM:-300}" --max-seconds "$storm_s"
	elif [ -n "$S1" ]; then
		skip "bind/unbind storm" "guest time budget: $(time_left) s left"
	else
		skip "bind/unbind storm" "no second e1000 alone in its group"
	fi
	# --- (e) rmmod / insmod while subscribed, with the tool listening too
	if [ -n "$MODULE_KO" ] && [ -n "$S1" ] && [ "$(time_left)" -lt 30 ]; then
		skip "rmmod/insmod while subscribed" "guest time budget: $(time_left) s left"
	elif [ -n "$MODULE_KO" ] && [ -n "$S1" ]; then
		log "lib: reload"
		[ -z "$CLI" ] || cli_mon_start LR monitor || diag "vfiogroup monitor for the reload did not start"
		lib_tap "$LI" reload --module "$MODULE_KO" --dev "$S1"
		if [ -n "$CLI" ]; then
			wait_for 10 lr_reconnected
			lr_pid=$(eval "echo \$pid_LR")
			if alive "$lr_pid"; then lr_alive=1; else lr_alive=0; fi
			mon_stop LR
			check "vfiogroup monitor across two reloads: disconnected, reconnected twice each, still running, exit 0 (rc=$mon_rc)" \
				test "$lr_alive" = 1 -a "$mon_rc" = 0 -a "$(grep -c '^\[notice\] disconnected seq [0-9]*$' "$T/LR.out")" -eq 2 \
				-a "$(grep -c '^\[notice\] reconnected seq [0-9]*$' "$T/LR.out")" -eq 2
			grep -v '^\[kernel\]' "$T/LR.out" | indent
		fi
		lib_tap "$LI" cache
	else
		skip "rmmod/insmod while subscribed" "no vfiogroup.ko to insmod again or no second e1000"
	fi
fi
