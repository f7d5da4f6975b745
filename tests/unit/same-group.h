/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Two group snapshots say the same, as the API shows them: for checking a
 * group decoded into a spare (which may keep devices whose nests did not
 * change) against the same message decoded afresh.  The nests the devices
 * keep are not compared: they are how, not what.  For test-decode.c and
 * the fuzzer (tests/fuzz/fuzz-decode.c).
 */
#ifndef VG_TEST_SAME_GROUP_H
#define VG_TEST_SAME_GROUP_H

#include <stdbool.h>
#include <string.h>

#include "internal.h"

static inline bool vg_test_same_device(const struct vfiogroup_device *a,
				       const struct vfiogroup_device *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->bus, b->bus) &&
	       !strcmp(a->driver, b->driver) && a->viable == b->viable &&
	       a->is_pci == b->is_pci && a->vendor == b->vendor &&
	       a->device == b->device && a->vfio == b->vfio &&
	       !strcmp(a->vfio_dev, b->vfio_dev);
}

static inline bool vg_test_same_group(const struct vfiogroup_group *a,
				      const struct vfiogroup_group *b)
{
	if (a->id != b->id || a->viable != b->viable || a->ready != b->ready ||
	    a->in_use != b->in_use || a->seq != b->seq || a->ndev != b->ndev ||
	    strcmp(a->node, b->node))
		return false;
	for (size_t i = 0; i < a->ndev; i++)
		if (!vg_test_same_device(&a->dev[i], &b->dev[i]))
			return false;
	return true;
}

#endif /* VG_TEST_SAME_GROUP_H */
