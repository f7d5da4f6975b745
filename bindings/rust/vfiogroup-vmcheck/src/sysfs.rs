// SPDX-License-Identifier: LGPL-2.1-or-later
//
//! sysfs as the ground truth: the IOMMU groups, their devices and
//! drivers, and the test's own rule of viability and readiness (that of
//! tests/vm/guest/helpers-sysfs.sh: rule_viable, rule_ready, dev_vfio),
//! plus binding and unbinding by hand.
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use vfiogroup::Group;

pub const PCI: &str = "/sys/bus/pci/devices";
const GROUPS: &str = "/sys/kernel/iommu_groups";

/// One group's state: device -> driver, viability and readiness.  `vfio`
/// (devices registered with VFIO) feeds the rule only; it is not compared.
#[derive(Clone, Debug, Default)]
pub struct GState {
    pub devs: BTreeMap<String, Option<String>>,
    pub viable: bool,
    pub ready: bool,
    pub vfio: BTreeSet<String>,
}

pub type Walk = BTreeMap<u32, GState>;

/// Does a device on this driver leave its group viable?
pub fn managed(driver: Option<&str>) -> bool {
    matches!(driver, None | Some("vfio-pci") | Some("pci-stub") | Some("pcieport"))
}

impl GState {
    /// A group that does not exist (yet): no device, viable by the rule.
    pub fn empty() -> GState {
        GState {
            viable: true,
            ..GState::default()
        }
    }

    /// rule_viable GROUP [EXCLUDED]
    pub fn rule_viable(&self, excl: Option<&str>) -> bool {
        self.devs
            .iter()
            .filter(|(d, _)| Some(d.as_str()) != excl)
            .all(|(_, drv)| managed(drv.as_deref()))
    }

    /// rule_ready GROUP [EXCLUDED]
    pub fn rule_ready(&self, excl: Option<&str>) -> bool {
        self.rule_viable(excl) && self.vfio.iter().any(|d| Some(d.as_str()) != excl)
    }

    /// The same as the library's snapshot shows it.
    pub fn of_group(g: &Group) -> GState {
        let mut s = GState {
            viable: g.viable(),
            ready: g.ready(),
            ..GState::default()
        };
        for d in g.devices() {
            if d.vfio() {
                s.vfio.insert(d.name().into_owned());
            }
            s.devs
                .insert(d.name().into_owned(), d.driver().map(|x| x.into_owned()));
        }
        s
    }

    /// The first difference from `want` (devices, drivers, viable, ready),
    /// None when equal.  `skip_driver_of`: a device whose driver is not
    /// compared.
    pub fn diff(&self, want: &GState, skip_driver_of: Option<&str>) -> Option<String> {
        let a: Vec<&String> = self.devs.keys().collect();
        let b: Vec<&String> = want.devs.keys().collect();
        if a != b {
            return Some(format!("devices {:?}, expected {:?}", a, b));
        }
        for (d, drv) in &self.devs {
            if Some(d.as_str()) == skip_driver_of {
                continue;
            }
            if *drv != want.devs[d] {
                return Some(format!(
                    "{} driver {}, expected {}",
                    d,
                    opt(drv.as_deref()),
                    opt(want.devs[d].as_deref())
                ));
            }
        }
        if self.viable != want.viable {
            return Some(format!("viable {}, expected {}", self.viable, want.viable));
        }
        if self.ready != want.ready {
            return Some(format!("ready {}, expected {}", self.ready, want.ready));
        }
        None
    }
}

impl fmt::Display for GState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let devs: Vec<String> = self
            .devs
            .iter()
            .map(|(d, drv)| format!("{}={}", d, opt(drv.as_deref())))
            .collect();
        write!(f, "[{}] viable={} ready={}", devs.join(" "), self.viable as u8, self.ready as u8)
    }
}

pub fn opt(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

fn link_name(p: &Path) -> Option<String> {
    fs::read_link(p)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
}

/// From 6.1 VFIO adds a vfio-dev/vfioX child to each device it registers;
/// before, a driver with "vfio" in its name is the sign.
fn vfio_dev_names() -> bool {
    let rel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut it = rel.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    let minor: u32 = it.next().and_then(|x| x.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 1)
}

fn dev_vfio(path: &Path, driver: Option<&str>, names: bool) -> bool {
    if names {
        fs::read_dir(path.join("vfio-dev"))
            .map(|rd| {
                rd.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("vfio"))
            })
            .unwrap_or(false)
    } else {
        driver.map_or(false, |d| d.contains("vfio"))
    }
}

