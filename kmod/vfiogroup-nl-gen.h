/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/vfiogroup.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_VFIOGROUP_GEN_H
#define _LINUX_VFIOGROUP_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/vfiogroup.h>

/* Ops table for vfiogroup */
extern const struct genl_split_ops vfiogroup_nl_ops[3];

int vfiogroup_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info);
int vfiogroup_nl_group_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int vfiogroup_nl_info_get_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	VFIOGROUP_NLGRP_EVENTS,
};

#endif /* _LINUX_VFIOGROUP_GEN_H */
