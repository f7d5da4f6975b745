// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the module's oracles without the library -- raw generic netlink
 * (libnl) group-get dump, group-get do, info-get -- and the check of
 * every raw reply's form (malformed, group-in-use).
 */
#include "walk.h"

#include <linux/netlink.h>
#include <linux/genetlink.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

struct nl_sock *nsk;
static int nfam;
unsigned raw_malformed;
/* group-in-use in raw replies: present from 5.19 (and 0: nobody holds a
 * group in the walk), absent before */
unsigned long inuse_checks, inuse_bad;
static unsigned char rxbuf[256 * 1024];

int raw_open(void)
{
	int one = 1;

	nsk = nl_socket_alloc();
	if (!nsk || genl_connect(nsk) < 0)
		return -EIO;
	nfam = genl_ctrl_resolve(nsk, VFIOGROUP_FAMILY_NAME);
	if (nfam < 0)
		return -ENOENT;
	setsockopt(nl_socket_get_fd(nsk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	return 0;
}

static void malformed(const char *what)
{
	if (raw_malformed++ < 10)
		diag("walk: malformed reply: %s", what);
}

static bool attr_fixed(const struct nlattr *a, void *v, int len)
{
	if (!a)
		return false;
	if (nla_len(a) != len) {
		malformed("attribute length");
		return false;
	}
	memcpy(v, nla_data(a), (size_t)len);
	return true;
}

static bool attr_str(const struct nlattr *a, char *out, size_t len)
{
	const char *s;
	int n;

	out[0] = 0;
	if (!a)
		return false;
	s = nla_data(a);
	n = nla_len(a);
	if (n < 1 || s[n - 1] || strlen(s) != (size_t)n - 1) {
		malformed("string");
		return false;
	}
	scopy(out, len, s);
	return true;
}

/* A group-get reply or a dump entry into g. */
static bool parse_group(const struct nlmsghdr *nlh, struct gst *g)
{
	struct nlattr *a;
	uint8_t v8;
	bool id = false, vi = false, rd = false, iu = false;
	int rem;

	memset(g, 0, sizeof(*g));
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		malformed("short genlmsg");
		return false;
	}
	nlmsg_for_each_attr(a, (struct nlmsghdr *)nlh, GENL_HDRLEN, rem) {
		switch (nla_type(a)) {
		case VFIOGROUP_A_GROUP_ID:
			id = attr_fixed(a, &g->id, 4);
			break;
		case VFIOGROUP_A_GROUP_VIABLE:
			if ((vi = attr_fixed(a, &v8, 1)))
				g->viable = v8;
			break;
		case VFIOGROUP_A_GROUP_SEQ:
			g->has_seq = attr_fixed(a, &g->seq, 8);
			break;
		case VFIOGROUP_A_GROUP_READY:
			if ((rd = attr_fixed(a, &v8, 1)))
				g->ready = v8;
			break;
		case VFIOGROUP_A_GROUP_IN_USE:
			if ((iu = attr_fixed(a, &v8, 1)) && v8 && inuse_bad++ < 5)
				diag("walk: group-in-use=%u in a reply (nobody holds a group here)", v8);
			break;
		case VFIOGROUP_A_GROUP_DEVICE: {
			struct nlattr *dt[VFIOGROUP_A_DEV_MAX + 1];
			struct dst *d;

			if (g->nd == MAXD || nla_parse_nested(dt, VFIOGROUP_A_DEV_MAX, a, NULL) < 0) {
				malformed("device nest");
				break;
			}
			d = &g->d[g->nd++];
			if (!attr_str(dt[VFIOGROUP_A_DEV_NAME], d->name, sizeof(d->name)))
				malformed("device without name");
			if (!attr_str(dt[VFIOGROUP_A_DEV_BUS], d->bus, sizeof(d->bus)))
				malformed("device without bus");
			attr_str(dt[VFIOGROUP_A_DEV_DRIVER], d->drv, sizeof(d->drv));
			d->viable = -1;
			if (attr_fixed(dt[VFIOGROUP_A_DEV_VIABLE], &v8, 1))
				d->viable = v8;
			else
				malformed("device without viable");
			d->vfio = -1;
			if (attr_fixed(dt[VFIOGROUP_A_DEV_VFIO], &v8, 1))
				d->vfio = v8;
			else
				malformed("device without vfio");
			attr_str(dt[VFIOGROUP_A_DEV_VFIO_DEV], d->vfio_dev, sizeof(d->vfio_dev));
			g->node |= d->vfio == 1;
			break;
		}
		default:
			break;
		}
	}
	if (!id || !vi || !g->has_seq || !rd)
		malformed("group without id, viable, seq or ready");
	inuse_checks++;
	if (iu != k_in_use) {
		inuse_bad++;
		malformed(k_in_use ? "group-in-use missing (5.19 and later)"
				   : "group-in-use before 5.19");
	}
	qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
	return id;
}

typedef void (*raw_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * One request: send, read until the ACK/error (do) or NLMSG_DONE (dump).
 * Returns 0, the kernel's -errno, or -ETIMEDOUT/-EIO.
 */
static int raw_request(uint8_t cmd, int flags, int64_t id, raw_cb cb, void *arg)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t seq;
	int r;

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nfam, 0,
				 flags | NLM_F_ACK, cmd, VFIOGROUP_FAMILY_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (id >= 0)
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, (uint32_t)id);
	r = nl_send_auto(nsk, msg);
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	nlmsg_free(msg);
	if (r < 0)
		return -EIO;
	for (;;) {
		struct pollfd p = { .fd = nl_socket_get_fd(nsk), .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		r = poll(&p, 1, 20000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		n = recv(p.fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (unsigned)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				return nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EIO : e->error;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, NLMSG_DATA(nlh), sizeof(e));
				return e;
			}
			if (nlh->nlmsg_type == nfam && cb)
				cb(nlh, arg);
		}
	}
}

static void dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct world *w = arg;

	if (w->n == MAXG) {
		malformed("too many groups");
		return;
	}
	if (parse_group(nlh, &w->g[w->n]))
		w->n++;
}

int raw_dump(struct world *w)
{
	int r;

	w->n = 0;
	r = raw_request(VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP, -1, dump_cb, w);
	qsort(w->g, w->n, sizeof(w->g[0]), gst_cmp);
	return r;
}

struct get_arg {
	struct gst *g;
	int n;
};

static void get_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct get_arg *a = arg;

	if (a->n++ == 0)
		parse_group(nlh, a->g);
	else
		malformed("more than one reply to a get");
}

/* 0 and *g, or -ENOENT (then g->nd == 0), or another -errno. */
int raw_get(uint32_t id, struct gst *g)
{
	struct get_arg a = { .g = g };
	int r;

	memset(g, 0, sizeof(*g));
	r = raw_request(VFIOGROUP_CMD_GROUP_GET, 0, id, get_cb, &a);
	if (!r && a.n != 1)
		malformed("get without a reply");
	return r;
}

static void info_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFIOGROUP_A_INFO_MAX, NULL) < 0 ||
	    !attr_fixed(tb[VFIOGROUP_A_INFO_SEQ], arg, 8))
		malformed("info without seq");
}

int raw_info_seq(uint64_t *seq)
{
	int r;

	*seq = UINT64_MAX;
	r = raw_request(VFIOGROUP_CMD_INFO_GET, 0, -1, info_cb, seq);
	return r ? r : *seq == UINT64_MAX ? -EIO : 0;
}
