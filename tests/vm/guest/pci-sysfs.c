// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The guest programs' PCI sysfs helpers (pci-sysfs.h), written once for
 * lib-integration and vgbench.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest-util.h"
#include "pci-sysfs.h"

/* A driver's or group's name: the last component of a sysfs link. */
#define PCI_NAME_LEN 64

const char *pci_driver(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver", dev);
	link_base(p, out, len);
	return out;
}

long pci_group(const char *dev)
{
	char p[PATH_MAX], g[PCI_NAME_LEN];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", dev);
	link_base(p, g, sizeof(g));
	return *g ? strtol(g, NULL, 10) : -1;
}

int pci_unbind(const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", dev);
	return write_file(p, dev);
}

int pci_bind(const char *dev, const char *drv)
{
	char p[PATH_MAX], now[PCI_NAME_LEN];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", dev);
	r = write_file(p, drv);
	if (!r)
		r = write_file("/sys/bus/pci/drivers_probe", dev);
	write_file(p, "\n");
	if (!r && strcmp(pci_driver(dev, now, sizeof(now)), drv))
		r = -ENODEV;
	return r;
}
