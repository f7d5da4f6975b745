#!/bin/bash
# table.sh RESULTS.TSV: the bench's figures as tables, one per job, the
# columns chosen here (tests/bench/run.sh writes the TSV: kernel, boot,
# job, what, key, value).  Columns a run did not print show "-".
set -euo pipefail

if [ $# -ne 1 ] || [ ! -f "$1" ]; then echo "usage: table.sh RESULTS.TSV" >&2; exit 2; fi
awk -F'\t' '
BEGIN {
	ntab = split("info latency wakeups storm bind scale memory burst skipped", tabs, " ")
	cols["info"] = "release short cpus module_bytes"
	cols["latency"] = "n median_us p90_us p99_us max_us ratio_median vs_uevent_median_us unbind_median_us bind_median_us cpu_us_per_event work_us_per_event instr_per_event"
	cols["wakeups"] = "group_events wakeups callbacks per_1000_events"
	cols["storm"] = "seconds transitions_per_s raw_per_s lib_per_s module_events raw_events raw_enobufs raw_gaps lib_callbacks lib_overruns lib_resyncs cache_equals_sysfs"
	cols["bind"] = "n median_us p90_us p99_us max_us"
	cols["scale"] = "groups devices dump_ms ctx_new_ms sysfs_walk_ms first_group first_unbind_us first_bind_us last_group last_unbind_us last_bind_us first_module_unbind_us first_module_bind_us last_module_unbind_us last_module_bind_us"
	cols["memory"] = "edu vfs groups devices module_bytes group_objs group_objsize group_slab_bytes_per_obj device_objs device_objsize device_slab_bytes_per_obj"
	cols["burst"] = "devices module_events raw_events raw_enobufs raw_gaps raw_done_ms lib_callbacks lib_resyncs lib_done_ms cache_equals_sysfs"
	cols["skipped"] = "edu reason"
}
NR > 1 {
	row = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4
	if (!(row in seen)) { seen[row] = 1; order[++nrows] = row }
	val[row, $5] = $6
}
END {
	for (t = 1; t <= ntab; t++) {
		job = tabs[t]
		nc = split("kernel boot what " cols[job], c, " ")
		n = 0
		for (r = 1; r <= nrows; r++) {
			split(order[r], k, SUBSEP)
			if (k[3] != job) continue
			n++
			cell[n, 1] = k[1]; cell[n, 2] = k[2]; cell[n, 3] = k[4]
			for (i = 4; i <= nc; i++)
				cell[n, i] = ((order[r], c[i]) in val) ? val[order[r], c[i]] : "-"
		}
		if (!n) continue
		for (i = 1; i <= nc; i++) w[i] = length(c[i])
		for (j = 1; j <= n; j++)
			for (i = 1; i <= nc; i++)
				if (length(cell[j, i]) > w[i]) w[i] = length(cell[j, i])
		printf "== %s\n", job
		# no padding after the last column: no trailing blanks
		for (i = 1; i < nc; i++) printf "%-*s  ", w[i], c[i]
		print c[nc]
		for (j = 1; j <= n; j++) {
			for (i = 1; i < nc; i++) printf "%-*s  ", w[i], cell[j, i]
			print cell[j, nc]
		}
		print ""
	}
}' "$1"
