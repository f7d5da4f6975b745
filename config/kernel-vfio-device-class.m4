# kernel-vfio-device-class.m4
#
# From 6.1 VFIO gives each device it registers a struct device of its own,
# class "vfio-dev", named vfioX, whose parent is the physical device
# (struct vfio_device.device; /sys/class/vfio-dev/vfioX).  The module finds
# that child to know a device is registered with VFIO, and its name, which
# from 6.6 is also the device's cdev /dev/vfio/devices/vfioX.
#
# HAVE_VFIO_DEVICE_CLASS: struct vfio_device has a member "device".

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_VFIO_DEVICE_CLASS], [
	VFIOGROUP_LINUX_TEST_SRC([vfio_device_class], [[
		#include <linux/vfio.h>
	]], [[
		struct vfio_device *v = NULL;

		(void)sizeof(v->device);
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_VFIO_DEVICE_CLASS], [
	AC_MSG_CHECKING([whether VFIO devices have a vfio-dev device])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([vfio_device_class],
		[HAVE_VFIO_DEVICE_CLASS],
		[struct vfio_device has its own struct device, class vfio-dev (kernels from 6.1)])
])
