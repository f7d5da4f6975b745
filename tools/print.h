/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text and JSON output of the vfiogroup tool. */
#ifndef VFIOGROUP_TOOL_PRINT_H
#define VFIOGROUP_TOOL_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "vfiogroup.h"

void print_group(FILE *f, const struct vfiogroup_group *g, bool json);
/* With o: the group, then what a VMM would meet opening it (or dev_name). */
void print_group_readiness(FILE *f, const struct vfiogroup_group *g,
			   const struct vfiogroup_readiness *o,
			   const char *dev_name, bool json);
void print_info(FILE *f, const struct vfiogroup_info *info, bool json);
void print_json_string(FILE *f, const char *s);
const char *event_name(unsigned kind);
const char *readiness_text(int reason);
/* What is in the way, a sentence without newline (not when ready). */
void print_blocker(FILE *f, const struct vfiogroup_readiness *o);
void print_readiness(FILE *f, const struct vfiogroup_readiness *o,
		     const char *dev_name, bool json);

#endif
