// SPDX-License-Identifier: LGPL-2.1-or-later
//! Subscriptions: a Rust closure behind the C callback, freed only when
//! the C library guarantees it will not run again.
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;

use libc::c_void;
use vfiogroup_sys as sys;

use crate::event::Event;

/// What the C callback's userdata points to.
pub(crate) type Callback = Box<dyn FnMut(&Event<'_>) + Send + 'static>;

struct Slot {
    cb: Callback,
}

/// Dropping it unsubscribes, and once drop returns the callback is not
/// running and never runs again: vfiogroup_unsubscribe()'s guarantee.
///
/// That is why the callback must be `'static`: a subscription could be
/// leaked (`mem::forget`), and a callback borrowing from the stack would
/// then keep running after its borrow ended.  It must be `Send` because
/// it runs in whichever thread dispatches the context.  It may drop any
/// subscription, its own included (the closure is then freed after it
/// returns), may query and subscribe, but must not wait for a thread that
/// is dropping its subscription (that thread waits for the callback).
#[must_use = "dropping a Subscription unsubscribes at once"]
pub struct Subscription {
    sub: NonNull<sys::vfiogroup_sub>,
    slot: *mut Slot,
}

// SAFETY: vfiogroup_unsubscribe() may be called from any thread, and the
// closure it owns is Send.  &Subscription gives access to nothing.
unsafe impl Send for Subscription {}
unsafe impl Sync for Subscription {}

thread_local! {
    // The slots whose callbacks run on this thread, innermost last, each
    // with "its subscription was dropped meanwhile": a callback dropping
    // its own subscription must not free the closure it is running in.
    static RUNNING: RefCell<Vec<(*mut Slot, Cell<bool>)>> = RefCell::new(Vec::new());
    // A callback's panic, carried across the C frames (unwinding through
    // them is undefined) and resumed when the library call that ran the
    // callback returns.
    static PANIC: RefCell<Option<Box<dyn Any + Send>>> = RefCell::new(None);
}

impl Subscription {
    /// Boxes the closure and gives the C function its trampoline and
    /// userdata; `subscribe` is the vfiogroup_subscribe*() call.
    pub(crate) fn new<S>(cb: Callback, subscribe: S) -> Result<Subscription, i32>
    where
        S: FnOnce(sys::vfiogroup_cb, *mut c_void, *mut *mut sys::vfiogroup_sub) -> i32,
    {
        let slot = Box::into_raw(Box::new(Slot { cb }));
        let mut sub = std::ptr::null_mut();
        let r = subscribe(Some(trampoline), slot as *mut c_void, &mut sub);
        match NonNull::new(sub) {
            Some(sub) if r >= 0 => Ok(Subscription { sub, slot }),
            _ => {
                // SAFETY: the library refused it, so it never saw slot.
                drop(unsafe { Box::from_raw(slot) });
                Err(if r < 0 { r } else { -libc::EINVAL })
            }
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // SAFETY: called exactly once for this subscription (here), as
        // the C API requires.  Once it returns, the callback never
        // starts again and is not running in another thread.
        unsafe { sys::vfiogroup_unsubscribe(self.sub.as_ptr()) };
        // It may still be running in this thread, further up the stack:
        // then the trampoline frees the slot when it returns.
        let deferred = RUNNING.with(|r| {
            let r = r.borrow();
            match r.iter().find(|(s, _)| *s == self.slot) {
                Some((_, dropped)) => {
                    dropped.set(true);
                    true
                }
                None => false,
            }
        });
        if !deferred {
            // SAFETY: no call of the callback can happen any more.
            drop(unsafe { Box::from_raw(self.slot) });
        }
    }
}

/// The C callback of every subscription.  Exposed to the crate's tests,
/// which call it as the library would.
pub(crate) unsafe extern "C" fn trampoline(
    _sub: *mut sys::vfiogroup_sub,
    ev: *const sys::vfiogroup_ev,
    userdata: *mut c_void,
) {
    let slot = userdata as *mut Slot;
    RUNNING.with(|r| r.borrow_mut().push((slot, Cell::new(false))));
    // SAFETY: the library calls one subscription's callback from one
    // dispatching thread at a time, and the slot lives until the
    // subscription is dropped and this call has returned, so this is
    // the only reference; ev is valid during the call.
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let event = Event::from_raw(&*ev);
        ((*slot).cb)(&event)
    }));
    let dropped = RUNNING.with(|r| r.borrow_mut().pop().map(|(_, d)| d.get()));
    if dropped == Some(true) {
        // SAFETY: dropped during its own call: unsubscribed, and this
        // was the last call.
        drop(Box::from_raw(slot));
    }
    if let Err(payload) = result {
        // The first panic wins; later callbacks of the same dispatch run
        // as the library intends.
        PANIC.with(|p| {
            p.borrow_mut().get_or_insert(payload);
        });
    }
}

/// After a library call that may run callbacks: resume a callback's
/// panic in the caller's thread, now that no C frame is in between.
pub(crate) fn resume_callback_panic() {
    if let Some(payload) = PANIC.with(|p| p.borrow_mut().take()) {
        panic::resume_unwind(payload);
    }
}
