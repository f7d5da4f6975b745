#!/bin/sh
# test-check-console.sh: check-console.sh against crafted console logs.
#
# The bench trusts check-console.sh to fail a run on any kernel problem; the
# one thing it passes over, the allocation-failure reports (and failed
# kmem_cache_create() reports) that the
# injected faults of vgsys (load, write) and vgprobe (get, dump) cause, must
# not become a hole.  Runs on the host, no
# VM (make check).
set -u

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 fail=0

# expect WANT NAME: check-console.sh on $log must exit WANT
log=$tmp/log
expect() {
	n=$((n + 1))
	"$here/check-console.sh" "$tmp/log" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$1" ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2 (exit $rc, want $1)"
		sed 's/^/#   /' "$tmp/out"
		fail=1
	fi
}

# A warn_alloc() report as 6.1 prints it (stack inside <TASK>), for COMM.
report61() {
	cat <<EOF
[ 1185.654175] $1: vmalloc error: size 8192, vm_struct allocation failed, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0
[ 1185.662331] CPU: 1 PID: 6177 Comm: $1 Tainted: G           O     N 6.1.192-vfiogroup-debug #3
[ 1185.662769] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[ 1185.662882] Call Trace:
[ 1185.662882]  <TASK>
[ 1185.662882]  dump_stack_lvl+0x4c/0x63
[ 1185.662882]  warn_alloc.cold+0x95/0x19a
[ 1185.662882]  ? lockdep_hardirqs_on_prepare+0x277/0x3e0
[ 1185.662882]  kasan_alloc_module_shadow+0x77/0xf0
[ 1185.662882]  do_syscall_64+0x34/0x90
[ 1185.662882]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8
[ 1185.662882] RIP: 0033:0x7ff6b9ba9829
[ 1185.662882] Code: 08 89 e8 5b 5d c3 66 2e 0f 1f 84 00 00 00 00 00 90 48 89 f8
[ 1185.662882] RSP: 002b:00007fff479d8b18 EFLAGS: 00000206 ORIG_RAX: 0000000000000139
[ 1185.662882] RAX: ffffffffffffffda RBX: 0000000000000004 RCX: 00007ff6b9ba9829
[ 1185.662882] RDX: 0000000000000000 RSI: 000055ad8f9c01fc RDI: 0000000000000004
[ 1185.662882] RBP: 000055ad8f9c01fc R08: 0000000000000075 R09: 0000000000000000
[ 1185.662882] R10: 0000000000000000 R11: 0000000000000206 R12: 00007fff479d8d38
[ 1185.662882] R13: 0000000000000001 R14: 000055ad8f9c0626 R15: 00007ff6b9ce9020
[ 1185.662882]  </TASK>
[ 1185.685407] Mem-Info:
[ 1185.686537] active_anon:1124 inactive_anon:304 isolated_anon:0
EOF
}

# The same as 5.10 prints it: no <TASK>, frames without "? ".
report510() {
	cat <<EOF
[  611.100000] $1: page allocation failure: order:0, mode:0xcc0(GFP_KERNEL), nodemask=(null),cpuset=/,mems_allowed=0
[  611.100100] CPU: 0 PID: 4242 Comm: $1 Tainted: G           O      5.10.223-vfiogroup-debug #1
[  611.100200] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  611.100300] Call Trace:
[  611.100400]  dump_stack+0x9a/0xcc
[  611.100500]  warn_alloc.cold+0x8d/0x155
[  611.100600]  load_module+0x1e33/0x8490
[  611.100700] Mem-Info:
EOF
}

# kmem_cache_create() failing for one of the module's caches, for COMM,
# with error ERRNO (default -12).
cache_report() {
	cat <<EOF
[  901.100000] kmem_cache_create_usercopy(vfiogroup_device) failed with error ${2:--12}
[  901.100100] CPU: 1 PID: 5151 Comm: $1 Tainted: G           O     N 6.1.192-vfiogroup-debug #3
[  901.100200] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  901.100300] Call Trace:
[  901.100300]  <TASK>
[  901.100300]  dump_stack_lvl+0x4c/0x63
[  901.100300]  kmem_cache_create_usercopy.cold+0x1a/0x2f
[  901.100300]  vg_state_init+0x3a/0x100 [vfiogroup]
[  901.100300]  do_one_initcall+0x9c/0x390
[  901.100300]  </TASK>
EOF
}

boot() {
	cat <<'EOF'
[    0.000000] Linux version 6.1.192-vfiogroup-debug
[    2.000000] vfiogroup: version 0.1.0, bus notifier
run-tests: faults: load probe 16
EOF
}

boot >"$log"; expect 0 "a clean boot"
{ boot; echo "[    3.000000] WARNING: CPU: 0 PID: 1 at kmod/group.c:42 vg_group_release+0x10/0x20"; } >"$log"
expect 1 "a WARNING"
for t in vgsys vgprobe; do
	{ boot; report61 $t; boot; } >"$log"; expect 0 "$t's allocation failure report (6.1 shape)"
	{ boot; report510 $t; boot; } >"$log"; expect 0 "$t's allocation failure report (5.10 shape)"
done
{ boot; cache_report vgsys; boot; } >"$log"; expect 0 "vgsys's kmem_cache_create failure report"
{ boot; cache_report vgsys -22; boot; } >"$log"; expect 0 "vgsys's kmem_cache_create failure report with -EINVAL"
{ boot; cache_report vgsys -5; boot; } >"$log"; expect 1 "vgsys's kmem_cache_create failure report with another error"
{ boot; cache_report insmod; } >"$log"; expect 1 "another task's kmem_cache_create failure report"
{ cache_report vgsys | sed 's/vfiogroup_device/kmalloc-64/'; } >"$log"
expect 1 "a failure report for a cache not the module's"
{ cache_report vgsys; echo "[  902.000000] Call Trace:"; } >"$log"
expect 1 "a backtrace right after vgsys's kmem_cache_create report"
{ boot; report61 insmod; } >"$log"; expect 1 "another task's allocation failure report"
{ boot; report61 vgns; } >"$log"; expect 1 "vgns's allocation failure report (it injects none)"
{ boot; report61 xvgsys; } >"$log"; expect 1 "the report of a task whose name ends in vgsys"
{ report61 vgsys | sed '8a\
[ 1185.662882] WARNING: CPU: 1 PID: 6177 at mm/vmalloc.c:1 x+0x1/0x2'; } >"$log"
expect 1 "a WARNING inside vgsys's report"
{ report61 vgprobe | sed '6a\
[ 1185.662882] BUG: KASAN: use-after-free in vg_nl_fill+0x1/0x2 [vfiogroup]'; } >"$log"
expect 1 "a KASAN report inside vgprobe's report"
{ report510 vgsys | sed '/Mem-Info/d'; i=0; while [ $i -lt 120 ]; do
	echo "[  612.000000] filler $i"; i=$((i + 1)); done
	echo "[  613.000000] Call Trace:"; } >"$log"
expect 1 "a backtrace long after a report that never reached Mem-Info"
{ report61 vgsys; echo "[ 1186.000000] Call Trace:"; } >"$log"
expect 1 "a backtrace right after vgsys's report"

echo "1..$n"
exit "$fail"
