// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: bus notifiers on the PCI and platform buses.  They find devices
 * as they come and go on every kernel, and follow binds and unbinds on
 * kernels that no longer have the per-group IOMMU notifier.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/platform_device.h>

#include "vfiogroup.h"

/*
 * The IOMMU core's own bus notifier (priority 0) gives a new device its
 * group at BUS_NOTIFY_ADD_DEVICE: run after it, or iommu_group_get() finds
 * nothing.  Measured on 6.1: a +100 notifier sees no group, a -100 one does.
 */
#define VG_BUS_NOTIFIER_PRIORITY	(-100)

static int vg_bus_notify(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
		vg_track_device(dev);
		break;
	case BUS_NOTIFY_DEL_DEVICE:
		/* The device still has its group here, not at REMOVED_DEVICE. */
		vg_untrack_device(dev);
		break;
	case BUS_NOTIFY_BIND_DRIVER:
		vg_claim_driver(dev, READ_ONCE(dev->driver));
		break;
	case BUS_NOTIFY_BOUND_DRIVER:
		vg_follow_group_change(dev);
		/*
		 * A device we failed to track at ADD_DEVICE gets another go,
		 * as does one that got its group from the driver (no-IOMMU).
		 */
		if (!vg_device_tracked(dev))
			vg_track_device(dev);
		else if (VG_BUS_TRACKS_DRIVERS)
			vg_sync_driver(NULL, dev, READ_ONCE(dev->driver));
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		/*
		 * Never a retry of tracking: device_del() sends DEL_DEVICE
		 * before it unbinds, so a device unbound here may be one
		 * already deleted, which must not come back.
		 */
		if (VG_BUS_TRACKS_DRIVERS)
			vg_sync_driver(NULL, dev, NULL);
		vg_follow_group_change(dev);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:
		/*
		 * A failed probe.  dev->driver still names the driver until
		 * the core clears it after this notification: the device has
		 * none (found by failing vfio-pci's probe with fail-nth).
		 */
		vg_sync_driver(NULL, dev, NULL);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block vg_pci_nb = {
	.notifier_call = vg_bus_notify,
	.priority = VG_BUS_NOTIFIER_PRIORITY,
};

static struct notifier_block vg_platform_nb = {
	.notifier_call = vg_bus_notify,
	.priority = VG_BUS_NOTIFIER_PRIORITY,
};

/*
 * Devices present at load.  The notifiers are registered first, so a device
 * is seen here, by a notifier, or both: tracking is idempotent.  The device
 * lock keeps dev->driver from changing while we read it.
 */
static int vg_enumerate_one(struct device *dev, void *data)
{
	int ret;

	device_lock(dev);
	ret = vg_track_device(dev);
	device_unlock(dev);
	return ret;
}

int vg_bus_init(void)
{
	int ret;

	ret = bus_register_notifier(&pci_bus_type, &vg_pci_nb);
	if (ret)
		return ret;
	ret = bus_register_notifier(&platform_bus_type, &vg_platform_nb);
	if (ret)
		goto err_pci;

	ret = bus_for_each_dev(&pci_bus_type, NULL, NULL, vg_enumerate_one);
	if (!ret)
		ret = bus_for_each_dev(&platform_bus_type, NULL, NULL,
				       vg_enumerate_one);
	if (ret)
		goto err_platform;
	return 0;

err_platform:
	bus_unregister_notifier(&platform_bus_type, &vg_platform_nb);
err_pci:
	bus_unregister_notifier(&pci_bus_type, &vg_pci_nb);
	return ret;
}

/* Once this returns no bus callback of ours is running or will run. */
void vg_bus_exit(void)
{
	bus_unregister_notifier(&platform_bus_type, &vg_platform_nb);
	bus_unregister_notifier(&pci_bus_type, &vg_pci_nb);
}
