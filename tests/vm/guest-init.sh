#!/bin/sh
# /init of the VM bench guest (busybox ash; installed by mkinitramfs.sh).
#
# Mounts the pseudo file systems, insmods /lib/modules/kernel/* in the order
# of /lib/modules/kernel/load-order, then the modules under test
# (/lib/modules/test/*, order in /lib/modules/test/order), runs the tests and
# powers off.  Results (TAP) go to /dev/ttyS1, diagnostics to the console.
#
# Results stream, one section per test:
#   # vg-begin NAME
#   ...the test's stdout (TAP)...
#   # vg-end NAME rc=N
#   ...
#   VG-BENCH-DONE rc=N
#
# Kernel command line options:
#   vg.test=NAME[,NAME...]  run only these tests (shell patterns allowed)
#   vg.timeout=S            guest budget in seconds (default 540): the guest
#                           dumps blocked tasks and powers off after S s
#   vg.test_timeout=S       each test is killed after S s (default: budget)
#   vg.noload               do not insmod the modules under test
#   vg.kmemleak=0           skip the kmemleak scan (debug kernels; it
#                           rmmods the modules under test first)
#
# Tests: /payload/run-tests.sh if present (called with the selected names as
# arguments and in $VG_TEST), else every /payload/tests/*.sh in name order.
# They run as root in /payload with stdout on the results port, stderr on the
# console, and this environment: VG_KVER, VG_TEST, VG_TEST_MODULES (paths of
# the modules under test), VG_KERNEL_NOTIFIER (iommu-group when the kernel
# has the per-group IOMMU notifier, else bus; empty when it could not be
# told), VG_USER/VG_UID/VG_GID (the unprivileged user; run
# a command as that user with "asuser CMD ARGS...").

PATH=/payload/bin:/payload:/bin:/sbin:/usr/bin:/usr/sbin
HOME=/root
TMPDIR=/tmp
export PATH HOME TMPDIR

msg() { echo "vg: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
[ -d /sys/kernel/tracing ] && mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname vg-guest
mkdir -p /home/vguser
chown 1000:1000 /home/vguser

VG_TEST='' timeout=540 test_timeout='' noload=0 kmemleak=1
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	vg.test=*) VG_TEST=${arg#vg.test=} ;;
	vg.timeout=*) timeout=${arg#vg.timeout=} ;;
	vg.test_timeout=*) test_timeout=${arg#vg.test_timeout=} ;;
	vg.noload|vg.noload=1) noload=1 ;;
	vg.kmemleak=0) kmemleak=0 ;;
	esac
done
test_timeout=${test_timeout:-$timeout}
VG_KVER=$(uname -r)
VG_USER=vguser VG_UID=1000 VG_GID=1000
export VG_TEST VG_KVER VG_USER VG_UID VG_GID

# Results port.  raw: no \n -> \r\n translation in the host's file.
# Try the open in a subshell first: a failing "exec 3>" would end /init.
if [ -c /dev/ttyS1 ] && (exec 3>/dev/ttyS1) 2>/dev/null; then
	exec 3>/dev/ttyS1
	stty raw -echo <&3
else
	msg "no /dev/ttyS1: results go to the console"
	exec 3>/dev/console
fi
tap() { printf '%s\n' "$*" >&3; }

# Power off with CPU 0 alone online.  Otherwise stop_other_cpus() marks
# the others offline while a softirq may still wake a task queued on one:
# native_smp_send_reschedule() WARNs "Unexpected reschedule of offline
# CPU", a panic under panic_on_warn (5.10 debug kernel, once in about five
# runs, after every test had passed).  Hotplug moves the tasks first.
power_off() {
	for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
		[ -w "$c" ] && echo 0 >"$c" 2>/dev/null
	done
	msg "powering off with CPU $(cat /sys/devices/system/cpu/online 2>/dev/null) online"
	poweroff -f
}

