// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: tracked IOMMU groups, their devices and the events they make.
 *
 * The lifecycle is VFIO's after Linux 5.16 ("vfio: Delete vfio_get/put_group
 * from vfio_iommu_group_notifier()"):
 *
 * - groups live in vg_groups under vg_lock; lookup-or-create takes a
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
 * - the per-group device list is freed directly before the group is, once
 *   no callback can be running.
 *
 * Nothing a notification does grows with the number of groups or devices:
 * groups are found by id in an xarray (which also keeps the dump's order),
 * devices by their struct device and by name in hash tables.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/jhash.h>
#include <linux/pci.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "vfiogroup.h"

/* Guards the maps, every group's devices and users, and the sequence. */
DEFINE_MUTEX(vg_lock);

/* Groups by IOMMU group id, including ones being born or dying. */
static DEFINE_XARRAY(vg_groups);
static struct rhashtable vg_devices_by_dev;
static struct rhashtable vg_devices_by_name;
static struct kmem_cache *vg_group_cache;
static struct kmem_cache *vg_device_cache;

/* Under vg_lock. */
static u64 vg_seq;
static unsigned int vg_groups_listed;	/* groups with devices */
/* Counted where a notification fails, which is outside vg_lock too. */
static atomic64_t vg_lost = ATOMIC64_INIT(0);

static const struct rhashtable_params vg_by_dev_params = {
	.head_offset = offsetof(struct vg_device, by_dev),
	.key_offset = offsetof(struct vg_device, dev),
	.key_len = sizeof(struct device *),
	.automatic_shrinking = true,
};

/*
 * The name table hashes the name a device had when it was tracked, kept
 * in the entry, and ignores the table's seed: an entry's hash must not
 * change if device_rename() changes the name under it.
 */
static u32 vg_name_hash(const void *name, u32 len, u32 seed)
{
	return jhash(name, strlen(name), 0);
}

static u32 vg_name_obj_hash(const void *obj, u32 len, u32 seed)
{
	return ((const struct vg_device *)obj)->name_hash;
}

static int vg_name_cmp(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct vg_device *vdev = obj;

	return strcmp(dev_name(vdev->dev), arg->key);
}

static const struct rhashtable_params vg_by_name_params = {
	.head_offset = offsetof(struct vg_device, by_name),
	.hashfn = vg_name_hash,
	.obj_hashfn = vg_name_obj_hash,
	.obj_cmpfn = vg_name_cmp,
	.automatic_shrinking = true,
};

/* Caches of their own, so that slab counts show what tracking costs. */
int vg_state_init(void)
{
	int ret;

	vg_group_cache = kmem_cache_create(KBUILD_MODNAME "_group",
					   sizeof(struct vg_group), 0, 0,
					   NULL);
	vg_device_cache = kmem_cache_create(KBUILD_MODNAME "_device",
					    sizeof(struct vg_device), 0, 0,
					    NULL);
	if (!vg_group_cache || !vg_device_cache) {
		ret = -ENOMEM;
		goto err_caches;
	}
	ret = rhashtable_init(&vg_devices_by_dev, &vg_by_dev_params);
	if (ret)
		goto err_caches;
	ret = rhashtable_init(&vg_devices_by_name, &vg_by_name_params);
	if (ret)
		goto err_by_dev;
	return 0;

err_by_dev:
	rhashtable_destroy(&vg_devices_by_dev);
err_caches:
	kmem_cache_destroy(vg_device_cache);
	kmem_cache_destroy(vg_group_cache);
	return ret;
}

/* After vg_teardown(): every map is empty. */
void vg_state_exit(void)
{
	WARN_ON(!xa_empty(&vg_groups));
	rhashtable_destroy(&vg_devices_by_name);
	rhashtable_destroy(&vg_devices_by_dev);
	kmem_cache_destroy(vg_device_cache);
	kmem_cache_destroy(vg_group_cache);
}

u64 vg_last_seq(void)
{
	lockdep_assert_held(&vg_lock);
	return vg_seq;
}

u64 vg_dropped(void)
{
	return atomic64_read(&vg_lost);
}

unsigned int vg_group_count(void)
{
	lockdep_assert_held(&vg_lock);
	return vg_groups_listed;
}

/*
 * Listeners learn of a lost event twice: from ENOBUFS on their socket, which
 * reaches even those whose socket filter hides other groups' events, and
 * from the gap in the sequence numbers.
 */
void vg_note_loss(void)
{
	atomic64_inc(&vg_lost);
	vg_nl_lost();
}

/* An event we could not describe still takes its sequence number. */
static void vg_lose_event(void)
{
	lockdep_assert_held(&vg_lock);
	vg_seq++;
	vg_note_loss();
}

/*
 * Releases vg_lock and sends what was queued under it: no bind, unbind,
 * get or dump waits for a listener's delivery.
 */
static void vg_unlock(void)
{
	mutex_unlock(&vg_lock);
	vg_nl_deliver();
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
		vg_note_loss();
}

/* Ids are unique among live IOMMU groups, and we hold ours. */
static struct vg_group *vg_group_find(struct iommu_group *iommu_group)
{
	struct vg_group *group;

	lockdep_assert_held(&vg_lock);
	group = xa_load(&vg_groups, iommu_group_id(iommu_group));
	return group && group->iommu_group == iommu_group ? group : NULL;
}

/*
 * By the time a device is removed its IOMMU group may already be gone
 * (the IOMMU core releases it at BUS_NOTIFY_REMOVED_DEVICE), so a device
 * is found by its own pointer, whatever its group.
 */
static struct vg_device *vg_device_find(struct device *dev)
{
	lockdep_assert_held(&vg_lock);
	return rhashtable_lookup_fast(&vg_devices_by_dev, &dev,
				      vg_by_dev_params);
}

/* A group with no devices is being born or dying: nobody sees it. */
static struct vg_group *vg_group_listed(struct vg_group *group)
{
	return group && !list_empty(&group->devices) ? group : NULL;
}

/**
 * vg_group_by_id() - the listed group @id
 * @id: an IOMMU group id
 *
 * Return: the group, valid while vg_lock is held, or NULL.
 */
struct vg_group *vg_group_by_id(u32 id)
{
	lockdep_assert_held(&vg_lock);
	return vg_group_listed(xa_load(&vg_groups, id));
}

/**
 * vg_group_from() - the listed group with the lowest id from *@id on
 * @id: where to start; set to the group's id
 *
 * Return: the group, valid while vg_lock is held, or NULL after the last.
 */
struct vg_group *vg_group_from(unsigned long *id)
{
	struct vg_group *group;

	lockdep_assert_held(&vg_lock);
	xa_for_each_start(&vg_groups, *id, group, *id)
		if (vg_group_listed(group))
			return group;
	return NULL;
}

/**
 * vg_group_by_dev_name() - the group of the device named @name
 * @name: a device name, as in sysfs
 *
 * Return: the group, valid while vg_lock is held, or NULL.
 */
struct vg_group *vg_group_by_dev_name(const char *name)
{
	struct vg_device *vdev;

	lockdep_assert_held(&vg_lock);
	vdev = rhashtable_lookup_fast(&vg_devices_by_name, name,
				      vg_by_name_params);
	return vdev ? vdev->group : NULL;
}

static void vg_device_free(struct vg_device *vdev)
{
	put_device(vdev->dev);
	kmem_cache_free(vg_device_cache, vdev);
}

static void vg_device_unhash(struct vg_device *vdev)
{
	lockdep_assert_held(&vg_lock);
	rhashtable_remove_fast(&vg_devices_by_dev, &vdev->by_dev,
			       vg_by_dev_params);
	rhashtable_remove_fast(&vg_devices_by_name, &vdev->by_name,
			       vg_by_name_params);
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
		vg_device_free(vdev);
	}
	iommu_group_put(group->iommu_group);
	kmem_cache_free(vg_group_cache, group);
}

