// SPDX-License-Identifier: LGPL-2.1-or-later
//! What a subscription's callback receives.
use std::borrow::Cow;
use std::marker::PhantomData;
use std::ops::BitOr;
use std::ptr::NonNull;

use vfiogroup_sys as sys;

use crate::group::Group;
use crate::text::borrowed;

/// enum vfiogroup_event_kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    DeviceAdded,
    DeviceRemoved,
    DriverBound,
    DriverUnbound,
    ViabilityChanged,
    ReadyChanged,
    /// Notice: events were lost; the synthesized events that bring the
    /// subscriber up to date came first.
    Resync,
    /// Notice: the module was unloaded.
    Disconnected,
    /// Notice: the module is back; differences were synthesized first.
    Reconnected,
    /// A kind this crate does not know (a newer library).
    Other(u32),
}

impl EventKind {
    pub fn from_raw(k: u32) -> EventKind {
        match k {
            sys::VFIOGROUP_EV_DEVICE_ADDED => EventKind::DeviceAdded,
            sys::VFIOGROUP_EV_DEVICE_REMOVED => EventKind::DeviceRemoved,
            sys::VFIOGROUP_EV_DRIVER_BOUND => EventKind::DriverBound,
            sys::VFIOGROUP_EV_DRIVER_UNBOUND => EventKind::DriverUnbound,
            sys::VFIOGROUP_EV_VIABILITY_CHANGED => EventKind::ViabilityChanged,
            sys::VFIOGROUP_EV_READY_CHANGED => EventKind::ReadyChanged,
            sys::VFIOGROUP_EV_RESYNC => EventKind::Resync,
            sys::VFIOGROUP_EV_DISCONNECTED => EventKind::Disconnected,
            sys::VFIOGROUP_EV_RECONNECTED => EventKind::Reconnected,
            k => EventKind::Other(k),
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            EventKind::DeviceAdded => sys::VFIOGROUP_EV_DEVICE_ADDED,
            EventKind::DeviceRemoved => sys::VFIOGROUP_EV_DEVICE_REMOVED,
            EventKind::DriverBound => sys::VFIOGROUP_EV_DRIVER_BOUND,
            EventKind::DriverUnbound => sys::VFIOGROUP_EV_DRIVER_UNBOUND,
            EventKind::ViabilityChanged => sys::VFIOGROUP_EV_VIABILITY_CHANGED,
            EventKind::ReadyChanged => sys::VFIOGROUP_EV_READY_CHANGED,
            EventKind::Resync => sys::VFIOGROUP_EV_RESYNC,
            EventKind::Disconnected => sys::VFIOGROUP_EV_DISCONNECTED,
            EventKind::Reconnected => sys::VFIOGROUP_EV_RECONNECTED,
            EventKind::Other(k) => k,
        }
    }

    /// A notice is about the connection, not one group.
    pub fn is_notice(self) -> bool {
        EventMask::NOTICES.contains(self)
    }
}

/// Which kinds a subscription wants (VFIOGROUP_EVMASK_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMask(u32);

impl EventMask {
    pub const GROUP: EventMask = EventMask(sys::VFIOGROUP_EVMASK_GROUP);
    pub const NOTICES: EventMask = EventMask(sys::VFIOGROUP_EVMASK_NOTICES);
    pub const ALL: EventMask = EventMask(sys::VFIOGROUP_EVMASK_ALL);

    /// The mask of one kind; empty for a kind that cannot be a bit of the
    /// 32-bit mask, rather than an overflowing shift.
    pub fn of(kind: EventKind) -> EventMask {
        let k = kind.raw();
        EventMask(if k < 32 { sys::vfiogroup_evmask(k) } else { 0 })
    }

    pub fn contains(self, kind: EventKind) -> bool {
        let one = EventMask::of(kind).0;
        one != 0 && self.0 & one == one
    }

    pub fn bits(self) -> u32 {
        self.0
    }
}

impl BitOr for EventMask {
    type Output = EventMask;
    fn bitor(self, o: EventMask) -> EventMask {
        EventMask(self.0 | o.0)
    }
}

impl From<EventKind> for EventMask {
    fn from(k: EventKind) -> EventMask {
        EventMask::of(k)
    }
}

