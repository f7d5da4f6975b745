// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Where libvfiogroup.so is.  VFIOGROUP_LIB_DIR first, so that the crate can
// be built and tested against a build tree (<builddir>/libvfiogroup/.libs)
// without installing anything; else pkg-config's libvfiogroup.pc, which an
// installed library (or PKG_CONFIG_PATH=<builddir>/libvfiogroup) provides;
// else the linker's default paths.  pkg-config is run as a command rather
// than through a crate so that the only dependency stays libc.
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=VFIOGROUP_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-changed=build.rs");

    if let Some(dir) = env::var_os("VFIOGROUP_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir.to_string_lossy());
    } else if let Some(dirs) = pkg_config_lib_dirs() {
        for d in dirs {
            println!("cargo:rustc-link-search=native={}", d);
        }
    }
    println!("cargo:rustc-link-lib=dylib=vfiogroup");
}

// The -L directories of `pkg-config --libs libvfiogroup`, or None when
// pkg-config or the .pc file is missing (the default paths may still do).
fn pkg_config_lib_dirs() -> Option<Vec<String>> {
    let out = Command::new("pkg-config")
        .args(["--libs-only-L", "libvfiogroup"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(
        text.split_whitespace()
            .filter_map(|w| w.strip_prefix("-L").map(str::to_owned))
            .collect(),
    )
}
