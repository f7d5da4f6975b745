/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Group snapshots: built once by the decoder, then shared read-only by the
 * cache, the events in flight and the application.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/*
 * A group whose last reference is given up is freed, or renewed for the
 * next event (vg_group_sole(), dispatch.c).  helgrind knows that memory
 * malloc() hands out again is new, but not the C11 atomics that order the
 * other holders' last reads before a renewal: it is told the group is new
 * (one client request per renewal; a no-op without valgrind's header).
 */
#ifdef HAVE_VALGRIND_HELGRIND_H
#include <valgrind/helgrind.h>
#else
#define VALGRIND_HG_CLEAN_MEMORY(start, len)	((void)(start), (void)(len))
#endif

struct vfiogroup_group *vg_group_alloc(uint32_t id, size_t ndevs)
{
	struct vfiogroup_group *g;

	if (ndevs > (SIZE_MAX - sizeof(*g)) / sizeof(g->devs[0]))
		return NULL;
	g = calloc(1, sizeof(*g) + ndevs * sizeof(g->devs[0]));
	if (!g)
		return NULL;
	atomic_init(&g->refs, 1);
	g->id = id;
	g->in_use = -1;
	g->dev = g->devs;
	g->ndevs = ndevs;
	return g;
}

struct vfiogroup_group *vg_group_renew(struct vfiogroup_group *g,
				       size_t ndevs)
{
	size_t room;

	if (!g || g->dev != g->devs || g->ndevs < ndevs)
		return NULL;
	room = g->ndevs;
	VALGRIND_HG_CLEAN_MEMORY(g, offsetof(struct vfiogroup_group, devs) +
				 ndevs * sizeof(g->devs[0]));
	/*
	 * All but refs, which stays 1 (ours: vg_group_sole()) and is not
	 * written, to touch nothing the others' last unref touched; the
	 * devices are written whole by the decoder (parse_device()).
	 */
	_Static_assert(offsetof(struct vfiogroup_group, refs) == 0 &&
		       offsetof(struct vfiogroup_group, id) ==
		       sizeof(atomic_uint), "refs first, then the rest");
	memset(&g->id, 0, offsetof(struct vfiogroup_group, devs) -
		offsetof(struct vfiogroup_group, id));
	g->in_use = -1;
	g->dev = g->devs;
	g->ndevs = room;
	return g;
}

bool vg_group_sole(struct vfiogroup_group *g)
{
	/* acquire: the other holders' reads of it are over (their unref) */
	return atomic_load_explicit(&g->refs, memory_order_acquire) == 1;
}

struct vfiogroup_group *vg_group_new(uint32_t id)
{
	return vg_group_alloc(id, 0);
}

/* Room for one more device: past devs, an array of its own that grows. */
static int reserve_device(struct vfiogroup_group *g)
{
	struct vfiogroup_device *n;

	if (g->ndev < g->ndevs)
		return 0;
	if (g->dev == g->devs) {
		n = malloc((g->ndev + 1) * sizeof(*n));
		if (n && g->ndev)
			memcpy(n, g->devs, g->ndev * sizeof(*n));
	} else {
		/* Groups have a handful of devices: growing by one is fine. */
		n = realloc(g->dev, (g->ndev + 1) * sizeof(*n));
	}
	if (!n)
		return -ENOMEM;
	g->dev = n;
	g->ndevs = g->ndev + 1;
	return 0;
}

int vg_group_add_device(struct vfiogroup_group *g,
			const struct vfiogroup_device *d)
{
	if (reserve_device(g))
		return -ENOMEM;
	g->dev[g->ndev] = *d;
	/* Built by hand, or copied: not the decoder's to compare with. */
	g->dev[g->ndev++].nest_len = 0;
	if (d->vfio && !g->node[0])
		vg_group_set_node(g);
	return 0;
}

/* By hand: snprintf() was a tenth of the cost of decoding an event. */
void vg_group_set_node(struct vfiogroup_group *g)
{
	static const char prefix[] = "/dev/vfio/";
	char digits[10];	/* UINT32_MAX has 10 */
	char *p = g->node + sizeof(prefix) - 1;
	uint32_t id = g->id;
	size_t n = 0;

	_Static_assert(sizeof(prefix) - 1 + sizeof(digits) + 1 <=
		       sizeof(g->node), "the node fits");
	memcpy(g->node, prefix, sizeof(prefix) - 1);
	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	while (n)
		*p++ = digits[--n];
	*p = '\0';
}

bool vg_group_openable(const struct vfiogroup_group *g)
{
	return g->viable && g->node[0];
}

const struct vfiogroup_device *vg_group_find_dev(const struct vfiogroup_group *g,
						 const char *name)
{
	for (size_t i = 0; g && i < g->ndev; i++)
		if (!strcmp(g->dev[i].name, name))
			return &g->dev[i];
	return NULL;
}

VG_EXPORT struct vfiogroup_group *vfiogroup_group_ref(struct vfiogroup_group *g)
{
	if (g)
		atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
	return g;
}

VG_EXPORT struct vfiogroup_group *vfiogroup_group_unref(struct vfiogroup_group *g)
{
	/* acq_rel: the freeing thread must see every other user's reads done */
	if (g && atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) == 1) {
		if (g->dev != g->devs)
			free(g->dev);
		free(g);
	}
	return NULL;
}

VG_EXPORT uint32_t vfiogroup_group_id(const struct vfiogroup_group *g)
{
	return g->id;
}

VG_EXPORT bool vfiogroup_group_viable(const struct vfiogroup_group *g)
{
	return g->viable;
}

VG_EXPORT bool vfiogroup_group_ready(const struct vfiogroup_group *g)
{
	return g->ready;
}

VG_EXPORT const char *vfiogroup_group_node(const struct vfiogroup_group *g)
{
	return g->node[0] ? g->node : NULL;
}

VG_EXPORT uint64_t vfiogroup_group_seq(const struct vfiogroup_group *g)
{
	return g->seq;
}

VG_EXPORT size_t vfiogroup_group_device_count(const struct vfiogroup_group *g)
{
	return g->ndev;
}

VG_EXPORT const struct vfiogroup_device *
vfiogroup_group_device(const struct vfiogroup_group *g, size_t i)
{
	return i < g->ndev ? &g->dev[i] : NULL;
}

VG_EXPORT const char *vfiogroup_device_name(const struct vfiogroup_device *d)
{
	return d->name;
}

VG_EXPORT const char *vfiogroup_device_bus(const struct vfiogroup_device *d)
{
	return d->bus;
}

VG_EXPORT const char *vfiogroup_device_driver(const struct vfiogroup_device *d)
{
	return d->driver[0] ? d->driver : NULL;
}

VG_EXPORT bool vfiogroup_device_viable(const struct vfiogroup_device *d)
{
	return d->viable;
}

VG_EXPORT bool vfiogroup_device_pci_id(const struct vfiogroup_device *d,
				       uint16_t *vendor, uint16_t *device)
{
	if (!d->is_pci)
		return false;
	if (vendor)
		*vendor = d->vendor;
	if (device)
		*device = d->device;
	return true;
}

VG_EXPORT bool vfiogroup_device_vfio(const struct vfiogroup_device *d)
{
	return d->vfio;
}

VG_EXPORT const char *vfiogroup_device_vfio_dev(const struct vfiogroup_device *d)
{
	return d->vfio_dev[0] ? d->vfio_dev : NULL;
}
