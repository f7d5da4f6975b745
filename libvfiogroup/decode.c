/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Netlink message -> struct, and nothing else: no socket, no state, so the
 * fuzzer and the unit tests can feed it any bytes.  Everything the kernel
 * is documented to send is checked; anything else is -EBADMSG, never a
 * read past avail.
 */
#include <errno.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "internal.h"

/*
 * Policies give libnl's nla_parse() the minimum sizes; the getters below
 * re-check every length anyway so that a policy slip cannot turn into an
 * out-of-bounds read.
 */
static struct nla_policy group_policy[VFIOGROUP_A_MAX + 1] = {
	[VFIOGROUP_A_GROUP_ID]		= { .type = NLA_U32 },
	[VFIOGROUP_A_GROUP_VIABLE]	= { .type = NLA_U8 },
	[VFIOGROUP_A_GROUP_SEQ]		= { .type = NLA_U64 },
	[VFIOGROUP_A_GROUP_DEVICE]	= { .type = NLA_NESTED },
	[VFIOGROUP_A_GROUP_DEV_NAME]	= { .type = NLA_STRING },
	[VFIOGROUP_A_GROUP_EVENT]	= { .type = NLA_NESTED },
	[VFIOGROUP_A_GROUP_READY]	= { .type = NLA_U8 },
	[VFIOGROUP_A_GROUP_IN_USE]	= { .type = NLA_U8 },
};

static struct nla_policy info_policy[VFIOGROUP_A_INFO_MAX + 1] = {
	[VFIOGROUP_A_INFO_SEQ]		= { .type = NLA_U64 },
	[VFIOGROUP_A_INFO_DROPPED]	= { .type = NLA_U64 },
	[VFIOGROUP_A_INFO_NOTIFIER]	= { .type = NLA_U32 },
	[VFIOGROUP_A_INFO_GROUPS]	= { .type = NLA_U32 },
	[VFIOGROUP_A_INFO_VERSION]	= { .type = NLA_STRING },
	[VFIOGROUP_A_INFO_EVENTS]	= { .type = NLA_U8 },
};

static struct nla_policy dev_policy[VFIOGROUP_A_DEV_MAX + 1] = {
	[VFIOGROUP_A_DEV_NAME]		= { .type = NLA_STRING },
	[VFIOGROUP_A_DEV_BUS]		= { .type = NLA_STRING },
	[VFIOGROUP_A_DEV_DRIVER]	= { .type = NLA_STRING },
	[VFIOGROUP_A_DEV_VIABLE]	= { .type = NLA_U8 },
	[VFIOGROUP_A_DEV_VENDOR]	= { .type = NLA_U16 },
	[VFIOGROUP_A_DEV_DEVICE]	= { .type = NLA_U16 },
	[VFIOGROUP_A_DEV_VFIO]		= { .type = NLA_U8 },
	[VFIOGROUP_A_DEV_VFIO_DEV]	= { .type = NLA_STRING },
};

static struct nla_policy event_policy[VFIOGROUP_A_EVENT_MAX + 1] = {
	[VFIOGROUP_A_EVENT_KIND]	= { .type = NLA_U32 },
	[VFIOGROUP_A_EVENT_SEQ]		= { .type = NLA_U64 },
	[VFIOGROUP_A_EVENT_TIME_NS]	= { .type = NLA_U64 },
	[VFIOGROUP_A_EVENT_DEV_NAME]	= { .type = NLA_STRING },
	[VFIOGROUP_A_EVENT_DRIVER]	= { .type = NLA_STRING },
};

static struct nla_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]		= { .type = NLA_U16 },
	[CTRL_ATTR_FAMILY_NAME]		= { .type = NLA_STRING },
};

/* memcpy: attributes are only 4-byte aligned, u64s would not be. */
static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || nla_len(a) < (int)sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || nla_len(a) < (int)sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nla_len(a) < (int)sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a || nla_len(a) < (int)sizeof(*v))
		return -EBADMSG;
	memcpy(v, nla_data(a), sizeof(*v));
	return 0;
}

