# shellcheck shell=bash
# Sourced by build-module.sh and tests/style/cross-arm64.sh: what building
# the module against a Debian kernel's headers takes, apart from the build.
#
#   ensure_configure SRCDIR   autogen.sh when SRCDIR/configure is missing or
#                             stale; fails when SRCDIR is configured in place
#   fetch_headers DIR         the header packages of $kver ($suite, $version)
#                             into DIR; sets hdr_debs and needs
#   extract_into ROOT DEB...  dpkg -x, once per $kver
#   host_headers              the headers of $kver unpacked once for a
#                             build on the host; sets linux
#   copy_source SRCDIR DEST   the source tree minus VCS data and builds
#   kmod_build LOG WHAT ARGS  the module, W=1 -Werror, no warning allowed
#
# The caller defines say(), die() and run() (the command where the build
# runs: the host or the chroot) and sets suite, kver and version (the
# Debian version wanted, or empty for the candidate); hdr_arch=ARCH (e.g.
# arm64) fetches that architecture's headers for a cross build.
kbuild_helpers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# autogen.sh when configure is missing or older than what it is made from
# (what the top-level build's make would rerun anyway): the chroot has no
# autotools, and its make must not try to regenerate the source tree.
ensure_configure() {
	local srcdir=$1 stale='' ams am
	if [ ! -x "$srcdir/configure" ]; then
		stale="no configure"
	elif [ -n "$(find "$srcdir/configure.ac" "$srcdir/config" -name '*.m4' -newer "$srcdir/configure" -o -name configure.ac -newer "$srcdir/configure")" ]; then
		stale="configure is older than configure.ac or config/*.m4"
	else
		if [ -d "$srcdir/.git" ]; then
			ams=$(git -C "$srcdir" ls-files '*Makefile.am' 'Makefile.am')
		else
			ams=$(cd "$srcdir" && find . -maxdepth 3 -name Makefile.am)
		fi
		for am in $ams; do
			[ "$srcdir/${am%.am}.in" -nt "$srcdir/$am" ] || stale="$am is newer than ${am%.am}.in"
		done
	fi
	if [ -n "$stale" ]; then
		say "$stale: running autogen.sh in $srcdir"
		(cd "$srcdir" && ./autogen.sh) >&2
	fi
	[ ! -e "$srcdir/config.status" ] ||
		die "$srcdir is configured in place; out-of-tree builds need it unconfigured (make distclean there)"
}

# Debian packages a module build needs for KVER in SUITE: the headers
# package and its linux-headers-*/linux-kbuild-*/linux-base-VER dependencies.
# Sets hdr_debs (files in $1) and needs (what the build environment
# must have installed: gcc-* dependencies, the kbuild tools' libraries).
# With hdr_arch the headers come from SUITE:ARCH (apt-suite.sh) and
# linux-kbuild-* (fixdep, modpost: they run here) from SUITE.
hdr_debs=() needs=()
# shellcheck disable=SC2154 # suite, kver, version: the caller's
fetch_headers() {
	local d=$1 deps p want s hsuite=$suite pkgs=()
	[ -z "${hdr_arch:-}" ] || hsuite=$suite:$hdr_arch
	mkdir -p "$d"
	deps=$("$kbuild_helpers_dir/apt-suite.sh" "$hsuite" apt-cache depends "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \([^ <]*\)$/\1/p') ||
		die "cannot resolve linux-headers-$kver in $hsuite"
	pkgs=("linux-headers-$kver")
	for p in $deps; do
		case $p in
		linux-headers-*|linux-kbuild-*) pkgs+=("$p") ;;
		linux-base-?*) pkgs+=("$p") ;;
		gcc-*) needs+=("$p") ;;
		esac
	done
	# The kbuild tools' shared libraries (libelf for objtool, ...): dpkg -x
	# does not install dependencies.
	for p in "${pkgs[@]}"; do
		case $p in linux-kbuild-*) ;; *) continue ;; esac
		mapfile -t -O "${#needs[@]}" needs < <("$kbuild_helpers_dir/apt-suite.sh" "$suite" apt-cache depends "$p" 2>/dev/null |
			sed -n 's/^ *Depends: \(lib[^ <]*\)$/\1/p')
	done
	for p in "${pkgs[@]}"; do
		# shellcheck disable=SC2012
		if [ -n "$(ls "$d/${p}_"*.deb 2>/dev/null)" ]; then continue; fi
		case $p in linux-kbuild-*) s=$suite ;; *) s=$hsuite ;; esac
		want=$p
		if [ -n "$version" ] && "$kbuild_helpers_dir/apt-suite.sh" "$s" apt-cache show "$p=$version" >/dev/null 2>&1; then
			want="$p=$version"
		fi
		(cd "$d" && "$kbuild_helpers_dir/apt-suite.sh" "$s" apt-get -q -o APT::Sandbox::User=root download "$want") >&2 ||
			die "apt-get download $want ($s) failed"
	done
	for p in "${pkgs[@]}"; do
		# shellcheck disable=SC2012 # plain package file names
		hdr_debs+=("$(ls "$d/${p}_"*.deb | sort -V | tail -n1)")
	done
}

