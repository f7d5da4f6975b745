#!/bin/bash
# run.sh [options]: the performance bench ("make bench"; docs/performance.md).
#
# Boots the guest through tests/vm/run-suite.sh once per kernel with
# "--test bench" (latency of four paths, CPU per event, wakeups, storm,
# idle sockets), then once per scale size with that many edu devices, each
# behind its own PCIe root port, and "--test scale" (dump, ctx_new, sysfs
# walk, transition cost of the first and last group, memory per device, a
# rescan burst).  Collects the guests' "# bench: JOB KEY=VALUE ..." lines,
# prints a table and writes OUTDIR/results.txt (the lines, each prefixed
# by kernel and boot), OUTDIR/results.tsv (kernel, boot, job, what, key,
# value) and, with gnuplot, OUTDIR/latency.svg, scale.svg, storm.svg.
#
#   --builddir DIR   top build directory (default: the current directory)
#   --srcdir DIR     source tree (default: two levels above this script)
#   --kernels LIST   kernels as run-suite.sh takes them (default "6.1", or
#                    $BENCH_KERNELS)
#   --short          the CI's short mode (or BENCH_SHORT=1): 20 transitions,
#                    3 s storm, one scale boot of 32 devices
#   --scale LIST     edu devices per scale boot (default "64 184", short
#                    "32", or $BENCH_SCALE; "" skips the scale boots).  At
#                    most 184: 23 free slots of pcie.0 with 8 root ports
#                    each (docs/performance.md says why not more)
#   --vfs LIST       SR-IOV VFs per scale boot (or $BENCH_VFS; default
#                    none): emulated NVMe controllers with 127 VFs each, a
#                    root port each, the VFs made in the guest, each its
#                    own IOMMU group.  Asked for only: QEMU 7.2 took 20 GB
#                    of host memory for 1,024 VFs made, removed and made
#                    again (docs/performance.md)
#   --outdir DIR     default BUILDDIR/bench
#   --only-scale     the scale boots alone (a size measured again)
#   --append ARGS    more kernel command line for every boot, e.g.
#                    "vgbench.jobs=idle vgbench.bind_n=400" (bench.sh's
#                    vgbench.* settings)
#
# Exit status 0 only when every boot passed: every path got every event,
# every cache equalled sysfs, every job ran.  Figures are never judged.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
builddir=$PWD kernels=${BENCH_KERNELS:-6.1} short=${BENCH_SHORT:-0} scale=${BENCH_SCALE-unset} vfs=${BENCH_VFS-unset} outdir='' only_scale=0 more=''
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	--kernels) kernels=$2; shift 2 ;;
	--short) short=1; shift ;;
	--scale) scale=$2; shift 2 ;;
	--vfs) vfs=$2; shift 2 ;;
	--outdir) outdir=$2; shift 2 ;;
	--only-scale) only_scale=1; shift ;;
	--append) more=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench: unknown argument $1" >&2; usage ;;
	esac
done
[ "$short" = 1 ] || short=0
if [ "$scale" = unset ]; then
	if [ "$short" = 1 ]; then scale=32; else scale="64 184"; fi
fi
[ "$vfs" != unset ] || vfs=''
outdir=${outdir:-$builddir/bench}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
say() { echo "bench: $*" >&2; }

# edu_devices N: qemu arguments for N edu devices, each behind its own
# root port, 8 multifunction root ports per slot from 00:08 (the reference
# layout's devices take the slots below).  Root ports reserve no I/O
# space: 184 of 4 KiB windows would not fit the 64 KiB of port I/O.
edu_devices() {
	local n=$1 k slot fn mf
	for ((k = 0; k < n; k++)); do
		slot=$((8 + k / 8)) fn=$((k % 8)) mf=''
		[ "$fn" != 0 ] || mf=,multifunction=on
		printf -- '-device pcie-root-port,id=brp%d,chassis=%d,slot=%d,bus=pcie.0,addr=%x.%d%s,io-reserve=0,pref64-reserve=0 -device edu,bus=brp%d ' \
			"$k" $((k + 10)) $((k + 10)) "$slot" "$fn" "$mf" "$k"
	done
}

# nvme_vfs N: qemu arguments for NVMe controllers offering N SR-IOV VFs in
# all, 127 each (QEMU's most), each controller in an NVMe subsystem (which
# SR-IOV needs) and behind a root port of its own on pcie.0's slots from
# 0x10; the guest makes the VFs (bench.sh).  QEMU wants
# max_ioqpairs - sriov_vq_flexible >= 2 and msix_qsize > sriov_vi_flexible.
nvme_vfs() {
	local n=$1 k=0 v
	while [ "$n" -gt 0 ]; do
		v=$((n > 127 ? 127 : n))
		printf -- '-device nvme-subsys,id=vfss%d -device pcie-root-port,id=vfrp%d,chassis=%d,slot=%d,bus=pcie.0,addr=%x.0,io-reserve=0 -device nvme,bus=vfrp%d,serial=vf%d,subsys=vfss%d,sriov_max_vfs=%d,sriov_vq_flexible=%d,sriov_vi_flexible=%d,msix_qsize=%d,max_ioqpairs=%d ' \
			"$k" "$k" $((k + 200)) $((k + 200)) $((0x10 + k)) "$k" "$k" "$k" "$v" $((2 * v)) "$v" $((v + 3)) $((2 * v + 2))
		n=$((n - v)) k=$((k + 1))
	done
}