/* A NUL-terminated string that fits size with its NUL, not empty. */
static int get_str(const struct nlattr *a, char *buf, size_t size)
{
	int len = a ? nla_len(a) : 0;
	const char *s;
	size_t n;

	if (len < 1)
		return -EBADMSG;
	s = nla_data(a);
	n = strnlen(s, (size_t)len);
	if (n == (size_t)len || n == 0 || n >= size)
		return -EBADMSG;
	memcpy(buf, s, n + 1);
	return 0;
}

static int parse_device(struct nlattr *nest, struct vfiogroup_device *d)
{
	struct nlattr *tb[VFIOGROUP_A_DEV_MAX + 1];
	uint8_t viable, vfio;

	memset(d, 0, sizeof(*d));
	if (nla_parse_nested(tb, VFIOGROUP_A_DEV_MAX, nest, dev_policy) < 0)
		return -EBADMSG;
	if (get_str(tb[VFIOGROUP_A_DEV_NAME], d->name, sizeof(d->name)) ||
	    get_u8(tb[VFIOGROUP_A_DEV_VIABLE], &viable))
		return -EBADMSG;
	d->viable = viable != 0;
	if (tb[VFIOGROUP_A_DEV_BUS] &&
	    get_str(tb[VFIOGROUP_A_DEV_BUS], d->bus, sizeof(d->bus)))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_DEV_DRIVER] &&
	    get_str(tb[VFIOGROUP_A_DEV_DRIVER], d->driver, sizeof(d->driver)))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_DEV_VENDOR] || tb[VFIOGROUP_A_DEV_DEVICE]) {
		if (get_u16(tb[VFIOGROUP_A_DEV_VENDOR], &d->vendor) ||
		    get_u16(tb[VFIOGROUP_A_DEV_DEVICE], &d->device))
			return -EBADMSG;
		d->is_pci = true;
	}
	/* A module older than 0.3 does not say: VFIO's drivers are named so. */
	if (tb[VFIOGROUP_A_DEV_VFIO]) {
		if (get_u8(tb[VFIOGROUP_A_DEV_VFIO], &vfio) || vfio > 1)
			return -EBADMSG;
		d->vfio = vfio;
	} else {
		d->vfio = strstr(d->driver, "vfio") != NULL;
	}
	if (tb[VFIOGROUP_A_DEV_VFIO_DEV] &&
	    (!d->vfio || get_str(tb[VFIOGROUP_A_DEV_VFIO_DEV], d->vfio_dev,
				 sizeof(d->vfio_dev))))
		return -EBADMSG;
	return 0;
}

/* The group state shared by replies and notifications. */
static int parse_group(struct nlattr **tb, struct nlattr *head, int len,
		       struct vfiogroup_group **out)
{
	struct vfiogroup_group *g;
	struct nlattr *a;
	uint8_t viable, flag;
	int rem;

	g = vg_group_new(0);
	if (!g)
		return -ENOMEM;
	if (get_u32(tb[VFIOGROUP_A_GROUP_ID], &g->id) ||
	    get_u8(tb[VFIOGROUP_A_GROUP_VIABLE], &viable) ||
	    get_u64(tb[VFIOGROUP_A_GROUP_SEQ], &g->seq))
		goto bad;
	g->viable = viable != 0;

	/* nla_parse() keeps only the last of a repeated attribute. */
	nla_for_each_attr(a, head, len, rem) {
		struct vfiogroup_device d;
		int r;

		if (nla_type(a) != VFIOGROUP_A_GROUP_DEVICE)
			continue;
		if (parse_device(a, &d))
			goto bad;
		/* Names identify devices in diffs: they must be unique. */
		if (vg_group_find_dev(g, d.name))
			goto bad;
		r = vg_group_add_device(g, &d);
		if (r) {
			vfiogroup_group_unref(g);
			return r;
		}
	}
	if (tb[VFIOGROUP_A_GROUP_READY]) {
		if (get_u8(tb[VFIOGROUP_A_GROUP_READY], &flag) || flag > 1)
			goto bad;
		g->ready = flag;
	} else {
		g->ready = vg_group_openable(g);
	}
	g->in_use = -1;
	if (tb[VFIOGROUP_A_GROUP_IN_USE]) {
		if (get_u8(tb[VFIOGROUP_A_GROUP_IN_USE], &flag) || flag > 1)
			goto bad;
		g->in_use = flag;
	}
	*out = g;
	return 0;
bad:
	vfiogroup_group_unref(g);
	return -EBADMSG;
}

