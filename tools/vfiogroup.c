/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup: look at and follow IOMMU groups through libvfiogroup.
 *
 *   vfiogroup [-j] list | show N | show dev NAME | info
 *   vfiogroup [-j] monitor [--group N]... | --device DEV
 *   vfiogroup [-j] wait N --viable [--timeout S]
 *   vfiogroup [-j] wait [N] --ready [--device DEV] [--timeout S]
 *
 * Exit status (vfiogroup(8)): 0 ok, 1 usage, 2 module missing, 3 timeout,
 * 4 any other failure.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "print.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.3.0"
#endif

enum { EXIT_OK, EXIT_USAGE, EXIT_NOMODULE, EXIT_TIMEOUT, EXIT_FAIL };

static bool json;
static volatile sig_atomic_t stop;
static struct vfiogroup_ctx *ctx;	/* connected once the arguments are good */

static void usage(FILE *f)
{
	fputs("Usage: vfiogroup [OPTIONS] COMMAND\n"
	      "\n"
	      "Commands:\n"
	      "  list                      every IOMMU group and its devices\n"
	      "  show GROUP                one group\n"
	      "  show dev DEVICE           the group holding DEVICE (0000:01:00.0)\n"
	      "  info                      the kernel module's state\n"
	      "  monitor [--group GROUP]... follow events until interrupted\n"
	      "  monitor --device DEVICE   follow one device, whatever its group\n"
	      "  wait GROUP --viable [--timeout SECONDS]\n"
	      "                            wait until GROUP is viable for VFIO\n"
	      "  wait GROUP --ready [--timeout SECONDS]\n"
	      "  wait --ready --device DEVICE [--timeout SECONDS]\n"
	      "                            wait until a VMM can open GROUP, or\n"
	      "                            DEVICE on its group, now\n"
	      "  metrics                   the groups in Prometheus text format\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json                JSON output\n"
	      "  -h, --help                this help\n"
	      "  -V, --version             versions of the tool and the library\n"
	      "\n"
	      "Exit status: 0 ok, 1 usage error, 2 vfiogroup module not loaded,\n"
	      "3 timeout, 4 other failure.  See vfiogroup(8).\n", f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vfiogroup: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'vfiogroup --help'.\n", stderr);
	return EXIT_USAGE;
}

static bool parse_group(const char *s, uint32_t *id)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "vfiogroup: %s: %s\n", what, vfiogroup_strerror(err));
	return err == -ETIMEDOUT ? EXIT_TIMEOUT : EXIT_FAIL;
}

/* After the arguments are checked: a usage error never needs the module. */
static int connect_ctx(void)
{
	int r = vfiogroup_ctx_new(&ctx, 0);

	if (!r)
		return EXIT_OK;
	fprintf(stderr, "%s\n", vfiogroup_ctx_last_error(ctx));
	ctx = vfiogroup_ctx_unref(ctx);
	return r == -ENOENT || r == -EPROTONOSUPPORT ? EXIT_NOMODULE : EXIT_FAIL;
}

/* ------------------------------------------------------------------ */

