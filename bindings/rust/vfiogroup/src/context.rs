// SPDX-License-Identifier: LGPL-2.1-or-later
//! The context: one connection to the kernel family and its group cache.
use std::os::unix::io::{AsRawFd, RawFd};
use std::ptr::NonNull;

use libc::c_uint;
use vfiogroup_sys as sys;

use crate::error::{context_error, Error, Result};
use crate::event::{Event, EventMask};
use crate::group::Group;
use crate::readiness::{zeroed_readiness, Info, Readiness, Stats};
use crate::subscription::{resume_callback_panic, Subscription};
use crate::text::c_name;

/// Options of Context::new (enum vfiogroup_ctx_flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CtxFlags(c_uint);

impl CtxFlags {
    pub const NONE: CtxFlags = CtxFlags(0);
    /// Module not loaded: succeed with a disconnected context that
    /// connects (a Reconnected notice) when the module appears.
    pub const WAIT_MODULE: CtxFlags = CtxFlags(sys::VFIOGROUP_CTX_WAIT_MODULE);
    /// Receive every event: no kernel-side socket filter.
    pub const NO_KERNEL_FILTER: CtxFlags = CtxFlags(sys::VFIOGROUP_CTX_NO_KERNEL_FILTER);
    /// For event loops: a query the cache cannot answer fails with
    /// -EAGAIN instead of asking the kernel.
    pub const NONBLOCK_QUERIES: CtxFlags = CtxFlags(sys::VFIOGROUP_CTX_NONBLOCK_QUERIES);

    pub fn bits(self) -> c_uint {
        self.0
    }
}

impl std::ops::BitOr for CtxFlags {
    type Output = CtxFlags;
    fn bitor(self, o: CtxFlags) -> CtxFlags {
        CtxFlags(self.0 | o.0)
    }
}

/// A libvfiogroup context (a reference on it).  Clone takes another
/// reference on the same context; the last drop closes it.  Every
/// Subscription holds its own reference, so a subscription may outlive
/// the Context value it came from.
pub struct Context {
    raw: NonNull<sys::vfiogroup_ctx>,
}

// SAFETY: "every function is thread-safe on the same context"
// (include/vfiogroup.h), with two exceptions this type keeps: dispatching
// from inside a callback returns -EDEADLK (an error, not a hazard), and
// unsubscribing once per subscription is Subscription's Drop.  The one
// accessor that is not safe against other threads, vfiogroup_ctx_last_error(),
// is not used (errors copy the text with vfiogroup_ctx_error()).
unsafe impl Send for Context {}
unsafe impl Sync for Context {}

impl Context {
    /// Connect: resolve the family, join its events, load the cache
    /// (list-then-watch).  Without the module: Err with errno -ENOENT and
    /// the library's explanation ("... try 'modprobe vfiogroup'"), unless
    /// `CtxFlags::WAIT_MODULE`.
    pub fn new(flags: CtxFlags) -> Result<Context> {
        let mut raw = std::ptr::null_mut();
        // SAFETY: raw receives a context (or NULL on -ENOMEM).
        let r = unsafe { sys::vfiogroup_ctx_new(&mut raw, flags.0) };
        if r < 0 {
            // On failure the context is good for its error text only.
            let e = Error::with_ctx(r, raw);
            // SAFETY: NULL or the one reference we were given.
            unsafe { sys::vfiogroup_ctx_unref(raw) };
            return Err(e);
        }
        match NonNull::new(raw) {
            Some(raw) => Ok(Context { raw }),
            None => Err(Error::from_errno(-libc::ENOMEM)),
        }
    }

    fn ptr(&self) -> *mut sys::vfiogroup_ctx {
        self.raw.as_ptr()
    }

