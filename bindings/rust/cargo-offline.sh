# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh
#
# Sourced by test.sh and build-guest.sh.  cargo_offline_setup WORK: a copy
# of the crates in WORK/src that keeps the tree's shape (the tests read
# include/ and libvfiogroup/libvfiogroup.sym relative to the crates;
# Cargo.lock and target/ stay out of the tree), and in WORK/home a
# CARGO_HOME that takes Debian's packaged crates ($registry) offline.
# Needs $here (bindings/rust), $top (the source tree) and $registry.
# shellcheck disable=SC2154 # here, top, registry: set by the sourcing script
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
