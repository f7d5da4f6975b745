#!/bin/bash
# qemu-payload.sh OUTDIR
#
# The guest payload of the "qemu" section (tests/vm/guest/qemu-oracle.sh):
# Debian's own qemu-system-x86_64 (the host's, /usr/bin) as the oracle of
# what a VMM makes of a VFIO group.  OUTDIR becomes /payload/qemu in the
# guest, laid out as QEMU looks for its files relative to its binary, so
# that it needs no -L and no environment:
#
#   bin/qemu-system-x86_64                  the host's binary
#   lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
#                                           TCG, a loadable module in Debian
#   share/qemu/bios-256k.bin                q35's firmware (seabios), which
#   share/qemu/kvmvapic.bin                 QEMU loads at machine init even
#                                           with -S; nothing else: the oracle
#                                           runs -nodefaults -display none and
#                                           vfio-pci,rombar=0 (no option ROM)
#
# The shared libraries come from mkinitramfs.sh (ldd of every ELF file in
# the payload).  The copy is then started on the host, paused and
# daemonized as the guest starts it, with the host's QEMU data and module
# directories hidden (a private mount namespace, when run as root): it must
# come up, or the build fails.
#
# Run by run-suite.sh once per run (kernel-independent).  Needs
# qemu-system-x86 (and so seabios).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu-selftest.sh source-path=SCRIPTDIR
. "$here/qemu-selftest.sh"

die() { echo "qemu-payload: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1

qemu=/usr/bin/qemu-system-x86_64
moddir=/usr/lib/x86_64-linux-gnu/qemu
[ -x "$qemu" ] || die "no $qemu (apt install qemu-system-x86)"
[ -f "$moddir/accel-tcg-x86_64.so" ] || die "no $moddir/accel-tcg-x86_64.so (qemu-system-x86)"

# find_fw NAME: the file QEMU would load (its firmware path on Debian).
find_fw() {
	local d
	for d in /usr/share/qemu /usr/share/seabios; do
		[ ! -e "$d/$1" ] || { readlink -f "$d/$1"; return 0; }
	done
	die "no $1 in /usr/share/qemu or /usr/share/seabios (apt install seabios)"
}

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib/x86_64-linux-gnu/qemu" "$out/share/qemu"
cp "$qemu" "$out/bin/"
cp "$moddir/accel-tcg-x86_64.so" "$out/lib/x86_64-linux-gnu/qemu/"
for f in bios-256k.bin kvmvapic.bin; do
	cp "$(find_fw "$f")" "$out/share/qemu/$f"
done

# --- self-test: the copy comes up paused with nothing but its own files ---
qemu_selftest "$out/bin/qemu-system-x86_64" || die "the copied QEMU did not come up paused"

version=$("$out/bin/qemu-system-x86_64" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
echo "qemu-payload: $out: qemu-system-x86_64 $version, TCG module, bios-256k.bin, kvmvapic.bin" \
	"($(du -sk "$out" | cut -f1) KiB; self-test passed, $QEMU_SELFTEST_HOW)"
