#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-guest.sh OUTDIR: builds the Go programs the VM bench runs in its
# guest, static (CGO_ENABLED=0, -trimpath) and offline, as test.sh builds
# (gowork.sh): OUTDIR/vfiogroup-go-check (cmd/vfiogroup-go-check, the
# checks against the real module) and OUTDIR/vfiogroup-device-plugin
# (examples/device-plugin).  Exit status: 0 built, 1 failed, 77 go or a
# Debian module is missing.
set -eu

me=build-guest.sh
if [ $# -ne 1 ]; then
	echo "usage: $me OUTDIR" >&2
	exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
# shellcheck source=gowork.sh source-path=SCRIPTDIR
. "$here/gowork.sh"

cd "$here"
export CGO_ENABLED=0
status=0
go build -trimpath -ldflags="-s -w" -o "$out/vfiogroup-go-check" ./cmd/vfiogroup-go-check || status=1
go build -trimpath -ldflags="-s -w" -o "$out/vfiogroup-device-plugin" ./examples/device-plugin || status=1
if [ $status = 0 ]; then
	echo "$me: built $out/vfiogroup-go-check $out/vfiogroup-device-plugin"
else
	echo "$me: FAIL" >&2
fi
exit $status
