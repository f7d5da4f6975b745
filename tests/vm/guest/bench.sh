# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Sections "bench" and "scale", sourced by run-tests.sh: the performance
# bench (docs/performance.md; tests/bench/run.sh boots the guests and reads
# the "# bench: JOB KEY=VALUE ..." lines).  Neither runs unless named
# (want_explicit): a plain suite run measures nothing.
#
#   bench  on the reference layout, with the e1000 alone in its group:
#          vgbench latency (four paths on the same transitions, CPU per
#          event, wakeups of contexts filtered to another group; on e1000
#          and on vfio-pci), storm, idle (bind latency with 0 and K idle
#          subscribed sockets; both on vfio-pci)
#   scale  on a guest booted with many edu devices or SR-IOV NVMe
#          controllers (tests/bench/run.sh passes them in
#          VG_QEMU_EXTRA_DEVICES) and slab_nomerge: the PFs' VFs made
#          (each its own group), vgbench scale (dump, ctx_new, sysfs walk,
#          first and last group's transition), memory per device from
#          /proc/slabinfo, the module's size, then vgbench burst (remove
#          every edu and rescan, or every PF's sriov_numvfs to 0 and back)
#
# Sizes from the kernel command line (tests/bench/run.sh sets them):
# vgbench.short=1 (the CI's short mode: 20 transitions, 3 s storm, ...),
# vgbench.n=N transitions, vgbench.seconds=S storm, vgbench.sockets=K,
# vgbench.reps=R, vgbench.jobs=latency,storm,idle,burst (which jobs run),
# vgbench.settle=MS (idle: a pause between the unbind and the timed bind),
# vgbench.barrier=0 (idle: time each bind right after the unbind's
# notifications were queued, not after they reached every socket).
# Figures are printed, never judged: only a path that missed events, a
# cache that differs from sysfs, or a job that could not run fails.

# bench_opt NAME DEFAULT: vgbench.NAME=VALUE from the kernel command line
bench_opt() {
	_v=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^vgbench\.$1=//p" | tail -n 1)
	echo "${_v:-$2}"
}

# bench_job NAME: true unless vgbench.jobs=A,B (latency, storm, idle of the
# bench boot, burst of the scale boots) leaves NAME out, for a developer
# who measures one figure
bench_job() {
	case ",$(bench_opt jobs latency,storm,idle,burst)," in
	*",$1,"*) return 0 ;;
	esac
	diag "bench: $1 left out (vgbench.jobs)"
	return 1
}

# bench_run JOB ARGS...: vgbench's TAP lines numbered, its "# bench:" lines kept
bench_run() {
	log "bench: vgbench $*"
	lib_tap "$VGBENCH" "$@"
}

# bench_module_size: the module's size in bytes from /proc/modules
bench_module_size() {
	awk '$1 == "vfiogroup" { print $2 }' /proc/modules
}

# bench_slab CACHE: "active_objs objsize num_slabs pagesperslab" of CACHE
bench_slab() {
	awk -v c="$1" '$1 == c { print $2, $4, $15, $6 }' /proc/slabinfo
}

if want_explicit bench || want_explicit scale; then
	VGBENCH=$(find_prog vgbench)
	BENCH_SHORT=$(bench_opt short 0)
	if [ "$BENCH_SHORT" = 1 ]; then
		BENCH_N=$(bench_opt n 20) BENCH_S=$(bench_opt seconds 3)
		BENCH_K=$(bench_opt sockets 1000) BENCH_R=$(bench_opt reps 3) BENCH_BN=$(bench_opt bind_n 20)
	else
		BENCH_N=$(bench_opt n 200) BENCH_S=$(bench_opt seconds 10)
		BENCH_K=$(bench_opt sockets 1000) BENCH_R=$(bench_opt reps 10) BENCH_BN=$(bench_opt bind_n 100)
	fi
	diag "bench: info release=$(uname -r) short=$BENCH_SHORT cpus=$(grep -c ^processor /proc/cpuinfo) module_bytes=$(bench_module_size)"
fi

