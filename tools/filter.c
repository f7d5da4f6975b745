/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Record filters.  They look at the group's state after the record as well
 * as at the record's own device and driver, so that a group's
 * viability-changed or ready-changed, which names no device, still reaches
 * the one who follows a device or driver of that group.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "filter.h"

int filter_add_group(struct mon_filter *f, uint32_t id)
{
	if (f->ngroups == FILTER_MAX)
		return -E2BIG;
	f->group[f->ngroups++] = id;
	return 0;
}

static int add_name(char (*names)[DEV_NAME_MAX], size_t *n, const char *s)
{
	if (*n == FILTER_MAX)
		return -E2BIG;
	if (!*s || strlen(s) >= DEV_NAME_MAX)
		return -EINVAL;
	snprintf(names[(*n)++], DEV_NAME_MAX, "%s", s);
	return 0;
}

int filter_add_device(struct mon_filter *f, const char *name)
{
	return add_name(f->device, &f->ndevices, name);
}

int filter_add_driver(struct mon_filter *f, const char *name)
{
	return add_name(f->driver, &f->ndrivers, name);
}

static bool named(const char (*names)[DEV_NAME_MAX], size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(names[i], s))
			return true;
	return false;
}

static bool group_named(const struct mon_filter *f, uint32_t id)
{
	for (size_t i = 0; i < f->ngroups; i++)
		if (f->group[i] == id)
			return true;
	return false;
}

/* A device of the state is named, by its name or by its driver's. */
static bool state_has(const struct vfiogroup_group *g,
		      const char (*names)[DEV_NAME_MAX], size_t n, bool driver)
{
	size_t count = g ? vfiogroup_group_device_count(g) : 0;

	for (size_t i = 0; i < count; i++) {
		const struct vfiogroup_device *d = vfiogroup_group_device(g, i);

		if (named(names, n, driver ? vfiogroup_device_driver(d)
					   : vfiogroup_device_name(d)))
			return true;
	}
	return false;
}

/* A gone group (no device left) is neither viable nor ready. */
static bool state_matches(unsigned states, const struct vfiogroup_group *g)
{
	bool there = g && vfiogroup_group_device_count(g) > 0;
	unsigned via = states & (STATE_VIABLE | STATE_NOT_VIABLE);
	unsigned rdy = states & (STATE_READY | STATE_NOT_READY);
	bool viable = there && vfiogroup_group_viable(g);
	bool ready = there && vfiogroup_group_ready(g);

	if (via && !(via & (viable ? STATE_VIABLE : STATE_NOT_VIABLE)))
		return false;
	if (rdy && !(rdy & (ready ? STATE_READY : STATE_NOT_READY)))
		return false;
	return true;
}

bool filter_match(const struct mon_filter *f, const struct mon_record *r)
{
	if (r->type == REC_NOTICE)
		return true;
	if (f->ngroups && !group_named(f, r->group_id))
		return false;
	if (f->ndevices && !named(f->device, f->ndevices, r->device) &&
	    !state_has(r->state, f->device, f->ndevices, false))
		return false;
	if (f->ndrivers && !named(f->driver, f->ndrivers, r->driver) &&
	    !state_has(r->state, f->driver, f->ndrivers, true))
		return false;
	return state_matches(f->states, r->state);
}
