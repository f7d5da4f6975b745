/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vfiogroup.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_VFIOGROUP_H
#define _UAPI_LINUX_VFIOGROUP_H

#define VFIOGROUP_FAMILY_NAME		"vfiogroup"
#define VFIOGROUP_FAMILY_VERSION	1

#define VFIOGROUP_NAME_MAX	64

/**
 * enum vfiogroup_event - Kind of a group event (value of event attribute
 *   "kind").
 * @VFIOGROUP_EVENT_DEVICE_ADDED: A device joined the group (the group may be
 *   new).
 * @VFIOGROUP_EVENT_DEVICE_REMOVED: A device left the group; when it was the
 *   last one the group is gone and the notification lists no device.
 * @VFIOGROUP_EVENT_DRIVER_BOUND: A driver was bound to a device of the group.
 * @VFIOGROUP_EVENT_DRIVER_UNBOUND: A driver was unbound from a device of the
 *   group.
 * @VFIOGROUP_EVENT_VIABILITY_CHANGED: The group's VFIO viability changed; sent
 *   right after the event that caused it.
 * @VFIOGROUP_EVENT_READY_CHANGED: The group's readiness (group attribute
 *   "group-ready") changed; sent right after the event that caused it, and
 *   after a viability-changed the same cause brought.
 */
enum vfiogroup_event {
	VFIOGROUP_EVENT_UNSPEC,
	VFIOGROUP_EVENT_DEVICE_ADDED,
	VFIOGROUP_EVENT_DEVICE_REMOVED,
	VFIOGROUP_EVENT_DRIVER_BOUND,
	VFIOGROUP_EVENT_DRIVER_UNBOUND,
	VFIOGROUP_EVENT_VIABILITY_CHANGED,
	VFIOGROUP_EVENT_READY_CHANGED,

	/* private: */
	__VFIOGROUP_EVENT_MAX,
	VFIOGROUP_EVENT_MAX = (__VFIOGROUP_EVENT_MAX - 1)
};

/**
 * enum vfiogroup_notifier - How the module learns of binds and unbinds (info
 *   attribute "notifier").
 * @VFIOGROUP_NOTIFIER_IOMMU_GROUP: Per-group iommu_group_register_notifier(),
 *   kernels up to 5.18.
 * @VFIOGROUP_NOTIFIER_BUS: bus_register_notifier() on every bus, kernels from
 *   5.19.
 */
enum vfiogroup_notifier {
	VFIOGROUP_NOTIFIER_UNSPEC,
	VFIOGROUP_NOTIFIER_IOMMU_GROUP,
	VFIOGROUP_NOTIFIER_BUS,

	/* private: */
	__VFIOGROUP_NOTIFIER_MAX,
	VFIOGROUP_NOTIFIER_MAX = (__VFIOGROUP_NOTIFIER_MAX - 1)
};

enum vfiogroup_attr {
	VFIOGROUP_A_UNSPEC,
	VFIOGROUP_A_PAD,
	VFIOGROUP_A_GROUP_ID,
	VFIOGROUP_A_GROUP_VIABLE,
	VFIOGROUP_A_GROUP_SEQ,
	VFIOGROUP_A_GROUP_DEVICE,
	VFIOGROUP_A_GROUP_DEV_NAME,
	VFIOGROUP_A_GROUP_EVENT,
	VFIOGROUP_A_GROUP_READY,
	VFIOGROUP_A_GROUP_IN_USE,

	__VFIOGROUP_A_MAX,
	VFIOGROUP_A_MAX = (__VFIOGROUP_A_MAX - 1)
};

enum vfiogroup_info_attr {
	VFIOGROUP_A_INFO_UNSPEC,
	VFIOGROUP_A_INFO_PAD,
	VFIOGROUP_A_INFO_SEQ = 8,
	VFIOGROUP_A_INFO_DROPPED,
	VFIOGROUP_A_INFO_NOTIFIER,
	VFIOGROUP_A_INFO_GROUPS,
	VFIOGROUP_A_INFO_VERSION,
	VFIOGROUP_A_INFO_EVENTS,

	__VFIOGROUP_A_INFO_MAX,
	VFIOGROUP_A_INFO_MAX = (__VFIOGROUP_A_INFO_MAX - 1)
};

enum vfiogroup_dev_attr {
	VFIOGROUP_A_DEV_UNSPEC,
	VFIOGROUP_A_DEV_NAME,
	VFIOGROUP_A_DEV_BUS,
	VFIOGROUP_A_DEV_DRIVER,
	VFIOGROUP_A_DEV_VIABLE,
	VFIOGROUP_A_DEV_VENDOR,
	VFIOGROUP_A_DEV_DEVICE,
	VFIOGROUP_A_DEV_VFIO,
	VFIOGROUP_A_DEV_VFIO_DEV,

	__VFIOGROUP_A_DEV_MAX,
	VFIOGROUP_A_DEV_MAX = (__VFIOGROUP_A_DEV_MAX - 1)
};

enum vfiogroup_event_attr {
	VFIOGROUP_A_EVENT_UNSPEC,
	VFIOGROUP_A_EVENT_PAD,
	VFIOGROUP_A_EVENT_KIND,
	VFIOGROUP_A_EVENT_SEQ,
	VFIOGROUP_A_EVENT_TIME_NS,
	VFIOGROUP_A_EVENT_DEV_NAME,
	VFIOGROUP_A_EVENT_DRIVER,

	__VFIOGROUP_A_EVENT_MAX,
	VFIOGROUP_A_EVENT_MAX = (__VFIOGROUP_A_EVENT_MAX - 1)
};

enum vfiogroup_cmd {
	VFIOGROUP_CMD_GROUP_GET = 1,
	VFIOGROUP_CMD_INFO_GET,
	VFIOGROUP_CMD_EVENT_NTF,

	__VFIOGROUP_CMD_MAX,
	VFIOGROUP_CMD_MAX = (__VFIOGROUP_CMD_MAX - 1)
};

#define VFIOGROUP_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_VFIOGROUP_H */
