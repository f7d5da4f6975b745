# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "faults", sourced by run-tests.sh: failslab's fail-nth (kernels
# with CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS: the debug ones).
#
# For each operation -- loading the module, unbinding pci-stub from a device
# and binding it (with a listener subscribed), a get and a dump -- --fail-nth=N
# (vgsys for the load and the sysfs writes, vgprobe for get and dump)
# makes the Nth fault point the operation reaches fail, for N = 1, 2, ...
# until the operation completes without reaching N: every slab allocation
# on the path, the kernel's and the module's, fails once.  Each case must
# end cleanly:
#   load   refused with an errno and nothing left loaded, or loaded with a
#          dump equal to sysfs
#   event  the listener sees the events with no gap, or ENOBUFS (a lost
#          event: the module counted it as dropped, or the kernel could not
#          queue it); dropped grew => the listener got ENOBUFS; the
#          module's viability equals sysfs's after each case, the whole
#          dump after the series
#   get,   the same answer as without faults, or an errno (ENOMEM,
#   dump   EMSGSIZE, ENOBUFS), never a wrong or partial answer, never a hang
# The bench's console check (panic_on_warn) and the kmemleak scan at the end
# catch warnings and leaks.  VG_FAULTS_MAX caps N per operation (default
# 2000); reaching it fails the section.

FI_MAX=${VG_FAULTS_MAX:-2000}
FI_FS=/sys/kernel/debug/failslab

dump_devs() { # dump_devs DUMP-OUTPUT: "GROUP DEV BUS DRIVER", sorted
	sed -n 's/^group=\([0-9]*\) viable=[01] seq=[0-9]* dev=\([^ ]*\) bus=\([^ ]*\) driver=\([^ ]*\) devviable=[01].*/\1 \2 \3 \4/p' \
		"$1" | sort
}
state_ok() { # the module's dump equals sysfs
	"$VG" dump >"$T/fi.dump" 2>&1 || return 1
	dump_devs "$T/fi.dump" >"$T/fi.dump.devs"
	sysfs_listing >"$T/fi.sysfs.devs"
	cmp -s "$T/fi.dump.devs" "$T/fi.sysfs.devs"
}
info_dropped() { vg_field "$("$VG" info 2>/dev/null)" dropped; }
fi_injected() { sed -n 's/^fail-nth=[0-9]* injected=\([01]\)$/\1/p' "$T/fi.err"; }
fi_bad() { # fi_bad WHAT: one bad outcome, described once
	fi_nbad=$((fi_nbad + 1))
	[ "$fi_nbad" -gt 5 ] || diag "faults: $fi_what n=$fi_n: $*"
}

# fi_series WHAT OP [FIRST]: run "OP N" for N = FIRST (default 1), ... until
# it reports injected=0.  OP sets fi_inj (0/1) and fi_outcome (a word,
# counted), calls fi_bad.
fi_series() {
	fi_what=$1 fi_n=$((${3:-1} - 1)) fi_outcomes=''
	[ -n "${3:-}" ] || fi_nbad=0
	_fs_t0=$(cut -d. -f1 /proc/uptime)
	while [ "$fi_n" -lt "$FI_MAX" ]; do
		fi_n=$((fi_n + 1))
		fi_inj='' fi_outcome=''
		[ $((fi_n % 10)) -ne 0 ] || log "faults: $fi_what: n=$fi_n"
		"$2" "$fi_n"
		if [ "$fi_inj" != 1 ] && [ "$fi_inj" != 0 ]; then
			fi_bad "no fail-nth report from the tool (vgsys or vgprobe)"
			break
		fi
		[ "$fi_inj" = 1 ] || break
		fi_outcomes="$fi_outcomes $fi_outcome"
	done
	_pts=$((fi_n - ${3:-1}))
	_sum=$(echo "$fi_outcomes" | tr ' ' '\n' | grep . | sort | uniq -c |
		awk '{ printf "%s%s=%s", s, $2, $1; s = ", " }')
	diag "faults: $fi_what: $_pts fault points (${3:-1}..$((fi_n - 1))) in $(($(cut -d. -f1 /proc/uptime) - _fs_t0)) s: ${_sum:-none}"
	FI_POINTS=$((FI_POINTS + _pts))
	if [ "$fi_inj" = 1 ]; then
		notok "faults: $fi_what: still injecting at N=$FI_MAX (VG_FAULTS_MAX)"
	else
		check "faults: $fi_what: each of $_pts fault points failed in turn, every case clean ($fi_nbad bad)" \
			test "$fi_nbad" -eq 0 -a "$_pts" -gt 0
	fi
}

