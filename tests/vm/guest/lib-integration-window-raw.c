// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration window: raw generic netlink without the library, for
 * the ground truth (a listener that never overflows, the module's newest
 * seq) and the kernel's per-socket counts from /proc/net/netlink.
 */
#include "lib-integration.h"
#include "lib-integration-window.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#define RAW_ALIGN(l)	(((l) + 3u) & ~3u)

/* The attributes in buf[len] by type (the last of a type wins), max types. */
static void raw_attrs(const void *buf, size_t len, const struct nlattr **tb,
		      int max)
{
	const char *p = buf;

	memset(tb, 0, (size_t)(max + 1) * sizeof(*tb));
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const void *)p;
		size_t al = a->nla_len, step = RAW_ALIGN(al);
		int type = a->nla_type & NLA_TYPE_MASK;

		if (al < sizeof(struct nlattr) || al > len)
			break;
		if (type <= max)
			tb[type] = a;
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
}

static const void *raw_data(const struct nlattr *a)
{
	return (const char *)a + RAW_ALIGN(sizeof(struct nlattr));
}

static size_t raw_len(const struct nlattr *a)
{
	return a->nla_len - RAW_ALIGN(sizeof(struct nlattr));
}

static uint64_t raw_uint(const struct nlattr *a)
{
	uint64_t v64 = 0;
	uint32_t v32 = 0;
	uint16_t v16 = 0;

	if (!a)
		return 0;
	switch (raw_len(a)) {
	case 8:
		memcpy(&v64, raw_data(a), 8);
		return v64;
	case 4:
		memcpy(&v32, raw_data(a), 4);
		return v32;
	case 2:
		memcpy(&v16, raw_data(a), 2);
		return v16;
	default:
		return 0;
	}
}

/* The message at buf + *off, or NULL past the last whole one. */
static struct nlmsghdr *raw_msg(void *buf, size_t len, size_t *off)
{
	struct nlmsghdr *h = (void *)((char *)buf + *off);
	size_t left = len - *off;

	if (*off >= len || left < sizeof(*h) || h->nlmsg_len < sizeof(*h) ||
	    h->nlmsg_len > left)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

int raw_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/*
 * One request (a "do"); *payload points at the reply's attributes in
 * buf.  Returns their length or -errno.
 */
static int raw_request(int fd, uint16_t type, uint8_t cmd, const void *attrs,
		       size_t alen, void *buf, size_t cap, const void **payload)
{
	static uint32_t seq;
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char a[256];
	} req;
	uint32_t me = ++seq;

	if (alen > sizeof(req.a))
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = (uint32_t)NLMSG_LENGTH(GENL_HDRLEN + alen);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.n.nlmsg_seq = me;
	req.g.cmd = cmd;
	req.g.version = 1;
	if (alen)
		memcpy(req.a, attrs, alen);
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		struct nlmsghdr *h;
		size_t off = 0;

		if (n < 0)
			return -errno;
		while ((h = raw_msg(buf, (size_t)n, &off))) {
			if (h->nlmsg_seq != me)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -ENODATA;
			}
			if (h->nlmsg_type != type ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			*payload = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
			return (int)(h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN));
		}
	}
}

/* The family id and the "events" group, through nlctrl. */
int raw_resolve(struct win *w)
{
	static char buf[16384];
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	char attr[64];
	struct nlattr *a = (struct nlattr *)attr;
	const void *p;
	const char *name = VFIOGROUP_FAMILY_NAME;
	size_t nl = strlen(name) + 1;
	int len;

	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = (uint16_t)(RAW_ALIGN(sizeof(*a)) + nl);
	memset(attr + RAW_ALIGN(sizeof(*a)), 0, RAW_ALIGN(nl));
	memcpy(attr + RAW_ALIGN(sizeof(*a)), name, nl);
	len = raw_request(w->rq, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, attr,
			  RAW_ALIGN(a->nla_len), buf, sizeof(buf), &p);
	if (len < 0)
		return len;
	raw_attrs(p, (size_t)len, tb, CTRL_ATTR_MAX);
	if (!tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_MCAST_GROUPS])
		return -EPROTO;
	w->fam = (uint16_t)raw_uint(tb[CTRL_ATTR_FAMILY_ID]);
	/* a nest of nests, one per group */
	{
		const char *q = raw_data(tb[CTRL_ATTR_MCAST_GROUPS]);
		size_t ql = raw_len(tb[CTRL_ATTR_MCAST_GROUPS]);

		while (ql >= sizeof(struct nlattr)) {
			const struct nlattr *g = (const void *)q;
			const struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
			size_t step = RAW_ALIGN(g->nla_len);

			if (g->nla_len < sizeof(*g) || g->nla_len > ql)
				break;
			raw_attrs(raw_data(g), raw_len(g), gt, CTRL_ATTR_MCAST_GRP_MAX);
			if (gt[CTRL_ATTR_MCAST_GRP_NAME] && gt[CTRL_ATTR_MCAST_GRP_ID] &&
			    !strncmp(raw_data(gt[CTRL_ATTR_MCAST_GRP_NAME]),
				     VFIOGROUP_MCGRP_EVENTS,
				     raw_len(gt[CTRL_ATTR_MCAST_GRP_NAME])))
				w->grp = (uint32_t)raw_uint(gt[CTRL_ATTR_MCAST_GRP_ID]);
			if (step >= ql)
				break;
			q += step;
			ql -= step;
		}
	}
	return w->grp ? 0 : -ENOENT;
}

