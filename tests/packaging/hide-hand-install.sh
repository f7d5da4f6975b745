#!/bin/bash
# Hides a vfiogroup installed by hand (hand-install.sh finds it) from the
# package test, in the mount namespace it runs in and nowhere else: /usr/local
# and each /lib/modules/KVER/{updates,extra} holding the module get an overlay with its
# upper layer on a private tmpfs, and the hand install's files are removed
# there.  The real files are never touched.  Run it only inside a mount
# namespace of the test's own (unshare --mount --propagation private): in
# the host's namespace it would hide them from everyone, so it refuses.
#
#   tests/packaging/hide-hand-install.sh SCRATCH   (an empty directory for the tmpfs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ "$(readlink /proc/self/ns/mnt)" != "$(readlink /proc/1/ns/mnt)" ] || {
	echo "hide-hand-install.sh: not in a mount namespace of its own; refusing" >&2
	exit 2
}
mapfile -t files < <("$here/hand-install.sh" --list || true)
[ ${#files[@]} -gt 0 ] || exit 0

scratch=${1:?usage: hide-hand-install.sh SCRATCH}
mkdir -p "$scratch"
mount -t tmpfs vfiogroup-hide "$scratch"
# One overlay per top: /usr/local, or the module's directory (DKMS's
# updates/dkms below it stays visible, and what DKMS installs there during
# the test lands in the overlay and goes with it).
declare -A tops=()
for f in "${files[@]}"; do
	case $f in
	/usr/local/*) tops[/usr/local]=1 ;;
	/lib/modules/*/updates/* | /lib/modules/*/extra/*) tops[${f%/*}]=1 ;;
	esac
done
n=0
for top in "${!tops[@]}"; do
	n=$((n + 1))
	mkdir "$scratch/u$n" "$scratch/w$n"
	mount -t overlay vfiogroup-hide \
		-o "lowerdir=$top,upperdir=$scratch/u$n,workdir=$scratch/w$n" "$top"
done
rm -f "${files[@]}"
echo "hidden from this test (the files themselves are untouched):"
printf '  %s\n' "${files[@]}"
