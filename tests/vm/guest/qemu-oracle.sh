# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# QEMU as the oracle (sourced by run-tests.sh; busybox ash): Debian's own
# qemu-system-x86_64 (payload: tests/vm/qemu-payload.sh, in /payload/qemu)
# is asked to take a PCI device with -device vfio-pci,host=BDF, paused
# (-S, q35, TCG with an 8 MiB translation cache, 16 MiB of RAM, which VFIO
# maps and pins), and either realises it or says why not.
#
# How QEMU is driven: -daemonize, whose parent exits 0 only once the whole
# machine, -device vfio-pci included, is realised, and 1 with QEMU's error
# on stderr otherwise; so one synchronous command gives the answer, with no
# monitor to talk to (busybox nc has no unix sockets, a QMP fifo dialogue
# needs polling) and nothing to poll.  "Realised" also requires that the
# daemon holds /dev/vfio/GROUP open; it is then stopped with SIGTERM (QEMU
# quits cleanly) and waited for until every thread is gone, so that the
# group is free again when qemu_try returns.
#
# Functions (each start is bounded: QEMU_DEADLINE s, then kill -9):
#   qemu_try BDF     0: realised (and QEMU quit again); 1: QEMU refused,
#                    its error text in $QEMU_ERR (one line) and in the file
#                    $QEMU_ERR_FILE; 2: no answer within the deadline, or
#                    QEMU would not go away (killed; $QEMU_ERR says so)
#   qemu_hold BDF    as qemu_try, but a realising QEMU stays, paused, with
#                    the group open, until qemu_release ($QEMU_HOLD_PID)
#   qemu_release     stop the held QEMU (SIGTERM, then SIGKILL); 0 once gone
#   qemu_summary     "qemu: starts=N (cdev path C) realised=R failed=F
#                    avg-ms=X max-ms=Y"
#                    (failed counts refusals and deadlines; ms per start,
#                    from exec to answer, 10 ms resolution)
#   $QEMU_MS         the last start's time in ms
#
# Two paths to a device, chosen by QEMU_VIA before a start:
#   group   (default) the group path, -device vfio-pci,host=BDF: Debian
#           12's QEMU opens /dev/vfio/GROUP and a type1 container
#   cdev    the cdev path, -object iommufd + -device vfio-pci,host=BDF,
#           iommufd=...: sid's QEMU (tests/vm/qemu-iommufd-payload.sh, in
#           /payload/qemu-iommufd) opens /dev/iommu and
#           /dev/vfio/devices/vfioX; only on kernels with IOMMUFD and
#           VFIO_DEVICE_CDEV (qemu_has_cdev)
# "Realised" means the daemon holds that path's node open.
#
# Settings: QEMU_DIR, QEMU_CDEV_DIR (default: qemu/ and qemu-iommufd/
# beside the sourcing script, i.e. in /payload), QEMU_DEADLINE (default 60
# s: seconds of TCG in TCG on a loaded host), QEMU_TMP (default $T or /tmp).

QEMU_DIR=${QEMU_DIR:-${HERE:-/payload}/qemu}
QEMU_BIN=$QEMU_DIR/bin/qemu-system-x86_64
QEMU_CDEV_DIR=${QEMU_CDEV_DIR:-${HERE:-/payload}/qemu-iommufd}
QEMU_CDEV_BIN=$QEMU_CDEV_DIR/bin/qemu-system-x86_64
QEMU_VIA=group
QEMU_DEADLINE=${QEMU_DEADLINE:-60}
QEMU_TMP=${QEMU_TMP:-${T:-/tmp}}
QEMU_ERR='' QEMU_ERR_FILE='' QEMU_MS=0 QEMU_PID='' QEMU_HOLD_PID=''
QEMU_STARTS=0 QEMU_REALISED=0 QEMU_FAILED=0 QEMU_SUM_MS=0 QEMU_MAX_MS=0
QEMU_CDEV_STARTS=0
QEMU_SEQ=0

_qemu_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }

