#!/bin/sh
# Run the unit test programs under valgrind (memcheck; with --helgrind the
# threaded suites under helgrind too).  From the build's tests/unit:
#   make check-valgrind        or   ../../tests/unit/valgrind.sh [--helgrind]
# check's fork mode is turned off so that valgrind sees the tests run.
set -u
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
tests="test-decode test-cache test-filter test-sync test-subscribe test-transport test-print"
fail=0
# test-subscribe's cover churn: fewer rounds, helgrind serialises threads
VG_COVER_TOGGLES=${VG_COVER_TOGGLES:-10}
export VG_COVER_TOGGLES
for t in $tests; do
	CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--show-leak-kinds=definite,indirect "./$t" > "$t.valgrind.log" 2>&1
	rc=$?
	echo "$t: memcheck rc=$rc"
	[ $rc = 0 ] || { fail=1; tail -30 "$t.valgrind.log"; }
done
if [ "${1:-}" = --helgrind ]; then
	for t in test-sync test-subscribe; do
		CK_FORK=no valgrind -q --tool=helgrind "./$t" > "$t.helgrind.log" 2>&1
		# the suites re-lock an error-checking mutex on purpose (EDEADLK)
		n=$(grep -E -c 'Possible data race|lock order' "$t.helgrind.log")
		echo "$t: helgrind races/lock-order reports: $n"
		[ "$n" = 0 ] || fail=1
	done
fi
exit $fail
