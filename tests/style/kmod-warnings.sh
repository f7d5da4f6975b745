#!/bin/sh
# Rebuilds the module from scratch with W=1 and sparse (C=2) and fails on
# any warning: Kbuild treats neither as an error by itself.
# Usage: kmod-warnings.sh BUILDDIR
set -eu

builddir=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

make -C "$builddir/kmod" clean >/dev/null
make -C "$builddir/kmod" KMOD_W=1 KMOD_C=2 KCFLAGS=-Werror >"$log" 2>&1 || {
	cat "$log"
	exit 1
}
if grep -E '(warning|error):' "$log"; then
	echo "kmod: W=1 / sparse reported the lines above" >&2
	exit 1
fi
echo "kmod: W=1 and sparse (C=2) found nothing"
