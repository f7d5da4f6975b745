#!/bin/sh
# checkpatch.pl --strict over kmod/ and the UAPI header, with the checkpatch
# of Debian's linux-source-6.12 (unpacked once into the cache): the newest
# kernel source tests/install-deps.sh installs, so the strictest rules (6.12
# knows more structs that should be const than 6.1 does).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}/checkpatch
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || { echo "checkpatch: install linux-source-6.12" >&2; exit 1; }

dir=$cache/$(basename "$tarball" .tar.xz)
if [ ! -x "$dir/scripts/checkpatch.pl" ]; then
	mkdir -p "$cache"
	tar -C "$cache" -xJf "$tarball" \
		"$(basename "$dir")/scripts/checkpatch.pl" \
		"$(basename "$dir")/scripts/spelling.txt" \
		"$(basename "$dir")/scripts/const_structs.checkpatch"
fi

cd "$top"
"$dir/scripts/checkpatch.pl" --strict --no-tree --quiet -f \
	kmod/*.c kmod/*.h kmod/kunit/*.c include/uapi/linux/vfiogroup.h
echo "checkpatch --strict: kmod/ and the UAPI header are clean"
