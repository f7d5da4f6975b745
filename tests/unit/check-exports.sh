#!/bin/sh
# libvfiogroup.so exports exactly the vfiogroup_* symbols of
# libvfiogroup.sym, each under the version node it is listed in, and its
# soname is .so.1.
set -eu
: "${top_builddir:=../..}" "${top_srcdir:=../..}"
so="$top_builddir/libvfiogroup/.libs/libvfiogroup.so.1"
sym="$top_srcdir/libvfiogroup/libvfiogroup.sym"
if ! command -v nm >/dev/null || ! command -v readelf >/dev/null; then
	echo "SKIP: nm/readelf missing"; exit 77
fi
[ -f "$so" ] || { echo "SKIP: no shared library ($so)"; exit 77; }

fail=0
readelf -d "$so" | grep -q 'SONAME.*\[libvfiogroup\.so\.1\]' ||
	{ echo "FAIL: soname is not libvfiogroup.so.1"; fail=1; }

exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
	grep -v '^LIBVFIOGROUP_[0-9]*$' | sort)
# each name under the version node it is listed in
listed=$(awk '/^LIBVFIOGROUP_[0-9]+ *\{/ { node = $1 }
	/^[[:space:]]*vfiogroup_[a-z0-9_]*;/ { sub(/^[[:space:]]*/, ""); sub(/;.*/, ""); print $0 "@@" node }' "$sym" | sort)
if [ "$exported" != "$listed" ]; then
	echo "FAIL: exported symbols differ from libvfiogroup.sym:"
	printf '%s\n' "$exported" > exports.tmp
	printf '%s\n' "$listed" > listed.tmp
	diff exports.tmp listed.tmp || true
	rm -f exports.tmp listed.tmp
	fail=1
fi
# every public function of the header is exported
# shellcheck disable=SC2013  # names have no spaces
for f in $(sed -n -e 's/^[a-z][^(]*[ *]\(vfiogroup_[a-z0-9_]*\)(.*/\1/p' \
	-e 's/^\(vfiogroup_[a-z0-9_]*\)(.*/\1/p' \
	"$top_srcdir/include/vfiogroup.h"); do
	printf '%s\n' "$listed" | grep -q "^$f@@" ||
		{ echo "FAIL: $f declared but not exported"; fail=1; }
done
[ $fail = 0 ] && echo "PASS: $(printf '%s\n' "$exported" | wc -l) symbols, soname .so.1"
exit $fail
