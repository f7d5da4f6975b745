// SPDX-License-Identifier: LGPL-2.1-or-later
//! Plain-data answers: readiness, module info, statistics.  Owned Rust
//! copies of the C structures, so they outlive the call and cross threads.
use vfiogroup_sys as sys;

use crate::text::fixed;

/// What keeps a group (or device) from being opened by a VMM now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotReady {
    /// Ready.
    None,
    /// A device of the group is bound to a host driver (device, driver).
    NotViable,
    /// No device of the group (group form), or not this device (device
    /// form), is registered with VFIO.
    NoVfio,
    /// Another user holds the group (a VFIO container, iommufd).
    InUse,
    /// A reason this crate does not know (a newer library).
    Other(i32),
}

impl From<i32> for NotReady {
    fn from(v: i32) -> NotReady {
        match v {
            sys::VFIOGROUP_NR_NONE => NotReady::None,
            sys::VFIOGROUP_NR_NOT_VIABLE => NotReady::NotViable,
            sys::VFIOGROUP_NR_NO_VFIO => NotReady::NoVfio,
            sys::VFIOGROUP_NR_IN_USE => NotReady::InUse,
            v => NotReady::Other(v),
        }
    }
}

/// vfiogroup_readiness(): can a VMM open the group (or device) now, and
/// if not, what is in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub ready: bool,
    pub reason: NotReady,
    /// Some(true) another user holds the group; None when not known
    /// (kernels up to 5.18, or a NONBLOCK_QUERIES context).
    pub in_use: Option<bool>,
    pub group_id: u32,
    /// The device in the way, and its driver.
    pub device: Option<String>,
    pub driver: Option<String>,
    /// "/dev/vfio/N" while it exists.
    pub node: Option<String>,
    /// Device form: its "vfioX".
    pub vfio_dev: Option<String>,
}

impl From<&sys::vfiogroup_readiness> for Readiness {
    fn from(r: &sys::vfiogroup_readiness) -> Readiness {
        Readiness {
            ready: r.ready == 1,
            reason: NotReady::from(r.reason),
            in_use: match r.in_use {
                1 => Some(true),
                0 => Some(false),
                _ => None,
            },
            group_id: r.group_id,
            device: fixed(&r.device),
            driver: fixed(&r.driver),
            node: fixed(&r.node),
            vfio_dev: fixed(&r.vfio_dev),
        }
    }
}

pub(crate) fn zeroed_readiness() -> sys::vfiogroup_readiness {
    // SAFETY: a plain C structure of integers and char arrays, for
    // which all zeroes is the "nothing known" value.
    unsafe { std::mem::zeroed() }
}

/// vfiogroup_info(): module-wide state, asked of the kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Info {
    /// Newest event's sequence number.
    pub seq: u64,
    /// Events the module failed to send.
    pub dropped: u64,
    /// enum vfiogroup_notifier of the uapi header.
    pub notifier: u32,
    /// Groups tracked.
    pub groups: u32,
    /// Module version, None if not reported.
    pub version: Option<String>,
}

impl From<&sys::vfiogroup_info> for Info {
    fn from(i: &sys::vfiogroup_info) -> Info {
        Info {
            seq: i.seq,
            dropped: i.dropped,
            notifier: i.notifier,
            groups: i.groups,
            version: fixed(&i.version),
        }
    }
}

/// vfiogroup_stats(): the context's counters (see include/vfiogroup.h for
/// each one's meaning).
pub type Stats = sys::vfiogroup_stats;

#[cfg(test)]
mod tests {
    use super::*;

    fn put(dst: &mut [libc::c_char], s: &str) {
        for (d, b) in dst.iter_mut().zip(s.bytes()) {
            *d = b as libc::c_char;
        }
    }

    #[test]
    fn readiness_conversion() {
        let mut r = zeroed_readiness();
        r.reason = sys::VFIOGROUP_NR_NOT_VIABLE;
        r.in_use = -1;
        r.group_id = 7;
        put(&mut r.device, "0000:01:00.1");
        put(&mut r.driver, "snd_hda_intel");
        let got = Readiness::from(&r);
        assert!(!got.ready);
        assert_eq!(got.reason, NotReady::NotViable);
        assert_eq!(got.in_use, None);
        assert_eq!(got.group_id, 7);
        assert_eq!(got.device.as_deref(), Some("0000:01:00.1"));
        assert_eq!(got.driver.as_deref(), Some("snd_hda_intel"));
        assert_eq!(got.node, None);
        assert_eq!(got.vfio_dev, None);

        r.ready = 1;
        r.reason = sys::VFIOGROUP_NR_NONE;
        r.in_use = 0;
        put(&mut r.node, "/dev/vfio/7");
        let got = Readiness::from(&r);
        assert!(got.ready);
        assert_eq!(got.reason, NotReady::None);
        assert_eq!(got.in_use, Some(false));
        assert_eq!(got.node.as_deref(), Some("/dev/vfio/7"));
    }

    #[test]
    fn reasons() {
        assert_eq!(NotReady::from(sys::VFIOGROUP_NR_NO_VFIO), NotReady::NoVfio);
        assert_eq!(NotReady::from(sys::VFIOGROUP_NR_IN_USE), NotReady::InUse);
        assert_eq!(NotReady::from(42), NotReady::Other(42));
    }
}
