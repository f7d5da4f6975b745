# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Section "qemu", sourced by run-tests.sh: QEMU itself says whether a VMM
# can take a device (qemu-oracle.sh, sourced here): the lone e1000 refused
# on e1000, realised on vfio-pci, refused while another QEMU holds its group
# and realised again after, refused when unbound; the two-function e1000
# refused with one function on e1000, realised with both on vfio-pci;
# 00:1f.3 realised on vfio-pci beside its unbound siblings.  On the cdev
# path too (-object iommufd) where the kernel has IOMMUFD.

# qemu_expect DESC WANT BDF [PATTERN]: qemu_try BDF must return WANT (0
# realised, 1 refused) and, when refused, say something matching PATTERN
# (grep -E); QEMU's error text and the time as diagnostics.
qemu_expect() {
	qemu_try "$3"
	_qe_rc=$?
	_qe_ok=0
	if [ "$_qe_rc" = "$2" ]; then
		_qe_ok=1
		[ "$2" = 0 ] || [ -z "${4:-}" ] || echo "$QEMU_ERR" | grep -qE "$4" || _qe_ok=0
	fi
	case $_qe_rc in 0) _qe_w=realised ;; 1) _qe_w=refused ;; *) _qe_w="no answer" ;; esac
	if [ "$_qe_ok" = 1 ]; then ok "qemu: $1: $_qe_w ($QEMU_MS ms)"
	else notok "qemu: $1: $_qe_w ($QEMU_MS ms), want $([ "$2" = 0 ] && echo realised || echo "refused${4:+ with /$4/}")"
	fi
	[ -z "$QEMU_ERR" ] || diag "qemu: $3: $QEMU_ERR"
}

