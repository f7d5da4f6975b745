# kernel-iommu-group-dma-owner-claimed.m4
#
# 5.19 moved DMA ownership into the driver core: VFIO_GROUP_GET_STATUS says
# VIABLE when !iommu_group_dma_owner_claimed(group) (or a container is set).
#
# HAVE_IOMMU_GROUP_DMA_OWNER_CLAIMED: bool iommu_group_dma_owner_claimed(
# struct iommu_group *) is declared in <linux/iommu.h>.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_IOMMU_GROUP_DMA_OWNER_CLAIMED], [
	VFIOGROUP_LINUX_TEST_SRC([iommu_group_dma_owner_claimed], [[
		#include <linux/iommu.h>
	]], [[
		bool (*claimed)(struct iommu_group *) =
		    iommu_group_dma_owner_claimed;

		(void)claimed;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_IOMMU_GROUP_DMA_OWNER_CLAIMED], [
	AC_MSG_CHECKING([whether iommu_group_dma_owner_claimed() exists])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([iommu_group_dma_owner_claimed],
		[HAVE_IOMMU_GROUP_DMA_OWNER_CLAIMED],
		[bool iommu_group_dma_owner_claimed(struct iommu_group *) exists
   (driver-core DMA ownership, kernels from 5.19)])
])
