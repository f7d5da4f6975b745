# kernel-platform-driver-managed-dma.m4
#
# The platform bus got the same flag as PCI (vfio-platform sets it).
#
# HAVE_PLATFORM_DRIVER_MANAGED_DMA: struct platform_driver has a
# driver_managed_dma member.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_PLATFORM_DRIVER_MANAGED_DMA], [
	VFIOGROUP_LINUX_TEST_SRC([platform_driver_managed_dma], [[
		#include <linux/platform_device.h>

		static struct platform_driver vfiogroup_probe_pdrv __maybe_unused = {
			.driver_managed_dma = true,
		};
	]], [[
		bool managed = vfiogroup_probe_pdrv.driver_managed_dma;

		(void)managed;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_PLATFORM_DRIVER_MANAGED_DMA], [
	AC_MSG_CHECKING([whether struct platform_driver has driver_managed_dma])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([platform_driver_managed_dma],
		[HAVE_PLATFORM_DRIVER_MANAGED_DMA],
		[struct platform_driver has driver_managed_dma (kernels from 5.19)])
])