/// Every group with at least one device, as sysfs shows it now.
pub fn walk() -> Walk {
    let names = vfio_dev_names();
    let mut w = Walk::new();
    let rd = match fs::read_dir(GROUPS) {
        Ok(rd) => rd,
        Err(_) => return w,
    };
    for g in rd.flatten() {
        let id: u32 = match g.file_name().to_string_lossy().parse() {
            Ok(id) => id,
            Err(_) => continue,
        };
        let mut s = GState::default();
        if let Ok(devs) = fs::read_dir(g.path().join("devices")) {
            for d in devs.flatten() {
                let p = d.path();
                if !p.exists() {
                    continue;
                }
                let name = d.file_name().to_string_lossy().into_owned();
                let drv = link_name(&p.join("driver"));
                if dev_vfio(&p, drv.as_deref(), names) {
                    s.vfio.insert(name.clone());
                }
                s.devs.insert(name, drv);
            }
        }
        if s.devs.is_empty() {
            continue;
        }
        s.viable = s.rule_viable(None);
        s.ready = s.rule_ready(None);
        w.insert(id, s);
    }
    w
}

pub fn driver_of(dev: &str) -> Option<String> {
    link_name(&Path::new(PCI).join(dev).join("driver"))
}

pub fn group_of(dev: &str) -> Option<u32> {
    link_name(&Path::new(PCI).join(dev).join("iommu_group")).and_then(|g| g.parse().ok())
}

pub fn exists(dev: &str) -> bool {
    Path::new(PCI).join(dev).exists()
}

fn write(path: &str, val: &str) -> Result<(), String> {
    fs::write(path, val).map_err(|e| format!("echo {} > {}: {}", val.trim(), path, e))
}

/// Unbind dev from its driver, if it has one.
pub fn unbind(dev: &str) -> Result<(), String> {
    match driver_of(dev) {
        None => Ok(()),
        Some(_) => write(&format!("{}/{}/driver/unbind", PCI, dev), dev),
    }
}

/// bind_dev: driver_override + drivers_probe, the override cleared after.
pub fn bind(dev: &str, driver: &str) -> Result<(), String> {
    let ov = format!("{}/{}/driver_override", PCI, dev);
    write(&ov, driver)?;
    let _ = fs::write("/sys/bus/pci/drivers_probe", dev);
    write(&ov, "\n")?;
    match driver_of(dev) {
        Some(d) if d == driver => Ok(()),
        d => Err(format!("{} on {} after binding it to {}", dev, opt(d.as_deref()), driver)),
    }
}

pub fn remove(dev: &str) -> Result<(), String> {
    write(&format!("{}/{}/remove", PCI, dev), "1")?;
    if wait_for(Duration::from_secs(10), || !exists(dev)) {
        Ok(())
    } else {
        Err(format!("{} still there 10 s after its remove", dev))
    }
}

/// Rescan; wait for dev to come back (and be bound again if `bound`).
pub fn rescan(dev: &str, bound: bool) -> Result<(), String> {
    write("/sys/bus/pci/rescan", "1")?;
    if !wait_for(Duration::from_secs(10), || exists(dev)) {
        return Err(format!("{} not back 10 s after the rescan", dev));
    }
    if bound && !wait_for(Duration::from_secs(10), || driver_of(dev).is_some()) {
        return Err(format!("{} not bound 10 s after the rescan", dev));
    }
    Ok(())
}

pub fn wait_for<F: FnMut() -> bool>(limit: Duration, mut cond: F) -> bool {
    let end = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The first difference between two whole listings (the cache and sysfs),
/// by property: [group ids, devices, drivers, viable, ready].
pub fn compare(cache: &Walk, sys: &Walk) -> [Option<String>; 5] {
    let mut out: [Option<String>; 5] = Default::default();
    let a: Vec<u32> = cache.keys().copied().collect();
    let b: Vec<u32> = sys.keys().copied().collect();
    if a != b {
        out[0] = Some(format!("group ids {:?}, sysfs {:?}", a, b));
    }
    for (id, s) in sys {
        let c = match cache.get(id) {
            Some(c) => c,
            None => continue,
        };
        let cd: Vec<&String> = c.devs.keys().collect();
        let sd: Vec<&String> = s.devs.keys().collect();
        if cd != sd {
            out[1].get_or_insert_with(|| format!("group {}: devices {:?}, sysfs {:?}", id, cd, sd));
            continue;
        }
        for (d, drv) in &s.devs {
            if c.devs[d] != *drv {
                out[2].get_or_insert_with(|| {
                    format!(
                        "group {}: {} on {}, sysfs {}",
                        id,
                        d,
                        opt(c.devs[d].as_deref()),
                        opt(drv.as_deref())
                    )
                });
            }
        }
        if c.viable != s.viable {
            out[3].get_or_insert_with(|| format!("group {}: viable {}, the rule {}", id, c.viable, s.viable));
        }
        if c.ready != s.ready {
            out[4].get_or_insert_with(|| format!("group {}: ready {}, the rule {}", id, c.ready, s.ready));
        }
    }
    out
}

/// The first difference of any property, None when equal.
pub fn first_diff(cache: &Walk, sys: &Walk) -> Option<String> {
    compare(cache, sys).iter().flatten().next().cloned()
}
