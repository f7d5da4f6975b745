/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The state metrics_render() shows, read from a library context. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int metrics_collect(struct vfiogroup_ctx *ctx, struct metrics_snapshot *s)
{
	struct metrics_group *groups = NULL;
	struct vfiogroup_info info;
	uint32_t *ids = NULL;
	size_t n = 0;
	int r;

	memset(s, 0, sizeof(*s));
	if (!vfiogroup_ctx_connected(ctx))
		return 0;
	r = vfiogroup_group_ids(ctx, &ids);
	if (r == -ENOTCONN)
		return 0;	/* went away just now: shown as down */
	if (r < 0)
		return r;
	if (r > 0 && !(groups = calloc((size_t)r, sizeof(*groups)))) {
		free(ids);
		return -ENOMEM;
	}
	for (int i = 0; i < r; i++) {
		struct vfiogroup_group *g;

		/* gone between the listing and now: not counted */
		if (vfiogroup_get_group(ctx, ids[i], &g))
			continue;
		groups[n].id = ids[i];
		groups[n].devices = (uint32_t)vfiogroup_group_device_count(g);
		groups[n].viable = vfiogroup_group_viable(g);
		groups[n].ready = vfiogroup_group_ready(g);
		n++;
		vfiogroup_group_unref(g);
	}
	free(ids);
	s->connected = true;
	s->groups = groups;
	s->ngroups = n;
	if (!vfiogroup_info(ctx, &info)) {
		s->have_info = true;
		s->module_seq = info.seq;
		s->module_dropped = info.dropped;
	}
	return 0;
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
	free((void *)s->groups);
	s->groups = NULL;
	s->ngroups = 0;
}
