# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Sections "user" and "netns", sourced by run-tests.sh; they share one
# transition (poke) that all their listeners must, or must not, see:
#   user   (h) uid 1000 can dump and subscribe
#   netns  (i) a net ns of the initial user ns gets events, one owned by a
#              new user ns gets none

# One transition all the listeners below must (or must not) see: unbind
# the e1000 and bind it back.
poke() {
	# shellcheck disable=SC2086 # E_DRV is e1000 (run-tests.sh)
	if [ -n "$E" ]; then
		echo "$E" >/sys/bus/pci/drivers/$E_DRV/unbind
		echo "$E" >/sys/bus/pci/drivers/$E_DRV/bind
	fi
}

if want user || want netns; then
	if [ -z "$E" ]; then
		skip "uid 1000 and netns listeners" "no e1000 device to toggle"
	else
		log "user + netns"
		# uid 1000: the bench's asuser (su), or vgns --uid.
		if command -v asuser >/dev/null 2>&1 && [ "$(asuser id -u 2>/dev/null)" = 1000 ]; then
			ASUSER="asuser $VG"
		else
			ASUSER="$VGNS --uid=1000:1000 -- $VG"
		fi
		# shellcheck disable=SC2086
		ASVG() { $ASUSER "$@"; }
		diag "as uid 1000: $ASUSER"
		# Namespaces: busybox unshare if it works, else vgns --unshare.
		if unshare -n true 2>/dev/null; then NETNS="unshare -n"; else NETNS=; fi
		if unshare -U -r -n true 2>/dev/null; then USERNS="unshare -U -r -n"; else USERNS=; fi
		if want user; then
			"$VG" dump >"$T/root.dump" 2>&1
			ASVG dump >"$T/user.dump" 2>&1
			rc=$?
			check "uid 1000 can dump (rc=$rc, same output as root)" \
				test "$rc" -eq 0 -a -s "$T/user.dump" -a "$(cat "$T/user.dump")" = "$(cat "$T/root.dump")"
			ASVG info >/dev/null 2>&1
			check "uid 1000 can get info" test $? -eq 0
			# shellcheck disable=SC2086
			mon_start U 60 1 $ASUSER || diag "uid 1000 monitor not ready: $(cat "$T/U.out" "$T/U.err" | tr '\n' ' ')"
		fi
		HAVE_USERNS=1
		if want netns; then
			if [ -n "$NETNS" ]; then
				diag "$NETNS: $($NETNS "$VGNS" netns-check)"
				# shellcheck disable=SC2086
				mon_start N1 60 1 $NETNS "$VG"
			else
				diag "busybox unshare -n failed: vgns --unshare=net"
				mon_start N1 60 1 "$VGNS" --unshare=net -- "$VG"
			fi
			if [ ! -e /proc/self/ns/user ]; then
				HAVE_USERNS=0
				diag "kernel without user namespaces (CONFIG_USER_NS=n)"
			elif [ -n "$USERNS" ]; then
				diag "$USERNS: $($USERNS "$VGNS" netns-check)"
				# shellcheck disable=SC2086
				mon_start N2 8 0 $USERNS "$VG"
			else
				diag "busybox unshare -U -r -n failed: vgns --unshare=user-net"
				mon_start N2 8 0 "$VGNS" --unshare=user-net -- "$VG"
			fi
		fi
		poke
		if want user; then
			mon_wait U 20
			mon_check U "uid 1000 subscribed and got an event" 0 1
		fi
		if want netns; then
			mon_wait N1 20
			mon_check N1 "listener in a new net ns of the initial user ns gets events" 0 1
			out=$("$VG" info 2>&1)
			check "info in the initial namespaces: events=1 ($out)" test "$(vg_field "$out" events)" = 1
			if [ -n "$NETNS" ]; then
				# shellcheck disable=SC2086
				out=$($NETNS "$VG" info 2>&1)
			else
				out=$("$VGNS" --unshare=net -- "$VG" info 2>&1)
			fi
			check "info in a new net ns of the initial user ns: events=1 ($out)" test "$(vg_field "$out" events)" = 1
			if [ "$HAVE_USERNS" = 1 ]; then
				if [ -n "$USERNS" ]; then
					# shellcheck disable=SC2086
					out=$($USERNS "$VG" info 2>&1)
				else
					out=$("$VGNS" --unshare=user-net -- "$VG" info 2>&1)
				fi
				check "info in a net ns owned by a new user ns: answers, events=0 ($out)" \
					test "$(vg_field "$out" events)" = 0 -a -n "$(vg_field "$out" seq)"
			fi
			if [ "$HAVE_USERNS" = 0 ]; then
				skip "listener in a net ns owned by a new user ns gets none" "no user namespaces in this kernel"
			elif [ -e "$T/u/N2.ready" ]; then
				mon_wait N2 20
				mon_check N2 "listener in a net ns owned by a new user ns gets none (times out)" 3 0
			else
				mon_wait N2 5
				notok "listener in a net ns owned by a new user ns subscribed (ready file)"
				cat "$T/N2.out" "$T/N2.err" | indent
			fi
		fi
		check "$E back on $E_DRV after the toggle" test "$(pdrv "$E")" = "$E_DRV"
	fi
fi
