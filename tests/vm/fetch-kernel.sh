#!/bin/bash
# fetch-kernel.sh KVER-SPEC
#
# Resolves KVER-SPEC to a Debian kernel image, downloads it once and keeps
# only what the VM bench needs in $VFIOGROUP_CACHE/vm/kernel-KVER/
# (default cache /var/cache/vfiogroup):
#   vmlinuz  config  kver  vermagic  source
#   modules/*.ko       uncompressed; NICs, VFIO and their dependencies
#   modules/load-order insmod order (dependencies first)
# and prints that directory on stdout.  Everything else goes to stderr.
#
# KVER-SPEC:
#   6.1 | bookworm   the bookworm kernel matching the installed
#                    /usr/src/linux-headers-6.1.*-amd64 (host apt state)
#   5.10 | bullseye, 6.12 | trixie, 7 | sid
#                    the suite's current linux-image-amd64 (private apt state,
#                    see apt-suite.sh; ABI name resolved at run time); the
#                    release must start with the number given ("7": sid's
#                    kernel must be a 7.x); 7.x images are split into
#                    linux-binary-* (vmlinuz) and linux-modules-*
#   debug | debug-6.1, debug-5.10
#                    linux-image-<base>.*-vfiogroup-debug*.deb from the first
#                    directory of $VG_DEBUG_KERNELS_DIR (DIR[:DIR...]) that
#                    has one (default ../shared/kernels, then
#                    $VFIOGROUP_CACHE/debug-kernels where
#                    build-debug-kernel.sh puts them); everything built in
#   iommufd          linux-image-6.12.*-vfiogroup-iommufd*.deb, likewise:
#                    6.12 with IOMMUFD and VFIO_DEVICE_CDEV
#   /path/to/linux-image-*.deb   any local image package
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
# shellcheck source=debug-kernels.sh source-path=SCRIPTDIR
. "$here/debug-kernels.sh"

# Modules the guest needs, in preferred load order; a module missing from the
# image is built in (or does not exist on that kernel).  Dependencies found
# with modinfo are added and ordered first.  vfio_iommu_type1 is nobody's
# dependency (only a soft one of vfio): it is listed here for that reason.
wanted="e1000 pps_core ptp e1000e irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio_pci_core vfio_pci"

say() { echo "fetch-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 KVER-SPEC" >&2; exit 2; }
spec=$1

suite='' kver='' pin='' want_rel=''
debs=()
case $spec in
6.1|bookworm) suite=bookworm ;;
5.10|bullseye) suite=bullseye want_rel=5.10 ;;
6.12|trixie) suite=trixie want_rel=6.12 ;;
7|7.*) suite=sid want_rel=$spec ;;
sid) suite=sid ;;
debug|debug-*|iommufd)
	f=$(bench_image "$spec") || die "no $spec kernel package in ${debug_dirs[*]} (tests/vm/build-debug-kernel.sh $(bench_build_arg "$spec") builds one)"
	debs=("$f")
	;;
*.deb) [ -f "$spec" ] || die "no such file: $spec"; debs=("$(realpath "$spec")") ;;
*) die "unknown kernel spec '$spec' (6.1, 5.10, 6.12, 7, sid, debug, debug-5.10, iommufd or a .deb)" ;;
esac

apt_suite() { "$here/apt-suite.sh" "$suite" "$@"; }

# --- resolve the package and KVER ---------------------------------------
pkg=
if [ -n "$suite" ]; then
	if [ "$suite" = bookworm ]; then
		# The kernel must match the installed headers the module is built
		# against: same ABI name and, if possible, the same version.
		hdr=$(find /usr/src -maxdepth 1 -name 'linux-headers-6.1.*-amd64' -printf '%f\n' | sort -V | tail -n1)
		if [ -n "$hdr" ]; then
			kver=${hdr#linux-headers-}
			pin=$(dpkg-query -W -f='${Version}' "$hdr" 2>/dev/null || true)
		fi
	fi
	if [ -z "$kver" ]; then
		kver=$(apt_suite apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: linux-image-\(.*-amd64\)\(-unsigned\)\{0,1\}$/\1/p') || true
		kver=${kver%%$'\n'*}
		[ -n "$kver" ] || die "cannot resolve linux-image-amd64 in $suite"
		case $kver in
		"$want_rel".*|"$want_rel"-*|'') ;;
		*) [ -z "$want_rel" ] || die "$spec: $suite's linux-image-amd64 is $kver, not a $want_rel kernel" ;;
		esac
	fi
	pkg=linux-image-$kver
	# 5.10 and 6.12 ship an -unsigned image too; either boots.
