#!/bin/bash
# build-debug-kernel.sh [options] VERSION [OUTDIR]
#
# Rebuilds a kernel of the VM bench that Debian does not ship: a debug kernel
# ("debug" = 6.1, "debug-5.10") from Debian's linux-source-VERSION package
# and tests/vm/debug-kernel.config (KASAN, lockdep, kmemleak, DEBUG_OBJECTS,
# DEBUG_LIST, KUnit, failslab and fail-nth), or the "iommufd" kernel (6.12
# with IOMMUFD and VFIO_DEVICE_CDEV, tests/vm/iommufd-kernel.config); IOMMU,
# VFIO and the NICs built in.  Puts its two packages in OUTDIR:
#   linux-image-KVER_KVER-1_amd64.deb  linux-headers-KVER_KVER-1_amd64.deb
# KVER is the source's version plus "-vfiogroup-debug" (6.1.192-vfiogroup-debug)
# or "-vfiogroup-iommufd" (6.12.117-vfiogroup-iommufd).
#
#   VERSION          6.1 (bookworm's linux-source-6.1, host apt), 5.10
#                    (bullseye's linux-source-5.10, private apt state of
#                    apt-suite.sh) or iommufd (trixie's linux-source-6.12,
#                    likewise)
#   OUTDIR           default $VFIOGROUP_CACHE/debug-kernels (cache default
#                    /var/cache/vfiogroup): run-suite.sh looks there after
#                    ../shared/kernels
#   --config-only    stop once the configuration is verified (no
#                    compiling; 1-2 min, under a minute when the tree of
#                    the last --config-only is still there); prints the
#                    .config's path
#   --jobs N         make -jN (default: nproc)
#   --source-deb F   use this linux-source-VERSION .deb instead of apt's
#                    candidate (to rebuild an exact version)
#   --keep           keep the tree after a build (default: removed; the
#                    tree of --config-only, 1.1-1.5 GB, is kept for the next)
#   -h, --help       this text
#
# Steps: install the build dependencies (apt-get, only the missing ones);
# take linux-source-VERSION's tarball from /usr/src when that package is
# installed in apt's candidate version (6.1: tests/install-deps.sh installs
# it), else download it with apt-get download, kept in
# $VFIOGROUP_CACHE/debug-kernels/src/; extract it into
# $VFIOGROUP_CACHE/debug-kernels/build-VERSION/ (afresh for a build); make
# x86_64_defconfig, make kvm_guest.config, scripts/kconfig/merge_config.sh -m
# with the fragment, make olddefconfig; check that every option of the
# fragment has the requested value in the final .config (fails listing those
# Kconfig dropped or changed; copied to build-VERSION/config-KVER); then make
# bzImage modules and make bindeb-pkg, strip the debug info from the ELF
# helpers in the headers package, and copy both packages to OUTDIR.
# A full debug build took 36-40 min on 2 cores with gcc 12, packaging 2-2.5
# min (the packages in ../shared/kernels); the iommufd kernel, without the
# checkers, IPv6 and netfilter, is quicker.  It needs a few GB of disk.
# Progress goes to stderr, build output to build-VERSION/build.log; stdout
# gets the package paths (or the config's).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
fragment=$here/debug-kernel.config
suffix=-vfiogroup-debug
config_only=0 jobs='' source_deb='' keep=0 ver='' outdir='' installed_tar=''

usage() {
	if [ "${1:-2}" = 0 ]; then help; else help >&2; fi
	exit "${1:-2}"
}
help() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; }
say() { echo "build-debug-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--config-only) config_only=1; shift ;;
	--jobs) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#*=}; shift ;;
	--source-deb) [ $# -ge 2 ] || usage; source_deb=$(realpath "$2"); shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage 0 ;;
	-*) say "unknown option $1"; usage ;;
	*)
		if [ -z "$ver" ]; then ver=$1
		elif [ -z "$outdir" ]; then outdir=$1
		else say "too many arguments"; usage
		fi
		shift ;;
	esac
done
kind=$ver
case $ver in
6.1) suite=bookworm ;;
5.10) suite=bullseye ;;
iommufd)
	suite=trixie ver=6.12
	fragment=$here/iommufd-kernel.config suffix=-vfiogroup-iommufd ;;
