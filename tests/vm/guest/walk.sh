# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "walk", sourced by run-tests.sh: the "walk" program (walk.c) makes
# a seeded random walk over the NICs (e1000, e1000e) and the root port above
# the e1000e -- unbind; vfio-pci by driver_override + bind, by
# driver_override + drivers_probe, by new_id/remove_id; the host driver
# back; PCI remove; rescan; pcieport unbound and bound again -- and after
# every step compares every group's whole state in sysfs (and
# VFIO_GROUP_GET_STATUS) with a raw dump, a raw get per group, the
# library's cache, the state of its callbacks, and a filtered context's
# cache, with sequence numbers as the barrier.  At the end every device is
# back on its host driver.  Its TAP lines are numbered here; its summary
# line is "# walk: seed=S steps=N comparisons=M mismatches=X events=E
# vfio-status=K ready=R seconds=T".
#
# Knobs (kernel command line, e.g. run-suite.sh --append 'VG_WALK_STEPS=100'):
#   VG_WALK_STEPS=N     steps (default 500, 200 on the debug kernels)
#   VG_WALK_SEED=S      the seed (default: from the clock; every run prints
#                       its seed and the command line that repeats it)
#   VG_WALK_DEADLINE=S  how long the library may take to catch up with the
#                       module after a step (default 20 s)
# The walk stops stepping when the guest budget (time_left, which already
# keeps 75 s for the bench's end) runs short, keeping 20 s for its restore
# and final check, and then says so with a SKIP line naming the steps it
# made; with less than 50 s left it does not start (SKIP).  500 steps take
# 33-100 s on Debian's kernels, 155 s on the 5.10 debug kernel and 380-650 s
# on the 6.1 one (one guest on two shared cores).

WALK_STEPS=${VG_WALK_STEPS:-500}

if want walk; then
	log "walk"
	WALK=$(find_prog walk)
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	if [ -z "$WALK" ]; then
		notok "walk: the walk program is in the payload"
	elif [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		notok "walk: needs vfio-pci"
	elif ! loaded; then
		notok "walk: needs the vfiogroup module loaded"
	elif [ "$(time_left)" -lt 50 ]; then
		skip "walk: seeded random walk of $WALK_STEPS steps" "guest time budget: $(time_left) s left"
	else
		walk_s=$(($(time_left) - 20))
		diag "walk: $WALK_STEPS steps, at most $walk_s s of stepping (guest time left $(time_left) s)"
		walk_t0=$(cut -d. -f1 /proc/uptime)
		lib_tap "$WALK" --steps "$WALK_STEPS" --max-seconds "$walk_s" \
			${VG_WALK_SEED:+--seed "$VG_WALK_SEED"} ${VG_WALK_DEADLINE:+--deadline "$VG_WALK_DEADLINE"}
		diag "walk: section took $(($(cut -d. -f1 /proc/uptime) - walk_t0)) s"
	fi
fi
