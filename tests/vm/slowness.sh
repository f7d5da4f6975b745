#!/bin/bash
# Prints how much slower than an idle core this host runs a CPU-bound
# process right now: wall time over CPU time of a fixed shell loop, as a
# factor from 1.0 (a core to itself) to 4.0 (capped).  A TCG guest is such
# a process, so run-suite.sh stretches its time budgets by this factor: a
# loaded machine gives a slower run, not a red one.
#
#   tests/vm/slowness.sh [--samples N]     (default 3, about 0.2 s CPU each)
#
# VG_SLOWNESS=F overrides the measurement (F is printed as given).
set -euo pipefail

samples=3
[ "${1:-}" = --samples ] && samples=$2
case $samples in '' | *[!0-9]* | 0) echo "slowness.sh: --samples wants a positive number" >&2; exit 2 ;; esac

if [ -n "${VG_SLOWNESS:-}" ]; then
	echo "$VG_SLOWNESS"
	exit 0
fi

# One sample: "real cpu" in seconds for the same loop.  The loop is sized
# for about 0.2 s of CPU on the development machines; the ratio does not
# depend on the size.
sample() {
	local TIMEFORMAT='%R %U %S' t
	t=$( { time { i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done; }; } 2>&1)
	echo "$t"
}

# The median of the samples: one unlucky moment neither stretches nor
# shortens a run.
for _ in $(seq "$samples"); do sample; done |
	awk '{ cpu = $2 + $3; if (cpu <= 0) cpu = 0.001; r = $1 / cpu
	       if (r < 1) r = 1; if (r > 4) r = 4; printf "%.1f\n", r }' |
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
