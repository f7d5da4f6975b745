#!/bin/bash
# run-suite.sh [options]: the VM test suite, one guest boot per kernel.
#
#   --builddir DIR   top build directory (default: the current directory if it
#                    holds config.status or kmod/vfiogroup.ko, else the source
#                    tree); module: DIR/kmod/vfiogroup.ko; compiled guest
#                    programs: DIR/tests/vm/guest; libraries: DIR/libvfiogroup
#   --srcdir DIR     source tree (default: two levels above this script);
#                    guest scripts: DIR/tests/vm/guest
#   --kernels LIST   kernel specs for fetch-kernel.sh (default "6.1", or
#                    $VG_KERNELS): 6.1 5.10 6.12 7 (sid's 7.x) sid debug
#                    debug-5.10 iommufd X.deb; a debug or iommufd kernel
#                    whose package is missing is skipped with a loud
#                    warning (not passed)
#   --test NAME      run only test NAME (vg.test=NAME; commas, shell patterns)
#   --jobs N         run up to N guests at once (default 1, or $VG_JOBS);
#                    fetching, building and initramfs stay one at a time,
#                    and a guest boots only once the last one reached
#                    userspace
#   --timeout S      per kernel: qemu is killed after S s (default 900, 4000
#                    on KASAN kernels: the debug kernels are 4-5 times slower)
#   --module KO      module(s) under test instead of the build's (repeatable;
#                    per kernel the one whose vermagic matches is used;
#                    "none": boot without one)
#   --payload DIR    more guest payload (repeatable)
#   --append ARGS    more kernel command line
#   --outdir DIR     logs (default BUILDDIR/tests/vm/out): per kernel
#                    KVER/console.log, KVER/results.tap, KVER/initrd.gz
#   --live           show the guest console while it runs
#
# Environment: VG_QEMU_EXTRA_DEVICES (more qemu arguments for every guest,
# boot.sh), VG_MEM (guest memory in MB), VG_USERSPACE_WITHIN (seconds a
# guest may take to reach its /init before it counts as stalled and is
# booted once more; default 120, 300 on KASAN kernels).
#
# Prints a summary per kernel and, last, exactly "N passed, N failed, N
# skipped" (skipped: the guests' SKIP lines plus each kernel not run).
# Exit status 0 only when every kernel booted, finished (marker), had no
# failed test and a clean console.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=debug-kernels.sh source-path=SCRIPTDIR
. "$here/debug-kernels.sh"
srcdir=$(cd "$here/../.." && pwd)
builddir='' kernels=${VG_KERNELS:-6.1} jobs=${VG_JOBS:-1} test='' timeout='' outdir='' append='' live=()
modules=() payloads=()
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--test) test=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--module) modules+=("$2"); shift 2 ;;
	--payload) payloads+=("$2"); shift 2 ;;
	--append) append=$2; shift 2 ;;
	--outdir) outdir=$2; shift 2 ;;
	--live) live=(--live); shift ;;
	-h|--help) usage ;;
	*) echo "run-suite: unknown argument $1" >&2; usage ;;
	esac
