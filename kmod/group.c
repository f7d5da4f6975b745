// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: tracked IOMMU groups, their devices and the events they make.
 *
 * The lifecycle is VFIO's after Linux 5.16 ("vfio: Delete vfio_get/put_group
 * from vfio_iommu_group_notifier()"):
 *
 * - groups live on vg_groups under vg_lock; lookup-or-create takes a
 *   reference under that mutex; the last reference goes through
 *   kref_put_mutex(), so the release runs with vg_lock held;
 * - a group's IOMMU notifier (kernels up to 5.18) is registered before the
 *   group is put on the list and unregistered after it is taken off, both
 *   outside vg_lock, because its callback takes vg_lock under the chain's
 *   rwsem (the other order is an A-B/B-A inversion);
 * - no try-get and no deferred put: a blocking notifier's callback never
 *   runs outside its registration, and it never takes or drops a group
 *   reference (membership belongs to the bus notifier), so it can never drop
 *   the last one under the rwsem that unregistering needs for write;
 * - the callback can still run in two fringe windows: after registration but
 *   before list_add(), and after the kref reached zero but before the
 *   notifier is unregistered.  In both the device list is empty and users is
 *   zero, so a callback finds no device of its own and changes nothing;
 *   vg_group_release() asserts both facts;
 * - the per-group device list is freed directly before kfree(), once no
 *   callback can be running.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "vfiogroup.h"

/* Guards vg_groups, every group's devices and users, and the sequence. */
DEFINE_MUTEX(vg_lock);
LIST_HEAD(vg_groups);

/* Both under vg_lock. */
static u64 vg_seq;
static u64 vg_lost;

u64 vg_last_seq(void)
{
	lockdep_assert_held(&vg_lock);
	return vg_seq;
}

u64 vg_dropped(void)
{
	lockdep_assert_held(&vg_lock);
	return vg_lost;
}

unsigned int vg_group_count(void)
{
	struct vg_group *group;
	unsigned int n = 0;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(group, &vg_groups, node)
		if (!list_empty(&group->devices))
			n++;
	return n;
}

/*
 * Listeners learn of a lost event twice: from ENOBUFS on their socket, which
 * reaches even those whose socket filter hides other groups' events, and
 * from the gap in the sequence numbers.
 */
static void vg_count_loss(void)
{
	lockdep_assert_held(&vg_lock);
	vg_lost++;
	vg_nl_lost();
}

/* An event we could not describe still takes its sequence number. */
static void vg_lose_event(void)
{
	lockdep_assert_held(&vg_lock);
	vg_seq++;
	vg_count_loss();
}

static void vg_emit(struct vg_group *group, u32 kind, const char *dev_name,
		    const char *driver)
{
	struct vg_event ev = {
		.kind = kind,
		.time_ns = ktime_get_boottime_ns(),
		.dev_name = dev_name,
		.driver = driver,
	};

	lockdep_assert_held(&vg_lock);
	ev.seq = ++vg_seq;
	group->seq = ev.seq;
	if (vg_nl_notify(group, &ev))
		vg_count_loss();
}

static struct vg_group *vg_group_find(struct iommu_group *iommu_group)
{
	struct vg_group *group;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(group, &vg_groups, node)
		if (group->iommu_group == iommu_group)
			return group;
	return NULL;
}

static struct vg_device *vg_device_find(struct vg_group *group,
					struct device *dev)
{
	struct vg_device *vdev;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(vdev, &group->devices, node)
		if (vdev->dev == dev)
			return vdev;
	return NULL;
}

/*
 * By the time a device is removed its IOMMU group may already be gone
 * (the IOMMU core releases it at BUS_NOTIFY_REMOVED_DEVICE), so removal
 * finds the device by its own pointer, across groups.
 */
static struct vg_device *vg_device_find_any(struct device *dev)
{
	struct vg_group *group;
	struct vg_device *vdev;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(group, &vg_groups, node) {
		vdev = vg_device_find(group, dev);
		if (vdev)
			return vdev;
	}
	return NULL;
}

/* Keeps vg_groups sorted by id, the order dumps promise. */
static void vg_group_insert(struct vg_group *group)
{
	struct vg_group *pos;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(pos, &vg_groups, node)
		if (pos->id > group->id)
			break;
	list_add_tail(&group->node, &pos->node);
}

