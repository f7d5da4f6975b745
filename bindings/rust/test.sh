#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build, lint and test the Rust crates offline, with Debian's rustc (1.63)
# and cargo and the packaged libc crate (librust-libc-dev, under
# /usr/share/cargo/registry).  Nothing is downloaded: a throw-away
# CARGO_HOME points crates-io at that directory and sets net.offline.
# The crates are built from a copy in a temporary directory, so that the
# Cargo.lock cargo writes (which would name the public registry's index,
# and is not committed for that reason) and target/ never land in the
# source tree, which is read-only under make distcheck.
#
# Usage: test.sh [BUILDDIR]: the tests link the libvfiogroup built in
# BUILDDIR/libvfiogroup/.libs ($VFIOGROUP_LIB_DIR if set; else the one
# pkg-config finds).  Environment: CARGO, RUSTC, RUSTDOC (default
# Debian's, in /usr/bin, ahead of any rustup in PATH), CARGO_REGISTRY (default
# /usr/share/cargo/registry).  Exit status: 0 passed, 1 failed, 77 the
# toolchain, libc crate or library is missing (automake's "skipped").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cargo-offline.sh source-path=SCRIPTDIR
. "$here/cargo-offline.sh"
cargo=${CARGO:-$(pick cargo)}
rustc=${RUSTC:-$(pick rustc)}
rustdoc=${RUSTDOC:-$(pick rustdoc)}
if [ -z "$cargo" ] || [ -z "$rustc" ] || [ -z "$rustdoc" ]; then
	echo "test.sh: no cargo or rustc (apt-get install rustc cargo librust-libc-dev)" >&2
	exit 77
fi
need_libc_crate test.sh

if [ -n "${1:-}" ] && [ -z "${VFIOGROUP_LIB_DIR:-}" ]; then
	if [ ! -d "$1" ]; then
		echo "test.sh: no build directory $1 (configure and make first)" >&2
		exit 77
	fi
	VFIOGROUP_LIB_DIR=$(cd "$1" && pwd)/libvfiogroup/.libs
fi
if [ -n "${VFIOGROUP_LIB_DIR:-}" ]; then
	if [ ! -e "$VFIOGROUP_LIB_DIR/libvfiogroup.so" ]; then
		echo "test.sh: no libvfiogroup.so in $VFIOGROUP_LIB_DIR (run make first)" >&2
		exit 77
	fi
	export VFIOGROUP_LIB_DIR
	LD_LIBRARY_PATH=$VFIOGROUP_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
elif ! pkg-config --exists libvfiogroup 2>/dev/null; then
	echo "test.sh: libvfiogroup not found: give the build directory (test.sh BUILDDIR)" >&2
	exit 77
fi

# The crates' versions are the project's.
version=$(sed -n 's/^AC_INIT(\[vfiogroup\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
status=0
for toml in "$here"/vfiogroup-sys/Cargo.toml "$here"/vfiogroup/Cargo.toml \
	"$here"/vfiogroup-vmcheck/Cargo.toml; do
	if ! grep -qx "version = \"$version\"" "$toml"; then
		echo "test.sh: $toml: version is not $version (configure.ac)" >&2
		status=1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

cargo_offline_setup "$work" || exit 1
export CARGO_HOME="$work/home" CARGO_TARGET_DIR="$work/target" RUSTC="$rustc" RUSTDOC="$rustdoc"
# cargo's own tools (clippy-driver) from cargo's directory, not rustup's.
PATH=$(dirname "$cargo"):$PATH
cd "$work/src/bindings/rust"

# Tests and lint only of what builds: one compiler error, said once.
if ! "$cargo" build --workspace --all-targets; then
	echo "test.sh: FAIL (build)" >&2
	exit 1
fi
"$cargo" test --workspace || status=1

# The example's exit statuses, those `vfiogroup wait` gives, where the
# module is absent (as on any host these tests run on).
expect() {	# $1: status wanted; the rest: launch's arguments
	want=$1
	shift
	rc=0
	"$CARGO_TARGET_DIR/debug/examples/launch" "$@" 2>"$work/launch.err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "test.sh: launch $*: exit $rc, not $want:" >&2
		cat "$work/launch.err" >&2
		status=1
	fi
}
if [ ! -e /sys/module/vfiogroup ]; then
	expect 1 0000:01:00.0 -- true
	expect 2 --wait-module --timeout 0.1 0000:01:00.0 -- true
	if ! grep -q 'not ready after 0.100s: not seen yet' "$work/launch.err"; then
		echo "test.sh: launch's timeout message:" >&2
		cat "$work/launch.err" >&2
		status=1
	fi
	expect 1 --timeout x 0000:01:00.0 -- true
	expect 1 0000:01:00.0
else
	echo "test.sh: the vfiogroup module is loaded here: launch's statuses not checked"
fi
# Lint where Debian's clippy (rust-clippy) is installed next to cargo.
if [ -x "$(dirname "$cargo")/cargo-clippy" ]; then
	"$cargo" clippy --workspace --all-targets -- -D warnings || status=1
else
	echo "test.sh: no cargo-clippy next to $cargo: lint skipped (apt-get install rust-clippy)"
fi
if [ $status = 0 ]; then echo "test.sh: PASS"; else echo "test.sh: FAIL" >&2; fi
exit $status
