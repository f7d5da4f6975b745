// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the group state every oracle is read into (struct gst, walk.h),
 * compared and printed: whole states, not seqs.
 */
#include "walk.h"

int dst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dst *)a)->name, ((const struct dst *)b)->name);
}

int gst_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct gst *)a)->id, y = ((const struct gst *)b)->id;

	return x < y ? -1 : x > y;
}

const struct gst *world_find(const struct world *w, uint32_t id)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->g[i].id == id)
			return &w->g[i];
	return NULL;
}

void gst_fmt(const struct gst *g, char *buf, size_t len)
{
	size_t l;

	if (!g || !g->nd) {
		snprintf(buf, len, "{absent}");
		return;
	}
	l = (size_t)snprintf(buf, len, "{viable=%d ready=%d node=%d", g->viable, g->ready,
			     g->node);
	if (g->has_seq && l < len)
		l += (size_t)snprintf(buf + l, len - l, " seq=%" PRIu64, g->seq);
	for (unsigned i = 0; i < g->nd && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l, "%s%s %s %s v%d vfio%d%s%s",
				      i ? "; " : " [", g->d[i].name, g->d[i].bus,
				      *g->d[i].drv ? g->d[i].drv : "-",
				      g->d[i].viable, g->d[i].vfio,
				      *g->d[i].vfio_dev ? " " : "", g->d[i].vfio_dev);
	if (l < len)
		snprintf(buf + l, len - l, "]}");
}

/* Equal as states (not seqs); NULL or no devices = absent. */
bool gst_same(const struct gst *a, const struct gst *b)
{
	bool pa = a && a->nd, pb = b && b->nd;

	if (!pa || !pb)
		return pa == pb;
	if (a->viable != b->viable || a->ready != b->ready || a->node != b->node ||
	    a->nd != b->nd)
		return false;
	for (unsigned i = 0; i < a->nd; i++)
		if (strcmp(a->d[i].name, b->d[i].name) ||
		    strcmp(a->d[i].bus, b->d[i].bus) ||
		    strcmp(a->d[i].drv, b->d[i].drv) ||
		    a->d[i].viable != b->d[i].viable ||
		    a->d[i].vfio != b->d[i].vfio ||
		    strcmp(a->d[i].vfio_dev, b->d[i].vfio_dev))
			return false;
	return true;
}

const struct dst *gst_dev(const struct gst *g, const char *name)
{
	for (unsigned i = 0; g && i < g->nd; i++)
		if (!strcmp(g->d[i].name, name))
			return &g->d[i];
	return NULL;
}
