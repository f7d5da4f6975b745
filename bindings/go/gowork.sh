# SPDX-License-Identifier: LGPL-2.1-or-later
#
# shellcheck shell=sh disable=SC2154 # here, work, me: set by the caller
#
# Sourced by test.sh and build-guest.sh: checks for Debian's Go and the
# Debian-packaged modules (exit 77 if one is missing), and writes a
# throw-away go.work that uses this directory and replaces every
# dependency with its directory under $gocode, then exports the offline
# environment (GOWORK, GOPROXY=off, ...).  Needs $here (this directory),
# $work (a temporary directory) and $me (the caller's name, for messages).

gocode=${GOCODE:-/usr/share/gocode/src}

if ! command -v go >/dev/null 2>&1; then
	echo "$me: no go command (apt-get install golang-go)" >&2
	exit 77
fi
for m in github.com/mdlayher/genetlink github.com/mdlayher/netlink \
	 github.com/mdlayher/socket golang.org/x/sys golang.org/x/net; do
	if [ ! -f "$gocode/$m/go.mod" ]; then
		echo "$me: $gocode/$m missing (apt-get install golang-github-mdlayher-genetlink-dev)" >&2
		exit 77
	fi
done

{
	printf 'go 1.19\n\nuse %s\n\nreplace (\n' "$here"
	for m in github.com/mdlayher/genetlink github.com/mdlayher/netlink \
		 github.com/mdlayher/socket github.com/josharian/native \
		 github.com/google/go-cmp golang.org/x/sys golang.org/x/net \
		 golang.org/x/sync golang.org/x/text; do
		[ -f "$gocode/$m/go.mod" ] && printf '\t%s => %s\n' "$m" "$gocode/$m"
	done
	printf ')\n'
} >"$work/go.work"

export GOWORK="$work/go.work" GOPROXY=off GOSUMDB=off GOFLAGS='' GO111MODULE=on
# A build cache where one can be written (not in a read-only home).
if ! go env GOCACHE 2>/dev/null | grep -q / || [ "$(go env GOCACHE)" = off ]; then
	export GOCACHE="$work/cache"
fi
