#!/bin/sh
# apt-suite.sh SUITE[:ARCH] apt-get|apt-cache ARGS...
#
# Runs apt-get or apt-cache against Debian suite SUITE without touching the
# host's apt state.  The host's own suite (from /etc/os-release) uses the host
# state unchanged.  Any other suite gets a private state in
# $VFIOGROUP_CACHE/apt-SUITE (lists, package cache, empty dpkg status) using
# the mirror the host's apt uses (debian-mirror.sh: deb822 or one-line
# format); it is refreshed ("apt-get update") when its lists are
# missing or $VFIOGROUP_APT_MAX_AGE_DAYS (default 7) days old, or when
# VG_APT_UPDATE=1.
#
# :ARCH (a dpkg architecture other than the host's, e.g. arm64) sees that
# architecture's packages only, in a private state $VFIOGROUP_CACHE/
# apt-SUITE-ARCH, the host's suite included (its sources then are all of
# the host's sources, in either format: the -security kernels too).  The host's
# dpkg is not given the architecture.
#
# Examples:
#   apt-suite.sh trixie apt-cache depends linux-image-amd64
#   (cd DIR && apt-suite.sh trixie apt-get download linux-image-6.12.X-amd64-unsigned)
#   apt-suite.sh bookworm:arm64 apt-cache depends linux-headers-arm64
set -eu

usage() { echo "usage: $0 SUITE apt-get|apt-cache ARGS..." >&2; exit 2; }
[ $# -ge 2 ] || usage
suite=${1%%:*} tool=$2
arch=''
case $1 in *:*) arch=${1#*:} ;; esac
shift 2
case $tool in apt-get|apt-cache) ;; *) usage ;; esac

cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
host_suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ "$arch" != "$(dpkg --print-architecture)" ] || arch=''

if [ "$suite" = "$host_suite" ] && [ -z "$arch" ]; then
	exec "$tool" "$@"
fi

d=$cache/apt-$suite${arch:+-$arch}
mkdir -p "$d/srcparts" "$d/lists/partial" "$d/cache/archives/partial" "$d/prefparts"
[ -e "$d/status" ] || : >"$d/status"
if [ -z "$(ls -A "$d/srcparts")" ]; then
	# Read the mirror from the host's configuration at run time; never
	# write a mirror's name into the source tree.
	if [ "$suite" = "$host_suite" ]; then
		# all of the host's sources, in either format
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
			[ ! -s "$f" ] || cp "$f" "$d/srcparts/host-${f##*/}"
		done
	else
		uri=$("$(dirname "$0")/debian-mirror.sh") ||
			{ echo "$0: no Debian mirror in /etc/apt/sources.list or sources.list.d" >&2; exit 1; }
		printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" "$suite" >"$d/srcparts/x.sources"
	fi
fi

# Check-Valid-Until=false: sid's Release file on the mirror had expired.
apt_s() {
	t=$1; shift
	if [ -n "$arch" ]; then
		set -- -o APT::Architecture="$arch" -o APT::Architectures="$arch" "$@"
	fi
	"$t" -o Dir::Etc::SourceParts="$d/srcparts" -o Dir::Etc::SourceList="$d/none.list" \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o Dir::State::status="$d/status" -o Dir::Etc::Preferences="$d/none.pref" \
		-o Dir::Etc::PreferencesParts="$d/prefparts" \
		-o Acquire::Check-Valid-Until=false "$@"
}

max_age=${VFIOGROUP_APT_MAX_AGE_DAYS:-7}
stamp=$d/lists/.vg-updated
need_update=${VG_APT_UPDATE:-0}
# Fresh: a Packages list or the stamp changed less than max_age days ago.
if [ -z "$(find "$d/lists" -maxdepth 1 \( -name .vg-updated -o -name '*_Packages*' \) -ctime -"$max_age" 2>/dev/null)" ]; then
	need_update=1
fi
if [ "$need_update" = 1 ]; then
	echo "apt-suite: updating the apt state for $suite${arch:+ ($arch)} in $d" >&2
	apt_s apt-get -q update >&2
	touch "$stamp"
fi
apt_s "$tool" "$@"
