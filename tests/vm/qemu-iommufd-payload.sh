#!/bin/bash
# qemu-iommufd-payload.sh OUTDIR
#
# The QEMU the qemu sections take the VFIO cdev path with (-object iommufd,
# -device vfio-pci,iommufd=...): sid's qemu-system-x86_64, which has iommufd
# (Debian 12's 7.2 has not; it came in 8.2).  OUTDIR becomes
# /payload/qemu-iommufd in the guests of kernels with IOMMUFD.  sid's QEMU
# needs sid's glibc, newer than the guest's (Debian 12's), so the payload
# carries its own loader and libraries and names itself self-contained
# (mkinitramfs.sh then leaves its ELF files alone):
#
#   bin/qemu-system-x86_64    a shell wrapper: sid's loader runs the binary
#                             with lib/ only, -L share/qemu and
#                             QEMU_MODULE_DIR=lib/qemu
#   libexec/qemu-system-x86_64, lib/ld-linux-x86-64.so.2, lib/*.so*
#   lib/qemu/accel-tcg-x86_64.so   TCG, where Debian builds it as a module
#                             (up to QEMU 9; later it is in the binary)
#   share/qemu/bios-256k.bin, share/qemu/kvmvapic.bin
#   .vg-self-contained
#
# The packages (qemu-system-x86 and what apt says it depends on, no
# recommends) come from sid through apt-suite.sh and are kept in
# $VFIOGROUP_CACHE/qemu-iommufd/debs.  The copy is then started on the host,
# paused and daemonized as the guest starts it (without a device: the host
# has no /dev/iommu), with the host's QEMU files hidden when root: it must
# come up, or this fails.  Needs network once, then the cache.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu-selftest.sh source-path=SCRIPTDIR
. "$here/qemu-selftest.sh"
cache=${VFIOGROUP_CACHE:-/var/cache/vfiogroup}
die() { echo "qemu-iommufd-payload: error: $*" >&2; exit 1; }
say() { echo "qemu-iommufd-payload: $*" >&2; }
[ $# -eq 1 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1
suite=sid
apt_suite() { "$here/apt-suite.sh" "$suite" "$@"; }

dl=$cache/qemu-iommufd/debs
mkdir -p "$dl"
exec 9>"$cache/qemu-iommufd/.lock"
flock 9

# --- packages -----------------------------------------------------------
# apt-suite.sh's private state has an empty dpkg status, so a simulated
# install lists the whole closure, libc6 included.
ver=$(apt_suite apt-cache policy qemu-system-x86 | sed -n 's/^ *Candidate: //p' | head -n1) || true
stamp=$dl/.complete
if [ -n "$ver" ] && [ "$ver" != '(none)' ] && [ "$(cat "$stamp" 2>/dev/null)" != "$ver" ]; then
	pkgs=$(apt_suite apt-get -s -q install --no-install-recommends "qemu-system-x86=$ver" |
		awk '$1 == "Inst" { print $2 }') || die "apt cannot resolve qemu-system-x86 $ver in $suite"
	[ -n "$pkgs" ] || die "apt resolved no packages for qemu-system-x86 $ver"
	rm -f "$dl"/*.deb "$stamp"
	# shellcheck disable=SC2086 # a list of package names
	(cd "$dl" && apt_suite apt-get -q -o APT::Sandbox::User=root download $pkgs) >&2 ||
		die "apt-get download failed"
	echo "$ver" >"$stamp"
	say "qemu-system-x86 $ver: $(echo "$pkgs" | wc -w) packages in $dl"
elif [ ! -f "$stamp" ]; then
	die "apt knows no qemu-system-x86 in $suite, and $dl has no complete set"
fi
ver=$(cat "$stamp")

# --- the tree -------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/vg-qemu-iommufd.XXXXXX")
trap 'rm -rf "$work"' EXIT
st=$work/root
mkdir -p "$st"
for d in "$dl"/*.deb; do
	dpkg-deb -x "$d" "$st"
done
loader=$st/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
[ -e "$loader" ] || loader=$st/lib64/ld-linux-x86-64.so.2
[ -e "$loader" ] || die "no ld-linux-x86-64.so.2 in sid's libc6"
bin=$st/usr/bin/qemu-system-x86_64
tcg=$st/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
[ -x "$bin" ] || die "no usr/bin/qemu-system-x86_64 in the packages"
elfs=("$bin")
[ ! -f "$tcg" ] || elfs+=("$tcg")
libpath=$st/usr/lib/x86_64-linux-gnu:$st/lib/x86_64-linux-gnu

rm -rf "$out"
mkdir -p "$out/bin" "$out/libexec" "$out/lib/qemu" "$out/share/qemu"
cp "$bin" "$out/libexec/"
[ ! -f "$tcg" ] || cp "$tcg" "$out/lib/qemu/"
cp -L "$loader" "$out/lib/ld-linux-x86-64.so.2"
# sid's own loader lists what the binary and the TCG module load.
for f in "${elfs[@]}"; do
	"$loader" --library-path "$libpath" --list "$f" >"$work/list" 2>&1 ||
		{ cat "$work/list" >&2; die "sid's loader cannot resolve ${f#"$st"}"; }
	! grep -q 'not found' "$work/list" || { cat "$work/list" >&2; die "${f#"$st"}: libraries not found"; }
	while read -r a b c _; do
		# (the loader's own line names it by its absolute path)
		if [ "$b" = "=>" ] && [ "${c#"$st"/}" != "$c" ] && [ "${a#*/}" = "$a" ] &&
			[ ! -e "$out/lib/$a" ]; then
			cp -L "$c" "$out/lib/$a"
		fi
	done <"$work/list"
done
for f in bios-256k.bin kvmvapic.bin; do
	src=''
	for d in "$st/usr/share/qemu" "$st/usr/share/seabios"; do
		[ ! -e "$d/$f" ] || { src=$d/$f; break; }
	done
	[ -n "$src" ] || die "no $f in sid's qemu-system-data or seabios"
	# Debian's share/qemu links are absolute (/usr/share/seabios/...):
	# follow them inside the tree.
	while [ -L "$src" ]; do
		t=$(readlink "$src")
		case $t in /*) src=$st$t ;; *) src=$(dirname "$src")/$t ;; esac
	done
	cp "$src" "$out/share/qemu/$f"
done
cat >"$out/bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# sid's QEMU with its own loader and libraries (qemu-iommufd-payload.sh)
d=$(cd "$(dirname "$0")/.." && pwd)
QEMU_MODULE_DIR=$d/lib/qemu exec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" \
	"$d/libexec/qemu-system-x86_64" -L "$d/share/qemu" "$@"
EOF
chmod 755 "$out/bin/qemu-system-x86_64"
echo "sid qemu-system-x86 $ver" >"$out/.vg-self-contained"

# --- self-test: the copy comes up paused with nothing but its own files ---
qemu_selftest "$out/bin/qemu-system-x86_64" || die "the copied QEMU did not come up paused"
objects=$("$out/bin/qemu-system-x86_64" -object help)
grep -qx ' *iommufd' <<<"$objects" || die "sid's QEMU $ver lists no iommufd object"

version=$("$out/bin/qemu-system-x86_64" --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
echo "qemu-iommufd-payload: $out: sid's qemu-system-x86_64 $version with its loader and" \
	"$(find "$out/lib" -maxdepth 1 -name '*.so*' | wc -l) libraries ($(du -sk "$out" | cut -f1) KiB;" \
	"self-test passed, $QEMU_SELFTEST_HOW)"
