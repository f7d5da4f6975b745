/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiogroup: internal declarations shared by the module's files.
 *
 * Locking, once for the whole module: vg_lock protects the group and device
 * maps, every group's device list, every group's users count and the event
 * sequence.  Nothing in the module takes an IOMMU group's notifier rwsem, or
 * registers or unregisters a notifier, while holding vg_lock; notifier
 * callbacks take vg_lock under their chain's rwsem.  So the order is always
 * device_lock -> bus/group notifier rwsem -> vg_lock.  Notifications are
 * built under vg_lock and sent by a work item (netlink.c), which takes no
 * lock of ours.
 */
#ifndef VFIOGROUP_H
#define VFIOGROUP_H

#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/vfiogroup.h>

#include "compat.h"

struct iommu_group;
struct sk_buff;

/*
 * A tracked IOMMU group.  Every vg_device holds one reference; so does
 * whoever is between looking a group up and adding a device to it.  The
 * last reference is dropped with kref_put_mutex(), so the release runs with
 * vg_lock held and a lookup under vg_lock never finds a dying group.
 * 48 bytes on 64-bit (72 with the notifier of kernels up to 5.18).
 */
struct vg_group {
	struct kref kref;
	unsigned int id;		/* the key in vg_groups */
	struct iommu_group *iommu_group;	/* reference held */
	struct list_head devices;	/* struct vg_device */
	/*
	 * Devices bound to, or being probed by, a driver that keeps the group
	 * from being viable: the kernel's own DMA users of the group.
	 * Balanced by bind/unbind, by the end of a probe and by removal, so it
	 * is zero whenever the device list is empty.
	 */
	unsigned int users;
	bool viable;			/* as last announced; see group.c */
	bool ready;			/* as last announced; see group.c */
	u64 seq;			/* seq of the group's newest event */
	struct vg_group_notifier nb;	/* compat.h: empty on bus kernels */
};

/*
 * A tracked device: 72 bytes on 64-bit.  Names are not copied: the device's
 * own (we hold a reference), its bus's and its driver's (valid while it is
 * bound: a driver unbinds every device before it goes away, and we hear of
 * each unbind) are read when a message is filled.
 */
struct vg_device {
	struct rhash_head by_dev;	/* vg_devices_by_dev */
	struct rhash_head by_name;	/* vg_devices_by_name */
	struct list_head node;		/* vg_group.devices */
	struct vg_group *group;
	struct device *dev;		/* reference held */
	struct device_driver *driver;	/* NULL when unbound */
	u32 name_hash;			/* of dev_name() when tracked */
	int vfio_index;			/* N of its vfioN, -1 if unknown */
	u16 vendor;
	u16 device;
	bool blocks_viability:1;	/* its driver is one of group->users */
	bool probing:1;			/* a blocking driver's probe is too */
	bool is_pci:1;
	bool vfio:1;			/* registered with VFIO */
};

struct vg_event {
	u32 kind;			/* enum vfiogroup_event */
	u64 seq;
	u64 time_ns;
	const char *dev_name;		/* NULL for viability-changed */
	const char *driver;		/* NULL when no driver is involved */
};

extern struct mutex vg_lock;

/* group.c: the maps, set up at load and torn down at unload */
int vg_state_init(void);
void vg_state_exit(void);

/* group.c: the lifecycle and the state it keeps */
int vg_track_device(struct device *dev);
void vg_untrack_device(struct device *dev);
void vg_device_bound(struct device *dev);
void vg_device_unbound(struct device *dev);
void vg_sync_driver(struct vg_group *group, struct device *dev,
		    struct device_driver *drv);
void vg_claim_driver(struct device *dev, struct device_driver *drv);
void vg_teardown(void);
struct vg_group *vg_group_by_id(u32 id);
struct vg_group *vg_group_from(unsigned long *id);
struct vg_group *vg_group_by_dev_name(const char *name);
u64 vg_last_seq(void);
u64 vg_dropped(void);
void vg_note_loss(void);
unsigned int vg_group_count(void);

static inline bool vg_group_viable(const struct vg_group *group)
{
	return group->viable;
}

static inline bool vg_group_ready(const struct vg_group *group)
{
	return group->ready;
}

/* Whether @vdev alone keeps its group from being viable right now. */
static inline bool vg_device_blocks(const struct vg_device *vdev)
{
	return vdev->blocks_viability || vdev->probing;
}

/* viability.c: the rule VFIO applies on the kernel we were built for */
bool vg_driver_blocks_viability(struct device *dev,
				struct device_driver *drv);
/*
 * Whether @dev, bound to @drv (NULL: none), is registered with VFIO; the N
 * of its VFIO name vfioN (from 6.1) in @index, -1 where unknown.
 */
bool vg_vfio_registered(struct device *dev, struct device_driver *drv,
			int *index);
/*
 * Whether a user (a VFIO container, iommufd) holds @group's DMA; read from
 * the IOMMU core, not announced.  VG_SEES_IN_USE: whether this kernel lets
 * a module see it (from 5.19); elsewhere always false.
 */
bool vg_group_in_use(const struct vg_group *group);

/* A bus we follow: one the IOMMU core puts devices of groups on. */
struct vg_bus {
	const struct bus_type *type;
	/*
	 * From 5.19: a driver's opt-out from the DMA claim this bus makes at
	 * probe; NULL where the bus never claims.
	 */
	bool (*managed_dma)(struct device_driver *drv);
	struct notifier_block nb;
	struct list_head node;		/* followed buses, under vg_lock */
};

/* buses.c: which buses are followed */
int vg_bus_init(void);
void vg_bus_exit(void);
int vg_bus_follow(struct vg_bus *bus);
void vg_bus_unfollow(struct vg_bus *bus);
const struct vg_bus *vg_bus_of(const struct device *dev);

/* bus_notifier.c: device discovery, and binds on bus-notifier kernels */
int vg_bus_notify(struct notifier_block *nb, unsigned long action,
		  void *data);

/* netlink.c: the generic netlink family */
int vg_nl_init(void);
void vg_nl_exit(void);
int vg_nl_notify(const struct vg_group *group, const struct vg_event *ev);
void vg_nl_deliver(void);
void vg_nl_set_err(int err);
void vg_nl_lost(void);

#endif /* VFIOGROUP_H */
