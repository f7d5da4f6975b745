// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: the per-group IOMMU notifier of kernels up to 5.18, kept as
 * VFIO kept it after Linux 5.16.  Built empty on later kernels.
 */
#include <linux/iommu.h>

#include "vfiogroup.h"

#ifdef HAVE_IOMMU_GROUP_NOTIFIER
/*
 * Runs under the chain's rwsem, which iommu_group_unregister_notifier()
 * takes for write, so this never runs outside the group's registration and
 * the group is never freed under it.  It may run in the two fringe windows
 * (before the group is listed, after its kref reached zero): there the
 * group's device list is empty and its users count zero, so
 * vg_sync_driver() finds no device and does nothing.  It neither takes nor
 * drops a group reference, so it can never release the group here.
 */
static int vg_group_notify(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct vg_group *group = container_of(nb, struct vg_group, nb.nb);
	struct device *dev = data;

	switch (action) {
	case IOMMU_GROUP_NOTIFY_BOUND_DRIVER:
	case IOMMU_GROUP_NOTIFY_UNBOUND_DRIVER:
		vg_sync_driver(group, dev, READ_ONCE(dev->driver));
		break;
	case IOMMU_GROUP_NOTIFY_ADD_DEVICE:
	case IOMMU_GROUP_NOTIFY_DEL_DEVICE:
		/*
		 * Membership is the bus notifier's: handling it here could
		 * drop the last group reference under this chain's rwsem.
		 */
		break;
	}
	return NOTIFY_OK;
}

int vg_group_notifier_register(struct vg_group *group)
{
	group->nb.nb.notifier_call = vg_group_notify;
	return iommu_group_register_notifier(group->iommu_group,
					     &group->nb.nb);
}

void vg_group_notifier_unregister(struct vg_group *group)
{
	WARN_ON(iommu_group_unregister_notifier(group->iommu_group,
						&group->nb.nb));
}
#endif
