#!/bin/bash
# The whole test suite, as CI runs it: dependencies, build, unit tests,
# protocol spec, kernel style gates, the debug kernels' config, the VM suite
# on real kernels, the short performance bench, distcheck.
#
#   tests/run-all.sh                 # everything
#   KERNELS="6.1 debug" tests/run-all.sh
#   VG_PACKAGING=0 tests/run-all.sh  # skip building, installing and purging
#                                    # the .deb packages on this machine
#
# Builds out of tree in $VG_BUILDDIR (default: build/ in the source tree).
# Ends with one line "N passed, N failed, N skipped" counting unit tests,
# VM tests and gates (skipped: unit programs that exited 77, the guests'
# SKIP lines, kernels and packaging steps not run); exits non-zero when
# anything failed.  A skip is never counted as passed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${VG_BUILDDIR:-$top/build}
# The debug kernels first: they take longest (KASAN, fault injection,
# stress), and two guests boot at once (VG_JOBS).  "iommufd" (6.12 with
# IOMMUFD and VFIO cdevs, which no Debian kernel has) runs the sections the
# cdev path changes.
kernels=${KERNELS:-debug debug-5.10 5.10 6.1 6.12 7 iommufd}

# A tree configured in place (README's "build by hand") cannot host the
# out-of-tree builds this runs (the suite's, the sanitizers', distcheck):
# run on a copy of its sources instead, git's tracked and untracked files
# without the ignored ones, so the build products stay out.  The shared
# debug kernels are still found beside the original tree.
if [ -f "$top/config.status" ] && [ -z "${VG_RUNALL_COPY_OF:-}" ]; then
	copy=$build/source-copy
	echo "run-all: $top is configured in place; running on a copy of its sources in $copy (build: $build/copy-build)"
	if ! "$top/tests/source-copy.sh" "$top" "$copy"; then
		echo "0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	# The copy would look for ../shared beside itself: hand it the
	# directories debug-kernels.sh finds from here.
	# shellcheck source=vm/debug-kernels.sh source-path=SCRIPTDIR
	. "$top/tests/vm/debug-kernels.sh"
	VG_RUNALL_COPY_OF=$top VG_BUILDDIR=$build/copy-build \
		VG_DEBUG_KERNELS_DIR=$(IFS=:; echo "${debug_dirs[*]}") \
		exec "$copy/tests/run-all.sh" "$@"
fi
log_dir=$build/test-logs
passed=0
failed=0
skipped=0
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
	local p f s
	p=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^\([0-9]\+\) passed, \([0-9]\+\) failed.*/\2/p' "$1" | tail -n 1)
	s=$(sed -n 's/^[0-9]\+ passed, [0-9]\+ failed, \([0-9]\+\) skipped$/\1/p' "$1" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
}

configure_build() {
	# Out-of-tree builds (this one, the sanitizer builds, distcheck) cannot
	# share a source tree configured in place.
	if [ -f "$top/config.status" ]; then
		echo "run-all: $top is configured in place (config.status): run 'make distclean' there first, or use a fresh clone" >&2
		return 1
	fi
	local before=''
	[ ! -x "$build/config.status" ] || before=$("$build/config.status" --config)
	(cd "$top" && ./autogen.sh) &&
	mkdir -p "$build" &&
	(cd "$build" && "$top/configure" --enable-werror) || return 1
	# make does not rebuild objects for new flags: a build directory
	# configured before with other options (the demo's, without -Werror)
	# starts over, or the build would not be held to -Werror.
	if [ -n "$before" ] && [ "$before" != "$("$build/config.status" --config)" ]; then
		echo "run-all: $build was configured with [$before] before: make clean"
		make -C "$build" clean >/dev/null
	fi
}

unit_tests() {
	make -C "$build" -j"$(nproc)" check
	local rc=$? counts up uf us
	counts=$(awk '/^# PASS:/ { p += $3 } /^# (FAIL|ERROR|XPASS):/ { f += $3 }
		/^# SKIP:/ { s += $3 } END { print p + 0, f + 0, s + 0 }' \
		"$build/tests/unit/test-suite.log")
	read -r up uf us <<<"$counts"
	passed=$((passed + up))
	failed=$((failed + uf))
	skipped=$((skipped + us))
	echo "unit: $up test programs passed, $uf failed, $us skipped"
	return $rc
}

# check cases run, summed from the "Checks: N" lines of the given logs
check_cases() {
	cat "$@" 2>/dev/null | sed -n 's/.*Checks: \([0-9]*\),.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }'
}

# The unit programs under valgrind: memcheck for all, helgrind for the
# threaded ones (tests/unit/valgrind.sh; a missing valgrind fails too).
unit_valgrind() {
	make -C "$build/tests/unit" -s check-valgrind 2>&1 |
		tee "$log_dir/valgrind.log"
	local rc=${PIPESTATUS[0]}
	echo "valgrind: $(check_cases "$build"/tests/unit/*.valgrind.log) check" \
		"cases under memcheck, $(check_cases "$build"/tests/unit/*.helgrind.log)" \
		"under helgrind, rc=$rc"
	return "$rc"
}