/* Called with vg_lock held; returns with it released. */
static void vg_group_unlock_and_free(struct vg_group *group)
{
	struct vg_device *vdev, *tmp;

	mutex_unlock(&vg_lock);
	/*
	 * Unregister outside vg_lock (the callback takes it under the chain's
	 * rwsem).  A callback still running finds the device list empty and
	 * users zero, so it does nothing; after this no callback can run.
	 */
	vg_group_notifier_unregister(group);

	/* Empty unless a WARN in vg_group_release() fired: free it anyway. */
	list_for_each_entry_safe(vdev, tmp, &group->devices, node) {
		list_del(&vdev->node);
		put_device(vdev->dev);
		kfree(vdev);
	}
	iommu_group_put(group->iommu_group);
	kfree(group);
}

/* kref_put_mutex() calls this with vg_lock held; it releases it. */
static void vg_group_release(struct kref *kref)
{
	struct vg_group *group = container_of(kref, struct vg_group, kref);

	WARN_ON(!list_empty(&group->devices));
	WARN_ON(group->users);
	list_del(&group->node);
	vg_group_unlock_and_free(group);
}

static void vg_group_put(struct vg_group *group)
{
	kref_put_mutex(&group->kref, vg_group_release, &vg_lock);
}

/* Takes over the caller's reference to @iommu_group, whatever happens. */
static struct vg_group *vg_group_create(struct iommu_group *iommu_group)
{
	struct vg_group *group, *existing;
	int ret;

	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group) {
		iommu_group_put(iommu_group);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&group->kref);
	INIT_LIST_HEAD(&group->devices);
	group->iommu_group = iommu_group;
	group->id = iommu_group_id(iommu_group);
	group->viable = true;

	/*
	 * Fringe window one starts here: the notifier may call us before the
	 * group is listed.  Its device list is empty and users is zero until
	 * vg_lock is taken below, so the callback has nothing to do.
	 */
	ret = vg_group_notifier_register(group);
	if (ret) {
		iommu_group_put(iommu_group);
		kfree(group);
		return ERR_PTR(ret);
	}

	mutex_lock(&vg_lock);
	/* Did another device of the same group race us here? */
	existing = vg_group_find(iommu_group);
	if (existing) {
		kref_get(&existing->kref);
		vg_group_unlock_and_free(group);
		return existing;
	}
	vg_group_insert(group);
	mutex_unlock(&vg_lock);
	return group;
}

/* Whether a VMM could open the group now, as far as its drivers go. */
static bool vg_group_openable(const struct vg_group *group)
{
	const struct vg_device *vdev;

	if (group->users)
		return false;
	list_for_each_entry(vdev, &group->devices, node)
		if (vdev->vfio)
			return true;
	return false;
}

/*
 * The group's viability and readiness as announced: each changes only
 * together with its own event, so every notification shows the state that
 * holds at its own sequence number.  Readiness follows viability, which
 * follows the event that caused both.
 */
static void vg_group_update_state(struct vg_group *group)
{
	bool viable = group->users == 0;
	bool ready = vg_group_openable(group);

	if (viable != group->viable) {
		group->viable = viable;
		vg_emit(group, VFIOGROUP_EVENT_VIABILITY_CHANGED, NULL, NULL);
	}
	if (ready != group->ready) {
		group->ready = ready;
		vg_emit(group, VFIOGROUP_EVENT_READY_CHANGED, NULL, NULL);
	}
}

/*
 * A probe in progress: the bus claimed the group's DMA for @drv before
 * calling the driver's probe (from 5.19 in dma_configure(); earlier VFIO
 * sees dev->driver already set), so the group is not viable until the
 * probe's outcome, BUS_NOTIFY_BOUND_DRIVER or _DRIVER_NOT_BOUND, ends it.
 */
static void vg_device_claim(struct vg_device *vdev, struct device_driver *drv)
{
	lockdep_assert_held(&vg_lock);
	if (vdev->probing || !vg_driver_blocks_viability(vdev->dev, drv))
		return;
	vdev->probing = true;
	vdev->group->users++;
	vg_group_update_state(vdev->group);
}

/*
 * Records @drv (NULL: none) as the driver of @vdev, and ends the claim of
 * a probe.  Every change of dev->driver is followed by a bound, unbound or
 * not-bound notification, and each of them calls this, so whichever call
 * comes last leaves the right state; a call that finds nothing changed says
 * nothing.  The state is changed before each event is announced, so the
 * notification carries the group as it is right after its event; an
 * unbound event still names the driver that left.
 */
