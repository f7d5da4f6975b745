#!/bin/bash
# bindings-payload.sh OUTDIR BUILDDIR
#
# The guest payload of the "bindings" section (tests/vm/guest/bindings.sh):
# the Go package's and the Rust crate's test programs and examples, built
# offline with Debian's toolchains by bindings/go/build-guest.sh (static,
# pure Go) and bindings/rust/build-guest.sh (linked with BUILDDIR's
# libvfiogroup.so.1, which mkinitramfs.sh copies with the other libraries).
# OUTDIR becomes /payload in the guest:
#
#   bin/vfiogroup-go-check       bin/vfiogroup-device-plugin
#   bin/vfiogroup-rust-check     bin/vfiogroup-launch
#
# Run by run-suite.sh once per run, only when the section is selected;
# without a program the section fails in the guest, saying why.  Exit 1
# when either build failed (both are tried).
set -euo pipefail

[ $# -eq 2 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1 build=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out/bin"
rc=0
"$top/bindings/go/build-guest.sh" "$out/bin" || { echo "bindings-payload: error: bindings/go/build-guest.sh failed (rc=$?)" >&2; rc=1; }
"$top/bindings/rust/build-guest.sh" "$out/bin" "$build" || { echo "bindings-payload: error: bindings/rust/build-guest.sh failed (rc=$?)" >&2; rc=1; }
echo "bindings-payload: $out: $(cd "$out/bin" && echo *) ($(du -sk "$out" | cut -f1) KiB)"
exit "$rc"