# Watchdog: never hang, whatever a test does.  Dump blocked tasks first.
(
	exec 3>&-
	sleep "$timeout"
	echo "VG-BENCH-TIMEOUT after $timeout s: dumping blocked tasks" >/dev/kmsg
	echo 7 >/proc/sys/kernel/printk
	echo w >/proc/sysrq-trigger
	echo "VG-BENCH-TIMEOUT" >/dev/ttyS1
	power_off
) &
watchdog=$!

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# Heartbeat: a kernel line every 30 s, so that the host (boot.sh --silence)
# can tell a guest whose serial output stopped from one whose tests are
# quiet; and the magic SysRq keys on, so that it can then ask the kernel
# for its CPUs' and blocked tasks' stacks from the keyboard.
echo 1 >/proc/sys/kernel/sysrq
(
	exec 3>&-
	while sleep 30; do echo "<4>vg: alive at $(uptime_s) s" >/dev/kmsg; done
) &
msg "userspace at $(uptime_s) s, kernel $VG_KVER, guest budget $timeout s"

# --- bench section: modules, groups -------------------------------------
bench_rc=0 n=0
tap "# vg-begin bench"
ok() { n=$((n + 1)); tap "ok $n - $*"; }
notok() { n=$((n + 1)); tap "not ok $n - $*"; bench_rc=1; }
load() {
	if out=$(insmod "$@" 2>&1); then ok "insmod ${1##*/}"
	else notok "insmod ${1##*/}: $out"; fi
}
if [ -s /lib/modules/kernel/load-order ]; then
	while read -r m; do
		load "/lib/modules/kernel/$m"
	done </lib/modules/kernel/load-order
fi
VG_TEST_MODULES=
if [ -s /lib/modules/test/order ]; then
	while read -r m; do
		VG_TEST_MODULES="$VG_TEST_MODULES /lib/modules/test/$m"
		[ "$noload" = 1 ] || load "/lib/modules/test/$m"
	done </lib/modules/test/order
fi
VG_TEST_MODULES=${VG_TEST_MODULES# }
export VG_TEST_MODULES

ngroups=0
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g/devices" ] || continue
	ngroups=$((ngroups + 1))
	line="# iommu group ${g##*/}:"
	for d in "$g"/devices/*; do
		b=${d##*/}
		drv=-
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		line="$line $b [$(cat "$d/vendor"):$(cat "$d/device")] $drv;"
	done
	tap "$line"
	msg "${line#\# }"
done
if [ "$ngroups" -gt 0 ]; then ok "IOMMU groups present ($ngroups)"
else notok "no IOMMU groups (intel_iommu=on and -device intel-iommu?)"; fi
# Which notifier the module must use is a fact of this kernel, not of its
# version number (a distribution may backport the per-group notifier's
# removal): the running kernel says whether it has one.  Found once here,
# for the host (this line) and for the tests (VG_KERNEL_NOTIFIER).
VG_KERNEL_NOTIFIER=
if ! [ -r /proc/kallsyms ]; then
	notok "kernel notifier: /proc/kallsyms is not readable"
elif grep -q ' iommu_group_register_notifier$' /proc/kallsyms; then
	VG_KERNEL_NOTIFIER=iommu-group
	tap "# kernel-notifier=iommu-group (iommu_group_register_notifier in /proc/kallsyms)"
else
	VG_KERNEL_NOTIFIER=bus
	tap "# kernel-notifier=bus (no iommu_group_register_notifier in /proc/kallsyms)"
fi
export VG_KERNEL_NOTIFIER
tap "1..$n"
tap "# vg-end bench rc=$bench_rc"

# --- tests --------------------------------------------------------------
rc=$bench_rc
run_one() {
	name=$1
	shift
	msg "test $name: start at $(uptime_s) s"
	tap "# vg-begin $name"
	(cd /payload && exec timeout -k 5 "$test_timeout" "$@") >&3 2>/dev/console </dev/null
	r=$?
	tap "# vg-end $name rc=$r"
	msg "test $name: rc=$r at $(uptime_s) s"
	[ $r -eq 0 ] || rc=1
}
selected() {
	[ -n "$VG_TEST" ] || return 0
	old_ifs=$IFS IFS=,
	for p in $VG_TEST; do
		# shellcheck disable=SC2254 # patterns are intended
		case $1 in $p) IFS=$old_ifs; return 0 ;; esac
	done
	IFS=$old_ifs
	return 1
}