# --- the operations
fi_load() {
	"$VGSYS" --fail-nth="$1" load "$MODULE_KO" >"$T/fi.out" 2>"$T/fi.err"
	_rc=$? fi_inj=$(fi_injected)
	if [ $_rc -eq 0 ]; then
		fi_outcome=loaded
		loaded || fi_bad "load succeeded but /sys/module/vfiogroup is missing"
		state_ok || fi_bad "loaded, but the dump differs from sysfs"
		rmmod vfiogroup 2>"$T/fi.rm" || fi_bad "rmmod after a faulted load: $(cat "$T/fi.rm")"
	elif [ $_rc -eq 5 ]; then
		fi_outcome=$(sed -n 's/^error=//p' "$T/fi.out")
		! loaded || { fi_bad "load failed ($fi_outcome) but the module is loaded"; rmmod vfiogroup; }
	else
		fi_outcome=bad
		fi_bad "vgsys load rc=$_rc: $(cat "$T/fi.out" "$T/fi.err")"
	fi
}

# The loader reaches many fault points before the module's init runs (and
# shrugs some failures off), minutes under KASAN.  Which side of init an
# injected fault fell on is read from two kprobe events, in the order the
# kernel logged them: vgfi/init on do_init_module() (the module's init is
# called from there) and vgfi/fail when should_failslab() returns non-zero
# (only a task armed with fail-nth gets that).  Not from the kernel log:
# since 6.1 failslab says nothing of a fault in a __GFP_NOWARN allocation
# (kvmalloc()'s kmalloc attempt, which the loader shrugs off).  "The fault
# came after init began, or none came" only grows with N, so a binary search
# finds the first such N, and the series starts there.
fi_trace_setup() {
	FI_TR=/sys/kernel/tracing
	[ -w "$FI_TR/kprobe_events" ] || FI_TR=/sys/kernel/debug/tracing
	[ -w "$FI_TR/kprobe_events" ] || return 1
	# shellcheck disable=SC2016 # $retval is kprobe_events syntax
	echo 'p:vgfi/init do_init_module' >>"$FI_TR/kprobe_events" &&
		echo 'r:vgfi/fail should_failslab ret=$retval' >>"$FI_TR/kprobe_events" &&
		echo 'ret != 0' >"$FI_TR/events/vgfi/fail/filter"
}
fi_trace_teardown() {
	echo 0 >"$FI_TR/events/vgfi/enable"
	echo '-:vgfi/init' >>"$FI_TR/kprobe_events"
	echo '-:vgfi/fail' >>"$FI_TR/kprobe_events"
}
fi_load_probe() { # fi_load_probe N: fi_load N; was the fault in init or later?
	log "faults: load probe $1"
	echo >"$FI_TR/trace"
	echo 1 >"$FI_TR/events/vgfi/enable"
	fi_load "$1"
	echo 0 >"$FI_TR/events/vgfi/enable"
	_first=$(sed -n 's/.* \(init\|fail\): (.*/\1/p' "$FI_TR/trace" | head -n 1)
	[ "$fi_inj" = 0 ] || [ "$_first" = init ]
}
# fi_load_start: FI_LOAD_START = the first N whose fault fell in init.
fi_load_start() {
	fi_what="load (insmod): search for init" fi_nbad=0 FI_PROBES=0
	_lo=0 _hi=16
	while FI_PROBES=$((FI_PROBES + 1)) && ! fi_load_probe "$_hi"; do
		_lo=$_hi _hi=$((_hi * 2))
		[ "$_hi" -le "$FI_MAX" ] || return 1
	done
	while [ $((_hi - _lo)) -gt 1 ]; do
		_mid=$(((_lo + _hi) / 2))
		FI_PROBES=$((FI_PROBES + 1))
		if fi_load_probe "$_mid"; then _hi=$_mid; else _lo=$_mid; fi
	done
	FI_LOAD_START=$_hi
}

