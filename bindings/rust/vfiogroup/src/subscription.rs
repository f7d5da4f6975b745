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
        // try_with: a subscription kept in a thread-local may be dropped
        // after RUNNING at thread exit, when no callback runs here.
        let deferred = RUNNING
            .try_with(|r| {
                let r = r.borrow();
                match r.iter().find(|(s, _)| *s == self.slot) {
                    Some((_, dropped)) => {
                        dropped.set(true);
                        true
                    }
                    None => false,
                }
            })
            .unwrap_or(false);
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

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").field("sub", &self.sub).finish()
    }
}

// The trampoline as the library calls it (the library's own delivery needs
// the module or its unexported fake kernel): a real subscription of a
// context without the module, whose callback the library will never call,
// so these calls are the only ones.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, CtxFlags, EventMask};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};


    fn deliver(sub: *mut sys::vfiogroup_sub, slot: *mut Slot) {
        let ev = crate::event::test_notice();
        // SAFETY: a live subscription's own slot and a valid event.
        unsafe { trampoline(sub, &ev, slot as *mut c_void) };
    }

    // Sets its flag when the closure that owns it is freed.
    struct Freed(Arc<AtomicBool>);
    impl Drop for Freed {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_its_own_subscription_frees_the_closure_after_it_returns() {
        let ctx = Context::new(CtxFlags::WAIT_MODULE).unwrap();
        let own: Arc<Mutex<Option<Subscription>>> = Arc::new(Mutex::new(None));
        let freed = Arc::new(AtomicBool::new(false));
        let (o, f, flag) = (own.clone(), freed.clone(), Freed(freed.clone()));
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let sub = ctx
            .subscribe(None, EventMask::ALL, move |ev| {
                let _owned = &flag;
                assert!(ev.kind().is_notice());
                c.fetch_add(1, Ordering::SeqCst);
                drop(o.lock().unwrap().take());
                // Still running: the closure (and `flag`) must be alive.
                assert!(!f.load(Ordering::SeqCst));
            })
            .unwrap();
        let (raw, slot) = (sub.sub.as_ptr(), sub.slot);
        *own.lock().unwrap() = Some(sub);
        deliver(raw, slot);
        resume_callback_panic();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(freed.load(Ordering::SeqCst), "freed once the callback returned");
        assert!(own.lock().unwrap().is_none());
        RUNNING.with(|r| assert!(r.borrow().is_empty()));
    }

    #[test]
    fn a_callbacks_panic_is_resumed_after_the_library_returns() {
        let ctx = Context::new(CtxFlags::WAIT_MODULE).unwrap();
        let sub = ctx
            .subscribe(None, EventMask::ALL, |_| panic!("callback panicked"))
            .unwrap();
        deliver(sub.sub.as_ptr(), sub.slot);
        // The trampoline returned normally (no unwinding through C) ...
        let caught = panic::catch_unwind(resume_callback_panic).unwrap_err();
        // ... and the panic comes out here, with its message.
        assert_eq!(caught.downcast_ref::<&str>(), Some(&"callback panicked"));
        resume_callback_panic(); // nothing left
        drop(sub);
    }

    #[test]
    fn dropping_another_subscription_inside_a_callback_frees_it_at_once() {
        let ctx = Context::new(CtxFlags::WAIT_MODULE).unwrap();
        let freed = Arc::new(AtomicBool::new(false));
        let flag = Freed(freed.clone());
        let victim = ctx
            .subscribe(None, EventMask::ALL, move |_| {
                let _owned = &flag;
            })
            .unwrap();
        let victim = Arc::new(Mutex::new(Some(victim)));
        let (v, f) = (victim.clone(), freed.clone());
        let sub = ctx
            .subscribe(None, EventMask::ALL, move |_| {
                drop(v.lock().unwrap().take());
                assert!(f.load(Ordering::SeqCst), "not running: freed by drop");
            })
            .unwrap();
        deliver(sub.sub.as_ptr(), sub.slot);
        resume_callback_panic();
        assert!(freed.load(Ordering::SeqCst));
        assert!(victim.lock().unwrap().is_none());
    }
}
