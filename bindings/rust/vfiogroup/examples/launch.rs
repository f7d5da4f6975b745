// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What a VMM launcher does: wait until a device is ready for VFIO (viable,
// registered with VFIO, not held by another user), then exec the VMM.
//
//   launch [--timeout SECONDS] [--wait-module] DEVICE -- COMMAND [ARG...]
//
// The command runs with VFIOGROUP_NODE (/dev/vfio/N) and, on kernels with
// VFIO device cdevs, VFIOGROUP_VFIO_DEV (vfioX) in its environment.  Exit
// statuses are `vfiogroup wait`'s: 0 reached (then it is the command's
// own, as exec replaces this process), 2 timed out, 3 the device is not
// there or was removed while waited for, 1 anything else (usage, no
// module, exec failing).
use std::os::unix::process::CommandExt;
use std::process::{exit, Command};
use std::time::Duration;

use vfiogroup::{Context, CtxFlags, NotReady, Readiness, WaitFlags, WaitOutcome};

const EXIT_ERROR: i32 = 1;
const EXIT_TIMEOUT: i32 = 2;
const EXIT_GONE: i32 = 3;

struct Args {
    timeout: Option<Duration>,
    wait_module: bool,
    device: String,
    command: Vec<String>,
}

fn usage(msg: &str) -> ! {
    eprintln!("launch: {}", msg);
    eprintln!("usage: launch [--timeout SECONDS] [--wait-module] DEVICE -- COMMAND [ARG...]");
    exit(EXIT_ERROR);
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let (mut timeout, mut wait_module, mut device) = (None, false, None);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timeout" => {
                let v = it.next().unwrap_or_else(|| usage("--timeout needs a value"));
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                    .unwrap_or_else(|| usage(&format!("bad timeout '{}' (seconds, 0 or more)", v)));
                timeout = Some(Duration::from_secs_f64(secs.min(1e9)));
            }
            "--wait-module" => wait_module = true,
            "--" => break,
            s if s.starts_with('-') => usage(&format!("unknown option '{}'", s)),
            s if device.is_none() => device = Some(s.to_owned()),
            s => usage(&format!("unexpected '{}' before --", s)),
        }
    }
    let command: Vec<String> = it.collect();
    Args {
        timeout,
        wait_module,
        device: device.unwrap_or_else(|| usage("no DEVICE")),
        command: if command.is_empty() { usage("no COMMAND after --") } else { command },
    }
}

// What is in the way, in words someone can act on.  All zero (the
// library never got an answer: no module yet, no such device yet) is
// "not seen", as the CLI does.
fn explain(r: &Readiness) -> String {
    let dev = r.device.as_deref().unwrap_or("?");
    let drv = r.driver.as_deref().unwrap_or("no driver");
    match r.reason {
        NotReady::None if r.ready => "ready".into(),
        NotReady::None => "not seen yet (module or device)".into(),
        NotReady::NotViable => format!("group {} not viable: {} bound to {}", r.group_id, dev, drv),
        NotReady::NoVfio => format!("{} not bound to a VFIO driver ({})", dev, drv),
        NotReady::InUse => format!("group {} in use by another user", r.group_id),
        NotReady::Other(n) => format!("not ready (reason {})", n),
    }
}

fn main() {
    let args = parse_args();
    let flags = if args.wait_module { CtxFlags::WAIT_MODULE } else { CtxFlags::NONE };
    let ctx = Context::new(flags).unwrap_or_else(|e| {
        eprintln!("launch: {}", e);
        exit(EXIT_ERROR);
    });
    let outcome = ctx
        .wait_device(&args.device, WaitFlags::READY | WaitFlags::GONE, args.timeout)
        .unwrap_or_else(|e| {
            eprintln!("launch: waiting for {}: {}", args.device, e);
            exit(EXIT_ERROR);
        });
    let ready = match outcome {
        WaitOutcome::Reached(r) => r,
        WaitOutcome::TimedOut(r) => {
            let why = r.as_ref().map(explain).unwrap_or_default();
            eprintln!(
                "launch: device {} not ready after {:.3}s: {}",
                args.device,
                args.timeout.map_or(0.0, |t| t.as_secs_f64()),
                why
            );
            exit(EXIT_TIMEOUT);
        }
        WaitOutcome::Gone => {
            eprintln!("launch: device {} is not there, or was removed while waited for", args.device);
            exit(EXIT_GONE);
        }
    };
    // The VMM opens what is ready now: the context (and its socket) need
    // not survive into it.
    drop(ctx);
    let mut cmd = Command::new(&args.command[0]);
    cmd.args(&args.command[1..]);
    if let Some(r) = ready {
        if let Some(node) = r.node {
            cmd.env("VFIOGROUP_NODE", node);
        }
        if let Some(v) = r.vfio_dev {
            cmd.env("VFIOGROUP_VFIO_DEV", v);
        }
    }
    let err = cmd.exec();
    eprintln!("launch: {}: {}", args.command[0], err);
    exit(EXIT_ERROR);
}
