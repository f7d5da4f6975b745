// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration cache: a new context's cache against sysfs, and against
 * a second context's.
 */
#include "lib-integration.h"

int cmd_cache(void)
{
	struct vfiogroup_ctx *ctx = connect_or_die();
	int bad = compare_sysfs(ctx, "new context");

	result(!bad, "library cache == /sys/kernel/iommu_groups (groups, devices, drivers, viability; ready and node == /dev/vfio/N)");
	bad = compare_fresh(ctx, "new context");
	result(!bad, "two contexts agree on every group's seq and viability");
	vfiogroup_ctx_unref(ctx);
	return 0;
}
