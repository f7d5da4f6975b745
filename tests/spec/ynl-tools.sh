# shellcheck shell=bash disable=SC2154 # top and die: the sourcing script's
# ynl-tools.sh: sourced by ynl.sh and tests/vm/ynl/payload.sh.  Finds the
# kernel's YNL tools (Linux 6.12's tools/net/ynl, from Debian's
# linux-source-6.12, which tests/install-deps.sh installs), unpacking them
# once into $VFIOGROUP_CACHE/ynl/VERSION (default /var/cache/vfiogroup),
# and lays out a scratch kernel-like tree for the spec: ynl-gen-c finds the
# schema beside the spec's directory and the tree's root by a MAINTAINERS
# file.
#
# Needs $top (the source tree) and a die function; sets ynl_version,
# ynl_root (the unpacked tree), ynl (its tools/net/ynl), ynl_work (a
# scratch directory, removed at exit) and ynl_spec (the spec in the
# scratch tree); defines ynl_gen OUT ARGS... (one ynl-gen-c run).

ynl_series=6.12
spec_rel=Documentation/netlink/specs/vfiogroup.yaml

ynl_version=$(dpkg-query -W -f='${Version}' "linux-source-$ynl_series" 2>/dev/null) ||
	die "linux-source-$ynl_series is not installed (tests/install-deps.sh installs it)"
ynl_tarball=/usr/src/linux-source-$ynl_series.tar.xz
[ -f "$ynl_tarball" ] || die "$ynl_tarball is missing (reinstall linux-source-$ynl_series)"
ynl_cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}/ynl
ynl_root=$ynl_cache/$ynl_version
if [ ! -f "$ynl_root/.unpacked" ]; then
	mkdir -p "$ynl_cache"
	ynl_tmp=$(mktemp -d "$ynl_cache/.unpack.XXXXXX")
	tar -xJf "$ynl_tarball" -C "$ynl_tmp" --strip-components=1 \
		"linux-source-$ynl_series/tools/net/ynl" \
		"linux-source-$ynl_series/Documentation/netlink" \
		"linux-source-$ynl_series/include/uapi/linux/netlink.h" \
		"linux-source-$ynl_series/include/uapi/linux/genetlink.h"
	touch "$ynl_tmp/.unpacked"
	rm -rf "$ynl_root"
	mv "$ynl_tmp" "$ynl_root"
fi
ynl=$ynl_root/tools/net/ynl

ynl_work=$(mktemp -d)
trap 'rm -rf "$ynl_work"' EXIT
mkdir -p "$ynl_work/tree/${spec_rel%/*}"
cp "$ynl_root"/Documentation/netlink/*.yaml "$ynl_work/tree/Documentation/netlink/"
ynl_spec=$ynl_work/tree/$spec_rel
cp "$top/$spec_rel" "$ynl_spec"
: >"$ynl_work/tree/MAINTAINERS"

# ynl_gen OUT ARGS...: one generator run, its output in OUT
ynl_gen() {
	local out=$1
	shift
	python3 "$ynl/ynl-gen-c.py" --spec "$ynl_spec" "$@" -o "$out"
}

# ynl_cc SRC OBJ: as tools/net/ynl/generated/Makefile compiles, against
# the checked-in UAPI header and the netlink UAPI of the tools' kernel;
# SRC's directory is searched for the generated header
ynl_cc() {
	gcc -std=gnu11 -O2 -W -Wall -Wextra -Wno-unused-parameter -Wshadow \
		-Werror -I"$top/include/uapi" -I"$ynl/lib" -I"${1%/*}" \
		-idirafter "$ynl_root/include/uapi" -c "$1" -o "$2"
}
