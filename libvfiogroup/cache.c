/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The group cache, and the differences between two caches turned into the
 * events that would have produced them.  Callers hold cache_lock (or own
 * the cache outright, as a resync's fresh dump).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void vg_cache_init(struct vg_cache *c)
{
	memset(c, 0, sizeof(*c));
}

void vg_cache_clear(struct vg_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		vfiogroup_group_unref(c->e[i].group);
	free(c->e);
	vg_cache_init(c);
}

void vg_cache_swap(struct vg_cache *a, struct vg_cache *b)
{
	struct vg_cache t = *a;

	*a = *b;
	*b = t;
}

/* Index of id, or where it would go. */
static size_t lower_bound(const struct vg_cache *c, uint32_t id)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vg_cache_entry *vg_cache_find(struct vg_cache *c, uint32_t id)
{
	size_t i;

	/*
	 * The kernel numbers IOMMU groups from 0 up, so a cache of every
	 * group is most often dense: id is then as far from the first entry
	 * as its id is.  With gaps (groups gone, a filter) a search.
	 */
	if (c->n && id >= c->e[0].id) {
		i = id - c->e[0].id;
		if (i < c->n && c->e[i].id == id)
			return &c->e[i];
	}
	i = lower_bound(c, id);
	return i < c->n && c->e[i].id == id ? &c->e[i] : NULL;
}

static struct vg_cache_entry *insert(struct vg_cache *c, uint32_t id)
{
	size_t i = lower_bound(c, id);

	if (i < c->n && c->e[i].id == id)
		return &c->e[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct vg_cache_entry *e = realloc(c->e, cap * sizeof(*e));

		if (!e)
			return NULL;
		c->e = e;
		c->cap = cap;
	}
	memmove(&c->e[i + 1], &c->e[i], (c->n - i) * sizeof(*c->e));
	c->n++;
	memset(&c->e[i], 0, sizeof(c->e[i]));
	c->e[i].id = id;
	return &c->e[i];
}

/* Out of the cache, its reference handed to the caller. */
static struct vfiogroup_group *take(struct vg_cache *c, uint32_t id)
{
	struct vg_cache_entry *e = vg_cache_find(c, id);
	struct vfiogroup_group *g;
	size_t i;

	if (!e)
		return NULL;
	i = (size_t)(e - c->e);
	g = e->group;
	memmove(&c->e[i], &c->e[i + 1], (c->n - i - 1) * sizeof(*c->e));
	c->n--;
	return g;
}

int vg_cache_put_take(struct vg_cache *c, struct vfiogroup_group *g,
		      struct vfiogroup_group **old)
{
	struct vg_cache_entry *e;

	*old = NULL;
	/* A group with no device is a group that is gone. */
	if (!g->ndev) {
		*old = take(c, g->id);
		vfiogroup_group_unref(g);
		return 0;
	}
	e = insert(c, g->id);
	if (!e) {
		vfiogroup_group_unref(g);
		return -ENOMEM;
	}
	*old = e->group;
	e->group = g;
	e->seq = g->seq;
	return 0;
}

int vg_cache_put_at(struct vg_cache *c, struct vg_cache_entry *e,
		    struct vfiogroup_group *g, struct vfiogroup_group **old)
{
	/* Only a group that stays replaces in place; the rest moves entries. */
	if (!e || !g->ndev)
		return vg_cache_put_take(c, g, old);
	*old = e->group;
	e->group = g;
	e->seq = g->seq;
	return 0;
}

int vg_cache_put(struct vg_cache *c, struct vfiogroup_group *g)
{
	struct vfiogroup_group *old;
	int r = vg_cache_put_take(c, g, &old);

	vfiogroup_group_unref(old);
	return r;
}

int vg_cache_put_absent(struct vg_cache *c, uint32_t id, uint64_t seq)
{
	struct vg_cache_entry *e = insert(c, id);

	if (!e)
		return -ENOMEM;
	e->group = vfiogroup_group_unref(e->group);
	e->seq = seq;
	return 0;
}

void vg_cache_remove(struct vg_cache *c, uint32_t id)
{
	vfiogroup_group_unref(take(c, id));
}

/* ------------------------------------------------------------------ */

void vg_synth_list_free(struct vg_synth_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		vfiogroup_group_unref(l->s[i].group);
	free(l->s);
	memset(l, 0, sizeof(*l));
}

static int emit(struct vg_synth_list *l, unsigned kind, uint32_t id,
		struct vfiogroup_group *state, const char *dev,
		const char *driver)
{
	struct vg_synth *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct vg_synth *n = realloc(l->s, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		l->s = n;
		l->cap = cap;
	}
	s = &l->s[l->n++];
	memset(s, 0, sizeof(*s));
	s->group = vfiogroup_group_ref(state);
	if (dev)
		strcpy(s->dev_name, dev);	/* both VFIOGROUP_NAME_MAX */
	if (driver && *driver)
		strcpy(s->driver, driver);
	s->ev.kind = kind;
	s->ev.flags = VFIOGROUP_EVENT_SYNTHESIZED;
	s->ev.group_id = id;
	s->ev.seq = state->seq;
	/* dev_name/driver/group pointers are set at delivery: s may move. */
	return 0;
}

/*
 * old or new_ may be NULL (group appeared / vanished).  The order mirrors
 * the kernel's: unbind before removal, addition before bind, viability
 * and then readiness last.  State attached to every event is the new one (an empty group
 * when it is gone), since the intermediate states were never seen.
 */
int vg_group_diff(const struct vfiogroup_group *old,
		  struct vfiogroup_group *new_, uint32_t id,
		  struct vg_synth_list *out)
{
	struct vfiogroup_group *state = new_, *empty = NULL;
	size_t i;
	int r = 0;

	if (!state) {
		empty = vg_group_new(id);
		if (!empty)
			return -ENOMEM;
		/* Keep the old seq: the removal happened after it. */
		empty->seq = old ? old->seq : 0;
		empty->viable = old ? old->viable : true;
		state = empty;
	}

	for (i = 0; old && i < old->ndev && !r; i++) {
		const struct vfiogroup_device *o = &old->dev[i];
		const struct vfiogroup_device *n = vg_group_find_dev(new_, o->name);

		if (o->driver[0] && (!n || strcmp(o->driver, n->driver)))
			r = emit(out, VFIOGROUP_EV_DRIVER_UNBOUND, id, state,
				 o->name, o->driver);
		if (!r && !n)
			r = emit(out, VFIOGROUP_EV_DEVICE_REMOVED, id, state,
				 o->name, NULL);
	}
	for (i = 0; new_ && i < new_->ndev && !r; i++) {
		const struct vfiogroup_device *n = &new_->dev[i];
		const struct vfiogroup_device *o = vg_group_find_dev(old, n->name);

		if (!o)
			r = emit(out, VFIOGROUP_EV_DEVICE_ADDED, id, state,
				 n->name, NULL);
		if (!r && n->driver[0] && (!o || strcmp(o->driver, n->driver)))
			r = emit(out, VFIOGROUP_EV_DRIVER_BOUND, id, state,
				 n->name, n->driver);
	}
	/*
	 * A group that appears or vanishes has no viability "change"; an
	 * empty group is not ready, so one that appears ready or vanishes
	 * ready had its readiness change, after its viability.
	 */
	if (!r && old && new_ && old->viable != new_->viable)
		r = emit(out, VFIOGROUP_EV_VIABILITY_CHANGED, id, state,
			 NULL, NULL);
	if (!r && (old && old->ready) != (new_ && new_->ready))
		r = emit(out, VFIOGROUP_EV_READY_CHANGED, id, state,
			 NULL, NULL);
	vfiogroup_group_unref(empty);
	return r;
}

/*
 * Both caches sorted by id: one merge pass.  A tombstone (NULL group) is
 * an absent group.  Ids that want() refuses are not compared: groups the
 * subscribers could not have followed (cover.c) have no "before".
 */
int vg_cache_diff(const struct vg_cache *old, const struct vg_cache *new_,
		  vg_id_pred want, const void *arg, struct vg_synth_list *out)
{
	size_t i = 0, j = 0;
	int r = 0;

	while (!r && (i < old->n || j < new_->n)) {
		const struct vg_cache_entry *o = i < old->n ? &old->e[i] : NULL;
		const struct vg_cache_entry *n = j < new_->n ? &new_->e[j] : NULL;
		const struct vfiogroup_group *og = NULL;
		struct vfiogroup_group *ng = NULL;
		uint32_t id;

		if (o && n && o->id == n->id) {
			id = o->id;
			og = o->group;
			ng = n->group;
			i++;
			j++;
		} else if (o && (!n || o->id < n->id)) {
			id = o->id;
			og = o->group;
			i++;
		} else {
			id = n->id;
			ng = n->group;
			j++;
		}
		if ((og || ng) && (!want || want(arg, id)))
			r = vg_group_diff(og, ng, id, out);
	}
	return r;
}
