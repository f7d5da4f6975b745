# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): sysfs as
# the ground truth -- a device's driver and group, a group's devices, the
# whole listing, the kernel version -- and the test's own rule of viability
# and readiness (rule_viable, rule_ready), which predicts the events of a
# transition; then binding and unbinding by hand (no events expected:
# helpers-transition.sh has the forms that predict them).
# shellcheck disable=SC2034 # INUSE_IDLE: read by the sections

PCI=/sys/bus/pci/devices
# The helpers below run for every group after every transition: shell
# expansions instead of basename, wc and sed keep them to one program each
# (forks and execs are what the debug kernels make slow).
drv_of() { # drv_of SYSFS-DEVICE-PATH -> driver name or -
	if [ -e "$1/driver" ]; then
		_do=$(readlink "$1/driver")
		echo "${_do##*/}"
	else
		echo -
	fi
}
pdrv() { drv_of "$PCI/$1"; }
grp_of() { _go=$(readlink "$PCI/$1/iommu_group"); echo "${_go##*/}"; }
managed() { # does a device on driver $1 leave its group viable?
	case $1 in -|vfio-pci|pci-stub|pcieport) return 0 ;; esac
	return 1
}
# rule_viable GROUP [EXCLUDED-DEVICE]: the test's model of viability, from
# sysfs alone (every device unbound or on a driver that manages its own
# DMA).  It restates the module's rule, so it predicts events but proves
# nothing by itself: viability_check holds it against VFIO_GROUP_GET_STATUS
# wherever the group has a node, and the events section fails if that
# comparison never happened.
rule_viable() {
	for _d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_d" ] || continue
		[ "${_d##*/}" = "${2:-}" ] && continue
		managed "$(drv_of "$_d")" || { echo 0; return; }
	done
	echo 1
}
group_devs() { # group_devs GROUP: device names
	for _d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_d" ] && echo "${_d##*/}"
	done
}
ndevs() { # ndevs GROUP: how many devices
	_nd=0
	for _d in /sys/kernel/iommu_groups/"$1"/devices/*; do
		[ -e "$_d" ] && _nd=$((_nd + 1))
	done
	echo "$_nd"
}
# lone_e1000 [EXCEPT]: the first device on e1000 alone in its group (but
# EXCEPT), or nothing
lone_e1000() {
	for _le in /sys/bus/pci/drivers/e1000/0000:*; do
		[ -e "$_le" ] || continue
		_le=${_le##*/}
		[ "$_le" != "${1:-}" ] || continue
		if [ "$(ndevs "$(grp_of "$_le")")" -eq 1 ]; then echo "$_le"; return; fi
	done
}
sysfs_listing() { # "GROUP DEV BUS DRIVER", sorted
	for _g in /sys/kernel/iommu_groups/*; do
		[ -d "$_g/devices" ] || continue
		for _d in "$_g"/devices/*; do
			[ -e "$_d" ] || continue
			_sb=$(readlink "$_d/subsystem")
			echo "${_g##*/} ${_d##*/} ${_sb##*/} $(drv_of "$_d")"
		done
	done | sort
}
kver_ge() { # kver_ge MAJOR MINOR
	_v=$(uname -r)
	_ma=${_v%%.*}
	_mi=${_v#*.}
	_mi=${_mi%%[!0-9]*}
	[ "$_ma" -gt "$1" ] || { [ "$_ma" -eq "$1" ] && [ "$_mi" -ge "$2" ]; }
}
# What the module says of a group's in-use state: 0 (nobody holds it) from
# 5.19, "-" (no attribute) up to 5.18.  VFIO_DEV_NAMES: from 6.1 VFIO adds
# a vfio-dev device under each device it registers.
if kver_ge 5 19; then INUSE_IDLE=0; else INUSE_IDLE=-; fi
if kver_ge 6 1; then VFIO_DEV_NAMES=1; else VFIO_DEV_NAMES=0; fi
# dev_vfio SYSFS-DEVICE-PATH: registered with VFIO?  From 6.1 it has a
# vfio-dev/vfioX child; up to 6.0 its driver has "vfio" in its name.
dev_vfio() {
	if [ "$VFIO_DEV_NAMES" = 1 ]; then
		for _v in "$1"/vfio-dev/vfio*; do [ -e "$_v" ] && return 0; done
		return 1
	fi
	case $(drv_of "$1") in *vfio*) return 0 ;; esac
	return 1
}
# rule_ready GROUP [EXCLUDED-DEVICE]: 1 when the group is viable by the rule
# and some device of it (but the excluded one) is registered with VFIO
rule_ready() {
	if [ "$(rule_viable "$1" "${2:-}")" = 1 ]; then
		for _rd in /sys/kernel/iommu_groups/"$1"/devices/*; do
			[ -e "$_rd" ] || continue
			[ "${_rd##*/}" = "${2:-}" ] && continue
			dev_vfio "$_rd" && { echo 1; return; }
		done
	fi
	echo 0
}

# bind_dev DEV DRIVER: driver_override + drivers_probe, override cleared
bind_dev() {
	echo "$2" >"$PCI/$1/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe 2>/dev/null
	echo >"$PCI/$1/driver_override"
	[ "$(pdrv "$1")" = "$2" ]
}
# unbind_dev DEV: unbind DEV from its driver, if it has one
unbind_dev() { [ "$(pdrv "$1")" = - ] || echo "$1" >"$PCI/$1/driver/unbind"; }
# rebind DEV DRIVER: unbind DEV (if bound), bind it to DRIVER
rebind() { unbind_dev "$1"; bind_dev "$1" "$2"; }
