#!/bin/bash
# ynl.sh gen|check
#
# Runs the kernel's own YNL tools on the family's spec,
# Documentation/netlink/specs/vfiogroup.yaml, which is the protocol's
# source:
#
#   gen    writes include/uapi/linux/vfiogroup.h (--mode uapi) and the
#          module's policies and op table, kmod/vfiogroup-nl-gen.[ch]
#          (--mode kernel): what "make spec-gen" runs after the spec changed
#   check  fails unless every step passes: ynl-gen-c in uapi, kernel and
#          user modes (each validates the spec against YNL's genetlink-c
#          schema first); the checked-in generated files byte-identical to
#          a fresh generation; the generated user code compiled with YNL's
#          own lib/ynl.c, -Werror
#
# The tools are those of Linux 6.12 (tools/net/ynl), taken from Debian's
# linux-source-6.12 package, which tests/install-deps.sh installs; they
# need python3-yaml and python3-jsonschema.  They are unpacked once into
# $VFIOGROUP_CACHE/ynl/VERSION (default /var/cache/vfiogroup).
# ynl-gen-c finds the schema beside the spec's directory and the tree's
# root by a MAINTAINERS file, so each run copies the spec into a
# scratch tree laid out like the kernel's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
series=6.12
spec_rel=Documentation/netlink/specs/vfiogroup.yaml
uapi_rel=include/uapi/linux/vfiogroup.h

usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
die() { echo "ynl: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || usage
mode=$1
case $mode in gen|check) ;; *) usage ;; esac

# --- the tools ----------------------------------------------------------
version=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null) ||
	die "linux-source-$series is not installed (tests/install-deps.sh installs it)"
tarball=/usr/src/linux-source-$series.tar.xz
[ -f "$tarball" ] || die "$tarball is missing (reinstall linux-source-$series)"
ynl_root=$cache/ynl/$version
if [ ! -f "$ynl_root/.unpacked" ]; then
	mkdir -p "$cache/ynl"
	tmp=$(mktemp -d "$cache/ynl/.unpack.XXXXXX")
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 \
		"linux-source-$series/tools/net/ynl" \
		"linux-source-$series/Documentation/netlink" \
		"linux-source-$series/include/uapi/linux/netlink.h" \
		"linux-source-$series/include/uapi/linux/genetlink.h"
	touch "$tmp/.unpacked"
	rm -rf "$ynl_root"
	mv "$tmp" "$ynl_root"
fi
ynl=$ynl_root/tools/net/ynl
gen=$ynl/ynl-gen-c.py

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree/${spec_rel%/*}"
cp "$ynl_root"/Documentation/netlink/*.yaml "$tree/Documentation/netlink/"
cp "$top/$spec_rel" "$tree/$spec_rel"
: >"$tree/MAINTAINERS"

# ynl_gen OUT MODE ARGS...: one generator run, its output in OUT
ynl_gen() {
	local out=$1
	shift
	python3 "$gen" --spec "$tree/$spec_rel" "$@" -o "$out"
}

# What gen writes and check compares: the UAPI header, and the module's
# policies and op table (kernel mode), as the kernel checks its own in.
outputs=(
	"$uapi_rel|--mode uapi --header"
	"kmod/vfiogroup-nl-gen.h|--mode kernel --header"
	"kmod/vfiogroup-nl-gen.c|--mode kernel --source"
)

if [ "$mode" = gen ]; then
	mkdir -p "$work/gen"
	for o in "${outputs[@]}"; do
		rel=${o%%|*}
		# Under the file's own name: the kernel source names its header
		# after it.
		out=$work/gen/${rel##*/}
		# shellcheck disable=SC2086 # the mode's words
		ynl_gen "$out" ${o#*|}
		if cmp -s "$out" "$top/$rel"; then
			echo "ynl: $rel is up to date (YNL $version)"
		else
			cp "$out" "$top/$rel"
			echo "ynl: wrote $rel (YNL $version)"
		fi
	done
	exit 0
fi

passed=0 failed=0
# step NAME CMD...: one line per step, the output of a failed one below it
step() {
	local name=$1 log=$work/step.log
	shift
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok: $name"
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
		sed 's/^/    /' "$log"
	fi
}

mkdir -p "$work/gen" "$work/user"
for o in "${outputs[@]}"; do
	rel=${o%%|*}
	# shellcheck disable=SC2086 # the mode's words
	step "ynl-gen-c ${o#*|}" ynl_gen "$work/gen/${rel##*/}" ${o#*|}
	step "$rel is what ynl-gen-c makes of the spec, byte for byte" \
		diff -u "$work/gen/${rel##*/}" "$top/$rel"
done
step "ynl-gen-c --mode user --header" \
	ynl_gen "$work/user/vfiogroup-user.h" --mode user --header
step "ynl-gen-c --mode user --source" \
	ynl_gen "$work/user/vfiogroup-user.c" --mode user --source

# As tools/net/ynl/generated/Makefile builds it, against the checked-in
# header and the netlink UAPI of the tools' own kernel.
cc_user() {
	gcc -std=gnu11 -O2 -W -Wall -Wextra -Wno-unused-parameter -Wshadow \
		-Werror -I"$top/include/uapi" -I"$ynl/lib" \
		-idirafter "$ynl_root/include/uapi" -c "$1" -o "$2"
}
cc_client() {
	cc_user "$work/user/vfiogroup-user.c" "$work/user/vfiogroup-user.o" &&
		cc_user "$ynl/lib/ynl.c" "$work/user/ynl.o"
}
step "generated user code compiles with YNL's lib/ynl.c (-Werror)" cc_client

echo "ynl (Linux $version tools): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
