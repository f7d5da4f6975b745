// SPDX-License-Identifier: LGPL-2.1-or-later
//
// vfiogroup-rust-check: the vfiogroup crate against the real module, run
// inside the VM guest by tests/vm/guest/bindings.sh.  Each subcommand
// prints one TAP line per check, "ok - rust ..." or "not ok - rust ...",
// and diagnostics as "# ..."; exit 0 all passed, 1 a failure, 2 usage.
//
//   list
//   events --dev BDF [--vfio]
//   overflow --dev BDF --toggles N
//   reload --module PATH --dev BDF
//
// Every wait has a deadline, and a watchdog ends the program (not ok,
// exit 1) should anything hang all the same.  The Go worker implements
// the same subcommands.
mod sysfs;

use std::process::{exit, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sysfs::{opt, GState, Walk};
use vfiogroup::{Context, CtxFlags, EventKind, EventMask, Subscription};

const WATCHDOG: Duration = Duration::from_secs(300);
const STEP_WAIT: Duration = Duration::from_secs(20);

static FAILED: AtomicBool = AtomicBool::new(false);
/// The subcommand, which names every step's result ("events: unbind ...").
static SUBCOMMAND: Mutex<String> = Mutex::new(String::new());

fn result(ok: bool, desc: &str) {
    if ok {
        println!("ok - rust {}", desc);
    } else {
        FAILED.store(true, Ordering::SeqCst);
        println!("not ok - rust {}", desc);
    }
}

fn diag(text: &str) {
    for l in text.lines() {
        println!("# {}", l);
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: vfiogroup-rust-check list\n\
         \x20      vfiogroup-rust-check events --dev BDF [--vfio]\n\
         \x20      vfiogroup-rust-check overflow --dev BDF --toggles N\n\
         \x20      vfiogroup-rust-check reload --module PATH --dev BDF"
    );
    exit(2)
}

/// One event as a callback saw it.
#[derive(Clone, Debug)]
struct Rec {
    kind: EventKind,
    synth: bool,
    group: u32,
    seq: u64,
    dev: Option<String>,
    driver: Option<String>,
    state: Option<GState>,
}

fn kind_name(k: EventKind) -> String {
    match k {
        EventKind::DeviceAdded => "device-added".into(),
        EventKind::DeviceRemoved => "device-removed".into(),
        EventKind::DriverBound => "driver-bound".into(),
        EventKind::DriverUnbound => "driver-unbound".into(),
        EventKind::ViabilityChanged => "viability-changed".into(),
        EventKind::ReadyChanged => "ready-changed".into(),
        EventKind::Resync => "resync".into(),
        EventKind::Disconnected => "disconnected".into(),
        EventKind::Reconnected => "reconnected".into(),
        EventKind::Other(k) => format!("kind{}", k),
    }
}

impl Rec {
    fn word(&self) -> String {
        if self.kind.is_notice() {
            return kind_name(self.kind);
        }
        format!(
            "{}:{}:{}@{}{}",
            kind_name(self.kind),
            opt(self.dev.as_deref()),
            opt(self.driver.as_deref()),
            self.group,
            if self.synth { "(synthesized)" } else { "" }
        )
    }
}

type Log = Arc<Mutex<Vec<Rec>>>;

/// A context with an unfiltered subscription recording every event.
struct Watch {
    ctx: Context,
    log: Log,
    _sub: Subscription,
}

impl Watch {
    fn new() -> Watch {
        let ctx = match Context::new(CtxFlags::NONE) {
            Ok(c) => c,
            Err(e) => {
                result(false, &format!("connect: {}", e));
                exit(1)
            }
        };
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let sub = ctx.subscribe(None, EventMask::ALL, move |ev| {
            let rec = Rec {
                kind: ev.kind(),
                synth: ev.synthesized(),
                group: ev.group_id(),
                seq: ev.seq(),
                dev: ev.device().map(|d| d.into_owned()),
                driver: ev.driver().map(|d| d.into_owned()),
                state: ev.group().map(|g| GState::of_group(&g)),
            };
            l.lock().unwrap().push(rec);
        });
        match sub {
            Ok(sub) => Watch { ctx, log, _sub: sub },
            Err(e) => {
                result(false, &format!("subscribe: {}", e));
                exit(1)
            }
        }
    }

    fn len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn since(&self, start: usize) -> Vec<Rec> {
        self.log.lock().unwrap()[start..].to_vec()
    }

    /// poll() the fd up to 100 ms, then dispatch until nothing is left.
    /// Returns whether anything was read; the first error is kept.
    fn pump(&self, err: &mut Option<String>) -> bool {
        let mut p = libc::pollfd {
            fd: self.ctx.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
            return false;
        }
        let mut any = false;
        loop {
            match self.ctx.dispatch() {
                Ok(0) => break,
                Ok(_) => any = true,
                Err(e) => {
                    if err.is_none() {
                        *err = Some(format!("dispatch: {}", e));
                    }
                    break;
                }
            }
        }
        any
    }

    /// Dispatch until cond holds or the deadline; whether it held.
    fn until<F: FnMut(&[Rec]) -> bool>(&self, limit: Duration, err: &mut Option<String>, mut cond: F) -> bool {
        let end = Instant::now() + limit;
        loop {
            if cond(&self.log.lock().unwrap()) {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            self.pump(err);
        }
    }

    /// Dispatch until nothing came for `quiet` (or `limit` passed).
    fn drain(&self, quiet: Duration, limit: Duration, err: &mut Option<String>) {
        let end = Instant::now() + limit;
        let mut last = Instant::now();
        while Instant::now() < end && last.elapsed() < quiet {
            if self.pump(err) {
                last = Instant::now();
            }
        }
    }

    /// The module's newest seq (info-get), None if it does not answer.
    fn module_seq(&self) -> Option<u64> {
        self.ctx.info().ok().map(|i| i.seq)
    }

    /// The cache as the context answers: group_ids, then each group.
    fn cache(&self) -> Result<Walk, String> {
        let ids = self.ctx.group_ids().map_err(|e| format!("group_ids: {}", e))?;
        let mut w = Walk::new();
        for id in ids {
            let g = self.ctx.group(id).map_err(|e| format!("group({}): {}", id, e))?;
            w.insert(id, GState::of_group(&g));
        }
        Ok(w)
    }

    /// The first difference between the cache and a fresh sysfs walk.
    fn cache_vs_sysfs(&self) -> Option<String> {
        match self.cache() {
            Ok(c) => sysfs::first_diff(&c, &sysfs::walk()),
            Err(e) => Some(e),
        }
    }
}

/// An event a step must produce.
#[derive(Clone, Debug)]
struct Exp {
    kind: EventKind,
    dev: Option<String>,
    driver: Option<String>,
    group: u32,
}

impl Exp {
    fn new(kind: EventKind, dev: Option<&str>, driver: Option<&str>, group: u32) -> Exp {
        Exp {
            kind,
            dev: dev.map(str::to_owned),
            driver: driver.map(str::to_owned),
            group,
        }
    }

    fn word(&self) -> String {
        format!(
            "{}:{}:{}@{}",
            kind_name(self.kind),
            opt(self.dev.as_deref()),
            opt(self.driver.as_deref()),
            self.group
        )
    }

    fn matches(&self, r: &Rec) -> bool {
        r.kind == self.kind && r.dev == self.dev && r.driver == self.driver && r.group == self.group
    }
}

fn group_in(w: &Walk, g: u32) -> GState {
    w.get(&g).cloned().unwrap_or_else(GState::empty)
}

/// helpers-transition.sh's words of an unbind: driver-unbound, then the
/// viability's and the readiness's changes.
fn unbound_exp(dev: &str, drv: &str, g: u32, b: &GState, a: &GState) -> Vec<Exp> {
    let mut v = vec![Exp::new(EventKind::DriverUnbound, Some(dev), Some(drv), g)];
    if b.rule_viable(None) != a.rule_viable(None) {
        v.push(Exp::new(EventKind::ViabilityChanged, None, None, g));
    }
    if b.rule_ready(None) != a.rule_ready(None) {
        v.push(Exp::new(EventKind::ReadyChanged, None, None, g));
    }
    v
}

/// bound_words: a blocking driver changes viability (and readiness) at its
/// probe's start, before driver-bound; otherwise driver-bound comes first
/// and a readiness change after it.
fn bound_exp(dev: &str, drv: &str, g: u32, v: (bool, bool), r: (bool, bool)) -> Vec<Exp> {
    let bound = Exp::new(EventKind::DriverBound, Some(dev), Some(drv), g);
    let mut out = Vec::new();
    if v.0 != v.1 {
        out.push(Exp::new(EventKind::ViabilityChanged, None, None, g));
        if r.0 != r.1 {
            out.push(Exp::new(EventKind::ReadyChanged, None, None, g));
        }
        out.push(bound);
    } else {
        out.push(bound);
        if r.0 != r.1 {
            out.push(Exp::new(EventKind::ReadyChanged, None, None, g));
        }
    }
    out
}

/// What a step did to sysfs, and the events it must produce.
struct Step {
    desc: String,
    before: Walk,
    after: Walk,
    exp: Vec<Exp>,
    dev: String,
}

/// Wait for a step's events, then check them: the words in order, each
/// event's whole group state against a model (sysfs before the step with
/// the expected events applied one by one), the last state of each group
/// against sysfs after the step, then the cache against sysfs.
fn check_step(w: &Watch, start: usize, seq0: Option<u64>, st: &Step, err: &mut Option<String>) -> bool {
    let want = st.exp.len();
    w.until(STEP_WAIT, err, |l| l.len() - start >= want);
    // A barrier rather than a pause: every event of the step is numbered
    // up to the module's seq now; once that seq arrived, extras have too.
    if let (Some(bar), Some(s0)) = (w.module_seq(), seq0) {
        if bar != s0 {
            let reached = w.until(Duration::from_secs(10), err, |l| {
                l[start..].iter().any(|r| !r.kind.is_notice() && !r.synth && r.seq >= bar)
            });
            if !reached {
                diag(&format!("{}: the module's seq {} not heard within 10 s", st.desc, bar));
            }
        }
    }
    let got = w.since(start);
    let words = |v: &[Rec]| v.iter().map(Rec::word).collect::<Vec<_>>().join(" ");
    let expw = st.exp.iter().map(Exp::word).collect::<Vec<_>>().join(" ");
    let mut problem: Option<String> = None;
    if got.len() != want || !st.exp.iter().zip(&got).all(|(e, r)| e.matches(r)) {
        problem = Some(format!("expected '{}', got '{}'", expw, words(&got)));
    }
    if problem.is_none() {
        let mut model = st.before.clone();
        for (e, r) in st.exp.iter().zip(&got) {
            let m = model.entry(e.group).or_insert_with(GState::empty);
            let dev = e.dev.clone().unwrap_or_default();
            match e.kind {
                EventKind::DriverUnbound => {
                    m.devs.insert(dev, None);
                }
                EventKind::DriverBound => {
                    m.devs.insert(dev, e.driver.clone());
                }
                EventKind::ViabilityChanged => m.viable = !m.viable,
                EventKind::ReadyChanged => m.ready = !m.ready,
                EventKind::DeviceRemoved => {
                    m.devs.remove(&dev);
                }
                EventKind::DeviceAdded => {
                    m.devs.insert(dev, None);
                }
                _ => {}
            }
            // A change of viability or readiness is sent around the
            // driver's probe or removal: the driver of the step's own
            // device there is not predicted (it may be either side's).
            let skip = match e.kind {
                EventKind::ViabilityChanged | EventKind::ReadyChanged => Some(st.dev.as_str()),
                _ => None,
            };
            let d = match &r.state {
                None => Some("no group state".to_string()),
                Some(s) if r.synth => Some(format!("synthesized, state {}", s)),
                Some(s) => s.diff(m, skip),
            };
            if let Some(d) = d {
                problem = Some(format!("{}: {} (expected state {})", r.word(), d, m));
                break;
            }
        }
    }
    if problem.is_none() {
        // The last event of each group carries the state sysfs shows now.
        let mut last: std::collections::BTreeMap<u32, &Rec> = Default::default();
        for r in &got {
            last.insert(r.group, r);
        }
        for (g, r) in last {
            // A group gone from sysfs: its last event shows no device
            // (and the rule's state of an empty group).
            let now = group_in(&st.after, g);
            if let Some(d) = r.state.as_ref().and_then(|s| s.diff(&now, None)) {
                problem = Some(format!("last event of group {} ({}): {} != sysfs {}", g, r.word(), d, now));
                break;
            }
        }
    }
    if problem.is_none() {
        if let Some(d) = w.cache_vs_sysfs() {
            problem = Some(format!("cache != sysfs: {}", d));
        }
    }
    if let Some(e) = err.as_ref() {
        problem.get_or_insert_with(|| e.clone());
    }
    match problem {
        None => {
            result(
                true,
                &format!(
                    "{}: {}, each event's state and the cache == sysfs",
                    st.desc,
                    if expw.is_empty() { "no event".into() } else { expw }
                ),
            );
            true
        }
        Some(p) => {
            result(false, &format!("{}: {}", st.desc, p));
            false
        }
    }
}

/// Make a change, then check its events (check_step).  `act` changes
/// sysfs and returns the expected events from the walks before and after
/// (or an error).
fn step<F>(w: &Watch, desc: &str, dev: &str, err: &mut Option<String>, act: F) -> bool
where
    F: FnOnce(&Walk) -> Result<Box<dyn FnOnce(&Walk) -> Vec<Exp>>, String>,
{
    // Anything pending first, so the step's events are the step's.
    w.drain(Duration::from_millis(100), Duration::from_secs(2), err);
    let start = w.len();
    let seq0 = w.module_seq();
    let before = sysfs::walk();
    let expect = match act(&before) {
        Ok(f) => f,
        Err(e) => {
            result(false, &format!("{}: {}: {}", SUBCOMMAND.lock().unwrap(), desc, e));
            return false;
        }
    };
    let after = sysfs::walk();
    let exp = expect(&after);
    let st = Step {
        desc: format!("{}: {}", SUBCOMMAND.lock().unwrap(), desc),
        before,
        after,
        exp,
        dev: dev.to_string(),
    };
    check_step(w, start, seq0, &st, err)
}

fn step_unbind(w: &Watch, dev: &str, err: &mut Option<String>) -> bool {
    let drv = sysfs::driver_of(dev).unwrap_or_default();
    let g = sysfs::group_of(dev).unwrap_or(u32::MAX);
    let d = dev.to_string();
    step(w, &format!("unbind {} from {}", dev, drv), dev, err, move |before| {
        let b = group_in(before, g);
        sysfs::unbind(&d)?;
        Ok(Box::new(move |after: &Walk| unbound_exp(&d, &drv, g, &b, &group_in(after, g))))
    })
}

fn step_bind(w: &Watch, dev: &str, drv: &str, err: &mut Option<String>) -> bool {
    let g = sysfs::group_of(dev).unwrap_or(u32::MAX);
    let (d, dr) = (dev.to_string(), drv.to_string());
    step(w, &format!("bind {} to {}", dev, drv), dev, err, move |before| {
        let b = group_in(before, g);
        sysfs::bind(&d, &dr)?;
        Ok(Box::new(move |after: &Walk| {
            let a = group_in(after, g);
            bound_exp(
                &d,
                &dr,
                g,
                (b.rule_viable(None), a.rule_viable(None)),
                (b.rule_ready(None), a.rule_ready(None)),
            )
        }))
    })
}

fn step_remove(w: &Watch, dev: &str, err: &mut Option<String>) -> bool {
    let g = sysfs::group_of(dev).unwrap_or(u32::MAX);
    let d = dev.to_string();
    step(w, &format!("PCI remove {}", dev), dev, err, move |before| {
        let b = group_in(before, g);
        let drv = b.devs.get(&d).cloned().flatten();
        sysfs::remove(&d)?;
        Ok(Box::new(move |_after: &Walk| {
            let mut v = Vec::new();
            if let Some(drv) = &drv {
                v.push(Exp::new(EventKind::DriverUnbound, Some(&d), Some(drv), g));
            }
            if b.rule_viable(None) != b.rule_viable(Some(&d)) {
                v.push(Exp::new(EventKind::ViabilityChanged, None, None, g));
            }
            if b.rule_ready(None) != b.rule_ready(Some(&d)) {
                v.push(Exp::new(EventKind::ReadyChanged, None, None, g));
            }
            v.push(Exp::new(EventKind::DeviceRemoved, Some(&d), None, g));
            v
        }))
    })
}

fn step_rescan(w: &Watch, dev: &str, bound: bool, err: &mut Option<String>) -> bool {
    let d = dev.to_string();
    step(w, &format!("rescan brings {} back", dev), dev, err, move |_before| {
        sysfs::rescan(&d, bound)?;
        Ok(Box::new(move |after: &Walk| {
            let g2 = sysfs::group_of(&d).unwrap_or(u32::MAX);
            let a = group_in(after, g2);
            let mut v = vec![Exp::new(EventKind::DeviceAdded, Some(&d), None, g2)];
            if let Some(Some(drv)) = a.devs.get(&d) {
                v.extend(bound_exp(
                    &d,
                    drv,
                    g2,
                    (a.rule_viable(Some(&d)), a.rule_viable(None)),
                    (a.rule_ready(Some(&d)), a.rule_ready(None)),
                ));
            }
            v
        }))
    })
}

/// Kernel events (not synthesized, not notices) numbered one after the
/// other from `first` on; the first break, if any.
fn seq_break(recs: &[Rec], first: Option<u64>) -> Option<String> {
    let mut prev = first.map(|f| f.wrapping_sub(1));
    for r in recs.iter().filter(|r| !r.kind.is_notice() && !r.synth) {
        if let Some(p) = prev {
            if r.seq != p + 1 {
                return Some(format!("{} has seq {} after {}", r.word(), r.seq, p));
            }
        }
        prev = Some(r.seq);
    }
    None
}

fn arg_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn cmd_list() {
    let w = Watch::new();
    let cache = match w.cache() {
        Ok(c) => c,
        Err(e) => {
            result(false, &format!("list: {}", e));
            return;
        }
    };
    let sys = sysfs::walk();
    let d = sysfs::compare(&cache, &sys);
    let ndev: usize = sys.values().map(|g| g.devs.len()).sum();
    let names = [
        format!("list: {} groups == sysfs", sys.len()),
        format!("list: each group's devices == sysfs ({} devices)", ndev),
        "list: each device's driver == sysfs".to_string(),
        "list: viable == the rule (every device unbound or on vfio-pci, pci-stub, pcieport)".to_string(),
        "list: ready == the rule (viable, a device registered with VFIO)".to_string(),
    ];
    for (name, diff) in names.iter().zip(d.iter()) {
        match diff {
            None => result(true, name),
            Some(m) => result(false, &format!("{}: {}", name, m)),
        }
    }
    let nviable = cache.values().filter(|g| g.viable).count();
    let nready = cache.values().filter(|g| g.ready).count();
    diag(&format!(
        "rust list: {} groups, {} viable, {} ready, library {}",
        cache.len(),
        nviable,
        nready,
        vfiogroup::library_version()
    ));
}

fn cmd_events(args: &[String]) {
    let dev = arg_value(args, "--dev").unwrap_or_else(|| usage());
    let vfio = args.iter().any(|a| a == "--vfio");
    let orig = match sysfs::driver_of(&dev) {
        Some(d) => d,
        None => {
            result(false, &format!("events: {} is bound to a driver", dev));
            return;
        }
    };
    if vfio && !std::path::Path::new("/sys/bus/pci/drivers/vfio-pci").exists() {
        result(false, "events: --vfio: vfio-pci is loaded");
        return;
    }
    diag(&format!("rust events: {} on {}, group {}", dev, orig, sysfs::group_of(&dev).unwrap_or(u32::MAX)));
    let w = Watch::new();
    let mut err = None;
    w.drain(Duration::from_millis(200), Duration::from_secs(2), &mut err);
    let start = w.len();
    let first = w.module_seq().map(|s| s + 1);
    step_unbind(&w, &dev, &mut err);
    if vfio {
        if step_bind(&w, &dev, "vfio-pci", &mut err) {
            step_unbind(&w, &dev, &mut err);
        } else {
            let _ = sysfs::unbind(&dev);
        }
    }
    if sysfs::driver_of(&dev).is_some() {
        let _ = sysfs::unbind(&dev);
    }
    step_bind(&w, &dev, &orig, &mut err);
    if step_remove(&w, &dev, &mut err) || !sysfs::exists(&dev) {
        step_rescan(&w, &dev, true, &mut err);
    }
    let all = w.since(start);
    let n = all.iter().filter(|r| !r.kind.is_notice() && !r.synth).count();
    match seq_break(&all, first) {
        None => result(
            true,
            &format!("events: {} kernel events, seqs strictly increasing from {} with no gap", n, first.map_or("?".into(), |f| f.to_string())),
        ),
        Some(b) => result(false, &format!("events: seqs in order with no gap: {}", b)),
    }
    if sysfs::driver_of(&dev).as_deref() != Some(orig.as_str()) && sysfs::exists(&dev) {
        let _ = sysfs::unbind(&dev);
        let _ = sysfs::bind(&dev, &orig);
    }
}

fn cmd_overflow(args: &[String]) {
    let dev = arg_value(args, "--dev").unwrap_or_else(|| usage());
    let toggles: usize = arg_value(args, "--toggles")
        .and_then(|t| t.parse().ok())
        .filter(|&t| t >= 2)
        .unwrap_or_else(|| usage());
    let orig = match sysfs::driver_of(&dev) {
        Some(d) => d,
        None => {
            result(false, &format!("overflow: {} is bound to a driver", dev));
            return;
        }
    };
    let w = Watch::new();
    let mut err = None;
    w.drain(Duration::from_millis(200), Duration::from_secs(2), &mut err);
    // The stalled consumer: a small buffer, and nobody reading it.
    let fd = w.ctx.fd();
    let rcvbuf: libc::c_int = 4096;
    let mut got: libc::c_int = 0;
    let mut sl = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &rcvbuf as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        libc::getsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, &mut got as *mut libc::c_int as *mut libc::c_void, &mut sl);
    }
    diag(&format!("rust overflow: SO_RCVBUF set to {}, kernel says {}", rcvbuf, got));
    let start = w.len();
    let t0 = Instant::now();
    let mut toggle_err = None;
    let mut done = 0;
    for i in 0..toggles {
        let r = if sysfs::driver_of(&dev).is_some() {
            sysfs::unbind(&dev)
        } else {
            sysfs::bind(&dev, &orig)
        };
        if let Err(e) = r {
            toggle_err.get_or_insert(format!("toggle {}: {}", i, e));
        }
        done += 1;
        if t0.elapsed() > Duration::from_secs(120) {
            break;
        }
    }
    // An odd count leaves the device unbound: the resync then has a
    // difference to synthesize (checked below), and the rebind after it
    // is a live step.
    diag(&format!(
        "rust overflow: {} toggles in {:.1} s, {} now on {}, dispatching",
        done,
        t0.elapsed().as_secs_f64(),
        dev,
        opt(sysfs::driver_of(&dev).as_deref())
    ));
    w.drain(Duration::from_millis(1000), Duration::from_secs(30), &mut err);
    let st = w.ctx.stats().ok();
    let (overruns, resyncs, gaps, synthesized) = st.map_or((0, 0, 0, 0), |s| (s.overruns, s.resyncs, s.gaps, s.synthesized));
    println!("# rust overflow: toggles={} overruns={} resyncs={}", done, overruns, resyncs);
    diag(&format!("rust overflow: gaps={} synthesized={}", gaps, synthesized));
    let recs = w.since(start);
    let notices = recs.iter().filter(|r| r.kind == EventKind::Resync).count();
    result(toggle_err.is_none(), &format!("overflow: {} unbind/bind toggles of {} made{}", done, dev,
        toggle_err.as_ref().map_or(String::new(), |e| format!(": {}", e))));
    result(
        overruns > 0 && resyncs > 0 && notices > 0,
        &format!("overflow: the loss reported (overruns {}, resyncs {}, RESYNC notices {})", overruns, resyncs, notices),
    );
    result(
        resyncs as usize == notices,
        &format!("overflow: one RESYNC notice per resync ({} resyncs, {} notices)", resyncs, notices),
    );
    // The events: each a known kind with a group state, the kernel's
    // seqs never going backwards, and after the last RESYNC notice
    // numbered one after the other.
    let mut bad = None;
    let mut prev = 0u64;
    for r in &recs {
        if r.kind.is_notice() {
            continue;
        }
        if matches!(r.kind, EventKind::Other(_)) || r.state.is_none() {
            bad.get_or_insert(format!("{}: no group state or unknown kind", r.word()));
        }
        if !r.synth {
            if r.seq <= prev {
                bad.get_or_insert(format!("{}: seq {} after {}", r.word(), r.seq, prev));
            }
            prev = r.seq;
        }
    }
    let tail = recs.iter().rposition(|r| r.kind == EventKind::Resync).map_or(&recs[..], |i| &recs[i + 1..]);
    if let Some(b) = seq_break(tail, None) {
        bad.get_or_insert(format!("after the last RESYNC: {}", b));
    }
    if tail.iter().any(|r| r.synth) {
        bad.get_or_insert("a synthesized event after the last RESYNC notice".into());
    }
    result(
        bad.is_none(),
        &format!(
            "overflow: {} events, each with its group state, kernel seqs increasing, none lost after the last RESYNC ({} after it){}",
            recs.len(),
            tail.len(),
            bad.as_ref().map_or(String::new(), |b| format!(": {}", b))
        ),
    );
    // What the resync synthesized ends in the state sysfs shows.
    let now = sysfs::walk();
    let mut last: std::collections::BTreeMap<u32, &Rec> = Default::default();
    for r in recs.iter().filter(|r| !r.kind.is_notice()) {
        last.insert(r.group, r);
    }
    let mut bad = None;
    for (g, r) in last {
        if let Some(d) = r.state.as_ref().and_then(|s| s.diff(&group_in(&now, g), None)) {
            bad.get_or_insert(format!("last event of group {} ({}): {}", g, r.word(), d));
        }
    }
    let nsynth = recs.iter().filter(|r| r.synth).count();
    result(
        bad.is_none(),
        &format!(
            "overflow: the last event of each group ({} synthesized) carries the state sysfs shows{}",
            nsynth,
            bad.map_or(String::new(), |b| format!(": {}", b))
        ),
    );
    let d = w.cache_vs_sysfs();
    result(d.is_none() && err.is_none(), &format!("overflow: cache == sysfs after the resync{}",
        d.or_else(|| err.clone()).map_or(String::new(), |e| format!(": {}", e))));
    // Live events again, with their state, once the loss is repaired.
    if sysfs::driver_of(&dev).is_some() {
        step_unbind(&w, &dev, &mut err);
    }
    step_bind(&w, &dev, &orig, &mut err);
    result(sysfs::driver_of(&dev).as_deref() == Some(orig.as_str()), &format!("overflow: {} back on {}", dev, orig));
}

fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(cmd).args(args).status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{} {}: {}", cmd, args.join(" "), s)),
        Err(e) => Err(format!("{} {}: {}", cmd, args.join(" "), e)),
    }
}

fn cmd_reload(args: &[String]) {
    let ko = arg_value(args, "--module").unwrap_or_else(|| usage());
    let dev = arg_value(args, "--dev").unwrap_or_else(|| usage());
    let orig = match sysfs::driver_of(&dev) {
        Some(d) => d,
        None => {
            result(false, &format!("reload: {} is bound to a driver", dev));
            return;
        }
    };
    let w = Watch::new();
    let mut err = None;
    w.drain(Duration::from_millis(200), Duration::from_secs(2), &mut err);

    let start = w.len();
    let r = run("rmmod", &["vfiogroup"]);
    let ok = r.is_ok()
        && w.until(Duration::from_secs(20), &mut err, |l| {
            l[start..].iter().any(|r| r.kind == EventKind::Disconnected)
        });
    let n = w.since(start).iter().filter(|r| r.kind == EventKind::Disconnected).count();
    result(
        ok && n == 1 && !w.ctx.connected(),
        &format!(
            "reload: rmmod vfiogroup: DISCONNECTED delivered once ({}), connected() false{}",
            n,
            r.err().map_or(String::new(), |e| format!(": {}", e))
        ),
    );

    let start = w.len();
    let r = run("insmod", &[&ko]);
    let ok = r.is_ok()
        && w.until(Duration::from_secs(20), &mut err, |l| {
            l[start..].iter().any(|r| r.kind == EventKind::Reconnected)
        });
    w.drain(Duration::from_millis(300), Duration::from_secs(5), &mut err);
    let got = w.since(start);
    let n = got.iter().filter(|r| r.kind == EventKind::Reconnected).count();
    let d = w.cache_vs_sysfs();
    result(
        ok && n == 1 && w.ctx.connected() && d.is_none(),
        &format!(
            "reload: insmod: RECONNECTED delivered once ({}), connected() true, cache == sysfs{}{}",
            n,
            r.err().map_or(String::new(), |e| format!(": {}", e)),
            d.map_or(String::new(), |e| format!(": {}", e))
        ),
    );
    if !got.is_empty() {
        diag(&format!(
            "rust reload: after insmod: {}",
            got.iter().map(Rec::word).collect::<Vec<_>>().join(" ")
        ));
    }

    let start = w.len();
    let first = w.module_seq().map(|s| s + 1);
    step_unbind(&w, &dev, &mut err);
    if sysfs::driver_of(&dev).is_some() {
        let _ = sysfs::unbind(&dev);
    }
    step_bind(&w, &dev, &orig, &mut err);
    match seq_break(&w.since(start), first) {
        None => result(true, "reload: the reloaded module's events: seqs in order with no gap"),
        Some(b) => result(false, &format!("reload: the reloaded module's events: seqs in order with no gap: {}", b)),
    }
    if let Ok(s) = w.ctx.stats() {
        diag(&format!("rust reload: disconnects={} reconnects={} resyncs={}", s.disconnects, s.reconnects, s.resyncs));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cmd = match args.first() {
        Some(c) => c.clone(),
        None => usage(),
    };
    if !matches!(cmd.as_str(), "list" | "events" | "overflow" | "reload") {
        usage();
    }
    *SUBCOMMAND.lock().unwrap() = cmd.clone();
    std::thread::spawn(move || {
        std::thread::sleep(WATCHDOG);
        println!("not ok - rust {}: watchdog: still running after {} s", cmd, WATCHDOG.as_secs());
        exit(1);
    });
    match args[0].as_str() {
        "list" => cmd_list(),
        "events" => cmd_events(&args[1..]),
        "overflow" => cmd_overflow(&args[1..]),
        _ => cmd_reload(&args[1..]),
    }
    exit(if FAILED.load(Ordering::SeqCst) { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(devs: &[(&str, Option<&str>)], vfio: &[&str]) -> GState {
        let mut s = GState::default();
        for (d, drv) in devs {
            s.devs.insert(d.to_string(), drv.map(str::to_owned));
        }
        for d in vfio {
            s.vfio.insert(d.to_string());
        }
        s.viable = s.rule_viable(None);
        s.ready = s.rule_ready(None);
        s
    }

    fn words(v: &[Exp]) -> String {
        v.iter().map(Exp::word).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn the_rule_of_viability_and_readiness() {
        let host = g(&[("a", Some("e1000")), ("b", None)], &[]);
        assert!(!host.viable && !host.ready);
        assert!(host.rule_viable(Some("a")));
        let vfio = g(&[("a", Some("vfio-pci")), ("b", Some("pcieport"))], &["a"]);
        assert!(vfio.viable && vfio.ready);
        assert!(!vfio.rule_ready(Some("a")));
        let empty = GState::empty();
        assert!(empty.viable && !empty.ready && empty.devs.is_empty());
    }

    #[test]
    fn expected_events_in_helpers_transitions_order() {
        // A host driver's unbind: viability after the unbind.
        let b = g(&[("d", Some("e1000"))], &[]);
        let a = g(&[("d", None)], &[]);
        assert_eq!(
            words(&unbound_exp("d", "e1000", 4, &b, &a)),
            "driver-unbound:d:e1000@4 viability-changed:-:-@4"
        );
        // A blocking driver's bind: viability first.
        assert_eq!(
            words(&bound_exp("d", "e1000", 4, (true, false), (false, false))),
            "viability-changed:-:-@4 driver-bound:d:e1000@4"
        );
        // vfio-pci's: readiness after driver-bound.
        assert_eq!(
            words(&bound_exp("d", "vfio-pci", 4, (true, true), (false, true))),
            "driver-bound:d:vfio-pci@4 ready-changed:-:-@4"
        );
    }

    fn rec(seq: u64, kind: EventKind, synth: bool) -> Rec {
        Rec {
            kind,
            synth,
            group: 1,
            seq,
            dev: None,
            driver: None,
            state: None,
        }
    }

    #[test]
    fn seqs_without_a_gap() {
        let k = EventKind::DriverBound;
        let ok = [rec(5, k, false), rec(0, EventKind::Resync, false), rec(2, k, true), rec(6, k, false)];
        assert_eq!(seq_break(&ok, Some(5)), None);
        assert!(seq_break(&ok, Some(4)).is_some());
        let gap = [rec(5, k, false), rec(7, k, false)];
        assert!(seq_break(&gap, None).unwrap().contains("seq 7 after 5"));
        let back = [rec(5, k, false), rec(5, k, false)];
        assert!(seq_break(&back, None).is_some());
    }

    #[test]
    fn listings_compared_by_property() {
        let mut sys = Walk::new();
        sys.insert(1, g(&[("a", Some("e1000"))], &[]));
        sys.insert(2, g(&[("b", Some("vfio-pci"))], &["b"]));
        assert!(sysfs::compare(&sys.clone(), &sys).iter().all(Option::is_none));
        let mut cache = sys.clone();
        cache.get_mut(&2).unwrap().ready = false;
        let d = sysfs::compare(&cache, &sys);
        assert!(d[0].is_none() && d[1].is_none() && d[2].is_none() && d[3].is_none());
        assert_eq!(d[4].as_deref(), Some("group 2: ready false, the rule true"));
        cache.remove(&1);
        assert!(sysfs::compare(&cache, &sys)[0].is_some());
        assert!(sysfs::first_diff(&cache, &sys).unwrap().starts_with("group ids"));
    }
}
