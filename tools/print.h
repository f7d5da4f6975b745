/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text and JSON output of the vfiogroup tool. */
#ifndef VFIOGROUP_TOOL_PRINT_H
#define VFIOGROUP_TOOL_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "vfiogroup.h"

void print_group(FILE *f, const struct vfiogroup_group *g, bool json);
void print_event(FILE *f, const struct vfiogroup_ev *ev, bool json);
void print_info(FILE *f, const struct vfiogroup_info *info, bool json);
void print_json_string(FILE *f, const char *s);
const char *event_name(unsigned kind);

#endif
