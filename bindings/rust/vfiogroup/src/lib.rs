// SPDX-License-Identifier: LGPL-2.1-or-later
//! Follow IOMMU groups (devices coming and going, drivers binding and
//! unbinding, VFIO viability and readiness) through libvfiogroup and the
//! vfiogroup kernel module, without an async runtime: a synchronous API
//! and a file descriptor to poll in any event loop.
//!
//! A safe wrapper over the C library (crate `vfiogroup-sys`), so that it
//! keeps the library's tested guarantees: list-then-watch with no gap,
//! losses detected and resynchronised with synthesized events, no callback
//! after a subscription is dropped.  See README.md.
//!
//! ```no_run
//! use std::time::Duration;
//! use vfiogroup::{Context, CtxFlags, WaitFlags, WaitOutcome};
//!
//! let ctx = Context::new(CtxFlags::NONE)?;
//! match ctx.wait_device("0000:01:00.0", WaitFlags::READY | WaitFlags::GONE,
//!                       Some(Duration::from_secs(30)))? {
//!     WaitOutcome::Reached(r) => println!("open {:?}", r.and_then(|r| r.node)),
//!     WaitOutcome::TimedOut(r) => eprintln!("still in the way: {:?}", r),
//!     WaitOutcome::Gone => eprintln!("no such device"),
//! }
//! # Ok::<(), vfiogroup::Error>(())
//! ```
mod context;
mod error;
mod event;
mod group;
mod readiness;
mod subscription;
mod text;
mod wait;

pub use context::{Context, CtxFlags};
pub use error::{Error, Result};
pub use event::{Event, EventKind, EventMask};
pub use group::{Device, Group};
pub use readiness::{Info, NotReady, Readiness, Stats};
pub use subscription::Subscription;
pub use wait::{WaitFlags, WaitOutcome};

/// The version of the libvfiogroup in use, "MAJOR.MINOR.PATCH".
pub fn library_version() -> &'static str {
    // SAFETY: a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(vfiogroup_sys::vfiogroup_version()) }
        .to_str()
        .unwrap_or("")
}
