/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --json=pretty: the tool's one-line JSON, re-indented. */
#ifndef VFIOGROUP_TOOL_JSON_PRETTY_H
#define VFIOGROUP_TOOL_JSON_PRETTY_H

#include <stdio.h>

/*
 * Writes json (compact, as print.c makes it; several documents one a line
 * are fine) with two spaces per level, one member or element a line,
 * empty objects and arrays kept as {} and [].
 */
void json_pretty(FILE *f, const char *json);

#endif
