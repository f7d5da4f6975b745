/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * A PCI device's driver and IOMMU group read from sysfs by hand, and its
 * driver changed the way libvirt does: what the guest programs that hold
 * the library against sysfs (lib-integration, vgbench) act and judge with.
 */
#ifndef VG_PCI_SYSFS_H
#define VG_PCI_SYSFS_H

#include <stddef.h>

/* dev's driver into out ("" when unbound); returns out. */
const char *pci_driver(const char *dev, char *out, size_t len);
/* dev's IOMMU group number, or -1. */
long pci_group(const char *dev);
/* Unbind dev from its driver: an error when it has none. */
int pci_unbind(const char *dev);
/*
 * Bind dev (unbound) to drv through driver_override and drivers_probe, then
 * clear the override; -ENODEV when drv did not take it.
 */
int pci_bind(const char *dev, const char *drv);

#endif
