#!/bin/sh
# hand-install.sh against made-up roots: nothing installed by hand -> 0
# and silent; a make install's files under /usr/local and a module in
# /lib/modules/KVER/updates (or extra/) -> 1, each file listed and in the rm command
# with ldconfig and depmod for that kernel.  Packaged paths are not hand
# installs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

mkdir -p "$root/usr/bin" "$root/usr/lib/x86_64-linux-gnu" \
	"$root/lib/modules/6.1.0-57-amd64/updates/dkms"
touch "$root/usr/bin/vfiogroup" "$root/usr/lib/x86_64-linux-gnu/libvfiogroup.so.1" \
	"$root/lib/modules/6.1.0-57-amd64/updates/dkms/vfiogroup.ko"
out=$("$here/hand-install.sh" "$root")
rc=$?
[ "$rc" = 0 ] || no "packaged files only: rc=$rc, want 0"
[ -z "$out" ] || no "packaged files only: said '$out'"

mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/pkgconfig" \
	"$root/usr/local/include/linux" "$root/lib/modules/6.1.0-57-amd64/updates" \
	"$root/usr/local/share/bash-completion/completions" \
	"$root/lib/modules/5.10.0-32-amd64/extra"
hand="usr/local/bin/vfiogroup usr/local/lib/libvfiogroup.so.1.0.0
	usr/local/lib/pkgconfig/libvfiogroup.pc usr/local/include/vfiogroup.h
	usr/local/include/linux/vfiogroup.h lib/modules/6.1.0-57-amd64/updates/vfiogroup.ko
	usr/local/share/bash-completion/completions/vfiogroup
	lib/modules/5.10.0-32-amd64/extra/vfiogroup.ko"
for f in $hand; do
	touch "$root/$f"
done
ln -s libvfiogroup.so.1.0.0 "$root/usr/local/lib/libvfiogroup.so.1"
out=$("$here/hand-install.sh" "$root")
rc=$?
[ "$rc" = 1 ] || no "hand install: rc=$rc, want 1"
cmd=$(echo "$out" | grep '^  rm -f ')
for f in $hand usr/local/lib/libvfiogroup.so.1; do
	echo "$out" | grep -qx "  $root/$f" || no "hand install: $f not listed"
	case " $cmd " in *" $root/$f "*) ;; *) no "hand install: $f not in the rm command" ;; esac
done
case $cmd in *"/usr/bin/vfiogroup "* | *"updates/dkms"*) no "hand install: a packaged file in the rm command: $cmd" ;; esac
case $cmd in *" && ldconfig && depmod -a 6.1.0-57-amd64 && depmod -a 5.10.0-32-amd64" | \
	*" && ldconfig && depmod -a 5.10.0-32-amd64 && depmod -a 6.1.0-57-amd64") ;;
*) no "hand install: the command does not end with ldconfig and depmod -a for both kernels: $cmd" ;;
esac

# --list: the same files, one a line, nothing else (hide-hand-install.sh reads it)
want=$(for f in $hand usr/local/lib/libvfiogroup.so.1; do echo "$root/$f"; done | sort)
out=$("$here/hand-install.sh" --list "$root")
rc=$?
[ "$rc" = 1 ] || no "--list: rc=$rc, want 1"
[ "$(echo "$out" | sort)" = "$want" ] || no "--list said: $out"

[ $fail = 0 ] && echo "PASS: hand-install.sh finds hand installs and only them"
exit $fail
