# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "lib" (part 1 of 3, after lib.sh), sourced by run-tests.sh: the
# library's cache == sysfs (lib-integration cache), then (a) vfiogroup list /
# show / info, text and -j, == sysfs, viability by the rule.

if want lib && [ "$(time_left)" -lt 45 ]; then
	skip "library cache, vfiogroup list / show / info" "guest time budget: $(time_left) s left"
elif want lib && [ -n "$LI" ] && [ -n "$CLI" ] && [ -n "$VMMW" ]; then
	# --- the library's cache == sysfs
	lib_tap "$LI" cache

	# --- (a) vfiogroup list / show / info / -j
	sysfs_listing >"$T/lib.sysfs"
	"$CLI" list >"$T/cli.list" 2>"$T/cli.err"
	rc=$?
	cli_listing "$T/cli.list" >"$T/cli.devs"
	if [ "$rc" -eq 0 ] && diff "$T/lib.sysfs" "$T/cli.devs" >"$T/cli.diff"; then
		ok "vfiogroup list == /sys/kernel/iommu_groups: $(wc -l <"$T/lib.sysfs") devices, buses, driver links"
	else
		notok "vfiogroup list == /sys/kernel/iommu_groups (rc=$rc; diff sysfs vs list below)"
		cat "$T/cli.diff" "$T/cli.err" | indent
	fi
	bad=0
	while read -r _ g v _; do
		[ "$v" = viable ] && v=1 || v=0
		[ "$v" = "$(rule_viable "$g")" ] || { bad=$((bad + 1)); diag "list: group $g viable=$v, rule $(rule_viable "$g")"; }
	done <<EOF2
$(grep '^group ' "$T/cli.list")
EOF2
	check "vfiogroup list: $(grep -c '^group ' "$T/cli.list") groups (sysfs $NGROUPS_SYS), each viable exactly by the driver_managed_dma rule" \
		test "$bad" -eq 0 -a "$(grep -c '^group ' "$T/cli.list")" -eq "$NGROUPS_SYS"
	bad=$(awk '/^    / { b = 0; for (i = 2; i <= NF; i++) { if ($i == "driver") d = $(i + 1); if ($i == "blocks-viability") b = 1 }
		m = (d == "(none)" || d == "vfio-pci" || d == "pci-stub" || d == "pcieport")
		if (m == b) { n++; print "# blocks-viability wrong: " $0 > "/dev/stderr" } } END { print n + 0 }' "$T/cli.list")
	check "vfiogroup list: blocks-viability exactly on devices whose driver blocks" test "$bad" -eq 0
	"$CLI" -j list >"$T/cli.json" 2>"$T/cli.err"
	rc=$?
	json_listing "$T/cli.json" >"$T/json.devs"
	if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/cli.json")" -eq 1 ] && diff "$T/lib.sysfs" "$T/json.devs" >"$T/cli.diff"; then
		ok "vfiogroup -j list: one JSON array, devices, buses, drivers == sysfs"
	else
		notok "vfiogroup -j list == sysfs (rc=$rc)"
		cat "$T/cli.diff" "$T/cli.err" | indent
	fi
	bad=0
	# shellcheck disable=SC2013
	for gv in $(grep -o '"group":[0-9]*,"viable":[a-z]*' "$T/cli.json" | sed 's/"group":\([0-9]*\),"viable":\([a-z]*\)/\1:\2/'); do
		g=${gv%:*} v=${gv#*:}
		[ "$v" = true ] && v=1 || v=0
		[ "$v" = "$(rule_viable "$g")" ] || { bad=$((bad + 1)); diag "-j list: group $g viable=$v"; }
	done
	check "vfiogroup -j list: $(grep -o '"group":' "$T/cli.json" | wc -l) groups, viability == rule" \
		test "$bad" -eq 0 -a "$(grep -o '"group":' "$T/cli.json" | wc -l)" -eq "$NGROUPS_SYS"
	bad=0
	for g in /sys/kernel/iommu_groups/*; do
		g=${g##*/}
		"$CLI" show "$g" >"$T/show.out" 2>&1 || { bad=$((bad + 1)); diag "show $g failed: $(cat "$T/show.out")"; continue; }
		[ "$(cli_listing "$T/show.out")" = "$(grep "^$g " "$T/lib.sysfs")" ] ||
			{ bad=$((bad + 1)); diag "show $g: $(tr '\n' '|' <"$T/show.out")"; }
		"$CLI" -j show "$g" >"$T/show.json" 2>&1
		[ "$(json_listing "$T/show.json")" = "$(grep "^$g " "$T/lib.sysfs")" ] ||
			{ bad=$((bad + 1)); diag "-j show $g: $(cat "$T/show.json")"; }
	done
	check "vfiogroup show N and -j show N == sysfs for each of the $NGROUPS_SYS groups" test "$bad" -eq 0
	bad=0
	while read -r g d _; do
		[ "$("$CLI" show dev "$d" 2>&1 | head -n1 | cut -d' ' -f2)" = "$g" ] || { bad=$((bad + 1)); diag "show dev $d: not group $g"; }
	done <"$T/lib.sysfs"
	check "vfiogroup show dev NAME finds the group of each of the $(wc -l <"$T/lib.sysfs") devices" test "$bad" -eq 0
	"$CLI" show 99999 >"$T/show.out" 2>&1
	rc=$?
	check "vfiogroup show 99999: exit 4, 'no group' (rc=$rc: $(head -n1 "$T/show.out"))" \
		test "$rc" -eq 4 -a -n "$(grep 'no group 99999' "$T/show.out")"
	out=$("$CLI" info 2>&1)
	rc=$?
	diag "vfiogroup info: $out"
	check "vfiogroup info: groups $NGROUPS_SYS, notifier, dropped 0" \
		test "$rc" -eq 0 -a "$(echo "$out" | sed -n 's/.* groups \([0-9]*\) .*/\1/p')" = "$NGROUPS_SYS" \
		-a -n "$(echo "$out" | grep -E ' notifier (bus|iommu-group) .* dropped 0$')"
	# Events never reach a net ns owned by another user ns: no cache.
	if [ -e /proc/self/ns/user ] && unshare -U -r -n true 2>/dev/null; then
		out=$(unshare -U -r -n "$CLI" list 2>&1)
		rc=$?
		check "vfiogroup list in a net ns owned by a new user ns: refused, says why (rc=$rc: $out)" \
			test "$rc" -ne 0 -a -n "$(echo "$out" | grep 'do not reach this network namespace')"
	else
		skip "vfiogroup list in a net ns owned by a new user ns" "no user namespaces (or busybox unshare -U -r -n fails)"
	fi
fi