'') usage ;;
*) die "VERSION must be 6.1, 5.10 or iommufd, not '$ver'" ;;
esac
jobs=${jobs:-$(nproc)}
case $jobs in ''|*[!0-9]*|0) die "--jobs wants a positive number, not '$jobs'" ;; esac
outdir=${outdir:-$cache/debug-kernels}
[ -f "$fragment" ] || die "no fragment $fragment"
[ -z "$source_deb" ] || [ -f "$source_deb" ] || die "no such file: $source_deb"

# Symbols of the fragment that a kernel version does not have at all (its
# Kconfig never defines them), so they cannot be in its .config.
absent_ok=''
case $ver in
5.10) absent_ok='VFIO_PCI_CORE DEBUG_INFO_NONE' ;; # 5.15 and 5.18 added them
esac

dk=$cache/debug-kernels
work=$dk/build-$kind
mkdir -p "$dk/src" "$work"
exec 9>"$dk/.lock-$kind"
flock -n 9 || { say "another build of $kind holds $dk/.lock-$kind; waiting"; flock 9; }
log=$work/build.log
: >"$log"
t_start=$SECONDS
step_t=$SECONDS
step() { say "$* ($((SECONDS - step_t)) s)"; step_t=$SECONDS; }

# --- build dependencies ---------------------------------------------------
# dwarves for --config-only too: Kconfig records pahole's version
# (CONFIG_PAHOLE_VERSION), and the checked .config must be the build's.
# debhelper: 6.12's bindeb-pkg writes a debian/control that Build-Depends
# on debhelper-compat (= 12), and dpkg-buildpackage refuses to start
# without it (5.10's and 6.1's do not ask; a fresh machine has none).
deps='make gcc libc6-dev flex bison xz-utils dpkg-dev dwarves'
[ "$config_only" = 1 ] ||
	deps="$deps bc libelf-dev libssl-dev rsync kmod cpio fakeroot binutils perl debhelper"
missing=''
for p in $deps; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "missing build dependencies:$missing (as root: apt-get install$missing)"
	say "installing the build dependencies:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # a list of package names
	if ! apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1; then
		apt-get update -q >>"$log" 2>&1 || true
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >>"$log" 2>&1 ||
			die "apt-get install$missing failed (see $log)"
	fi
	step "build dependencies installed"
fi

