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
#                    $VG_KERNELS): 6.1 5.10 6.12 sid debug debug-5.10 X.deb
#   --test NAME      run only test NAME (vg.test=NAME; commas, shell patterns)
#   --timeout S      per kernel: qemu is killed after S s (default 600)
#   --module KO      module(s) under test instead of the build's (repeatable;
#                    per kernel the one whose vermagic matches is used;
#                    "none": boot without one)
#   --payload DIR    more guest payload (repeatable)
#   --append ARGS    more kernel command line
#   --outdir DIR     logs (default BUILDDIR/tests/vm/out): per kernel
#                    KVER/console.log, KVER/results.tap, KVER/initrd.gz
#   --live           show the guest console while it runs
#
# Prints a summary per kernel and, last, exactly "N passed, N failed".
# Exit status 0 only when every kernel booted, finished (marker), had no
# failed test and a clean console.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
builddir='' kernels=${VG_KERNELS:-6.1} test='' timeout=600 outdir='' append='' live=()
modules=() payloads=()
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--test) test=$2; shift 2 ;;
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
# the host's headers (6.1); this is the hook for every other kernel: build
# against that kernel's headers (debug: the linux-headers-*.deb next to the
# image; 5.10: apt-suite.sh bullseye; 6.12/sid: a chroot, see KERNELS.md)
# into $builddir/kmod/KVER/vfiogroup.ko.  Not implemented yet: it only picks
# up a module already there.
build_module_for() {
	local kver=$1
	if [ -f "$builddir/kmod/$kver/vfiogroup.ko" ]; then
		echo "$builddir/kmod/$kver/vfiogroup.ko"
		return 0
	fi
	echo "  build_module_for $kver: no $builddir/kmod/$kver/vfiogroup.ko (building for another kernel than the host's headers is not implemented yet)" >&2
	return 1
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
		v=$(vermagic_of "$c")
		if [ "$v" = "$want" ]; then echo "$c"; return 0; fi
		tried="$tried"$'\n'"  $c: vermagic '$v'"
	else
		tried="$tried"$'\n'"$(cat "$outdir/.bmf.err" 2>/dev/null)"
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

total_pass=0 total_fail=0 overall=0 summary=()
for spec in $kernels; do
	say "=== kernel $spec"
	t0=$(now)
	if ! kdir=$("$here/fetch-kernel.sh" "$spec"); then
		summary+=("$spec: FAIL: could not fetch the kernel")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	t1=$(now)
	kver=$(cat "$kdir/kver")
	out=$outdir/$kver
	mkdir -p "$out"
	if ! module=$(pick_module "$kver" "$kdir"); then
		summary+=("$spec ($kver): FAIL: no module under test with the kernel's vermagic")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	margs=()
	[ "$module" = none ] || margs=(--module "$module")
	say "module under test: $module"
	if ! "$here/mkinitramfs.sh" -o "$out/initrd.gz" --kernel-dir "$kdir" "${margs[@]}" \
		"${payload_args[@]}" "${libpath_args[@]}"; then
		summary+=("$spec ($kver): FAIL: initramfs")
		total_fail=$((total_fail + 1)) overall=1
		continue
	fi
	t2=$(now)

	mem=${VG_MEM:-1024}
	grep -q '^CONFIG_KASAN=y' "$kdir/config" 2>/dev/null && mem=${VG_MEM:-2048}
	# The guest's own budget ends before the host's timeout so that a hung
	# test still yields results and a dump of the blocked tasks.
	if [ "$timeout" -ge 120 ]; then gbudget=$((timeout - 60)); else gbudget=$((timeout / 2)); fi
	cmd="vg.timeout=$gbudget${test:+ vg.test=$test}${append:+ $append}"
	brc=0
	"$here/boot.sh" --kernel "$kdir/vmlinuz" --initrd "$out/initrd.gz" \
		--console "$out/console.log" --results "$out/results.tap" \
		--timeout "$timeout" --mem "$mem" --append "$cmd" "${live[@]}" || brc=$?
	t3=$(now)

	problems=()
	[ $brc -ne 124 ] || problems+=("timeout after $timeout s")
	[ $brc -eq 0 ] || [ $brc -eq 124 ] || problems+=("qemu exited rc=$brc")
	p='' f='' s='' fin=''
	read -r p f s fin < <("$here/tap-summary.sh" "$out/results.tap" || true) || true
	p=${p:-0} f=${f:-0} s=${s:-0} fin=${fin:-0}
	[ "$fin" = 1 ] || problems+=("no VG-BENCH-DONE marker")
	[ "$f" -eq 0 ] || problems+=("$f failed")
	"$here/check-console.sh" "$out/console.log" >/dev/null || problems+=("kernel problems on the console")
	if [ "$fin" != 1 ] && [ "$f" -eq 0 ]; then f=1; fi  # a run that did not finish fails
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))

	guest=$(tr -d '\r' <"$out/console.log" |
		sed -n 's/^vg: userspace at \([0-9.]*\) s.*/userspace at \1 s/p; s/^vg: tests done at \([0-9.]*\) s/tests done at \1 s/p' |
		paste -sd, - | sed 's/,/, /g')
	times="boot+suite $(elapsed "$t2" "$t3") s (fetch $(elapsed "$t0" "$t1") s, initramfs $(elapsed "$t1" "$t2") s${guest:+; guest: $guest})"
	if [ ${#problems[@]} -eq 0 ]; then
		summary+=("$spec ($kver): PASS: $p passed, $f failed, $s skipped; $times")
	else
		overall=1
		why=$(IFS=';'; echo "${problems[*]}")
		summary+=("$spec ($kver): FAIL (${why//;/; }): $p passed, $f failed, $s skipped; $times; logs: $out")
	fi
done

echo "=== VM suite summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
exit $overall
