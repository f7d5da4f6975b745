#!/bin/sh
# "vfiogroup metrics" without the module (the build host has none): a
# page all the same, every family announced, vfiogroup_up 0, exit 1;
# an extra argument is a usage error (exit 1) before any page.  Kept
# apart from test-cli.sh, which follows the rest of the tool.
set -u
: "${top_builddir:=../..}"
tool="$top_builddir/tools/vfiogroup"
[ -x "$tool" ] || { echo "SKIP: no $tool"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
if [ -d /sys/module/vfiogroup ]; then
	echo "SKIP: the vfiogroup module is loaded here: no page without it to check"
	exit 77
fi
"$tool" metrics >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] || { echo "FAIL: vfiogroup metrics without the module exited $rc, want 1"; cat "$tmp/err"; fail=1; }
grep -qx 'vfiogroup_up 0' "$tmp/out" || { echo "FAIL: no 'vfiogroup_up 0'"; fail=1; }
for m in vfiogroup_up vfiogroup_groups vfiogroup_devices vfiogroup_group_devices \
	vfiogroup_group_viable vfiogroup_group_ready; do
	grep -qx "# TYPE $m gauge" "$tmp/out" || { echo "FAIL: no TYPE line for $m"; fail=1; }
	grep -q "^# HELP $m " "$tmp/out" || { echo "FAIL: no HELP line for $m"; fail=1; }
done
! grep -q 'vfiogroup_events_total' "$tmp/out" || { echo "FAIL: a one-shot page with event counters"; fail=1; }
grep -q 'modprobe vfiogroup' "$tmp/err" || { echo "FAIL: no word on the missing module"; fail=1; }
"$tool" metrics extra >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" != 1 ] || [ -s "$tmp/out" ]; then
	echo "FAIL: vfiogroup metrics extra: rc=$rc, want 1 and no page"
	fail=1
fi
exit $fail