/* kref_put_mutex() calls this with vg_lock held; it releases it. */
static void vg_group_release(struct kref *kref)
{
	struct vg_group *group = container_of(kref, struct vg_group, kref);
	struct vg_device *vdev;

	if (WARN_ON(!list_empty(&group->devices)))
		list_for_each_entry(vdev, &group->devices, node)
			vg_device_unhash(vdev);
	WARN_ON(group->users);
	xa_erase(&vg_groups, group->id);
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

	group = kmem_cache_zalloc(vg_group_cache, GFP_KERNEL);
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
		kmem_cache_free(vg_group_cache, group);
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
	ret = xa_insert(&vg_groups, group->id, group, GFP_KERNEL);
	if (ret) {
		vg_group_unlock_and_free(group);
		return ERR_PTR(ret);
	}
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
	struct device_driver *old = vdev->driver;

	lockdep_assert_held(&vg_lock);
	vdev->vfio = vg_vfio_registered(vdev->dev, drv, &vdev->vfio_index);
	if (vdev->probing) {
		vdev->probing = false;
		group->users--;
	}
	if (old != drv) {
		if (old) {
			if (vdev->blocks_viability)
				group->users--;
			vdev->blocks_viability = false;
			vdev->driver = NULL;
			vg_emit(group, VFIOGROUP_EVENT_DRIVER_UNBOUND,
				dev_name(vdev->dev), old->name);
		}
		if (drv) {
			vdev->driver = drv;
			vdev->blocks_viability =
				vg_driver_blocks_viability(vdev->dev, drv);
			if (vdev->blocks_viability)
				group->users++;
			vg_emit(group, VFIOGROUP_EVENT_DRIVER_BOUND,
				dev_name(vdev->dev), drv->name);
		}
	}
	vg_group_update_state(group);
}