static int parse_event(struct nlattr *nest, struct vg_event_raw *ev)
{
	struct nlattr *tb[VFIOGROUP_A_EVENT_MAX + 1];

	if (nla_parse_nested(tb, VFIOGROUP_A_EVENT_MAX, nest, event_policy) < 0)
		return -EBADMSG;
	if (get_u32(tb[VFIOGROUP_A_EVENT_KIND], &ev->kind) ||
	    get_u64(tb[VFIOGROUP_A_EVENT_SEQ], &ev->seq))
		return -EBADMSG;
	if (ev->kind < VFIOGROUP_EVENT_DEVICE_ADDED ||
	    ev->kind > VFIOGROUP_EVENT_READY_CHANGED)
		return -EBADMSG;
	if (tb[VFIOGROUP_A_EVENT_TIME_NS] &&
	    get_u64(tb[VFIOGROUP_A_EVENT_TIME_NS], &ev->time_ns))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_EVENT_DEV_NAME]) {
		if (get_str(tb[VFIOGROUP_A_EVENT_DEV_NAME], ev->dev_name,
			    sizeof(ev->dev_name)))
			return -EBADMSG;
		ev->has_dev = true;
	}
	if (tb[VFIOGROUP_A_EVENT_DRIVER]) {
		if (get_str(tb[VFIOGROUP_A_EVENT_DRIVER], ev->driver,
			    sizeof(ev->driver)))
			return -EBADMSG;
		ev->has_driver = true;
	}
	return 0;
}

static int parse_info(struct nlattr *head, int len,
		      struct vfiogroup_info *info, int *events)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];
	uint8_t reach;

	if (nla_parse(tb, VFIOGROUP_A_INFO_MAX, head, len, info_policy) < 0)
		return -EBADMSG;
	if (get_u64(tb[VFIOGROUP_A_INFO_SEQ], &info->seq))
		return -EBADMSG;
	*events = -1;	/* a module older than info-events */
	if (tb[VFIOGROUP_A_INFO_EVENTS]) {
		if (get_u8(tb[VFIOGROUP_A_INFO_EVENTS], &reach) || reach > 1)
			return -EBADMSG;
		*events = reach;
	}
	if (tb[VFIOGROUP_A_INFO_DROPPED] &&
	    get_u64(tb[VFIOGROUP_A_INFO_DROPPED], &info->dropped))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_INFO_NOTIFIER] &&
	    get_u32(tb[VFIOGROUP_A_INFO_NOTIFIER], &info->notifier))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_INFO_GROUPS] &&
	    get_u32(tb[VFIOGROUP_A_INFO_GROUPS], &info->groups))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_INFO_VERSION] &&
	    get_str(tb[VFIOGROUP_A_INFO_VERSION], info->version,
		    sizeof(info->version)))
		return -EBADMSG;
	return 0;
}

static int decode_ctrl(const struct genlmsghdr *gh, struct nlattr *head,
		       int len, struct vg_msg *out)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (gh->cmd != CTRL_CMD_NEWFAMILY && gh->cmd != CTRL_CMD_DELFAMILY)
		return 0;	/* VG_MSG_IGNORE: mcast group news and such */
	if (nla_parse(tb, CTRL_ATTR_MAX, head, len, ctrl_policy) < 0 ||
	    get_str(tb[CTRL_ATTR_FAMILY_NAME], out->ctrl_family,
		    sizeof(out->ctrl_family)) ||
	    get_u16(tb[CTRL_ATTR_FAMILY_ID], &out->ctrl_family_id))
		return -EBADMSG;
	out->kind = VG_MSG_CTRL;
	out->ctrl_cmd = gh->cmd;
	return 0;
}

