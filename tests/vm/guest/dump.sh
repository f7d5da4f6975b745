# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "dump", sourced by run-tests.sh: (a) dump ==
# /sys/kernel/iommu_groups, drivers == sysfs links, the buses followed,
# devviable by the driver_managed_dma rule; info (groups, notifier,
# version, dropped); get --id / --dev, and ENOENT with an extack for what
# does not exist.

if want dump; then
	log "dump"
	"$VG" dump >"$T/dump.out" 2>"$T/dump.err"
	rc=$?
	check "dump succeeds with well-formed replies (rc=$rc)" test "$rc" -eq 0
	grep '^malformed=' "$T/dump.out" | indent
	sed -n 's/^group=\([0-9]*\) viable=[01] seq=[0-9]* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) devviable=[01].*/\1 \2 \3 \4/p' \
		"$T/dump.out" | sort >"$T/dump.devs"
	sysfs_listing >"$T/sysfs.devs"
	if diff "$T/sysfs.devs" "$T/dump.devs" >"$T/dump.diff"; then
		ok "dump == /sys/kernel/iommu_groups: $(wc -l <"$T/sysfs.devs") devices, same groups, drivers == sysfs driver links"
	else
		notok "dump == /sys/kernel/iommu_groups (diff sysfs vs dump below)"
		indent <"$T/dump.diff"
	fi
	# Every bus that holds a group's device here is one the module says,
	# at load, that it follows.
	followed=$(dmesg | sed -n 's/.*vfiogroup: buses followed: //p' | tail -n 1)
	missing=$(cut -d' ' -f3 "$T/sysfs.devs" | sort -u | while read -r _b; do
		case " $followed " in *" $_b "*) ;; *) echo "$_b" ;; esac
	done | tr '\n' ' ')
	check "the module follows every bus with IOMMU group members (followed: ${followed:-?}; not followed: ${missing:-none})" \
		test -n "$followed" -a -z "$missing"
	grep ' ndev=' "$T/dump.out" | sed 's/^group=\([0-9]*\) .* ndev=\([0-9]*\)$/\1 \2/' >"$T/dump.groups"
	ids=$(cut -d' ' -f1 "$T/dump.groups" | tr '\n' ' ')
	sorted=$(cut -d' ' -f1 "$T/dump.groups" | sort -n | tr '\n' ' ')
	check "dump lists $(wc -l <"$T/dump.groups") groups ordered by id ($ids)" \
		test "$ids" = "$sorted" -a "$(wc -l <"$T/dump.groups")" -eq "$NGROUPS_SYS"
	bad=0
	while read -r g nd; do
		[ "$nd" -eq "$(ndevs "$g")" ] || { bad=$((bad + 1)); diag "group $g: ndev=$nd, sysfs $(ndevs "$g")"; }
	done <"$T/dump.groups"
	check "every group's device count == sysfs" test "$bad" -eq 0
	# Readiness and in-use on every group line: ready by the rule (viable,
	# a device registered with VFIO) and by VFIO where /dev/vfio/N exists;
	# nobody holds a group at load, so in-use is 0 from 5.19, absent before.
	bad=0 nready=0
	while read -r l; do
		g=$(vg_field "$l" group) r=$(vg_field "$l" ready) u=$(vg_field "$l" inuse)
		e=$(rule_ready "$g")
		if [ -e "/dev/vfio/$g" ]; then
			[ "$e" = "$(vg_field "$("$VGVFIO" status "$g" 2>/dev/null)" viable)" ] || e="rule $e, VFIO differs"
		else
			[ "$e" = 0 ] || e="rule $e, no /dev/vfio/$g"
		fi
		[ "$r" != 1 ] || nready=$((nready + 1))
		if [ "$r" != "$e" ] || [ "$u" != "$INUSE_IDLE" ]; then
			bad=$((bad + 1))
			diag "group $g: ready=$r inuse=$u, expected ready $e inuse $INUSE_IDLE"
		fi
	done <<EOF
$(grep ' ndev=' "$T/dump.out")
EOF
	check "dump: every group's ready == rule and VFIO ($nready ready), inuse == $INUSE_IDLE on $(uname -r)" test "$bad" -eq 0
	if kver_ge 5 19; then
		bad=0
		while read -r l; do
			g=$(vg_field "$l" group) d=$(vg_field "$l" dev) dv=$(vg_field "$l" devviable)
			e=1
			managed "$(vg_field "$l" driver)" || e=0
			[ "$dv" = "$e" ] || { bad=$((bad + 1)); diag "device $d: devviable=$dv, expected $e"; }
		done <<EOF
$(grep ' dev=' "$T/dump.out")
EOF
		check "devviable == 0 exactly for devices on drivers without driver_managed_dma" test "$bad" -eq 0
	fi

	"$VG" info >"$T/info.out" 2>&1
	rc=$?
	info=$(cat "$T/info.out")
	diag "info: $info"
	check "info succeeds (rc=$rc)" test "$rc" -eq 0
	check "info groups == sysfs groups ($NGROUPS_SYS)" test "$(vg_field "$info" groups)" = "$NGROUPS_SYS"
	# The running kernel's own answer, as /init found it for the host too.
	check "info notifier == ${VG_KERNEL_NOTIFIER:-unknown} on $(uname -r)" \
		test "$(vg_field "$info" notifier)" = "${VG_KERNEL_NOTIFIER:-unknown}"
	check "info version is set" test -n "$(vg_field "$info" version)" -a "$(vg_field "$info" version)" != "?"
	check "info dropped == 0" test "$(vg_field "$info" dropped)" = 0

	first=$(head -n1 "$T/sysfs.devs")
	fg=${first%% *} fd=$(echo "$first" | cut -d' ' -f2)
	if [ -n "$fd" ]; then
		out=$("$VG" get --dev "$fd" 2>&1)
		check "get --dev $fd finds group $fg" test "$(echo "$out" | head -n1 | sed -n 's/^group=\([0-9]*\) .*/\1/p')" = "$fg"
		out=$("$VG" get --id "$fg" 2>&1)
		check "get --id $fg == its dump entry" test "$out" = "$(grep "^group=$fg " "$T/dump.out")"
	fi
	out=$("$VG" get --id 99999 2>&1)
	rc=$?
	diag "get --id 99999: $(echo "$out" | head -n1)"
	check "get --id 99999: ENOENT with an extack message (rc=$rc)" \
		test "$rc" -eq 5 -a "$(vg_field "$out" errno)" = ENOENT -a -n "$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')"
	out=$("$VG" get --dev 0000:ff:1f.7 2>&1)
	rc=$?
	diag "get --dev 0000:ff:1f.7: $(echo "$out" | head -n1)"
	check "get --dev of no device: ENOENT with an extack message (rc=$rc)" \
		test "$rc" -eq 5 -a "$(vg_field "$out" errno)" = ENOENT -a -n "$(echo "$out" | sed -n 's/^errno=[^ ]* extack=//p')"
fi
