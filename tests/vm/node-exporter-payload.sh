#!/bin/bash
# node-exporter-payload.sh OUTDIR
#
# The guest payload of the "hooks-metrics" section
# (tests/vm/guest/hooks-metrics.sh): Debian's own node_exporter (the
# host's prometheus-node-exporter, installed by tests/install-deps.sh) as
# the reader of vfiogroup-hooks' textfile.  OUTDIR becomes
# /payload/node-exporter in the guest:
#
#   bin/prometheus-node-exporter
#
# Its shared libraries come from mkinitramfs.sh (ldd).  Run by
# run-suite.sh once per run, only when the section is selected; without
# it the section skips, saying why.
set -euo pipefail

die() { echo "node-exporter-payload: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1
ne=/usr/bin/prometheus-node-exporter
[ -x "$ne" ] || die "no $ne (apt-get install prometheus-node-exporter, or tests/install-deps.sh)"
rm -rf "$out"
mkdir -p "$out/bin"
cp "$ne" "$out/bin/"
# It must at least start here: --version exercises the Go runtime.
version=$("$out/bin/prometheus-node-exporter" --version 2>&1 | sed -n '1s/.*version \([^ ]*\).*/\1/p')
[ -n "$version" ] || die "the copied $ne does not say its version"
echo "node-exporter-payload: $out: prometheus-node-exporter $version ($(du -sk "$out" | cut -f1) KiB)"
