# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2154 # here: set by the sourcing script
#
# Sourced by test.sh and build-guest.sh, right after they set $here
# (bindings/rust): sets top (the source tree) and registry (Debian's
# packaged crates, $CARGO_REGISTRY), and defines pick, need_libc_crate and
# cargo_offline_setup.

top=$(cd "$here/../.." && pwd)
registry=${CARGO_REGISTRY:-/usr/share/cargo/registry}

pick() {	# $1: /usr/bin name; the Debian binary first, then PATH's
	if [ -x "/usr/bin/$1" ]; then echo "/usr/bin/$1"; else command -v "$1" || true; fi
}

# need_libc_crate PROG: exit 77 (automake's "skipped") without Debian's libc crate
need_libc_crate() {
	if ! ls -d "$registry"/libc-0.2.* >/dev/null 2>&1; then
		echo "$1: no libc crate in $registry (apt-get install librust-libc-dev)" >&2
		exit 77
	fi
}

# cargo_offline_setup WORK: a copy
# of the crates in WORK/src that keeps the tree's shape (the tests read
# include/ and libvfiogroup/libvfiogroup.sym relative to the crates;
# Cargo.lock and target/ stay out of the tree), and in WORK/home a
# CARGO_HOME that takes Debian's packaged crates ($registry) offline.
cargo_offline_setup() {
	mkdir -p "$1/src/bindings" "$1/home" || return 1
	cp -R "$here" "$1/src/bindings/rust" || return 1
	rm -rf "$1/src/bindings/rust/target" "$1/src/bindings/rust/Cargo.lock"
	ln -s "$top/include" "$1/src/include"
	ln -s "$top/libvfiogroup" "$1/src/libvfiogroup"
	cat >"$1/home/config.toml" <<TOML
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "$registry"

[net]
offline = true

[build]
jobs = 2
TOML
}
