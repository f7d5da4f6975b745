#!/bin/sh
# Build tests/fuzz/fuzz-decode with clang's libFuzzer (+ASan/UBSan) and run
# it for SECONDS (default 60) on a seed corpus of real messages.
#   tests/fuzz/run.sh [SECONDS]
# Needs clang (Debian: apt-get install clang-14 libclang-rt-14-dev),
# libnl-3-dev and libnl-genl-3-dev.  Works from any directory; builds in
# $FUZZ_OUT (default: a temporary directory).  Exit status: the fuzzer's.
set -eu
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
CC=${CC:-$(command -v clang || command -v clang-14 || true)}
[ -n "$CC" ] || { echo "run.sh: clang not found" >&2; exit 77; }
out=${FUZZ_OUT:-$(mktemp -d)}
mkdir -p "$out/corpus"

nl_cflags=$(pkg-config --cflags libnl-3.0 libnl-genl-3.0)
nl_libs=$(pkg-config --libs libnl-3.0 libnl-genl-3.0)
inc="-I$top/include -I$top/include/uapi -I$top/libvfiogroup -I$top/tests/unit"
srcs="$top/libvfiogroup/cache.c $top/libvfiogroup/decode.c $top/libvfiogroup/group.c"

# The decoder and what it builds on: no socket, no threads needed.
# shellcheck disable=SC2086
"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	$inc $nl_cflags -o "$out/fuzz-decode" "$here/fuzz-decode.c" \
	$srcs $nl_libs

# Seeds: real messages from the unit tests' fake kernel (which needs the
# whole library).
# shellcheck disable=SC2086
"$CC" -g -pthread $inc $nl_cflags -o "$out/seeds" "$here/seeds.c" \
	"$top/tests/unit/fake.c" "$top"/libvfiogroup/*.c $nl_libs
"$out/seeds" "$out/corpus"

echo "run.sh: fuzzing for ${secs}s in $out"
exec "$out/fuzz-decode" -max_total_time="$secs" -max_len=4096 \
	-print_final_stats=1 "$out/corpus"