static int cmd_list(int argc, char **argv)
{
	uint32_t *ids;
	int n;

	if (argc > 1)
		return usage_error("list: unexpected '%s'", argv[1]);
	if ((n = connect_ctx()))
		return n;
	n = vfiogroup_group_ids(ctx, &ids);
	if (n < 0)
		return fail("list", n);
	if (json)
		fputc('[', stdout);
	for (int i = 0, shown = 0; i < n; i++) {
		struct vfiogroup_group *g;

		/* gone between the listing and now: skip it */
		if (vfiogroup_get_group(ctx, ids[i], &g))
			continue;
		if (json && shown++)
			fputc(',', stdout);
		print_group(stdout, g, json);
		vfiogroup_group_unref(g);
	}
	if (json)
		fputs("]\n", stdout);
	free(ids);
	return EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_group *g;
	uint32_t id;
	int r;

	bool by_dev = argc == 3 && !strcmp(argv[1], "dev");

	if (!by_dev && !(argc == 2 && parse_group(argv[1], &id)))
		return usage_error("show: expected GROUP or 'dev DEVICE'%s", "");
	if ((r = connect_ctx()))
		return r;
	if (by_dev) {
		r = vfiogroup_find_device(ctx, argv[2], &g);
		if (r == -ENOENT) {
			fprintf(stderr, "vfiogroup: no group holds device %s\n",
				argv[2]);
			return EXIT_FAIL;
		}
	} else {
		r = vfiogroup_get_group(ctx, id, &g);
		if (r == -ENOENT) {
			fprintf(stderr, "vfiogroup: no group %s\n", argv[1]);
			return EXIT_FAIL;
		}
	}
	if (r)
		return fail("show", r);
	/* The same question a VMM would ask, answered by the kernel now. */
	if (by_dev)
		r = vfiogroup_device_readiness(ctx, argv[2], &o, sizeof(o));
	else
		r = vfiogroup_readiness(ctx, id, &o, sizeof(o));
	print_group_readiness(stdout, g, r >= 0 ? &o : NULL,
			      by_dev ? argv[2] : NULL, json);
	if (json)
		fputc('\n', stdout);
	vfiogroup_group_unref(g);
	if (r < 0 && r != -ENOENT)
		return fail("show", r);
	return EXIT_OK;
}

static int cmd_info(int argc, char **argv)
{
	struct vfiogroup_info info;
	int r;

	if (argc > 1)
		return usage_error("info: unexpected '%s'", argv[1]);
	if ((r = connect_ctx()))
		return r;
	r = vfiogroup_info(ctx, &info);
	if (r)
		return fail("info", r);
	print_info(stdout, &info, json);
	return EXIT_OK;
}

static void on_event(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	(void)sub;
	(void)userdata;
	print_event(stdout, ev, json);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ "device", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *sub;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *dev = NULL;
	int c, r = EXIT_OK;

	optind = 0;	/* 0: glibc fully resets its permutation state */
	while ((c = getopt_long(argc, argv, "g:d:", opts, NULL)) != -1) {
		uint32_t id;

		if (c == 'd' && !dev && *optarg && strlen(optarg) < 64) {
			dev = optarg;
			continue;
		}
		if (c != 'g' || !parse_group(optarg, &id)) {
			vfiogroup_filter_free(f);
			return c == 'g' ? usage_error("monitor: bad group '%s'",
						      optarg)
			       : c == 'd' ? usage_error("monitor: one --device, a name of 1-63 bytes%s", "")
					  : usage_error("monitor: bad option%s", "");
		}
		if ((!f && vfiogroup_filter_new(&f)) ||
		    vfiogroup_filter_add_group(f, id)) {
			vfiogroup_filter_free(f);
			return fail("monitor", -ENOMEM);
		}
	}
	if (optind < argc || (f && dev)) {
		vfiogroup_filter_free(f);
		return optind < argc ?
		       usage_error("monitor: unexpected '%s'", argv[optind]) :
		       usage_error("monitor: --group or --device, not both%s", "");
	}
	if ((r = connect_ctx())) {
		vfiogroup_filter_free(f);
		return r;
	}
	if (dev)
		r = vfiogroup_subscribe_device(ctx, dev, VFIOGROUP_EVMASK_ALL,
					       on_event, NULL, &sub);
	else
		r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL, on_event,
					NULL, &sub);
	vfiogroup_filter_free(f);
	if (r)
		return fail("monitor", r);

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = EXIT_OK;
	while (!stop) {
		struct pollfd pfd = { .fd = vfiogroup_get_fd(ctx),
				      .events = POLLIN };
		int n;

		if (poll(&pfd, 1, -1) < 0)
			continue;	/* EINTR: look at stop */
		while ((n = vfiogroup_dispatch(ctx)) > 0)
			;
		if (n < 0) {
			r = fail("monitor", n);
			break;
		}
	}
	vfiogroup_unsubscribe(sub);
	return r;
}

