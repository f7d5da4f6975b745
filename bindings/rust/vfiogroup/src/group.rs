// SPDX-License-Identifier: LGPL-2.1-or-later
//! Group snapshots and their devices.
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use vfiogroup_sys as sys;

use crate::text::borrowed;

/// An immutable snapshot of one IOMMU group (a reference on the C
/// library's object).  Clone takes another reference; nothing is copied.
pub struct Group {
    raw: NonNull<sys::vfiogroup_group>,
}

// SAFETY: a snapshot is immutable once made, and its reference count is a
// C11 atomic (libvfiogroup/group.c), so references may be taken, read and
// dropped from any thread.
unsafe impl Send for Group {}
unsafe impl Sync for Group {}

impl Group {
    /// Takes over one reference the library handed out.
    ///
    /// # Safety
    /// raw is a group reference the caller owns.
    pub(crate) unsafe fn from_owned(raw: NonNull<sys::vfiogroup_group>) -> Group {
        Group { raw }
    }

    /// Takes a new reference on a group the library lends (an event's).
    ///
    /// # Safety
    /// raw is a live group for the duration of the call.
    pub(crate) unsafe fn from_borrowed(raw: NonNull<sys::vfiogroup_group>) -> Group {
        sys::vfiogroup_group_ref(raw.as_ptr());
        Group { raw }
    }

    fn ptr(&self) -> *const sys::vfiogroup_group {
        self.raw.as_ptr()
    }

    pub fn id(&self) -> u32 {
        // SAFETY (all accessors): self holds a reference, so the group
        // and everything it returns live at least as long as &self.
        unsafe { sys::vfiogroup_group_id(self.ptr()) }
    }

    /// VFIO's viability: no device of the group is bound to a host driver.
    pub fn viable(&self) -> bool {
        unsafe { sys::vfiogroup_group_viable(self.ptr()) }
    }

    /// Viable, and a device registered with VFIO (its node exists).
    pub fn ready(&self) -> bool {
        unsafe { sys::vfiogroup_group_ready(self.ptr()) }
    }

    /// Sequence number of the group's last event (kernel numbering).
    pub fn seq(&self) -> u64 {
        unsafe { sys::vfiogroup_group_seq(self.ptr()) }
    }

    /// "/dev/vfio/N" while a device of the group is registered with VFIO.
    pub fn node(&self) -> Option<Cow<'_, str>> {
        unsafe { borrowed(sys::vfiogroup_group_node(self.ptr())) }
    }

    pub fn device_count(&self) -> usize {
        unsafe { sys::vfiogroup_group_device_count(self.ptr()) }
    }

    /// A group with no device is a group that is gone (an event's group
    /// after its last device was removed).
    pub fn is_gone(&self) -> bool {
        self.device_count() == 0
    }

    pub fn device(&self, i: usize) -> Option<Device<'_>> {
        let d = unsafe { sys::vfiogroup_group_device(self.ptr(), i) };
        NonNull::new(d as *mut sys::vfiogroup_device).map(|raw| Device {
            raw,
            _group: PhantomData,
        })
    }

    pub fn devices(&self) -> impl Iterator<Item = Device<'_>> + '_ {
        (0..self.device_count()).filter_map(move |i| self.device(i))
    }
}

impl Clone for Group {
    fn clone(&self) -> Group {
        // SAFETY: self holds a reference, so the group is live.
        unsafe { Group::from_borrowed(self.raw) }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: drops the one reference this value owns.
        unsafe { sys::vfiogroup_group_unref(self.raw.as_ptr()) };
    }
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("id", &self.id())
            .field("viable", &self.viable())
            .field("ready", &self.ready())
            .field("seq", &self.seq())
            .field("node", &self.node())
            .field("devices", &self.devices().collect::<Vec<_>>())
            .finish()
    }
}

/// One device of a group snapshot, borrowed from it: the lifetime is what
/// the C API means by "lives as long as g".
#[derive(Clone, Copy)]
pub struct Device<'g> {
    raw: NonNull<sys::vfiogroup_device>,
    _group: PhantomData<&'g Group>,
}

// SAFETY: a device is part of its group's immutable snapshot, which
// Group already shares between threads; the borrow keeps the group alive.
unsafe impl Send for Device<'_> {}
unsafe impl Sync for Device<'_> {}

impl<'g> Device<'g> {
    fn ptr(&self) -> *const sys::vfiogroup_device {
        self.raw.as_ptr()
    }

    /// "0000:01:00.0" for PCI.
    pub fn name(&self) -> Cow<'g, str> {
        // SAFETY (all accessors): the device lives as long as its group,
        // which 'g borrows.  The name is never NULL.
        unsafe { borrowed(sys::vfiogroup_device_name(self.ptr())) }.unwrap_or_default()
    }

    pub fn bus(&self) -> Cow<'g, str> {
        unsafe { borrowed(sys::vfiogroup_device_bus(self.ptr())) }.unwrap_or_default()
    }

    /// The bound driver, None when no driver is bound.
    pub fn driver(&self) -> Option<Cow<'g, str>> {
        unsafe { borrowed(sys::vfiogroup_device_driver(self.ptr())) }
    }

    /// false when this device alone keeps the group from being viable.
    pub fn viable(&self) -> bool {
        unsafe { sys::vfiogroup_device_viable(self.ptr()) }
    }

    /// Registered with VFIO (bound to vfio-pci or another VFIO driver).
    pub fn vfio(&self) -> bool {
        unsafe { sys::vfiogroup_device_vfio(self.ptr()) }
    }

    /// "vfioX" while registered, on kernels with VFIO device cdevs (6.1+).
    pub fn vfio_dev(&self) -> Option<Cow<'g, str>> {
        unsafe { borrowed(sys::vfiogroup_device_vfio_dev(self.ptr())) }
    }

    /// (vendor, device) PCI ids; None for a device of another bus.
    pub fn pci_id(&self) -> Option<(u16, u16)> {
        let (mut v, mut d) = (0u16, 0u16);
        if unsafe { sys::vfiogroup_device_pci_id(self.ptr(), &mut v, &mut d) } {
            Some((v, d))
        } else {
            None
        }
    }
}

impl fmt::Debug for Device<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("name", &self.name())
            .field("bus", &self.bus())
            .field("driver", &self.driver())
            .field("viable", &self.viable())
            .field("vfio", &self.vfio())
            .field("vfio_dev", &self.vfio_dev())
            .field("pci_id", &self.pci_id())
            .finish()
    }
}
