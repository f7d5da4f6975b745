/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Requests to the kernel (do and dump), on the transport's request path,
 * turned into group snapshots.  req_lock keeps one request at a time.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct collect {
	struct vfiogroup_ctx *ctx;
	uint16_t family;
	struct vfiogroup_group *group;	/* do */
	struct vg_cache *cache;		/* dump */
	struct vfiogroup_info *info;
	int *events;
	int malformed;
};

static int on_reply(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	struct collect *c = arg;
	struct vg_msg m;
	int r = vg_decode(nlh, avail, c->family, &m);

	if (r == -EBADMSG)
		c->malformed++;
	if (r)
		return r;
	switch (m.kind) {
	case VG_MSG_GROUP:
		if (c->cache) {
			r = vg_cache_put(c->cache, m.group);
			m.group = NULL;
		} else if (!c->group) {
			c->group = m.group;
			m.group = NULL;
		}
		break;
	case VG_MSG_INFO:
		if (c->info)
			*c->info = m.info;
		if (c->events)
			*c->events = m.info_events;
		break;
	case VG_MSG_ERROR:
		r = m.error;
		break;
	default:
		break;	/* acks, done */
	}
	vg_msg_release(&m);
	return r;
}

static int run(struct vfiogroup_ctx *ctx, const struct vg_request *req,
	       struct collect *c)
{
	struct vg_family fam;
	bool connected;
	int r;

	pthread_mutex_lock(&ctx->cache_lock);
	fam = ctx->fam;
	connected = ctx->connected;
	pthread_mutex_unlock(&ctx->cache_lock);
	if (!connected)
		return -ENOTCONN;

	c->ctx = ctx;
	c->family = fam.id;
	pthread_mutex_lock(&ctx->req_lock);
	r = ctx->t->ops->request(ctx->t, &fam, req, on_reply, c);
	pthread_mutex_unlock(&ctx->req_lock);
	if (c->malformed)
		VG_STAT_ADD(ctx, malformed, (uint64_t)c->malformed);
	vg_dbg(ctx, "request %s%s%.0u%s: %s",
	       req->kind == VG_REQ_INFO ? "info-get" :
	       req->kind == VG_REQ_DUMP ? "group-get dump" : "group-get ",
	       req->kind == VG_REQ_GROUP_BY_ID ? "id " : "",
	       req->kind == VG_REQ_GROUP_BY_ID ? req->group_id : 0,
	       req->kind == VG_REQ_GROUP_BY_DEV ? req->dev_name : "",
	       r ? vfiogroup_strerror(r) : "done");
	return r;
}

int vg_req_group(struct vfiogroup_ctx *ctx, const struct vg_request *req,
		 struct vfiogroup_group **out)
{
	struct collect c = { 0 };
	int r = run(ctx, req, &c);

	if (!r && !c.group)
		r = -EBADMSG;	/* "success" with no reply */
	if (r) {
		vfiogroup_group_unref(c.group);
		return r;
	}
	/* A group with no device does not exist. */
	if (!c.group->ndev) {
		vfiogroup_group_unref(c.group);
		return -ENOENT;
	}
	*out = c.group;
	return 0;
}

int vg_req_dump(struct vfiogroup_ctx *ctx, struct vg_cache *out)
{
	struct vg_request req = { .kind = VG_REQ_DUMP };
	int tries = 0, r;

	/*
	 * An interrupted dump (NLM_F_DUMP_INTR) may hold groups that are gone
	 * since: start from an empty cache each time.
	 */
	do {
		struct collect c = { .cache = out };

		vg_cache_clear(out);
		r = run(ctx, &req, &c);
	} while (r == -EINTR && ++tries < 5);
	return r;
}

int vg_req_info(struct vfiogroup_ctx *ctx, struct vfiogroup_info *out,
		int *events)
{
	struct vg_request req = { .kind = VG_REQ_INFO };
	struct collect c = { .info = out, .events = events };

	memset(out, 0, sizeof(*out));
	return run(ctx, &req, &c);
}

