/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * vfiogroup: generic netlink family that reports IOMMU group membership,
 * driver binding and VFIO viability.
 *
 * This header is the single definition of the protocol; the YAML spec in
 * Documentation/netlink/specs/vfiogroup.yaml describes the same family and
 * is kept equal to it by tests/spec/check-spec.py.
 *
 * Requests: VFIOGROUP_CMD_GROUP_GET (do: one group, by exactly one of
 * VFIOGROUP_A_GROUP_ID and VFIOGROUP_A_GROUP_DEV_NAME, the name of one of
 * its devices; neither or both is EINVAL, no match ENOENT; dump: every
 * group, by id) and VFIOGROUP_CMD_INFO_GET (do).  Attributes are validated
 * strictly: any other attribute in a request is EINVAL.  No command changes
 * state.
 *
 * Notifications: VFIOGROUP_CMD_EVENT_NTF on the multicast group
 * VFIOGROUP_MCGRP_EVENTS.  Each carries the group's state as of its own
 * sequence number (the same attributes as a group-get reply; the group's
 * viability changes only with a VIABILITY_CHANGED event, which follows the
 * event that caused it) plus one VFIOGROUP_A_GROUP_EVENT nest, placed right
 * after VFIOGROUP_A_GROUP_ID.  A notification without devices means the
 * group is gone.  Event sequence numbers are global and grow by exactly one
 * per event, so a listener that sees a gap has lost events.  They restart
 * when the module is reloaded: a listener learns of that from ESHUTDOWN on
 * its socket and from the genetlink controller, and resynchronises.
 */
#ifndef _UAPI_LINUX_VFIOGROUP_H
#define _UAPI_LINUX_VFIOGROUP_H

#define VFIOGROUP_FAMILY_NAME		"vfiogroup"
#define VFIOGROUP_FAMILY_VERSION	1
#define VFIOGROUP_MCGRP_EVENTS		"events"

/* Longest device or driver name the family carries, NUL included. */
#define VFIOGROUP_NAME_MAX		64

enum vfiogroup_cmd {
	VFIOGROUP_CMD_UNSPEC,
	VFIOGROUP_CMD_GROUP_GET,
	VFIOGROUP_CMD_INFO_GET,
	VFIOGROUP_CMD_EVENT_NTF,

	__VFIOGROUP_CMD_MAX,
	VFIOGROUP_CMD_MAX = __VFIOGROUP_CMD_MAX - 1
};

enum vfiogroup_event {
	VFIOGROUP_EVENT_UNSPEC,
	VFIOGROUP_EVENT_DEVICE_ADDED,
	VFIOGROUP_EVENT_DEVICE_REMOVED,
	VFIOGROUP_EVENT_DRIVER_BOUND,
	VFIOGROUP_EVENT_DRIVER_UNBOUND,
	VFIOGROUP_EVENT_VIABILITY_CHANGED,

	__VFIOGROUP_EVENT_MAX,
	VFIOGROUP_EVENT_MAX = __VFIOGROUP_EVENT_MAX - 1
};

/* How the module learns of binds and unbinds (VFIOGROUP_A_INFO_NOTIFIER). */
enum vfiogroup_notifier {
	VFIOGROUP_NOTIFIER_UNSPEC,
	/* per-group iommu_group_register_notifier(), kernels up to 5.18 */
	VFIOGROUP_NOTIFIER_IOMMU_GROUP,
	/* bus_register_notifier() on every bus, kernels from 5.19 */
	VFIOGROUP_NOTIFIER_BUS,

	__VFIOGROUP_NOTIFIER_MAX,
	VFIOGROUP_NOTIFIER_MAX = __VFIOGROUP_NOTIFIER_MAX - 1
};

/* Top-level attributes of requests, replies and notifications. */
enum vfiogroup_attr {
	VFIOGROUP_A_UNSPEC,
	VFIOGROUP_A_PAD,
	VFIOGROUP_A_GROUP_ID,		/* u32: IOMMU group number */
	VFIOGROUP_A_GROUP_VIABLE,	/* u8: 1 when VFIO would call it viable */
	VFIOGROUP_A_GROUP_SEQ,		/* u64: seq of the group's last event */
	VFIOGROUP_A_GROUP_DEVICE,	/* nest, repeated: vfiogroup_dev_attr */
	VFIOGROUP_A_GROUP_DEV_NAME,	/* string, request only: find by device */
	VFIOGROUP_A_GROUP_EVENT,	/* nest, notifications: vfiogroup_event_attr */
	VFIOGROUP_A_INFO_SEQ,		/* u64: seq of the newest event */
	VFIOGROUP_A_INFO_DROPPED,	/* u64: events lost to allocation failure */
	VFIOGROUP_A_INFO_NOTIFIER,	/* u32: enum vfiogroup_notifier */
	VFIOGROUP_A_INFO_GROUPS,	/* u32: number of groups tracked */
	VFIOGROUP_A_INFO_VERSION,	/* string: module version */
	VFIOGROUP_A_INFO_EVENTS,	/* u8: 1 if events reach the requester */

	__VFIOGROUP_A_MAX,
	VFIOGROUP_A_MAX = __VFIOGROUP_A_MAX - 1
};

/* Inside VFIOGROUP_A_GROUP_DEVICE. */
enum vfiogroup_dev_attr {
	VFIOGROUP_A_DEV_UNSPEC,
	VFIOGROUP_A_DEV_NAME,		/* string: dev_name(), "0000:00:02.0" */
	VFIOGROUP_A_DEV_BUS,		/* string: bus name, "pci" */
	VFIOGROUP_A_DEV_DRIVER,		/* string: bound driver; absent if none */
	VFIOGROUP_A_DEV_VIABLE,		/* u8: 0 if it alone blocks the group */
	VFIOGROUP_A_DEV_VENDOR,		/* u16: PCI vendor id, PCI only */
	VFIOGROUP_A_DEV_DEVICE,		/* u16: PCI device id, PCI only */

	__VFIOGROUP_A_DEV_MAX,
	VFIOGROUP_A_DEV_MAX = __VFIOGROUP_A_DEV_MAX - 1
};

/* Inside VFIOGROUP_A_GROUP_EVENT. */
enum vfiogroup_event_attr {
	VFIOGROUP_A_EVENT_UNSPEC,
	VFIOGROUP_A_EVENT_PAD,
	VFIOGROUP_A_EVENT_KIND,		/* u32: enum vfiogroup_event */
	VFIOGROUP_A_EVENT_SEQ,		/* u64: global, +1 per event */
	VFIOGROUP_A_EVENT_TIME_NS,	/* u64: CLOCK_BOOTTIME, nanoseconds */
	VFIOGROUP_A_EVENT_DEV_NAME,	/* string; absent for viability-changed */
	VFIOGROUP_A_EVENT_DRIVER,	/* string: bound/unbound/left bound */

	__VFIOGROUP_A_EVENT_MAX,
	VFIOGROUP_A_EVENT_MAX = __VFIOGROUP_A_EVENT_MAX - 1
};

#endif /* _UAPI_LINUX_VFIOGROUP_H */
