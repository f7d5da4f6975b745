/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Argument values.  Strict on purpose: a script that passes "12x" or "-3"
 * gets exit 1 and a message, not a monitor of the wrong group.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "parse.h"

bool parse_group(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

bool parse_seconds(const char *s, int *ms)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > INT_MAX / 1000)
		return false;
	*ms = (int)(v * 1000);
	return true;
}

bool parse_count(const char *s, unsigned long *n)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0)
		return false;
	*n = v;
	return true;
}

/* "BB:DD.F" in hex: a PCI address lspci would print without -D. */
static bool short_pci(const char *s)
{
	unsigned bus, dev, fn;
	int len = 0;

	return strlen(s) == 7 &&
	       sscanf(s, "%2x:%2x.%1x%n", &bus, &dev, &fn, &len) == 3 &&
	       len == 7;
}

bool parse_device(const char *s, char *out, size_t size)
{
	int n;

	if (!s || !*s || strlen(s) >= DEV_NAME_MAX)
		return false;
	n = snprintf(out, size, short_pci(s) ? "0000:%s" : "%s", s);
	return n > 0 && (size_t)n < size;
}

bool parse_state(const char *s, unsigned *bit)
{
	static const struct { const char *name; unsigned bit; } states[] = {
		{ "viable", STATE_VIABLE },
		{ "not-viable", STATE_NOT_VIABLE },
		{ "ready", STATE_READY },
		{ "not-ready", STATE_NOT_READY },
	};

	for (size_t i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i].name)) {
			*bit = states[i].bit;
			return true;
		}
	return false;
}

bool parse_json_mode(const char *s, enum json_mode *m)
{
	if (!s || !strcmp(s, "short"))
		*m = JSON_SHORT;
	else if (!strcmp(s, "pretty"))
		*m = JSON_PRETTY;
	else
		return false;
	return true;
}

bool parse_color_mode(const char *s, enum color_mode *m)
{
	if (!s || !strcmp(s, "always"))
		*m = COLOR_ALWAYS;
	else if (!strcmp(s, "auto"))
		*m = COLOR_AUTO;
	else if (!strcmp(s, "never"))
		*m = COLOR_NEVER;
	else
		return false;
	return true;
}
