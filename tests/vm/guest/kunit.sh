# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "kunit", sourced by run-tests.sh: loads vfiogroup_kunit.ko (built
# beside the module when the kernel has CONFIG_KUNIT), turns the KTAP the
# suite leaves in debugfs into one TAP line per case, and unloads it.
#
# The KUnit module carries its own copy of the lifecycle core (group.c and
# friends, compiled in), so it runs beside the loaded vfiogroup without
# touching it; its test devices are root devices on no bus, which the
# module's bus notifiers never see.

kunit_ko() {
	for _k in /payload/vfiogroup_kunit.ko "$HERE/vfiogroup_kunit.ko"; do
		[ -f "$_k" ] && { echo "$_k"; return 0; }
	done
	return 1
}

# kunit_results FILE: "ok NAME" / "not ok NAME" per case, from KTAP v1
# (6.x: subtests indented, "# Subtest:" header) or the 5.10 format (the
# same, with 4 spaces); the suite's own line is not indented.
kunit_results() {
	sed -n 's/^[[:space:]]\{1,\}\(not ok\|ok\) [0-9]* \(- \)\{0,1\}\([^ #]*\).*/\1 \3/p' "$1"
}

if want kunit; then
	log "kunit"
	if ! KUNIT_KO=$(kunit_ko); then
		if [ -d /sys/kernel/debug/kunit ]; then
			notok "kunit: this kernel has KUnit but no vfiogroup_kunit.ko reached the guest"
		else
			skip "kunit: lifecycle suite" "kernel without CONFIG_KUNIT"
		fi
	else
		out=$(insmod "$KUNIT_KO" 2>&1)
		rc=$?
		check "kunit: insmod $KUNIT_KO (rc=$rc $out)" test "$rc" -eq 0
		res=/sys/kernel/debug/kunit/vfiogroup-lifecycle/results
		if [ -r "$res" ]; then
			kunit_results "$res" >"$T/kunit.cases"
			ncases=$(wc -l <"$T/kunit.cases")
			while read -r _st _name; do
				case $_st in
				ok) ok "kunit: $_name" ;;
				*) notok "kunit: $_name"; sed 's/^/#   /' "$res" ;;
				esac
			done <"$T/kunit.cases"
			# The suite's verdict, and a floor on the number of cases so
			# that a KTAP format change cannot pass by matching nothing.
			check "kunit: suite vfiogroup-lifecycle ok, $ncases cases" \
				grep -q '^ok [0-9]* \(- \)\{0,1\}vfiogroup-lifecycle' "$res"
			[ "$ncases" -ge 6 ] || indent <"$res"
			check "kunit: at least 6 cases parsed ($ncases)" test "$ncases" -ge 6
			diag "kunit-cases=$ncases"
			grep '^[[:space:]]*# .*raced' "$res" | indent
		else
			notok "kunit: no results in $res"
			dmesg | grep -i kunit | tail -n 20 | indent
		fi
		out=$(rmmod vfiogroup_kunit 2>&1)
		check "kunit: rmmod vfiogroup_kunit ($out)" test ! -d /sys/module/vfiogroup_kunit
	fi
fi