# _qemu_alive PID: does PID still run?  A zombie leader whose threads are
# all gone is not (its files are closed then); one with threads still
# exiting is, as they may still hold the group.
_qemu_alive() {
	[ -e "/proc/$1/stat" ] || return 1
	_qa_s=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$_qa_s" = Z ] || return 0
	_qa_n=0
	for _qa_t in /proc/"$1"/task/*; do [ -e "$_qa_t" ] && _qa_n=$((_qa_n + 1)); done
	[ "$_qa_n" -gt 1 ]
}

# _qemu_gone PID CS: poll every 10 ms for CS hundredths of a second
_qemu_gone() {
	_qg_n=$2
	while _qemu_alive "$1"; do
		[ "$_qg_n" -gt 0 ] || return 1
		usleep 10000
		_qg_n=$((_qg_n - 1))
	done
}

# _qemu_stop PID: SIGTERM (QEMU quits), 10 s; then SIGKILL, 5 s
_qemu_stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	_qemu_gone "$1" 1000 && return 0
	kill -KILL "$1" 2>/dev/null
	_qemu_gone "$1" 500
}

# qemu_has_cdev: can this guest take the cdev path (the kernel's /dev/iommu
# and vfio-dev class, sid's QEMU in the payload)?
qemu_has_cdev() {
	[ -c /dev/iommu ] && [ -d /sys/class/vfio-dev ] && [ -x "$QEMU_CDEV_BIN" ]
}

# _qemu_node BDF: the node the current path opens for BDF
_qemu_node() {
	if [ "$QEMU_VIA" = cdev ]; then
		for _qn in /sys/bus/pci/devices/"$1"/vfio-dev/vfio*; do
			[ -e "$_qn" ] && echo "/dev/vfio/devices/${_qn##*/}"
		done
	else
		echo "/dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")")"
	fi
}

