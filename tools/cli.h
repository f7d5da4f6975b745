/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the vfiogroup tool's commands share: the global options, the exit
 * statuses every command uses (vfiogroup(8), EXIT STATUS), and the
 * connection, made only once a command's arguments are good.
 */
#ifndef VFIOGROUP_TOOL_CLI_H
#define VFIOGROUP_TOOL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vfiogroup.h"

enum exit_status {
	EXIT_OK		= 0,
	EXIT_ERROR	= 1,	/* usage, no module, any other failure */
	EXIT_TIMEOUT	= 2,
	EXIT_GONE	= 3,	/* no such group or device, or it vanished */
};

enum json_mode { JSON_OFF, JSON_SHORT, JSON_PRETTY };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli_opts {
	enum json_mode json;
	enum color_mode color;
};

/* Set by main() from the options before the command. */
extern struct cli_opts cli;
/* Connected by cli_connect(); unreferenced by main(). */
extern struct vfiogroup_ctx *cli_ctx;

/* A library error (negative errno) as an exit status. */
int exit_status_of(int err);
/* Prints "vfiogroup: WHAT: reason", returns exit_status_of(err). */
int cli_fail(const char *what, int err);
/* Prints the message and the --help hint, returns EXIT_ERROR. */
int cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* getopt's '?' (opterr 0): names the option, returns EXIT_ERROR. */
int cli_bad_option(const char *cmd, char **argv);
int cli_connect(void);

/*
 * A JSON document or monitor record goes to out_begin()'s stream and is
 * flushed to stdout by out_end(), re-indented under --json=pretty.
 */
FILE *out_begin(void);
void out_end(FILE *f);

/* Colour for a stream: COLOR_AUTO means a terminal and no NO_COLOR. */
bool color_wanted(enum color_mode mode, bool tty, const char *no_color);

int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_wait(int argc, char **argv);

#endif
