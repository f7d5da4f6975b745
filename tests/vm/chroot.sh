#!/bin/bash
# chroot.sh prepare [PKG...]
# chroot.sh run [--bind HOSTDIR:DIR]... [--] CMD [ARGS...]
# chroot.sh pack
#
# A Debian sid build chroot for kernels the host cannot build modules for
# (6.12, 7.x: their headers need a newer gcc and glibc than Debian 12's; see
# ../shared/KERNELS.md).  One chroot serves every such kernel: the
# kernels' header packages are dpkg -x'ed into it by build-module.sh, and the
# compilers they ask for are installed with "prepare".
#
#   $VFIOGROUP_CACHE/chroot/sid/          the chroot (default cache
#                                         /var/cache/vfiogroup)
#   $VFIOGROUP_CACHE/chroot/sid.tar.zst   the same packed (no apt lists, no
#                                         kernel headers): restored in seconds
#                                         when the directory is missing
#
# prepare   makes sure the chroot exists (restore the tar, else debootstrap
#           --variant=minbase sid plus make, gcc, pkgconf, libnl: a few
#           minutes) and that PKG... are installed in it (apt-get inside, then
#           the tar is packed again); prints the chroot's directory.
# run       runs CMD in the chroot in a private mount namespace with /proc,
#           /dev and the --bind directories mounted (nothing leaks out; the
#           mounts go away with the command).  Environment: PATH, HOME,
#           LANG=C.UTF-8 only.
# pack      writes the tar again from the directory.
#
# The mirror is read from the host's apt sources at run time (debian-mirror.sh).
# Needs root and debootstrap (tests/install-deps.sh installs it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
suite=sid
dir=$cache/chroot
root=$dir/$suite
tarball=$dir/$suite.tar.zst
base_pkgs="make gcc libc6-dev pkgconf libnl-3-dev libnl-genl-3-dev perl dwarves"

say() { echo "chroot: $*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[ $# -ge 1 ] || usage
cmd=$1
shift

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
mkdir -p "$dir"

# Inside the chroot, in a private mount namespace.  $1: bind specs "H:G"
# separated by newlines; then the command.
in_chroot() {
	local binds=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- /bin/bash -euc '
		root=$1 binds=$2
		shift 2
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		while IFS= read -r b; do
			[ -n "$b" ] || continue
			mkdir -p "$root${b#*:}"
			mount --bind "${b%%:*}" "$root${b#*:}"
		done <<<"$binds"
		exec chroot "$root" /usr/bin/env -i \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' in-chroot "$root" "$binds" "$@"
}

pack() {
	local t0=$SECONDS
	# No apt lists or downloaded debs (apt-get update again when needed), no
	# kernel headers (build-module.sh unpacks them per kernel).
	tar -C "$root" --numeric-owner -cf - \
		--exclude=./proc/* --exclude=./dev/* --exclude=./sys/* --exclude=./tmp/* \
		--exclude=./var/lib/apt/lists/* --exclude=./var/cache/apt/* \
		--exclude='./usr/src/linux-headers-*' --exclude='./usr/src/.vg-*' \
		--exclude='./usr/lib/linux-kbuild-*' --exclude='./usr/lib/modules/*' \
		--exclude=./src/* --exclude=./build/* . |
		zstd -q -T0 -6 -o "$tarball.tmp" -f
	mv -f "$tarball.tmp" "$tarball"
	say "packed $tarball ($(du -h "$tarball" | cut -f1), $((SECONDS - t0)) s)"
}

# apt-get in the chroot; its output goes to chroot/apt.log (shown on failure).
apt_in() {
	in_chroot '' apt-get -q -o Acquire::Check-Valid-Until=false "$@" >>"$dir/apt.log" 2>&1 ||
		{ tail -n 20 "$dir/apt.log" >&2; die "apt-get $* failed in the chroot (log: $dir/apt.log)"; }
}

create() {
	local t0=$SECONDS uri tmp
	: >"$dir/apt.log"
	if [ -s "$tarball" ]; then
		tmp=$(mktemp -d "$dir/.restore.XXXXXX")
		if zstd -q -dc "$tarball" | tar -C "$tmp" --numeric-owner -xf -; then
			rm -rf "$root"
			mv "$tmp" "$root"
			say "restored $root from $tarball in $((SECONDS - t0)) s"
			return 0
		fi
		rm -rf "$tmp"
		say "warning: $tarball does not unpack: building the chroot again"
	fi
	command -v debootstrap >/dev/null || die "no debootstrap (apt-get install debootstrap)"
	uri=$("$here/debian-mirror.sh") || die "no Debian mirror in /etc/apt/sources.list or sources.list.d"
	tmp=$dir/.new-$suite
	rm -rf "$tmp"
	say "debootstrap --variant=minbase $suite (a few minutes)"
	debootstrap --variant=minbase "$suite" "$tmp" "$uri" >"$dir/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$dir/debootstrap.log" >&2; die "debootstrap failed (log: $dir/debootstrap.log)"; }
	local t1=$SECONDS
	# sid's Release file on the mirror may have expired.
	echo 'Acquire::Check-Valid-Until "false";' >"$tmp/etc/apt/apt.conf.d/99vfiogroup"
	rm -rf "$root"
	mv "$tmp" "$root"
	apt_in update
	# shellcheck disable=SC2086 # a list of package names
	apt_in install -y --no-install-recommends $base_pkgs
	apt_in clean
	say "built $root: debootstrap $((t1 - t0)) s, packages $((SECONDS - t1)) s"
	need_pack=1
}

have_pkgs() {
	local p
	for p in "$@"; do
		# shellcheck disable=SC2016 # a dpkg-query format
		in_chroot '' dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || return 1
	done
}

case $cmd in
prepare)
	exec 9>"$dir/.lock-$suite"
	flock 9
	need_pack=0
	[ -x "$root/usr/bin/make" ] || create
	if [ $# -gt 0 ] && ! have_pkgs "$@"; then
		t0=$SECONDS
		apt_in update
		apt_in install -y --no-install-recommends "$@"
		apt_in clean
		say "installed $* in the chroot in $((SECONDS - t0)) s"
		need_pack=1
	fi
	[ "$need_pack" = 0 ] || pack
	echo "$root"
	;;
run)
	binds=''
	while [ $# -gt 0 ]; do
		case $1 in
		--bind) binds="$binds$2"$'\n'; shift 2 ;;
		--) shift; break ;;
		*) break ;;
		esac
	done
	[ $# -gt 0 ] || usage
	[ -x "$root/usr/bin/make" ] || die "no chroot in $root: run '$0 prepare' first"
	in_chroot "$binds" "$@"
	;;
pack)
	exec 9>"$dir/.lock-$suite"
	flock 9
	pack
	;;
*) usage ;;
esac
