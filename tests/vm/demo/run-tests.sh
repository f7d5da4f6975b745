#!/bin/sh
# The demo's guest side: the vfiogroup CLI watching while a NIC is handed
# from its host driver to vfio-pci and back, and a device is hot-removed.
# Busybox sh.  Output goes to the results port; demo.sh prints it.

step() { echo; echo "### $*"; sleep 1; }

first() { for f in "$@"; do basename "$f"; return; done; }

dev=$(first /sys/bus/pci/drivers/e1000/0000:*)
group=$(basename "$(readlink "/sys/bus/pci/devices/$dev/iommu_group")")
e1000e=$(first /sys/bus/pci/drivers/e1000e/0000:*)

step "vfiogroup list"
vfiogroup list

step "vfiogroup monitor (in the background from now on)"
vfiogroup monitor &
monitor=$!
sleep 1

step "unbind $dev (group $group) from e1000"
echo "$dev" >"/sys/bus/pci/drivers/e1000/unbind"

step "bind $dev to vfio-pci"
echo vfio-pci >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe

step "vfiogroup wait $group --viable"
vfiogroup wait "$group" --viable --timeout 10 && echo "group $group is viable"

step "give $dev back to e1000"
echo "$dev" >/sys/bus/pci/drivers/vfio-pci/unbind
echo >"/sys/bus/pci/devices/$dev/driver_override"
echo "$dev" >/sys/bus/pci/drivers_probe

step "remove $e1000e, then rescan the PCI bus"
echo 1 >"/sys/bus/pci/devices/$e1000e/remove"
sleep 1
echo 1 >/sys/bus/pci/rescan

step "vfiogroup show $group"
sleep 1
vfiogroup show "$group"
kill "$monitor"
wait "$monitor" 2>/dev/null
echo
echo "ok 1 - demo ran"
