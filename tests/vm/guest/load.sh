# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "load", sourced by run-tests.sh; it always runs: the module is
# loaded (insmod if /sys/module/vfiogroup is absent) and its family answers,
# or the run ends here with its plan.  NGROUPS_SYS (the groups in sysfs) is
# set for the sections after it.
# n: helpers-tap.sh's; NGROUPS_SYS: read by dump.sh, rmmod.sh, lib-cli.sh
# shellcheck disable=SC2034,SC2154

log "start (kernel $(uname -r), vgprobe $VG, module ${MODULE_KO:-?})"
if [ -z "$VG" ] || [ -z "$VGNS" ] || [ -z "$VGVFIO" ] || [ -z "$VGSYS" ]; then
	notok "vgprobe, vgns, vgvfio, vgsys found next to run-tests.sh or on PATH ($VG, $VGNS, $VGVFIO, $VGSYS)"
	echo "1..$n"
	exit 1
fi

if true; then
	if loaded; then
		ok "vfiogroup module loaded (by the bench)"
	elif [ -n "$MODULE_KO" ] && out=$(insmod "$MODULE_KO" 2>&1); then
		ok "insmod $MODULE_KO"
	else
		notok "load the module (${MODULE_KO:-no vfiogroup.ko found}): $out"
	fi
fi
if ! loaded || ! "$VG" info >/dev/null 2>&1; then
	notok "family vfiogroup answers info (module not loaded?)"
	echo "1..$n"
	exit 1
fi
# shellcheck disable=SC2012
NGROUPS_SYS=$(ls /sys/kernel/iommu_groups | wc -l)
