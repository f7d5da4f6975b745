#!/bin/sh
# Installs what building and testing vfiogroup needs on Debian 12.
# Does nothing when everything is there already; needs root otherwise.
#
#   tests/install-deps.sh           everything tests/run-all.sh uses
#   tests/install-deps.sh --demo    only what tests/vm/demo.sh uses: the
#                                   build, qemu and the initramfs tools
set -eu

case ${1:-} in
'') mode=all ;;
--demo) mode=demo ;;
*) echo "usage: $0 [--demo]" >&2; exit 2 ;;
esac

# The demo's packages, and the rest of what the whole suite uses.
pkgs="autoconf automake libtool pkg-config make gcc libnl-3-dev
libnl-genl-3-dev linux-headers-amd64 qemu-system-x86 busybox-static cpio
xz-utils zstd kmod"
[ "$mode" = demo ] || pkgs="$pkgs check valgrind sparse linux-source-6.1
linux-source-6.12 python3-jsonschema python3 python3-yaml shellcheck
debootstrap clang libclang-rt-14-dev gcc-aarch64-linux-gnu golang-go
golang-github-mdlayher-genetlink-dev rustc cargo librust-libc-dev rust-clippy
gnuplot-nox prometheus-node-exporter"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing" >&2
	echo "install-deps: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# linux-source-6.12 (YNL and checkpatch) is in bookworm-security only, which
# a Debian install has and a bare debootstrap does not: add it then.
if [ "$mode" = all ] && ! apt-cache policy linux-source-6.12 | grep -q 'Candidate: [0-9]'; then
	# the mirror of the configured Debian archive, deb822 or one-line format
	mirror=$("$(dirname "$0")/vm/debian-mirror.sh") && mirror=${mirror%/debian}
	if [ -z "$mirror" ]; then
		echo "install-deps: linux-source-6.12 needs bookworm-security, and no Debian mirror was found to add it from" >&2
		exit 1
	fi
	echo "deb $mirror/debian-security bookworm-security main" \
		>/etc/apt/sources.list.d/vfiogroup-bookworm-security.list
	echo "install-deps: added bookworm-security (for linux-source-6.12) in /etc/apt/sources.list.d/vfiogroup-bookworm-security.list"
	apt-get update -qq
fi
# The progress shows (a fresh machine takes minutes here): apt's own lines
# for what it fetches and sets up, and the time at the end.
t0=$(date +%s)
rcfile=$(mktemp)
# shellcheck disable=SC2086
{ apt-get install -y -q --no-install-recommends $missing 2>&1; echo $? >"$rcfile"; } |
	grep --line-buffered -E '^(Get:|Setting up |Fetched |E: |W: )' | sed -u 's/^/install-deps: /'
rc=$(cat "$rcfile")
rm -f "$rcfile"
if [ "$rc" != 0 ]; then
	echo "install-deps: apt-get install failed (rc=$rc) after $(($(date +%s) - t0)) s" >&2
	exit 1
fi
echo "install-deps: done in $(($(date +%s) - t0)) s"
