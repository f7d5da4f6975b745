# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "bindings", sourced by run-tests.sh: the Go package and the Rust
# crate (bindings/) against the real module.  Their test programs
# (vfiogroup-go-check: static, pure Go; vfiogroup-rust-check: over
# libvfiogroup.so.1), built on the host by tests/vm/bindings-payload.sh,
# run the same scenarios, each against sysfs walked by the program itself:
#   list       the binding's groups == sysfs (devices, drivers, viability
#              and readiness by the driver rule)
#   events     unbind, vfio-pci and back, the host driver, PCI remove and
#              rescan: each event's whole state == sysfs after the step,
#              seqs without a gap, the cache == sysfs after each step
#   overflow   a stalled consumer with a 4 KiB socket buffer during an odd
#              number of binds and unbinds (the device ends unbound, so
#              the resync must synthesize): the loss reported, the cache
#              healed
#   reload     rmmod/insmod while watching: disconnected, reconnected, the
#              events after it right
# and then list once more.  The examples: the Go device plugin reports
# Healthy/Unhealthy as the device's group becomes ready or not (oracle:
# rule_ready from sysfs), and the Rust launcher waits for readiness, then
# execs a command that sees the group's node (oracle: the iommu_group link).
# Each program prints "ok - go ..."/"ok - rust ..." lines (lib_tap).

bd_line() { grep -q "^$1\$" "$T/dp.out" 2>/dev/null; } # bd_line REGEX: the plugin said it
bd_lines() { grep -c "^$BD " "$T/dp.out" 2>/dev/null; }
bd_changed() { [ "$(bd_lines)" -ge 3 ]; } # the third line (after Unhealthy, Healthy)
bd_third_unhealthy() { sed -n 3p "$T/dp.out" | grep -q "^$BD Unhealthy ."; }

if want bindings; then
	log "bindings"
	GOCHK=$(find_prog vfiogroup-go-check) RSCHK=$(find_prog vfiogroup-rust-check)
	DPLUG=$(find_prog vfiogroup-device-plugin) LAUNCH=$(find_prog vfiogroup-launch)
	[ -d /sys/bus/pci/drivers/vfio-pci ] || { modprobe vfio-pci 2>/dev/null; modprobe vfio_iommu_type1 2>/dev/null; }
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	# BD: an e1000 alone in its group, not $E (other sections' device)
	BD=$(lone_e1000 "$E")
	BD_VFIO=
	[ ! -d /sys/bus/pci/drivers/vfio-pci ] || BD_VFIO=--vfio
	diag "bindings: go-check=${GOCHK:-missing} rust-check=${RSCHK:-missing} device-plugin=${DPLUG:-missing} launch=${LAUNCH:-missing}; device ${BD:-none}; vfio-pci: ${BD_VFIO:-no}"
	check "bindings: the Go and Rust test programs and examples are in the payload (tests/vm/bindings-payload.sh)" \
		test -n "$GOCHK" -a -n "$RSCHK" -a -n "$DPLUG" -a -n "$LAUNCH"
	check "bindings: an e1000 alone in its group besides $E, vfio-pci and vfiogroup.ko to insmod" \
		test -n "$BD" -a -n "$BD_VFIO" -a -n "$MODULE_KO"
fi

for _bp in "$GOCHK" "$RSCHK"; do
	if ! want bindings || [ -z "$_bp" ] || [ -z "$BD" ] || [ -z "$MODULE_KO" ]; then continue; fi
	if [ "$(time_left)" -lt 60 ]; then
		skip "bindings: ${_bp##*/}" "guest time budget: $(time_left) s left"
		continue
	fi
	log "bindings: ${_bp##*/}"
	lib_tap "$_bp" list
	# shellcheck disable=SC2086 # BD_VFIO: empty or one word
	lib_tap "$_bp" events --dev "$BD" $BD_VFIO
	lib_tap "$_bp" overflow --dev "$BD" --toggles "${VG_BINDINGS_TOGGLES:-31}"
	lib_tap "$_bp" reload --module "$MODULE_KO" --dev "$BD"
	lib_tap "$_bp" list
done

# --- the Go device plugin: one line per device at start, one per change
if want bindings && [ -n "$DPLUG" ] && [ -n "$BD" ] && [ -n "$BD_VFIO" ]; then
	log "bindings: device plugin"
	BD_DRV=$(pdrv "$BD") BD_G=$(grp_of "$BD")
	"$DPLUG" "$BD" >"$T/dp.out" 2>"$T/dp.err" &
	DP_PID=$!
	PIDS="$PIDS $DP_PID"
	wait_for 20 bd_line "$BD Unhealthy .*"
	check "go device-plugin example: $BD on $BD_DRV starts Unhealthy (rule_ready=$(rule_ready "$BD_G"))" \
		test "$(bd_lines)" = 1 -a "$(rule_ready "$BD_G")" = 0
	rebind "$BD" vfio-pci
	wait_for 20 bd_line "$BD Healthy"
	check "go device-plugin example: Healthy once $BD is on vfio-pci (rule_ready=$(rule_ready "$BD_G"))" \
		test "$(bd_lines)" = 2 -a "$(rule_ready "$BD_G")" = 1 -a "$(sed -n 2p "$T/dp.out")" = "$BD Healthy"
	unbind_dev "$BD"
	wait_for 20 bd_changed
	check "go device-plugin example: Unhealthy again once $BD is unbound (rule_ready=$(rule_ready "$BD_G")), saying why" \
		bd_third_unhealthy
	bind_dev "$BD" "$BD_DRV"
	kill -TERM "$DP_PID" 2>/dev/null
	wait "$DP_PID"
	dp_rc=$?
	check "go device-plugin example: exits 0 on SIGTERM (rc=$dp_rc), one line per change ($(bd_lines) lines)" \
		test "$dp_rc" = 0 -a "$(bd_lines)" = 3
	indent <"$T/dp.out"
	[ ! -s "$T/dp.err" ] || indent <"$T/dp.err"
fi

# --- the Rust launcher: waits for readiness, then execs the VMM
if want bindings && [ -n "$LAUNCH" ] && [ -n "$BD" ] && [ -n "$BD_VFIO" ]; then
	log "bindings: launcher"
	BD_DRV=$(pdrv "$BD") BD_G=$(grp_of "$BD")
	"$LAUNCH" --timeout 2 "$BD" -- true >"$T/la.out" 2>&1
	la_rc=$?
	check "rust launch example: $BD on $BD_DRV is not ready: timed out, exit 2 (rc=$la_rc), the command not run" \
		test "$la_rc" = 2
	indent <"$T/la.out"
	# shellcheck disable=SC2016 # expanded by the launched shell
	"$LAUNCH" --timeout 30 "$BD" -- sh -c 'echo "node=$VFIOGROUP_NODE"; exit 7' >"$T/la.out" 2>&1 &
	la_pid=$!
	PIDS="$PIDS $la_pid"
	rebind "$BD" vfio-pci
	wait "$la_pid"
	la_rc=$?
	check "rust launch example: waits until $BD is on vfio-pci, then execs the command with VFIOGROUP_NODE=/dev/vfio/$BD_G (its exit 7 is the launcher's: rc=$la_rc)" \
		test "$la_rc" = 7 -a "$(sed -n 's/^node=//p' "$T/la.out")" = "/dev/vfio/$BD_G"
	indent <"$T/la.out"
	unbind_dev "$BD"
	bind_dev "$BD" "$BD_DRV"
fi
