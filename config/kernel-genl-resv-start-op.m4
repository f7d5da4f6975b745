# kernel-genl-resv-start-op.m4
#
# 6.1 added genl_family.resv_start_op: commands numbered at or above it get
# strict attribute validation and reject unknown flags; a new family sets it
# to __CMD_MAX.  Older kernels have no such member (and validate leniently
# unless each op asks for strictness).
#
# HAVE_GENL_RESV_START_OP: struct genl_family has a resv_start_op member.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_GENL_RESV_START_OP], [
	VFIOGROUP_LINUX_TEST_SRC([genl_resv_start_op], [[
		#include <net/genetlink.h>

		static struct genl_family vfiogroup_probe_family __maybe_unused = {
			.name = "vfiogroup_probe",
			.resv_start_op = 1,
		};
	]], [[
		u8 op = vfiogroup_probe_family.resv_start_op;

		(void)op;
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_GENL_RESV_START_OP], [
	AC_MSG_CHECKING([whether struct genl_family has resv_start_op])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([genl_resv_start_op],
		[HAVE_GENL_RESV_START_OP],
		[struct genl_family has resv_start_op (kernels from 6.1)])
])
