#!/bin/sh
# vfiogroup-hooks' contract that holds without the module: usage errors
# exit 1 before anything runs, --help/--version exit 0; with no module it
# waits for one, after one run of the hooks with VFIOGROUP_EVENT=resync in
# which a failing hook and one killed at its --hook-timeout (both logged
# with their priority) do not stop the next; SIGTERM then exits 0.
# --dry-run logs the three hooks and their variables and runs none.
set -u
: "${top_builddir:=../..}"
daemon="$top_builddir/tools/vfiogroup-hooks"
[ -x "$daemon" ] || { echo "SKIP: no $daemon"; exit 77; }
tmp=$(mktemp -d) || exit 1
pid=
trap '[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
expect() {	# expect STATUS ARGS...
	want=$1; shift
	"$daemon" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: vfiogroup-hooks $* exited $got, want $want"; cat "$tmp/err"
		fail=1
	fi
}
mkdir "$tmp/h"
expect 0 --help
grep -q '^Usage: vfiogroup-hooks' "$tmp/out" || { echo "FAIL: --help text"; fail=1; }
expect 0 --version
grep -q '^vfiogroup-hooks [0-9]' "$tmp/out" || { echo "FAIL: --version text"; fail=1; }
expect 1 --bogus
expect 1 -d "$tmp/nonexistent"
expect 1 -d "$tmp/h/nonexistent"
grep -q "hooks directory '$tmp/h/nonexistent' is not a directory" "$tmp/err" || { echo "FAIL: missing hooks dir message"; fail=1; }
expect 1 -d "$tmp/h" --hook-timeout abc
expect 1 -d "$tmp/h" --hook-timeout -1
expect 1 -d "$tmp/h" --hook-timeout ''
expect 1 -d "$tmp/h" --textfile "$tmp/nonexistent"
expect 1 -d "$tmp/h" extra

# shellcheck disable=SC2016 # the hooks expand VFIOGROUP_EVENT, not this script
{
	printf '#!/bin/sh\necho "10 $VFIOGROUP_EVENT" >>"%s"\nexit 1\n' "$tmp/log" >"$tmp/h/10-fails"
	printf '#!/bin/sh\necho "20 $VFIOGROUP_EVENT" >>"%s"\nsleep 30\n' "$tmp/log" >"$tmp/h/20-hangs"
	printf '#!/bin/sh\necho "30 $VFIOGROUP_EVENT" >>"%s"\n' "$tmp/log" >"$tmp/h/30-runs"
}
printf '#!/bin/sh\necho "README ran" >>"%s"\n' "$tmp/log" >"$tmp/h/README"
chmod 755 "$tmp/h/10-fails" "$tmp/h/20-hangs" "$tmp/h/30-runs" "$tmp/h/README"
mkdir "$tmp/tf"
"$daemon" -d "$tmp/h" --hook-timeout 0.5 --textfile "$tmp/tf" -v >"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
i=0
while [ "$i" -lt 100 ] && ! grep -q '^30 ' "$tmp/log" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
if ! kill -0 "$pid" 2>/dev/null; then
	wait "$pid"
	rc=$?
	pid=
	# no netlink socket at all (a sandbox): nothing to say about the loop
	if [ "$rc" = 4 ]; then echo "SKIP: vfiogroup-hooks cannot open netlink here:"; cat "$tmp/err"; exit 77; fi
	echo "FAIL: vfiogroup-hooks exited $rc before its hooks ran"; cat "$tmp/err"; exit 1
fi
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || { echo "FAIL: SIGTERM: exit status $rc, want 0"; fail=1; }
[ "$(cat "$tmp/log")" = "10 resync
20 resync
30 resync" ] || { echo "FAIL: hooks log:"; cat "$tmp/log"; fail=1; }
grep -q '^<4>vfiogroup-hooks: .*/10-fails: resync seq [0-9]*: exit status 1$' "$tmp/err" ||
	{ echo "FAIL: the failing hook is not logged at warning"; fail=1; }
grep -q '^<3>vfiogroup-hooks: .*/20-hangs: resync seq [0-9]*: timed out after 0.5 s, killed' "$tmp/err" ||
	{ echo "FAIL: the timeout is not logged at error"; fail=1; }
grep -q '^<6>vfiogroup-hooks: .*/30-runs: resync seq [0-9]*: ok' "$tmp/err" ||
	{ echo "FAIL: the hook after them is not logged as ok"; fail=1; }
grep -q '^vfiogroup_hook_runs_total{result="timeout"} 1$' "$tmp/tf/vfiogroup.prom" ||
	{ echo "FAIL: textfile without the timed-out run"; cat "$tmp/tf/vfiogroup.prom"; fail=1; }
# the textfile is written after each hook run: the last one, stopped by
# SIGTERM while it ran, is in it too
grep -q '^vfiogroup_hook_runs_total{result="ok"} 1$' "$tmp/tf/vfiogroup.prom" ||
	{ echo "FAIL: textfile without the last run before the stop"; cat "$tmp/tf/vfiogroup.prom"; fail=1; }
[ "$fail" = 0 ] || { echo "daemon's log:"; cat "$tmp/err"; }

# --dry-run: the hooks and their variables logged, none run
rm -f "$tmp/log"
"$daemon" -d "$tmp/h" --dry-run >"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
i=0
while [ "$i" -lt 100 ] && ! grep -q '30-runs with:' "$tmp/err" && kill -0 "$pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || { echo "FAIL: --dry-run: SIGTERM: exit status $rc"; fail=1; }
[ ! -e "$tmp/log" ] || { echo "FAIL: --dry-run ran hooks:"; cat "$tmp/log"; fail=1; }
if [ "$(grep -c '^<5>vfiogroup-hooks: dry run: .*/[0-9]*-[a-z]* with:$' "$tmp/err")" != 3 ] ||
	! grep -q '^<5>vfiogroup-hooks:   VFIOGROUP_EVENT=resync$' "$tmp/err"; then
	echo "FAIL: --dry-run log:"; cat "$tmp/err"; fail=1
fi
exit $fail
