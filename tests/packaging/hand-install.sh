#!/bin/bash
# Finds a vfiogroup installed by hand ("make install", default prefix
# /usr/local, module in /lib/modules/KVER/updates, or extra/ where Kbuild's
# own modules_install put it): its programs and library
# come before the packages' in PATH and the loader's cache, so the package
# test would run them instead and fail without saying why.  Prints the
# files and the command that removes them, and exits 1; exits 0 when there
# are none.  --list prints only the files, one a line (same exit status).
#
#   tests/packaging/hand-install.sh [--list] [ROOT]   (ROOT: a chroot, default /)
set -uo pipefail

list=0
[ "${1:-}" = --list ] && { list=1; shift; }
root=${1:-}
found=()
for f in "$root"/usr/local/bin/vfiogroup \
	"$root"/usr/local/lib/libvfiogroup.* \
	"$root"/usr/local/lib/*/libvfiogroup.* \
	"$root"/usr/local/lib/pkgconfig/libvfiogroup.pc \
	"$root"/usr/local/lib/*/pkgconfig/libvfiogroup.pc \
	"$root"/usr/local/include/vfiogroup.h \
	"$root"/usr/local/include/linux/vfiogroup.h \
	"$root"/usr/local/share/man/man3/libvfiogroup.3 \
	"$root"/usr/local/share/man/man8/vfiogroup.8 \
	"$root"/usr/local/share/bash-completion/completions/vfiogroup \
	"$root"/lib/modules/*/updates/vfiogroup.ko* \
	"$root"/lib/modules/*/extra/vfiogroup.ko*; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	# lib/*/ also matches lib/pkgconfig/: each file once
	[[ " ${found[*]} " == *" $f "* ]] || found+=("$f")
done
[ ${#found[@]} -gt 0 ] || exit 0
[ $list = 0 ] || { printf '%s\n' "${found[@]}"; exit 1; }

echo "error: vfiogroup is installed by hand here; the packages' programs and"
echo "library would be shadowed by these files:"
printf '  %s\n' "${found[@]}"
echo "Undo it with 'make uninstall' (as root) in the build tree that installed"
echo "it, or remove exactly these files:"
printf '  rm -f'
printf ' %q' "${found[@]}"
printf ' && ldconfig'
for f in "${found[@]}"; do
	case $f in "$root"/lib/modules/*/extra/* | "$root"/lib/modules/*/updates/*)
		k=${f#"$root"/lib/modules/}
		printf ' && depmod -a %q' "${k%%/*}" ;;
	esac
done
echo
exit 1