    // A return value of the library: the value, or the error.
    fn check(&self, r: i32) -> Result<i32> {
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(r)
        }
    }

    /// The text of the context's most recent failure (connection, resync,
    /// query), "" if none: copied, so safe while other threads fail.
    pub fn last_error(&self) -> String {
        context_error(self.ptr())
    }

    /// true while the family is reachable, false after the module went
    /// away (or before it came, with WAIT_MODULE).
    pub fn connected(&self) -> bool {
        // SAFETY (every call below): self holds a reference on a live
        // context; pointers passed are valid for the call.
        unsafe { sys::vfiogroup_ctx_connected(self.ptr()) == 1 }
    }

    /// The descriptor to poll for POLLIN before calling dispatch().  It
    /// belongs to the context: do not close it.
    pub fn fd(&self) -> RawFd {
        unsafe { sys::vfiogroup_get_fd(self.ptr()) }
    }

    /// Read what is pending without blocking, update the cache, run the
    /// callbacks in this thread.  Returns the datagrams read (at most 256;
    /// call again while > 0 to drain).  From inside a callback: -EDEADLK.
    /// A callback's panic is resumed here, after the library returned.
    pub fn dispatch(&self) -> Result<usize> {
        let r = unsafe { sys::vfiogroup_dispatch(self.ptr()) };
        resume_callback_panic();
        self.check(r).map(|n| n as usize)
    }

    /// Group ids, ascending.
    pub fn group_ids(&self) -> Result<Vec<u32>> {
        let mut ids: *mut u32 = std::ptr::null_mut();
        let n = self.check(unsafe { sys::vfiogroup_group_ids(self.ptr(), &mut ids) })?;
        if ids.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: n ids in a malloc()ed array we must free().
        let v = unsafe { std::slice::from_raw_parts(ids, n as usize) }.to_vec();
        unsafe { libc::free(ids as *mut libc::c_void) };
        Ok(v)
    }

    /// One group; -ENOENT if it does not exist.
    pub fn group(&self, id: u32) -> Result<Group> {
        let mut g = std::ptr::null_mut();
        self.check(unsafe { sys::vfiogroup_get_group(self.ptr(), id, &mut g) })?;
        Self::owned_group(g)
    }

    /// The group holding a device ("0000:01:00.0"); -ENOENT if none.
    pub fn find_device(&self, dev: &str) -> Result<Group> {
        let name = c_name(dev)?;
        let mut g = std::ptr::null_mut();
        self.check(unsafe { sys::vfiogroup_find_device(self.ptr(), name.as_ptr(), &mut g) })?;
        Self::owned_group(g)
    }

    fn owned_group(g: *mut sys::vfiogroup_group) -> Result<Group> {
        // SAFETY: a reference the library handed to us on success.
        NonNull::new(g)
            .map(|g| unsafe { Group::from_owned(g) })
            .ok_or_else(|| Error::from_errno(-libc::ENOENT))
    }

    pub fn is_viable(&self, id: u32) -> Result<bool> {
        self.check(unsafe { sys::vfiogroup_is_viable(self.ptr(), id) })
            .map(|r| r == 1)
    }

    /// Whether a VMM can open group id now, and what is in the way.
    pub fn readiness(&self, id: u32) -> Result<Readiness> {
        let mut out = zeroed_readiness();
        let size = std::mem::size_of_val(&out);
        self.check(unsafe { sys::vfiogroup_readiness(self.ptr(), id, &mut out, size) })?;
        Ok(Readiness::from(&out))
    }

    /// The same for one device, which must itself be registered with VFIO.
    pub fn device_readiness(&self, dev: &str) -> Result<Readiness> {
        let name = c_name(dev)?;
        let mut out = zeroed_readiness();
        let size = std::mem::size_of_val(&out);
        self.check(unsafe {
            sys::vfiogroup_device_readiness(self.ptr(), name.as_ptr(), &mut out, size)
        })?;
        Ok(Readiness::from(&out))
    }

    pub fn is_ready(&self, id: u32) -> Result<bool> {
        self.check(unsafe { sys::vfiogroup_is_ready(self.ptr(), id) })
            .map(|r| r == 1)
    }

    pub fn device_is_ready(&self, dev: &str) -> Result<bool> {
        let name = c_name(dev)?;
        self.check(unsafe { sys::vfiogroup_device_is_ready(self.ptr(), name.as_ptr()) })
            .map(|r| r == 1)
    }

    /// Module-wide state, asked of the kernel (never cached).
    pub fn info(&self) -> Result<Info> {
        // SAFETY: plain integers and a char array; zero is valid.
        let mut out: sys::vfiogroup_info = unsafe { std::mem::zeroed() };
        self.check(unsafe { sys::vfiogroup_info(self.ptr(), &mut out) })?;
        Ok(Info::from(&out))
    }

    /// The context's counters.
    pub fn stats(&self) -> Result<Stats> {
        let mut out = Stats::default();
        let size = std::mem::size_of_val(&out);
        self.check(unsafe { sys::vfiogroup_stats(self.ptr(), &mut out, size) })?;
        Ok(out)
    }

    /// syslog priority up to which the library logs (to stderr when
    /// $VFIOGROUP_LOG was set at creation; there is no Rust log hook,
    /// see vfiogroup-sys).
    pub fn set_log_priority(&self, priority: i32) {
        unsafe { sys::vfiogroup_set_log_priority(self.ptr(), priority) }
    }

    pub fn log_priority(&self) -> i32 {
        unsafe { sys::vfiogroup_get_log_priority(self.ptr()) }
    }

    /// Call `cb` for every event of the given groups (None: every group)
    /// whose kind is in `mask`, from the thread that dispatches.  The
    /// groups it adds to the kernel filter are fetched before this
    /// returns, so the cache answers for them from then on.
    pub fn subscribe<F>(&self, groups: Option<&[u32]>, mask: EventMask, cb: F) -> Result<Subscription>
    where
        F: FnMut(&Event<'_>) + Send + 'static,
    {
        let filter = match groups {
            Some(ids) => Some(Filter::new(ids)?),
            None => None,
        };
        let fptr = filter.as_ref().map_or(std::ptr::null(), |f| f.raw as *const _);
        let r = Subscription::new(Box::new(cb), |tramp, data, out| unsafe {
            sys::vfiogroup_subscribe(self.ptr(), fptr, mask.bits(), tramp, data, out)
        });
        // The library copied the filter: it is freed here, on any path.
        drop(filter);
        r.map_err(Error::from_errno)
    }

    /// Follow one device across groups (hot-removal, rescan, new group
    /// id); a device not there yet is waited for.
    pub fn subscribe_device<F>(&self, dev: &str, mask: EventMask, cb: F) -> Result<Subscription>
    where
        F: FnMut(&Event<'_>) + Send + 'static,
    {
        let name = c_name(dev)?;
        Subscription::new(Box::new(cb), |tramp, data, out| unsafe {
            sys::vfiogroup_subscribe_device(self.ptr(), name.as_ptr(), mask.bits(), tramp, data, out)
        })
        .map_err(Error::from_errno)
    }

    pub(crate) fn raw(&self) -> *mut sys::vfiogroup_ctx {
        self.ptr()
    }
}

impl Clone for Context {
    fn clone(&self) -> Context {
        // SAFETY: self's reference keeps it live while we take another.
        unsafe { sys::vfiogroup_ctx_ref(self.ptr()) };
        Context { raw: self.raw }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: drops the one reference this value owns.
        unsafe { sys::vfiogroup_ctx_unref(self.ptr()) };
    }
}

impl AsRawFd for Context {
    fn as_raw_fd(&self) -> RawFd {
        self.fd()
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("fd", &self.fd())
            .field("connected", &self.connected())
            .finish()
    }
}

// A vfiogroup_filter for the duration of one subscribe call.
struct Filter {
    raw: *mut sys::vfiogroup_filter,
}

impl Filter {
    fn new(ids: &[u32]) -> Result<Filter> {
        let mut raw = std::ptr::null_mut();
        let r = unsafe { sys::vfiogroup_filter_new(&mut raw) };
        if r < 0 || raw.is_null() {
            return Err(Error::from_errno(if r < 0 { r } else { -libc::ENOMEM }));
        }
        let f = Filter { raw };
        for &id in ids {
            let r = unsafe { sys::vfiogroup_filter_add_group(f.raw, id) };
            if r < 0 {
                return Err(Error::from_errno(r));
            }
        }
        Ok(f)
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        // SAFETY: made by vfiogroup_filter_new(), freed once.
        unsafe { sys::vfiogroup_filter_free(self.raw) }
    }
}
