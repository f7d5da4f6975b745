/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tool's argument values, checked before anything talks to the kernel. */
#ifndef VFIOGROUP_TOOL_PARSE_H
#define VFIOGROUP_TOOL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* Device names are shorter than this (the library's limit). */
#define DEV_NAME_MAX	64

/* A group number: decimal, 0..UINT32_MAX, nothing else. */
bool parse_group(const char *s, uint32_t *id);
/* Seconds, fractions allowed, 0 up to INT_MAX / 1000: in milliseconds. */
bool parse_seconds(const char *s, int *ms);
/* A count of records: 1 or more. */
bool parse_count(const char *s, unsigned long *n);
/*
 * A device: a name of 1-63 bytes; a PCI address without its domain
 * ("01:00.0") gets domain 0000, as lspci prints it.
 */
bool parse_device(const char *s, char *out, size_t size);
/* viable, not-viable, ready or not-ready: its STATE_ bit (filter.h). */
bool parse_state(const char *s, unsigned *bit);
/* --json's value: short or pretty; none means short. */
bool parse_json_mode(const char *s, enum json_mode *m);
/* --color's value: auto, always or never; none means always, as ls. */
bool parse_color_mode(const char *s, enum color_mode *m);

#endif