# --- the source package ---------------------------------------------------
apt_suite() { "$here/apt-suite.sh" "$suite" "$@"; }
pkg=linux-source-$ver
newest_cached() {
	# shellcheck disable=SC2012 # plain package file names
	ls "$dk/src/${pkg}_"*_all.deb 2>/dev/null | sort -V | tail -n1 || true
}
if [ -n "$source_deb" ]; then
	deb=$source_deb
	[ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || die "$deb is not a $pkg package"
else
	cand=$(apt_suite apt-cache policy "$pkg" 2>>"$log" | sed -n 's/^ *Candidate: //p' | head -n1) || true
	[ "$cand" != '(none)' ] || cand=''
	deb=''
	# The host's own suite: install-deps.sh may have installed the package
	# already (its tarball in /usr/src); no second download then.
	inst=''
	[ "$suite" != bookworm ] || inst=$(dpkg-query -W -f='${Status} ${Version}' "$pkg" 2>/dev/null |
		sed -n 's/^install ok installed //p')
	if [ -n "$cand" ] && [ "$inst" = "$cand" ] && [ -f "/usr/src/$pkg.tar.xz" ]; then
		installed_tar=/usr/src/$pkg.tar.xz
		say "$pkg $cand: installed, using $installed_tar"
	elif [ -n "$cand" ]; then
		# apt-get download names files PKG_VERSION_ARCH.deb, ':' as %3a.
		f=$dk/src/${pkg}_${cand//:/%3a}_all.deb
		if [ -s "$f" ]; then
			deb=$f
			say "$pkg $cand: cached $f"
		elif (cd "$dk/src" && apt_suite apt-get -q -o APT::Sandbox::User=root download "$pkg=$cand") >>"$log" 2>&1 &&
			[ -s "$f" ]; then
			deb=$f
			step "$pkg $cand downloaded to $f"
		else
			say "warning: apt-get download $pkg=$cand failed (see $log)"
		fi
	else
		say "warning: apt knows no $pkg in $suite$([ "$suite" != bookworm ] || echo ' (host apt: apt-get update?)')"
	fi
	if [ -z "$deb" ] && [ -z "$installed_tar" ]; then
		deb=$(newest_cached)
		[ -n "$deb" ] || die "no $pkg package: neither apt nor $dk/src has one"
		say "warning: using the newest cached $deb"
	fi
fi
if [ -n "$installed_tar" ]; then
	srcver=$cand
	srckey="installed-$pkg-$cand"
else
	srcver=$(dpkg-deb -f "$deb" Version)
	srckey=${deb##*/}
fi

# --- extract ----------------------------------------------------------------
# Afresh for a build: the tree must be Debian's, nothing else.  A tree only
# ever configured (--config-only; its stamp says so) is kept and reused by the
# next --config-only: configuring writes nothing but .config and kconfig's
# own objects, and .config is made anew from x86_64_defconfig.
stamp=$work/.vg-tree
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
if [ "$config_only" = 1 ] && [ -n "$src" ] && [ -f "$src/Makefile" ] &&
	[ "$(cat "$stamp" 2>/dev/null)" = "$srckey configured-only" ]; then
	rm -f "$src/.config" "$src/.config.old"
	step "reusing the configured-only tree $src ($pkg $srcver)"
else
	rm -rf "$stamp" "$work"/linux-source-* "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes
	if [ -n "$installed_tar" ]; then
		member=$installed_tar
		xz -dc "$installed_tar" | tar -x -C "$work" || die "extracting $installed_tar failed"
	else
		member=$(dpkg-deb --fsys-tarfile "$deb" | tar -t --wildcards './usr/src/linux-source-*.tar.*' | head -n1) ||
			true
		[ -n "$member" ] || die "no usr/src/linux-source-*.tar.* in $deb"
		case $member in
		*.xz) dec=(xz -dc) ;;
		*.zst) dec=(zstd -dc) ;;
		*.bz2) dec=(bzip2 -dc) ;;
		*) dec=(gzip -dc) ;;
		esac
		dpkg-deb --fsys-tarfile "$deb" | tar -xO "$member" | "${dec[@]}" | tar -x -C "$work" ||
			die "extracting $member from $deb failed"
	fi
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
	{ [ -n "$src" ] && [ -f "$src/Makefile" ]; } || die "no kernel tree in $member"
	[ "$config_only" = 0 ] || echo "$srckey configured-only" >"$stamp"
	step "extracted $pkg $srcver into $src"
fi

# --- configure ------------------------------------------------------------
# LOCALVERSION set (empty) everywhere: the name comes from the fragment's
# CONFIG_LOCALVERSION alone, no "+" from setlocalversion.
kmake() { make --no-print-directory -C "$src" LOCALVERSION= "$@"; }
{
	kmake x86_64_defconfig &&
	kmake kvm_guest.config &&
	(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$fragment") &&
	kmake olddefconfig
} >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuring failed (see $log)"; }
config=$src/.config
upstream=$(kmake -s kernelversion 2>>"$log")
localver=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$config")
kver=$upstream$localver
[ "$localver" = "$suffix" ] ||
	die "CONFIG_LOCALVERSION is '$localver', not '$suffix': the bench would not find $kver"
step "configured $kver"

# Every option of the fragment must have the requested value: "=VALUE"
# literally, "is not set" as not set or absent (a symbol whose
# dependencies are off is left out of .config).  A symbol the kernel's
# Kconfig does not define is an error unless listed in absent_ok.
in_kconfig() {
	grep -rqsE --include='Kconfig*' "^[[:space:]]*(menu)?config[[:space:]]+$1[[:space:]]*$" "$src"
}
bad=() notes=()
while IFS= read -r line; do
	sym='' want='' have=''
	case $line in
	CONFIG_*=*) sym=${line%%=*}; want=${line#*=} ;;
	'# CONFIG_'*' is not set') sym=${line#'# '}; sym=${sym%' is not set'}; want=n ;;
	*) continue ;;
	esac
	have=$(grep -m1 -E "^(# )?${sym}[= ]" "$config" || true)
	case $have in
	"$sym="*) have=${have#*=} ;;
	*) have=n ;;
	esac
	[ "$have" != "$want" ] || continue
	name=${sym#CONFIG_}
	if ! in_kconfig "$name"; then
		case " $absent_ok " in
		*" $name "*) notes+=("$sym (Linux $ver has no such option)"); continue ;;
		esac
		bad+=("$sym: wanted $want, Linux $upstream's Kconfig does not define it")
		continue
	fi
	bad+=("$sym: wanted $want, got $have")
