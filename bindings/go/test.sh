#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Vet and test the Go package offline, with Debian's Go (golang-go, 1.19 or
# later) and the Debian-packaged modules under /usr/share/gocode/src
# (golang-github-mdlayher-genetlink-dev pulls in the rest).  Nothing is
# downloaded: GOPROXY=off, and a throw-away go.work replaces every
# dependency with its Debian directory, so go.mod stays an ordinary one and
# no go.sum is needed.
#
# Environment: GOCODE (default /usr/share/gocode/src), FUZZTIME (e.g. 30s:
# also fuzz the decoder that long), RACE=1 (also run the tests under the
# race detector; needs gcc).  Exit status: 0 passed, 1 failed, 77 the
# toolchain or a module is missing (automake's "skipped").
set -eu

here=$(cd "$(dirname "$0")" && pwd)
me=test.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
# shellcheck source=gowork.sh source-path=SCRIPTDIR
. "$here/gowork.sh"

cd "$here"
status=0
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "test.sh: not gofmt'ed: $unformatted" >&2
	status=1
fi
go vet ./... || status=1
go test -count=1 ./... || status=1
if [ "${RACE:-}" = 1 ]; then
	go test -race -count=1 ./... || status=1
fi
if [ -n "${FUZZTIME:-}" ]; then
	go test -run '^$' -fuzz FuzzDecode -fuzztime "$FUZZTIME" . || status=1
fi
[ $status = 0 ] && echo "test.sh: PASS" || echo "test.sh: FAIL" >&2
exit $status
