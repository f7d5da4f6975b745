// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vfiogroup.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "vfiogroup-nl-gen.h"

#include <uapi/linux/vfiogroup.h>

/* VFIOGROUP_CMD_GROUP_GET - do */
static const struct nla_policy vfiogroup_group_get_nl_policy[VFIOGROUP_A_GROUP_DEV_NAME + 1] = {
	[VFIOGROUP_A_GROUP_ID] = { .type = NLA_U32, },
	[VFIOGROUP_A_GROUP_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 63, },
};

/* Ops table for vfiogroup */
const struct genl_split_ops vfiogroup_nl_ops[3] = {
	{
		.cmd		= VFIOGROUP_CMD_GROUP_GET,
		.doit		= vfiogroup_nl_group_get_doit,
		.policy		= vfiogroup_group_get_nl_policy,
		.maxattr	= VFIOGROUP_A_GROUP_DEV_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= VFIOGROUP_CMD_GROUP_GET,
		.dumpit	= vfiogroup_nl_group_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= VFIOGROUP_CMD_INFO_GET,
		.doit	= vfiogroup_nl_info_get_doit,
		.flags	= GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group vfiogroup_nl_mcgrps[] = {
	[VFIOGROUP_NLGRP_EVENTS] = { "events", },
};
