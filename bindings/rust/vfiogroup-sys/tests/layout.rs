// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The structures Rust allocates for the library to fill, and the event it
// reads, against the C compiler's view of include/vfiogroup.h: a field
// added, moved or resized on one side only fails here instead of
// corrupting memory.  Needs a C compiler ($CC, default cc), as building
// libvfiogroup does.
use std::mem::{size_of, MaybeUninit};
use std::process::Command;
use vfiogroup_sys::*;

macro_rules! offset {
    ($t:ty, $f:ident) => {{
        let u = MaybeUninit::<$t>::uninit();
        let base = u.as_ptr();
        // SAFETY: only the address of the field is taken, never read.
        let field = unsafe { std::ptr::addr_of!((*base).$f) };
        field as usize - base as usize
    }};
}

fn c_layout() -> String {
    let include = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../include");
    let dir = std::env::temp_dir().join(format!("vfiogroup-sys-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(
        &src,
        r#"#include <stddef.h>
#include <stdio.h>
#include "vfiogroup.h"
#define S(t) printf(#t " %zu\n", sizeof(struct t))
#define O(t, f) printf(#t "." #f " %zu\n", offsetof(struct t, f))
int main(void)
{
	S(vfiogroup_readiness); O(vfiogroup_readiness, group_id);
	O(vfiogroup_readiness, device); O(vfiogroup_readiness, driver);
	O(vfiogroup_readiness, node); O(vfiogroup_readiness, vfio_dev);
	S(vfiogroup_info); O(vfiogroup_info, groups); O(vfiogroup_info, version);
	S(vfiogroup_stats); O(vfiogroup_stats, drained);
	O(vfiogroup_ev, seq); O(vfiogroup_ev, time_ns); O(vfiogroup_ev, dev_name);
	O(vfiogroup_ev, driver); O(vfiogroup_ev, group);
	return 0;
}
"#,
    )
    .unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(&cc)
        .arg("-I")
        .arg(include)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .unwrap_or_else(|e| panic!("{}: {} (a C compiler is needed)", cc, e));
    assert!(st.success(), "{} failed on the layout program", cc);
    let out = Command::new(&exe).output().unwrap();
    std::fs::remove_dir_all(&dir).ok();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn structures_match_the_c_header() {
    let rust = [
        ("vfiogroup_readiness", size_of::<vfiogroup_readiness>()),
        ("vfiogroup_readiness.group_id", offset!(vfiogroup_readiness, group_id)),
        ("vfiogroup_readiness.device", offset!(vfiogroup_readiness, device)),
        ("vfiogroup_readiness.driver", offset!(vfiogroup_readiness, driver)),
        ("vfiogroup_readiness.node", offset!(vfiogroup_readiness, node)),
        ("vfiogroup_readiness.vfio_dev", offset!(vfiogroup_readiness, vfio_dev)),
        ("vfiogroup_info", size_of::<vfiogroup_info>()),
        ("vfiogroup_info.groups", offset!(vfiogroup_info, groups)),
        ("vfiogroup_info.version", offset!(vfiogroup_info, version)),
        ("vfiogroup_stats", size_of::<vfiogroup_stats>()),
        ("vfiogroup_stats.drained", offset!(vfiogroup_stats, drained)),
        ("vfiogroup_ev.seq", offset!(vfiogroup_ev, seq)),
        ("vfiogroup_ev.time_ns", offset!(vfiogroup_ev, time_ns)),
        ("vfiogroup_ev.dev_name", offset!(vfiogroup_ev, dev_name)),
        ("vfiogroup_ev.driver", offset!(vfiogroup_ev, driver)),
        ("vfiogroup_ev.group", offset!(vfiogroup_ev, group)),
    ];
    let expected: String = rust.iter().map(|(n, v)| format!("{} {}\n", n, v)).collect();
    assert_eq!(c_layout(), expected);
}

#[test]
fn version_is_the_crates() {
    // SAFETY: a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(vfiogroup_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}
