# shellcheck shell=bash
# Sourced by fetch-kernel.sh, build-module.sh and run-suite.sh: where the
# packages of the kernels build-debug-kernel.sh makes (the debug kernels and
# the iommufd kernel) are looked for, in this order:
# $VG_DEBUG_KERNELS_DIR (DIR[:DIR...]), else the shared copies, then what
# build-debug-kernel.sh made in $VFIOGROUP_CACHE/debug-kernels.
# The shared copies: ../shared/kernels beside the source tree (the clone's
# parent directory), as the README says.
vg_shared_kernels=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/shared/kernels
IFS=: read -ra debug_dirs <<<"${VG_DEBUG_KERNELS_DIR:-$vg_shared_kernels:${VFIOGROUP_CACHE:-/var/cache/vfiogroup}/debug-kernels}"

# bench_image SPEC: the newest image package of kernel spec SPEC ("debug",
# "debug-5.10": linux-image-BASE.*-vfiogroup-debug*.deb; "iommufd":
# linux-image-6.12.*-vfiogroup-iommufd*.deb) in the first of debug_dirs that
# has one; fails when none has.
bench_image() {
	local d f base=${1#debug} flavour=debug
	base=${base#-}
	case $1 in iommufd) base=6.12 flavour=iommufd ;; esac
	for d in "${debug_dirs[@]}"; do
		# shellcheck disable=SC2012 # names are plain package file names
		f=$(ls "$d"/linux-image-"${base:-6.1}".*-vfiogroup-"$flavour"*.deb 2>/dev/null | sort -V | tail -n1) || true
		[ -z "$f" ] || { echo "$f"; return 0; }
	done
	return 1
}

# bench_build_arg SPEC: build-debug-kernel.sh's VERSION for SPEC
bench_build_arg() {
	case $1 in
	iommufd) echo iommufd ;;
	*) local b=${1#debug}; b=${b#-}; echo "${b:-6.1}" ;;
	esac
}
