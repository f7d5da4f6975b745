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

#include "internal.h"

/*
 * The attribute walker.  libnl's nla_parse() with policies did this at
 * about half the cost of decoding an event (issue 14); this one keeps its
 * rules exactly, so that what is accepted or refused does not change:
 *
 *  - an attribute is taken while at least a header is left and its
 *    nla_len covers the header and stays within what is left (nla_ok());
 *    the first that does not ends the walk quietly, as in nla_parse();
 *  - the next one starts NLA_ALIGN(nla_len) further on;
 *  - its type is nla_type without the NLA_F_* flags; a type above the
 *    table is skipped unchecked (a newer module's attribute);
 *  - any other one must pass its rule -- at least min bytes, and for a
 *    string a NUL as its last byte -- or the message is malformed, even
 *    when it is not the instance kept;
 *  - the last of a repeated type is the one kept.
 *
 * The getters further down re-check every length anyway, so that a slip
 * in a table cannot turn into an out-of-bounds read.
 */
struct rule {
	uint8_t min;	/* payload bytes at least */
	bool str;	/* a string: ends in a NUL (so min is 1) */
};

#define U8	{ .min = 1 }
#define U16	{ .min = 2 }
#define U32	{ .min = 4 }
#define U64	{ .min = 8 }
#define STR	{ .min = 1, .str = true }
#define NEST	{ .min = 0 }	/* its content is walked on its own */

static const struct rule group_rules[VFIOGROUP_A_MAX + 1] = {
	[VFIOGROUP_A_GROUP_ID]		= U32,
	[VFIOGROUP_A_GROUP_VIABLE]	= U8,
	[VFIOGROUP_A_GROUP_SEQ]		= U64,
	[VFIOGROUP_A_GROUP_DEVICE]	= NEST,
	[VFIOGROUP_A_GROUP_DEV_NAME]	= STR,
	[VFIOGROUP_A_GROUP_EVENT]	= NEST,
	[VFIOGROUP_A_GROUP_READY]	= U8,
	[VFIOGROUP_A_GROUP_IN_USE]	= U8,
};

static const struct rule info_rules[VFIOGROUP_A_INFO_MAX + 1] = {
	[VFIOGROUP_A_INFO_SEQ]		= U64,
	[VFIOGROUP_A_INFO_DROPPED]	= U64,
	[VFIOGROUP_A_INFO_NOTIFIER]	= U32,
	[VFIOGROUP_A_INFO_GROUPS]	= U32,
	[VFIOGROUP_A_INFO_VERSION]	= STR,
	[VFIOGROUP_A_INFO_EVENTS]	= U8,
};

static const struct rule dev_rules[VFIOGROUP_A_DEV_MAX + 1] = {
	[VFIOGROUP_A_DEV_NAME]		= STR,
	[VFIOGROUP_A_DEV_BUS]		= STR,
	[VFIOGROUP_A_DEV_DRIVER]	= STR,
	[VFIOGROUP_A_DEV_VIABLE]	= U8,
	[VFIOGROUP_A_DEV_VENDOR]	= U16,
	[VFIOGROUP_A_DEV_DEVICE]	= U16,
	[VFIOGROUP_A_DEV_VFIO]		= U8,
	[VFIOGROUP_A_DEV_VFIO_DEV]	= STR,
};

static const struct rule event_rules[VFIOGROUP_A_EVENT_MAX + 1] = {
	[VFIOGROUP_A_EVENT_KIND]	= U32,
	[VFIOGROUP_A_EVENT_SEQ]		= U64,
	[VFIOGROUP_A_EVENT_TIME_NS]	= U64,
	[VFIOGROUP_A_EVENT_DEV_NAME]	= STR,
	[VFIOGROUP_A_EVENT_DRIVER]	= STR,
};

static const struct rule ctrl_rules[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]		= U16,
	[CTRL_ATTR_FAMILY_NAME]		= STR,
};

/* The largest of the tables above, for the one tb[] type below. */
#define MAX_OF(a, b)	((int)(a) > (int)(b) ? (int)(a) : (int)(b))
#define TB_MAX	MAX_OF(MAX_OF(VFIOGROUP_A_MAX, VFIOGROUP_A_INFO_MAX), \
		       MAX_OF(MAX_OF(VFIOGROUP_A_DEV_MAX, \
				     VFIOGROUP_A_EVENT_MAX), CTRL_ATTR_MAX))

