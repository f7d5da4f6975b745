/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Monitor records, text and JSON.  The text form keeps the words of the
 * 0.3 monitor ("[kernel] group N KIND [DEV] [driver DRV] -> STATE seq S")
 * so that existing parsers keep working; the JSON form is one object a
 * line with the same fields named.
 */
#include <inttypes.h>
#include <string.h>

#include "print.h"
#include "record.h"

#define GREEN	"\033[32m"
#define RED	"\033[31m"
#define YELLOW	"\033[33m"
#define BOLD	"\033[1m"
#define RESET	"\033[0m"

static const char *type_name(enum record_type t)
{
	switch (t) {
	case REC_KERNEL:	return "kernel";
	case REC_SYNTH:		return "synth";
	case REC_SNAPSHOT:	return "snapshot";
	default:		return "notice";
	}
}

static const char *kind_name(const struct mon_record *r)
{
	return r->type == REC_SNAPSHOT ? "device-present" : event_name(r->kind);
}

void record_from_event(struct mon_record *r, const struct vfiogroup_ev *ev,
		       uint64_t newest_seq)
{
	memset(r, 0, sizeof(*r));
	r->kind = ev->kind;
	if (ev->kind >= VFIOGROUP_EV_RESYNC) {
		r->type = REC_NOTICE;
		r->seq = newest_seq;
		return;
	}
	r->type = ev->flags & VFIOGROUP_EVENT_SYNTHESIZED ? REC_SYNTH
							  : REC_KERNEL;
	r->group_id = ev->group_id;
	r->seq = ev->seq;
	r->time_ns = ev->time_ns;
	r->device = ev->dev_name;
	r->driver = ev->driver;
	r->state = ev->group;
}

void record_from_device(struct mon_record *r, const struct vfiogroup_group *g,
			size_t i)
{
	const struct vfiogroup_device *d = vfiogroup_group_device(g, i);

	memset(r, 0, sizeof(*r));
	r->type = REC_SNAPSHOT;
	r->group_id = vfiogroup_group_id(g);
	r->seq = vfiogroup_group_seq(g);
	r->device = d ? vfiogroup_device_name(d) : NULL;
	r->driver = d ? vfiogroup_device_driver(d) : NULL;
	r->state = g;
}

/* ISO 8601 with microseconds and the offset, as "ip monitor -ts" does. */
static void format_stamp(char *buf, size_t size, const struct timespec *ts)
{
	struct tm tm;
	char date[32], zone[8];

	localtime_r(&ts->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf, size, "%s.%06ld%s", date, ts->tv_nsec / 1000, zone);
}

static void print_json(FILE *f, const struct mon_record *r, const char *stamp)
{
	fprintf(f, "{\"record\":\"%s\"", type_name(r->type));
	if (stamp)
		fprintf(f, ",\"timestamp\":\"%s\"", stamp);
	fprintf(f, ",\"event\":\"%s\"", kind_name(r));
	if (r->type == REC_NOTICE) {
		fprintf(f, ",\"seq\":%" PRIu64 "}\n", r->seq);
		return;
	}
	fprintf(f, ",\"group\":%" PRIu32 ",\"seq\":%" PRIu64 ",\"time_ns\":%"
		PRIu64 ",\"synthesized\":%s,\"device\":", r->group_id, r->seq,
		r->time_ns, r->type == REC_SYNTH ? "true" : "false");
	print_json_string(f, r->device);
	fputs(",\"driver\":", f);
	print_json_string(f, r->driver);
	fputs(",\"state\":", f);
	print_group(f, r->state, true);
	fputs("}\n", f);
}

static void word(FILE *f, const char *color, const char *w, bool use)
{
	if (use)
		fprintf(f, "%s%s%s", color, w, RESET);
	else
		fputs(w, f);
}

static void print_state_text(FILE *f, const struct vfiogroup_group *g,
			     bool color)
{
	bool viable, ready;

	fputs(" -> ", f);
	if (vfiogroup_group_device_count(g) == 0) {
		word(f, RED, "gone", color);
		return;
	}
	viable = vfiogroup_group_viable(g);
	ready = vfiogroup_group_ready(g);
	word(f, viable ? GREEN : RED, viable ? "viable" : "not-viable", color);
	fputc(' ', f);
	word(f, ready ? GREEN : RED, ready ? "ready" : "not-ready", color);
}

static void print_text(FILE *f, const struct mon_record *r, const char *stamp,
		       bool color)
{
	if (stamp)
		fprintf(f, "[%s] ", stamp);
	fprintf(f, "[%s] ", type_name(r->type));
	if (r->type == REC_NOTICE) {
		word(f, YELLOW, kind_name(r), color);
		fprintf(f, " seq %" PRIu64 "\n", r->seq);
		return;
	}
	fprintf(f, "group %" PRIu32 " ", r->group_id);
	word(f, BOLD, kind_name(r), color);
	if (r->device)
		fprintf(f, " %s", r->device);
	if (r->driver)
		fprintf(f, " driver %s", r->driver);
	print_state_text(f, r->state, color);
	fprintf(f, " seq %" PRIu64 "\n", r->seq);
}

void print_record(FILE *f, const struct mon_record *r,
		  const struct record_style *style)
{
	char stamp[64];

	if (r->stamp)
		format_stamp(stamp, sizeof(stamp), r->stamp);
	if (style->json)
		print_json(f, r, r->stamp ? stamp : NULL);
	else
		print_text(f, r, r->stamp ? stamp : NULL, style->color);
}
