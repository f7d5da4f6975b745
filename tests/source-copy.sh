#!/bin/bash
# Copies a git checkout's sources (tracked and untracked files, not the
# ignored ones) to DEST, so that a tree configured in place, whose build
# products sit beside its sources, can still host out-of-tree builds.
#
#   tests/source-copy.sh SRC DEST      (DEST is emptied first)
set -uo pipefail

src=${1:?usage: source-copy.sh SRC DEST} dest=${2:?usage: source-copy.sh SRC DEST}
if ! git -C "$src" rev-parse --show-toplevel >/dev/null 2>&1; then
	echo "$src is configured in place and is no git checkout to copy from:" >&2
	echo "  run 'make distclean' in $src first (or use a fresh clone)" >&2
	exit 1
fi
rm -rf "$dest" && mkdir -p "$dest" || exit 1
(cd "$src" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) |
	tar -C "$dest" -xf - || { echo "could not copy the sources of $src to $dest" >&2; exit 1; }
