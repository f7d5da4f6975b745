/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Output of the vfiogroup tool: text for people (in the style of ip(8):
 * one header line per object, details indented) and JSON for programs
 * (-j: an array or object per command, one object per line for monitor).
 */
#include <inttypes.h>

#include "print.h"

const char *event_name(unsigned kind)
{
	switch (kind) {
	case VFIOGROUP_EV_DEVICE_ADDED:		return "device-added";
	case VFIOGROUP_EV_DEVICE_REMOVED:	return "device-removed";
	case VFIOGROUP_EV_DRIVER_BOUND:		return "driver-bound";
	case VFIOGROUP_EV_DRIVER_UNBOUND:	return "driver-unbound";
	case VFIOGROUP_EV_VIABILITY_CHANGED:	return "viability-changed";
	case VFIOGROUP_EV_READY_CHANGED:	return "ready-changed";
	case VFIOGROUP_EV_RESYNC:		return "resync";
	case VFIOGROUP_EV_DISCONNECTED:		return "disconnected";
	case VFIOGROUP_EV_RECONNECTED:		return "reconnected";
	default:				return "unknown";
	}
}

void print_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_device_json(FILE *f, const struct vfiogroup_device *d)
{
	uint16_t ven, dev;

	fputs("{\"name\":", f);
	print_json_string(f, vfiogroup_device_name(d));
	fputs(",\"bus\":", f);
	print_json_string(f, vfiogroup_device_bus(d));
	fputs(",\"driver\":", f);
	print_json_string(f, vfiogroup_device_driver(d));
	fprintf(f, ",\"viable\":%s", vfiogroup_device_viable(d) ? "true" : "false");
	if (vfiogroup_device_pci_id(d, &ven, &dev))
		fprintf(f, ",\"vendor\":\"%04x\",\"device\":\"%04x\"", ven, dev);
	fprintf(f, ",\"vfio\":%s,\"vfio_dev\":",
		vfiogroup_device_vfio(d) ? "true" : "false");
	print_json_string(f, vfiogroup_device_vfio_dev(d));
	fputc('}', f);
}

static void print_device_text(FILE *f, const struct vfiogroup_device *d)
{
	const char *drv = vfiogroup_device_driver(d);
	uint16_t ven, dev;

	fprintf(f, "    %s", vfiogroup_device_name(d));
	if (*vfiogroup_device_bus(d))
		fprintf(f, " bus %s", vfiogroup_device_bus(d));
	if (vfiogroup_device_pci_id(d, &ven, &dev))
		fprintf(f, " id %04x:%04x", ven, dev);
	fprintf(f, " driver %s", drv ? drv : "(none)");
	if (!vfiogroup_device_viable(d))
		fputs(" blocks-viability", f);
	if (vfiogroup_device_vfio(d))
		fputs(" vfio", f);
	if (vfiogroup_device_vfio_dev(d))
		fprintf(f, " vfio-dev %s", vfiogroup_device_vfio_dev(d));
	fputc('\n', f);
}

void print_group_readiness(FILE *f, const struct vfiogroup_group *g,
			   const struct vfiogroup_readiness *o,
			   const char *dev_name, bool json)
{
	size_t n = vfiogroup_group_device_count(g);

	if (json) {
		fprintf(f, "{\"group\":%" PRIu32 ",\"viable\":%s,\"ready\":%s"
			",\"seq\":%" PRIu64 ",\"node\":", vfiogroup_group_id(g),
			vfiogroup_group_viable(g) ? "true" : "false",
			vfiogroup_group_ready(g) ? "true" : "false",
			vfiogroup_group_seq(g));
		print_json_string(f, vfiogroup_group_node(g));
		fputs(",\"devices\":[", f);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			print_device_json(f, vfiogroup_group_device(g, i));
		}
		fputc(']', f);
		if (o) {
			fputs(",\"readiness\":", f);
			print_readiness(f, o, dev_name, true);
		}
		fputc('}', f);
		return;
	}
	fprintf(f, "group %" PRIu32 " %s %s seq %" PRIu64,
		vfiogroup_group_id(g),
		vfiogroup_group_viable(g) ? "viable" : "not-viable",
		vfiogroup_group_ready(g) ? "ready" : "not-ready",
		vfiogroup_group_seq(g));
	if (vfiogroup_group_node(g))
		fprintf(f, " node %s", vfiogroup_group_node(g));
	fputc('\n', f);
	for (size_t i = 0; i < n; i++)
		print_device_text(f, vfiogroup_group_device(g, i));
	if (o)
		print_readiness(f, o, dev_name, false);
}

void print_group(FILE *f, const struct vfiogroup_group *g, bool json)
{
	print_group_readiness(f, g, NULL, NULL, json);
}