if want_explicit bench; then
	log "bench"
	# another group than the e1000's, for the filtered contexts
	BENCH_OTHER=
	for _g in /sys/kernel/iommu_groups/*; do
		_g=${_g##*/}
		[ -n "$E" ] && [ "$_g" != "$(grp_of "$E")" ] && { BENCH_OTHER=$_g; break; }
	done
	if [ -z "$VGBENCH" ] || [ -z "$MODULE_KO" ] || [ -z "$E" ] || [ -z "$BENCH_OTHER" ]; then
		notok "bench: needs vgbench, vfiogroup.ko, an e1000 alone in its group and another group"
	else
		loaded || insmod "$MODULE_KO"
		[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
		# e1000: what a host sees; vfio-pci (driver_override): the same
		# transitions without the NIC driver's probe, which under TCG
		# takes most of the time.  Storm and idle sockets on vfio-pci
		# only: e1000 binds 3 times a second under TCG.
		if bench_job latency; then
			bench_run latency --dev "$E" --driver e1000 --other-group "$BENCH_OTHER" --n "$BENCH_N"
			bench_run latency --dev "$E" --driver vfio-pci --other-group "$BENCH_OTHER" --n "$BENCH_N"
		fi
		! bench_job storm || bench_run storm --dev "$E" --driver vfio-pci --seconds "$BENCH_S"
		! bench_job idle || bench_run idle --dev "$E" --driver vfio-pci --n "$BENCH_BN" --sockets "$BENCH_K" \
			--settle "$(bench_opt settle 0)" --barrier "$(bench_opt barrier 1)"
		[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
	fi
fi

# bench_make_vfs: the VFs of every SR-IOV PF (the emulated NVMe
# controllers of tests/bench/run.sh --vfs), each PF on vfio-pci with
# enable_sriov (a driver that can make VFs; the guest has no NVMe driver),
# the VFs left unbound (sriov_drivers_autoprobe 0); BENCH_NVF: how many.
bench_make_vfs() {
	BENCH_NVF=0
	for _d in "$PCI"/*; do
		[ -f "$_d/sriov_totalvfs" ] || continue
		_t=$(cat "$_d/sriov_totalvfs")
		[ "$_t" -gt 0 ] || continue
		if [ "$(cat "$_d/sriov_numvfs")" = 0 ]; then
			echo Y >/sys/module/vfio_pci/parameters/enable_sriov 2>/dev/null
			[ "$(drv_of "$_d")" = vfio-pci ] || rebind "${_d##*/}" vfio-pci
			echo 0 >"$_d/sriov_drivers_autoprobe"
			echo "$_t" >"$_d/sriov_numvfs" || diag "scale: ${_d##*/}: sriov_numvfs $_t refused"
		fi
		BENCH_NVF=$((BENCH_NVF + $(cat "$_d/sriov_numvfs")))
	done
}

if want_explicit scale; then
	log "scale"
	loaded || { [ -n "$MODULE_KO" ] && insmod "$MODULE_KO"; }
	bench_make_vfs
	# the devices that make the groups: the VFs, else the edu devices
	# (1234:11e8); by group number
	BENCH_EDU=$(for _d in "$PCI"/*; do
		if [ "$BENCH_NVF" -gt 0 ]; then
			[ -e "$_d/physfn" ] || continue
		else
			{ [ "$(cat "$_d/vendor")" = 0x1234 ] && [ "$(cat "$_d/device")" = 0x11e8 ]; } || continue
		fi
		echo "$(grp_of "${_d##*/}") ${_d##*/}"
	done | sort -n | awk '{ print $2 }')
	BENCH_NEDU=$(echo "$BENCH_EDU" | grep -c .)
	[ "$BENCH_NVF" -eq 0 ] || diag "scale: $BENCH_NVF VFs made, $BENCH_NEDU in sysfs"
	if [ -z "$VGBENCH" ] || [ -z "$MODULE_KO" ] || [ "$BENCH_NEDU" -lt 2 ]; then
		notok "scale: needs vgbench, vfiogroup.ko and edu devices or SR-IOV VFs (booted with $BENCH_NEDU)"
	else
		_first=$(echo "$BENCH_EDU" | head -n 1) _last=$(echo "$BENCH_EDU" | tail -n 1)
		bench_run scale --first "$_first" --last "$_last" --reps "$BENCH_R"
		# memory: the module's caches (slab_nomerge keeps them apart)
		_ndev=$(for _d in /sys/kernel/iommu_groups/*/devices/*; do echo "$_d"; done | wc -l)
		_ngrp=$(for _d in /sys/kernel/iommu_groups/*; do echo "$_d"; done | wc -l)
		if [ "$BENCH_NVF" -gt 0 ]; then _line="edu=0 vfs=$BENCH_NEDU"; else _line="edu=$BENCH_NEDU vfs=0"; fi
		_line="$_line groups=$_ngrp devices=$_ndev module_bytes=$(bench_module_size)"
		for _c in vfiogroup_group vfiogroup_device; do
			# shellcheck disable=SC2046 # four numbers
			set -- $(bench_slab "$_c")
			if [ $# -eq 4 ] && [ "$1" -gt 0 ]; then
				_line="$_line ${_c#vfiogroup_}_objs=$1 ${_c#vfiogroup_}_objsize=$2 ${_c#vfiogroup_}_bytes=$(($1 * $2)) ${_c#vfiogroup_}_slab_bytes_per_obj=$(($3 * $4 * 4096 / $1))"
			else
				_line="$_line ${_c#vfiogroup_}_objs=n/a"
			fi
		done
		echo "# bench: memory $_line"
		check "scale: /proc/slabinfo has the module's caches (slab_nomerge)" \
			grep -q '^vfiogroup_device ' /proc/slabinfo
		if ! bench_job burst; then
			:
		elif [ "$BENCH_NVF" -gt 0 ]; then
			bench_run burst --sriov 1
			_n2=$(for _d in "$PCI"/*; do [ -e "$_d/physfn" ] && echo "$_d"; done | grep -c .)
			check "scale: the burst brought back all $BENCH_NEDU VFs ($_n2)" \
				test "$_n2" -eq "$BENCH_NEDU"
		else
			bench_run burst
			_n2=$(for _d in "$PCI"/*; do cat "$_d/device"; done | grep -c 0x11e8)
			check "scale: the burst's rescan brought back all $BENCH_NEDU edu devices ($_n2)" \
				test "$_n2" -eq "$BENCH_NEDU"
		fi
	fi
fi