static int wait_ready(uint32_t id, const char *dev, int timeout_ms)
{
	struct vfiogroup_readiness o = { 0 };
	int r;

	if (dev)
		r = vfiogroup_wait_device_ready(ctx, dev, timeout_ms, &o,
						sizeof(o));
	else
		r = vfiogroup_wait_ready(ctx, id, timeout_ms, &o, sizeof(o));
	if (r == -ETIMEDOUT) {
		/* What is still in the way, so that someone can act on it. */
		if (dev)
			fprintf(stderr, "vfiogroup: device %s not ready after %.3gs",
				dev, timeout_ms / 1000.0);
		else
			fprintf(stderr, "vfiogroup: group %u not ready after %.3gs",
				id, timeout_ms / 1000.0);
		if (o.group_id || o.reason) {
			fputs(": ", stderr);
			print_readiness(stderr, &o, dev, false);
		} else {
			fputs(dev ? ": no such device\n" : ": no such group\n",
			      stderr);
		}
		return EXIT_TIMEOUT;
	}
	if (r)
		return fail("wait", r);
	print_readiness(stdout, &o, dev, json);
	if (json)
		fputc('\n', stdout);
	return EXIT_OK;
}

static int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "viable", no_argument, NULL, 'v' },
		{ "ready", no_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool viable = false, ready = false;
	const char *dev = NULL;
	int timeout_ms = -1, c, r;
	uint32_t id = 0;

	optind = 0;	/* 0: glibc fully resets its permutation state */
	while ((c = getopt_long(argc, argv, "vrd:t:", opts, NULL)) != -1) {
		char *end;
		double s;

		switch (c) {
		case 'v':
			viable = true;
			break;
		case 'r':
			ready = true;
			break;
		case 'd':
			if (!*optarg)
				return usage_error("wait: empty device name%s", "");
			dev = optarg;
			break;
		case 't':
			s = strtod(optarg, &end);
			if (*end || !isfinite(s) || s < 0 || s > INT_MAX / 1000)
				return usage_error("wait: bad timeout '%s'",
						   optarg);
			timeout_ms = (int)(s * 1000);
			break;
		default:
			return usage_error("wait: bad option%s", "");
		}
	}
	if (viable == ready)
		return usage_error("wait: say what to wait for (--viable or --ready)%s", "");
	if (dev && viable)
		return usage_error("wait: --device goes with --ready%s", "");
	if (dev ? optind != argc : (optind != argc - 1 ||
				    !parse_group(argv[optind], &id)))
		return usage_error(dev ? "wait: a GROUP or --device DEVICE, not both%s"
				       : "wait: expected one GROUP%s", "");
	if ((r = connect_ctx()))
		return r;
	if (ready)
		return wait_ready(id, dev, timeout_ms);
	r = vfiogroup_wait_viable(ctx, id, timeout_ms);
	if (r == -ETIMEDOUT) {
		fprintf(stderr, "vfiogroup: group %u not viable after %.3gs\n",
			id, timeout_ms / 1000.0);
		return EXIT_TIMEOUT;
	}
	if (r)
		return fail("wait", r);
	if (json)
		printf("{\"group\":%u,\"viable\":true}\n", id);
	else
		printf("group %u viable\n", id);
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */

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
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	/* '+': options after the command belong to the command */
	while ((c = getopt_long(argc, argv, "+jhV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("vfiogroup %s (libvfiogroup %s)\n",
			       PACKAGE_VERSION, vfiogroup_version());
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[optind], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		r = cmds[i].fn(argc - optind, argv + optind);
		vfiogroup_ctx_unref(ctx);
		return r;
	}
	return usage_error("unknown command '%s'", argv[optind]);
}
