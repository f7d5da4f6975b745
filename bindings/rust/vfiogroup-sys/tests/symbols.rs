// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The hand-written declarations against the library's symbol map: a
// symbol added to libvfiogroup.sym and forgotten here, or a declaration of
// something the library does not export, fails this test.
use std::collections::BTreeSet;

const SYM_MAP: &str = include_str!("../../../../libvfiogroup/libvfiogroup.sym");
const DECLS: &str = include_str!("../src/lib.rs");
// Exported but not declared, each for the reason given in src/lib.rs.
const NOT_DECLARED: &[&str] = &["vfiogroup_set_log_fn"];

fn exported() -> BTreeSet<&'static str> {
    SYM_MAP
        .lines()
        .map(|l| l.trim())
        .filter_map(|l| l.strip_suffix(';'))
        .filter(|s| s.starts_with("vfiogroup_"))
        .collect()
}

fn declared() -> BTreeSet<&'static str> {
    DECLS
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub fn "))
        .filter_map(|l| l.split('(').next())
        .filter(|s| s.starts_with("vfiogroup_") && *s != "vfiogroup_evmask")
        .collect()
}

#[test]
fn every_exported_symbol_is_declared() {
    let declared = declared();
    let missing: Vec<_> = exported()
        .into_iter()
        .filter(|s| !declared.contains(s) && !NOT_DECLARED.contains(s))
        .collect();
    assert!(missing.is_empty(), "not declared: {:?}", missing);
}

#[test]
fn every_declaration_is_exported() {
    let exported = exported();
    assert!(exported.len() > 40, "symbol map not parsed: {:?}", exported);
    let unknown: Vec<_> = declared()
        .into_iter()
        .filter(|s| !exported.contains(s))
        .collect();
    assert!(unknown.is_empty(), "not exported: {:?}", unknown);
}
