#!/bin/bash
# build-module.sh --kernel-dir KDIR --builddir DIR [--srcdir DIR]
#
# Builds vfiogroup.ko for the kernel fetch-kernel.sh put in KDIR, with the
# project's own build system, and prints the module's path:
#   DIR/kmod/KVER/vfiogroup.ko
# Each kernel gets its own out-of-tree build directory,
# DIR/tests/vm/kbuild/KVER: SRCDIR/configure --with-linux=HEADERS there
# (again only when configure or the arguments changed), then
# "make -C kmod clean" and "make -C kmod KMOD_W=1 KCFLAGS=-Werror".  Any
# "warning:" (compiler, W=1, modpost) in that output is a failure.  The
# source tree is never configured (SRCDIR/autogen.sh runs only when
# SRCDIR/configure is missing).
#
# Headers (cached in $VFIOGROUP_CACHE, default /var/cache/vfiogroup):
#   bookworm (6.1)     /usr/src/linux-headers-KVER on the host when present
#   bullseye (5.10)    linux-headers-KVER, its -common and linux-kbuild-*
#                      (apt-suite.sh, same version as the image) dpkg -x'ed
#                      into kheaders/KVER, the absolute /usr/src path in the
#                      Makefile rewritten; built on the host with gcc
#   local (debug)      linux-headers-KVER_*.deb beside the image package
#                      ($VG_DEBUG_KERNELS_DIR, default ../shared/kernels
#                      then $VFIOGROUP_CACHE/debug-kernels)
#                      dpkg -x'ed into kheaders/KVER; built on the host
#   trixie, sid        the host's gcc 12 and glibc are too old: built in the
#   (6.12, 7.x)        sid chroot of chroot.sh, the header packages dpkg
#                      -x'ed into it, the compiler they depend on installed
#                      there; SRCDIR and the build directory are bind-mounted
#                      at /src and /build, so configure probes that kernel
#                      with that compiler
# Progress and the build log's warnings go to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
# shellcheck source=debug-kernels.sh source-path=SCRIPTDIR
. "$here/debug-kernels.sh"
# shellcheck source=kbuild-helpers.sh source-path=SCRIPTDIR
. "$here/kbuild-helpers.sh"
kdir='' builddir=''
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--kernel-dir) kdir=$2; shift 2 ;;
	--builddir) builddir=$2; shift 2 ;;
	--srcdir) srcdir=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "build-module: unknown argument $1" >&2; usage ;;
	esac
done
{ [ -n "$kdir" ] && [ -n "$builddir" ]; } || usage
say() { echo "build-module: $*" >&2; }
die() { say "error: $*"; exit 1; }

kdir=$(cd "$kdir" && pwd)
builddir=$(cd "$builddir" && pwd)
srcdir=$(cd "$srcdir" && pwd)
kver=$(cat "$kdir/kver")
src_field() { sed -n "s/^$1=//p" "$kdir/source" | head -n1; }
suite=$(src_field suite)
version=$(src_field version)
spec=$(src_field spec)
t0=$SECONDS

ensure_configure "$srcdir"

# --- headers ------------------------------------------------------------
where=host
croot=''
case $suite in
bookworm)
	if [ -e "/usr/src/linux-headers-$kver/Makefile" ]; then
		linux=/usr/src/linux-headers-$kver
	else
		r=$cache/kheaders/$kver
		fetch_headers "$cache/kheaders/debs"
		extract_into "$r" "${hdr_debs[@]}"
		linux=$r/usr/src/linux-headers-$kver
	fi
	;;
bullseye)
	host_headers
	;;
local)
	case $spec in *.deb) dirs=("$(dirname "$spec")" "${debug_dirs[@]}") ;; *) dirs=("${debug_dirs[@]}") ;; esac
	deb=''
	for d in "${dirs[@]}"; do
		# shellcheck disable=SC2012
		deb=$(ls "$d/linux-headers-${kver}_${version}_"*.deb "$d/linux-headers-${kver}_"*.deb 2>/dev/null | head -n1) || true
		[ -z "$deb" ] || break
	done
	[ -n "$deb" ] || die "no linux-headers-${kver}_*.deb in ${dirs[*]}"
	r=$cache/kheaders/$kver
	if [ ! -e "$r/usr/src/.vg-$kver" ] || [ "$deb" -nt "$r/usr/src/.vg-$kver" ]; then
		rm -rf "$r"
		extract_into "$r" "$deb"
	fi
	linux=$r/usr/src/linux-headers-$kver
	;;
