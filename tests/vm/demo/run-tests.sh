#!/bin/sh
# The demo's guest side: the vfiogroup CLI watching while a NIC is handed
# from its host driver to vfio-pci and back, and a device is hot-removed.
# Busybox sh.  Output goes to the results port; demo.sh prints it.

step() { echo; echo "### $*"; }

# The monitor writes to a file; after each action the demo waits until it
# has printed every event up to the module's sequence number (vfiogroup
# info), then shows them: each step's events under its own heading.
mon=/tmp/demo-monitor.out
shown=0
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
	[ "$n" -le "$shown" ] || sed -n "$((shown + 1)),${n}p" "$mon"
	shown=$n
}

first() { for f in "$@"; do basename "$f"; return; done; }

dev=$(first /sys/bus/pci/drivers/e1000/0000:*)
group=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
e1000e=$(first /sys/bus/pci/drivers/e1000e/0000:*)

step "vfiogroup list"
vfiogroup list

step "vfiogroup monitor (in the background from now on)"
vfiogroup monitor >"$mon" &
monitor=$!
sleep 1

step "unbind $dev (group $group) from e1000"
act
echo "$dev" >"/sys/bus/pci/drivers/e1000/unbind"
settle

step "bind $dev to vfio-pci"
act
echo vfio-pci >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe
settle

step "vfiogroup wait $group --viable"
vfiogroup wait "$group" --viable --timeout 10 && echo "group $group is viable"

step "give $dev back to e1000"
act
echo "$dev" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe
settle

step "remove $e1000e, then rescan the PCI bus"
act
echo 1 >"/sys/bus/pci/devices/$e1000e/remove"
settle
act
echo 1 >/sys/bus/pci/rescan
settle

step "vfiogroup show $group"
vfiogroup show "$group"
kill "$monitor"
wait "$monitor" 2>/dev/null
echo
echo "ok 1 - demo ran"
