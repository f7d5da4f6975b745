# kernel-genl-split-ops.m4
#
# From 6.2 genetlink takes split ops: one entry per do and per dump, each
# with its own policy (struct genl_split_ops, genl_family.split_ops).  The
# op table ynl-gen-c generates has that shape; before 6.2 the module turns
# it into one struct genl_ops per command at load (kmod/genl_compat.c).
#
# HAVE_GENL_SPLIT_OPS: struct genl_split_ops exists and struct genl_family
# has split_ops and n_split_ops.

AC_DEFUN([VFIOGROUP_AC_KERNEL_SRC_GENL_SPLIT_OPS], [
	VFIOGROUP_LINUX_TEST_SRC([genl_split_ops], [[
		#include <net/genetlink.h>

		static const struct genl_split_ops vfiogroup_probe_ops[1];
		static struct genl_family vfiogroup_probe_family __maybe_unused = {
			.split_ops = vfiogroup_probe_ops,
			.n_split_ops = 1,
		};
	]], [[
	]])
])

AC_DEFUN([VFIOGROUP_AC_KERNEL_GENL_SPLIT_OPS], [
	AC_MSG_CHECKING([whether genetlink has split ops])
	VFIOGROUP_LINUX_TEST_RESULT_DEFINE([genl_split_ops],
		[HAVE_GENL_SPLIT_OPS],
		[struct genl_split_ops and genl_family.split_ops exist (kernels from 6.2)])
])
