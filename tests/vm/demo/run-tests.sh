#!/bin/sh
# The demo's guest side: the vfiogroup CLI watching while a NIC is handed
# from its host driver to vfio-pci and back, and a device is hot-removed.
# Busybox sh.  Output goes to the results port; demo.sh prints it.
#
# Each step is told in three parts: what the guest does, what vfiogroup
# monitor reported for it, and what the kernel itself says afterwards
# (sysfs, and VFIO_GROUP_GET_STATUS through vgvfio where /dev/vfio/N
# exists).  A step passes when the monitor reported the events the action
# must cause and the CLI's view of the group is the kernel's.

mon=/tmp/demo-monitor.out
shown=0 nstep=0 ntest=0 nfail=0 nevents=0
step() { nstep=$((nstep + 1)); echo; echo "### $nstep. $*"; }
ok() { ntest=$((ntest + 1)); echo "ok $ntest - $*"; }
notok() { ntest=$((ntest + 1)); echo "not ok $ntest - $*"; nfail=$((nfail + 1)); }

# The monitor writes to a file; after each action the demo waits until it
# has printed every event up to the module's sequence number (vfiogroup
# info), so each step's events appear under its own heading.
modseq() { vfiogroup info | sed -n 's/.* seq \([0-9]*\) dropped.*/\1/p'; }
act() { before=$(modseq); }
settle() {
	now=$(modseq)
	i=0
	while [ "$now" != "$before" ] && [ $i -lt 100 ]; do
		last=$(sed -n 's/.* seq \([0-9]*\)$/\1/p' "$mon" | tail -n 1)
		[ -n "$last" ] && [ "$last" -ge "$now" ] && break
		usleep 100000
		i=$((i + 1))
	done
	n=$(wc -l <"$mon")
	: >/tmp/demo-step.out
	[ "$n" -le "$shown" ] || sed -n "$((shown + 1)),${n}p" "$mon" >/tmp/demo-step.out
	echo "vfiogroup monitor:"
	sed 's/^/    /' /tmp/demo-step.out
	nevents=$((nevents + $(wc -l </tmp/demo-step.out)))
	shown=$n
}
# saw WORDS...: this step's monitor output has a line holding every word
saw() {
	_pat=
	for _w in "$@"; do _pat="$_pat.* $_w"; done
	grep -q -- "^\[kernel\]$_pat\( \|$\)" /tmp/demo-step.out
}
expect() { # expect DESCRIPTION WORDS...
	_d=$1
	shift
	if saw "$@"; then ok "monitor: $_d"; else notok "monitor: $_d (no line with: $*)"; fi
}

first() { for f in "$@"; do basename "$f"; return; done; }
drv_of() { # a device's driver from sysfs, or (none)
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	else
		echo "(none)"
	fi
}
# kernel_says GROUP DEV: the kernel's view, in words, and the check that
# vfiogroup show agrees with it: DEV's driver from sysfs, and the group's
# viability from VFIO_GROUP_GET_STATUS when VFIO has a node for it.
kernel_says() {
	_g=$1 _dev=$2
	_drv=$(drv_of "$_dev")
	_show=$(vfiogroup show "$_g")
	_vfio=
	if [ -e "/dev/vfio/$_g" ]; then
		_vfio=$(vgvfio status "$_g" | sed -n 's/.*viable=\([01]\).*/\1/p')
	fi
	echo "the kernel: sysfs says $_dev is on driver $_drv;" \
		"$([ -n "$_vfio" ] && echo "VFIO says group $_g is $([ "$_vfio" = 1 ] || echo not-)viable" ||
			echo "VFIO has no /dev/vfio/$_g (no device of the group on a VFIO driver)")"
	echo "vfiogroup show $_g:"
	echo "$_show" | sed 's/^/    /'
	if ! echo "$_show" | grep -q "^ *$_dev .* driver $_drv\( \|$\)"; then
		notok "vfiogroup show $_g: $_dev on $_drv as sysfs says"
	elif [ -n "$_vfio" ] && ! echo "$_show" | head -n1 | grep -q " $([ "$_vfio" = 1 ] || echo not-)viable "; then
		notok "vfiogroup show $_g: viability as VFIO_GROUP_GET_STATUS says ($_vfio)"
	else
		ok "vfiogroup show $_g is what the kernel says${_vfio:+ (sysfs and VFIO)}"
	fi
}