trixie|sid)
	where=chroot
	fetch_headers "$cache/kheaders/debs"
	# 7.x's Makefile warns when pahole's version is not the kernel's (sid's
	# dwarves is the one sid's kernel was built with); W=1 runs the perl
	# kernel-doc on 6.12.
	needs+=(dwarves perl)
	croot=$("$here/chroot.sh" prepare "${needs[@]}")
	extract_into "$croot" "${hdr_debs[@]}"
	linux=/usr/src/linux-headers-$kver
	;;
*) die "do not know how to build for suite '$suite' ($kver)" ;;
esac
t1=$SECONDS

# --- configure + make ---------------------------------------------------
kb=$builddir/tests/vm/kbuild/$kver
mkdir -p "$kb"
exec 9>"$kb/.lock"
flock 9

# The kernel's own compiler when the build environment has it, else gcc
# (bullseye's 5.10 asks for gcc-10; gcc 12 builds it without warnings).
cfg=$linux/.config
[ "$where" = host ] || cfg=$croot$linux/.config
kcc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$cfg" 2>/dev/null || true)

# How: "copy" (default) configures and builds in a fresh copy of the source
# tree, DIR/tests/vm/kbuild/KVER/src; "vpath" (VG_KMOD_BUILD=vpath) runs
# SRCDIR/configure in DIR/tests/vm/kbuild/KVER.  kmod/Makefile's VPATH
# build (a generated Kbuild that sets src := SRCDIR/kmod) only works up to
# Linux 6.9: from 6.10 Kbuild compiles $(obj)/%.c, so 6.12 and 7.x stop with
# "No rule to make target .../main.o".
mode=${VG_KMOD_BUILD:-copy}
case $mode in
copy)
	copy_source "$srcdir" "$kb/src"
	bdir=src sdir=.
	;;
vpath) bdir=. sdir=$srcdir ;;
*) die "VG_KMOD_BUILD=$mode: copy or vpath" ;;
esac
if [ "$where" = host ]; then
	command -v "${kcc:-gcc}" >/dev/null || kcc=gcc
	run() { (cd "$kb/$bdir" && "$@"); }
else
	[ -x "$croot/usr/bin/$kcc" ] || kcc=gcc
	[ "$mode" = copy ] || sdir=/src
	run() {
		# shellcheck disable=SC2016 # expanded by the chroot's shell
		"$here/chroot.sh" run --bind "$srcdir:/src" --bind "$kb:/build" -- \
			/bin/sh -c 'cd "/build/$0" && exec "$@"' "$bdir" "$@"
	}
fi
args="--with-linux=$linux KERNEL_CC=$kcc"
[ "$where" = host ] && at="on the host" || at="in the sid chroot"
say "$kver: configure $args ($at, $mode build)"
rm -f "$kb/$bdir/config.status"
# shellcheck disable=SC2086 # $args: two words without blanks inside
if ! run "$sdir/configure" -q $args >"$kb/configure.out" 2>&1; then
	tail -n 30 "$kb/configure.out" >&2
	die "$kver: configure failed; see $kb/$bdir/config.log"
fi
kout=$kb/$bdir
t2=$SECONDS
log=$kb/kmod-build.log
kmod_build "$log" ""
[ -f "$kout/kmod/vfiogroup.ko" ] || die "$kver: no $kout/kmod/vfiogroup.ko after the build"
mkdir -p "$builddir/kmod/$kver"
cp "$kout/kmod/vfiogroup.ko" "$builddir/kmod/$kver/vfiogroup.ko"
# The KUnit module (kernels with CONFIG_KUNIT: the debug ones) goes beside
# it; the bench does not load it yet.
rm -f "$builddir/kmod/$kver/vfiogroup_kunit.ko"
[ ! -f "$kout/kmod/vfiogroup_kunit.ko" ] || cp "$kout/kmod/vfiogroup_kunit.ko" "$builddir/kmod/$kver/"
say "$kver: built $at with $kcc, W=1 -Werror, 0 warnings" \
	"(headers $((t1 - t0)) s, configure $((t2 - t1)) s, make $((SECONDS - t2)) s)"
echo "$builddir/kmod/$kver/vfiogroup.ko"
