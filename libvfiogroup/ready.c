/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Readiness: can a VMM open a group, or one device of it, right now, and
 * if not, what is in the way.  The cache knows the drivers; only the
 * kernel knows whether another user holds the group, and nothing
 * announces that, so a group the cache calls ready is looked at again in
 * the kernel before it is called ready (one that came from the kernel just
 * now, as the cache does not follow it, is not asked twice).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void blame(struct vfiogroup_readiness *o, int reason,
		  const struct vfiogroup_device *d)
{
	o->reason = reason;
	if (d) {
		copy(o->device, sizeof(o->device), d->name);
		copy(o->driver, sizeof(o->driver), d->driver);
	}
}

/*
 * Judges snapshot g; dev_name NULL for the group form.  A user's hold
 * counts only if fresh (a reply made just now).  1 ready, else 0.
 */
static int judge(const struct vfiogroup_group *g, const char *dev_name,
		 bool fresh, struct vfiogroup_readiness *o)
{
	const struct vfiogroup_device *d = NULL;

	memset(o, 0, sizeof(*o));
	o->group_id = g->id;
	o->in_use = fresh ? g->in_use : -1;
	copy(o->node, sizeof(o->node), g->node);
	if (dev_name) {
		d = vg_group_find_dev(g, dev_name);
		if (d)
			copy(o->vfio_dev, sizeof(o->vfio_dev), d->vfio_dev);
	}
	if (!g->viable) {
		for (size_t i = 0; i < g->ndev; i++)
			if (!g->dev[i].viable) {
				blame(o, VFIOGROUP_NR_NOT_VIABLE, &g->dev[i]);
				return 0;
			}
		/* A probe's claim: the device is not named yet. */
		blame(o, VFIOGROUP_NR_NOT_VIABLE, NULL);
		return 0;
	}
	if (d && !d->vfio) {
		blame(o, VFIOGROUP_NR_NO_VFIO, d);
		return 0;
	}
	if (!g->ready) {
		blame(o, VFIOGROUP_NR_NO_VFIO, g->ndev ? &g->dev[0] : NULL);
		return 0;
	}
	if (o->in_use == 1) {
		blame(o, VFIOGROUP_NR_IN_USE, NULL);
		return 0;
	}
	o->ready = 1;
	return 1;
}

/*
 * Snapshot g (a reference the caller gave up) judged; when it came from the
 * cache, says ready and the kernel may be asked, the kernel's own snapshot
 * of the group is judged instead, for whether a user holds it.
 */
static int assess(struct vfiogroup_ctx *ctx, struct vfiogroup_group *g,
		  bool g_fresh, const char *dev_name,
		  struct vfiogroup_readiness *out, size_t size)
{
	struct vg_request req = { .kind = VG_REQ_GROUP_BY_ID, .group_id = g->id };
	struct vfiogroup_readiness o;
	struct vfiogroup_group *fresh = NULL;
	int r = judge(g, dev_name, g_fresh, &o);

	if (r == 1 && !g_fresh &&
	    !(ctx->flags & VFIOGROUP_CTX_NONBLOCK_QUERIES)) {
		r = vg_req_group(ctx, &req, &fresh);
		if (!r) {
			r = judge(fresh, dev_name, true, &o);
			if (dev_name && !vg_group_find_dev(fresh, dev_name))
				r = -ENOENT;	/* it moved meanwhile */
			vfiogroup_group_unref(fresh);
		}
	}
	vfiogroup_group_unref(g);
	if (r >= 0 && out)
		vg_copy_sized(out, size, &o, sizeof(o));
	return r;
}

VG_EXPORT int vfiogroup_readiness(struct vfiogroup_ctx *ctx, uint32_t id,
				  struct vfiogroup_readiness *out, size_t size)
{
	struct vfiogroup_group *g;
	bool fresh;
	int r;

	if (!ctx || (!out && size))
		return -EINVAL;
	r = vg_lookup_group(ctx, id, &g, &fresh);
	return r ? r : assess(ctx, g, fresh, NULL, out, size);
}

VG_EXPORT int vfiogroup_device_readiness(struct vfiogroup_ctx *ctx,
					 const char *dev_name,
					 struct vfiogroup_readiness *out,
					 size_t size)
{
	struct vfiogroup_group *g;
	bool fresh;
	int r;

	if (!ctx || !dev_name || (!out && size))
		return -EINVAL;
	r = vg_lookup_device(ctx, dev_name, &g, &fresh);
	return r ? r : assess(ctx, g, fresh, dev_name, out, size);
}

VG_EXPORT int vfiogroup_is_ready(struct vfiogroup_ctx *ctx, uint32_t id)
{
	return vfiogroup_readiness(ctx, id, NULL, 0);
}

VG_EXPORT int vfiogroup_device_is_ready(struct vfiogroup_ctx *ctx,
					const char *dev_name)
{
	return vfiogroup_device_readiness(ctx, dev_name, NULL, 0);
}
