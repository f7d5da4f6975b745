// SPDX-License-Identifier: LGPL-2.1-or-later
//! Raw declarations of libvfiogroup (`include/vfiogroup.h`), written by
//! hand: the header is small and stable (its symbols are versioned,
//! `libvfiogroup/libvfiogroup.sym`), so bindgen and libclang are not needed
//! to build.  Every item keeps the C name; the conventions, ownership rules
//! and guarantees are the header's.  Use the `vfiogroup` crate for a safe
//! API.
//!
//! `tests/symbols.rs` checks that every exported symbol is declared here
//! (but `vfiogroup_set_log_fn`, see below), and `tests/layout.rs` the
//! sizes of the structures the caller allocates.
#![no_std]
#![allow(non_camel_case_types)]

use libc::{c_char, c_int, c_uint, c_void, size_t};

/// One connection to the kernel family (opaque).
#[repr(C)]
pub struct vfiogroup_ctx {
    _opaque: [u8; 0],
}
/// Immutable, reference-counted snapshot of one IOMMU group (opaque).
#[repr(C)]
pub struct vfiogroup_group {
    _opaque: [u8; 0],
}
/// One device of a group snapshot (opaque; lives as long as its group).
#[repr(C)]
pub struct vfiogroup_device {
    _opaque: [u8; 0],
}
/// Set of group ids a subscription wants (opaque).
#[repr(C)]
pub struct vfiogroup_filter {
    _opaque: [u8; 0],
}
/// One subscription (opaque).
#[repr(C)]
pub struct vfiogroup_sub {
    _opaque: [u8; 0],
}

// enum vfiogroup_ctx_flags
pub const VFIOGROUP_CTX_WAIT_MODULE: c_uint = 1 << 0;
pub const VFIOGROUP_CTX_NO_KERNEL_FILTER: c_uint = 1 << 1;
pub const VFIOGROUP_CTX_NONBLOCK_QUERIES: c_uint = 1 << 2;

// enum vfiogroup_not_ready
pub const VFIOGROUP_NR_NONE: c_int = 0;
pub const VFIOGROUP_NR_NOT_VIABLE: c_int = 1;
pub const VFIOGROUP_NR_NO_VFIO: c_int = 2;
pub const VFIOGROUP_NR_IN_USE: c_int = 3;

// enum vfiogroup_event_kind
pub const VFIOGROUP_EV_DEVICE_ADDED: c_uint = 1;
pub const VFIOGROUP_EV_DEVICE_REMOVED: c_uint = 2;
pub const VFIOGROUP_EV_DRIVER_BOUND: c_uint = 3;
pub const VFIOGROUP_EV_DRIVER_UNBOUND: c_uint = 4;
pub const VFIOGROUP_EV_VIABILITY_CHANGED: c_uint = 5;
pub const VFIOGROUP_EV_READY_CHANGED: c_uint = 6;
pub const VFIOGROUP_EV_RESYNC: c_uint = 16;
pub const VFIOGROUP_EV_DISCONNECTED: c_uint = 17;
pub const VFIOGROUP_EV_RECONNECTED: c_uint = 18;

/// `VFIOGROUP_EVMASK(kind)`.
pub const fn vfiogroup_evmask(kind: c_uint) -> c_uint {
    1 << kind
}
pub const VFIOGROUP_EVMASK_GROUP: c_uint = 0x7e;
pub const VFIOGROUP_EVMASK_NOTICES: c_uint = vfiogroup_evmask(VFIOGROUP_EV_RESYNC)
    | vfiogroup_evmask(VFIOGROUP_EV_DISCONNECTED)
    | vfiogroup_evmask(VFIOGROUP_EV_RECONNECTED);
pub const VFIOGROUP_EVMASK_ALL: c_uint = VFIOGROUP_EVMASK_GROUP | VFIOGROUP_EVMASK_NOTICES;

// enum vfiogroup_event_flags
pub const VFIOGROUP_EVENT_SYNTHESIZED: c_uint = 1 << 0;

