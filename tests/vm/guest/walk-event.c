// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the "event" oracle -- each event context A's callback receives,
 * checked against the state it carries and the group's state before it.
 */
#include "walk.h"

/*
 * Each event A's callback receives is checked on its own ("event"
 * oracle): the state it carries is the one right after it (a
 * device-added or driver-bound device is there, with that driver; a
 * driver-unbound one is there without a driver; a device-removed one is
 * gone; the group's seq is the event's); viability changes only with a
 * viability-changed event, and each one flips it; likewise readiness with
 * ready-changed, after which the state is whole again (ready exactly when
 * viable with a device registered with VFIO: a ready-changed sent before
 * its cause's viability-changed would fail this); kernel seqs follow each
 * other with no gap unless a notice (which starts the count afresh) came
 * between them.
 */

static const char *const kind_names[] = {
	"?", "device-added", "device-removed", "driver-bound",
	"driver-unbound", "viability-changed", "ready-changed",
};

static void ev_bad(struct seen *s, const struct vfiogroup_ev *ev,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ev_bad(struct seen *s, const struct vfiogroup_ev *ev,
		   const char *fmt, ...)
{
	char why[200], st[400];
	struct gst g;
	va_list ap;

	s->ev_bad++;
	if (s->ev_nbad_stored >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	lib_gst(ev->group, &g);
	gst_fmt(&g, st, sizeof(st));
	snprintf(s->ev_first_bad[s->ev_nbad_stored++], sizeof(s->ev_first_bad[0]),
		 "seq=%" PRIu64 " %s dev=%.64s driver=%.64s group=%u: %.150s; state %.400s",
		 ev->seq, kind_names[ev->kind], ev->dev_name ? ev->dev_name : "-",
		 ev->driver ? ev->driver : "-", ev->group_id, why, st);
}

/* The event oracle: does the state carried fit the event? */
void check_event(struct seen *s, const struct vfiogroup_ev *ev,
			const struct gst *prev)
{
	const char *dev = ev->dev_name;
	const struct vfiogroup_device *d = NULL;
	const struct vfiogroup_group *g = ev->group;
	size_t n = vfiogroup_group_device_count(g);
	bool had = prev && prev->nd;

	s->ev_checks++;
	for (size_t i = 0; dev && i < n; i++)
		if (!strcmp(vfiogroup_device_name(vfiogroup_group_device(g, i)), dev))
			d = vfiogroup_group_device(g, i);
	if (vfiogroup_group_id(g) != ev->group_id)
		ev_bad(s, ev, "state of group %u", vfiogroup_group_id(g));
	if (vfiogroup_group_seq(g) != ev->seq)
		ev_bad(s, ev, "state's seq %" PRIu64 " is not the event's",
		       vfiogroup_group_seq(g));
	switch (ev->kind) {
	case VFIOGROUP_EV_DEVICE_ADDED:
		if (!d)
			ev_bad(s, ev, "the device is not in the state");
		break;
	case VFIOGROUP_EV_DEVICE_REMOVED:
		if (d || !dev)
			ev_bad(s, ev, "the device is still in the state");
		break;
	case VFIOGROUP_EV_DRIVER_BOUND:
		if (!d || !ev->driver || !vfiogroup_device_driver(d) ||
		    strcmp(vfiogroup_device_driver(d), ev->driver))
			ev_bad(s, ev, "the device is not on that driver in the state");
		break;
	case VFIOGROUP_EV_DRIVER_UNBOUND:
		if (!d || vfiogroup_device_driver(d))
			ev_bad(s, ev, "the device is not there without a driver in the state");
		break;
	case VFIOGROUP_EV_VIABILITY_CHANGED:
		if (had && n && prev->viable == (int)vfiogroup_group_viable(g))
			ev_bad(s, ev, "viability did not change (%d)", prev->viable);
		break;
	case VFIOGROUP_EV_READY_CHANGED: {
		/*
		 * The last event of its cause: the state it carries is whole
		 * again, ready exactly when viable with a device registered
		 * with VFIO (a ready-changed before its viability-changed
		 * would carry ready=0 beside viable=1 and a VFIO device).
		 */
		bool any = false;

		if (had && n && prev->ready == (int)vfiogroup_group_ready(g))
			ev_bad(s, ev, "readiness did not change (%d)", prev->ready);
		for (size_t i = 0; i < n; i++)
			any |= vfiogroup_device_vfio(vfiogroup_group_device(g, i));
		if (vfiogroup_group_ready(g) != (vfiogroup_group_viable(g) && any))
			ev_bad(s, ev, "ready=%d, but viable=%d and %s device registered with VFIO",
			       vfiogroup_group_ready(g), vfiogroup_group_viable(g),
			       any ? "a" : "no");
		break;
	}
	}
	if (ev->kind != VFIOGROUP_EV_VIABILITY_CHANGED && had && n &&
	    prev->viable != (int)vfiogroup_group_viable(g))
		ev_bad(s, ev, "viability changed (%d -> %d) without viability-changed",
		       prev->viable, vfiogroup_group_viable(g));
	if (ev->kind != VFIOGROUP_EV_READY_CHANGED && had && n &&
	    prev->ready != (int)vfiogroup_group_ready(g))
		ev_bad(s, ev, "readiness changed (%d -> %d) without ready-changed",
		       prev->ready, vfiogroup_group_ready(g));
	if (ev->kind == VFIOGROUP_EV_READY_CHANGED)
		s->ready_flips++;
}