append="vgbench.short=$short${more:+ $more}"
rc=0
: >"$outdir/results.txt"
for k in $kernels; do
	boots=()
	[ "$only_scale" = 1 ] || boots=(bench)
	for n in $scale; do
		if [ "$n" -gt 184 ]; then
			say "scale $n: does not fit (at most 184 edu devices, see docs/performance.md): not run"
			echo "$k scale-$n # bench: skipped edu=$n reason=more-than-184-root-ports" >>"$outdir/results.txt"
			rc=1
			continue
		fi
		boots+=("scale-$n")
	done
	for n in $vfs; do
		boots+=("scale-vf-$n")
	done
	for b in "${boots[@]}"; do
		o=$outdir/$k/$b
		rm -rf "$o"
		mkdir -p "$o"
		# The scale boots: SeaBIOS and the kernel enumerate every root
		# port under TCG before /init, minutes with 184 of them.  Their
		# config space writes under pci_lock (boot's resource assignment,
		# the burst's rescan) run 20-30 s without a reschedule on a loaded
		# host, which the default soft-lockup threshold (20 s) reports
		# as a BUG; watchdog_thresh=60 makes it 120 s.
		case $b in
		bench) test=bench extra='' cmd=$append within='' ;;
		scale-vf-*) test=scale extra=$(nvme_vfs "${b#scale-vf-}") within=900
			cmd="$append slab_nomerge watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300" ;;
		scale-*) test=scale extra=$(edu_devices "${b#scale-}") within=900
			cmd="$append slab_nomerge watchdog_thresh=60" ;;
		esac
		say "kernel $k, boot $b"
		brc=0
		# Making a thousand VFs, the guest's clock crawls under TCG
		# (minutes of wall time per heartbeat): longer limits there.
		limits=()
		case $b in scale-vf-*) limits=(--timeout 5400) ;; esac
		VG_SILENCE=${limits:+1800} VG_QEMU_EXTRA_DEVICES=$extra VG_USERSPACE_WITHIN=$within \
			"$srcdir/tests/vm/run-suite.sh" --builddir "$builddir" "${limits[@]}" \
			--srcdir "$srcdir" --kernels "$k" --test "$test" --append "$cmd" --outdir "$o" \
			>"$o/run-suite.log" 2>&1 || brc=$?
		sed -n '/^=== VM suite summary/,$p' "$o/run-suite.log" >&2
		if [ $brc -ne 0 ]; then
			rc=1
			say "kernel $k, boot $b FAILED (logs: $o)"
			grep -h '^not ok' "$o"/*/results.tap 2>/dev/null | sed 's/^/  /' >&2 || true
		fi
		for t in "$o"/*/results.tap; do
			[ -f "$t" ] || continue
			tr -d '\r' <"$t" | sed -n "s|^# bench: |$k $b # bench: |p" >>"$outdir/results.txt"
		done
	done
done

# results.tsv: one row per figure.  "what" is the path, ctx or idle
# socket count that tells a job's lines apart.
awk 'BEGIN { OFS = "\t"; print "kernel", "boot", "job", "what", "key", "value" }
{
	job = $5; what = ""; drv = ""
	for (i = 6; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "path" || kv[1] == "ctx" || kv[1] == "idle_sockets") what = kv[2]
		if (kv[1] == "driver") drv = kv[2]
	}
	what = drv != "" ? (what != "" ? drv "/" what : drv) : (what != "" ? what : "-")
	for (i = 6; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "path" || kv[1] == "ctx" || kv[1] == "driver" || index($i, "=") == 0) continue
		print $1, $2, job, what, kv[1], kv[2]
	}
}' "$outdir/results.txt" >"$outdir/results.tsv"

"$here/table.sh" "$outdir/results.tsv" | tee "$outdir/table.txt"
if command -v gnuplot >/dev/null; then
	"$here/plot.sh" "$outdir/results.tsv" "$outdir" || { say "gnuplot failed"; rc=1; }
else
	say "no gnuplot (apt-get install gnuplot-nox): no SVG plots"
fi
say "results: $outdir/results.txt, results.tsv, table.txt"
if [ $rc -eq 0 ]; then
	say "PASS: every boot ran, every path got every event, every cache equalled sysfs"
else
	say "FAIL: see above"
fi
exit $rc
