// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The real libvfiogroup, on a host without the vfiogroup module (this
// crate's tests never load it): what the C documentation promises then,
// through the safe API.  The library's fake kernel (tests/unit/fake.c) is
// not exported, so events are not covered here: see README.md.
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vfiogroup::{Context, CtxFlags, Error, EventMask, WaitFlags, WaitOutcome};

// With the module loaded these answers differ: say so rather than fail
// on a host that is set up for the VM tests' guests.
fn module_loaded() -> bool {
    let loaded = std::path::Path::new("/sys/module/vfiogroup").exists();
    if loaded {
        eprintln!("the vfiogroup module is loaded here: no-module checks skipped");
    }
    loaded
}

fn waiting_context() -> Context {
    Context::new(CtxFlags::WAIT_MODULE).expect("WAIT_MODULE succeeds without the module")
}

#[test]
fn new_without_module_is_enoent_with_the_explanation() {
    if module_loaded() {
        return;
    }
    let e = Context::new(CtxFlags::NONE).unwrap_err();
    assert_eq!(e.errno(), -libc::ENOENT);
    assert!(e.is_not_found());
    let text = e.to_string();
    assert!(text.contains("modprobe vfiogroup"), "{}", text);
    assert_eq!(e.detail(), Some(text.as_str()));
    assert_ne!(e.description(), text, "the context's text, not only strerror");
}

#[test]
fn waiting_context_without_module() {
    if module_loaded() {
        return;
    }
    let ctx = waiting_context();
    assert!(!ctx.connected());
    // A real descriptor, owned by the context: poll()able now.
    let fd = ctx.as_raw_fd();
    assert!(fd >= 0);
    assert!(unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0);
    assert_eq!(ctx.dispatch().unwrap(), 0);

    // Every answer needs the module: -ENOTCONN, never a panic.
    for e in [
        ctx.group_ids().unwrap_err(),
        ctx.group(1).unwrap_err(),
        ctx.find_device("0000:01:00.0").unwrap_err(),
        ctx.is_viable(1).unwrap_err(),
        ctx.is_ready(1).unwrap_err(),
        ctx.device_is_ready("0000:01:00.0").unwrap_err(),
        ctx.readiness(1).unwrap_err(),
        ctx.device_readiness("0000:01:00.0").unwrap_err(),
        ctx.info().unwrap_err(),
    ] {
        assert_eq!(e.errno(), -libc::ENOTCONN, "{}", e);
        assert!(e.is_disconnected());
        assert_eq!(e.to_string(), e.description(), "no stale detail");
    }
    // The connection's failure, kept by the context, on request.
    assert!(ctx.last_error().contains("modprobe vfiogroup"), "{}", ctx.last_error());
    let st = ctx.stats().unwrap();
    assert_eq!((st.messages, st.delivered), (0, 0));
}

#[test]
fn waits_time_out_without_module() {
    if module_loaded() {
        return;
    }
    let ctx = waiting_context();
    let t = Instant::now();
    let r = ctx
        .wait_group(1, WaitFlags::VIABLE, Some(Duration::from_millis(50)))
        .unwrap();
    assert_eq!(r, WaitOutcome::TimedOut(None));
    assert!(t.elapsed() >= Duration::from_millis(50));
    match ctx
        .wait_device("0000:01:00.0", WaitFlags::READY | WaitFlags::GONE, Some(Duration::from_millis(20)))
        .unwrap()
    {
        WaitOutcome::TimedOut(Some(r)) => assert!(!r.ready),
        other => panic!("expected a timeout with the last answer, got {:?}", other),
    }
}

#[test]
fn bad_names_are_einval() {
    let ctx = waiting_context();
    let nul = "0000:01:00.0\0";
    let long = "x".repeat(64);
    for name in ["", nul, long.as_str()] {
        let e = ctx.subscribe_device(name, EventMask::ALL, |_| {}).unwrap_err();
        assert_eq!(e.errno(), -libc::EINVAL, "{:?}", name);
    }
    assert_eq!(ctx.find_device(nul).unwrap_err().errno(), -libc::EINVAL);
    assert_eq!(
        ctx.wait_device(nul, WaitFlags::READY, Some(Duration::ZERO)).unwrap_err().errno(),
        -libc::EINVAL
    );
}

#[test]
fn subscriptions_outlive_their_context_value_and_unsubscribe_on_drop() {
    let ctx = waiting_context();
    let calls = Arc::new(AtomicUsize::new(0));
    let tracker = Arc::new(());
    let (c, t) = (calls.clone(), tracker.clone());
    let all = ctx
        .subscribe(None, EventMask::ALL, move |_| {
            let _keep = &t;
            c.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    let some = ctx.subscribe(Some(&[1, 2, 3]), EventMask::GROUP, |_| {}).unwrap();
    let dev = ctx
        .subscribe_device("0000:01:00.0", EventMask::NOTICES, |_| {})
        .unwrap();
    let other = ctx.clone();
    drop(ctx);
    assert_eq!(other.dispatch().unwrap(), 0);
    drop(other);
    // The subscriptions hold the context: dropping them last is fine, and
    // frees the closures (and what they captured) at once.
    assert_eq!(Arc::strong_count(&tracker), 2);
    drop((some, dev));
    drop(all);
    assert_eq!(Arc::strong_count(&tracker), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn context_and_subscription_cross_threads() {
    let ctx = Arc::new(waiting_context());
    let sub = ctx.subscribe(None, EventMask::ALL, |_| {}).unwrap();
    let c = ctx.clone();
    // Dispatch in one thread, unsubscribe in another: what a VMM's event
    // loop thread and its control thread do.
    let t = std::thread::spawn(move || c.dispatch().map(|_| ()));
    let u = std::thread::spawn(move || drop(sub));
    t.join().unwrap().unwrap();
    u.join().unwrap();
    assert_eq!(ctx.dispatch().unwrap(), 0);
}

#[test]
fn errors_map_to_the_librarys_descriptions() {
    let e = Error::from_errno(-libc::ETIMEDOUT);
    assert!(e.is_timeout());
    assert_eq!(e.to_string(), e.description());
    assert!(!e.description().is_empty());
    assert_ne!(Error::from_errno(-libc::ENOENT).description(), e.description());
    // Not an error code: -EINVAL, not a panic.
    assert_eq!(Error::from_errno(5).errno(), -libc::EINVAL);
    let io: std::io::Error = Error::from_errno(-libc::EAGAIN).into();
    assert_eq!(io.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(vfiogroup::library_version(), env!("CARGO_PKG_VERSION"));
}