else
	pkg=$(dpkg-deb -f "${debs[0]}" Package)
	kver=${pkg#linux-image-}; kver=${kver%-unsigned}
	pin=$(dpkg-deb -f "${debs[0]}" Version)
fi

kdir=$cache/vm/kernel-$kver
mkdir -p "$cache/vm"
exec 9>"$cache/vm/.lock-kernel-$kver"
flock 9

if [ -e "$kdir/.complete" ]; then
	if [ -z "$pin" ] || grep -qx "version=$pin" "$kdir/source"; then
		say "$spec -> $kver (cached)"
		echo "$kdir"
		exit 0
	fi
	say "$kdir holds another version than $pin: fetching again"
fi

work=$(mktemp -d "$cache/vm/.fetch-$kver.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- download -----------------------------------------------------------
t0=$(date +%s)
if [ -n "$suite" ]; then
	mkdir "$work/debs"
	# Debian 7.x splits the image: linux-image-V depends on linux-binary-V
	# (vmlinuz) and linux-modules-V; fetch those along.
	extra=$(apt_suite apt-cache depends "$pkg" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-\(binary\|modules\)-[^ ]*\)$/\1/p' | sort -u | tr '\n' ' ') || true
	want=$pkg
	if [ -n "$pin" ] && apt_suite apt-cache show "$pkg=$pin" >/dev/null 2>&1; then
		want="$pkg=$pin"
	elif [ -n "$pin" ]; then
		say "warning: $pkg $pin (the headers' version) is not available; using the candidate version"
	fi
	dl() { (cd "$work/debs" && apt_suite apt-get -q -o APT::Sandbox::User=root download "$@") >&2; }
	# shellcheck disable=SC2086 # $extra is a list of package names
	if ! dl "$want" $extra; then
		[ "$suite" != bookworm ] || die "apt-get download $want failed (host apt state: run apt-get update?)"
		say "download failed; refreshing the $suite apt state and retrying"
		# shellcheck disable=SC2086
		VG_APT_UPDATE=1 dl "$want" $extra || die "apt-get download $want failed"
	fi
	debs=("$work"/debs/*.deb)
	pin=$(dpkg-deb -f "$(echo "$work"/debs/"$pkg"_*.deb)" Version)
fi
t1=$(date +%s)

# --- extract ------------------------------------------------------------
# extract DEST PATTERN...: pull matching members out of every deb; a pattern
# that matches nothing is fine, any other tar/dpkg-deb error is not.
extract() {
	local dest=$1 deb rc
	shift
	mkdir -p "$dest"
	for deb in "${debs[@]}"; do
		rc=0
		dpkg-deb --fsys-tarfile "$deb" |
			tar -x -C "$dest" --wildcards "$@" 2>"$work/tar.err" || rc=$?
		if [ $rc -ne 0 ] && grep -v -e 'Not found in archive' -e 'Exiting with failure status' "$work/tar.err" >&2; then
			die "extracting from $deb failed"
		fi
	done
}
ko_patterns() {
	local m
	for m in "$@"; do
		printf '%s\n' "*/$m.ko*"
		[ "${m//_/-}" = "$m" ] || printf '%s\n' "*/${m//_/-}.ko*"
	done
}

# shellcheck disable=SC2086 # $wanted is a list of names
mapfile -t pats < <(ko_patterns $wanted)
extract "$work/x" '*/vmlinuz*' '*/config-*' '*/modules/*/config' "${pats[@]}"

out=$work/out
mkdir -p "$out/modules"
vmlinuz=$(find "$work/x" -type f -name 'vmlinuz*' | head -n1)
[ -n "$vmlinuz" ] || die "no vmlinuz in ${debs[*]}"
cp "$vmlinuz" "$out/vmlinuz"
config=$(find "$work/x" -type f \( -name "config-$kver" -o -path "*/modules/$kver/config" \) | head -n1)
[ -z "$config" ] || cp "$config" "$out/config"

# Collect modules (uncompressed) into $out/modules, resolving dependencies.
collect() {
	local f b
	while IFS= read -r f; do
		b=${f##*/}
		case $b in
		*.ko.xz) xz -dc "$f" >"$out/modules/${b%.xz}" ;;
		*.ko.zst) zstd -q -dc "$f" >"$out/modules/${b%.zst}" ;;
		*.ko.gz) gzip -dc "$f" >"$out/modules/${b%.gz}" ;;
		*.ko) cp "$f" "$out/modules/$b" ;;
		esac
	done < <(find "$work/x" -type f -name '*.ko*')
}
collect

