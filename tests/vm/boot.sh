#!/bin/bash
# boot.sh --kernel VMLINUZ --initrd INITRD --console LOG --results FILE [options]
#
# Boots the guest under qemu TCG (no KVM needed), the console (ttyS0) going to
# LOG and the results port (ttyS1) to FILE, and waits for it to power off.
# Exit status: qemu's (0 after the guest powered off or panicked: read FILE),
# 124 after the timeout (qemu killed), 75 when --userspace-within passed
# with no userspace (qemu killed: the kernel stalled before /init), 76 when
# --silence passed with nothing written (qemu killed, LOG.silent kept).
#
# Options:
#   --timeout S      kill qemu after S seconds (default 600)
#   --mem MB         guest memory (default 1024)
#   --append ARGS    more kernel command line (e.g. "vg.test=NAME")
#   --minimal        only the devices of the reference layout (no second NIC,
#                    no two-function NIC)
#   --live           also show the console on stdout while it runs
#   --userspace-within S
#                    kill qemu if the guest's /init has not said "vg:
#                    userspace at" on the console after S seconds.  Under TCG
#                    on a loaded host a kernel now and then stalls during
#                    boot (timer calibration: "tsc: Unable to calibrate
#                    against PIT", then RCU stalls with a CPU idle forever,
#                    seen on the 5.10 debug kernel with two guests on two
#                    cores); nothing of ours has run by then, so the caller
#                    may boot again.
#   --silence S      once in userspace, kill qemu if neither LOG nor FILE
#                    grew for S seconds (guest-init.sh writes a heartbeat
#                    line every 30 s, so only a guest whose serial output
#                    stopped is that quiet); first ask QEMU's monitor what
#                    the CPUs and interrupt controllers were doing and press
#                    SysRq l and w, all of it kept in LOG.silent.
#
# Devices (with intel-iommu, each is its own IOMMU group unless noted):
#   e1000 (netdev n0: user mode, restrict=on, i.e. no network), a second
#   e1000 (no backend), e1000e behind a PCIe root port, a two-function e1000
#   at 00:06.0/00:06.1 (one group of two, both on the e1000 driver), and
#   q35's own: host bridge, VGA, the 00:1f.x group of three.
#   $VG_QEMU_EXTRA_DEVICES: more qemu arguments, split on blanks (the
#   performance bench's edu devices behind root ports, tests/bench/run.sh).
#   $VG_SMP: vCPUs (default 2), for experiments such as the bench's idle
#   job on one vCPU.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel='' initrd='' console='' results='' timeout=600 mem=1024 append='' minimal=0 live=0 within=0 silence=0
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--console) console=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--minimal) minimal=1; shift ;;
	--live) live=1; shift ;;
	--userspace-within) within=$2; shift 2 ;;
	--silence) silence=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "boot: unknown argument $1" >&2; usage ;;
	esac
done
for v in "$kernel" "$initrd" "$console" "$results"; do [ -n "$v" ] || usage; done
[ -f "$kernel" ] || { echo "boot: no kernel $kernel" >&2; exit 2; }
[ -f "$initrd" ] || { echo "boot: no initrd $initrd" >&2; exit 2; }
case $console$results in *,*) echo "boot: no commas in log paths (qemu option syntax)" >&2; exit 2 ;; esac

cmdline="console=ttyS0 intel_iommu=on iommu=pt panic=-1 loglevel=5 panic_on_warn=1${append:+ $append}"

# shellcheck disable=SC2054 # commas belong to qemu's option syntax
devices=(
	-device intel-iommu,intremap=on
	-device e1000,netdev=n0,romfile= -netdev user,id=n0,restrict=on
	-device pcie-root-port,id=rp1,slot=1 -device e1000e,bus=rp1,romfile=
)
if [ $minimal = 0 ]; then
	# shellcheck disable=SC2054
	devices+=(
		-device e1000,id=nic1,romfile=
		-device e1000,id=mf0,addr=06.0,multifunction=on,romfile= -device e1000,id=mf1,addr=06.1,romfile=
	)
fi

if [ -n "${VG_QEMU_EXTRA_DEVICES:-}" ]; then
	read -ra extra_devices <<<"$VG_QEMU_EXTRA_DEVICES"
	devices+=("${extra_devices[@]}")
fi

rm -f "$console" "$results"
: >"$results"
if [ $live = 1 ]; then
	con=(-chardev "stdio,id=con,signal=off,logfile=$console" -serial chardev:con)
else
	con=(-serial "file:$console")
fi

# The human monitor on a socket of its own: what a guest that fell silent
# was doing is asked there (monitor-ask.py).
mondir=$(mktemp -d "${TMPDIR:-/tmp}/vg-boot.XXXXXX")
monitor=$mondir/monitor.sock

t0=$(date +%s.%N)
rc=0 stalled=0 silent=0
timeout --kill-after=10 "$timeout" \
	qemu-system-x86_64 -M q35 -accel tcg -smp "${VG_SMP:-2}" -m "$mem" -nographic -no-reboot \
	-monitor "unix:$monitor,server=on,wait=off" "${con[@]}" -serial "file:$results" \
	"${devices[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" </dev/null &
qpid=$!
# Killed with us: no qemu outlives an interrupted bench.
trap 'kill "$qpid" 2>/dev/null; rm -rf "$mondir"' EXIT

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
# diagnose: QEMU's view of a silent guest, and the guest's own if SysRq
# still reaches its console.
diagnose() {
	{
		echo "boot: nothing on the console or the results port for $silence s; QEMU's view:"
		if command -v python3 >/dev/null; then
			python3 "$here/monitor-ask.py" "$monitor" "info registers -a" "info lapic 0" \
				"info lapic 1" "info pic" "sendkey alt-sysrq-l" "sendkey alt-sysrq-w" ||
				echo "boot: the monitor did not answer"
		else
			echo "boot: no python3 to ask the monitor with"
		fi
	} >"$console.silent" 2>&1
	sleep 15
}
if [ "$within" -gt 0 ] || [ "$silence" -gt 0 ]; then
	waited=0 reached=0 quiet=0 last=''
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $reached = 0 ]; then
			if grep -q -a 'vg: userspace at' "$console" 2>/dev/null; then
				reached=1
				[ "$silence" -gt 0 ] || break
			elif [ "$within" -gt 0 ] && [ "$waited" -ge "$within" ]; then
				stalled=1
				kill "$qpid"
				break
			fi
		else
			now="$(size_of "$console") $(size_of "$results")"
			if [ "$now" != "$last" ]; then last=$now quiet=0; else quiet=$((quiet + 1)); fi
			if [ "$quiet" -ge "$silence" ]; then
				silent=1
				diagnose
				kill "$qpid"
				break
			fi
		fi
		sleep 1
		waited=$((waited + 1))
	done
fi
wait "$qpid" || rc=$?
trap - EXIT
rm -rf "$mondir"
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
if [ $stalled = 1 ]; then
	echo "boot: STALLED: no userspace after $within s, qemu killed" >&2
	exit 75
fi
if [ $silent = 1 ]; then
	echo "boot: SILENT: nothing written for $silence s after $secs s, qemu killed; QEMU's view in $console.silent" >&2
	exit 76
fi
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "boot: TIMEOUT: qemu killed after $secs s (limit $timeout s)" >&2
	exit 124
fi
echo "boot: qemu exited rc=$rc after $secs s" >&2
exit $rc