// enum vfiogroup_wait_flags
pub const VFIOGROUP_WAIT_READY: c_uint = 1 << 0;
pub const VFIOGROUP_WAIT_GONE: c_uint = 1 << 1;

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vfiogroup_readiness {
    pub ready: c_int,
    pub reason: c_int,
    pub in_use: c_int,
    pub group_id: u32,
    pub device: [c_char; 64],
    pub driver: [c_char; 64],
    pub node: [c_char; 32],
    pub vfio_dev: [c_char; 64],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct vfiogroup_info {
    pub seq: u64,
    pub dropped: u64,
    pub notifier: u32,
    pub groups: u32,
    pub version: [c_char; 64],
}

/// What a callback receives; valid only during the callback.  The library
/// may append fields, so never allocate one for the library to fill.
#[repr(C)]
#[derive(Debug)]
pub struct vfiogroup_ev {
    pub kind: c_uint,
    pub flags: c_uint,
    pub group_id: u32,
    pub seq: u64,
    pub time_ns: u64,
    pub dev_name: *const c_char,
    pub driver: *const c_char,
    pub group: *const vfiogroup_group,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct vfiogroup_stats {
    pub messages: u64,
    pub events: u64,
    pub delivered: u64,
    pub stale: u64,
    pub malformed: u64,
    pub foreign: u64,
    pub overruns: u64,
    pub gaps: u64,
    pub resyncs: u64,
    pub synthesized: u64,
    pub disconnects: u64,
    pub reconnects: u64,
    pub drained: u64,
}

pub type vfiogroup_cb = Option<
    unsafe extern "C" fn(sub: *mut vfiogroup_sub, ev: *const vfiogroup_ev, userdata: *mut c_void),
>;

// vfiogroup_set_log_fn() is not declared: its callback takes a va_list,
// which stable Rust cannot receive portably (an array on x86-64, a struct
// on arm64).  $VFIOGROUP_LOG and the priority functions still work.
extern "C" {
    pub fn vfiogroup_ctx_new(out: *mut *mut vfiogroup_ctx, flags: c_uint) -> c_int;
    pub fn vfiogroup_ctx_ref(ctx: *mut vfiogroup_ctx) -> *mut vfiogroup_ctx;
    pub fn vfiogroup_ctx_unref(ctx: *mut vfiogroup_ctx) -> *mut vfiogroup_ctx;
    pub fn vfiogroup_ctx_last_error(ctx: *const vfiogroup_ctx) -> *const c_char;
    pub fn vfiogroup_ctx_error(ctx: *const vfiogroup_ctx, buf: *mut c_char, size: size_t)
        -> c_int;
    pub fn vfiogroup_set_log_priority(ctx: *mut vfiogroup_ctx, priority: c_int);
    pub fn vfiogroup_get_log_priority(ctx: *const vfiogroup_ctx) -> c_int;
    pub fn vfiogroup_ctx_connected(ctx: *mut vfiogroup_ctx) -> c_int;
    pub fn vfiogroup_strerror(err: c_int) -> *const c_char;
    pub fn vfiogroup_version() -> *const c_char;

    pub fn vfiogroup_group_ids(ctx: *mut vfiogroup_ctx, ids: *mut *mut u32) -> c_int;
    pub fn vfiogroup_get_group(
        ctx: *mut vfiogroup_ctx,
        id: u32,
        out: *mut *mut vfiogroup_group,
    ) -> c_int;
    pub fn vfiogroup_find_device(
        ctx: *mut vfiogroup_ctx,
        dev_name: *const c_char,
        out: *mut *mut vfiogroup_group,
    ) -> c_int;
    pub fn vfiogroup_is_viable(ctx: *mut vfiogroup_ctx, id: u32) -> c_int;

    pub fn vfiogroup_group_ref(g: *mut vfiogroup_group) -> *mut vfiogroup_group;
    pub fn vfiogroup_group_unref(g: *mut vfiogroup_group) -> *mut vfiogroup_group;
    pub fn vfiogroup_group_id(g: *const vfiogroup_group) -> u32;
    pub fn vfiogroup_group_viable(g: *const vfiogroup_group) -> bool;
    pub fn vfiogroup_group_seq(g: *const vfiogroup_group) -> u64;
    pub fn vfiogroup_group_device_count(g: *const vfiogroup_group) -> size_t;
    pub fn vfiogroup_group_device(g: *const vfiogroup_group, i: size_t)
        -> *const vfiogroup_device;
    pub fn vfiogroup_device_name(d: *const vfiogroup_device) -> *const c_char;
    pub fn vfiogroup_device_bus(d: *const vfiogroup_device) -> *const c_char;
    pub fn vfiogroup_device_driver(d: *const vfiogroup_device) -> *const c_char;
    pub fn vfiogroup_device_viable(d: *const vfiogroup_device) -> bool;
    pub fn vfiogroup_device_pci_id(
        d: *const vfiogroup_device,
        vendor: *mut u16,
        device: *mut u16,
    ) -> bool;

    pub fn vfiogroup_group_ready(g: *const vfiogroup_group) -> bool;
    pub fn vfiogroup_group_node(g: *const vfiogroup_group) -> *const c_char;
    pub fn vfiogroup_device_vfio(d: *const vfiogroup_device) -> bool;
    pub fn vfiogroup_device_vfio_dev(d: *const vfiogroup_device) -> *const c_char;

    pub fn vfiogroup_readiness(
        ctx: *mut vfiogroup_ctx,
        id: u32,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;
    pub fn vfiogroup_device_readiness(
        ctx: *mut vfiogroup_ctx,
        dev_name: *const c_char,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;
    pub fn vfiogroup_is_ready(ctx: *mut vfiogroup_ctx, id: u32) -> c_int;
    pub fn vfiogroup_device_is_ready(ctx: *mut vfiogroup_ctx, dev_name: *const c_char) -> c_int;
    pub fn vfiogroup_info(ctx: *mut vfiogroup_ctx, out: *mut vfiogroup_info) -> c_int;

    pub fn vfiogroup_filter_new(out: *mut *mut vfiogroup_filter) -> c_int;
    pub fn vfiogroup_filter_add_group(f: *mut vfiogroup_filter, id: u32) -> c_int;
    pub fn vfiogroup_filter_free(f: *mut vfiogroup_filter);
    pub fn vfiogroup_subscribe(
        ctx: *mut vfiogroup_ctx,
        filter: *const vfiogroup_filter,
        event_mask: c_uint,
        cb: vfiogroup_cb,
        userdata: *mut c_void,
        out: *mut *mut vfiogroup_sub,
    ) -> c_int;
    pub fn vfiogroup_subscribe_device(
        ctx: *mut vfiogroup_ctx,
        dev_name: *const c_char,
        event_mask: c_uint,
        cb: vfiogroup_cb,
        userdata: *mut c_void,
        out: *mut *mut vfiogroup_sub,
    ) -> c_int;
    pub fn vfiogroup_unsubscribe(sub: *mut vfiogroup_sub);

    pub fn vfiogroup_get_fd(ctx: *mut vfiogroup_ctx) -> c_int;
    pub fn vfiogroup_dispatch(ctx: *mut vfiogroup_ctx) -> c_int;
    pub fn vfiogroup_wait_viable(ctx: *mut vfiogroup_ctx, id: u32, timeout_ms: c_int) -> c_int;
    pub fn vfiogroup_wait_ready(
        ctx: *mut vfiogroup_ctx,
        id: u32,
        timeout_ms: c_int,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;
    pub fn vfiogroup_wait_device_ready(
        ctx: *mut vfiogroup_ctx,
        dev_name: *const c_char,
        timeout_ms: c_int,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;
    pub fn vfiogroup_wait_group(
        ctx: *mut vfiogroup_ctx,
        id: u32,
        flags: c_uint,
        timeout_ms: c_int,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;
    pub fn vfiogroup_wait_device(
        ctx: *mut vfiogroup_ctx,
        dev_name: *const c_char,
        flags: c_uint,
        timeout_ms: c_int,
        out: *mut vfiogroup_readiness,
        size: size_t,
    ) -> c_int;

    pub fn vfiogroup_stats(
        ctx: *mut vfiogroup_ctx,
        out: *mut vfiogroup_stats,
        size: size_t,
    ) -> c_int;
}