static int vg_device_hash(struct vg_device *vdev)
{
	int ret;

	lockdep_assert_held(&vg_lock);
	ret = rhashtable_insert_fast(&vg_devices_by_dev, &vdev->by_dev,
				     vg_by_dev_params);
	if (ret)
		return ret;
	ret = rhashtable_insert_fast(&vg_devices_by_name, &vdev->by_name,
				     vg_by_name_params);
	if (ret)
		rhashtable_remove_fast(&vg_devices_by_dev, &vdev->by_dev,
				       vg_by_dev_params);
	return ret;
}

static int vg_group_add_device(struct vg_group *group, struct device *dev)
{
	struct vg_device *vdev;
	int ret;

	lockdep_assert_held(&vg_lock);
	vdev = kmem_cache_zalloc(vg_device_cache, GFP_KERNEL);
	if (!vdev) {
		ret = -ENOMEM;
		goto lose;
	}
	vdev->group = group;
	vdev->dev = get_device(dev);
	vdev->name_hash = vg_name_hash(dev_name(dev), 0, 0);
	vdev->vfio_index = -1;
	if (dev_is_pci(dev)) {
		vdev->is_pci = true;
		vdev->vendor = to_pci_dev(dev)->vendor;
		vdev->device = to_pci_dev(dev)->device;
	}
	ret = vg_device_hash(vdev);
	if (ret) {
		vg_device_free(vdev);
		goto lose;
	}

	kref_get(&group->kref);
	if (list_empty(&group->devices))
		vg_groups_listed++;
	list_add_tail(&vdev->node, &group->devices);
	vg_emit(group, VFIOGROUP_EVENT_DEVICE_ADDED, dev_name(dev), NULL);
	vg_device_set_driver(vdev, READ_ONCE(dev->driver));
	return 0;

lose:
	vg_lose_event();
	return ret;
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
	vg_device_unhash(vdev);
	list_del(&vdev->node);
	if (list_empty(&group->devices))
		vg_groups_listed--;
	if (!announce)
		return;

	vg_emit(group, VFIOGROUP_EVENT_DEVICE_REMOVED, dev_name(vdev->dev),
		vdev->driver ? vdev->driver->name : NULL);
	/* An empty group is gone for listeners: its state changes silently. */
	if (list_empty(&group->devices)) {
		group->viable = true;
		group->ready = false;
	} else {
		vg_group_update_state(group);
	}
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
	struct vg_device *vdev;
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
			vg_unlock();
			return PTR_ERR(group);
		}
	}

	ret = 0;
	mutex_lock(&vg_lock);
	vdev = vg_device_find(dev);
	if (vdev)
		vg_device_set_driver(vdev, READ_ONCE(dev->driver));
	else
		ret = vg_group_add_device(group, dev);
	vg_unlock();
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
	vdev = vg_device_find(dev);
	if (!vdev) {
		mutex_unlock(&vg_lock);
		return;
	}
	group = vdev->group;
	vg_group_del_device(vdev, true);
	vg_unlock();

	vg_device_free(vdev);
	vg_group_put(group);
}