done
case $jobs in ''|*[!0-9]*|0) echo "run-suite: --jobs wants a positive number, not '$jobs'" >&2; exit 2 ;; esac
[ ${#live[@]} -eq 0 ] || jobs=1	# one console on the terminal
if [ -z "$builddir" ]; then
	if [ -e config.status ] || [ -e kmod/vfiogroup.ko ]; then builddir=$PWD; else builddir=$srcdir; fi
fi
[ -d "$builddir" ] || { echo "run-suite: no build directory $builddir" >&2; exit 2; }
builddir=$(cd "$builddir" && pwd)
outdir=${outdir:-$builddir/tests/vm/out}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

say() { echo "run-suite: $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
vermagic_of() { modinfo -F vermagic "$1" 2>/dev/null | sed 's/ *$//'; }

# build_module_for KVER KDIR: print the path of a vfiogroup.ko built for
# KVER, or fail.  The top-level build makes $builddir/kmod/vfiogroup.ko for
# the host's headers (6.1); every other kernel gets one from build-module.sh
# (the project's configure + make -C kmod, W=1, -Werror, no warning allowed;
# on the host for 5.10 and the debug kernels, in the sid chroot of chroot.sh
# for 6.12 and 7.x) in $builddir/kmod/KVER/vfiogroup.ko.
build_module_for() {
	local kdir=$2
	"$here/build-module.sh" --kernel-dir "$kdir" --builddir "$builddir" --srcdir "$srcdir"
}

# pick_module KVER KDIR: print the module under test whose vermagic matches
# the kernel's ("none" if --module none), or explain and fail.
pick_module() {
	local kver=$1 kdir=$2 want c v cands=() tried=''
	want=$(cat "$kdir/vermagic")
	if [ ${#modules[@]} -gt 0 ]; then
		cands=("${modules[@]}")
	else
		cands=("$builddir/kmod/vfiogroup.ko")
	fi
	for c in "${cands[@]}"; do
		[ "$c" != none ] || { echo none; return 0; }
		if [ ! -f "$c" ]; then tried="$tried"$'\n'"  $c: no such file"; continue; fi
		v=$(vermagic_of "$c")
		if [ "$v" = "$want" ]; then echo "$c"; return 0; fi
		tried="$tried"$'\n'"  $c: vermagic '$v'"
	done
	if [ ${#modules[@]} -eq 0 ] && c=$(build_module_for "$kver" "$kdir" 2>"$outdir/.bmf.err"); then
		grep -E '^(build-module|chroot): ' "$outdir/.bmf.err" >&2 || true
		v=$(vermagic_of "$c")
		if [ "$v" = "$want" ]; then echo "$c"; return 0; fi
		tried="$tried"$'\n'"  $c: vermagic '$v'"
	else
		tried="$tried"$'\n'"$(cat "$outdir/.bmf.err" 2>/dev/null)"
		# the cause, for the summary line (a chroot that could not be
		# made, a configure that failed, ...)
		grep -E '^(build-module|chroot|fetch-kernel): error: ' "$outdir/.bmf.err" 2>/dev/null |
			tail -n 1 >"$outdir/.pick-why"
	fi
	rm -f "$outdir/.bmf.err"
	say "error: no module under test for kernel $kver, which needs vermagic '$want':$tried"
	[ ${#modules[@]} -gt 0 ] || [ -f "$builddir/kmod/vfiogroup.ko" ] ||
		say "hint: build the module first (make in $builddir), or pass --module"
	return 1
}

# Guest payload: scripts from the source tree, programs from the build tree.
payload_args=() libpath_args=()
for d in "$srcdir/tests/vm/guest" "$builddir/tests/vm/guest" "${payloads[@]}"; do
	[ -d "$d" ] || continue
	case " ${payload_args[*]} " in *" $d "*) continue ;; esac
	payload_args+=(--payload "$d")
done
for d in "$builddir/libvfiogroup/.libs" "$builddir/libvfiogroup"; do
	[ ! -d "$d" ] || libpath_args+=(--lib-path "$d")
done
[ ${#payload_args[@]} -gt 0 ] || say "note: no guest payload (no tests/vm/guest in $srcdir or $builddir): only the bench checks run"

# selected SECTION...: does --test pick one of the guest sections named
# (shell patterns, as the guest matches them; no --test: all of them)?
# The payloads below are made only for the sections that use them.
selected() {
	local pats p sec
	[ -n "$test" ] || return 0
	IFS=, read -ra pats <<<"$test"
	for sec in "$@"; do
		for p in "${pats[@]}"; do
			# shellcheck disable=SC2254 # p is a pattern
			case $sec in $p) return 0 ;; esac
		done
	done
	return 1
}

# The "ynl" section's clients, built from the spec with the kernel's YNL
# tools; without them that section fails in the guest, saying why.
if ! selected ynl; then
	:
elif "$srcdir/tests/vm/ynl/payload.sh" "$outdir/ynl-payload/ynl" >"$outdir/ynl-payload.log" 2>&1; then
	say "$(tail -n 1 "$outdir/ynl-payload.log")"
	payload_args+=(--payload "$outdir/ynl-payload")
else
	say "error: no YNL payload (tests/vm/ynl/payload.sh):"
	sed 's/^/  /' "$outdir/ynl-payload.log" >&2
fi

# The "qemu" section's oracle: Debian's qemu-system-x86_64 and the files it
# needs at startup; without it that section fails in the guest, saying why.
if ! selected qemu qemu-walk; then
	:
elif "$here/qemu-payload.sh" "$outdir/qemu-payload/qemu" >"$outdir/qemu-payload.log" 2>&1; then
	say "$(tail -n 1 "$outdir/qemu-payload.log")"
	payload_args+=(--payload "$outdir/qemu-payload")
else
	say "error: no QEMU payload (tests/vm/qemu-payload.sh):"
	sed 's/^/  /' "$outdir/qemu-payload.log" >&2
fi

# The "hooks-metrics" section's reader of the textfile: Debian's
# node_exporter; without it that section skips, saying why.
if ! selected hooks-metrics; then
	:
elif "$here/node-exporter-payload.sh" "$outdir/node-exporter-payload/node-exporter" \
	>"$outdir/node-exporter-payload.log" 2>&1; then
	say "$(tail -n 1 "$outdir/node-exporter-payload.log")"
	payload_args+=(--payload "$outdir/node-exporter-payload")
else
	say "warning: no node_exporter payload (tests/vm/node-exporter-payload.sh): hooks-metrics will skip:"
	sed 's/^/  /' "$outdir/node-exporter-payload.log" >&2
fi

# The "bindings" section's programs: the Go package's and the Rust
# crate's test programs and examples; without them that section fails in
# the guest, saying why.
if ! selected bindings; then
	:
elif "$here/bindings-payload.sh" "$outdir/bindings-payload" "$builddir" >"$outdir/bindings-payload.log" 2>&1; then
	say "$(tail -n 1 "$outdir/bindings-payload.log")"
	payload_args+=(--payload "$outdir/bindings-payload")
else
	say "error: the bindings' programs did not all build (tests/vm/bindings-payload.sh):"
	sed 's/^/  /' "$outdir/bindings-payload.log" >&2
	[ ! -d "$outdir/bindings-payload" ] || payload_args+=(--payload "$outdir/bindings-payload")
fi

# bindings_counts TAP...: the Go and Rust programs' results (bindings.sh's
# "go ..."/"rust ..." lines), as "go P passed, F failed, rust ..."
bindings_counts() {
	awk '/^(not )?ok [0-9]+ - (go|rust) / && !/# SKIP/ { l = $3 == "-" ? $4 : $5; if ($1 == "ok") p[l]++; else f[l]++ }
		END { if (p["go"] + f["go"]) printf "go %d passed, %d failed", p["go"], f["go"]
		      if (p["rust"] + f["rust"]) printf "%srust %d passed, %d failed", p["go"] + f["go"] ? ", " : "", p["rust"], f["rust"] }' "$@"
}

# boot_and_judge: boot the prepared kernel ($spec $kver $kdir $module $out,
# times $t0 $t1 $tb $t2), judge the run, write "PASSED FAILED BAD" and the
# summary line to $out/.result.  Runs in the background with --jobs > 1.
boot_and_judge() {
	local mem ktimeout gbudget cmd brc t3 problems p f s fin notifier want_n built_n guest_n
	local kunit faults stress walk qwalk window bindings extra guest times line bad why within restarts attempt slow
	mem=${VG_MEM:-1024} ktimeout=900 within=120
	if grep -q '^CONFIG_KASAN=y' "$kdir/config" 2>/dev/null; then
		mem=${VG_MEM:-2048} ktimeout=4000 within=300
	fi
	# A guest with hundreds of devices (the bench's scale boots) spends
	# minutes in firmware and PCI enumeration before its /init.
	within=${VG_USERSPACE_WITHIN:-$within}
	# The budgets were measured with a core to each guest; other work on
	# the machine stretches them by the slowness measured now (a slower
	# run, not a red one).  A --timeout given by hand is taken as it is.
	slow=$("$here/slowness.sh" 2>/dev/null) || slow=1.0
	if [ -n "$timeout" ]; then
		ktimeout=$timeout slow=''
	else
		ktimeout=$(awk -v t="$ktimeout" -v s="$slow" 'BEGIN { printf "%d", t * s }')
		[ "$slow" != 1.0 ] || slow=''
	fi
	# The guest's own budget ends before the host's timeout so that a hung
	# test still yields results and a dump of the blocked tasks.
	if [ "$ktimeout" -ge 120 ]; then gbudget=$((ktimeout - 60)); else gbudget=$((ktimeout / 2)); fi
	# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
	# fail ("Kernel panic - not syncing: timer doesn't work through
	# Interrupt-remapped IO-APIC", seen on 7.2 with three guests on 2 cores).
	cmd="no_timer_check vg.timeout=$gbudget${ktest:+ vg.test=$ktest}${elsewhere:+ VG_ELSEWHERE=$elsewhere}${append:+ $append}"
	# A kernel that stalls before /init under TCG (boot.sh) is booted once
	# more; its console is kept and the summary says so.  Debian's kernels
	# reach userspace in 3-8 s, the debug ones in 30-60 s.  So is one that
	# fell silent mid-run: not even its heartbeat (every 30 s) on the
	# console for $silence s.  Seen twice on Debian's 5.10 with two guests
	# on two busy cores (both serial ports stopped, the guest's watchdog
	# ended the run 45 minutes later).  The first run's console, results
	# and QEMU's view of its CPUs are kept, and the summary says so.
	# VG_SILENCE: another limit (the bench's VF boots, whose guest time
	# crawls under TCG while a thousand VFs are made).
	silence=${VG_SILENCE:-$(awk -v s="${slow:-1}" 'BEGIN { printf "%d", 180 * s }')}
	restarts=''
	for attempt in 1 2; do
		brc=0
		"$here/boot.sh" --kernel "$kdir/vmlinuz" --initrd "$out/initrd.gz" \
			--console "$out/console.log" --results "$out/results.tap" \
			--timeout "$ktimeout" --mem "$mem" --append "$cmd" \
			--userspace-within "$within" --silence "$silence" "${live[@]}" || brc=$?
		if { [ $brc -ne 75 ] && [ $brc -ne 76 ]; } || [ $attempt = 2 ]; then break; fi
		if [ $brc = 75 ]; then
			mv "$out/console.log" "$out/console.stalled-boot.log"
			restarts="booted again after a stall before userspace (console.stalled-boot.log)"
			say "$spec: the kernel stalled before userspace; booting it once more"
		else
			mv "$out/console.log" "$out/console.silent-run.log"
			mv "$out/console.log.silent" "$out/console.silent-run.qemu"
			mv "$out/results.tap" "$out/results.silent-run.tap"
			restarts="booted again after it fell silent mid-run at '$(grep -a 'run-tests: ' "$out/console.silent-run.log" | tail -n 1 | tr -d '\r' || true)' (console.silent-run.log, results.silent-run.tap, QEMU's view in console.silent-run.qemu)"
			say "$spec: the guest wrote nothing for $silence s mid-run; booting it once more ($(grep -ac '^ok' "$out/results.silent-run.tap" || true) tests had passed)"
		fi
	done
	t3=$(now)

	problems=()
	[ $brc -ne 124 ] || problems+=("timeout after $ktimeout s")
	[ $brc -ne 75 ] || problems+=("stalled before userspace twice")
	[ $brc -ne 76 ] || problems+=("fell silent mid-run twice (QEMU's view: console.log.silent)")
	[ $brc -eq 0 ] || [ $brc -eq 124 ] || [ $brc -eq 75 ] || [ $brc -eq 76 ] || problems+=("qemu exited rc=$brc")
	p='' f='' s='' fin=''
	read -r p f s fin < <("$here/tap-summary.sh" "$out/results.tap" || true) || true
	p=${p:-0} f=${f:-0} s=${s:-0} fin=${fin:-0}
	[ "$fin" = 1 ] || problems+=("no VG-BENCH-DONE marker")
	[ "$f" -eq 0 ] || problems+=("$f failed")
	# The first offending line goes into the summary: CI keeps only the
	# head and tail of the output, and the logs stay on its machine.
	if ! "$here/check-console.sh" "$out/console.log" >/dev/null 2>"$out/console.problems"; then
		local first nprob
		first=$(sed -n '2{s/^[0-9]*:\(\[ *[0-9.]*\] *\)\{0,1\}//;s/[^[:print:]]//g;p;q}' "$out/console.problems" | cut -c1-160)
		nprob=$(grep -c '^[0-9]*:' "$out/console.problems" || true)
		nprob=$((nprob + $(sed -n 's/.*\.\.\. \([0-9]*\) more lines$/\1/p' "$out/console.problems" | head -n1 | grep . || echo 0)))
		problems+=("kernel problems on the console ($nprob lines, the first: '$first'; see console.problems)")
		sed 's/^/  /' "$out/console.problems" | head -n 20 >&2
	else
		rm -f "$out/console.problems"
	fi
	# Which notifier path the build took: the module's imports (host side)
	# and the guest suite's "info notifier == X" line.  The one it must
	# take is the booted kernel's fact, not its version's: whether it has
	# the per-group IOMMU notifier (guest-init.sh reads /proc/kallsyms).
	notifier=''
	if [ "$module" != none ]; then
		want_n=$(sed -n 's/^# kernel-notifier=\([a-z-]*\) .*/\1/p' "$out/results.tap" | head -n1)
		[ -n "$want_n" ] || problems+=("the guest did not say which notifier the kernel has")
		if nm -u "$module" 2>/dev/null | grep -qw iommu_group_register_notifier; then
			built_n=iommu-group
		else
			built_n=bus
		fi
		guest_n=$(sed -n 's/^\(not \)\{0,1\}ok [0-9]* - info notifier == \([a-z-]*\) on .*/\1\2/p' "$out/results.tap" | head -n1)
		notifier="notifier $built_n (module), ${guest_n:-not reported} (guest), ${want_n:-not reported} (kernel)"
		[ -z "$want_n" ] || [ "$built_n" = "$want_n" ] ||
			problems+=("module built for the $built_n notifier, $kver has the $want_n notifier")
		case $guest_n in
		'') [ -n "$ktest" ] || problems+=("guest suite did not report info notifier") ;;
		"$want_n") ;;
		*) problems+=("guest: info notifier ${guest_n#not }, want ${want_n:-unknown}") ;;
		esac
	fi
	# KUnit kernels must have run the lifecycle suite; debug figures.
	kunit=$(sed -n 's/^# kunit-cases=\([0-9]*\)$/\1/p' "$out/results.tap" | tail -n 1)
	faults=$(sed -n 's/^# fault-points=\([0-9]*\)$/\1/p' "$out/results.tap" | tail -n 1)
	stress=$(sed -n 's/^# stress: \([0-9]* cycles in [0-9]* s\).*/\1/p' "$out/results.tap" | tail -n 1)
	walk=$(sed -n 's/^# walk: seed=\([0-9]*\) steps=\([0-9]*\) comparisons=\([0-9]*\) mismatches=\([0-9]*\) .* seconds=\([0-9]*\)$/\2 steps in \5 s, \3 comparisons, \4 mismatches, seed \1/p' \
		"$out/results.tap" | tail -n 1)
	window=$(sed -n 's/^# window: runs=[0-9]* steps=\([0-9]*\) overflows=\([0-9]*\) resyncs=[0-9]* truth=\([0-9]*\) delivered=\([0-9]*\) covered=\([0-9]*\) unaccounted=\([0-9]*\) mismatches=\([0-9]*\) .*/\1 steps, \2 overflows, \3 events: \4 delivered, \5 covered by a resync, \6 unaccounted, \7 cache mismatches/p' \
		"$out/results.tap" | tail -n 1)
	if [ "$module" != none ] && [ -z "$ktest" ] && grep -q '^CONFIG_KUNIT=y' "$kdir/config" 2>/dev/null &&
		[ -z "$kunit" ]; then
		problems+=("CONFIG_KUNIT kernel, but the KUnit suite did not run")
	fi
	qwalk=$(sed -n 's/^# qemu-walk: seed=\([0-9]*\) steps=\([0-9]*\) top-ups=\([0-9]*\) judged=\([0-9]*\) (cdev path \([0-9]*\)) .* disagreements=\([0-9]*\) .* holds=\([0-9]*\) (cdev path \([0-9]*\)) .*/\2 steps + \3 top-ups, \4 judged by QEMU (cdev path \5), \6 disagreements, \7 holds (cdev path \8), seed \1/p' \
		"$out/results.tap" | tail -n 1)
	bindings=$(bindings_counts "$out/results.tap")
	extra="${restarts:+$restarts; }${bindings:+bindings: $bindings; }${kunit:+KUnit $kunit cases; }${faults:+fault points $faults; }${stress:+stress $stress; }${walk:+walk $walk; }${qwalk:+qemu-walk $qwalk; }${window:+window $window; }"
	notifier="${extra}${notifier}"
	if [ "$fin" != 1 ] && [ "$f" -eq 0 ]; then f=1; fi  # a run that did not finish fails

	guest=$(tr -d '\r' <"$out/console.log" |
		sed -n 's/^vg: userspace at \([0-9.]*\) s.*/userspace at \1 s/p; s/^vg: tests done at \([0-9.]*\) s/tests done at \1 s/p' |
		paste -sd, - | sed 's/,/, /g')
	times="boot+suite $(elapsed "$tw" "$t3") s (fetch $(elapsed "$t0" "$t1") s, module $(elapsed "$t1" "$tb") s, initramfs $(elapsed "$tb" "$t2") s${waited:+, $waited}${slow:+, budgets x$slow for a host that runs a process at 1/$slow speed}${guest:+; guest: $guest})"
	if [ ${#problems[@]} -eq 0 ]; then
		line="$spec ($kver): PASS: $p passed, $f failed, $s skipped; ${notifier:+$notifier; }$times"
		bad=0
	else
		why=$(IFS=';'; echo "${problems[*]}")
		line="$spec ($kver): FAIL (${why//;/; }): $p passed, $f failed, $s skipped; ${notifier:+$notifier; }$times; logs: $out"
		bad=1
	fi
	printf '%s %s %s %s\n%s\n' "$p" "$f" "$bad" "$s" "$line" >"$out/.result"
}

total_pass=0 total_fail=0 total_skip=0 kernels_skipped=0 overall=0 summary=() results=()
for spec in $kernels; do
	say "=== kernel $spec"
	t0=$(now)
	case $spec in
	debug|debug-*|iommufd)
		if ! bench_image "$spec" >/dev/null; then
			barg=$(bench_build_arg "$spec")
			say "**************************************************************"
			say "WARNING: SKIPPING the kernel '$spec': no package of it in ${debug_dirs[*]}"
			say "Build it (debug kernels: about 40 min on 2 cores; into ${VFIOGROUP_CACHE:-/var/cache/vfiogroup}/debug-kernels):"
			say "    $here/build-debug-kernel.sh $barg"
			say "or point VG_DEBUG_KERNELS_DIR=DIR[:DIR...] at such packages (tests/vm/README.md)"
			say "**************************************************************"
			summary+=("$spec: SKIPPED (not passed): no kernel package in ${debug_dirs[*]} (tests/vm/build-debug-kernel.sh $barg builds it)")
			total_skip=$((total_skip + 1)) kernels_skipped=$((kernels_skipped + 1))
			continue
		fi
		;;
	esac
	if ! kdir=$("$here/fetch-kernel.sh" "$spec"); then
		summary+=("$spec: FAIL: could not fetch the kernel")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	t1=$(now)
	kver=$(cat "$kdir/kver")
	out=$outdir/$kver
	mkdir -p "$out"
	rm -f "$outdir/.pick-why"
	if ! module=$(pick_module "$kver" "$kdir"); then
		why=$(cat "$outdir/.pick-why" 2>/dev/null)
		summary+=("$spec ($kver): FAIL: no module under test with the kernel's vermagic${why:+ ($why)}")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	tb=$(now)
	margs=() kargs=()
	[ "$module" = none ] || margs=(--module "$module")
	# The iommufd kernel adds the cdev path and Debian's config-less view
	# of VFIO: the sections it changes, not the whole suite again.
	ktest=$test
	[ -n "$ktest" ] || [ "$spec" != iommufd ] || ktest=load,dump,events,qemu,qemu-walk
	# What another kernel of this run covers better: the iommufd kernel
	# walks qemu-walk on the group path and the cdev path, so a Debian
	# kernel of its version leaves the walk to it (the guest says SKIP).
	elsewhere=''
	if [ -z "$test" ] && [ "$spec" != iommufd ] && [[ " $kernels " == *" iommufd "* ]] &&
		ifd=$(bench_image iommufd) && ifd=${ifd##*/linux-image-} &&
		[[ "$kver" == "$(echo "$ifd" | cut -d. -f1-2)".* ]]; then
		elsewhere=qemu-walk
		say "$spec: qemu-walk left to the iommufd kernel of this run ($(echo "$ifd" | cut -d- -f1), group and cdev paths)"
	fi
	# The KUnit module (built beside the module for CONFIG_KUNIT kernels)
	# is payload, not loaded at boot: the guest's "kunit" section loads it.
	rm -rf "$out/kunit-payload"
	if [ "$module" != none ] && [ -f "${module%/*}/vfiogroup_kunit.ko" ]; then
		mkdir -p "$out/kunit-payload"
		cp "${module%/*}/vfiogroup_kunit.ko" "$out/kunit-payload/"
		kargs=(--payload "$out/kunit-payload")
	fi
	# A kernel with IOMMUFD gets sid's QEMU too, for the VFIO cdev path
	# (made once per run; without it the qemu sections fail, saying why).
	if grep -q '^CONFIG_IOMMUFD=y' "$kdir/config" 2>/dev/null && selected qemu qemu-walk; then
		if [ ! -e "$outdir/qemu-iommufd-payload/qemu-iommufd/.vg-self-contained" ]; then
			if "$here/qemu-iommufd-payload.sh" "$outdir/qemu-iommufd-payload/qemu-iommufd" \
				>"$outdir/qemu-iommufd-payload.log" 2>&1; then
				say "$(tail -n 1 "$outdir/qemu-iommufd-payload.log")"
			else
				say "error: no iommufd QEMU payload (tests/vm/qemu-iommufd-payload.sh):"
				sed 's/^/  /' "$outdir/qemu-iommufd-payload.log" >&2
			fi
		fi
		[ ! -d "$outdir/qemu-iommufd-payload/qemu-iommufd" ] ||
			kargs+=(--payload "$outdir/qemu-iommufd-payload")
	fi
	say "module under test: $module"
	if ! "$here/mkinitramfs.sh" -o "$out/initrd.gz" --kernel-dir "$kdir" "${margs[@]}" \
		"${payload_args[@]}" "${kargs[@]}" "${libpath_args[@]}"; then
		summary+=("$spec ($kver): FAIL: initramfs")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	t2=$(now)

	# Booting waits for a free lane; the preparation above (downloads,
	# chroot builds) stays serial, as it shares caches.
	rm -f "$out/.result"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	# Nor do two kernels boot at once: the timer calibration of a kernel
	# booting beside another is what stalls under TCG (boot.sh).  Wait for
	# the last one started to reach userspace (or end), 300 s at most.
	for _ in $(seq 300); do
		if [ -z "${last_pid:-}" ] || ! kill -0 "$last_pid" 2>/dev/null ||
			grep -q -a 'vg: userspace at' "$last_boot/console.log" 2>/dev/null; then
			break
		fi
		sleep 1
	done
	tw=$(now)
	waited=''
	w=$(elapsed "$t2" "$tw")
	[ "${w%.*}" -lt 1 ] || waited="waited $w s for a lane"
	results+=("$out")
	if [ "$jobs" -gt 1 ]; then
		last_boot=$out
		boot_and_judge &
		last_pid=$!
	else
		boot_and_judge
	fi
done
wait
for r in "${results[@]}"; do
	if ! { read -r p f bad s && IFS= read -r line; } <"$r/.result" 2>/dev/null; then
		p=0 f=1 bad=1 s=0 line="${r##*/}: FAIL: no result (the boot job died)"
	fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + ${s:-0}))
	[ "$bad" = 0 ] || overall=1
	summary+=("$line")
done

echo "=== VM suite summary"
printf '%s\n' "${summary[@]}"
taps=()
for r in "${results[@]}"; do
	[ -z "$(bindings_counts "$r/results.tap" 2>/dev/null)" ] || taps+=("$r/results.tap")
done
[ ${#taps[@]} -eq 0 ] || echo "bindings (Go, Rust) in the guests of ${#taps[@]} kernel(s): $(bindings_counts "${taps[@]}")"
[ "$kernels_skipped" -eq 0 ] || echo "WARNING: $kernels_skipped kernel(s) SKIPPED, not tested (see above)"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $overall
