/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device as an operator knows it: eth0 or nvme0n1 as well as 0000:01:00.0. */
#ifndef VFIOGROUP_TOOL_RESOLVE_H
#define VFIOGROUP_TOOL_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The name the module knows for device name under sysfs (normally
 * "/sys"): name itself when a bus has a device of that name (or none has
 * and no class device is called so either: it may come later); for a
 * class device (/sys/class/net/eth0, /sys/class/block/nvme0n1) the
 * nearest device above it that is in an IOMMU group.  0, or -ENAMETOOLONG
 * when the result does not fit in size bytes.
 */
int resolve_device(const char *sysfs, const char *name, char *out,
		   size_t size);

/*
 * A --device or "show dev" argument: parse_device() (parse.h), then
 * resolve_device() under /sys.
 */
bool device_arg(const char *arg, char *out, size_t size);

#endif
