# kernel-driver-managed-dma.m4
#
# From 5.19 a PCI driver that sets driver_managed_dma (vfio-pci, pci-stub,
# pcieport) does not claim its IOMMU group's DMA ownership for the kernel:
# such a driver does not make the group non-viable.
#
# HAVE_DRIVER_MANAGED_DMA: struct pci_driver has a driver_managed_dma member.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_DRIVER_MANAGED_DMA], [
	VFIOGROUP_LINUX_TEST_SRC([pci_driver_managed_dma], [[
		#include <linux/pci.h>

		static struct pci_driver vfiogroup_probe_pci_driver __maybe_unused = {
			.driver_managed_dma = true,
		};
	]], [[
		bool managed = vfiogroup_probe_pci_driver.driver_managed_dma;

		(void)managed;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_DRIVER_MANAGED_DMA], [
	AC_MSG_CHECKING([whether struct pci_driver has driver_managed_dma])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([pci_driver_managed_dma],
		[HAVE_DRIVER_MANAGED_DMA],
		[struct pci_driver has driver_managed_dma (kernels from 5.19)])
])
