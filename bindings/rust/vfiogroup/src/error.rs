// SPDX-License-Identifier: LGPL-2.1-or-later
//! Errors: libvfiogroup's negative errno, its description, and the
//! context's explanation when there is one.
use std::ffi::CStr;
use std::fmt;

use libc::c_char;
use vfiogroup_sys as sys;

/// A failure of a libvfiogroup call.
///
/// `errno()` is the library's return value (a negative errno, as in C), so
/// that callers can match the conditions the C documentation lists
/// (`-libc::ENOENT`: module not loaded, `-libc::ETIMEDOUT`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    detail: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The error for a negative return value of the library.  A
    /// non-negative value is not an error and is taken as `-EINVAL`: a
    /// bug of this crate, never worth a panic in a VMM.
    pub fn from_errno(errno: i32) -> Error {
        Error {
            errno: if errno < 0 { errno } else { -libc::EINVAL },
            detail: None,
        }
    }

    /// The same, with the context's explanation (vfiogroup_ctx_error()),
    /// which names the cause and the cure ("try 'modprobe vfiogroup'").
    /// Only for Context::new(), where the context is still private to the
    /// call: later, the text is the context's most recent failure, maybe
    /// an older call's or another thread's (Context::last_error() gives it
    /// on request), so errors of other calls carry the errno alone, as
    /// the CLI prints them.
    pub(crate) fn with_ctx(errno: i32, ctx: *const sys::vfiogroup_ctx) -> Error {
        let mut e = Error::from_errno(errno);
        let text = context_error(ctx);
        if !text.is_empty() {
            e.detail = Some(text);
        }
        e
    }

    /// The negative errno the library returned.
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// vfiogroup_strerror(): the library's static description of errno.
    pub fn description(&self) -> &'static str {
        strerror(self.errno)
    }

    /// The context's explanation, when the failing call left one.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The thing asked about does not exist (-ENOENT), which for
    /// Context::new() means the module is not loaded.
    pub fn is_not_found(&self) -> bool {
        self.errno == -libc::ENOENT
    }

    /// A timed wait ran out (-ETIMEDOUT).
    pub fn is_timeout(&self) -> bool {
        self.errno == -libc::ETIMEDOUT
    }

    /// A context made with CtxFlags::NONBLOCK_QUERIES would have had to
    /// ask the kernel (-EAGAIN): subscribe to what you ask about.
    pub fn is_would_block(&self) -> bool {
        self.errno == -libc::EAGAIN
    }

    /// The answer needs the module, which is away (-ENOTCONN).
    pub fn is_disconnected(&self) -> bool {
        self.errno == -libc::ENOTCONN
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(d) => f.write_str(d),
            None => f.write_str(self.description()),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    /// For callers that speak io::Error: the OS error of the same errno.
    fn from(e: Error) -> std::io::Error {
        std::io::Error::from_raw_os_error(-e.errno)
    }
}

pub(crate) fn strerror(errno: i32) -> &'static str {
    // SAFETY: vfiogroup_strerror() returns a static NUL-terminated string
    // for any int.  Its descriptions are ASCII; anything else would be a
    // library bug, shown as a generic text rather than a panic.
    unsafe { CStr::from_ptr(sys::vfiogroup_strerror(errno)) }
        .to_str()
        .unwrap_or("unknown error")
}

// The copying accessor, not vfiogroup_ctx_last_error(): the context is
// shared between threads (it is Sync), and another thread's failure may
// rewrite the last_error text while it is being read.
pub(crate) fn context_error(ctx: *const sys::vfiogroup_ctx) -> String {
    let mut buf = [0 as c_char; 512];
    // SAFETY: ctx is a live context or NULL (both accepted), buf is
    // writable for its length and comes back NUL-terminated.
    let n = unsafe { sys::vfiogroup_ctx_error(ctx, buf.as_mut_ptr(), buf.len()) };
    if n <= 0 {
        return String::new();
    }
    // SAFETY: NUL-terminated within buf by vfiogroup_ctx_error().
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
