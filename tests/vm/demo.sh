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
progress "checking the build dependencies (tests/install-deps.sh)"
"$top/tests/install-deps.sh"
if [ ! -f "$build/kmod/vfiogroup.ko" ] || [ ! -x "$build/tools/vfiogroup" ]; then
	progress "building the module, the library and the CLI in $build"
	(cd "$top" && ./autogen.sh >/dev/null)
	mkdir -p "$build"
	(cd "$build" && { [ -f config.status ] || "$top/configure" >/dev/null; } &&
		make -j"$(nproc)" >/dev/null)
fi
make -C "$build/tests" vm/guest/vgprobe >/dev/null
progress "booting Debian's 6.1 kernel under qemu with vfiogroup.ko (downloaded once; then about a minute)"

out=$build/tests/vm/demo-out
# The demo's run-tests.sh replaces the suite's; --test demo tells
# run-suite.sh that the suite's own sections (and their info-notifier
# line) do not run, as the packaging test's --test pkg does.
"$top/tests/vm/run-suite.sh" --builddir "$build" --srcdir "$top" \
	--payload "$build/tools" --payload "$top/tests/vm/demo" \
	--outdir "$out" --test demo >"$out.log" 2>&1 || {
	cat "$out.log"
	exit 1
}
sed -e '/^# vg-/d' -e '/^VG-BENCH-DONE/d' -e '/^ok 1 - demo ran/d' \
	"$out"/*/results.tap
echo
grep -m1 'boot+suite' "$out.log" || true
