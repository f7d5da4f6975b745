#!/bin/sh
# check-console.sh LOG
#
# Fails (exit 1) when the guest console log LOG shows a kernel problem, and
# prints the offending lines (with line numbers).  Exit 2: LOG unreadable.
# Benign lines are ignored only through the IGNORE list below, each with the
# reason it is benign.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 LOG" >&2; exit 2; }
log=$1
[ -r "$log" ] || { echo "check-console: cannot read $log" >&2; exit 2; }

# Extended regular expressions, case-sensitive.
BAD='WARNING:'                                  # WARN*(), lockdep's own headers
BAD="$BAD|BUG:|kernel BUG at|BUG [a-z0-9_-]+ \(" # BUG(), KASAN, sleeping in atomic; SLUB "BUG kmalloc-64 (...)"
BAD="$BAD|Oops|general protection"
BAD="$BAD|lockdep|possible circular locking|INFO: possible|DEBUG_LOCKS_WARN_ON"
BAD="$BAD|KASAN|UBSAN"
BAD="$BAD|unreferenced object|suspected memory leak" # kmemleak
BAD="$BAD|Kernel panic|INFO: task .* blocked|soft lockup|hard LOCKUP|rcu: INFO|detected stalls?"
BAD="$BAD|list_add corruption|list_del corruption|refcount_t:|ODEBUG"
BAD="$BAD|Call Trace:"                          # any other backtrace
BAD="$BAD|VG-BENCH-TIMEOUT"                     # the guest's watchdog fired

# Known benign lines: one ERE per entry, each with its reason.
IGNORE=''
# (none so far: the 6.1 Debian and debug kernels boot clean with boot.sh's
# devices.  Add entries as  IGNORE="$IGNORE|regex"  # reason)
IGNORE=${IGNORE#|}

# The allocation-failure reports (warn_alloc(): a header naming the task,
# its stack, then show_mem()'s "Mem-Info:") of the tasks that inject faults
# on purpose, vgsys --fail-nth (load, sysfs write) and vgprobe --fail-nth
# (get, dump) in faults.sh: an injected failure the kernel reports is the
# expected outcome.  The task's name must be whole (after "] " or at the
# line's start), so that no other task ending in it slips through.  Only
# the lines of such a report
# that have a stack dump's shape are passed over; any other line among them,
# and any other task's report, still counts.  Line numbers are kept.
# The same for the stack kmem_cache_create() dumps when it fails to make
# one of the module's own caches, if the task it names on the next line
# (dump_stack()'s "Comm:") is one of those two: with -ENOMEM, or -EINVAL
# when SLUB registered the cache's kobject with the name it had failed to
# allocate (kobject_add_internal() refuses an empty name; 5.10 and 6.1).
numbered() {
	tr -d '\r' <"$log" | awk '
		/(^|[] ])(vgprobe|vgsys): (vmalloc error|page allocation failure):/ { left = 100; next }
		/(^|[] ])kmem_cache_create(_usercopy)?\(vfiogroup_(group|device)\) failed with error -(12|22)$/ { cache = 1; next }
		cache { cache = 0; if (/ Comm: (vgprobe|vgsys) /) left = 100 }
		left > 0 {
			left--
			if (/Mem-Info:|<\/TASK>/) left = 0
			l = $0
			sub(/^\[ *[0-9.]+\] */, "", l)
			if (l ~ /^(CPU: |Hardware name: |Call Trace:|<\/?TASK>|(\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[a-z0-9_]+\])?$|(RIP|RSP|RAX|RDX|RBP|R10|R13|Code): |cpuset=|Mem-Info:)/)
				next
		}
		{ print NR ":" $0 }'
}

hits=$(numbered | grep -E -e "$BAD" || true)
if [ -n "$IGNORE" ] && [ -n "$hits" ]; then
	hits=$(printf '%s\n' "$hits" | grep -v -E -e "$IGNORE" || true)
fi
if [ -n "$hits" ]; then
	echo "check-console: $log: kernel problems found:" >&2
	printf '%s\n' "$hits" | head -n 60 >&2
	n=$(printf '%s\n' "$hits" | wc -l)
	[ "$n" -le 60 ] || echo "check-console: ... $((n - 60)) more lines" >&2
	exit 1
fi
echo "check-console: $log: clean"