# san_unit NAME FLAGS: the userspace build with FLAGS in $build/sanitize-NAME
# (configured there, --disable-kmod), then its make check.  Any sanitizer
# report fails it, even one an exit status would hide.
san_unit() {
	local name=$1 flags=$2 dir=$build/sanitize-$1 rc found f
	if ! { mkdir -p "$dir" &&
		(cd "$dir" && "$top/configure" -q --enable-werror --disable-kmod \
			CFLAGS="-O1 -g $flags" LDFLAGS="$flags") &&
		make -C "$dir" -s -j"$(nproc)"; } >"$log_dir/$name.log" 2>&1; then
		tail -n 40 "$log_dir/$name.log"
		return 1
	fi
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		make -C "$dir" -s -j"$(nproc)" check >>"$log_dir/$name.log" 2>&1
	rc=$?
	found=$(grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|ThreadSanitizer' \
		"$dir"/tests/unit/*.log 2>/dev/null)
	grep -E '^(PASS|FAIL|ERROR|XPASS):' "$log_dir/$name.log"
	echo "$name: $(check_cases "$dir"/tests/unit/test-*.log) check cases, rc=$rc"
	if [ -n "$found" ]; then
		echo "$name: sanitizer reports in: $(echo "$found" | tr '\n' ' ')"
		rc=1
	fi
	if [ "$rc" -ne 0 ]; then
		while read -r f; do
			[ -n "$f" ] || continue
			echo "--- $f"
			tail -n 60 "$f"
		done <<<"$found
$dir/tests/unit/test-suite.log"
	fi
	return "$rc"
}

# The decoder's libFuzzer target for VG_FUZZ_SECONDS (60); crashes are kept
# in $build/fuzz.
fuzz_decoder() {
	local secs=${VG_FUZZ_SECONDS:-60} rc execs
	mkdir -p "$build/fuzz" &&
		(cd "$build/fuzz" && FUZZ_OUT="$build/fuzz" \
			"$top/tests/fuzz/run.sh" "$secs") >"$log_dir/fuzz.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log_dir/fuzz.log" | tail -n 1)
	echo "fuzz: ${execs:-no} executions in $secs s" \
		"($(sed -n 's/^stat::peak_rss_mb: *//p' "$log_dir/fuzz.log" | tail -n 1) MB" \
		"peak, corpus $(find "$build/fuzz/corpus" -type f | wc -l) inputs), rc=$rc"
	if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
		tail -n 60 "$log_dir/fuzz.log"
		return 1
	fi
}

packaging() {
	"$top/tests/packaging/run.sh" 2>&1 | tee "$log_dir/packaging.log"
	local rc=${PIPESTATUS[0]}
	count_from "$log_dir/packaging.log"
	return "$rc"
}

# The debug kernels' config fragment must survive Kconfig on 6.1 (what
# tests/vm/build-debug-kernel.sh checks before its 40-minute build): 25-65 s
# with linux-source-6.1 cached in /var/cache/vfiogroup/debug-kernels.
debug_kernel_config() {
	"$top/tests/vm/build-debug-kernel.sh" --config-only 6.1
}

# The iommufd kernel is built here when no package of it is cached or
# shared (tests/vm/build-debug-kernel.sh iommufd; see tests/vm/README.md
# for the time it takes).
iommufd_kernel() {
	# shellcheck source=vm/debug-kernels.sh source-path=SCRIPTDIR
	. "$top/tests/vm/debug-kernels.sh"
	if f=$(bench_image iommufd); then
		echo "iommufd kernel: $f"
		return 0
	fi
	"$top/tests/vm/build-debug-kernel.sh" iommufd
}

# The Go package (bindings/go/test.sh: gofmt, vet, tests, offline with
# Debian's Go and packaged modules).  Its "skipped" (77: no toolchain) is
# a failure here: install-deps.sh installs the toolchain.
go_package() {
	"$top/bindings/go/test.sh"
	local rc=$?
	[ "$rc" -ne 77 ] || echo "bindings/go/test.sh skipped (77): counted as a failure"
	return "$rc"
}

# The Rust crates (bindings/rust/test.sh: build, cargo test, clippy,
# offline with Debian's rustc and librust-libc-dev), linked with this
# build's libvfiogroup.  77 (no toolchain) is a failure here, as for Go.
rust_crate() {
	"$top/bindings/rust/test.sh" "$build"
	local rc=$?
	[ "$rc" -ne 77 ] || echo "bindings/rust/test.sh skipped (77): counted as a failure"
	return "$rc"
}

