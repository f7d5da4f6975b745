#!/bin/bash
# tests/packaging/run.sh: the apt and rpm packages, built, installed and used
# as a user would (Debian 12, as root).  See docs/packaging.md.
#
#   tests/packaging/run.sh [--no-vm]
#
#   1. make dist (configure --disable-kmod in WORK/dist), the tarball both
#      packagings start from (sources configured in place are copied to
#      WORK/src first, and everything runs from the copy)
#   2. .debs: the tarball as vfiogroup_V.orig.tar.xz + debian/,
#      dpkg-buildpackage -us -uc; lintian (no error, no warning)
#   3. .rpms: rpmbuild -ba --nodeps rpm/vfiogroup.spec (Debian's rpm cannot
#      resolve Fedora BuildRequires); rpmlint (no error)
#   4. the rpms ship the debs' files, package by package (compare-lists.sh)
#   5. apt-get install the four .debs: DKMS builds vfiogroup.ko for the
#      kernel of the installed headers (KVER, e.g. 6.1.0-56-amd64, never the
#      host's uname -r); dkms status says installed for KVER; nothing is
#      loaded into the host kernel
#   6. examples/vmm-wait.c builds against the installed libvfiogroup-dev
#      with pkg-config; the installed vfiogroup and vmm-wait run on the host;
#      vfiogroup-hooks runs, its unit is clean for systemd-analyze verify
#      and not enabled, the hooks directory's README is a conffile
#   7. VM: tests/vm/run-suite.sh --module <the DKMS-built .ko>: the VM
#      suite's sections that use what the packages install (not walk,
#      stress: the VM suite ran those), its guest programs using the
#      package's library and tool
#      (/usr/bin/vfiogroup; vmm-wait, lib-integration and walk built
#      against the installed -dev)
#   8. VM: tests/packaging/guest/run-tests.sh instead of the suite: the
#      guest runs the package's libvfiogroup.so.1 (checksum), vfiogroup and
#      vmm-wait against the DKMS module
#   9. apt-get purge: dkms status empty, no file of the packages left
#
# A vfiogroup installed by hand (make install) is hidden from the test in a
# mount namespace of its own (hide-hand-install.sh), never touched.
# Any vfiogroup packages installed before are purged first.  Needs root and
# apt-get (installs debhelper, dh-dkms, dkms, lintian, rpm, rpmlint, ... if
# missing).  WORK: $VG_PKG_WORKDIR (default /tmp/vfiogroup-packaging),
# removed first, kept afterwards (logs).  --no-vm skips steps 7 and 8.
# Ends with "N passed, N failed, N skipped" (skipped: steps not run, and
# the SKIP lines of the guests it boots); exit 0 only if nothing failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
work=${VG_PKG_WORKDIR:-/tmp/vfiogroup-packaging}
args=("$@")	# for the run in a mount namespace of its own
vm=1
while [ $# -gt 0 ]; do
	case $1 in
	--no-vm) vm=0; shift ;;
	-h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