void print_info(FILE *f, const struct vfiogroup_info *info, bool json)
{
	static const char *notifiers[] = { "unknown", "iommu-group", "bus" };
	const char *notifier = info->notifier < 3 ? notifiers[info->notifier]
						  : "unknown";

	if (json) {
		fprintf(f, "{\"version\":");
		print_json_string(f, info->version);
		fprintf(f, ",\"seq\":%" PRIu64 ",\"dropped\":%" PRIu64
			",\"notifier\":\"%s\",\"groups\":%" PRIu32 "}\n",
			info->seq, info->dropped, notifier, info->groups);
		return;
	}
	fprintf(f, "module %s notifier %s groups %" PRIu32 " seq %" PRIu64
		" dropped %" PRIu64 "\n", info->version[0] ? info->version : "?",
		notifier, info->groups, info->seq, info->dropped);
}

const char *readiness_text(int reason)
{
	switch (reason) {
	case VFIOGROUP_NR_NONE:		return "ready";
	case VFIOGROUP_NR_NOT_VIABLE:	return "not viable";
	case VFIOGROUP_NR_NO_VFIO:	return "not bound to a VFIO driver";
	case VFIOGROUP_NR_IN_USE:	return "in use by another user";
	default:			return "unknown";
	}
}

static const char *in_use_word(int in_use)
{
	return in_use < 0 ? "unknown" : in_use ? "yes" : "no";
}

/*
 * Which device is in the way and why, from the library's judgement: the
 * sentence list, show and wait print after "not-ready: ".
 */
void print_blocker(FILE *f, const struct vfiogroup_readiness *o)
{
	const char *drv = o->driver[0] ? o->driver : NULL;

	switch (o->reason) {
	case VFIOGROUP_NR_NOT_VIABLE:
		if (o->device[0])
			fprintf(f, "%s bound to %s (not a VFIO-safe driver)",
				o->device, drv ? drv : "a driver");
		else
			fprintf(f, "a driver is being probed in group %" PRIu32,
				o->group_id);
		break;
	case VFIOGROUP_NR_NO_VFIO:
		if (o->device[0] && drv)
			fprintf(f, "%s bound to %s (not a VFIO driver)",
				o->device, drv);
		else if (o->device[0])
			fprintf(f, "%s bound to no driver (not a VFIO driver)",
				o->device);
		else
			fprintf(f, "group %" PRIu32 " has no device",
				o->group_id);
		break;
	case VFIOGROUP_NR_IN_USE:
		fprintf(f, "group %" PRIu32 " in use (by a VFIO container or"
			" iommufd)", o->group_id);
		break;
	default:
		fprintf(f, "reason %d", o->reason);
	}
}

/* The same sentence as a JSON string, escaped like any name. */
static void print_blocker_json(FILE *f, const struct vfiogroup_readiness *o)
{
	char buf[256] = "";
	FILE *m = fmemopen(buf, sizeof(buf) - 1, "w");

	if (m) {
		print_blocker(m, o);
		fclose(m);
	}
	print_json_string(f, buf);
}

/*
 * "ready" or "not-ready" with what is in the way, for show and wait: the
 * device to act on and its driver, so a person knows what to unbind.
 */
void print_readiness(FILE *f, const struct vfiogroup_readiness *o,
		     const char *dev_name, bool json)
{
	if (json) {
		fprintf(f, "{\"group\":%" PRIu32 ",\"device\":", o->group_id);
		print_json_string(f, dev_name);
		fprintf(f, ",\"ready\":%s,\"reason\":\"%s\",\"in_use\":%s"
			",\"blocking_device\":", o->ready ? "true" : "false",
			readiness_text(o->reason),
			o->in_use < 0 ? "null" : o->in_use ? "true" : "false");
		print_json_string(f, o->device[0] ? o->device : NULL);
		fputs(",\"blocking_driver\":", f);
		print_json_string(f, o->driver[0] ? o->driver : NULL);
		fputs(",\"node\":", f);
		print_json_string(f, o->node[0] ? o->node : NULL);
		fputs(",\"vfio_dev\":", f);
		print_json_string(f, o->vfio_dev[0] ? o->vfio_dev : NULL);
		fputs(",\"why\":", f);
		if (o->ready) {
			fputs("null}", f);
			return;
		}
		print_blocker_json(f, o);
		fputc('}', f);
		return;
	}
	if (o->ready) {
		fprintf(f, "ready node %s", o->node);
		if (o->vfio_dev[0])
			fprintf(f, " vfio-dev %s", o->vfio_dev);
		fprintf(f, " in-use %s\n", in_use_word(o->in_use));
		return;
	}
	fprintf(f, "not-ready: ");
	print_blocker(f, o);
	fputc('\n', f);
}
