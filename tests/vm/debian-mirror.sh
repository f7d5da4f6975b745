#!/bin/sh
# debian-mirror.sh: the URI of the Debian archive this machine's apt uses
# (http://HOST/debian), read from its deb822 .sources files or from the
# one-line format (/etc/apt/sources.list and sources.list.d/*.list: what
# debootstrap and the Debian 12 installer write); the first one found.
# Exits 1, printing nothing, when there is none.  Never write a mirror's
# name into the tree: read it here at run time.
#
#   tests/vm/debian-mirror.sh         ($VG_APT_ETC instead of /etc/apt)
set -eu
etc=${VG_APT_ETC:-/etc/apt}
uri=$(cat "$etc"/sources.list.d/*.sources "$etc"/sources.list "$etc"/sources.list.d/*.list 2>/dev/null |
	sed -n -e 's#^URIs: *\([a-z+]*://[^ ]*/debian\)/\{0,1\}\( .*\)\{0,1\}$#\1#p' \
		-e 's#^deb \(\[[^]]*\] \)\{0,1\}\([a-z+]*://[^ ]*/debian\)/\{0,1\} .*#\2#p' | head -n 1)
[ -n "$uri" ] || exit 1
echo "$uri"
