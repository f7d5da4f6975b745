#!/bin/sh
# Installs what building and testing vfiogroup needs on Debian 12.
# Does nothing when everything is there already; needs root otherwise.
set -eu

pkgs="autoconf automake libtool pkg-config make gcc libnl-3-dev
libnl-genl-3-dev check valgrind sparse linux-headers-amd64 linux-source-6.1
qemu-system-x86 busybox-static cpio xz-utils zstd python3 python3-yaml
shellcheck debootstrap kmod clang libclang-rt-14-dev gcc-aarch64-linux-gnu"

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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
