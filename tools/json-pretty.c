/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Re-indenting rather than a second printer: the compact form is the one
 * the unit tests pin down, and pretty output can then never say anything
 * else.
 */
#include <stdbool.h>

#include "json-pretty.h"

static void newline(FILE *f, int depth)
{
	fputc('\n', f);
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

void json_pretty(FILE *f, const char *s)
{
	bool in_str = false, esc = false;
	int depth = 0;

	for (; s && *s; s++) {
		char c = *s;

		if (in_str) {
			fputc(c, f);
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			fputc(c, f);
			break;
		case '{':
		case '[':
			fputc(c, f);
			if (s[1] == (c == '{' ? '}' : ']')) {
				fputc(*++s, f);
				break;
			}
			newline(f, ++depth);
			break;
		case '}':
		case ']':
			newline(f, --depth);
			fputc(c, f);
			break;
		case ',':
			fputc(c, f);
			newline(f, depth);
			break;
		case ':':
			fputs(": ", f);
			break;
		case '\n':
			depth = 0;
			fputc(c, f);
			break;
		default:
			fputc(c, f);
		}
	}
}
