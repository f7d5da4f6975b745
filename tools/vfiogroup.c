/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup: look at and follow IOMMU groups through libvfiogroup.
 * Global options and the command table; each command lives in a file of
 * its own (query.c, monitor.c, wait.c).  See vfiogroup(8).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "metrics.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.4.0"
#endif

struct cli_opts cli = { .json = JSON_OFF, .color = COLOR_AUTO };
struct vfiogroup_ctx *cli_ctx;

static void usage(FILE *f)
{
	fputs("Usage: vfiogroup [OPTIONS] COMMAND\n"
	      "\n"
	      "Commands:\n"
	      "  list                      every IOMMU group, its devices, and what\n"
	      "                            keeps it from being ready\n"
	      "  show GROUP                one group\n"
	      "  show dev DEVICE           the group holding DEVICE (0000:01:00.0,\n"
	      "                            01:00.0, or an interface or disk: eth0)\n"
	      "  info                      the kernel module's state\n"
	      "  monitor [MONITOR OPTIONS] follow events until interrupted\n"
	      "  wait GROUP --viable|--ready [--timeout SECONDS]\n"
	      "  wait --device DEVICE --viable|--ready [--timeout SECONDS]\n"
	      "                            wait until GROUP (or DEVICE's group) is\n"
	      "                            viable, or a VMM can open it now\n"
	      "\n"
	      "Monitor options (one kind's values are alternatives, kinds combine):\n"
	      "  -g, --group GROUP         only this group (repeatable)\n"
	      "  -d, --device DEVICE       only this device's group, any group\n"
	      "  -D, --driver DRIVER       records naming DRIVER, or of a group\n"
	      "                            with a device bound to it\n"
	      "  -s, --state STATE         viable, not-viable, ready, not-ready\n"
	      "  -S, --snapshot            one record per device first, then events\n"
	      "  -t, --timestamp           wall-clock time on every record\n"
	      "  -c, --count N             exit 0 after N records\n"
	      "      --timeout SECONDS     stop then: exit 0, or 2 before --count\n"
	      "  metrics                   the groups in Prometheus text format\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json[=short|pretty] JSON output (-j: short, a record a line)\n"
	      "      --color[=auto|always|never]\n"
	      "                            colour the monitor's text: auto, only on\n"
	      "                            a terminal without NO_COLOR\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             versions of the tool and the library\n"
	      "\n"
	      "Exit status: 0 ok, 1 error (usage, no module, other), 2 timeout,\n"
	      "3 no such group or device, or it vanished.  See vfiogroup(8).\n", f);
}

/* One line per command; each returns an exit status (cli.h). */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "list", cmd_list },
	{ "show", cmd_show },
	{ "info", cmd_info },
	{ "monitor", cmd_monitor },
	{ "wait", cmd_wait },
	{ "metrics", cmd_metrics },
};

int main(int argc, char **argv)
{
	enum { OPT_COLOR = 256 };
	static const struct option opts[] = {
		{ "json", optional_argument, NULL, 'j' },
		{ "color", optional_argument, NULL, OPT_COLOR },
		{ "colour", optional_argument, NULL, OPT_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	opterr = 0;
	/* '+': options after the command belong to the command */
	while ((c = getopt_long(argc, argv, "+:jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!parse_json_mode(optarg, &cli.json))
				return cli_usage_error("bad --json '%s' (short or pretty)", optarg);
			break;
		case OPT_COLOR:
			if (!parse_color_mode(optarg, &cli.color))
				return cli_usage_error("bad --color '%s' (auto, always or never)", optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("vfiogroup %s (libvfiogroup %s)\n",
			       PACKAGE_VERSION, vfiogroup_version());
			return EXIT_OK;
		default:
			return cli_bad_option(NULL, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("no command");
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		r = cmds[i].fn(argc - optind, argv + optind);
		vfiogroup_ctx_unref(cli_ctx);
		return r;
	}
	return cli_usage_error("unknown command '%s'", argv[optind]);
}