dev=$(first /sys/bus/pci/drivers/e1000/0000:*)
group=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
e1000e=$(first /sys/bus/pci/drivers/e1000e/0000:*)
egroup=$(basename "$(readlink "/sys/bus/pci/devices/$e1000e/iommu_group")")

echo "### The guest: Debian's $(uname -r) under qemu with an IOMMU; the NICs"
echo "$dev (e1000) in IOMMU group $group and $e1000e (e1000e) in group $egroup."
echo "vfiogroup list:"
vfiogroup list | sed 's/^/    /'
echo "Each event below ends with its group's state as announced at its own"
echo "sequence number: viability and readiness change only with their own events."
vfiogroup monitor >"$mon" &
monitor=$!
# The monitor has listed and subscribed once it waits in poll() (7) or
# ppoll() (271, x86_64): the first action must not come before that.
i=0
while [ $i -lt 100 ]; do
	case $(cut -d' ' -f1 "/proc/$monitor/syscall" 2>/dev/null) in 7 | 271) break ;; esac
	usleep 100000
	i=$((i + 1))
done
echo "vfiogroup monitor runs in the background from now on."

step "unbind $dev from e1000 (the host driver lets go of the NIC)"
act
echo "$dev" >"/sys/bus/pci/drivers/e1000/unbind"
settle
expect "$dev unbound from e1000" "group $group" driver-unbound "$dev" "driver e1000"
expect "group $group viable now" "group $group" viability-changed "-> viable"
kernel_says "$group" "$dev"

step "bind $dev to vfio-pci (what libvirt does before it starts a VM)"
act
echo vfio-pci >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe
settle
expect "$dev bound to vfio-pci" "group $group" driver-bound "$dev" "driver vfio-pci"
expect "group $group ready: a VMM can open /dev/vfio/$group now" "group $group" ready-changed "viable ready"
kernel_says "$group" "$dev"

step "vfiogroup wait $group --ready (returns at once: the group is ready)"
if vfiogroup wait "$group" --ready --timeout 10; then
	ok "vfiogroup wait $group --ready returned 0"
else
	notok "vfiogroup wait $group --ready"
fi

step "give $dev back to e1000"
act
echo "$dev" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe
settle
expect "$dev unbound from vfio-pci" "group $group" driver-unbound "$dev" "driver vfio-pci"
expect "group $group no longer ready" "group $group" ready-changed "not-ready"
expect "$dev bound to e1000" "group $group" driver-bound "$dev" "driver e1000"
kernel_says "$group" "$dev"

step "hot-remove $e1000e (group $egroup)"
act
echo 1 >"/sys/bus/pci/devices/$e1000e/remove"
settle
expect "$e1000e removed" "group $egroup" device-removed "$e1000e"
if [ -e "/sys/bus/pci/devices/$e1000e" ]; then
	notok "sysfs still has $e1000e"
else
	ok "the kernel: sysfs has no $e1000e any more"
fi

step "rescan the PCI bus ($e1000e comes back)"
act
echo 1 >/sys/bus/pci/rescan
settle
egroup=$(basename "$(readlink "/sys/bus/pci/devices/$e1000e/iommu_group")")
expect "$e1000e added to group $egroup" "group $egroup" device-added "$e1000e"
expect "$e1000e bound to e1000e" "group $egroup" driver-bound "$e1000e" "driver e1000e"
kernel_says "$egroup" "$e1000e"

kill "$monitor"
wait "$monitor" 2>/dev/null
echo
echo "# demo: steps=$nstep events=$nevents checks=$ntest failed=$nfail"
echo "1..$ntest"
[ "$nfail" -eq 0 ]