# _qemu_holds PID NODE: has PID the node open?
_qemu_holds() {
	[ -n "$2" ] || return 1
	for _qh_f in /proc/"$1"/fd/*; do
		[ "$(readlink "$_qh_f" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

# _qemu_start BDF: one start; sets QEMU_PID (realised), QEMU_ERR, QEMU_MS
_qemu_start() {
	QEMU_SEQ=$((QEMU_SEQ + 1))
	_qs_pf=$QEMU_TMP/qemu-$QEMU_SEQ.pid
	QEMU_ERR_FILE=$QEMU_TMP/qemu-$QEMU_SEQ.err
	QEMU_PID='' QEMU_ERR=''
	rm -f "$_qs_pf" "$QEMU_ERR_FILE"
	if [ "$QEMU_VIA" = cdev ]; then
		_qs_bin=$QEMU_CDEV_BIN _qs_how=tests/vm/qemu-iommufd-payload.sh
		set -- "$1" -object iommufd,id=vgfd -device "vfio-pci,host=$1,iommufd=vgfd,rombar=0"
	else
		_qs_bin=$QEMU_BIN _qs_how=tests/vm/qemu-payload.sh
		set -- "$1" -device "vfio-pci,host=$1,rombar=0"
	fi
	if [ ! -x "$_qs_bin" ]; then
		QEMU_ERR="no $_qs_bin (payload: $_qs_how)"
		echo "$QEMU_ERR" >"$QEMU_ERR_FILE"
		QEMU_FAILED=$((QEMU_FAILED + 1))
		return 2
	fi
	_qs_t0=$(_qemu_cs)
	_qs_dev=$1
	shift
	timeout -s KILL "$QEMU_DEADLINE" "$_qs_bin" -M q35 -accel tcg,tb-size=8 -m 16 -S \
		-nodefaults -no-user-config -display none -monitor none \
		-daemonize -pidfile "$_qs_pf" "$@" </dev/null >/dev/null 2>"$QEMU_ERR_FILE"
	_qs_rc=$?
	set -- "$_qs_dev"
	QEMU_MS=$((($(_qemu_cs) - _qs_t0) * 10))
	QEMU_STARTS=$((QEMU_STARTS + 1))
	[ "$QEMU_VIA" != cdev ] || QEMU_CDEV_STARTS=$((QEMU_CDEV_STARTS + 1))
	QEMU_SUM_MS=$((QEMU_SUM_MS + QEMU_MS))
	[ "$QEMU_MS" -le "$QEMU_MAX_MS" ] || QEMU_MAX_MS=$QEMU_MS
	if [ "$_qs_rc" -eq 0 ]; then
		QEMU_PID=$(cat "$_qs_pf" 2>/dev/null)
		_qs_node=$(_qemu_node "$1")
		if [ -n "$QEMU_PID" ] && _qemu_holds "$QEMU_PID" "$_qs_node"; then
			QEMU_REALISED=$((QEMU_REALISED + 1))
			return 0
		fi
		QEMU_ERR="QEMU came up (pid ${QEMU_PID:-unknown}, $QEMU_VIA path) but holds no ${_qs_node:-node} of $1"
		_qemu_stop "$QEMU_PID"
		QEMU_PID=''
		QEMU_FAILED=$((QEMU_FAILED + 1))
		return 2
	fi
	QEMU_FAILED=$((QEMU_FAILED + 1))
	if [ "$_qs_rc" -eq 1 ]; then
		QEMU_ERR=$(tr '\n' ' ' <"$QEMU_ERR_FILE" | sed 's/ *$//')
		QEMU_ERR=${QEMU_ERR:-QEMU exited with status 1 and no message}
		return 1
	fi
	# The deadline (137) or a crash of the parent: kill the daemon too,
	# found by its pid file or, before it wrote one, by its command line.
	_qs_p=$(cat "$_qs_pf" 2>/dev/null)
	if [ -z "$_qs_p" ]; then
		for _qs_c in /proc/[0-9]*/cmdline; do
			if tr '\0' ' ' <"$_qs_c" 2>/dev/null | grep -qF -- "-pidfile $_qs_pf "; then
				_qs_p=${_qs_c#/proc/}
				_qs_p=${_qs_p%/cmdline}
				break
			fi
		done
	fi
	[ -z "$_qs_p" ] || { kill -KILL "$_qs_p" 2>/dev/null; _qemu_gone "$_qs_p" 500; }
	QEMU_ERR="DEADLINE: no answer from QEMU within $QEMU_DEADLINE s (status $_qs_rc; killed with SIGKILL${_qs_p:+, daemon $_qs_p too}): $(tr '\n' ' ' <"$QEMU_ERR_FILE")"
	return 2
}

qemu_try() {
	_qemu_start "$1"
	_qt_rc=$?
	[ "$_qt_rc" -eq 0 ] || return "$_qt_rc"
	if ! _qemu_stop "$QEMU_PID"; then
		QEMU_ERR="realised, but QEMU (pid $QEMU_PID) is still there 15 s after SIGTERM and SIGKILL"
		return 2
	fi
	return 0
}

qemu_hold() {
	[ -z "$QEMU_HOLD_PID" ] || qemu_release
	_qemu_start "$1"
	_qh_rc=$?
	[ "$_qh_rc" -eq 0 ] || return "$_qh_rc"
	QEMU_HOLD_PID=$QEMU_PID
	PIDS="${PIDS:-} $QEMU_HOLD_PID"	# run-tests.sh's cleanup kills these
	return 0
}

qemu_release() {
	_qemu_stop "$QEMU_HOLD_PID" || {
		QEMU_ERR="held QEMU (pid $QEMU_HOLD_PID) is still there 15 s after SIGTERM and SIGKILL"
		return 2
	}
	QEMU_HOLD_PID=''
}

qemu_summary() {
	_qm_avg=0
	[ "$QEMU_STARTS" -eq 0 ] || _qm_avg=$((QEMU_SUM_MS / QEMU_STARTS))
	echo "qemu: starts=$QEMU_STARTS (cdev path $QEMU_CDEV_STARTS) realised=$QEMU_REALISED failed=$QEMU_FAILED avg-ms=$_qm_avg max-ms=$QEMU_MAX_MS"
}
