/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfiogroup: the kernel API differences the module cares about, said once.
 * The HAVE_* macros come from vfiogroup_config.h, written by ./configure
 * after compiling a probe against the target kernel (config/kernel-*.m4).
 */
#ifndef VFIOGROUP_COMPAT_H
#define VFIOGROUP_COMPAT_H

#include <linux/notifier.h>
#include <net/genetlink.h>
#include <linux/platform_device.h>
#include <linux/vfiogroup.h>

#include "vfiogroup_config.h"

struct vg_group;

#ifdef HAVE_IOMMU_GROUP_NOTIFIER
/*
 * Up to 5.18 the IOMMU core calls a blocking notifier chain per group on
 * bind and unbind: we follow binds there, exactly as VFIO did.
 */
struct vg_group_notifier {
	struct notifier_block nb;
};

#define VG_NOTIFIER_PATH	VFIOGROUP_NOTIFIER_IOMMU_GROUP
#define VG_NOTIFIER_NAME	"IOMMU group"
#define VG_BUS_TRACKS_DRIVERS	false

int vg_group_notifier_register(struct vg_group *group);
void vg_group_notifier_unregister(struct vg_group *group);
#else
/* From 5.19 the per-group chain is gone: bus notifiers see binds. */
struct vg_group_notifier {
};

#define VG_NOTIFIER_PATH	VFIOGROUP_NOTIFIER_BUS
#define VG_NOTIFIER_NAME	"bus"
#define VG_BUS_TRACKS_DRIVERS	true

static inline int vg_group_notifier_register(struct vg_group *group)
{
	return 0;
}

static inline void vg_group_notifier_unregister(struct vg_group *group)
{
}
#endif

#ifdef HAVE_CONST_BUS_API
#define vg_bus_api(bus)	(bus)
#else
/*
 * Up to 6.2 the driver core takes a non-const bus: every bus type is
 * non-const there, as platform's is, so dropping the qualifier we store
 * them with is safe.
 */
#define vg_bus_api(bus)	((typeof(platform_bus_type) *)(bus))
#endif

#ifdef HAVE_DRIVER_MANAGED_DMA
#define vg_driver_managed_dma(busdrv)	((busdrv)->driver_managed_dma)
#else
/* Up to 5.18 no bus driver struct has it, and the viability rule never asks. */
#define vg_driver_managed_dma(busdrv)	((void)(busdrv), false)
#endif

#ifdef HAVE_IOMMU_DMA_OWNER
#define VG_SEES_IN_USE	true
#else
/* Up to 5.18 the group's users are VFIO's own business: nothing says. */
#define VG_SEES_IN_USE	false
#endif

#ifndef HAVE_GENL_SPLIT_OPS
/*
 * Up to 6.1 genetlink has no split ops.  The table ynl-gen-c generates
 * keeps their shape, with what it uses of them, and genl_compat.c turns it
 * into one genl_ops per command at load.
 */
struct genl_split_ops {
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;
};
#endif

/* genl_compat.c: the family's op table, from the generated one */
int vg_genl_ops_init(struct genl_family *family);

#endif /* VFIOGROUP_COMPAT_H */
