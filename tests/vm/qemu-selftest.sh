# shellcheck shell=bash
# Sourced by qemu-payload.sh and qemu-iommufd-payload.sh: the self-test of a
# QEMU copied into a guest payload.
#
# qemu_selftest QEMU: starts QEMU as the guest's qemu-oracle.sh does (q35,
# TCG, paused, daemonized; no device), with the host's QEMU module, data
# and firmware directories hidden under empty tmpfs mounts in a private
# mount namespace when root, so that the copy cannot fall back on them.
# Returns 0 once it came up (and was stopped again), 1 with QEMU's output
# on stderr otherwise; sets QEMU_SELFTEST_HOW (how it was run).
# shellcheck disable=SC2034 # QEMU_SELFTEST_HOW is the sourcing script's
qemu_selftest() {
	local qemu=$1 work pidf rc=0 hide='' d
	work=$(mktemp -d "${TMPDIR:-/tmp}/vg-qemu-selftest.XXXXXX") || return 1
	pidf=$work/qemu.pid
	# shellcheck disable=SC2054 # commas belong to qemu's option syntax
	local start=("$qemu" -M q35 -accel tcg,tb-size=8 -m 16 -S
		-nodefaults -no-user-config -display none -monitor none
		-daemonize -pidfile "$pidf")
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
		for d in /usr/lib/x86_64-linux-gnu/qemu /usr/share/qemu /usr/share/seabios; do
			[ ! -d "$d" ] || hide="$hide${hide:+ && }mount -t tmpfs none $d"
		done
		QEMU_SELFTEST_HOW="host's QEMU files hidden"
		# shellcheck disable=SC2016 # $0 and $@ are the inner shell's
		timeout -s KILL 30 unshare -m --propagation private \
			sh -c "${hide:-true}"' && exec "$0" "$@"' "${start[@]}" </dev/null >"$work/out" 2>&1 || rc=$?
	else
		QEMU_SELFTEST_HOW="not root: host's QEMU files not hidden"
		timeout -s KILL 30 "${start[@]}" </dev/null >"$work/out" 2>&1 || rc=$?
	fi
	if [ $rc -eq 0 ] && kill -0 "$(cat "$pidf" 2>/dev/null)" 2>/dev/null; then
		kill -TERM "$(cat "$pidf")"
		rm -rf "$work"
		return 0
	fi
	[ ! -s "$pidf" ] || kill -KILL "$(cat "$pidf")" 2>/dev/null
	sed 's/^/    /' "$work/out" >&2
	echo "    (rc=$rc)" >&2
	rm -rf "$work"
	return 1
}