# fi_request OP ARGS...: a get or dump must equal the fault-free answer
# ($T/fi.ref) or fail with an errno.
fi_request() {
	_fr_n=$1
	shift
	"$VG" --timeout=5 --fail-nth="$_fr_n" "$@" >"$T/fi.out" 2>"$T/fi.err"
	_rc=$? fi_inj=$(fi_injected)
	case $_rc in
	0)	fi_outcome=answered
		cmp -s "$T/fi.out" "$T/fi.ref" || fi_bad "answer differs: $(diff "$T/fi.ref" "$T/fi.out" | head -n 4 | tr '\n' ' ')" ;;
	4|5)	fi_outcome=$(sed -n 's/^errno=\([A-Z]*\).*/\1/p; s/^error=\([A-Z]*\).*/\1/p' "$T/fi.out" | head -n 1)
		case $fi_outcome in
		ENOMEM|EMSGSIZE|ENOBUFS) ;;
		*) fi_bad "rc=$_rc, unexpected error '$fi_outcome'" ;;
		esac ;;
	*)	fi_outcome=bad
		fi_bad "rc=$_rc: $(cat "$T/fi.out" "$T/fi.err" | tr '\n' ' ')" ;;
	esac
}
fi_get() { fi_request "$1" get --id "$FI_G"; }
fi_dump() { fi_request "$1" dump; }

# fi_event N: with listener F subscribed since the previous case (or a new
# one, after ENOBUFS ended it), write FI_FILE <- FI_DEV under fault N, put
# the device back on FI_DRV without faults, and judge what F saw since.
fi_event() {
	_f=$(eval "echo \${pid_F:-}")
	if [ -z "$_f" ] || ! alive "$_f"; then
		mon_start F 3600 0 || fi_bad "listener did not start"
	fi
	_mark=$(nlines "$T/F.out")
	_before=$(pdrv "$FI_DEV")
	"$VGSYS" --fail-nth="$1" write "$FI_FILE" "$FI_DEV" >"$T/fi.out" 2>"$T/fi.err"
	fi_inj=$(fi_injected)
	# The write may have failed before changing anything: then no event.
	[ "$(pdrv "$FI_DEV")" != "$_before" ] || FI_LAST=
	# Back to where the next case starts (fi_unbind: bound; fi_bind: not).
	"$FI_RESTORE"
	[ -z "$FI_LAST" ] || wait_for 10 fi_event_done "$_mark"
	_d1=$(info_dropped)
	tail -n +"$((_mark + 1))" "$T/F.out" >"$T/fi.seen"
	if grep -q '^error=ENOBUFS$' "$T/fi.seen"; then
		fi_outcome=enobufs
		mon_wait F 10
	elif grep -q '^error=' "$T/fi.seen"; then
		fi_outcome=bad
		fi_bad "listener: $(grep '^error=' "$T/fi.seen")"
		mon_stop F
	else
		fi_outcome=seen
		# Consecutive sequence numbers, the last transition among them.
		if ! sed -n 's/^seq=\([0-9]*\) .*/\1/p' "$T/fi.seen" |
			awk -v p="$FI_SEQ" '$1 != p + 1 { exit 1 } { p = $1 }'; then
			fi_bad "listener saw a sequence gap without ENOBUFS (after seq $FI_SEQ): $(cut -d' ' -f1-3 "$T/fi.seen" | tr '\n' ' ')"
		fi
		if [ -z "$FI_LAST" ]; then
			! grep -q '^seq=' "$T/fi.seen" ||
				fi_bad "events although the write changed nothing: $(cut -d' ' -f1-3 "$T/fi.seen" | tr '\n' ' ')"
		elif ! grep -q "$FI_LAST" "$T/fi.seen"; then
			fi_bad "listener missed '$FI_LAST' without ENOBUFS (driver now $(pdrv "$FI_DEV"), write: $(cat "$T/fi.out"), seen: $(cut -d' ' -f1-5 "$T/fi.seen" | tr '\n' ' '); F alive: $(alive "$(eval "echo \$pid_F")" && echo y), mark $_mark, F.out: $(tail -n 3 "$T/F.out" | cut -d' ' -f1-5 | tr '\n' ' ') F.err: $(tr '\n' ' ' <"$T/F.err"))"
		fi
	fi
	if [ -n "$FI_DROPPED" ] && [ -n "$_d1" ] && [ "$_d1" -gt "$FI_DROPPED" ]; then
		[ "$fi_outcome" = enobufs ] ||
			fi_bad "module dropped $((_d1 - FI_DROPPED)) event(s) but the listener got no ENOBUFS"
		fi_outcome="$fi_outcome+dropped"
	fi
	FI_DROPPED=$_d1
	FI_SEQ=$(vg_field "$("$VG" info 2>/dev/null)" seq)
	[ "$(module_viable "$FI_G")" = "$(rule_viable "$FI_G")" ] ||
		fi_bad "module says viable=$(module_viable "$FI_G"), sysfs rule $(rule_viable "$FI_G")"
}
fi_event_done() { # fi_event_done MARK: F ended, or saw FI_LAST after MARK
	tail -n +"$(($1 + 1))" "$T/F.out" | grep -q -e '^error=' -e "$FI_LAST"
}
# The device event: pci-stub unbinding from and binding to FI_DEV.  Not
# e1000 (its probe registers a net device: many more fault points, none of
# them ours) and not vfio-pci: on 6.1.192 a failure inside
# vfio_create_group() puts the group device with iommu_group still set and
# vfio_group_release() WARNs (an upstream error-path bug, which
# panic_on_warn turns into a panic).  pci-stub leaves the group viable,
# like vfio-pci.
fi_to_stub() {
	[ "$(pdrv "$FI_DEV")" = pci-stub ] || { unbind_dev "$FI_DEV"; bind_dev "$FI_DEV" pci-stub; }
}
fi_unbind_op() {
	FI_FILE=/sys/bus/pci/drivers/pci-stub/unbind FI_RESTORE=fi_to_stub
	FI_LAST="kind=driver-bound group=$FI_G dev=$FI_DEV driver=pci-stub"
	fi_event "$1"
}
fi_unbound() { unbind_dev "$FI_DEV"; }
fi_bind_op() {
	echo pci-stub >"$PCI/$FI_DEV/driver_override"
	FI_FILE=/sys/bus/pci/drivers/pci-stub/bind FI_RESTORE=fi_unbound
	FI_LAST="kind=driver-unbound group=$FI_G dev=$FI_DEV driver=pci-stub"
	fi_event "$1"
	echo >"$PCI/$FI_DEV/driver_override"
}

