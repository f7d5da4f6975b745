#!/bin/bash
# cross-arm64.sh [BUILDDIR]
#
# Builds vfiogroup.ko for arm64 against Debian's arm64 kernel headers, so
# that the buses amd64 has not (kmod/buses.c: amba, fsl-mc, host1x context,
# cdx, each under its Kconfig symbol) are compiled too, and fails on any
# warning.  Kernels: $VG_CROSS_KERNELS (default "6.1 5.10 6.12"; also "7",
# sid's 7.x), each one's arm64 linux-headers-* resolved in its suite at run
# time (apt-suite.sh SUITE:arm64), one after the other, one failure not
# stopping the others.  Per kernel:
#
#   headers    linux-headers-KVER-arm64 and its -common from SUITE:arm64, the
#              amd64 linux-kbuild-* (fixdep, modpost run here) from SUITE,
#              all cached in $VFIOGROUP_CACHE/kheaders/debs (default cache
#              /var/cache/vfiogroup) as build-module.sh does
#   where      5.10, 6.1: on the host with gcc-aarch64-linux-gnu (gcc 12,
#              apt-get installed when missing: needs root then), the
#              headers dpkg -x'ed into kheaders/KVER; 6.12, 7.x: in
#              chroot.sh's sid chroot with gcc-N-aarch64-linux-gnu, N the
#              gcc the headers depend on, dpkg -x'ed into it
#   build      a copy of the source tree in
#              BUILDDIR/tests/style/cross-arm64/KVER/src, configured with
#              --with-linux=HEADERS KERNEL_CC=aarch64-linux-gnu-gcc[-N]
#              KERNEL_MAKEFLAGS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-",
#              then make -C kmod clean and make -j2 -C kmod KMOD_W=1
#              KCFLAGS=-Werror (log: .../KVER/kmod-build.log); any
#              "warning:" line fails
#   buses      vfiogroup.ko's undefined symbols (readelf) must name each
#              bus's bus_type exactly when the headers' .config enables the
#              bus: platform always, pci (CONFIG_PCI), amba (CONFIG_ARM_AMBA),
#              fsl-mc (CONFIG_FSL_MC_BUS), host1x-context
#              (CONFIG_TEGRA_HOST1X_CONTEXT_BUS), cdx (CONFIG_CDX_BUS)
#
# Prints one line per kernel:
#   cross-arm64: KVER: W=1 -Werror, 0 warnings, buses: platform pci ...
# BUILDDIR defaults to $VG_BUILDDIR, else build/ in the source tree.  Nothing
# is loaded into any kernel.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$top/tests/vm
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
cross=aarch64-linux-gnu-
# shellcheck source=../vm/kbuild-helpers.sh source-path=SCRIPTDIR
. "$vm/kbuild-helpers.sh"

