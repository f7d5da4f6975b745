#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""Check that the YNL spec of the vfiogroup family matches its UAPI header.

include/uapi/linux/vfiogroup.h is the single source of truth.  This script
renders the C names and values that the kernel's YNL generator
(tools/net/ynl, genetlink-c rules) would derive from
Documentation/netlink/specs/vfiogroup.yaml and compares them with what the
header defines:

  * family name, family version, multicast group name, constants;
  * every enum (commands, events, notifiers, each attribute set): every
    name -> value, in both directions (a name only on one side fails);
  * attribute types, nests, enums and repetition where the header's comment
    on an attribute states them ("u32: ...", "nest, repeated: vfiogroup_dev_attr",
    "u32: enum vfiogroup_notifier");
  * the spec's internal references (operations -> attributes, nests ->
    sets, notifications -> multicast groups).

It prints one line per failed check (every check with -v), a unified diff of
the two normalized listings when anything differs, and a final
"N passed, M failed" line.  Exit status: 0 all passed, 1 mismatch, 2 the
inputs could not be read or parsed.

Needs python3 and python3-yaml only.  --schema FILE additionally validates
the spec against a kernel schema file (Documentation/netlink/genetlink-c.yaml
from a kernel tree) when python3-jsonschema is installed.
"""

import argparse
import difflib
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("check-spec: python3-yaml is required (apt-get install python3-yaml)\n")
    sys.exit(2)


HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
DEFAULT_SPEC = os.path.join(TOP, "Documentation", "netlink", "specs", "vfiogroup.yaml")

# Attribute types a header comment may state, as its first word.
HDR_TYPES = ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
             "string", "nest", "flag", "binary", "uint", "sint")


class ParseError(Exception):
    pass


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


# --------------------------------------------------------------------------
# The header


class HdrEnum:
    def __init__(self, name):
        self.name = name            # C enum tag, None if anonymous
        self.entries = []           # [(name, value, comment)]

    def values(self):
        return {n: v for n, v, _ in self.entries}

    def comment(self, name):
        for n, _, c in self.entries:
            if n == name:
                return c
        return ""


def _blank_comments(text):
    """Return (text with comments replaced by spaces, [(start, end, body)])."""
    out = []
    comments = []
    pos = 0
    for m in re.finditer(r"/\*.*?\*/|//[^\n]*", text, re.S):
        out.append(text[pos:m.start()])
        out.append(re.sub(r"[^\n]", " ", m.group(0)))
        body = m.group(0)
        body = body[2:-2] if body.startswith("/*") else body[2:]
        body = re.sub(r"\s*\n\s*\*?\s*", " ", body).strip()
        comments.append((m.start(), m.end(), body))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), comments


def _eval(expr, known, where):
    expr = expr.strip()
    # Substitute known identifiers, then allow only integer arithmetic.
    def sub(m):
        ident = m.group(0)
        if ident in known:
            return "(%d)" % known[ident]
        if re.fullmatch(r"0[xX][0-9a-fA-F]+|\d+[uUlL]*", ident):
            return ident.rstrip("uUlL")
        raise ParseError("%s: unknown identifier %r in %r" % (where, ident, expr))
    py = re.sub(r"[A-Za-z_0-9]\w*", sub, expr)
    if not re.fullmatch(r"[\s\d()+\-*<>|&xXa-fA-F]*", py):
        raise ParseError("%s: cannot evaluate %r" % (where, expr))
    try:
        return int(eval(py, {"__builtins__": {}}, {}))  # noqa: S307 (checked above)
    except Exception as exc:  # pylint: disable=broad-except
        raise ParseError("%s: cannot evaluate %r: %s" % (where, expr, exc))


def parse_header(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    code, comments = _blank_comments(text)

    defines = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]*([^\n]*)$", code, re.M):
        name, val = m.group(1), m.group(2).strip()
        if not val:
            continue            # include guard
        if val.startswith('"'):
            defines[name] = val.strip('"')
        else:
            try:
                defines[name] = _eval(val, {}, name)
            except ParseError:
                defines[name] = val

    enums = []
    known = {}
    for m in re.finditer(r"\benum\s+([A-Za-z_]\w*)?\s*\{(.*?)\}\s*;", code, re.S):
        en = HdrEnum(m.group(1))
        body_start = m.start(2)
        body = m.group(2)
        nxt = 0
        pos = 0
        for piece in body.split(","):
            pstart = body_start + pos
            pos += len(piece) + 1
            em = re.search(r"([A-Za-z_]\w*)\s*(?:=\s*(.+?))?\s*$", piece, re.S)
            if not em or not piece.strip():
                continue
            name = em.group(1)
            if em.group(2) is not None:
                value = _eval(em.group(2), known, "enum %s" % en.name)
            else:
                value = nxt
            nxt = value + 1
            known[name] = value
            # The comment that starts on the line where the entry ends
            # (the ',' follows it) documents the entry.
            end_abs = pstart + len(piece)
            line_start = text.rfind("\n", 0, end_abs) + 1
            line_end = text.find("\n", end_abs)
            if line_end < 0:
                line_end = len(text)
            comment = ""
            for cs, _, cbody in comments:
                if line_start <= cs <= line_end and cs >= pstart + em.start(1):
                    comment = cbody
                    break
            en.entries.append((name, value, comment))
        enums.append(en)
    return defines, enums


def header_attr_info(comment):
    """Type, nested enum, value enum and repetition stated by a comment."""
    info = {}
    m = re.match(r"\s*(%s)\b" % "|".join(HDR_TYPES), comment)
    if m:
        info["type"] = m.group(1)
        if info["type"] == "nest":
            n = re.search(r"\b(\w+_attr)\b", comment)
            if n:
                info["nest"] = n.group(1)
            info["multi"] = bool(re.search(r"\brepeated\b", comment))
        e = re.search(r"\benum\s+(\w+)", comment)
        if e:
            info["enum"] = e.group(1)
    return info


# --------------------------------------------------------------------------
# The spec, rendered with the YNL generator's naming rules


class SpecEnum:
    def __init__(self, kind, name, cname):
        self.kind = kind            # "definition", "attribute-set", "operations"
        self.name = name            # name in the spec
        self.cname = cname          # C enum tag or None
        self.entries = []           # [(cname, value, info)]

    def values(self):
        return {n: v for n, v, _ in self.entries}


def render_spec(spec):
    """Return (defines, enums, attr_sets, errors) per YNL genetlink-c rules."""
    errors = []
    family = spec["name"]
    fam = c_lower(family)
    defines = {}
    enums = []

    fam_key = c_upper(spec.get("c-family-name", family + "_FAMILY_NAME"))
    ver_key = c_upper(spec.get("c-version-name", family + "_FAMILY_VERSION"))
    defines[fam_key] = family
    defines[ver_key] = spec.get("version", 1)

    consts = {}
    for d in spec.get("definitions", []):
        if d.get("header"):
            continue
        if d["type"] == "const":
            pfx = d.get("name-prefix", family + "-")
            defines[c_upper(pfx + d["name"])] = d["value"]
            consts[d["name"]] = d["value"]
            continue
        if d["type"] not in ("enum", "flags"):
            errors.append("definition %s: type %s not handled" % (d["name"], d["type"]))
            continue
        if "enum-name" in d:
            cname = c_lower(d["enum-name"]) if d["enum-name"] else None
        else:
            cname = "%s_%s" % (fam, c_lower(d["name"]))
        en = SpecEnum("definition", d["name"], cname)
        pfx = d.get("name-prefix", "%s-%s-" % (family, d["name"]))
        val = d.get("value-start", 0)
        if isinstance(val, str):
            val = _eval(val, {c_upper(k): v for k, v in consts.items()}, d["name"])
        last = None
        for e in d["entries"]:
            if isinstance(e, str):
                e = {"name": e}
            if "value" in e:
                val = e["value"]
            user = (1 << val) if d["type"] == "flags" else val
            en.entries.append((c_upper(pfx + e["name"]), user, {"spec": e["name"]}))
            last = user
            val += 1
        if d.get("render-max") and last is not None:
            if d["type"] == "flags":
                mask = 0
                for _, v, _ in en.entries:
                    mask |= v
                en.entries.append((c_upper(d.get("enum-max-name", "%smask" % pfx)), mask, {}))
            else:
                max_name = c_upper(d.get("enum-max-name", pfx + "max"))
                cnt_name = c_upper(d.get("enum-cnt-name", "__" + pfx + "max"))
                en.entries.append((cnt_name, last + 1, {}))
                en.entries.append((max_name, last, {}))
        enums.append(en)

    attr_sets = {}
    for s in spec["attribute-sets"]:
        if "subset-of" in s:
            attr_sets[s["name"]] = {"subset-of": s["subset-of"], "yaml": s}
            continue
        if "name-prefix" in s:
            pfx = s["name-prefix"]
        elif s["name"] == family:
            pfx = family + "-a-"
        else:
            pfx = "%s-a-%s-" % (family, s["name"])
        cname = c_lower(s["enum-name"]) if s.get("enum-name") else None
        en = SpecEnum("attribute-set", s["name"], cname)
        val = 1
        by_name = {}
        for a in s["attributes"]:
            if "value" in a:
                val = a["value"]
            cn = c_upper(a.get("name-prefix", pfx) + a["name"])
            info = {"spec": a["name"], "type": a.get("type"),
                    "nest": a.get("nested-attributes"), "enum": a.get("enum"),
                    "multi": bool(a.get("multi-attr", False)),
                    "checks": a.get("checks", {})}
            en.entries.append((cn, val, info))
            by_name[a["name"]] = (cn, val, info)
            val += 1
        if en.entries:
            last = max(v for _, v, _ in en.entries)
            en.entries.append((c_upper(s.get("attr-cnt-name", "__%smax" % pfx)), last + 1, {}))
            en.entries.append((c_upper(s.get("attr-max-name", "%smax" % pfx)), last, {}))
        enums.append(en)
        attr_sets[s["name"]] = {"enum": en, "attrs": by_name, "yaml": s}

    ops = spec["operations"]
    if ops.get("enum-model", "unified") != "unified":
        errors.append("operations: enum-model %s not handled" % ops["enum-model"])
    op_pfx = ops.get("name-prefix", family + "-cmd-")
    async_pfx = ops.get("async-prefix")
    cmd_enum = SpecEnum("operations", "operations",
                        c_lower(ops["enum-name"]) if ops.get("enum-name") else None)
    ntf_enum = None
    if async_pfx is not None:
        ntf_enum = SpecEnum("operations", "notifications",
                            c_lower(ops["async-enum"]) if ops.get("async-enum") else None)
    val = 1
    for op in ops["list"]:
        if "value" in op:
            val = op["value"]
        is_ntf = "notify" in op or "event" in op
        target = cmd_enum
        pfx = op_pfx
        if is_ntf and ntf_enum is not None:
            target, pfx = ntf_enum, async_pfx
        target.entries.append((c_upper(pfx + op["name"]), val, {"spec": op["name"]}))
        val += 1
    if cmd_enum.entries:
        last = max(v for _, v, _ in cmd_enum.entries)
        cmd_enum.entries.append((c_upper(spec.get("cmd-cnt-name", "__%sMAX" % op_pfx)), last + 1, {}))
        cmd_enum.entries.append((c_upper(spec.get("cmd-max-name", "%sMAX" % op_pfx)), last, {}))
    enums.append(cmd_enum)
    if ntf_enum is not None:
        enums.append(ntf_enum)

    for g in spec.get("mcast-groups", {}).get("list", []):
        defines[c_upper(g.get("c-define-name", "%s-mcgrp-%s" % (family, g["name"])))] = g["name"]

    return defines, enums, attr_sets, errors


# --------------------------------------------------------------------------


class Checker:
    def __init__(self, verbose):
        self.verbose = verbose
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
            if self.verbose:
                print("ok: " + what)
        else:
            self.failed += 1
            print("FAIL: " + what)
        return ok


def listing_header(defines, enums):
    lines = []
    for k in sorted(defines):
        lines.append("#define %s %r" % (k, defines[k]))
    for en in sorted(enums, key=lambda e: e.name or ""):
        for n, v, c in en.entries:
            info = header_attr_info(c)
            extra = ""
            if info.get("type"):
                extra = " (%s%s%s%s)" % (info["type"],
                                         " " + info["nest"] if info.get("nest") else "",
                                         " enum " + info["enum"] if info.get("enum") else "",
                                         " multi" if info.get("multi") else "")
            lines.append("enum %s: %s = %d%s" % (en.name, n, v, extra))
    return lines


def listing_spec(defines, enums, attr_sets, hdr_enums):
    lines = []
    for k in sorted(defines):
        lines.append("#define %s %r" % (k, defines[k]))
    # Show types only where the header states one, so that the two
    # listings are comparable line by line.
    hdr_info = {}
    for en in hdr_enums:
        for n, _, c in en.entries:
            hdr_info[(en.name, n)] = header_attr_info(c)
    hdr_by_name = {e.name: e for e in hdr_enums}
    for en in sorted(enums, key=lambda e: e.cname or ""):
        he = hdr_by_name.get(en.cname)
        if he is not None and 0 not in en.values().values():
            # The implicit *_UNSPEC = 0 (YNL starts values at 1).
            lines += ["enum %s: %s = 0" % (en.cname, n) for n, v, _ in he.entries
                      if v == 0 and n.endswith("_UNSPEC")]
        for n, v, info in en.entries:
            extra = ""
            if en.kind == "attribute-set" and hdr_info.get((en.cname, n), {}).get("type"):
                t = info.get("type")
                nest = ""
                if info.get("nest"):
                    target = attr_sets.get(info["nest"], {})
                    nest = " " + (target["enum"].cname if "enum" in target else "?" + info["nest"])
                enum = ""
                if info.get("enum"):
                    enum = " enum " + _enum_cname(enums, info["enum"])
                multi = " multi" if t == "nest" and info.get("multi") else ""
                if t != "nest":
                    nest = ""
                extra = " (%s%s%s%s)" % (t, nest, enum, multi)
            lines.append("enum %s: %s = %d%s" % (en.cname, n, v, extra))
    return lines


def _enum_cname(enums, spec_name):
    for en in enums:
        if en.kind == "definition" and en.name == spec_name:
            return en.cname
    return "?" + spec_name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=DEFAULT_SPEC, help="YNL spec (default: %(default)s)")
    ap.add_argument("--header", help="UAPI header (default: include/uapi/<uapi-header> of the spec)")
    ap.add_argument("--schema", help="also validate against this genetlink schema (needs jsonschema)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passed checks too")
    ap.add_argument("--self-test", action="store_true",
                    help="mutate copies of the spec and header and check that every mutation is caught")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args)

    try:
        with open(args.spec, encoding="utf-8") as f:
            spec = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as exc:
        print("check-spec: cannot read spec %s: %s" % (args.spec, exc))
        return 2
    if not isinstance(spec, dict) or "name" not in spec:
        print("check-spec: %s is not a netlink spec" % args.spec)
        return 2

    uapi = spec.get("uapi-header", "linux/%s.h" % c_lower(spec["name"]))
    header = args.header or os.path.join(TOP, "include", "uapi", uapi)
    try:
        hdr_defines, hdr_enums = parse_header(header)
    except (OSError, ParseError) as exc:
        print("check-spec: cannot parse header %s: %s" % (header, exc))
        return 2

    ck = Checker(args.verbose)
    print("# spec:   %s" % os.path.relpath(args.spec))
    print("# header: %s" % os.path.relpath(header))

    if args.schema:
        try:
            import jsonschema  # pylint: disable=import-outside-toplevel
            with open(args.schema, encoding="utf-8") as f:
                schema = yaml.safe_load(f)
            jsonschema.validate(spec, schema)
            ck.check(True, "spec validates against %s" % args.schema)
        except ImportError:
            print("# jsonschema not installed: schema validation skipped")
        except Exception as exc:  # pylint: disable=broad-except
            ck.check(False, "spec validates against %s: %s" % (args.schema, str(exc).splitlines()[0]))

    ck.check(spec.get("protocol", "genetlink") in ("genetlink", "genetlink-c", "genetlink-legacy"),
             "protocol is a genetlink one (%s)" % spec.get("protocol", "genetlink"))
    ck.check(uapi == "linux/%s.h" % os.path.splitext(os.path.basename(header))[0]
             or args.header is not None,
             "uapi-header %s names the header file" % uapi)

    try:
        sp_defines, sp_enums, attr_sets, errors = render_spec(spec)
    except (KeyError, TypeError, ParseError) as exc:
        print("check-spec: spec is incomplete or malformed: %r" % (exc,))
        return 2
    for e in errors:
        ck.check(False, e)

    # ---- defines: family name, version, mcast group, constants
    for name, val in sorted(sp_defines.items()):
        if name not in hdr_defines:
            ck.check(False, "define %s (spec: %r) missing from the header" % (name, val))
        else:
            ck.check(hdr_defines[name] == val,
                     "define %s: header %r, spec %r" % (name, hdr_defines[name], val))
    for name in sorted(set(hdr_defines) - set(sp_defines)):
        ck.check(False, "header define %s = %r is not described by the spec" % (name, hdr_defines[name]))

    # ---- enums
    hdr_by_name = {e.name: e for e in hdr_enums if e.name}
    matched = set()
    for en in sp_enums:
        he = None
        if en.cname:
            he = hdr_by_name.get(en.cname)
        else:
            first = en.entries[0][0] if en.entries else None
            for cand in hdr_enums:
                if first and first in cand.values():
                    he = cand
        what = "enum %s (spec %s %s)" % (en.cname or "<anonymous>", en.kind, en.name)
        if not ck.check(he is not None, what + " exists in the header"):
            continue
        matched.add(id(he))
        hv = he.values()
        sv = en.values()
        for n, v, _ in en.entries:
            if n not in hv:
                ck.check(False, "%s: %s = %d is in the spec, not in the header" % (what, n, v))
            else:
                ck.check(hv[n] == v, "%s: %s: header %d, spec %d" % (what, n, hv[n], v))
        for n, v, _ in he.entries:
            if n in sv:
                continue
            if n.endswith("_UNSPEC") and v == 0 and 0 not in sv.values():
                ck.check(True, "%s: %s = 0 implicit in the spec (values start at 1)" % (what, n))
            else:
                ck.check(False, "%s: %s = %d is in the header, not in the spec" % (what, n, v))
        # Duplicated values inside one enum are always a mistake here.
        seen = {}
        for n, v, _ in en.entries:
            if n.startswith("__") or n.endswith("_MAX") or n.endswith("_MASK"):
                continue
            if v in seen:
                ck.check(False, "%s: %s and %s both have value %d" % (what, seen[v], n, v))
            seen[v] = n

        # ---- attribute types, nests, enums, repetition
        if en.kind != "attribute-set":
            continue
        for n, v, info in en.entries:
            if "spec" not in info:
                continue
            hinfo = header_attr_info(he.comment(n))
            t = info.get("type")
            if "type" in hinfo:
                ck.check(hinfo["type"] == t,
                         "%s: %s type: header comment says %s, spec %s" % (what, n, hinfo["type"], t))
            if t == "nest":
                target = attr_sets.get(info.get("nest"))
                if not ck.check(target is not None and "enum" in target,
                                "%s: %s nested-attributes %r names a full attribute set"
                                % (what, n, info.get("nest"))):
                    continue
                if "nest" in hinfo:
                    ck.check(hinfo["nest"] == target["enum"].cname,
                             "%s: %s nests %s per the header, spec nests %s"
                             % (what, n, hinfo["nest"], target["enum"].cname))
                if "type" in hinfo:
                    ck.check(hinfo.get("multi", False) == info["multi"],
                             "%s: %s repeated: header %s, spec multi-attr %s"
                             % (what, n, hinfo.get("multi", False), info["multi"]))
            if info.get("enum") or "enum" in hinfo:
                ecn = _enum_cname(sp_enums, info["enum"]) if info.get("enum") else None
                ck.check(hinfo.get("enum") == ecn,
                         "%s: %s values: header says enum %s, spec enum %s"
                         % (what, n, hinfo.get("enum"), ecn))
            mx = info.get("checks", {}).get("max-len")
            if mx is not None and t == "string":
                limit = hdr_defines.get("VFIOGROUP_NAME_MAX")
                if isinstance(mx, str):
                    mx = _eval(mx.replace("-", "_") if " - " not in mx else mx,
                               {c_upper(k): val for k, val in hdr_defines.items()
                                if isinstance(val, int)}, n)
                if isinstance(limit, int):
                    ck.check(mx == limit - 1,
                             "%s: %s max-len %d is VFIOGROUP_NAME_MAX - 1 (%d)" % (what, n, mx, limit - 1))
    for he in hdr_enums:
        if id(he) not in matched:
            ck.check(False, "header enum %s is not described by the spec" % (he.name or "<anonymous>"))

    # ---- internal references of the spec
    mcgrps = {g["name"] for g in spec.get("mcast-groups", {}).get("list", [])}
    for op in spec["operations"]["list"]:
        aset_name = op.get("attribute-set")
        if "notify" in op:
            ref = [o for o in spec["operations"]["list"] if o["name"] == op["notify"]]
            ck.check(bool(ref), "operation %s notifies like existing operation %s" % (op["name"], op["notify"]))
            if ref:
                aset_name = ref[0].get("attribute-set")
        aset = attr_sets.get(aset_name)
        if not ck.check(aset is not None and "attrs" in aset,
                        "operation %s uses an existing attribute set (%s)" % (op["name"], aset_name)):
            continue
        lists = []
        for mode in ("do", "dump"):
            for part in ("request", "reply"):
                lists += op.get(mode, {}).get(part, {}).get("attributes", [])
        lists += op.get("event", {}).get("attributes", [])
        for a in lists:
            ck.check(a in aset["attrs"], "operation %s: attribute %s exists in set %s" % (op["name"], a, aset_name))
        if "event" in op or "notify" in op:
            ck.check(op.get("mcgrp") in mcgrps,
                     "notification %s is sent on a declared multicast group (%s)" % (op["name"], op.get("mcgrp")))
    for sname, s in attr_sets.items():
        if "subset-of" in s:
            parent = attr_sets.get(s["subset-of"])
            ok = parent is not None and "attrs" in parent
            ck.check(ok, "set %s is a subset of existing set %s" % (sname, s["subset-of"]))
            if ok:
                for a in s["yaml"]["attributes"]:
                    ck.check(a["name"] in parent["attrs"],
                             "subset %s: attribute %s exists in %s" % (sname, a["name"], s["subset-of"]))
            continue
        for _, _, info in s["enum"].entries:
            if info.get("enum"):
                ck.check(any(e.kind == "definition" and e.name == info["enum"] for e in sp_enums),
                         "set %s: attribute %s enum %s is defined" % (sname, info["spec"], info["enum"]))

    if ck.failed:
        a = listing_header(hdr_defines, hdr_enums)
        b = listing_spec(sp_defines, sp_enums, attr_sets, hdr_enums)
        diff = list(difflib.unified_diff(sorted(a), sorted(b), "header: " + os.path.relpath(header),
                                         "spec: " + os.path.relpath(args.spec), lineterm="", n=1))
        if diff:
            print("--- normalized listings differ:")
            for line in diff:
                print(line)
    print("%d passed, %d failed" % (ck.passed, ck.failed))
    return 1 if ck.failed else 0


# Each mutation: (description, "spec" or "header", old text, new text).
# Every one must make the checker fail; the unmutated pair must pass.
MUTATIONS = [
    ("family name", "header", '"vfiogroup"', '"vfiogrp"'),
    ("family version", "header", "VFIOGROUP_FAMILY_VERSION\t1", "VFIOGROUP_FAMILY_VERSION\t2"),
    ("mcast group name", "header", '"events"', '"event"'),
    ("name max", "header", "VFIOGROUP_NAME_MAX\t\t64", "VFIOGROUP_NAME_MAX\t\t32"),
    ("command order", "header", "VFIOGROUP_CMD_GROUP_GET,\n\tVFIOGROUP_CMD_INFO_GET,",
     "VFIOGROUP_CMD_INFO_GET,\n\tVFIOGROUP_CMD_GROUP_GET,"),
    ("event renamed", "header", "VFIOGROUP_EVENT_DRIVER_BOUND,", "VFIOGROUP_EVENT_DRV_BOUND,"),
    ("notifier value", "header", "VFIOGROUP_NOTIFIER_IOMMU_GROUP,", "VFIOGROUP_NOTIFIER_IOMMU_GROUP = 5,"),
    ("attribute type in comment", "header", "/* u64: seq of the group's last event */",
     "/* u32: seq of the group's last event */"),
    ("extra header attribute", "header", "VFIOGROUP_A_INFO_VERSION,\t/* string: module version */",
     "VFIOGROUP_A_INFO_VERSION,\t/* string: module version */\n\tVFIOGROUP_A_INFO_NEW,\t/* u32: new */"),
    ("device attribute order", "header", "VFIOGROUP_A_DEV_VENDOR,", "VFIOGROUP_A_DEV_VENDOR = 6,"),
    ("event attribute removed", "header", "\tVFIOGROUP_A_EVENT_DRIVER,\t/* string: driver bound or unbound */\n", ""),
    ("spec attribute type", "spec", "name: group-viable\n        type: u8", "name: group-viable\n        type: u32"),
    ("spec attribute dropped", "spec", "      -\n        name: info-dropped\n        type: u64\n"
     "        doc: Events lost to allocation failure.\n", ""),
    ("spec operation renamed", "spec", "name: info-get", "name: info-dump"),
    ("spec mcast group", "spec", "      name: events\n", "      name: notify\n"),
    ("spec const", "spec", "value: 64", "value: 128"),
    ("spec nest target", "spec", "nested-attributes: device", "nested-attributes: event"),
    ("spec multi-attr", "spec", "multi-attr: true", "multi-attr: false"),
    ("spec enum entry", "spec", "name: viability-changed", "name: viable-changed"),
    ("spec device attr prefix", "spec", "name-prefix: vfiogroup-a-dev-", "name-prefix: vfiogroup-a-device-"),
    ("spec string max-len", "spec", "max-len: 63", "max-len: 64"),
]


def self_test(args):
    import shutil  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import tempfile  # pylint: disable=import-outside-toplevel

    with open(args.spec, encoding="utf-8") as f:
        spec_text = f.read()
    spec = yaml.safe_load(spec_text)
    uapi = spec.get("uapi-header", "linux/%s.h" % c_lower(spec["name"]))
    header = args.header or os.path.join(TOP, "include", "uapi", uapi)
    with open(header, encoding="utf-8") as f:
        hdr_text = f.read()
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix="check-spec.")
    try:
        def run(spec_t, hdr_t):
            sp = os.path.join(tmp, "spec.yaml")
            hp = os.path.join(tmp, os.path.basename(header))
            with open(sp, "w", encoding="utf-8") as f:
                f.write(spec_t)
            with open(hp, "w", encoding="utf-8") as f:
                f.write(hdr_t)
            r = subprocess.run([sys.executable, os.path.abspath(__file__), "--spec", sp, "--header", hp],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                               universal_newlines=True)
            return r.returncode, r.stdout
        rc, out = run(spec_text, hdr_text)
        if rc == 0:
            passed += 1
            print("ok: unmutated spec and header pass")
        else:
            failed += 1
            print("FAIL: unmutated spec and header do not pass (rc %d):\n%s" % (rc, out))
        for desc, where, old, new in MUTATIONS:
            src = spec_text if where == "spec" else hdr_text
            if old not in src:
                failed += 1
                print("FAIL: mutation %r: text to mutate not found (update MUTATIONS)" % desc)
                continue
            mut = src.replace(old, new, 1)
            rc, out = run(mut if where == "spec" else spec_text, mut if where == "header" else hdr_text)
            first = next((l for l in out.splitlines() if l.startswith("FAIL")), out.strip().splitlines()[-1])
            if rc == 1:
                passed += 1
                print("ok: mutation %r caught: %s" % (desc, first))
            else:
                failed += 1
                print("FAIL: mutation %r not caught (rc %d)" % (desc, rc))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
