# shellcheck shell=bash
# Sourced by fetch-kernel.sh, build-module.sh and run-suite.sh: where the
# debug kernels' packages are looked for, in this order:
# $VG_DEBUG_KERNELS_DIR (DIR[:DIR...]), else the shared copies, then what
# build-debug-kernel.sh made in $VFIOGROUP_CACHE/debug-kernels.
IFS=: read -ra debug_dirs <<<"${VG_DEBUG_KERNELS_DIR:-/work/shared/kernels:${VFIOGROUP_CACHE:-/var/cache/vfiogroup}/debug-kernels}"

# debug_image BASE: the newest linux-image-BASE.*-vfiogroup-debug*.deb of the
# first of debug_dirs that has one; fails when none has.
debug_image() {
	local d f
	for d in "${debug_dirs[@]}"; do
		# shellcheck disable=SC2012 # names are plain package file names
		f=$(ls "$d"/linux-image-"$1".*-vfiogroup-debug*.deb 2>/dev/null | sort -V | tail -n1) || true
		[ -z "$f" ] || { echo "$f"; return 0; }
	done
	return 1
}
