// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: up to 6.1 genetlink takes one genl_ops per command, with one
 * policy for its do and its dump.  The op table ynl-gen-c generates from
 * the spec is split (an entry per do and per dump, as 6.2 takes it); this
 * turns it into genl_ops at load, keeping the spec's rule that a request
 * carries only the attributes its operation lists.
 */
#include <net/genetlink.h>
#include <net/netlink.h>

#include "vfiogroup.h"
#include "vfiogroup-nl-gen.h"

#ifndef HAVE_GENL_SPLIT_OPS
struct genl_ops vg_genl_ops[VFIOGROUP_CMD_MAX] __ro_after_init;

/*
 * For an operation without request attributes: 6.1 rejects them by itself
 * for new commands, 5.10 would ignore them.
 */
static const struct nla_policy vg_reject_all[] = {
	{ .type = NLA_REJECT },
	{ .type = NLA_REJECT },
};

/*
 * A dump whose command's do takes attributes, while the dump takes none.
 * Up to 6.1 a dump's start() has no extack (cb->extack is set only while
 * dumping), so the refusal carries no message there.
 */
static int vg_dump_takes_no_attrs(struct netlink_callback *cb)
{
	return nlmsg_attrlen(cb->nlh, GENL_HDRLEN) ? -EINVAL : 0;
}

static struct genl_ops *vg_genl_op(u8 cmd, unsigned int *n)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (vg_genl_ops[i].cmd == cmd)
			return &vg_genl_ops[i];
	if (*n == ARRAY_SIZE(vg_genl_ops))
		return NULL;
	vg_genl_ops[*n].cmd = cmd;
	return &vg_genl_ops[(*n)++];
}

int vg_genl_ops_init(struct genl_family *family)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(vfiogroup_nl_ops); i++) {
		const struct genl_split_ops *split = &vfiogroup_nl_ops[i];
		struct genl_ops *op = vg_genl_op(split->cmd, &n);

		if (WARN_ON(!op))
			return -EINVAL;
		if (split->flags & GENL_CMD_CAP_DO) {
			op->doit = split->doit;
			op->policy = split->policy;
			op->maxattr = split->maxattr;
		}
		if (split->flags & GENL_CMD_CAP_DUMP) {
			op->dumpit = split->dumpit;
			if (!split->policy)
				op->start = vg_dump_takes_no_attrs;
		}
	}
	for (i = 0; i < n; i++) {
		if (vg_genl_ops[i].policy)
			continue;
		vg_genl_ops[i].policy = vg_reject_all;
		vg_genl_ops[i].maxattr = ARRAY_SIZE(vg_reject_all) - 1;
	}
	family->n_ops = n;
	return 0;
}
#endif
