// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: the buses we follow.  They are the IOMMU core's own: the
 * buses it watches for devices to put in groups (iommu_buses[] in
 * drivers/iommu/iommu.c, the bus_set_iommu() callers before it), guarded
 * by the same Kconfig symbols.  All of them are built in, so the table is
 * fixed when the module is built; a bus built in but never registered on
 * this machine is skipped at load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/kernel.h>
#if IS_ENABLED(CONFIG_ARM_AMBA)
#include <linux/amba/bus.h>
#endif
#if IS_ENABLED(CONFIG_FSL_MC_BUS)
#include <linux/fsl/mc.h>
#endif
#if IS_ENABLED(CONFIG_TEGRA_HOST1X_CONTEXT_BUS)
#include <linux/host1x_context_bus.h>
#endif
#if IS_ENABLED(CONFIG_CDX_BUS)
#include <linux/cdx/cdx_bus.h>
#endif

#include "vfiogroup.h"

/*
 * From 5.19 a bus's dma_configure() claims the group's DMA for the kernel
 * unless the driver set driver_managed_dma, which each bus keeps in its
 * own driver struct.
 */
static bool vg_pci_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(to_pci_driver(drv));
}

static bool vg_platform_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(to_platform_driver(drv));
}

#if IS_ENABLED(CONFIG_ARM_AMBA)
/* <linux/amba/bus.h> has no to_amba_driver(): it is private to the bus. */
static bool vg_amba_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(container_of(drv, struct amba_driver,
						  drv));
}
#endif

#if IS_ENABLED(CONFIG_FSL_MC_BUS)
static bool vg_fsl_mc_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(to_fsl_mc_driver(drv));
}
#endif

#if IS_ENABLED(CONFIG_CDX_BUS)
static bool vg_cdx_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(to_cdx_driver(drv));
}
#endif

static struct vg_bus vg_kernel_buses[] = {
	{ .type = &platform_bus_type,
	  .managed_dma = vg_platform_managed_dma },
#if IS_ENABLED(CONFIG_PCI)
	{ .type = &pci_bus_type,
	  .managed_dma = vg_pci_managed_dma },
#endif
#if IS_ENABLED(CONFIG_ARM_AMBA)
	{ .type = &amba_bustype,
	  .managed_dma = vg_amba_managed_dma },
#endif
#if IS_ENABLED(CONFIG_FSL_MC_BUS)
	{ .type = &fsl_mc_bus_type,
	  .managed_dma = vg_fsl_mc_managed_dma },
#endif
#if IS_ENABLED(CONFIG_TEGRA_HOST1X_CONTEXT_BUS)
	/* No dma_configure(), so no managed_dma: never claims its group. */
	{ .type = &host1x_context_device_bus_type },
#endif
#if IS_ENABLED(CONFIG_CDX_BUS)
	{ .type = &cdx_bus_type,
	  .managed_dma = vg_cdx_managed_dma },
#endif
};

/*
 * The IOMMU core's own bus notifier (priority 0) gives a new device its
 * group at BUS_NOTIFY_ADD_DEVICE: run after it, or iommu_group_get() finds
 * nothing.  Measured on 6.1: a +100 notifier sees no group, a -100 one does.
 */
#define VG_BUS_NOTIFIER_PRIORITY	(-100)

/* Followed buses, under vg_lock: read by the viability rule. */
static LIST_HEAD(vg_followed_buses);

const struct vg_bus *vg_bus_of(const struct device *dev)
{
	const struct vg_bus *bus;

	lockdep_assert_held(&vg_lock);
	list_for_each_entry(bus, &vg_followed_buses, node)
		if (dev->bus == bus->type)
			return bus;
	return NULL;
}

static int vg_bus_registered(struct device *dev, void *data)
{
	return 0;
}

/*
 * Devices present at load.  The notifier is registered first, so a device
 * is seen here, by the notifier, or both: tracking is idempotent.  The
 * device lock keeps dev->driver from changing while we read it.
 */
static int vg_enumerate_one(struct device *dev, void *data)
{
	int ret;

	device_lock(dev);
	ret = vg_track_device(dev);
	device_unlock(dev);
	return ret;
}

/*
 * Follows @bus from now on: its devices present and to come, and on
 * bus-notifier kernels their binds.  Returns -ENODEV, having done nothing,
 * when the bus is not registered on this machine.
 */
int vg_bus_follow(struct vg_bus *bus)
{
	int ret;

	/*
	 * The driver core's own check, -EINVAL for a bus never registered,
	 * and before bus_register_notifier(): up to 6.2 that dereferences the
	 * private part such a bus does not have.
	 */
	if (bus_for_each_dev(vg_bus_api(bus->type), NULL, NULL,
			     vg_bus_registered))
		return -ENODEV;

	bus->nb.notifier_call = vg_bus_notify;
	bus->nb.priority = VG_BUS_NOTIFIER_PRIORITY;
	mutex_lock(&vg_lock);
	list_add_tail(&bus->node, &vg_followed_buses);
	mutex_unlock(&vg_lock);

	ret = bus_register_notifier(vg_bus_api(bus->type), &bus->nb);
	if (ret)
		goto err_list;
	ret = bus_for_each_dev(vg_bus_api(bus->type), NULL, NULL,
			       vg_enumerate_one);
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	bus_unregister_notifier(vg_bus_api(bus->type), &bus->nb);
err_list:
	mutex_lock(&vg_lock);
	list_del_init(&bus->node);
	mutex_unlock(&vg_lock);
	return ret;
}

/*
 * Once this returns no callback of ours runs for @bus.  Its devices stay
 * tracked: vg_teardown() drops them.
 */
void vg_bus_unfollow(struct vg_bus *bus)
{
	bus_unregister_notifier(vg_bus_api(bus->type), &bus->nb);
	mutex_lock(&vg_lock);
	list_del_init(&bus->node);
	mutex_unlock(&vg_lock);
}

void vg_bus_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(vg_kernel_buses) - 1; i >= 0; i--)
		if (!list_empty(&vg_kernel_buses[i].node))
			vg_bus_unfollow(&vg_kernel_buses[i]);
}

int vg_bus_init(void)
{
	char names[64] = "";
	int i, len = 0, ret;

	for (i = 0; i < ARRAY_SIZE(vg_kernel_buses); i++)
		INIT_LIST_HEAD(&vg_kernel_buses[i].node);

	for (i = 0; i < ARRAY_SIZE(vg_kernel_buses); i++) {
		struct vg_bus *bus = &vg_kernel_buses[i];

		ret = vg_bus_follow(bus);
		if (ret == -ENODEV)
			continue;
		if (ret) {
			vg_bus_exit();
			return ret;
		}
		len += scnprintf(names + len, sizeof(names) - len, "%s%s",
				 len ? " " : "", bus->type->name);
	}
	pr_info("buses followed: %s\n", names);
	return 0;
}
