# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "lib", sourced by run-tests.sh: libvfiogroup, its tool and its
# example against the real module, through the library's shared object
# (lib-integration, vfiogroup and vmm-wait are built by tests/Makefile.am
# and linked against libvfiogroup.so.1).  This file finds the programs
# (LI, CLI, VMMW), the devices beside the e1000 $E (S1, S2) and vfio-pci
# (LIB_VFIO); the tests follow in lib-cli.sh, lib-monitor.sh and
# lib-scenarios.sh, in that order.
# shellcheck disable=SC2034 # NGROUPS_SYS: read by lib-cli.sh

if want lib; then
	log "lib"
	LI=$(find_prog lib-integration) CLI=$(find_prog vfiogroup) VMMW=$(find_prog vmm-wait)
	diag "lib-integration=${LI:-missing} vfiogroup=${CLI:-missing} vmm-wait=${VMMW:-missing}"
	check "lib-integration, vfiogroup and vmm-wait are in the payload" \
		test -n "$LI" -a -n "$CLI" -a -n "$VMMW"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	LIB_VFIO=0
	[ -d /sys/bus/pci/drivers/vfio-pci ] && LIB_VFIO=1
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	# shellcheck disable=SC2012
	NGROUPS_SYS=$(ls /sys/kernel/iommu_groups | wc -l)
	# Devices: E (the e1000 alone in its group, for the tool), S1 another
	# e1000 alone in its group (storm, reload, unsub), S2 an e1000 in a
	# multi-device group without bridges (storm, with vfio-pci).
	S1='' S2=''
	for d in /sys/bus/pci/drivers/e1000/0000:*; do
		[ -e "$d" ] || continue
		d=${d##*/}
		[ "$d" != "$E" ] || continue
		nd=$(ndevs "$(grp_of "$d")")
		if [ "$nd" -eq 1 ] && [ -z "$S1" ]; then S1=$d; fi
		if [ "$nd" -ge 2 ]; then S2=$d; fi
	done
	diag "devices: E=${E:-none} S1=${S1:-none} S2=${S2:-none}; vfio-pci: $LIB_VFIO"
fi

if want lib; then
	diag "guest time left for lib: $(time_left) s"
fi
