# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "kunit", sourced by run-tests.sh: loads vfiogroup_kunit.ko (built
# beside the module when the kernel has CONFIG_KUNIT), turns the KTAP the
# suite leaves in debugfs into one TAP line per case, and unloads it.
#
# The KUnit module carries its own copy of the lifecycle core (group.c and
# friends, compiled in), so it runs beside the loaded vfiogroup without
# touching it.  Its two suites: vfiogroup-lifecycle, on root devices on no
# bus, and vfiogroup-buses, on a bus of its own that the loaded module does
# not follow (it is on no IOMMU core list).

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

# kunit_suite NAME: one TAP line per case of suite NAME, its verdict, and a
# floor on its number of cases, so that a KTAP format change cannot pass by
# matching nothing; adds its cases to $ncases.
kunit_suite() {
	_res=/sys/kernel/debug/kunit/$1/results
	if [ ! -r "$_res" ]; then
		notok "kunit: no results in $_res"
		dmesg | grep -i kunit | tail -n 20 | indent
		return
	fi
	kunit_results "$_res" >"$T/kunit.cases"
	_n=$(wc -l <"$T/kunit.cases")
	while read -r _st _name; do
		case $_st in
		ok) ok "kunit: $1: $_name" ;;
		*) notok "kunit: $1: $_name"; sed 's/^/#   /' "$_res" ;;
		esac
	done <"$T/kunit.cases"
	check "kunit: suite $1 ok, $_n cases" \
		grep -q "^ok [0-9]* \(- \)\{0,1\}$1" "$_res"
	[ "$_n" -ge 6 ] || indent <"$_res"
	check "kunit: $1: at least 6 cases parsed ($_n)" test "$_n" -ge 6
	grep '^[[:space:]]*# .*raced' "$_res" | indent
	ncases=$((ncases + _n))
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
		ncases=0
		for _suite in vfiogroup-lifecycle vfiogroup-buses; do
			kunit_suite "$_suite"
		done
		diag "kunit-cases=$ncases"
		out=$(rmmod vfiogroup_kunit 2>&1)
		check "kunit: rmmod vfiogroup_kunit ($out)" test ! -d /sys/module/vfiogroup_kunit
	fi
fi
