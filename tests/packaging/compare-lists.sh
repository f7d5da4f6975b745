#!/bin/bash
# compare-lists.sh DEBDIR RPMDIR: the files of each .deb against those of the
# matching .rpm, up to each distribution's paths.  Prints the differences
# and one "ok"/"not ok" line per package pair; exit 1 on any difference.
#
# Pairs (deb -> rpm): libvfiogroup1 -> libvfiogroup, libvfiogroup-dev ->
# libvfiogroup-devel, vfiogroup-tools and vfiogroup-dkms -> the same names.
# Normalised: libdir (/usr/lib/x86_64-linux-gnu, /usr/lib64) -> LIBDIR;
# systemd units (Debian 12 /lib/systemd/system, rpm %{_unitdir}
# /usr/lib/systemd/system) -> /usr/lib/systemd/system;
# /usr/share/doc/PACKAGE/ -> DOC/; compression suffixes of man pages and
# documentation dropped (Debian compresses docs over 4 kB, Fedora does not).
# Ignored: what only one distribution adds by policy (Debian's
# changelog.Debian.gz, copyright and lintian overrides; rpm's
# /usr/lib/.build-id links).  Directories are not compared (rpm lists only
# those a package owns).
set -euo pipefail
debdir=$1 rpmdir=$2
rc=0

norm() {
	sed -E -e 's#^/usr/lib/x86_64-linux-gnu/#LIBDIR/#' -e 's#^/usr/lib64/#LIBDIR/#' \
		-e 's#^/lib/systemd/system/#/usr/lib/systemd/system/#' \
		-e 's#^/usr/share/doc/[^/]+/#DOC/#' -e 's#(/man/man[0-9]/[^/]+)\.(gz|bz2|xz|zst)$#\1#' \
		-e 's#^(DOC/.*)\.gz$#\1#' |
	grep -v -E '^DOC/(changelog\.Debian|copyright)$|^/usr/share/lintian/overrides/|^/usr/lib/\.build-id(/|$)' |
	LC_ALL=C sort -u
}

deb_files() { # regular files and symlinks
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { p = $6; sub(/^\./, "", p); print p }' | norm
}
rpm_files() {
	rpm -qp --nosignature --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$1" 2>/dev/null |
		awk '$1 !~ /^d/ { print $2 }' | norm
}

n=0
for pair in libvfiogroup1:libvfiogroup libvfiogroup-dev:libvfiogroup-devel \
	vfiogroup-tools:vfiogroup-tools vfiogroup-dkms:vfiogroup-dkms; do
	d=${pair%%:*} r=${pair#*:}
	n=$((n + 1))
	deb=$(find "$debdir" -maxdepth 1 -name "${d}_*.deb" | head -n 1)
	rpmf=$(find "$rpmdir" -maxdepth 2 -name "${r}-[0-9]*.rpm" ! -name '*.src.rpm' | head -n 1)
	if [ -z "$deb" ] || [ -z "$rpmf" ]; then
		echo "not ok $n - $d / $r: package missing (deb '${deb}', rpm '${rpmf}')"
		rc=1
		continue
	fi
	if diff -u --label "$d.deb" --label "$r.rpm" <(deb_files "$deb") <(rpm_files "$rpmf") >"${TMPDIR:-/tmp}/vg-cmp.$$"; then
		echo "ok $n - $d.deb and $r.rpm ship the same $(deb_files "$deb" | wc -l) files"
	else
		echo "not ok $n - $d.deb and $r.rpm differ:"
		sed 's/^/#   /' "${TMPDIR:-/tmp}/vg-cmp.$$"
		rc=1
	fi
	rm -f "${TMPDIR:-/tmp}/vg-cmp.$$"
done
echo "1..$n"
exit $rc
