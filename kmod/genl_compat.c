// SPDX-License-Identifier: GPL-2.0
/*
 * vfiogroup: the family's op table, made at load from the one ynl-gen-c
 * generates from the spec, so that on every kernel a request carries only
 * the attributes its operation lists.  The generated table gives an
 * operation without request attributes no policy, and genetlink then
 * ignores whatever attributes come (5.10 does, and 6.12): such an
 * operation gets a policy that rejects everything.  Up to
 * 6.1 genetlink also has no split ops, and takes one genl_ops per command
 * with one policy for its do and its dump.
 */
#include <net/genetlink.h>
#include <net/netlink.h>

#include "vfiogroup.h"
#include "vfiogroup-nl-gen.h"

static const struct nla_policy vg_reject_all[] = {
	{ .type = NLA_REJECT },
	{ .type = NLA_REJECT },
};

#ifdef HAVE_GENL_SPLIT_OPS
static struct genl_split_ops vg_split_ops[ARRAY_SIZE(vfiogroup_nl_ops)]
	__ro_after_init;

int vg_genl_ops_init(struct genl_family *family)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vg_split_ops); i++) {
		vg_split_ops[i] = vfiogroup_nl_ops[i];
		if (vg_split_ops[i].policy)
			continue;
		/* a dump's too: its start() parses with it from 6.2 */
		vg_split_ops[i].policy = vg_reject_all;
		vg_split_ops[i].maxattr = ARRAY_SIZE(vg_reject_all) - 1;
	}
	family->split_ops = vg_split_ops;
	family->n_split_ops = ARRAY_SIZE(vg_split_ops);
	return 0;
}
#else
static struct genl_ops vg_genl_ops[VFIOGROUP_CMD_MAX] __ro_after_init;

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
	family->ops = vg_genl_ops;
	family->n_ops = n;
	return 0;
}
#endif
