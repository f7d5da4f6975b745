// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: what a bus notification means for the devices we track, on
 * every bus we follow (buses.c).  It finds devices as they come and go on
 * every kernel, and follows binds and unbinds on kernels that no longer
 * have the per-group IOMMU notifier.
 */
#include <linux/device.h>

#include "vfiogroup.h"

int vg_bus_notify(struct notifier_block *nb, unsigned long action,
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
		vg_device_bound(dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:
		vg_device_unbound(dev);
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