fi_set() { # fi_set NAME VALUE: a failslab knob, the old value kept
	eval "FI_OLD_$1=\$(cat \"$FI_FS/$2\" 2>/dev/null)"
	echo "$3" >"$FI_FS/$2"
}

if want faults; then
	log "faults"
	FI_DEV=$E
	if [ ! -w /proc/self/fail-nth ] || [ ! -d "$FI_FS" ]; then
		skip "faults: fail-nth on load, event, get, dump" "kernel without CONFIG_FAILSLAB + fail-nth"
	elif [ -z "$MODULE_KO" ] || [ -z "$FI_DEV" ]; then
		notok "faults: need vfiogroup.ko (${MODULE_KO:-none}) and an e1000 alone in its group (${FI_DEV:-none})"
	else
		FI_G=$(grp_of "$FI_DEV") FI_POINTS=0
		# GFP_KERNEL allocations too (failslab skips them by default);
		# one line per injected fault, in the kernel log only (KERN_NOTICE
		# is below the console's loglevel), for whoever reads dmesg.
		fi_set A ignore-gfp-wait N
		fi_set B verbose 1
		loaded || insmod "$MODULE_KO"

		"$VG" get --id "$FI_G" >"$T/fi.ref" 2>&1
		fi_series "get of group $FI_G" fi_get
		"$VG" dump >"$T/fi.ref" 2>&1
		fi_series "dump" fi_dump
		if fi_to_stub; then
			FI_DROPPED=$(info_dropped)
			FI_SEQ=$(vg_field "$("$VG" info 2>/dev/null)" seq)
			fi_series "unbind pci-stub from $FI_DEV, listener subscribed" fi_unbind_op
			fi_unbound
			fi_series "bind pci-stub to $FI_DEV, listener subscribed" fi_bind_op
			mon_stop F
			bind_dev "$FI_DEV" e1000
			check "faults: dump equals sysfs after the event series" state_ok
		else
			notok "faults: bind pci-stub to $FI_DEV (pci-stub is built in on the debug kernels)"
		fi

		if ! rmmod vfiogroup; then
			notok "faults: rmmod before the load series"
		elif ! fi_trace_setup; then
			notok "faults: load: kprobe events on do_init_module and should_failslab (CONFIG_KPROBE_EVENTS)"
		elif fi_load_start; then
			diag "faults: load: the module's init runs from fault point $FI_LOAD_START on ($FI_PROBES probes, $fi_nbad bad)"
			fi_series "load (insmod), from the module's init on" fi_load "$FI_LOAD_START"
		else
			notok "faults: load: init not reached with up to $FI_MAX fault points"
		fi
		[ -z "${FI_TR:-}" ] || fi_trace_teardown
		loaded || insmod "$MODULE_KO"
		check "faults: module loaded again and its dump equals sysfs" state_ok
		echo "$FI_OLD_A" >"$FI_FS/ignore-gfp-wait"
		echo "$FI_OLD_B" >"$FI_FS/verbose"
		diag "fault-points=$FI_POINTS"
	fi
fi
