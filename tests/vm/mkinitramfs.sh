#!/bin/bash
# mkinitramfs.sh -o OUT.cpio.gz [options]
#
# Builds the guest's initramfs (gzip'ed newc cpio; no root needed):
#   /init                 guest-init.sh
#   /bin/busybox + links  busybox-static ($VG_BUSYBOX, default /bin/busybox)
#   /bin/asuser           asuser CMD ARGS...: run CMD as vguser (uid/gid 1000)
#   /etc/passwd, group    root and vguser
#   /lib/modules/kernel/  --kernel-dir KDIR: KDIR/modules/*.ko + load-order
#   /lib/modules/test/    --module KO (repeatable; loaded in that order)
#   /payload/             --payload DIR (repeatable, merged in order; build
#                         leftovers such as *.o, *.c, Makefile*, .deps are
#                         skipped; libtool wrappers are replaced by the real
#                         program from .libs/) and --bin FILE (to /payload/bin)
#   shared libraries      of every dynamic ELF file in /payload, found with
#                         ldd (--lib-path DIR adds to LD_LIBRARY_PATH for
#                         not-yet-installed libraries), the dynamic loader,
#                         and always libnl-3 and libnl-genl-3; not below a
#                         directory holding .vg-self-contained, which brings
#                         its own loader and libraries
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out='' kdir=''
modules=() payloads=() bins=() libpaths=()
usage() {
	sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift 2 ;;
	--kernel-dir) kdir=$2; shift 2 ;;
	--module) modules+=("$2"); shift 2 ;;
	--payload) payloads+=("$2"); shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--lib-path) libpaths+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "mkinitramfs: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$out" ] || usage
die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
# A command failing under set -e would otherwise end the script silently.
trap 'echo "mkinitramfs: error: command failed (rc=$?) at line $LINENO: $BASH_COMMAND" >&2' ERR

busybox=${VG_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || die "no $busybox (apt install busybox-static)"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static or set VG_BUSYBOX"
fi

st=$(mktemp -d "${TMPDIR:-/tmp}/vg-initramfs.XXXXXX")
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/x86_64-linux-gnu,etc,proc,sys,dev,tmp,run,root,home,payload,lib/modules/kernel,lib/modules/test}
chmod 1777 "$st/tmp"

# --- busybox, init, users -----------------------------------------------
cp "$busybox" "$st/bin/busybox"
while IFS= read -r a; do
	[ -e "$st/$a" ] || ln -s /bin/busybox "$st/$a"