/* One level of attributes, walked. */
struct attrs {
	const struct nlattr *tb[TB_MAX + 1];	/* the last of each type */
	/* the repeated type asked for: how many, and the first of them */
	size_t nrep;
	const struct nlattr *rep;
};

/* Where an iteration over [p, p + rem) is: p never passes the end. */
struct attr_iter {
	const char *p;
	size_t rem;
};

static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* The next attribute that fits whole (nla_ok()), or NULL: the end. */
static inline const struct nlattr *attr_next(struct attr_iter *it)
{
	const struct nlattr *a = (const void *)it->p;
	size_t step;

	if (it->rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN ||
	    a->nla_len > it->rem)
		return NULL;
	/* The padding of the last one may be missing: then that is all. */
	step = NLA_ALIGN(a->nla_len);
	if (step > it->rem)
		step = it->rem;
	it->p += step;
	it->rem -= step;
	return a;
}

/*
 * Walk [head, head + len) by the rules of a table of max + 1 types into
 * out; attributes of type rep (NO_REP: none) are counted, the first kept.
 * -EBADMSG when one breaks its rule.  Inlined into each caller: with max
 * and rep constant it is the tightest loop of the decoder.
 */
#define NO_REP	0x10000u	/* above every type (16 bits) */

static inline __attribute__((always_inline))
int walk(const void *head, size_t len, const struct rule *rules,
	 unsigned max, unsigned rep, struct attrs *out)
{
	const char *p = head;
	size_t rem = len;

	memset(out->tb, 0, (max + 1) * sizeof(out->tb[0]));
	out->nrep = 0;
	out->rep = NULL;
	/* attr_next()'s steps, with each header read once */
	while (rem >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		size_t alen = a->nla_len, step;
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (alen < NLA_HDRLEN || alen > rem)
			break;
		if (type <= max) {
			const struct rule *r = &rules[type];

			if (alen - NLA_HDRLEN < r->min ||
			    (r->str && p[alen - 1] != '\0'))
				return -EBADMSG;
			out->tb[type] = a;
			if (type == rep && !out->nrep++)
				out->rep = a;
		}
		step = NLA_ALIGN(alen);
		if (step >= rem)
			break;
		p += step;
		rem -= step;
	}
	return 0;
}

static inline __attribute__((always_inline))
int walk_nested(const struct nlattr *nest, const struct rule *rules,
		       unsigned max, struct attrs *out)
{
	return walk(attr_data(nest), attr_len(nest), rules, max, NO_REP, out);
}

/* memcpy: attributes are only 4-byte aligned, u64s would not be. */
static int get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return -EBADMSG;
	memcpy(v, attr_data(a), sizeof(*v));
	return 0;
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return -EBADMSG;
	memcpy(v, attr_data(a), sizeof(*v));
	return 0;
}

static int get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return -EBADMSG;
	memcpy(v, attr_data(a), sizeof(*v));
	return 0;
}

static int get_u64(const struct nlattr *a, uint64_t *v)
{
	if (!a || attr_len(a) < sizeof(*v))
		return -EBADMSG;
	memcpy(v, attr_data(a), sizeof(*v));
	return 0;
}

/*
 * A NUL-terminated string that fits size with its NUL, not empty: how many
 * bytes of it to copy, its NUL included, or 0 when it is not one.
 */
static inline size_t str_len(const struct nlattr *a, size_t size)
{
	size_t len = a ? attr_len(a) : 0;
	const char *s;
	size_t n;

	if (len < 1)
		return 0;
	s = attr_data(a);
	/*
	 * The walk saw the NUL at the end: when the whole attribute fits,
	 * copying it is the same string as copying up to its first NUL,
	 * without looking for that NUL.
	 */
	if (len <= size && s[len - 1] == '\0')
		return s[0] ? len : 0;
	n = strnlen(s, len);
	return n == len || n == 0 || n >= size ? 0 : n + 1;
}

static inline int get_str(const struct nlattr *a, char *buf, size_t size)
{
	size_t n = str_len(a, size);

	if (!n)
		return -EBADMSG;
	memcpy(buf, attr_data(a), n);
	return 0;
}

/* The same string, not copied: *s points into the message. */
static inline int get_str_ref(const struct nlattr *a, size_t size,
			      const char **s)
{
	if (!str_len(a, size))
		return -EBADMSG;
	*s = attr_data(a);
	return 0;
}

/*
 * Into d, every field set: the devices of a renewed group are not zeroed
 * (their strings are read up to the NUL, nothing reads further).  With
 * keep, the nest's bytes are kept with it when they fit (same_nest()).
 */