static int decode_family(const struct genlmsghdr *gh, struct nlattr *head,
			 int len, struct vg_msg *out)
{
	struct nlattr *tb[VFIOGROUP_A_MAX + 1];
	int r;

	if (gh->cmd == VFIOGROUP_CMD_INFO_GET) {
		out->kind = VG_MSG_INFO;
		return parse_info(head, len, &out->info, &out->info_events);
	}
	if (gh->cmd != VFIOGROUP_CMD_GROUP_GET &&
	    gh->cmd != VFIOGROUP_CMD_EVENT_NTF)
		return 0;
	if (nla_parse(tb, VFIOGROUP_A_MAX, head, len, group_policy) < 0)
		return -EBADMSG;

	switch (gh->cmd) {
	case VFIOGROUP_CMD_GROUP_GET:
		out->kind = VG_MSG_GROUP;
		r = parse_group(tb, head, len, &out->group);
		if (!r)
			out->group_id = out->group->id;
		return r;
	default:
		break;
	}

	out->kind = VG_MSG_EVENT;
	if (get_u32(tb[VFIOGROUP_A_GROUP_ID], &out->group_id) ||
	    !tb[VFIOGROUP_A_GROUP_EVENT] ||
	    parse_event(tb[VFIOGROUP_A_GROUP_EVENT], &out->ev))
		return -EBADMSG;
	r = parse_group(tb, head, len, &out->group);
	if (r)
		return r;
	/*
	 * The state is "right after the event", so the group's last event is
	 * this one: make sure the snapshot says so, the cache compares it.
	 */
	if (out->group->seq < out->ev.seq)
		out->group->seq = out->ev.seq;
	return 0;
}

int vg_decode(const struct nlmsghdr *nlh, size_t avail, uint16_t family_id,
	      struct vg_msg *out)
{
	const size_t hdrs = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct genlmsghdr *gh;
	struct nlattr *head;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	/* Whole messages only: nothing is cut short on purpose any more. */
	if (avail < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    avail < nlh->nlmsg_len)
		return -EBADMSG;
	len = nlh->nlmsg_len;

	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
	case NLMSG_DONE:
	case NLMSG_OVERRUN:
		return 0;
	case NLMSG_ERROR: {
		int err;

		if (len < NLMSG_HDRLEN + sizeof(err))
			return -EBADMSG;
		memcpy(&err, (const char *)nlh + NLMSG_HDRLEN, sizeof(err));
		if (err > 0 || err < -4095)
			return -EBADMSG;
		if (err) {
			out->kind = VG_MSG_ERROR;
			out->error = err;
		}
		return 0;
	}
	default:
		break;
	}

	if (nlh->nlmsg_type != GENL_ID_CTRL &&
	    (!family_id || nlh->nlmsg_type != family_id))
		return 0;	/* not ours: VG_MSG_IGNORE */
	if (len < hdrs)
		return -EBADMSG;

	gh = (const struct genlmsghdr *)((const char *)nlh + NLMSG_HDRLEN);
	head = (struct nlattr *)((char *)nlh + hdrs);
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		r = decode_ctrl(gh, head, (int)(len - hdrs), out);
	else
		r = decode_family(gh, head, (int)(len - hdrs), out);
	if (r) {
		vg_msg_release(out);
		out->kind = VG_MSG_IGNORE;
	}
	return r;
}

void vg_msg_release(struct vg_msg *m)
{
	m->group = vfiogroup_group_unref(m->group);
}

int vg_each_msg(const void *buf, size_t len, vg_each_fn fn, void *arg)
{
	const char *p = buf;
	int n = 0;

	while (len >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;
		int r;

		/* Claims less than its header, or more than is left. */
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
			return -EBADMSG;
		n++;
		r = fn(nlh, nlh->nlmsg_len, arg);
		if (r < 0)
			return r;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return n;
		p += step;
		len -= step;
	}
	return len ? -EBADMSG : n;
}