done <"$fragment"
cp "$config" "$work/config-$kver"
[ ${#notes[@]} -eq 0 ] || say "not in this kernel, as expected: ${notes[*]}"
if [ ${#bad[@]} -gt 0 ]; then
	say "**************************************************************"
	say "ERROR: Kconfig did not keep ${#bad[@]} option(s) of $fragment:"
	printf 'build-debug-kernel:   %s\n' "${bad[@]}" >&2
	say "(a missing dependency, or an option renamed in $upstream; final config: $work/config-$kver)"
	say "**************************************************************"
	exit 1
fi
opts=$(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$fragment")
step "config verified: $((opts - ${#notes[@]})) options of the fragment as requested${notes[0]:+, ${#notes[@]} not in Linux $ver}"

if [ "$config_only" = 1 ]; then
	say "--config-only: done in $((SECONDS - t_start)) s, config of $kver (linux-source $srcver)"
	echo "$work/config-$kver"
	exit 0
fi

# --- build and package ----------------------------------------------------
say "building $kver with -j$jobs (debug kernels: 36-40 min on 2 cores); log: $log"
kmake -j"$jobs" bzImage modules >>"$log" 2>&1 || { tail -n 40 "$log" >&2; die "make bzImage modules failed (see $log)"; }
step "built bzImage and modules"
# bindeb-pkg writes the packages into the tree's parent directory ($work).
kmake -j"$jobs" KDEB_PKGVERSION="$kver-1" bindeb-pkg >>"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "make bindeb-pkg failed (see $log)"; }
step "packaged"
image=$work/linux-image-${kver}_${kver}-1_amd64.deb
headers=$work/linux-headers-${kver}_${kver}-1_amd64.deb
{ [ -f "$image" ] && [ -f "$headers" ]; } || die "bindeb-pkg made no $image or $headers: $(ls "$work")"

# The headers package carries the host programs an out-of-tree module build
# runs (modpost, fixdep, objtool, ...): strip their debug info.  And the
# kernel's .config, where bindeb-pkg left it out.
hx=$work/headers-pkg
rm -rf "$hx"
dpkg-deb -R "$headers" "$hx"
# 6.12's bindeb-pkg leaves .config out of the headers package; an
# out-of-tree module's configure (and kbuild's olddefconfig) needs it.
hcfg=$hx/usr/src/linux-headers-$kver/.config
[ -f "$hcfg" ] || cp "$config" "$hcfg"
n=0
while IFS= read -r -d '' f; do
	[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
	strip --strip-debug "$f"
	n=$((n + 1))
done < <(find "$hx" -path "$hx/DEBIAN" -prune -o -type f -print0)
(cd "$hx" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
	xargs -d '\n' md5sum >DEBIAN/md5sums)
# Installed-Size as dpkg-gencontrol counts it: KiB per file, rounded up, 1
# per directory or link.
size=$(find "$hx" -mindepth 1 -path "$hx/DEBIAN" -prune -o \( -type f -printf '%s\n' \) -o -printf '1024\n' |
	awk '{ t += int(($1 + 1023) / 1024) } END { print t }')
sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$hx/DEBIAN/control"
dpkg-deb --root-owner-group -b "$hx" "$headers" >>"$log"
rm -rf "$hx"
step "stripped the debug info of $n ELF files in the headers package"

mkdir -p "$outdir"
cp "$image" "$headers" "$outdir/"
[ "$keep" = 1 ] || rm -rf "$src"
say "done in $((SECONDS - t_start)) s: $kver (linux-source $srcver) in $outdir"
echo "$outdir/${image##*/}"
echo "$outdir/${headers##*/}"
