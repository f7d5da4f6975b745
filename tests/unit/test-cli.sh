#!/bin/sh
# The vfiogroup tool's contract that holds without the module: usage errors
# exit 1 before touching the kernel, --help/--version exit 0, and a missing
# module is "any other error", exit 1, naming modprobe (vfiogroup(8)).
set -u
: "${top_builddir:=../..}"
tool="$top_builddir/tools/vfiogroup"
[ -x "$tool" ] || { echo "SKIP: no $tool"; exit 77; }
fail=0
expect() {	# expect STATUS ARGS...
	want=$1; shift
	"$tool" "$@" >out.tmp 2>err.tmp
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: vfiogroup $* exited $got, want $want"; cat err.tmp
		fail=1
	fi
}
expect 0 --help
grep -q '^Usage: vfiogroup' out.tmp || { echo "FAIL: --help text"; fail=1; }
expect 0 --version
grep -q '^vfiogroup [0-9]' out.tmp || { echo "FAIL: --version text"; fail=1; }
expect 1
expect 1 frobnicate
expect 1 --bogus list
expect 1 list extra
expect 1 show
expect 1 show 12x
expect 1 show dev
expect 1 wait 5
expect 1 wait --viable
expect 1 wait 5 --viable --timeout -3
expect 1 wait 5 --viable --ready
expect 1 wait --ready
expect 1 wait 5 --ready --device 0000:00:03.0
expect 1 wait --viable --device 0000:00:03.0 5
expect 1 wait --ready --device ''
expect 1 monitor --group nope
expect 1 monitor --device ''
expect 1 monitor --device "$(printf '%064d' 0)"
expect 1 monitor --state viabel
expect 1 monitor --count 0
expect 1 monitor --count x
expect 1 monitor --timeout -1
expect 1 monitor --timeout
expect 1 monitor --driver ''
expect 1 monitor --snapshot extra
expect 1 monitor -x
expect 1 --json=long list
expect 1 --color=sometimes monitor
expect 1 -j=pretty list
grep -q "unknown option '-='" err.tmp || { echo "FAIL: -j=pretty message"; fail=1; }
expect 0 help
for opt in --group --device --driver --state --snapshot --timestamp --count \
	--timeout --json --color NO_COLOR 'Exit status'; do
	"$tool" --help | grep -q -- "$opt" ||
		{ echo "FAIL: --help does not mention $opt"; fail=1; }
done
if [ ! -e /sys/module/vfiogroup ] && [ -z "${CI_HAS_VFIOGROUP:-}" ]; then
	for cmd in list "show 1" info "wait 1 --viable --timeout 1" \
		"wait --ready --device 0000:00:03.0 --timeout 1" monitor \
		"monitor --snapshot --count 1 --timeout 1"; do
		# shellcheck disable=SC2086
		expect 1 $cmd
		grep -q 'modprobe vfiogroup' err.tmp ||
			{ echo "FAIL: $cmd: no modprobe hint"; fail=1; }
	done
fi
rm -f out.tmp err.tmp
[ $fail = 0 ] && echo "PASS: vfiogroup tool exit statuses"
exit $fail