static int parse_device(const struct nlattr *nest, struct vfiogroup_device *d,
			bool keep)
{
	struct attrs at;
	const struct nlattr **tb = at.tb;
	uint8_t viable, vfio;

	d->nest_len = 0;	/* until it is decoded whole */
	d->bus[0] = d->driver[0] = d->vfio_dev[0] = '\0';
	d->is_pci = false;
	d->vendor = d->device = 0;
	if (walk_nested(nest, dev_rules, VFIOGROUP_A_DEV_MAX, &at))
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
	if (keep && attr_len(nest) <= sizeof(d->nest)) {
		memcpy(d->nest, attr_data(nest), attr_len(nest));
		d->nest_len = (uint16_t)attr_len(nest);
	}
	return 0;
}

/*
 * d was decoded from a nest of these very bytes, so decoding this one
 * would write what d holds and accept it as it was accepted then: every
 * rule parse_device() applies looks at the nest's bytes and nothing else.
 * An event changes one device of a group, if any, and the spare it is
 * decoded into is most often the same group two events back (the state
 * the last event replaced): the other devices' nests are the same.
 */
static bool same_nest(const struct vfiogroup_device *d,
		      const struct nlattr *nest)
{
	size_t len = attr_len(nest);

	return d->nest_len == len && len &&
	       !memcmp(d->nest, attr_data(nest), len);
}

/*
 * Every device nest of the walk in at, in order, into g (room for them
 * all: at counted them).  The walk already went over these bytes, so the
 * iteration from the first device meets the same attributes.  keep: see
 * parse_group().  g was a whole group of was devices before it was
 * renewed (0: new).
 */
static int parse_devices(const struct attrs *at, const void *head, size_t len,
			 struct vfiogroup_group *g, size_t was, bool keep)
{
	struct attr_iter it = { (const char *)at->rep,
				len - (size_t)((const char *)at->rep -
					       (const char *)head) };
	const struct nlattr *a;
	bool as_was = true;	/* every device so far same_nest() */

	while (g->ndev < at->nrep && (a = attr_next(&it))) {
		struct vfiogroup_device *d = &g->dev[g->ndev];
		bool same;

		if (attr_type(a) != VFIOGROUP_A_GROUP_DEVICE)
			continue;
		same = same_nest(d, a);
		if (!same && parse_device(a, d, keep))
			return -EBADMSG;
		/*
		 * Names identify devices in diffs: they must be unique.  The
		 * first devices, as long as each is the one it was, are known
		 * to be: the group they came from was checked whole.
		 */
		as_was = as_was && same && g->ndev < was;
		if (!as_was && vg_group_find_dev(g, d->name))
			return -EBADMSG;
		g->ndev++;
		if (d->vfio && !g->node[0])
			vg_group_set_node(g);
	}
	return 0;
}

/*
 * A group with room for ndevs devices: the spare if it has it.  *was: how
 * many devices it held before (0 for a new one).
 */
static struct vfiogroup_group *group_for(struct vfiogroup_group **spare,
					 size_t ndevs, size_t *was)
{
	struct vfiogroup_group *g = NULL;

	*was = 0;
	if (spare && *spare) {
		*was = (*spare)->ndev;
		g = vg_group_renew(*spare, ndevs);
		if (!g) {	/* too small: make room for a bigger one */
			vfiogroup_group_unref(*spare);
			*was = 0;
		}
		*spare = NULL;
	}
	return g ? g : vg_group_alloc(0, ndevs);
}

/*
 * The group state shared by replies and notifications.  The devices keep
 * their nests' bytes only for a caller with spares (the dispatcher): the
 * groups it decodes are the ones its next events are decoded into, and
 * the copies would cost a dump's groups more than they save.
 */
static int parse_group(const struct attrs *at, const void *head, size_t len,
		       struct vfiogroup_group **spare,
		       struct vfiogroup_group **out)
{
	const struct nlattr *const *tb = at->tb;
	struct vfiogroup_group *g;
	uint8_t viable, flag;
	size_t was;

