#!/bin/bash
# payload.sh OUTDIR
#
# The guest payload of the "ynl" section (tests/vm/guest/ynl.sh): the
# family driven by the kernel's own YNL tools, built from the spec on the
# host.  OUTDIR becomes /payload/ynl in the guest:
#
#   ynl-client        ynl-client.c linked with the user code ynl-gen-c makes
#                     of the spec (--mode user) and YNL's lib/ynl.c
#   cli.py, lib/      the YNL Python CLI and library, with the spec as
#   vfiogroup.yaml    vfiogroup.yaml and ynl-canon.py beside them
#   python/           Debian's python3 (/usr/bin/python3) with just the
#                     modules the CLI imports: the guest has no Python of its
#                     own, so the CLI is traced on the host, against the
#                     host's nlctrl family (dump, do, an error, a
#                     subscription), and each module it loaded is copied;
#                     the copy then runs the same commands on the host with
#                     nothing else on its path, or the build fails
#
# Run by run-suite.sh once per run (kernel-independent).  Needs what
# tests/spec/ynl.sh needs, and gcc.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
die() { echo "ynl-payload: error: $*" >&2; exit 1; }
[ $# -eq 1 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
out=$1

# shellcheck source=tests/spec/ynl-tools.sh source-path=SCRIPTDIR/../../..
. "$top/tests/spec/ynl-tools.sh"
rm -rf "$out"
mkdir -p "$out/lib"

# --- the C client --------------------------------------------------------
w=$ynl_work/client
mkdir -p "$w"
ynl_gen "$w/vfiogroup-user.h" --mode user --header
ynl_gen "$w/vfiogroup-user.c" --mode user --source
ynl_cc "$w/vfiogroup-user.c" "$w/vfiogroup-user.o"
ynl_cc "$ynl/lib/ynl.c" "$w/ynl.o"
cp "$here/ynl-client.c" "$w/"
ynl_cc "$w/ynl-client.c" "$w/ynl-client.o"
gcc -o "$out/ynl-client" "$w/ynl-client.o" "$w/vfiogroup-user.o" "$w/ynl.o"

# --- the Python CLI --------------------------------------------------------
cp "$ynl/cli.py" "$out/"
cp "$ynl"/lib/*.py "$out/lib/"
cp "$top/$spec_rel" "$out/vfiogroup.yaml"
cp "$here/ynl-canon.py" "$out/"

py=$(readlink -f /usr/bin/python3) || die "no /usr/bin/python3"
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
stdlib=/usr/lib/python$pyver
dist=/usr/lib/python3/dist-packages
[ -f "$dist/yaml/__init__.py" ] || die "no PyYAML in $dist (apt install python3-yaml)"
nlctrl=$ynl_root/Documentation/netlink/specs/nlctrl.yaml

# cli_runs PYTHON...: the CLI commands the trace and the self-test run,
# each of which must do what it should (set -e does not hold in a function
# called from a condition: every step says so itself; grep reads to the
# end, or pipefail would blame the writer for grep's early exit)
cli_runs() {
	local cli=(--spec "$nlctrl" --no-schema)
	"$@" "$out/cli.py" "${cli[@]}" --dump getfamily --output-json | grep >/dev/null '"family-name": "nlctrl"' || return 1
	"$@" "$out/cli.py" "${cli[@]}" --do getfamily --json '{"family-name": "nlctrl"}' | grep >/dev/null "'family-name': 'nlctrl'" || return 1
	"$@" "$out/cli.py" "${cli[@]}" --subscribe notify --do getfamily \
		--json '{"family-name": "nlctrl"}' --output-json | grep >/dev/null '"family-name": "nlctrl"' || return 1
	echo '[]' | "$@" "$out/ynl-canon.py" events || return 1
	local err
	err=$("$@" "$out/cli.py" "${cli[@]}" --do getfamily --json '{"family-name": "vg-none"}') &&
		return 1
	printf '%s\n' "$err" | "$@" "$out/ynl-canon.py" error | grep >/dev/null '^errno=ENOENT ' || return 1
}

# Every module file a run loaded, printed at exit.
trace=$ynl_work/trace.py
cat >"$trace" <<'PY'
import atexit, runpy, sys
listing = sys.argv[1]
def _files():
    with open(listing, 'a') as f:
        for m in list(sys.modules.values()):
            p = getattr(m, '__file__', None)
            if p:
                print(p, file=f)
atexit.register(_files)
script = sys.argv[2]
sys.argv = sys.argv[2:]
sys.path.insert(0, script.rsplit('/', 1)[0])
runpy.run_path(script, run_name='__main__')
PY
# Not -S: the CLI's error path needs site's exit().
cli_runs env -i "$py" "$trace" "$ynl_work/files" >/dev/null 2>&1 ||
	die "the YNL CLI failed on the host's nlctrl family"

pyhome=$out/python
mkdir -p "$pyhome/bin" "$pyhome/lib/python$pyver/lib-dynload"
cp "$py" "$pyhome/bin/python3"
sort -u "$ynl_work/files" | while read -r f; do
	case $f in
	"$stdlib"/*) rel=${f#"$stdlib"/} ;;
	"$dist"/*) rel=${f#"$dist"/} ;;
	*) continue ;;	# the CLI's own files, copied above
	esac
	dst=$pyhome/lib/python$pyver/$rel
	mkdir -p "${dst%/*}"
	cp -p "$f" "$dst"
	# Debian's byte-code beside it: no compiling in the guest.
	pyc=${f%/*}/__pycache__/$(basename "${f%.py}").cpython-${pyver/./}.pyc
	if [ "${f%.py}" != "$f" ] && [ -f "$pyc" ]; then
		mkdir -p "${dst%/*}/__pycache__"
		cp -p "$pyc" "${dst%/*}/__pycache__/"
	fi
done
"$py" -m compileall -q "$out/cli.py" "$out/lib" "$out/ynl-canon.py" >/dev/null

cli_runs env -i PYTHONHOME="$pyhome" "$pyhome/bin/python3" >"$ynl_work/selftest.log" 2>&1 || {
	sed 's/^/    /' "$ynl_work/selftest.log" >&2
	die "the trimmed Python runtime cannot run the YNL CLI on the host"
}
echo "ynl-payload: $out: ynl-client, the YNL CLI (Linux $ynl_version) and python$pyver ($(find "$pyhome" -type f | wc -l) files, $(du -sk "$pyhome" | cut -f1) KiB)"
