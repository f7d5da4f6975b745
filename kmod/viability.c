// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: whether a bound driver keeps its IOMMU group from being viable,
 * decided as VFIO decides it on the kernel the module was built for.
 * A group is viable when none of its devices is bound to such a driver.
 */
#include <linux/iommu.h>
#include <linux/lockdep.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "vfiogroup.h"

#ifdef HAVE_DRIVER_MANAGED_DMA
/*
 * From 5.19 the IOMMU core counts DMA owners.  When a driver binds, the
 * bus's dma_configure() claims the group for the kernel unless the driver
 * sets driver_managed_dma (vfio-pci, pci-stub and pcieport do), and
 * VFIO_GROUP_GET_STATUS reports VIABLE while iommu_group_dma_owner_claimed()
 * is false.  Which buses claim, and where their drivers keep the opt-out,
 * is buses.c's table.  A device on no bus we follow (none is tracked but
 * KUnit's root devices) is taken to claim: never viable by mistake.
 */
bool vg_driver_blocks_viability(struct device *dev,
				struct device_driver *drv)
{
	const struct vg_bus *bus = vg_bus_of(dev);

	if (!bus)
		return true;
	return bus->managed_dma && !bus->managed_dma(drv);
}
#else
/*
 * Up to 5.18, vfio_dev_viable(): a device is fine when it has no driver,
 * when it is a PCI bridge (any header type but normal), when its driver is
 * "pci-stub", or when it is registered with VFIO, which only VFIO drivers
 * do.  That registry cannot be read safely from here (VFIO's lookup drops
 * a VFIO group reference, which may unregister a notifier on the chain we
 * are called from), so a VFIO driver is recognised by name: every one up
 * to 5.18 has "vfio" in it (vfio-pci, vfio-platform, vfio-amba,
 * vfio-fsl-mc, mlx5_vfio_pci, hisi_acc_vfio_pci).  docs/kernel-module.md
 * lists what this cannot see.
 */
bool vg_driver_blocks_viability(struct device *dev,
				struct device_driver *drv)
{
	if (dev_is_pci(dev) &&
	    to_pci_dev(dev)->hdr_type != PCI_HEADER_TYPE_NORMAL)
		return false;
	if (!strcmp(drv->name, "pci-stub"))
		return false;
	return !strstr(drv->name, "vfio");
}
#endif

#ifdef HAVE_VFIO_DEVICE_CLASS
static int vg_read_vfio_index(struct device *child, void *index)
{
	if (!child->class || strcmp(child->class->name, "vfio-dev"))
		return 0;
	if (sscanf(dev_name(child), "vfio%d", (int *)index) != 1)
		*(int *)index = -1;
	return 1;
}

/*
 * From 6.1 VFIO registers a device by adding a vfio-dev device under it,
 * before the driver's probe returns and until its remove: the registry
 * itself, seen without VFIO's locks.
 */
bool vg_vfio_registered(struct device *dev, struct device_driver *drv,
			int *index)
{
	*index = -1;
	return drv && device_for_each_child(dev, index, vg_read_vfio_index);
}
#else
/* Up to 6.0 by the driver's name, as the viability rule up to 5.18. */
bool vg_vfio_registered(struct device *dev, struct device_driver *drv,
			int *index)
{
	*index = -1;
	return drv && strstr(drv->name, "vfio");
}
#endif

#ifdef HAVE_IOMMU_DMA_OWNER
/*
 * The IOMMU core counts a kernel driver using the group's DMA and a user
 * that claimed it alike, and a user's claim needs the count at zero; so
 * with no kernel driver bound or probing (users == 0) any claim is a
 * user's.  One instant reads wrong: a blocking driver's probe claims in
 * dma_configure() just before BUS_NOTIFY_BIND_DRIVER raises users, and
 * reads as a user then -- not openable either way.
 */
bool vg_group_in_use(const struct vg_group *group)
{
	lockdep_assert_held(&vg_lock);
	return !group->users &&
	       iommu_group_dma_owner_claimed(group->iommu_group);
}
#else
bool vg_group_in_use(const struct vg_group *group)
{
	return false;
}
#endif
