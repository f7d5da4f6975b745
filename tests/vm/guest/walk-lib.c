// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the library under test -- a group of its cache as a struct gst,
 * and the callback of contexts A and B, which records what each has seen
 * (walk-event.c checks A's events one by one).
 */
#include "walk.h"

void lib_gst(const struct vfiogroup_group *lg, struct gst *g)
{
	size_t n = vfiogroup_group_device_count(lg);

	memset(g, 0, sizeof(*g));
	const char *node = vfiogroup_group_node(lg);
	char want[32];

	g->id = vfiogroup_group_id(lg);
	g->viable = vfiogroup_group_viable(lg);
	g->ready = vfiogroup_group_ready(lg);
	/* the node's name, when there is one, must be the group's */
	snprintf(want, sizeof(want), "/dev/vfio/%u", g->id);
	g->node = !node ? 0 : !strcmp(node, want) ? 1 : 2;
	g->has_seq = true;
	g->seq = vfiogroup_group_seq(lg);
	for (size_t i = 0; i < n && g->nd < MAXD; i++) {
		const struct vfiogroup_device *d = vfiogroup_group_device(lg, i);
		const char *drv = vfiogroup_device_driver(d);
		const char *vd = vfiogroup_device_vfio_dev(d);
		struct dst *x = &g->d[g->nd++];

		scopy(x->name, sizeof(x->name), vfiogroup_device_name(d));
		scopy(x->bus, sizeof(x->bus), vfiogroup_device_bus(d));
		scopy(x->drv, sizeof(x->drv), drv ? drv : "");
		x->viable = vfiogroup_device_viable(d);
		x->vfio = vfiogroup_device_vfio(d);
		scopy(x->vfio_dev, sizeof(x->vfio_dev), vd ? vd : "");
	}
	qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
}

/* 0 and *g, or -ENOENT (g absent), or another -errno. */
int lib_get(struct vfiogroup_ctx *ctx, uint32_t id, struct gst *g)
{
	struct vfiogroup_group *lg = NULL;
	int r = vfiogroup_get_group(ctx, id, &lg);

	memset(g, 0, sizeof(*g));
	if (r)
		return r;
	lib_gst(lg, g);
	vfiogroup_group_unref(lg);
	return 0;
}

int seen_slot(struct seen *s, uint32_t id)
{
	for (unsigned i = 0; i < s->nids; i++)
		if (s->ids[i] == id)
			return (int)i;
	if (s->nids == MAXG)
		return -1;
	s->ids[s->nids] = id;
	s->lastseq[s->nids] = 0;
	s->present[s->nids] = false;
	return (int)s->nids++;
}

void seen_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		    void *userdata)
{
	struct seen *s = userdata;
	bool synth = ev->flags & VFIOGROUP_EVENT_SYNTHESIZED;
	int k;

	(void)sub;
	if (ev->kind >= VFIOGROUP_EV_RESYNC) {
		/*
		 * The events the resync absorbed are never delivered: the
		 * next kernel event starts the gap check afresh.
		 */
		s->last_kernel = 0;
		if (s->notices++ < 10)
			diag("walk: context %s: notice %s%s", s->name,
		     ev->kind == VFIOGROUP_EV_RESYNC ? "RESYNC" :
		     ev->kind == VFIOGROUP_EV_DISCONNECTED ? "DISCONNECTED" : "RECONNECTED",
			     s->notices == 10 ? " (the next ones are only counted)" : "");
		return;
	}
	if (ev->kind < VFIOGROUP_EV_DEVICE_ADDED || ev->kind > VFIOGROUP_EV_READY_CHANGED ||
	    !ev->group) {
		s->ev_bad++;
		return;
	}
	s->events++;
	s->kinds[ev->kind]++;
	if (synth) {
		s->synth++;
	} else {
		if (s->last_kernel && ev->seq != s->last_kernel + 1)
			s->gaps++;
		s->last_kernel = ev->seq;
	}
	if (ev->seq > s->max_seq)
		s->max_seq = ev->seq;
	k = seen_slot(s, ev->group_id);
	if (k < 0)
		return;
	s->lastseq[k] = ev->seq;
	if (s->state) {
		struct gst g;

		if (!synth)
			check_event(s, ev, s->present[k] ? &s->state[k] : NULL);
		lib_gst(ev->group, &g);
		s->state[k] = g;
		s->present[k] = g.nd > 0;
	}
}

void dispatch_all(struct vfiogroup_ctx *ctx, const char *name)
{
	int n;

	while ((n = vfiogroup_dispatch(ctx)) > 0)
		;
	if (n < 0)
		diag("walk: vfiogroup_dispatch(%s): %s", name, vfiogroup_strerror(n));
}
