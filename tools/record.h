/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One line of "vfiogroup monitor": an event, a snapshot of one device
 * (--snapshot), or a notice (resync, disconnected, reconnected), and its
 * text and JSON forms, which vfiogroup(8) documents.
 */
#ifndef VFIOGROUP_TOOL_RECORD_H
#define VFIOGROUP_TOOL_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "vfiogroup.h"

enum record_type {
	REC_KERNEL,	/* an event the kernel sent */
	REC_SYNTH,	/* made up by a resync: the cache's difference */
	REC_SNAPSHOT,	/* one device as --snapshot found it */
	REC_NOTICE,	/* about the stream, not one group */
};

struct mon_record {
	enum record_type type;
	unsigned kind;		/* enum vfiogroup_event_kind; 0 snapshot */
	uint32_t group_id;
	/*
	 * Kernel numbering: the event's, the group's for a snapshot, the
	 * newest one seen so far for a notice.
	 */
	uint64_t seq;
	uint64_t time_ns;	/* CLOCK_BOOTTIME of a kernel event, or 0 */
	const char *device;	/* or NULL */
	const char *driver;	/* or NULL */
	const struct vfiogroup_group *state;	/* after it; NULL notices */
	const struct timespec *stamp;	/* wall clock with -t, or NULL */
};

struct record_style {
	bool json;
	bool color;
};

void record_from_event(struct mon_record *r, const struct vfiogroup_ev *ev,
		       uint64_t newest_seq);
/* Device i of group g, as --snapshot reports it. */
void record_from_device(struct mon_record *r, const struct vfiogroup_group *g,
			size_t i);
/* The record, one line with its newline. */
void print_record(FILE *f, const struct mon_record *r,
		  const struct record_style *style);

#endif