say() { echo "cross-arm64: $*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

# bus name, its bus_type symbol, the Kconfig symbol that enables it ("-":
# always there).
buses=(
	"platform platform_bus_type -"
	"pci pci_bus_type CONFIG_PCI"
	"amba amba_bustype CONFIG_ARM_AMBA"
	"fsl-mc fsl_mc_bus_type CONFIG_FSL_MC_BUS"
	"host1x-context host1x_context_device_bus_type CONFIG_TEGRA_HOST1X_CONTEXT_BUS"
	"cdx cdx_bus_type CONFIG_CDX_BUS"
)

# one_kernel SPEC BUILDDIR: everything for one kernel (run as its own
# process, so that set -e holds there and a failure ends only that kernel).
one_kernel() {
	local spec=$1 builddir=$2 suite kver version where croot='' linux cfg kcc cc r t0=$SECONDS
	local kb log und name sym opt on refd names='' bad=0 p pkgs=()
	case $spec in
	5.10) suite=bullseye where=host ;;
	6.1) suite=bookworm where=host ;;
	6.12) suite=trixie where=chroot ;;
	7|7.*) suite=sid where=chroot ;;
	*) die "unknown kernel '$spec' (5.10, 6.1, 6.12 or 7)" ;;
	esac
	hdr_arch=arm64
	kver=$("$vm/apt-suite.sh" "$suite:arm64" apt-cache depends linux-headers-arm64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(.*-arm64\)$/\1/p' | head -n1) || true
	case $kver in
	"$spec".*) ;;
	*) die "$suite: linux-headers-arm64 does not name a $spec arm64 kernel ('$kver')" ;;
	esac
	version=$("$vm/apt-suite.sh" "$suite:arm64" apt-cache show --no-all-versions "linux-headers-$kver" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n1) || true

	if [ "$where" = host ]; then
		host_headers
		cfg=$linux/.config
	else
		fetch_headers "$cache/kheaders/debs"
		# The kernel's gcc-N as a cross compiler; pahole and perl as
		# build-module.sh has them for 6.12 and 7.x (BTF, kernel-doc).
		for p in "${needs[@]}"; do
			case $p in
			gcc-*) p=${p%-for-host}; pkgs+=("$p-${cross%-}") ;;
			*) pkgs+=("$p") ;;
			esac
		done
		croot=$("$vm/chroot.sh" prepare "${pkgs[@]}" dwarves perl)
		extract_into "$croot" "${hdr_debs[@]}"
		linux=/usr/src/linux-headers-$kver
		cfg=$croot$linux/.config
	fi
	[ -f "$cfg" ] || die "$kver: no $cfg"

	# The kernel's compiler (gcc-12, aarch64-linux-gnu-gcc-14, ...) as a
	# cross compiler when there is one, else the default one (bullseye's
	# gcc-10 is not in bookworm: gcc 12 builds 5.10).
	kcc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$cfg")
	kcc=${kcc#"$cross"}
	cc=$cross${kcc:-gcc}
	if [ "$where" = host ]; then
		if ! command -v "${cross}gcc" >/dev/null; then
			[ "$(id -u)" = 0 ] || die "no ${cross}gcc: apt-get install gcc-${cross%-} (as root)"
			say "installing gcc-${cross%-}"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "gcc-${cross%-}" >&2
		fi
		command -v "$cc" >/dev/null || cc=${cross}gcc
	else
		[ -x "$croot/usr/bin/$cc" ] || die "$kver: no /usr/bin/$cc in the chroot"
	fi

	kb=$builddir/tests/style/cross-arm64/$kver
	mkdir -p "$kb"
	exec 9>"$kb/.lock"
	flock 9
	copy_source "$top" "$kb/src"
	if [ "$where" = host ]; then
		run() { (cd "$kb/src" && "$@"); }
	else
		run() {
			# shellcheck disable=SC2016 # expanded by the chroot's shell
			"$vm/chroot.sh" run --bind "$kb:/build" -- /bin/sh -c 'cd /build/src && exec "$@"' sh "$@"
		}
	fi
	if ! run ./configure -q --with-linux="$linux" KERNEL_CC="$cc" \
		KERNEL_MAKEFLAGS="ARCH=arm64 CROSS_COMPILE=$cross" >"$kb/configure.out" 2>&1; then
		tail -n 30 "$kb/configure.out" >&2
		die "$kver: configure failed; see $kb/src/config.log"
	fi
	log=$kb/kmod-build.log
	kmod_build "$log" " with $cc" -j2
	[ -f "$kb/src/kmod/vfiogroup.ko" ] || die "$kver: no vfiogroup.ko after the build"

	# Every bus the .config enables must be compiled in, and no other.
	und=$(readelf -sW "$kb/src/kmod/vfiogroup.ko" | awk '$7 == "UND" && $8 != "" { print $8 }')
	for p in "${buses[@]}"; do
		read -r name sym opt <<<"$p"
		on=1
		[ "$opt" = - ] || grep -q "^$opt=[ym]$" "$cfg" || on=0
		refd=0
		! grep -qx "$sym" <<<"$und" || refd=1
		if [ "$on" = 1 ] && [ "$refd" = 0 ]; then
			say "$kver: $name is on (${opt/#-/always}) but vfiogroup.ko does not use $sym: not compiled in"
			bad=1
		elif [ "$on" = 0 ] && [ "$refd" = 1 ]; then
			say "$kver: $opt is off but vfiogroup.ko uses $sym"
			bad=1
		fi
		[ "$refd" = 0 ] || names="$names $name"
	done
	[ "$bad" = 0 ] || die "$kver: the buses compiled in do not follow its .config"
	echo "cross-arm64: $kver: W=1 -Werror, 0 warnings, buses:$names ($cc, $where, $((SECONDS - t0)) s)"
}

if [ "${1:-}" = --one-kernel ]; then
	[ $# -eq 3 ] || usage
	one_kernel "$2" "$3"
	exit 0
fi
case ${1:-} in -h|--help) usage ;; esac
[ $# -le 1 ] || usage
builddir=${1:-${VG_BUILDDIR:-$top/build}}
mkdir -p "$builddir"
builddir=$(cd "$builddir" && pwd)
ensure_configure "$top"

failed=() n=0 t0=$SECONDS
for k in ${VG_CROSS_KERNELS:-6.1 5.10 6.12}; do
	n=$((n + 1))
	"$0" --one-kernel "$k" "$builddir" || failed+=("$k")
done
if [ ${#failed[@]} -ne 0 ]; then
	say "failed: ${failed[*]} (of $n kernels, $((SECONDS - t0)) s)"
	exit 1
fi
say "$n kernels built for arm64 in $((SECONDS - t0)) s"