# extract_into ROOT DEB...: dpkg -x, once (marker ROOT/usr/src/.vg-KVER).
# shellcheck disable=SC2154 # kver: the caller's
extract_into() {
	local r=$1 deb
	shift
	[ ! -e "$r/usr/src/.vg-$kver" ] || return 0
	mkdir -p "$r"	# dpkg -x makes the last directory only
	for deb in "$@"; do dpkg -x "$deb" "$r"; done
	mkdir -p "$r/usr/src"
	touch "$r/usr/src/.vg-$kver"
}

# host_headers: the header packages of $kver unpacked into
# $cache/kheaders/$kver for a build on the host, once; sets linux to the
# -ARCH headers directory.  Its Makefile includes the -common tree by
# absolute path, which is made to point into the unpacked tree.
# shellcheck disable=SC2154,SC2034 # cache, kver: the caller's; linux: for it
host_headers() {
	local r=$cache/kheaders/$kver
	if [ ! -e "$r/usr/src/.vg-$kver" ]; then
		rm -rf "$r"
		fetch_headers "$cache/kheaders/debs"
		extract_into "$r" "${hdr_debs[@]}"
		sed -i "s#\([ \"']\)/usr/src/#\1$r/usr/src/#g" "$r/usr/src/linux-headers-$kver/Makefile"
	fi
	linux=$r/usr/src/linux-headers-$kver
}

# copy_source SRCDIR DEST: everything but VCS data, autom4te caches, logs
# and build directories (any directory holding a config.status) into DEST,
# emptied first; mtimes kept, so that make does not try to run the
# autotools.
copy_source() {
	rm -rf "$2"
	mkdir -p "$2"
	(cd "$1" && find . \( -name .git -o -name autom4te.cache -o -path ./tests/vm/out \) -prune \
		-o -type d -exec test -e '{}/config.status' \; -prune -o -print |
		cpio -pdm --quiet "$2")
}

# kmod_build LOG WHAT [MAKE-ARGS...]: make -C kmod clean, then the module
# with W=1 -Werror, through the caller's run(), its output in LOG; a failed
# build (WHAT says with what, for the message) or any warning is fatal.
# shellcheck disable=SC2154 # kver: the caller's
kmod_build() {
	local log=$1 what=$2 nwarn
	shift 2
	run make -C kmod clean >/dev/null 2>&1 || true
	if ! run make "$@" -C kmod KMOD_W=1 KCFLAGS=-Werror >"$log" 2>&1; then
		grep -E -i '(warning|error):' "$log" >&2 || tail -n 30 "$log" >&2
		die "$kver: module build failed$what (log: $log)"
	fi
	nwarn=$(grep -E -i -c 'warning:' "$log" || true)
	if [ "$nwarn" -ne 0 ]; then
		grep -E -i 'warning:' "$log" >&2
		die "$kver: $nwarn warnings (log: $log)"
	fi
}