static void vg_device_set_driver(struct vg_device *vdev,
				 struct device_driver *drv)
{
	struct vg_group *group = vdev->group;
	char old[VFIOGROUP_NAME_MAX];

	lockdep_assert_held(&vg_lock);
	vdev->vfio = vg_vfio_registered(vdev->dev, drv, vdev->vfio_dev);
	if (vdev->probing) {
		vdev->probing = false;
		group->users--;
	}
	if (strcmp(vdev->driver, drv ? drv->name : "")) {
		if (vdev->driver[0]) {
			if (vdev->blocks_viability)
				group->users--;
			vdev->blocks_viability = false;
			strscpy(old, vdev->driver, sizeof(old));
			vdev->driver[0] = '\0';
			vg_emit(group, VFIOGROUP_EVENT_DRIVER_UNBOUND,
				vdev->name, old);
		}
		if (drv) {
			strscpy(vdev->driver, drv->name, sizeof(vdev->driver));
			vdev->blocks_viability =
				vg_driver_blocks_viability(vdev->dev, drv);
			if (vdev->blocks_viability)
				group->users++;
			vg_emit(group, VFIOGROUP_EVENT_DRIVER_BOUND, vdev->name,
				vdev->driver);
		}
	}
	vg_group_update_state(group);
}

static int vg_group_add_device(struct vg_group *group, struct device *dev)
{
	struct vg_device *vdev;

	lockdep_assert_held(&vg_lock);
	vdev = vg_device_find(group, dev);
	if (vdev) {
		vg_device_set_driver(vdev, READ_ONCE(dev->driver));
		return 0;
	}

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev) {
		vg_lose_event();
		return -ENOMEM;
	}
	vdev->group = group;
	vdev->dev = get_device(dev);
	strscpy(vdev->name, dev_name(dev), sizeof(vdev->name));
	strscpy(vdev->bus, dev->bus ? dev->bus->name : "", sizeof(vdev->bus));
	if (dev_is_pci(dev)) {
		vdev->is_pci = true;
		vdev->vendor = to_pci_dev(dev)->vendor;
		vdev->device = to_pci_dev(dev)->device;
	}

	kref_get(&group->kref);
	list_add_tail(&vdev->node, &group->devices);
	vg_emit(group, VFIOGROUP_EVENT_DEVICE_ADDED, vdev->name, NULL);
	vg_device_set_driver(vdev, READ_ONCE(dev->driver));
	return 0;
}

/* The caller drops the device's group reference once vg_lock is released. */
static void vg_group_del_device(struct vg_device *vdev, bool announce)
{
	struct vg_group *group = vdev->group;

	lockdep_assert_held(&vg_lock);
	if (vdev->blocks_viability)
		group->users--;
	if (vdev->probing)
		group->users--;
	list_del(&vdev->node);
	if (!announce)
		return;

	vg_emit(group, VFIOGROUP_EVENT_DEVICE_REMOVED, vdev->name,
		vdev->driver[0] ? vdev->driver : NULL);
	/* An empty group is gone for listeners: its state changes silently. */
	if (list_empty(&group->devices)) {
		group->viable = true;
		group->ready = false;
	} else {
		vg_group_update_state(group);
	}
}

static void vg_device_free(struct vg_device *vdev)
{
	put_device(vdev->dev);
	kfree(vdev);
}

/**
 * vg_track_device() - start following @dev if it belongs to an IOMMU group
 * @dev: any device; one without an IOMMU group is ignored
 *
 * Idempotent: a device already tracked only has its driver state refreshed.
 *
 * Return: 0, or -ENOMEM; an error also costs listeners one sequence number.
 */
int vg_track_device(struct device *dev)
{
	struct iommu_group *iommu_group;
	struct vg_group *group;
	int ret;

	iommu_group = iommu_group_get(dev);
	if (!iommu_group)
		return 0;

	mutex_lock(&vg_lock);
	group = vg_group_find(iommu_group);
	if (group)
		kref_get(&group->kref);
	mutex_unlock(&vg_lock);

	if (group) {
		iommu_group_put(iommu_group);
	} else {
		group = vg_group_create(iommu_group);
		if (IS_ERR(group)) {
			mutex_lock(&vg_lock);
			vg_lose_event();
			mutex_unlock(&vg_lock);
			return PTR_ERR(group);
		}
	}

	mutex_lock(&vg_lock);
	ret = vg_group_add_device(group, dev);
	mutex_unlock(&vg_lock);
	vg_group_put(group);
	return ret;
}

