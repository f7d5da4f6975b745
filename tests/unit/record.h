/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A subscriber that writes down what it is told, as one line per event:
 * "KIND group dev driver [S]" (S: synthesized), for short assertions.
 */
#ifndef VG_TEST_RECORD_H
#define VG_TEST_RECORD_H

#include <stdio.h>
#include <string.h>

#include "vfiogroup.h"

struct record {
	char log[8192];
	unsigned n;
};

static inline const char *record_kind(unsigned k)
{
	switch (k) {
	case VFIOGROUP_EV_DEVICE_ADDED:		return "ADD";
	case VFIOGROUP_EV_DEVICE_REMOVED:	return "REM";
	case VFIOGROUP_EV_DRIVER_BOUND:		return "BIND";
	case VFIOGROUP_EV_DRIVER_UNBOUND:	return "UNBIND";
	case VFIOGROUP_EV_VIABILITY_CHANGED:	return "VIA";
	case VFIOGROUP_EV_READY_CHANGED:	return "RDY";
	case VFIOGROUP_EV_RESYNC:		return "RESYNC";
	case VFIOGROUP_EV_DISCONNECTED:		return "DISCONNECTED";
	case VFIOGROUP_EV_RECONNECTED:		return "RECONNECTED";
	default:				return "?";
	}
}

static inline void record_cb(struct vfiogroup_sub *sub,
			     const struct vfiogroup_ev *ev, void *userdata)
{
	struct record *r = userdata;
	size_t len = strlen(r->log);
	char line[256];

	(void)sub;
	if (ev->kind >= VFIOGROUP_EV_RESYNC)
		snprintf(line, sizeof(line), "%s\n", record_kind(ev->kind));
	else
		snprintf(line, sizeof(line), "%s %u %s %s%s%s\n",
			 record_kind(ev->kind), ev->group_id,
			 ev->dev_name ? ev->dev_name : "-",
			 ev->driver ? ev->driver : "-",
			 ev->kind == VFIOGROUP_EV_VIABILITY_CHANGED ?
			 (vfiogroup_group_viable(ev->group) ? " viable" :
							      " blocked") :
			 ev->kind == VFIOGROUP_EV_READY_CHANGED ?
			 (vfiogroup_group_ready(ev->group) ? " ready" :
							     " unready") : "",
			 ev->flags & VFIOGROUP_EVENT_SYNTHESIZED ? " S" : "");
	if (len + strlen(line) < sizeof(r->log))
		memcpy(r->log + len, line, strlen(line) + 1);
	r->n++;
}

static inline void record_reset(struct record *r)
{
	r->log[0] = 0;
	r->n = 0;
}

#endif
