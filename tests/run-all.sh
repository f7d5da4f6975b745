#!/bin/bash
# The whole test suite, as CI runs it: dependencies, build, unit tests,
# protocol spec, kernel style gates, the VM suite on real kernels, distcheck.
#
#   tests/run-all.sh                 # everything
#   KERNELS="6.1 debug" tests/run-all.sh
#   VG_PACKAGING=0 tests/run-all.sh  # skip building, installing and purging
#                                    # the .deb packages on this machine
#
# Builds out of tree in $VG_BUILDDIR (default: build/ in the source tree).
# Ends with one line "N passed, N failed" counting unit tests, VM tests and
# gates; exits non-zero when anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VG_BUILDDIR:-$top/build}
kernels=${KERNELS:-5.10 6.1 6.12 7}
log_dir=$build/test-logs
passed=0
failed=0
failures=()

say() { printf '\n=== %s\n' "$*"; }

# gate NAME CMD...: one pass/fail line per gate, full output kept on failure.
gate() {
	local name=$1 t0=$SECONDS rc
	shift
	say "$name"
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "--- $name: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- $name: FAILED, rc=$rc ($((SECONDS - t0)) s)"
	fi
	return $rc
}

# Adds a runner's own "X passed, Y failed" (or automake's PASS/FAIL) counts.
count_from() {
	local p f
	p=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\2/p' "$1" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
}

configure_build() {
	(cd "$top" && ./autogen.sh) &&
	mkdir -p "$build" &&
	(cd "$build" && "$top/configure" --enable-werror)
}

unit_tests() {
	make -C "$build" -j"$(nproc)" check
	local rc=$? counts
	counts=$(awk '/^# PASS:/ { p += $3 } /^# (FAIL|ERROR|XPASS):/ { f += $3 }
		END { print p + 0, f + 0 }' "$build/tests/unit/test-suite.log")
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
	echo "unit: ${counts% *} test programs passed, ${counts#* } failed"
	return $rc
}

packaging() {
	"$top/tests/packaging/run.sh" 2>&1 | tee "$log_dir/packaging.log"
	local rc=${PIPESTATUS[0]}
	count_from "$log_dir/packaging.log"
	return "$rc"
}

vm_suite() {
	make -C "$build" check-vm KERNELS="$kernels" 2>&1 | tee "$log_dir/vm.log"
	local rc=${PIPESTATUS[0]}
	count_from "$log_dir/vm.log"
	return "$rc"
}

start=$SECONDS
gate "dependencies" "$top/tests/install-deps.sh" || exit 1
gate "configure" configure_build || exit 1
mkdir -p "$log_dir"
if gate "build" make -C "$build" -j"$(nproc)"; then
	gate "unit tests (make check)" unit_tests
	gate "kmod: W=1 + sparse, no warnings" \
		"$top/tests/style/kmod-warnings.sh" "$build"
	gate "VM suite on: $kernels" vm_suite
fi
gate "netlink spec equals the UAPI header" \
	python3 "$top/tests/spec/check-spec.py"
gate "checkpatch --strict" "$top/tests/style/checkpatch.sh"
gate "shellcheck" shellcheck "$top"/tests/*.sh "$top"/tests/vm/*.sh \
	"$top"/tests/style/*.sh "$top/.ci/run"
gate "make distcheck" make -C "$build" distcheck
if [ "${VG_PACKAGING:-1}" = 1 ]; then
	gate "packages: build, lint, install, VM, purge" packaging
else
	echo "VG_PACKAGING=0: packaging tests skipped"
fi

say "summary ($((SECONDS - start)) s)"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