declare -A file_of deps_of
round=0
while :; do
	file_of=() deps_of=()
	for f in "$out"/modules/*.ko; do
		[ -e "$f" ] || continue
		# Module names: '-' and '_' are the same to the kernel.
		n=$(modinfo -F name "$f" 2>/dev/null || true)
		[ -n "$n" ] || { n=${f##*/}; n=${n%.ko}; }
		n=${n//-/_}
		file_of[$n]=${f##*/}
		deps_of[$n]=$(modinfo -F depends "$f" | tr ',-' ' _')
	done
	missing=
	for n in "${!deps_of[@]}"; do
		for d in ${deps_of[$n]}; do
			[ -n "${file_of[$d]:-}" ] || missing="$missing $d"
		done
	done
	[ -n "$missing" ] || break
	round=$((round + 1))
	[ $round -le 3 ] || die "unresolved module dependencies:$missing"
	say "also extracting dependencies:$missing"
	rm -rf "$work/x"
	# shellcheck disable=SC2086
	mapfile -t pats < <(ko_patterns $missing)
	extract "$work/x" "${pats[@]}"
	collect
done

# Order: preferred order from $wanted, then anything else, dependencies first.
order=() placed=" "
candidates="$wanted ${!file_of[*]}"
while [ ${#order[@]} -lt ${#file_of[@]} ]; do
	progress=0
	for n in $candidates; do
		[ -n "${file_of[$n]:-}" ] || continue
		case $placed in *" $n "*) continue ;; esac
		ok=1
		for d in ${deps_of[$n]}; do
			case $placed in *" $d "*) ;; *) ok=0 ;; esac
		done
		[ $ok = 1 ] || continue
		order+=("${file_of[$n]}") placed="$placed$n " progress=1
	done
	[ $progress = 1 ] || die "module dependency cycle among: ${!file_of[*]}"
done
: >"$out/modules/load-order"
[ ${#order[@]} -eq 0 ] || printf '%s\n' "${order[@]}" >"$out/modules/load-order"

# vermagic the kernel expects from modules: from one of its modules, or
# (kernels with everything built in) derived from its config like
# include/linux/vermagic.h does.
vm_from_config() {
	local c=$1 s
	s="$kver "
	grep -q '^CONFIG_SMP=y' "$c" && s="${s}SMP "
	if grep -q -e '^CONFIG_PREEMPT_BUILD=y' -e '^CONFIG_PREEMPT=y' "$c"; then s="${s}preempt "
	elif grep -q '^CONFIG_PREEMPT_RT=y' "$c"; then s="${s}preempt_rt "
	fi
	grep -q '^CONFIG_MODULE_UNLOAD=y' "$c" && s="${s}mod_unload "
	grep -q '^CONFIG_MODVERSIONS=y' "$c" && s="${s}modversions "
	echo "${s% }"
}
vermagic=
for f in "$out"/modules/*.ko; do
	[ -e "$f" ] || continue
	vermagic=$(modinfo -F vermagic "$f" | sed 's/ *$//')
	break
done
if [ -z "$vermagic" ]; then
	[ -s "$out/config" ] || die "no module and no config to derive the vermagic from"
	vermagic=$(vm_from_config "$out/config")
elif [ -s "$out/config" ] && [ "$(vm_from_config "$out/config")" != "$vermagic" ]; then
	say "note: vermagic derived from config differs from the modules' ($vermagic)"
fi
echo "$kver" >"$out/kver"
echo "$vermagic" >"$out/vermagic"
{
	echo "spec=$spec"
	echo "suite=${suite:-local}"
	echo "package=$pkg"
	echo "version=$pin"
	for deb in "${debs[@]}"; do echo "deb=${deb##*/}"; done
} >"$out/source"
t2=$(date +%s)

rm -rf "$kdir"
mv "$out" "$kdir"
touch "$kdir/.complete"
say "$spec -> $kver ($pkg $pin): download $((t1 - t0)) s, extract $((t2 - t1)) s," \
	"modules: ${order[*]:-none (built in)}"
echo "$kdir"
