#!/bin/sh
# vfiogroup-hooks.service as built (tools/, from systemd/*.service.in):
# "systemd-analyze verify" finds nothing to say, its Documentation= man
# page included (looked up in the source tree's man/), with ExecStart
# pointed at the daemon just built, since the installed path is not there
# yet.  Skipped where systemd-analyze is missing.
set -u
: "${top_builddir:=../..}" "${top_srcdir:=../..}"
unit="$top_builddir/tools/vfiogroup-hooks.service"
daemon=$(cd "$top_builddir/tools" && pwd)/vfiogroup-hooks
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
if [ ! -f "$unit" ] || [ ! -x "$daemon" ]; then echo "FAIL: build $unit and $daemon first"; exit 1; fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/man/man8"
cp "$top_srcdir/man/vfiogroup-hooks.8" "$tmp/man/man8/"
sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$unit" >"$tmp/vfiogroup-hooks.service"
grep -q "^ExecStart=$daemon\$" "$tmp/vfiogroup-hooks.service" || { echo "FAIL: no ExecStart line to point at the build"; exit 1; }
MANPATH=$tmp/man systemd-analyze verify "$tmp/vfiogroup-hooks.service" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] || [ -s "$tmp/out" ]; then
	echo "FAIL: systemd-analyze verify (rc=$rc):"
	cat "$tmp/out"
	exit 1
fi
# Installed, not enabled by the package: nothing may start it but an admin.
grep -q '^WantedBy=multi-user.target$' "$unit" || { echo "FAIL: no [Install] WantedBy"; exit 1; }
echo "PASS: systemd-analyze verify $unit: clean"