if [ -f /payload/run-tests.sh ]; then
	old_ifs=$IFS IFS=,
	# shellcheck disable=SC2086 # split the names on commas
	set -- $VG_TEST
	IFS=$old_ifs
	run_one run-tests sh /payload/run-tests.sh "$@"
else
	ran=0
	for t in /payload/tests/*.sh; do
		[ -f "$t" ] || continue
		name=${t##*/}; name=${name%.sh}
		selected "$name" || continue
		ran=$((ran + 1))
		run_one "$name" sh "$t"
	done
	if [ $ran -eq 0 ]; then
		tap "# vg-begin select"
		if [ -n "$VG_TEST" ]; then tap "not ok 1 - no test matches '$VG_TEST'"; rc=1
		else tap "1..0 # SKIP no tests in /payload/tests"; fi
		tap "# vg-end select rc=$rc"
	fi
fi

# --- kmemleak (debug kernels) -------------------------------------------
if [ "$kmemleak" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	tap "# vg-begin kmemleak"
	# Unload the modules under test first (last loaded first), so that
	# whatever they leaked on unload is unreferenced by the scan.
	kn=0 krc=0 rev=
	for m in $VG_TEST_MODULES; do rev="$m $rev"; done
	for m in $rev; do
		mn=${m##*/}; mn=${mn%.ko}
		[ -d "/sys/module/$(echo "$mn" | tr - _)" ] || continue
		kn=$((kn + 1))
		if out=$(rmmod "$mn" 2>&1); then tap "ok $kn - rmmod $mn before the scan"
		else tap "not ok $kn - rmmod $mn before the scan: $out"; krc=1; fi
	done
	msg "kmemleak: scanning (twice, 5 s apart) at $(uptime_s) s"
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	# 5.10's SLUB leaks a new cache's kobject name when sysfs_slab_add()
	# fails (fixed in 5.12, "mm/slub: fix a memory leak in
	# sysfs_slab_add()"): faults.sh's fail-nth on load (vgsys) reaches it
	# through the module's kmem_cache_create().  Such objects -- vgsys's,
	# allocated under sysfs_slab_add() -- are counted apart, not as leaks.
	kl_count() {
		awk -v want="$1" '
		function done_obj() { if (inobj && ((vgsys && slab) == want)) n++ }
		/^unreferenced object/ { done_obj(); inobj = 1; vgsys = 0; slab = 0; next }
		/^  comm "vgsys",/ { vgsys = 1 }
		/sysfs_slab_add\+/ { slab = 1 }
		END { done_obj(); print n + 0 }' /sys/kernel/debug/kmemleak
	}
	leaks=$(kl_count 0)
	slub=$(kl_count 1)
	[ "$slub" -eq 0 ] || tap "# kmemleak: $slub objects of 5.10's sysfs_slab_add() error path (vgsys's injected faults) not counted"
	kn=$((kn + 1))
	if [ "$leaks" -eq 0 ]; then
		tap "ok $kn - kmemleak: no unreferenced objects"
	else
		cat /sys/kernel/debug/kmemleak
		tap "not ok $kn - kmemleak: $leaks unreferenced objects (see the console)"
		krc=1
	fi
	tap "1..$kn"
	tap "# vg-end kmemleak rc=$krc"
	[ $krc -eq 0 ] || rc=1
	msg "kmemleak: done at $(uptime_s) s"
fi

# --- done ---------------------------------------------------------------
msg "tests done at $(uptime_s) s"
kill "$watchdog" 2>/dev/null
kill -TERM -1 2>/dev/null
sleep 0.1
kill -KILL -1 2>/dev/null
tap "VG-BENCH-DONE rc=$rc"
# Last close of the port waits until the UART has sent everything.
exec 3>&-
echo "VG-BENCH-DONE rc=$rc" >/dev/kmsg
power_off