	/* Sized once: the walk counted the device nests. */
	g = group_for(spare, at->nrep, &was);
	if (!g)
		return -ENOMEM;
	if (get_u32(tb[VFIOGROUP_A_GROUP_ID], &g->id) ||
	    get_u8(tb[VFIOGROUP_A_GROUP_VIABLE], &viable) ||
	    get_u64(tb[VFIOGROUP_A_GROUP_SEQ], &g->seq))
		goto bad;
	g->viable = viable != 0;
	if (at->nrep && parse_devices(at, head, len, g, was, spare != NULL))
		goto bad;
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

/* Its strings are left in the message: an event is delivered from there. */
static int parse_event(const struct nlattr *nest, struct vg_event_ntf *ev)
{
	struct attrs at;
	const struct nlattr **tb = at.tb;

	if (walk_nested(nest, event_rules, VFIOGROUP_A_EVENT_MAX, &at))
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
	if (tb[VFIOGROUP_A_EVENT_DEV_NAME] &&
	    get_str_ref(tb[VFIOGROUP_A_EVENT_DEV_NAME], VFIOGROUP_NAME_MAX,
			&ev->dev_name))
		return -EBADMSG;
	if (tb[VFIOGROUP_A_EVENT_DRIVER] &&
	    get_str_ref(tb[VFIOGROUP_A_EVENT_DRIVER], VFIOGROUP_NAME_MAX,
			&ev->driver))
		return -EBADMSG;
	return 0;
}

static int parse_info(const void *head, size_t len,
		      struct vfiogroup_info *info, int *events)
{
	struct attrs at;
	const struct nlattr **tb = at.tb;
	uint8_t reach;

	if (walk(head, len, info_rules, VFIOGROUP_A_INFO_MAX, NO_REP, &at))
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

static int decode_ctrl(const struct genlmsghdr *gh, const void *head,
		       size_t len, struct vg_msg *out)
{
	struct attrs at;

	if (gh->cmd != CTRL_CMD_NEWFAMILY && gh->cmd != CTRL_CMD_DELFAMILY)
		return 0;	/* VG_MSG_IGNORE: mcast group news and such */
	if (walk(head, len, ctrl_rules, CTRL_ATTR_MAX, NO_REP, &at) ||
	    get_str(at.tb[CTRL_ATTR_FAMILY_NAME], out->ctrl_family,
		    sizeof(out->ctrl_family)) ||
	    get_u16(at.tb[CTRL_ATTR_FAMILY_ID], &out->ctrl_family_id))
		return -EBADMSG;
	out->kind = VG_MSG_CTRL;
	out->ctrl_cmd = gh->cmd;
	return 0;
}

static int decode_family(const struct genlmsghdr *gh, const void *head,
			 size_t len, struct vfiogroup_group **spare,
			 struct vg_msg *out)
{
	struct attrs at;
	int r;

	if (gh->cmd == VFIOGROUP_CMD_INFO_GET) {
		out->kind = VG_MSG_INFO;
		return parse_info(head, len, &out->info, &out->info_events);
	}
	if (gh->cmd != VFIOGROUP_CMD_GROUP_GET &&
	    gh->cmd != VFIOGROUP_CMD_EVENT_NTF)
		return 0;
	/* One walk: the group's attributes, its devices counted. */
	if (walk(head, len, group_rules, VFIOGROUP_A_MAX,
		 VFIOGROUP_A_GROUP_DEVICE, &at))
		return -EBADMSG;

	switch (gh->cmd) {
	case VFIOGROUP_CMD_GROUP_GET:
		out->kind = VG_MSG_GROUP;
		r = parse_group(&at, head, len, spare, &out->group);
		if (!r)
			out->group_id = out->group->id;
		return r;
	default:
		break;
	}

	out->kind = VG_MSG_EVENT;
	if (get_u32(at.tb[VFIOGROUP_A_GROUP_ID], &out->group_id) ||
	    !at.tb[VFIOGROUP_A_GROUP_EVENT] ||
	    parse_event(at.tb[VFIOGROUP_A_GROUP_EVENT], &out->ev))
		return -EBADMSG;
	r = parse_group(&at, head, len, spare, &out->group);
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
	return vg_decode_into(nlh, avail, family_id, NULL, out);
}

int vg_decode_into(const struct nlmsghdr *nlh, size_t avail,
		   uint16_t family_id, struct vfiogroup_group **spare,
		   struct vg_msg *out)
{
	const size_t hdrs = NLMSG_HDRLEN + GENL_HDRLEN;
	const struct genlmsghdr *gh;
	const void *head;
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
	head = (const char *)nlh + hdrs;
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		r = decode_ctrl(gh, head, len - hdrs, out);
	else
		r = decode_family(gh, head, len - hdrs, spare, out);
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
