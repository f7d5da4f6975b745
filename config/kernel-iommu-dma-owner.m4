# kernel-iommu-dma-owner.m4
#
# From 5.19 the IOMMU core keeps an owner for each group's DMA: a kernel
# driver using the default domain, or a user (VFIO setting a container,
# iommufd binding a device) that claimed it, and a module may ask whether
# it is claimed.  The module reports a group "in use" from that.
#
# HAVE_IOMMU_DMA_OWNER: iommu_group_dma_owner_claimed() exists.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_IOMMU_DMA_OWNER], [
	VFIOGROUP_LINUX_TEST_SRC([iommu_dma_owner], [[
		#include <linux/iommu.h>
	]], [[
		struct iommu_group *g = NULL;

		(void)iommu_group_dma_owner_claimed(g);
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_IOMMU_DMA_OWNER], [
	AC_MSG_CHECKING([whether the IOMMU core says who owns a group's DMA])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([iommu_dma_owner],
		[HAVE_IOMMU_DMA_OWNER],
		[iommu_group_dma_owner_claimed() exists (kernels from 5.19)])
])