# qemu_path VIA: the qemu section's scenarios on one path (qemu-oracle.sh's
# QEMU_VIA).  Why QEMU must refuse differs by path: the group path fails at
# /dev/vfio/GROUP (missing, not viable, busy); the cdev path at the device's
# vfio-dev directory (missing), or when binding the device to iommufd:
# EPERM when a kernel driver in the group uses its DMA (not viable), EBUSY
# when a user of the group path holds it, EINVAL when another iommufd user
# has the device open already (6.12's vfio_df_open()).
qemu_path() {
	QEMU_VIA=$1
	_qp=$1
	if [ "$_qp" = cdev ]; then
		_qp_nonode="vfio-dev: No such file" _qp_notviable="Operation not permitted"
		_qp_unbound=$_qp_nonode
	else
		_qp_nonode="/dev/vfio/$EG|not viable" _qp_notviable="not viable"
		_qp_unbound="/dev/vfio/$EG"
	fi
	[ "$(pdrv "$E")" = e1000 ] || rebind "$E" e1000
	qemu_expect "$_qp: $E on e1000" 1 "$E" "$_qp_nonode"
	if rebind "$E" vfio-pci; then
		qemu_expect "$_qp: $E on vfio-pci" 0 "$E"
		if qemu_hold "$E"; then
			ok "qemu: $_qp: $E on vfio-pci held by a paused QEMU (pid $QEMU_HOLD_PID, $QEMU_MS ms)"
			diag "qemu: the held QEMU's $(grep '^VmRSS' "/proc/$QEMU_HOLD_PID/status" | tr -s ' \t' ' '), guest $(grep '^MemAvailable' /proc/meminfo | tr -s ' ' ' ')"
			if loaded; then
				_qp_l=$(module_group "$EG")
				check "qemu: $_qp: group $EG held by QEMU: the module says inuse=$([ "$INUSE_IDLE" = 0 ] && echo 1 || echo -), ready=1 ($_qp_l)" \
					test "$(vg_field "$_qp_l" inuse)" = "$([ "$INUSE_IDLE" = 0 ] && echo 1 || echo -)" -a "$(vg_field "$_qp_l" ready)" = 1
			fi
			for _qp_other in $QEMU_PATHS; do
				QEMU_VIA=$_qp_other
				_qp_held="busy"
				[ "$_qp $_qp_other" != "cdev cdev" ] || _qp_held="Invalid argument"
				qemu_expect "$_qp: $E held by another QEMU, tried on the $_qp_other path" 1 "$E" "$_qp_held"
			done
			QEMU_VIA=$_qp
			if qemu_release; then ok "qemu: $_qp: the holding QEMU quit"
			else notok "qemu: $_qp: the holding QEMU quit: $QEMU_ERR"; fi
			qemu_expect "$_qp: $E on vfio-pci after the release" 0 "$E"
		else
			notok "qemu: $_qp: $E on vfio-pci held by a paused QEMU: $QEMU_ERR"
		fi
	else
		notok "qemu: bind $E to vfio-pci (driver $(pdrv "$E"))"
	fi
	unbind_dev "$E"
	qemu_expect "$_qp: $E unbound" 1 "$E" "$_qp_unbound"
	bind_dev "$E" e1000
	check "qemu: $_qp: $E back on e1000" test "$(pdrv "$E")" = e1000
	if [ -z "$M0" ]; then
		skip "qemu: $_qp: group of two" "no two-function e1000"
	else
		MG=$(grp_of "$M0")
		if rebind "$M0" vfio-pci; then
			qemu_expect "$_qp: $M0 on vfio-pci, $M1 on $(pdrv "$M1") (group $MG)" 1 "$M0" "$_qp_notviable"
			if rebind "$M1" vfio-pci; then
				qemu_expect "$_qp: $M0 and $M1 on vfio-pci (group $MG)" 0 "$M0"
			else
				notok "qemu: bind $M1 to vfio-pci"
			fi
		else
			notok "qemu: bind $M0 to vfio-pci"
		fi
		rebind "$M0" e1000
		rebind "$M1" e1000
		check "qemu: $_qp: $M0 and $M1 back on e1000" test "$(pdrv "$M0") $(pdrv "$M1")" = "e1000 e1000"
	fi
	# A group of several devices none of which has a driver (q35's
	# 00:1f.x): one of them on vfio-pci, the others unbound.
	U=''
	for g in /sys/kernel/iommu_groups/*; do
		[ "$(ndevs "${g##*/}")" -ge 2 ] || continue
		[ -z "$(for d in $(group_devs "${g##*/}"); do [ "$(pdrv "$d")" = - ] || echo "$d"; done)" ] || continue
		U=$(group_devs "${g##*/}" | tail -n 1)
		break
	done
	if [ -z "$U" ]; then
		skip "qemu: $_qp: vfio-pci beside unbound devices" "no group of unbound devices"
	elif rebind "$U" vfio-pci; then
		qemu_expect "$_qp: $U on vfio-pci, the other $(($(ndevs "$(grp_of "$U")") - 1)) of group $(grp_of "$U") unbound" 0 "$U"
		unbind_dev "$U"
		check "qemu: $_qp: $U unbound again" test "$(pdrv "$U")" = -
	else
		notok "qemu: bind $U to vfio-pci"
		unbind_dev "$U"
	fi
	QEMU_VIA=group
}

if want qemu; then
	log "qemu"
	# shellcheck source=qemu-oracle.sh source-path=SCRIPTDIR
	. "$HERE/qemu-oracle.sh"
	if [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		modprobe vfio-pci 2>/dev/null
		modprobe vfio_iommu_type1 2>/dev/null
	fi
	# The two-function e1000 (one group of two, both on e1000).
	M0='' M1=''
	for d in /sys/bus/pci/drivers/e1000/0000:*; do
		[ -e "$d" ] || continue
		d=${d##*/}
		if [ "$(ndevs "$(grp_of "$d")")" -eq 2 ]; then
			M0=$d M1=$(group_devs "$(grp_of "$d")" | grep -vx "$d")
			break
		fi
	done
	if [ ! -x "$QEMU_BIN" ]; then
		notok "qemu: $QEMU_BIN in the payload (run-suite.sh: tests/vm/qemu-payload.sh)"
	elif [ ! -d /sys/bus/pci/drivers/vfio-pci ]; then
		notok "qemu: needs the vfio-pci driver"
	elif [ -z "$E" ]; then
		skip "qemu: vfio-pci oracle" "no device on e1000 alone in its group"
	elif [ "$(time_left)" -lt 60 ]; then
		skip "qemu: vfio-pci oracle" "guest time budget: $(time_left) s left"
	else
		EG=$(grp_of "$E")
		QEMU_PATHS=group
		if [ ! -c /dev/iommu ]; then
			skip "qemu: the cdev path (-object iommufd)" "this kernel has no IOMMUFD (no /dev/iommu; Debian builds it without)"
		elif ! qemu_has_cdev; then
			notok "qemu: the cdev path: the kernel has /dev/iommu, but no vfio-dev class or no $QEMU_CDEV_BIN (run-suite.sh: tests/vm/qemu-iommufd-payload.sh)"
		else
			QEMU_PATHS="group cdev"
		fi
		diag "qemu: $E (group $EG), two-function ${M0:-none} ${M1:-}; paths: $QEMU_PATHS; $("$QEMU_BIN" --version | head -n 1)"
		[ "$QEMU_PATHS" = group ] || diag "qemu: cdev path: $("$QEMU_CDEV_BIN" --version | head -n 1)"
		for _via in $QEMU_PATHS; do
			qemu_path "$_via"
		done
	fi
	diag "$(qemu_summary)"
fi