/**
 * vg_untrack_device() - forget @dev and tell listeners it was removed
 * @dev: the device being deleted; nothing happens if it was not tracked
 */
void vg_untrack_device(struct device *dev)
{
	struct vg_device *vdev;
	struct vg_group *group;

	mutex_lock(&vg_lock);
	vdev = vg_device_find_any(dev);
	if (!vdev) {
		mutex_unlock(&vg_lock);
		return;
	}
	group = vdev->group;
	vg_group_del_device(vdev, true);
	mutex_unlock(&vg_lock);

	vg_device_free(vdev);
	vg_group_put(group);
}

/**
 * vg_follow_group_change() - move @dev if its IOMMU group is another now
 * @dev: a device at a bind or an unbind, its device lock held
 *
 * VFIO's no-IOMMU mode puts a device into a group of its own making when
 * vfio-pci binds and takes it out again when it unbinds, with no bus
 * add or remove: such a device leaves its old group (device-removed) and,
 * if it has a new one, joins it (device-added).  An untracked device is
 * left alone (it may be one device_del() already removed).
 */
void vg_follow_group_change(struct device *dev)
{
	struct iommu_group *now = iommu_group_get(dev);
	struct vg_device *vdev;
	bool moved;

	mutex_lock(&vg_lock);
	vdev = vg_device_find_any(dev);
	moved = vdev && vdev->group->iommu_group != now;
	mutex_unlock(&vg_lock);
	if (now)
		iommu_group_put(now);
	if (!moved)
		return;
	vg_untrack_device(dev);
	vg_track_device(dev);
}

/**
 * vg_device_tracked() - is @dev in one of our groups?
 * @dev: any device
 *
 * Return: true if it is; the answer may be stale once vg_lock is dropped,
 * which only matters to callers for whom tracking twice is harmless.
 */
bool vg_device_tracked(struct device *dev)
{
	bool tracked;

	mutex_lock(&vg_lock);
	tracked = vg_device_find_any(dev);
	mutex_unlock(&vg_lock);
	return tracked;
}

/**
 * vg_sync_driver() - record the driver @dev is bound to now
 * @group: the group whose notifier saw the change, or NULL to search all
 * @dev: the device whose driver changed
 * @drv: its driver now, or NULL; not always dev->driver, which still names
 *	the driver whose probe failed at BUS_NOTIFY_DRIVER_NOT_BOUND
 *
 * In either fringe window of @group its device list is empty: the device is
 * not found and nothing happens.
 */
void vg_sync_driver(struct vg_group *group, struct device *dev,
		    struct device_driver *drv)
{
	struct vg_device *vdev;

	mutex_lock(&vg_lock);
	vdev = group ? vg_device_find(group, dev) : vg_device_find_any(dev);
	if (vdev)
		vg_device_set_driver(vdev, drv);
	mutex_unlock(&vg_lock);
}

/**
 * vg_claim_driver() - @drv is about to probe @dev
 * @dev: the device, its device lock held by the driver core
 * @drv: the driver being probed
 *
 * An untracked device is left alone: BUS_NOTIFY_BOUND_DRIVER tracks it.
 */
void vg_claim_driver(struct device *dev, struct device_driver *drv)
{
	struct vg_device *vdev;

	mutex_lock(&vg_lock);
	vdev = vg_device_find_any(dev);
	if (vdev)
		vg_device_claim(vdev, drv);
	mutex_unlock(&vg_lock);
}

/**
 * vg_teardown() - drop every device and so every group, at module exit
 *
 * Runs once no notifier can add devices any more.  Nothing is announced:
 * listeners are told the module is going away as a whole.
 */
void vg_teardown(void)
{
	struct vg_device *vdev;
	struct vg_group *group;

	for (;;) {
		mutex_lock(&vg_lock);
		group = list_first_entry_or_null(&vg_groups, struct vg_group,
						 node);
		vdev = group ? list_first_entry_or_null(&group->devices,
							struct vg_device, node)
			     : NULL;
		if (!vdev) {
			/* Only a group being created lacks devices: none is. */
			WARN_ON(group);
			mutex_unlock(&vg_lock);
			return;
		}
		vg_group_del_device(vdev, false);
		mutex_unlock(&vg_lock);

		vg_device_free(vdev);
		vg_group_put(group);
	}
}
