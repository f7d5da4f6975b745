// SPDX-License-Identifier: LGPL-2.1-or-later
//! Strings across the boundary: Rust names into C (where an interior NUL
//! would silently cut the name short) and C's strings and fixed arrays
//! back into Rust.
use std::borrow::Cow;
use std::ffi::{CStr, CString};

use libc::c_char;

use crate::error::{Error, Result};

/// A device name for the library.  An interior NUL is -EINVAL, the error
/// the library gives for a name it cannot take (empty, 64 bytes or more),
/// rather than a shorter name that might exist.
pub(crate) fn c_name(name: &str) -> Result<CString> {
    CString::new(name).map_err(|_| Error::from_errno(-libc::EINVAL))
}

/// A string the library returned, or None for NULL; borrowed for as long
/// as the object it comes from, as the C API says.  Device and driver
/// names are ASCII in practice: lossy only so that odd bytes can never
/// panic.
///
/// # Safety
/// p is NULL or a NUL-terminated string valid for 'a.
pub(crate) unsafe fn borrowed<'a>(p: *const c_char) -> Option<Cow<'a, str>> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_string_lossy())
    }
}

/// A fixed char array of the library's structures; "" (the library's
/// "none") becomes None.  Reads up to the first NUL, or the whole array
/// if it has none, never past it.
pub(crate) fn fixed(a: &[c_char]) -> Option<String> {
    let bytes: Vec<u8> = a.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    if bytes.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interior_nul_is_einval() {
        assert_eq!(c_name("0000:01:00.0\0x").unwrap_err().errno(), -libc::EINVAL);
        assert_eq!(c_name("0000:01:00.0").unwrap().as_bytes(), b"0000:01:00.0");
    }

    #[test]
    fn fixed_arrays() {
        let mut a = [0 as c_char; 8];
        assert_eq!(fixed(&a), None);
        for (i, b) in b"vfio0".iter().enumerate() {
            a[i] = *b as c_char;
        }
        assert_eq!(fixed(&a).as_deref(), Some("vfio0"));
        // No terminator: the whole array, not a byte more.
        let full = [b'x' as c_char; 4];
        assert_eq!(fixed(&full).as_deref(), Some("xxxx"));
    }

    #[test]
    fn borrowed_null_is_none() {
        // SAFETY: NULL and a static C string.
        unsafe {
            assert!(borrowed(std::ptr::null()).is_none());
            assert_eq!(borrowed(b"e1000e\0".as_ptr() as *const c_char).as_deref(), Some("e1000e"));
        }
    }
}
