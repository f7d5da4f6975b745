// SPDX-License-Identifier: LGPL-2.1-or-later
//! Blocking waits for viability or readiness (vfiogroup_wait_group() and
//! vfiogroup_wait_device()), for launchers that have nothing else to do
//! meanwhile.  An event loop subscribes and dispatches instead.
use std::time::Duration;

use libc::{c_int, c_uint};
use vfiogroup_sys as sys;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::readiness::{zeroed_readiness, Readiness};
use crate::subscription::resume_callback_panic;
use crate::text::c_name;

/// What to wait for (enum vfiogroup_wait_flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitFlags(c_uint);

impl WaitFlags {
    /// Viable only.
    pub const VIABLE: WaitFlags = WaitFlags(0);
    /// Ready: viable, registered with VFIO, not held by another user.
    pub const READY: WaitFlags = WaitFlags(sys::VFIOGROUP_WAIT_READY);
    /// A group or device absent at the start, or removed while waited
    /// for, ends the wait (WaitOutcome::Gone) instead of being waited for.
    pub const GONE: WaitFlags = WaitFlags(sys::VFIOGROUP_WAIT_GONE);

    pub fn bits(self) -> c_uint {
        self.0
    }

    fn ready(self) -> bool {
        self.0 & sys::VFIOGROUP_WAIT_READY != 0
    }
}

impl std::ops::BitOr for WaitFlags {
    type Output = WaitFlags;
    fn bitor(self, o: WaitFlags) -> WaitFlags {
        WaitFlags(self.0 | o.0)
    }
}

/// How a wait ended, but for errors.  The readiness is the library's last
/// answer, for READY waits (None for viability waits): on a timeout it
/// says what is still in the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    Reached(Option<Readiness>),
    TimedOut(Option<Readiness>),
    /// Absent or removed (only with WaitFlags::GONE).
    Gone,
}

/// None: forever (-1).  Rounded up to whole milliseconds, so that a short
/// non-zero timeout never becomes a mere poll, and clamped to INT_MAX ms
/// (24 days) rather than wrapping to a negative "forever".
pub(crate) fn timeout_ms(t: Option<Duration>) -> c_int {
    match t {
        None => -1,
        Some(d) => {
            let ms = d.as_nanos().saturating_add(999_999) / 1_000_000;
            ms.min(c_int::MAX as u128) as c_int
        }
    }
}

impl Context {
    /// Block until group id is viable (or ready, with WaitFlags::READY),
    /// running dispatch() (so this context's callbacks) meanwhile.  A group
    /// not there yet is waited for, and so is the module, unless GONE.
    pub fn wait_group(&self, id: u32, flags: WaitFlags, timeout: Option<Duration>) -> Result<WaitOutcome> {
        let mut out = zeroed_readiness();
        let size = std::mem::size_of_val(&out);
        // SAFETY: live context, out writable for size bytes.
        let r = unsafe {
            sys::vfiogroup_wait_group(self.raw(), id, flags.0, timeout_ms(timeout), &mut out, size)
        };
        resume_callback_panic();
        self.outcome(r, flags, &out)
    }

    /// The same for one device ("0000:01:00.0"), followed across groups.
    pub fn wait_device(&self, dev: &str, flags: WaitFlags, timeout: Option<Duration>) -> Result<WaitOutcome> {
        let name = c_name(dev)?;
        let mut out = zeroed_readiness();
        let size = std::mem::size_of_val(&out);
        // SAFETY: as above; name is NUL-terminated.
        let r = unsafe {
            sys::vfiogroup_wait_device(self.raw(), name.as_ptr(), flags.0, timeout_ms(timeout), &mut out, size)
        };
        resume_callback_panic();
        self.outcome(r, flags, &out)
    }

    fn outcome(&self, r: c_int, flags: WaitFlags, out: &sys::vfiogroup_readiness) -> Result<WaitOutcome> {
        let last = if flags.ready() { Some(Readiness::from(out)) } else { None };
        match r {
            0 => Ok(WaitOutcome::Reached(last)),
            r if r == -libc::ETIMEDOUT => Ok(WaitOutcome::TimedOut(last)),
            r if r == -libc::ENODEV && flags.0 & sys::VFIOGROUP_WAIT_GONE != 0 => Ok(WaitOutcome::Gone),
            r => Err(Error::from_errno(r)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1500))), 1500);
        assert_eq!(timeout_ms(Some(Duration::from_secs(u64::MAX))), c_int::MAX);
    }

    #[test]
    fn flags() {
        let f = WaitFlags::READY | WaitFlags::GONE;
        assert_eq!(f.bits(), sys::VFIOGROUP_WAIT_READY | sys::VFIOGROUP_WAIT_GONE);
        assert!(f.ready() && !WaitFlags::VIABLE.ready());
    }
}