passed=0 failed=0 skipped=0 failures=()
t_start=$SECONDS
say() { printf '\n=== %s\n' "$*"; }
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); echo "not ok - $*"; }
# step NAME CMD...: one pass/fail, output in WORK/logs/NAME.log (shown on failure)
step() {
	local name=$1 t0=$SECONDS rc
	shift
	"$@" >"$work/logs/$name.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name ($((SECONDS - t0)) s)"
	else
		fail "$name (rc=$rc, $((SECONDS - t0)) s; log $work/logs/$name.log)"
		tail -n 40 "$work/logs/$name.log" | sed 's/^/#   /'
	fi
	return $rc
}
finish() {
	say "packaging: $((SECONDS - t_start)) s"
	[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

[ "$(id -u)" -eq 0 ] || { echo "run.sh: run as root (apt-get install, dkms)" >&2; exit 2; }

# A hand install (make install, /usr/local) would be run instead of the
# packages' programs and library.  The test runs in a mount namespace of its
# own where it is hidden; dpkg's ldconfig and DKMS's depmod rebuild the real
# caches while it is hidden, so they are rebuilt again from the real tree
# afterwards.
if [ -z "${VG_PKG_NS:-}" ] && ! hand=$("$top/tests/packaging/hand-install.sh" --list); then
	# A chroot whose root is no mount point cannot have private mounts.
	if ! err=$(unshare --mount --propagation private true 2>&1); then
		"$top/tests/packaging/hand-install.sh"
		echo "run.sh: and it cannot be hidden from the test here: $err"
		echo "(in a chroot, bind-mount its root onto itself before entering it)"
		exit 1
	fi
	echo "run.sh: vfiogroup is also installed by hand here; the test runs with it hidden"
	VG_PKG_NS=1 unshare --mount --propagation private "$0" "${args[@]}"
	rc=$?
	ldconfig
	for k in $(sed -n 's#^/lib/modules/\([^/]*\)/\(extra\|updates\)/.*#\1#p' <<<"$hand" | sort -u); do
		depmod -a "$k" 2>/dev/null
	done
	# The hand install works as before: its module known to depmod, its
	# library to the loader.
	while read -r f; do
		case $f in
		/lib/modules/*/*.ko*)
			k=${f#/lib/modules/} && k=${k%%/*}
			awk -F: -v m="${f#/lib/modules/"$k"/}" '$1 == m { found = 1 } END { exit !found }' \
				"/lib/modules/$k/modules.dep" ||
				{ echo "run.sh: depmod does not know $f again"; rc=1; } ;;
		*/libvfiogroup.so.[0-9])
			ldconfig -p | grep -q " => $f\$" ||
				{ echo "run.sh: the loader's cache does not have $f again"; rc=1; } ;;
		esac
	done <<<"$hand"
	exit $rc
fi

debpkgs=(vfiogroup-dkms libvfiogroup1 libvfiogroup-dev vfiogroup-tools)

rm -rf "$work"
mkdir -p "$work/logs" "$work/dist" "$work/deb" "$work/rpm/SOURCES" "$work/payload/bin" "$work/vmbuild"

# Hidden, or never there: the finder sees nothing (it says how to undo a
# hand install that could not be hidden).
[ -z "${VG_PKG_NS:-}" ] || step hide-hand-install "$top/tests/packaging/hide-hand-install.sh" "$work/hide" || finish
step no-hand-install "$top/tests/packaging/hand-install.sh" || finish
# configure refuses out-of-tree builds (the tarball's, the guest
# programs') of a tree configured in place: use a copy of its sources.
if [ -f "$top/config.status" ]; then
	step source-copy "$top/tests/source-copy.sh" "$top" "$work/src" || finish
	top=$work/src
fi

# --- tools -------------------------------------------------------------
say "build dependencies"
need="debhelper dh-dkms dkms lintian rpm rpmlint dpkg-dev fakeroot build-essential
autoconf automake libtool pkg-config libnl-3-dev libnl-genl-3-dev check
linux-headers-amd64"
missing=$(for p in $need; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	echo "installing:" $missing
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing) >"$work/logs/deps.log" 2>&1 ||
		{ fail "apt-get install $missing"; finish; }
fi

# KVER: the kernel of the installed headers (linux-headers-amd64), the one
# the VM boots.  Not uname -r.
kbuild=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$kbuild" ] || { fail "no /usr/src/linux-headers-*-amd64"; finish; }
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kbuild/include/generated/utsrelease.h")
echo "headers: $kbuild (KVER $kver); host kernel $(uname -r) is not a target"

# Purge what an earlier run (or a user) left.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${debpkgs[@]}" 2>/dev/null | awk '$NF != "not-installed" {print $1}')
if [ -n "$installed" ]; then
	echo "purging earlier:" $installed
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $installed >"$work/logs/pre-purge.log" 2>&1
fi

# --- 1. tarball ---------------------------------------------------------
say "1. make dist"
dist() {
	if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
		[ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
		(cd "$top" && ./autogen.sh) || return 1
	fi
	cd "$work/dist" && "$top/configure" --disable-kmod --quiet && make dist
}
step dist dist || finish
tarball=$(ls "$work"/dist/vfiogroup-*.tar.xz | head -n 1)
version=$(basename "$tarball" .tar.xz); version=${version#vfiogroup-}
echo "tarball: $tarball (version $version)"

# --- 2. debs ------------------------------------------------------------
say "2. Debian packages"
debbuild() {
	cp "$tarball" "$work/deb/vfiogroup_$version.orig.tar.xz" &&
	tar -C "$work/deb" -xJf "$tarball" &&
	cp -a "$top/debian" "$work/deb/vfiogroup-$version/" &&
	cd "$work/deb/vfiogroup-$version" && dpkg-buildpackage -us -uc
}
step dpkg-buildpackage debbuild || finish
ls -l "$work"/deb/*.deb
step lintian lintian --fail-on error,warning "$work"/deb/*.changes
grep -E '^[EW]:' "$work/logs/lintian.log" | sed 's/^/#   /'

# --- 3. rpms ------------------------------------------------------------
say "3. RPM packages"
cp "$tarball" "$work/rpm/SOURCES/"
step rpmbuild rpmbuild --define "_topdir $work/rpm" --nodeps -ba "$top/rpm/vfiogroup.spec"
find "$work/rpm/RPMS" "$work/rpm/SRPMS" -name '*.rpm' -exec ls -l {} +
rpmlint_ok() {
	rpmlint -r "$top/rpm/vfiogroup.rpmlintrc" "$work"/rpm/SRPMS/*.rpm \
		"$work"/rpm/RPMS/*/*.rpm "$top/rpm/vfiogroup.spec"
	grep -q ' 0 errors' "$work/logs/rpmlint.log"
}
step rpmlint rpmlint_ok
grep -E ' [EW]: |checked;' "$work/logs/rpmlint.log" | sed 's/^/#   /'

# --- 4. same files ------------------------------------------------------
say "4. deb and rpm file lists"
step compare-lists "$top/tests/packaging/compare-lists.sh" "$work/deb" "$work/rpm/RPMS"
grep -E '^(ok|not ok)' "$work/logs/compare-lists.log"

# --- 5. install ---------------------------------------------------------
say "5. apt-get install"
debs=()
for p in "${debpkgs[@]}"; do debs+=("$(ls "$work"/deb/"${p}"_*.deb | head -n 1)"); done
step apt-install env DEBIAN_FRONTEND=noninteractive apt-get install -y "${debs[@]}" || finish
for p in "${debpkgs[@]}"; do dpkg -L "$p"; done | sort -u >"$work/installed-files.txt"

dkms_ko() {
	local d=/var/lib/dkms/vfiogroup/$version/$kver/x86_64/module
	ls "$d"/vfiogroup.ko* 2>/dev/null | head -n 1
}
dkms_built() {
	dkms status vfiogroup
	# Explicitly for KVER: a no-op when the package's autoinstall did it.
	if ! dkms status -m vfiogroup -v "$version" -k "$kver" | grep -q ': installed'; then
		dkms build -m vfiogroup -v "$version" -k "$kver" &&
		dkms install -m vfiogroup -v "$version" -k "$kver" || return 1
	fi
	dkms status -m vfiogroup -v "$version" -k "$kver" | grep -q "^vfiogroup/$version, $kver, x86_64: installed" &&
	ko=$(dkms_ko) && [ -n "$ko" ] &&
	cmp "$ko" "/lib/modules/$kver/updates/dkms/$(basename "$ko")" &&
	modinfo -F vermagic "$ko" | grep -q "^$kver " &&
	echo "module: $ko ($(modinfo -F vermagic "$ko"))"
}
step dkms-status dkms_built
grep -E '^(vfiogroup/|module:)' "$work/logs/dkms-status.log"
not_loaded() { ! grep -q '^vfiogroup ' /proc/modules 2>/dev/null; }
step host-kernel-untouched not_loaded

# --- 6. develop against the -dev, run on the host -------------------------
say "6. libvfiogroup-dev and the tools on the host"
build_example() {
	local src=/usr/share/doc/libvfiogroup-dev/examples/vmm-wait.c
	echo "cc -o vmm-wait $src \$(pkg-config --cflags --libs libvfiogroup) = $(pkg-config --cflags --libs libvfiogroup)"
	# shellcheck disable=SC2046 # word splitting of pkg-config's output
	cc -Wall -Wextra -Werror -o "$work/payload/bin/vmm-wait" "$src" $(pkg-config --cflags --libs libvfiogroup) &&
	uses_package_lib "$work/payload/bin/vmm-wait" && uses_package_lib /usr/bin/vfiogroup
}
# uses_package_lib PROGRAM: its libvfiogroup.so.1 is libvfiogroup1's
# (/lib is /usr/lib on Debian 12: compare the real files).
uses_package_lib() {
	local l
	l=$(ldd "$1" | awk '$1 == "libvfiogroup.so.1" { print $3 }')
	echo "$1: libvfiogroup.so.1 => ${l:-not found}"
	[ -n "$l" ] && [ "$(readlink -f "$l")" = "$(readlink -f /usr/lib/x86_64-linux-gnu/libvfiogroup.so.1)" ]
}
step example-builds build_example
host_runs() {
	/usr/bin/vfiogroup --help | head -n 3 &&
	/usr/bin/vfiogroup --version &&
	ls -l /usr/share/man/man8/vfiogroup.8.gz /usr/share/man/man3/libvfiogroup.3.gz || return 1
	# No module on the host: both say so, vfiogroup with exit 1 (any
	# error, vfiogroup(8) from 0.4.0), vmm-wait with 2 (module missing).
	ls -l /usr/share/bash-completion/completions/vfiogroup || return 1
	/usr/bin/vfiogroup list; r1=$?
	"$work/payload/bin/vmm-wait" 0 --timeout 1; r2=$?
	echo "vfiogroup list rc=$r1 (1: error), vmm-wait rc=$r2 (2: module missing)"
	[ "$r1" -eq 1 ] && [ "$r2" -eq 2 ]
}
step tools-on-host host_runs

# vfiogroup-hooks as installed: it runs, its unit is where systemd looks,
# clean for systemd-analyze verify (man page included), and installed but
# neither enabled nor started; the hooks directory's README a conffile.
hooks_installed() {
	local unit=/lib/systemd/system/vfiogroup-hooks.service out conf
	/usr/sbin/vfiogroup-hooks --help | head -n 2 &&
	/usr/sbin/vfiogroup-hooks --version &&
	ls -l "$unit" /usr/share/man/man8/vfiogroup-hooks.8.gz /etc/vfiogroup/hooks.d/README || return 1
	out=$(systemd-analyze verify "$unit" 2>&1)
	echo "systemd-analyze verify: ${out:-clean}"
	[ -z "$out" ] || return 1
	if ls /etc/systemd/system/*.wants/vfiogroup-hooks.service 2>/dev/null; then
		echo "the package enabled the unit"; return 1
	fi
	# (not tee /dev/stderr: reopening the step's log would truncate it)
	conf=$(dpkg-query --showformat='${Conffiles}\n' -W vfiogroup-tools)
	echo "conffiles:$conf"
	grep -q '^ /etc/vfiogroup/hooks.d/README ' <<<"$conf" || { echo "README is no conffile"; return 1; }
}
step hooks-installed hooks_installed

# --- 7, 8. the VM ---------------------------------------------------------
if [ $vm -eq 1 ] && [ -n "${ko:-$(dkms_ko)}" ]; then
	ko=$(dkms_ko)
	say "7. VM suite with the DKMS module and the packages' programs"
	# no_timer_check: under TCG on a loaded host the guest's early IO-APIC
	# timer check can fail ("timer doesn't work through Interrupt-remapped
	# IO-APIC", a panic before userspace) -- nothing to do with the module.
	#
	# The suite's guest programs, in a build directory of their own with no
	# libvfiogroup/ (so the guest gets the package's library): vgprobe
	# (netlink only) and its companions vgns, vgvfio and vgsys (no library
	# either) from the build; lib-integration, walk (which also
	# speaks raw libnl) and vmm-wait compiled against the installed
	# libvfiogroup-dev; vfiogroup is /usr/bin's.
	guest_progs() {
		local g=$work/suite-build/tests/vm/guest src
		mkdir -p "$g" &&
		cd "$work/vmbuild" && "$top/configure" --disable-kmod --quiet &&
		make -C tests vm/guest/vgprobe vm/guest/vgns vm/guest/vgvfio vm/guest/vgsys &&
		cp tests/vm/guest/vgprobe tests/vm/guest/vgns tests/vm/guest/vgvfio tests/vm/guest/vgsys "$g/" &&
		cp /usr/bin/vfiogroup "$work/payload/bin/vmm-wait" "$g/" || return 1
		# lib-integration is main() in lib-integration.c, a file per
		# scenario beside it, guest-util.c (walk's too) and pci-sysfs.c.
		src=$top/tests/vm/guest/lib-integration.c
		if [ -f "$src" ]; then
			# shellcheck disable=SC2046 # word splitting of pkg-config's output
			cc -Wall -Wextra -pthread -o "$g/lib-integration" \
				"$top"/tests/vm/guest/lib-integration*.c "$top/tests/vm/guest/guest-util.c" \
				"$top/tests/vm/guest/pci-sysfs.c" \
				$(pkg-config --cflags --libs libvfiogroup) -lpthread || return 1
		fi
		# walk is main() in walk.c, walk-*.c beside it, and guest-util.c.
		src=$top/tests/vm/guest/walk.c
		if [ -f "$src" ]; then
			# shellcheck disable=SC2046 # word splitting of pkg-config's output
			cc -std=c11 -Wall -Wextra -o "$g/walk" "$src" "$top"/tests/vm/guest/walk-*.c \
				"$top/tests/vm/guest/guest-util.c" \
				$(pkg-config --cflags --libs libvfiogroup libnl-genl-3.0) || return 1
		fi
		for f in "$g"/*; do
			case ${f##*/} in vgprobe | vgns | vgvfio | vgsys) continue ;; esac
			uses_package_lib "$f" || return 1
		done
	}
	step vm-guest-programs guest_progs
	# The sections that exercise what the packages install (the module,
	# libvfiogroup.so.1, the tool); the walk, stress and the debug-kernel
	# sections ran on this kernel in the VM suite already.
	step vm-suite "$top/tests/vm/run-suite.sh" --builddir "$work/suite-build" --srcdir "$top" \
		--module "$ko" --outdir "$work/vm-suite" --append no_timer_check \
		--test load,dump,events,bad,user,netns,rmmod,lib
	tail -n 3 "$work/logs/vm-suite.log"

	say "8. the installed programs in the VM"
	# Our guest/run-tests.sh replaces the suite's in this boot; --test pkg
	# tells run-suite.sh that the suite's own sections do not run.
	cp /usr/bin/vfiogroup "$work/payload/bin/"
	cp "$top/tests/packaging/guest/run-tests.sh" "$work/payload/"
	sha256sum "$(readlink -f /usr/lib/x86_64-linux-gnu/libvfiogroup.so.1)" | cut -d' ' -f1 >"$work/payload/expected.sha256"
	mkdir -p "$work/pkg-build"
	step vm-installed-programs "$top/tests/vm/run-suite.sh" --builddir "$work/pkg-build" --srcdir "$top" \
		--module "$ko" --payload "$work/payload" --outdir "$work/vm-pkg" --timeout 300 \
		--append no_timer_check --test pkg
	grep -E '^(ok|not ok)' "$work"/vm-pkg/*/results.tap 2>/dev/null | sed 's/^/#   /'
	tail -n 2 "$work/logs/vm-installed-programs.log"
	# the guests' own skips (run-suite.sh's last line)
	for l in vm-suite vm-installed-programs; do
		n=$(sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped$/\1/p' "$work/logs/$l.log" | tail -n 1)
		skipped=$((skipped + ${n:-0}))
	done
else
	echo "# SKIP steps 7 and 8, the VM ($([ $vm -eq 0 ] && echo "--no-vm" || echo "no DKMS-built module"))"
	skipped=$((skipped + 2))
fi

# --- 9. purge -------------------------------------------------------------
say "9. apt-get purge"
step apt-purge env DEBIAN_FRONTEND=noninteractive apt-get purge -y "${debpkgs[@]}"
nothing_left() {
	local left=0 f
	if dkms status vfiogroup | grep -q .; then echo "dkms status: $(dkms status vfiogroup)"; left=1; fi
	for f in /var/lib/dkms/vfiogroup /usr/src/vfiogroup-"$version" /lib/modules/*/updates/dkms/vfiogroup.ko*; do
		[ -e "$f" ] && { echo "left: $f"; left=1; }
	done
	while read -r f; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		[ -d "$f" ] && [ ! -L "$f" ] && continue   # shared directories (/usr/lib/..., /usr/include)
		# merged /usr's aliases (/lib -> usr/lib), listed for the unit's /lib/systemd/system
		case $f in /lib|/lib64|/bin|/sbin) continue ;; esac
		echo "left: $f"; left=1
	done <"$work/installed-files.txt"
	for p in "${debpkgs[@]}"; do
		[ -e "/usr/share/doc/$p" ] && { echo "left: /usr/share/doc/$p"; left=1; }
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv 'not-installed' && { echo "still known to dpkg: $p"; left=1; }
	done
	echo "$(wc -l <"$work/installed-files.txt") paths checked"
	[ $left -eq 0 ]
}
step nothing-left nothing_left
tail -n 1 "$work/logs/nothing-left.log"

finish