/* Whether @vdev is no longer in the IOMMU group it is tracked in. */
static bool vg_device_moved(const struct vg_device *vdev)
{
	struct iommu_group *now = iommu_group_get(vdev->dev);

	if (now)
		iommu_group_put(now);
	return vdev->group->iommu_group != now;
}

/*
 * VFIO's no-IOMMU mode puts a device into a group of its own making when
 * vfio-pci binds and takes it out again when it unbinds, with no bus
 * add or remove: such a device leaves its old group (device-removed) and,
 * if it has a new one, joins it (device-added).
 */
static void vg_device_move(struct device *dev)
{
	vg_untrack_device(dev);
	vg_track_device(dev);
}

/**
 * vg_device_bound() - a driver bound to @dev (BUS_NOTIFY_BOUND_DRIVER)
 * @dev: the device, its device lock held
 *
 * A device we failed to track when it was added gets another go here, as
 * does one that got its group from the driver (no-IOMMU).
 */
void vg_device_bound(struct device *dev)
{
	struct vg_device *vdev;
	bool moved;

	mutex_lock(&vg_lock);
	vdev = vg_device_find(dev);
	moved = vdev && vg_device_moved(vdev);
	if (vdev && !moved && VG_BUS_TRACKS_DRIVERS)
		vg_device_set_driver(vdev, READ_ONCE(dev->driver));
	vg_unlock();
	if (moved)
		vg_device_move(dev);
	else if (!vdev)
		vg_track_device(dev);
}

/**
 * vg_device_unbound() - a driver left @dev (BUS_NOTIFY_UNBOUND_DRIVER)
 * @dev: the device, its device lock held
 *
 * Never a retry of tracking: device_del() sends DEL_DEVICE before it
 * unbinds, so a device unbound here may be one already deleted, which must
 * not come back.
 */
void vg_device_unbound(struct device *dev)
{
	struct vg_device *vdev;
	bool moved;

	mutex_lock(&vg_lock);
	vdev = vg_device_find(dev);
	if (vdev && VG_BUS_TRACKS_DRIVERS)
		vg_device_set_driver(vdev, NULL);
	moved = vdev && vg_device_moved(vdev);
	vg_unlock();
	if (moved)
		vg_device_move(dev);
}

/**
 * vg_sync_driver() - record the driver @dev is bound to now
 * @group: the group whose notifier saw the change, or NULL for any
 * @dev: the device whose driver changed
 * @drv: its driver now, or NULL; not always dev->driver, which still names
 *	the driver whose probe failed at BUS_NOTIFY_DRIVER_NOT_BOUND
 *
 * In either fringe window of @group its device list is empty: the device is
 * not found in it and nothing happens.
 */
void vg_sync_driver(struct vg_group *group, struct device *dev,
		    struct device_driver *drv)
{
	struct vg_device *vdev;

	mutex_lock(&vg_lock);
	vdev = vg_device_find(dev);
	if (vdev && (!group || vdev->group == group))
		vg_device_set_driver(vdev, drv);
	vg_unlock();
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
	vdev = vg_device_find(dev);
	if (vdev)
		vg_device_claim(vdev, drv);
	vg_unlock();
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
	unsigned long id;

	for (;;) {
		id = 0;
		mutex_lock(&vg_lock);
		group = xa_find(&vg_groups, &id, ULONG_MAX, XA_PRESENT);
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