/* The module's newest seq (info-get), or 0 with *err set. */
uint64_t raw_info_seq(struct win *w, int *err)
{
	static char buf[4096];
	const struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];
	const void *p;
	int len = raw_request(w->rq, w->fam, VFIOGROUP_CMD_INFO_GET, NULL, 0,
			      buf, sizeof(buf), &p);

	if (len < 0) {
		if (err && !*err)
			*err = len;
		return 0;
	}
	raw_attrs(p, (size_t)len, tb, VFIOGROUP_A_INFO_MAX);
	if (!tb[VFIOGROUP_A_INFO_SEQ]) {
		if (err && !*err)
			*err = -EPROTO;
		return 0;
	}
	return raw_uint(tb[VFIOGROUP_A_INFO_SEQ]);
}

/* The ground truth: every notification, in its own thread. */
void *listener(void *arg)
{
	static char buf[65536];
	struct win *w = arg;

	while (!w->lstop) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(w->lfd, &mh, 0);
		struct nlmsghdr *h;
		size_t off = 0;

		if (n < 0) {
			if (errno == ENOBUFS)
				w->enobufs++;
			else if (errno != EAGAIN && errno != EINTR)
				w->lerr++;
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC)
			w->trunc++;
		while ((h = raw_msg(buf, (size_t)n, &off))) {
			const struct nlattr *tb[VFIOGROUP_A_MAX + 1];
			const struct nlattr *et[VFIOGROUP_A_EVENT_MAX + 1];
			const struct genlmsghdr *g = NLMSG_DATA(h);
			struct truth_ev e;
			unsigned i;

			if (h->nlmsg_type != w->fam ||
			    h->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    g->cmd != VFIOGROUP_CMD_EVENT_NTF)
				continue;
			raw_attrs((const char *)g + GENL_HDRLEN,
				  h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), tb,
				  VFIOGROUP_A_MAX);
			if (!tb[VFIOGROUP_A_GROUP_EVENT])
				continue;
			raw_attrs(raw_data(tb[VFIOGROUP_A_GROUP_EVENT]),
				  raw_len(tb[VFIOGROUP_A_GROUP_EVENT]), et,
				  VFIOGROUP_A_EVENT_MAX);
			e.seq = raw_uint(et[VFIOGROUP_A_EVENT_SEQ]);
			e.kind = (uint32_t)raw_uint(et[VFIOGROUP_A_EVENT_KIND]);
			e.group = (uint32_t)raw_uint(tb[VFIOGROUP_A_GROUP_ID]);
			i = w->tn;
			if (i && e.seq != w->tev[i - 1].seq + 1)
				w->gaps++;
			if (i == W_MAX_TRUTH) {
				w->lfull++;
				continue;
			}
			w->tev[i] = e;
			w->tn = i + 1;		/* publish */
			w->tlast = e.seq;
		}
	}
	return NULL;
}

/* Rmem and Drops of a netlink socket, by inode, from /proc/net/netlink. */
bool nl_sock_stats(ino_t ino, long *rmem, unsigned long *drops)
{
	FILE *f = fopen("/proc/net/netlink", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char sk[40], groups[20];
		int eth;
		unsigned long pid, dr, inode;
		long rm, wm, dump, locks;

		/* sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode */
		if (sscanf(line, "%39s %d %lu %19s %ld %ld %ld %ld %lu %lu", sk,
			   &eth, &pid, groups, &rm, &wm, &dump, &locks, &dr,
			   &inode) != 10 || inode != (unsigned long)ino)
			continue;
		if (rmem)
			*rmem = rm;
		if (drops)
			*drops = dr;
		found = true;
	}
	fclose(f);
	return found;
}

unsigned long sock_drops(ino_t ino)
{
	unsigned long d = 0;

	nl_sock_stats(ino, NULL, &d);
	return d;
}
