# SPDX-License-Identifier: GPL-2.0-only OR MIT
# shellcheck shell=sh
#
# Shared helpers of run-tests.sh (sourced by it; busybox ash): the module
# under test (its .ko, whether it is loaded) and its view through vgprobe
# (a field of a reply line, a group's viability and line, the sequence
# number now).
# shellcheck disable=SC2034 # MODULE_KO: read by the sections

MODULE_KO=
for c in $VG_TEST_MODULES /payload/vfiogroup.ko "$HERE/vfiogroup.ko" /lib/modules/test/vfiogroup.ko; do
	case $c in *vfiogroup.ko) [ -f "$c" ] && { MODULE_KO=$c; break; } ;; esac
done
loaded() { [ -d /sys/module/vfiogroup ]; }

# vg_field LINE KEY -> value of KEY=value in LINE
vg_field() {
	case $1 in
	*"
"*)	echo "$1" | sed -n "s/^/ /; s/.* $2=\\([^ ]*\\).*/\\1/p" ;;	# per line, as ever
	*)	case " $1" in
		*" $2="*) _vf=" $1"; _vf=${_vf##* "$2"=}; echo "${_vf%% *}" ;;
		esac ;;
	esac
}
# module_viable GROUP -> 0/1 from "get --id", empty if unknown
module_viable() { "$VG" get --id "$1" 2>/dev/null | sed -n '1s/.* viable=\([01]\) .*/\1/p'; }
# module_group GROUP -> the group line of "get --id" (viable, seq, ready, inuse, ndev)
module_group() { "$VG" get --id "$1" 2>/dev/null | head -n 1; }
# The module's sequence number now (info-seq): every event made before this
# call has a number up to it.
module_seq() { "$VG" info 2>/dev/null | sed -n '1s/^seq=\([0-9]*\) .*/\1/p'; }
