# kernel-iommu-group-notifier.m4
#
# Up to 5.18 the IOMMU core keeps a blocking notifier chain per group and
# calls it with IOMMU_GROUP_NOTIFY_{ADD,DEL}_DEVICE, {BIND,BOUND,UNBIND,
# UNBOUND}_DRIVER.  5.19 removed it ("iommu: Remove iommu group changes
# notifier"); newer kernels need bus notifiers instead.
#
# HAVE_IOMMU_GROUP_NOTIFIER: iommu_group_register_notifier(struct
# iommu_group *, struct notifier_block *) is declared with that prototype
# and IOMMU_GROUP_NOTIFY_BOUND_DRIVER is defined.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_IOMMU_GROUP_NOTIFIER], [
	VFIOGROUP_LINUX_TEST_SRC([iommu_group_notifier], [[
		#include <linux/iommu.h>
		#include <linux/notifier.h>
	]], [[
		int (*reg)(struct iommu_group *, struct notifier_block *) =
		    iommu_group_register_notifier;
		int (*unreg)(struct iommu_group *, struct notifier_block *) =
		    iommu_group_unregister_notifier;
		unsigned long action = IOMMU_GROUP_NOTIFY_BOUND_DRIVER;

		(void)reg;
		(void)unreg;
		(void)action;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_IOMMU_GROUP_NOTIFIER], [
	AC_MSG_CHECKING([whether iommu_group_register_notifier() and IOMMU_GROUP_NOTIFY_BOUND_DRIVER exist])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([iommu_group_notifier],
		[HAVE_IOMMU_GROUP_NOTIFIER],
		[iommu_group_register_notifier() and IOMMU_GROUP_NOTIFY_* exist
   (per-group IOMMU notifier chain, kernels up to 5.18)])
])
