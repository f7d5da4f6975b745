# kernel-const-bus-api.m4
#
# From 6.3 the driver core takes a const struct bus_type * in
# bus_register_notifier() and bus_for_each_dev(), and bus types became
# const one by one after it.  Before, both take a non-const bus and every
# bus type is non-const.
#
# HAVE_CONST_BUS_API: bus_register_notifier(const struct bus_type *,
# struct notifier_block *) and bus_for_each_dev(const struct bus_type *,
# ...) are declared with these prototypes.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_CONST_BUS_API], [
	VFIOGROUP_LINUX_TEST_SRC([const_bus_api], [[
		#include <linux/device.h>
		#include <linux/notifier.h>
	]], [[
		int (*reg)(const struct bus_type *, struct notifier_block *) =
		    bus_register_notifier;
		int (*each)(const struct bus_type *, struct device *, void *,
			    int (*)(struct device *, void *)) =
		    bus_for_each_dev;

		(void)reg;
		(void)each;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_CONST_BUS_API], [
	AC_MSG_CHECKING([whether the driver core takes a const struct bus_type])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([const_bus_api],
		[HAVE_CONST_BUS_API],
		[bus_register_notifier() and bus_for_each_dev() take a const bus (kernels from 6.3)])
])