/// One event, lent to the callback: the lifetime keeps it (and the
/// strings and group it points to) from outliving the call, which is as
/// long as the C library keeps them.  Keep the group with `group()`, which
/// takes a reference.
pub struct Event<'a> {
    raw: &'a sys::vfiogroup_ev,
    _not_send: PhantomData<*const ()>,
}

impl<'a> Event<'a> {
    /// # Safety
    /// raw is the library's event, valid for 'a.
    pub(crate) unsafe fn from_raw(raw: &'a sys::vfiogroup_ev) -> Event<'a> {
        Event {
            raw,
            _not_send: PhantomData,
        }
    }

    pub fn kind(&self) -> EventKind {
        EventKind::from_raw(self.raw.kind)
    }

    /// Made up from the difference between the cache and a fresh dump
    /// (after lost events or a reconnect), not sent by the kernel.
    pub fn synthesized(&self) -> bool {
        self.raw.flags & sys::VFIOGROUP_EVENT_SYNTHESIZED != 0
    }

    /// Meaningless for notices.
    pub fn group_id(&self) -> u32 {
        self.raw.group_id
    }

    pub fn seq(&self) -> u64 {
        self.raw.seq
    }

    /// CLOCK_BOOTTIME of the event, 0 when synthesized.
    pub fn time_ns(&self) -> u64 {
        self.raw.time_ns
    }

    pub fn device(&self) -> Option<Cow<'a, str>> {
        // SAFETY: valid during the callback, which 'a spans.
        unsafe { borrowed(self.raw.dev_name) }
    }

    pub fn driver(&self) -> Option<Cow<'a, str>> {
        // SAFETY: as above.
        unsafe { borrowed(self.raw.driver) }
    }

    /// The group's state right after the event (a new reference, yours to
    /// keep); None for notices.  A group with no device is gone.
    pub fn group(&self) -> Option<Group> {
        if self.kind().is_notice() {
            return None;
        }
        // SAFETY: the library's group, live during the callback; the
        // new reference keeps it alive after.
        NonNull::new(self.raw.group as *mut sys::vfiogroup_group)
            .map(|g| unsafe { Group::from_borrowed(g) })
    }
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("kind", &self.kind())
            .field("synthesized", &self.synthesized())
            .field("group_id", &self.group_id())
            .field("seq", &self.seq())
            .field("device", &self.device())
            .field("driver", &self.driver())
            .finish()
    }
}

/// A RESYNC notice as the C library hands it over: for the unit tests.
#[cfg(test)]
pub(crate) fn test_notice() -> sys::vfiogroup_ev {
    sys::vfiogroup_ev {
        kind: sys::VFIOGROUP_EV_RESYNC,
        flags: 0,
        group_id: 0,
        seq: 0,
        time_ns: 0,
        dev_name: std::ptr::null(),
        driver: std::ptr::null(),
        group: std::ptr::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in [1u32, 2, 3, 4, 5, 6, 16, 17, 18, 7, 99] {
            assert_eq!(EventKind::from_raw(k).raw(), k);
        }
        assert_eq!(EventKind::from_raw(7), EventKind::Other(7));
    }

    #[test]
    fn masks_are_the_headers() {
        let group = [
            EventKind::DeviceAdded,
            EventKind::DeviceRemoved,
            EventKind::DriverBound,
            EventKind::DriverUnbound,
            EventKind::ViabilityChanged,
            EventKind::ReadyChanged,
        ];
        let all_group = group.iter().fold(EventMask(0), |m, &k| m | k.into());
        assert_eq!(all_group, EventMask::GROUP);
        let notices = EventMask::from(EventKind::Resync)
            | EventKind::Disconnected.into()
            | EventKind::Reconnected.into();
        assert_eq!(notices, EventMask::NOTICES);
        assert_eq!(EventMask::GROUP | EventMask::NOTICES, EventMask::ALL);
        assert!(EventKind::Resync.is_notice());
        assert!(!EventKind::DriverBound.is_notice());
        assert!(!EventMask::ALL.contains(EventKind::Other(40)));
        assert_eq!(EventMask::of(EventKind::Other(40)).bits(), 0);
    }

    #[test]
    fn notice_has_no_group() {
        let raw = test_notice();
        // SAFETY: a valid event for the test's duration.
        let ev = unsafe { Event::from_raw(&raw) };
        assert_eq!(ev.kind(), EventKind::Resync);
        assert!(ev.group().is_none() && ev.device().is_none() && !ev.synthesized());
    }
}
