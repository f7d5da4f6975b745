#!/bin/bash
# plot.sh RESULTS.TSV OUTDIR: the bench's SVG plots with gnuplot
# (tests/bench/run.sh calls it):
#   latency.svg  per kernel, driver and path: median, p90, p99 and max of
#                the time from the sysfs write to the receipt (log scale)
#   scale.svg    dump, vfiogroup_ctx_new() and sysfs walk time against
#                the number of groups
#   storm.svg    transitions/s made and events/s delivered, raw and library
set -euo pipefail

if [ $# -ne 2 ] || [ ! -f "$1" ]; then echo "usage: plot.sh RESULTS.TSV OUTDIR" >&2; exit 2; fi
tsv=$1 out=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# pick JOB KEY...: one line per (kernel, boot, what) of JOB, "label v1 v2 ..."
pick() {
	local job=$1
	shift
	awk -F'\t' -v job="$job" -v keys="$*" '
	NR > 1 && $3 == job {
		row = $1 " " $4
		if (job == "scale") row = $1 " " $2
		if (!(row in seen)) { seen[row] = 1; order[++n] = row }
		val[row, $5] = $6
	}
	END {
		nk = split(keys, k, " ")
		for (r = 1; r <= n; r++) {
			line = order[r]
			gsub(" ", ":", line)
			for (i = 1; i <= nk; i++) line = line " " (((order[r], k[i]) in val) ? val[order[r], k[i]] : "NaN")
			print line
		}
	}' "$tsv"
}

pick latency median_us p90_us p99_us max_us >"$tmp/latency.dat"
pick scale groups dump_ms ctx_new_ms sysfs_walk_ms | sort -t' ' -k2,2n >"$tmp/scale.dat"
pick storm transitions_per_s raw_per_s lib_per_s >"$tmp/storm.dat"

if [ -s "$tmp/latency.dat" ]; then
	gnuplot <<GP
set terminal svg size 900,500 dynamic font "sans,11"
set output "$out/latency.svg"
set termoption noenhanced
set bmargin 10
set title "Time from the sysfs write to the receipt (kernel:driver/path)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "µs (log)"
set xtics rotate by 45 right
set key top right
plot "$tmp/latency.dat" using 2:xtic(1) title "median", '' using 3 title "p90", '' using 4 title "p99", '' using 5 title "max"
GP
fi
if [ -s "$tmp/scale.dat" ]; then
	gnuplot <<GP
set terminal svg size 800,500 dynamic font "sans,11"
set output "$out/scale.svg"
set termoption noenhanced
set title "Learning every group's state against the number of groups (medians)"
set xlabel "IOMMU groups"
set ylabel "ms"
set key top left
plot "$tmp/scale.dat" using 2:3 with linespoints title "raw dump", '' using 2:4 with linespoints title "vfiogroup_ctx_new()", '' using 2:5 with linespoints title "sysfs walk"
GP
fi
if [ -s "$tmp/storm.dat" ]; then
	gnuplot <<GP
set terminal svg size 700,450 dynamic font "sans,11"
set output "$out/storm.svg"
set termoption noenhanced
set title "Storm: a tight unbind/bind loop (kernel:driver)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "per second"
set yrange [0:*]
set key top left
plot "$tmp/storm.dat" using 2:xtic(1) title "transitions made", '' using 3 title "events to raw listener", '' using 4 title "events to library callbacks"
GP
fi
for f in "$out"/*.svg; do
	[ ! -e "$f" ] || echo "plot: $f" >&2
done
