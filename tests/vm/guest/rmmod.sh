# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "rmmod", sourced by run-tests.sh: (f) rmmod with listeners
# blocked (root and uid 1000): each gets ESHUTDOWN; then insmod again and
# dump == sysfs.
# shellcheck disable=SC2154 # mon_rc: set by helpers-monitor.sh's mon_wait

if want rmmod; then
	log "rmmod"
	if [ -z "$MODULE_KO" ]; then
		skip "rmmod with a blocked listener" "no vfiogroup.ko to insmod again"
	else
		mon_start R 60 0 || diag "R not ready"
		mon_start RU 60 0 "$VGNS" --uid=1000:1000 -- "$VG" || diag "RU not ready"
		out=$(timeout 30 rmmod vfiogroup 2>&1)
		rc=$?
		check "rmmod vfiogroup with listeners subscribed (rc=$rc $out)" test "$rc" -eq 0
		check "module gone after rmmod" test ! -d /sys/module/vfiogroup
		for m in R RU; do
			mon_wait "$m" 10
			who="blocked listener"
			[ "$m" = R ] || who="blocked uid-1000 listener"
			if [ "$mon_rc" = 4 ] && [ "$(grep -c '^error=ESHUTDOWN$' "$T/$m.out")" -eq 1 ]; then
				ok "$who gets error=ESHUTDOWN and exits 4 at rmmod"
			else
				notok "$who gets error=ESHUTDOWN and exits 4 at rmmod (rc=$mon_rc)"
				cat "$T/$m.out" "$T/$m.err" | indent
			fi
		done
		out=$(insmod "$MODULE_KO" 2>&1)
		rc=$?
		check "insmod again after rmmod (rc=$rc $out)" test "$rc" -eq 0
		"$VG" dump >"$T/dump2.out" 2>&1
		rc=$?
		check "dump works after re-insmod (rc=$rc, $(grep -c ' ndev=' "$T/dump2.out") groups)" \
			test "$rc" -eq 0 -a "$(grep -c ' ndev=' "$T/dump2.out")" -eq "$NGROUPS_SYS"
		sed -n 's/^group=\([0-9]*\) viable=[01] seq=[0-9]* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) devviable=[01].*/\1 \2 \3 \4/p' \
			"$T/dump2.out" | sort >"$T/dump2.devs"
		sysfs_listing >"$T/sysfs2.devs"
		check "dump after re-insmod == sysfs" cmp -s "$T/sysfs2.devs" "$T/dump2.devs"
		diag "info after re-insmod: $("$VG" info 2>&1)"
	fi
fi
