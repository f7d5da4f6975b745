#!/bin/bash
# Shows the main job: builds everything if needed, boots Debian's 6.1 kernel
# under qemu with vfiogroup.ko loaded, and prints what the vfiogroup CLI saw
# while the guest bound and unbound drivers.
#
#   tests/vm/demo.sh [--builddir DIR]
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
[ "${1:-}" = --builddir ] && build=$2

t0=$SECONDS
progress() { echo "demo: $* ($((SECONDS - t0)) s so far)"; }
progress "checking the build dependencies (tests/install-deps.sh --demo)"
"$top/tests/install-deps.sh" --demo
if [ ! -f "$build/kmod/vfiogroup.ko" ] || [ ! -x "$build/tools/vfiogroup" ]; then
	progress "building the module, the library and the CLI in $build"
	(cd "$top" && ./autogen.sh >/dev/null)
	mkdir -p "$build"
	(cd "$build" && { [ -f config.status ] || "$top/configure" >/dev/null; } &&
		make -j"$(nproc)" >/dev/null)
fi
make -C "$build/tests" vm/guest/vgvfio >/dev/null
progress "booting Debian's 6.1 kernel under qemu with vfiogroup.ko (downloaded once; then about 30 s)"

out=$build/tests/vm/demo-out
# The demo's run-tests.sh replaces the suite's; --test demo tells
# run-suite.sh that the suite's own sections (and their info-notifier
# line) do not run, as the packaging test's --test pkg does.
rc=0
rm -f "$out"/*/results.tap
"$top/tests/vm/run-suite.sh" --builddir "$build" --srcdir "$top" \
	--payload "$build/tools" --payload "$top/tests/vm/demo" \
	--outdir "$out" --test demo >"$out.log" 2>&1 || rc=$?

# The story is the guest's run-tests section: its steps, the events, what
# the kernel says, and a check after each (ok/not ok).
tap=
for f in "$out"/*/results.tap; do [ -f "$f" ] && tap=$f; done
if [ -n "$tap" ]; then
	sed -n '/^# vg-begin run-tests$/,/^# vg-end run-tests/p' "$tap" |
		sed -e '/^# vg-/d' -e '/^1\.\.[0-9]*$/d' -e '/^# demo: /d'
	echo
fi
figures=$([ -n "$tap" ] && sed -n 's/^# demo: //p' "$tap")
steps=$(echo "$figures" | sed -n 's/.*steps=\([0-9]*\).*/\1/p')
events=$(echo "$figures" | sed -n 's/.*events=\([0-9]*\).*/\1/p')
checks=$(echo "$figures" | sed -n 's/.*checks=\([0-9]*\).*/\1/p')
summary=$(grep -E '^6\.1 \(' "$out.log" | tail -n 1)
if [ "$rc" -eq 0 ] && [ -n "$checks" ]; then
	echo "demo: PASS: vfiogroup saw $events events in $steps steps on Debian's 6.1 kernel;" \
		"all $checks checks against sysfs and VFIO held ($((SECONDS - t0)) s in all)"
	exit 0
fi
echo "run-suite.sh said:"
sed 's/^/  /' "$out.log" | tail -n 40
echo
echo "demo: FAIL: ${summary:-no result from the guest} (log: $out.log)"
exit 1
