#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# Guest half of tests/packaging/run.sh: the programs of the installed
# packages, in the VM, against the DKMS-built module (loaded by /init).
# It replaces the VM suite's run-tests.sh in this boot (--payload layers
# over tests/vm/guest); TAP on stdout, plan at the end.
#
# Payload: bin/vfiogroup (the package's /usr/bin/vfiogroup), bin/vmm-wait
# (examples/vmm-wait.c built against the installed libvfiogroup-dev),
# expected.sha256 (the package's libvfiogroup.so.1).  Their libraries come
# from the host's /usr/lib/x86_64-linux-gnu, i.e. libvfiogroup1's.

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # check DESC CMD...
	_d=$1; shift
	if "$@" >/tmp/pkg.out 2>&1; then ok "$_d"; else nok "$_d (rc=$?)"; sed 's/^/# /' /tmp/pkg.out; fi
}

cd /payload || exit 1
VG=/payload/bin/vfiogroup
VMM=/payload/bin/vmm-wait
# where mkinitramfs put it: the path ldd gave on the host (/lib/... on
# Debian 12, where /lib is /usr/lib)
LIB=
for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64; do
	[ -f "$d/libvfiogroup.so.1" ] && { LIB=$d/libvfiogroup.so.1; break; }
done

# The library in the guest is the package's.
if [ -f expected.sha256 ] && [ -n "$LIB" ] &&
	[ "$(sha256sum "$LIB" | cut -d' ' -f1)" = "$(cat expected.sha256)" ]; then
	ok "libvfiogroup.so.1 in the guest is libvfiogroup1's"
else
	nok "libvfiogroup.so.1 in the guest is libvfiogroup1's"
fi

check "vfiogroup --version" "$VG" --version
check "vfiogroup info" "$VG" info

# list names every group in sysfs
if "$VG" list >/tmp/list.out 2>&1; then
	miss=
	for g in /sys/kernel/iommu_groups/*; do
		g=${g##*/}
		grep -q "\\b$g\\b" /tmp/list.out || miss="$miss $g"
	done
	if [ -z "$miss" ]; then ok "vfiogroup list names every IOMMU group"
	else nok "vfiogroup list misses groups:$miss"; sed 's/^/# /' /tmp/list.out; fi
else
	nok "vfiogroup list (rc=$?)"; sed 's/^/# /' /tmp/list.out
fi
check "vfiogroup -j list" "$VG" -j list

# vmm-wait: a device alone in its group (an e1000 at 00:04.0 in the bench),
# moved to vfio-pci: vmm-wait holds /dev/vfio/N, exits 0 on SIGTERM.
dev=0000:00:04.0
P=/sys/bus/pci/devices/$dev
if [ -e "$P/iommu_group" ] && [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	g=$(basename "$(readlink "$P/iommu_group")")
	"$VMM" "$g" --timeout 30 >/tmp/vmm.out 2>&1 &
	pid=$!
	sleep 1
	[ -e "$P/driver" ] && echo "$dev" >"$P/driver/unbind"
	echo vfio-pci >"$P/driver_override"
	echo "$dev" >/sys/bus/pci/drivers_probe 2>/dev/null
	i=0
	while [ $i -lt 100 ] && ! grep -q holding /tmp/vmm.out; do sleep 0.2; i=$((i + 1)); done
	if grep -q "holding /dev/vfio/$g" /tmp/vmm.out; then ok "vmm-wait holds /dev/vfio/$g after the bind"
	else nok "vmm-wait holds /dev/vfio/$g after the bind"; fi
	check "vfiogroup show $g" "$VG" show "$g"
	check "vfiogroup wait $g --viable" "$VG" wait "$g" --viable --timeout 5
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	r=$?
	if [ $r -eq 0 ]; then ok "vmm-wait exits 0 on SIGTERM"; else nok "vmm-wait exits 0 on SIGTERM (rc=$r)"; fi
	sed 's/^/# /' /tmp/vmm.out
	# give the device back
	echo "$dev" >/sys/bus/pci/drivers/vfio-pci/unbind 2>/dev/null
	echo >"$P/driver_override"
	echo "$dev" >/sys/bus/pci/drivers_probe 2>/dev/null
else
	n=$((n + 1)); echo "ok $n - # SKIP no $dev or no vfio-pci driver"
fi

echo "1..$n"
[ $failed -eq 0 ]