vm_suite() {
	make -C "$build" check-vm KERNELS="$kernels" \
		CHECK_VM_FLAGS="--jobs ${VG_JOBS:-2}" 2>&1 | tee "$log_dir/vm.log"
	local rc=${PIPESTATUS[0]} nskip
	count_from "$log_dir/vm.log"
	# A kernel of the default run that could not run fails the run: only
	# a user who asked for fewer kernels (KERNELS=...) gets a green one.
	nskip=$(sed -n 's/^WARNING: \([0-9]*\) kernel(s) SKIPPED.*/\1/p' "$log_dir/vm.log" | tail -n 1)
	if [ -n "$nskip" ] && [ -z "${KERNELS:-}" ]; then
		echo "run-all: $nskip kernel(s) of the default run SKIPPED: a failure here (build them as said above, or ask for fewer with KERNELS=...)"
		[ "$rc" -ne 0 ] || rc=1
	fi
	return "$rc"
}

# The short performance bench (docs/performance.md), one guest boot of
# each kind on 6.1, 2-4 minutes: it fails only when a job could not run, a
# listening path missed an event or a cache differed from sysfs; its
# figures are printed (bench/table.txt), never judged.
bench_short() {
	make -C "$build" bench BENCH_SHORT=1 BENCH_KERNELS=6.1 2>&1 | tee "$log_dir/bench.log"
	return "${PIPESTATUS[0]}"
}

# The closing lines, also when a first gate stops the run.
summary() {
	say "summary ($((SECONDS - start)) s)"
	for f in "${failures[@]}"; do
		echo "FAILED: $f"
	done
	[ ! -f "$log_dir/vm.log" ] || grep '^bindings (Go, Rust) in the guests' "$log_dir/vm.log" || true
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

start=$SECONDS
# The package test hides a hand install from itself; say so at the start.
if [ "${VG_PACKAGING:-1}" = 1 ] && ! "$top/tests/packaging/hand-install.sh" --list >/dev/null; then
	echo "note: vfiogroup is installed by hand here (tests/packaging/hand-install.sh"
	echo "lists it); the package test runs with it hidden in a mount namespace of its own"
fi
gate "dependencies" "$top/tests/install-deps.sh" || { summary; exit 1; }
gate "configure" configure_build || { summary; exit 1; }
mkdir -p "$log_dir"
if gate "build" make -C "$build" -j"$(nproc)"; then
	gate "unit tests (make check)" unit_tests
	gate "unit tests under valgrind (memcheck, helgrind)" unit_valgrind
	gate "unit tests under ASan+UBSan" san_unit asan \
		"-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
	gate "unit tests under TSan" san_unit tsan "-fsanitize=thread"
	gate "libFuzzer: the decoder" fuzz_decoder
	gate "Go package (bindings/go): gofmt, vet, tests" go_package
	gate "Rust crate (bindings/rust): build, tests" rust_crate
	gate "kmod: W=1 + sparse, no warnings" \
		"$top/tests/style/kmod-warnings.sh" "$build"
	gate "kmod: arm64 cross build, every bus compiled" \
		"$top/tests/style/cross-arm64.sh" "$build"
	case " $kernels " in
	*" iommufd "*) gate "iommufd kernel: cached, or built from linux-source-6.12" iommufd_kernel ;;
	esac
	# The README's first command, so that it can never break unnoticed.
	gate "the demo (tests/vm/demo.sh)" "$top/tests/vm/demo.sh" --builddir "$build"
	gate "VM suite on: $kernels" vm_suite
	gate "performance bench, short (make bench BENCH_SHORT=1, 6.1)" bench_short
fi
gate "netlink spec: the kernel's ynl-gen-c in every mode, UAPI header generated" \
	"$top/tests/spec/ynl.sh" check
gate "checkpatch --strict" "$top/tests/style/checkpatch.sh"
gate "debug kernel 6.1: config fragment kept by Kconfig" debug_kernel_config
gate "shellcheck" shellcheck -x "$top"/tests/*.sh "$top"/tests/vm/*.sh \
	"$top"/tests/vm/ynl/*.sh "$top"/tests/style/*.sh "$top"/tests/spec/*.sh \
	"$top"/tests/vm/guest/*.sh "$top"/tests/vm/demo/*.sh "$top"/tests/bench/*.sh \
	"$top"/tests/packaging/hand-install.sh "$top"/tests/packaging/test-hand-install.sh \
	"$top"/tests/packaging/hide-hand-install.sh "$top"/completion/vfiogroup.bash \
	"$top"/bindings/go/*.sh "$top"/bindings/rust/*.sh \
	"$top/.ci/run"
gate "make distcheck" make -C "$build" distcheck
if [ "${VG_PACKAGING:-1}" = 1 ]; then
	gate "packages: build, lint, install, VM, purge" packaging
else
	echo "VG_PACKAGING=0: packaging tests skipped (counted as 1 skipped)"
	skipped=$((skipped + 1))
fi

summary
