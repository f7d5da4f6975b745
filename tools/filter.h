/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which records "vfiogroup monitor" prints: --group, --device, --driver
 * and --state.  Values of one option are alternatives; different options
 * must all match; notices always pass (vfiogroup(8), FILTERS).
 */
#ifndef VFIOGROUP_TOOL_FILTER_H
#define VFIOGROUP_TOOL_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "record.h"

enum {
	STATE_VIABLE		= 1u << 0,
	STATE_NOT_VIABLE	= 1u << 1,
	STATE_READY		= 1u << 2,
	STATE_NOT_READY		= 1u << 3,
};

/* Enough for any command line a person writes; more is a usage error. */
#define FILTER_MAX	32

struct mon_filter {
	uint32_t group[FILTER_MAX];
	size_t ngroups;
	char device[FILTER_MAX][DEV_NAME_MAX];
	size_t ndevices;
	char driver[FILTER_MAX][DEV_NAME_MAX];
	size_t ndrivers;
	unsigned states;	/* STATE_ bits */
};

/* 0, -E2BIG (too many), or -EINVAL (a name too long or empty). */
int filter_add_group(struct mon_filter *f, uint32_t id);
int filter_add_device(struct mon_filter *f, const char *name);
int filter_add_driver(struct mon_filter *f, const char *name);
bool filter_match(const struct mon_filter *f, const struct mon_record *r);

#endif
