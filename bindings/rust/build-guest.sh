#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build the Rust programs the VM guest runs (tests/vm/guest/bindings.sh):
# vfiogroup-rust-check (crate vfiogroup-vmcheck) and the launch example,
# offline and in release mode, with Debian's rustc and cargo and the
# packaged libc crate, as test.sh does; then copy them to
# OUTDIR/vfiogroup-rust-check and OUTDIR/vfiogroup-launch.
#
# Usage: build-guest.sh OUTDIR BUILDDIR
#
# They link the libvfiogroup.so.1 of the configured and built tree
# BUILDDIR (BUILDDIR/libvfiogroup/.libs) dynamically, with no rpath: the
# initramfs builder finds it with ldd given --lib-path
# BUILDDIR/libvfiogroup/.libs.  Environment: CARGO, RUSTC (default
# Debian's, in /usr/bin), CARGO_REGISTRY (default /usr/share/cargo/registry).
# Exit status: 0 built, 1 failed, 77 toolchain, libc crate or library
# missing.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: build-guest.sh OUTDIR BUILDDIR" >&2
	exit 1
fi
out=$1
build=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cargo-offline.sh source-path=SCRIPTDIR
. "$here/cargo-offline.sh"
cargo=${CARGO:-$(pick cargo)}
rustc=${RUSTC:-$(pick rustc)}
if [ -z "$cargo" ] || [ -z "$rustc" ]; then
	echo "build-guest.sh: no cargo or rustc (apt-get install rustc cargo librust-libc-dev)" >&2
	exit 77
fi
need_libc_crate build-guest.sh
if [ ! -d "$build" ]; then
	echo "build-guest.sh: no build directory $build (configure and make first)" >&2
	exit 77
fi
libdir=$(cd "$build" && pwd)/libvfiogroup/.libs
if [ ! -e "$libdir/libvfiogroup.so" ]; then
	echo "build-guest.sh: no libvfiogroup.so in $libdir (run make first)" >&2
	exit 77
fi
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
cargo_offline_setup "$work" || exit 1
export CARGO_HOME="$work/home" CARGO_TARGET_DIR="$work/target" RUSTC="$rustc"
export VFIOGROUP_LIB_DIR="$libdir" CARGO_PROFILE_RELEASE_STRIP=symbols
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS 2>/dev/null || true
cd "$work/src/bindings/rust"
if ! "$cargo" build --release -p vfiogroup-vmcheck --bin vfiogroup-rust-check ||
	! "$cargo" build --release -p vfiogroup --example launch; then
	echo "build-guest.sh: FAIL (cargo build)" >&2
	exit 1
fi
rel=$CARGO_TARGET_DIR/release
for f in "$rel/vfiogroup-rust-check" "$rel/examples/launch"; do
	if [ ! -x "$f" ]; then
		echo "build-guest.sh: $f not built" >&2
		exit 1
	fi
	# No rpath or runpath: the library is found where the guest installs it.
	if command -v readelf >/dev/null 2>&1 &&
		readelf -d "$f" | grep -Eq '\((RPATH|RUNPATH)\)'; then
		echo "build-guest.sh: $f has an rpath:" >&2
		readelf -d "$f" | grep -E '\((RPATH|RUNPATH)\)' >&2
		exit 1
	fi
done
cp "$rel/vfiogroup-rust-check" "$out/vfiogroup-rust-check" &&
	cp "$rel/examples/launch" "$out/vfiogroup-launch" || exit 1
echo "build-guest.sh: $out/vfiogroup-rust-check, $out/vfiogroup-launch (libvfiogroup of $libdir)"
