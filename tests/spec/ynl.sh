#!/bin/bash
# ynl.sh gen|check
#
# Runs the kernel's own YNL tools on the family's spec,
# Documentation/netlink/specs/vfiogroup.yaml, which is the protocol's
# source:
#
#   gen    writes include/uapi/linux/vfiogroup.h (--mode uapi) and the
#          module's policies and op table, kmod/vfiogroup-nl-gen.[ch]
#          (--mode kernel): what "make spec-gen" runs after the spec changed
#   check  fails unless every step passes: ynl-gen-c in uapi, kernel and
#          user modes (each validates the spec against YNL's genetlink-c
#          schema first); the checked-in generated files byte-identical to
#          a fresh generation; the generated user code compiled with YNL's
#          own lib/ynl.c, -Werror
#
# The tools, and the scratch tree they run in: ynl-tools.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
uapi_rel=include/uapi/linux/vfiogroup.h

usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
die() { echo "ynl: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || usage
mode=$1
case $mode in gen|check) ;; *) usage ;; esac

# shellcheck source=tests/spec/ynl-tools.sh source-path=SCRIPTDIR/../..
. "$here/ynl-tools.sh"
work=$ynl_work

# What gen writes and check compares: the UAPI header, and the module's
# policies and op table (kernel mode), as the kernel checks its own in.
outputs=(
	"$uapi_rel|--mode uapi --header"
	"kmod/vfiogroup-nl-gen.h|--mode kernel --header"
	"kmod/vfiogroup-nl-gen.c|--mode kernel --source"
)

if [ "$mode" = gen ]; then
	mkdir -p "$work/gen"
	for o in "${outputs[@]}"; do
		rel=${o%%|*}
		# Under the file's own name: the kernel source names its header
		# after it.
		out=$work/gen/${rel##*/}
		# shellcheck disable=SC2086 # the mode's words
		ynl_gen "$out" ${o#*|}
		if cmp -s "$out" "$top/$rel"; then
			echo "ynl: $rel is up to date (YNL $ynl_version)"
		else
			cp "$out" "$top/$rel"
			echo "ynl: wrote $rel (YNL $ynl_version)"
		fi
	done
	exit 0
fi

passed=0 failed=0
# step NAME CMD...: one line per step, the output of a failed one below it
step() {
	local name=$1 log=$work/step.log
	shift
	if "$@" >"$log" 2>&1; then
		passed=$((passed + 1))
		echo "ok: $name"
	else
		failed=$((failed + 1))
		echo "FAILED: $name"
		sed 's/^/    /' "$log"
	fi
}

mkdir -p "$work/gen" "$work/user"
for o in "${outputs[@]}"; do
	rel=${o%%|*}
	# shellcheck disable=SC2086 # the mode's words
	step "ynl-gen-c ${o#*|}" ynl_gen "$work/gen/${rel##*/}" ${o#*|}
	step "$rel is what ynl-gen-c makes of the spec, byte for byte" \
		diff -u "$work/gen/${rel##*/}" "$top/$rel"
done
step "ynl-gen-c --mode user --header" \
	ynl_gen "$work/user/vfiogroup-user.h" --mode user --header
step "ynl-gen-c --mode user --source" \
	ynl_gen "$work/user/vfiogroup-user.c" --mode user --source

cc_client() {
	ynl_cc "$work/user/vfiogroup-user.c" "$work/user/vfiogroup-user.o" &&
		ynl_cc "$ynl/lib/ynl.c" "$work/user/ynl.o"
}
step "generated user code compiles with YNL's lib/ynl.c (-Werror)" cc_client

echo "ynl (Linux $ynl_version tools): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
