// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: tells userspace when the devices of an IOMMU group come, go,
 * bind or unbind, and whether VFIO would call the group viable.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/genetlink.h>

#include "vfiogroup.h"

static int __init vg_init(void)
{
	int ret;

	/*
	 * Said first, so that a failed load is seen to have reached the
	 * module's own code (the VM suite's fault injection relies on it).
	 */
	pr_info("version %s, binds followed by %s notifiers\n",
		VFIOGROUP_VERSION, VG_NOTIFIER_NAME);

	/*
	 * Devices first, the family after: its first dump is then complete.
	 * Events before that take sequence numbers nobody can miss.
	 */
	ret = vg_state_init();
	if (ret)
		return ret;
	ret = vg_bus_init();
	if (ret)
		goto err_teardown;
	ret = vg_nl_init();
	if (ret)
		goto err_bus;
	return 0;

err_bus:
	vg_bus_exit();
err_teardown:
	vg_teardown();
	vg_state_exit();
	return ret;
}

static void __exit vg_exit(void)
{
	/* No bus callback after this, so no device can be added... */
	vg_bus_exit();
	/* ...and dropping every device releases every group. */
	vg_teardown();
	vg_nl_exit();
	vg_state_exit();
}

module_init(vg_init);
module_exit(vg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("IOMMU group membership, binding and VFIO viability events");
MODULE_AUTHOR("The vfiogroup developers");
MODULE_VERSION(VFIOGROUP_VERSION);
MODULE_ALIAS_GENL_FAMILY(VFIOGROUP_FAMILY_NAME);