done < <("$busybox" --list-full)
install -m 0755 "$here/guest-init.sh" "$st/init"
cat >"$st/bin/asuser" <<'EOF'
#!/bin/sh
# asuser CMD [ARGS...]: run CMD as the unprivileged test user (uid/gid 1000).
[ $# -gt 0 ] || { echo "usage: asuser CMD [ARGS...]" >&2; exit 2; }
# "--": busybox su would otherwise take the command's options as its own.
exec su -s /bin/sh -c 'exec "$0" "$@"' -- vguser "$@"
EOF
chmod 0755 "$st/bin/asuser"
cat >"$st/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
vguser:x:1000:1000:vfiogroup test user:/home/vguser:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$st/etc/group" <<'EOF'
root:x:0:
vguser:x:1000:
nogroup:x:65534:
EOF
echo vg-guest >"$st/etc/hostname"

# --- kernel modules -----------------------------------------------------
if [ -n "$kdir" ]; then
	[ -f "$kdir/modules/load-order" ] || die "$kdir/modules/load-order missing (run fetch-kernel.sh)"
	cp "$kdir/modules/load-order" "$st/lib/modules/kernel/"
	while IFS= read -r m; do
		cp "$kdir/modules/$m" "$st/lib/modules/kernel/"
	done <"$kdir/modules/load-order"
fi
: >"$st/lib/modules/test/order"
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "no module $m"
	cp "$m" "$st/lib/modules/test/"
	echo "${m##*/}" >>"$st/lib/modules/test/order"
done

# --- payload ------------------------------------------------------------
is_elf() { [ "$(head -c4 "$1" 2>/dev/null | tr -d '\0')" = $'\x7fELF' ]; }
for p in "${payloads[@]}"; do
	[ -d "$p" ] || die "no payload directory $p"
	tar -C "$p" -cf - \
		--exclude='*.o' --exclude='*.lo' --exclude='*.la' --exclude='*.a' \
		--exclude='*.c' --exclude='*.h' --exclude='*.in' --exclude='*.am' \
		--exclude='Makefile*' --exclude='.deps' --exclude='.libs' --exclude='.dirstamp' \
		--exclude='*.log' --exclude='*.trs' --exclude='.gitignore' . |
		tar -C "$st/payload" -xf -
	# A libtool wrapper script stands for .libs/NAME (or .libs/lt-NAME).
	while IFS= read -r -d '' f; do
		rel=${f#"$st/payload/"}
		dir=$(dirname "$rel") base=${rel##*/}
		for real in "$p/$dir/.libs/$base" "$p/$dir/.libs/lt-$base"; do
			if [ -f "$real" ] && is_elf "$real" && ! is_elf "$f" && grep -q libtool "$f"; then
				cp "$real" "$f"
				libpaths+=("$p/$dir/.libs")
				break
			fi
		done
	done < <(find "$st/payload" -type f -perm -u+x -print0)
done
if [ ${#bins[@]} -gt 0 ]; then
	mkdir -p "$st/payload/bin"
	for b in "${bins[@]}"; do
		[ -f "$b" ] || die "no such file: $b"
		cp "$b" "$st/payload/bin/"
	done
fi

# --- shared libraries ---------------------------------------------------
libpath=$(IFS=:; echo "${libpaths[*]}")
copy_lib() {
	# Keep system libraries at their path (the loader's default search
	# path); put anything else (build trees) in /lib/x86_64-linux-gnu.
	local src=$1 dst
	case $src in
	/lib/*|/lib64/*|/usr/lib/*|/usr/lib64/*) dst=$st$src ;;
	*) dst=$st/lib/x86_64-linux-gnu/${src##*/} ;;
	esac
	[ -e "$dst" ] && return 0
	mkdir -p "$(dirname "$dst")"
	cp -L "$src" "$dst"
}
# A payload directory holding .vg-self-contained brings its own loader and
# libraries (qemu-iommufd-payload.sh): the host's ldd must not judge it.
elfs=() own=()
while IFS= read -r -d '' f; do
	own+=("${f%/.vg-self-contained}/")
done < <(find "$st/payload" -name .vg-self-contained -print0)
while IFS= read -r -d '' f; do
	for o in "${own[@]}"; do
		[ "${f#"$o"}" = "$f" ] || continue 2
	done
	is_elf "$f" && elfs+=("$f")
done < <(find "$st/payload" -type f -print0)
for l in libnl-3.so.200 libnl-genl-3.so.200; do
	# awk reads to the end: exiting early would SIGPIPE ldconfig (pipefail).
	f=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ && !f {f = $NF} END {print f}')
	if [ -n "$f" ]; then copy_lib "$f"; elfs+=("$f")
	else echo "mkinitramfs: warning: $l not found on the host (apt install libnl-genl-3-200)" >&2
	fi
done
for f in "${elfs[@]}"; do
	lddout=$(LD_LIBRARY_PATH=$libpath ldd "$f" 2>&1) || continue # static or not a program
	if grep -q 'not found' <<<"$lddout"; then
		die "${f#"$st"}: libraries not found (add --lib-path):"$'\n'"$(grep 'not found' <<<"$lddout")"
	fi
	while read -r a b c _; do
		if [ "$b" = "=>" ] && [ "${c#/}" != "$c" ]; then copy_lib "$c"
		elif [ "${a#/}" != "$a" ]; then copy_lib "$a"   # the dynamic loader
		fi
	done <<<"$lddout"
done

# --- archive ------------------------------------------------------------
# /dev/console must exist before /init runs; written as a cpio entry by
# hand so that no mknod (root) is needed.
newc() { # NAME MODE RDEVMAJOR RDEVMINOR
	local name=$1 len pad
	len=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$len" 0
	printf '%s\0' "$name"
	pad=$(((4 - (110 + len) % 4) % 4))
	[ $pad -eq 0 ] || head -c "$pad" /dev/zero
}
mkdir -p "$(dirname "$out")"
{
	(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet)
	newc dev/console $((0020600)) 5 1
	newc TRAILER!!! 0 0 0
} | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out: $(du -k "$out" | cut -f1) KiB, $(find "$st/payload" -type f | wc -l) payload files," \
	"$(find "$st/lib/modules" -name '*.ko' | wc -l) modules" >&2
