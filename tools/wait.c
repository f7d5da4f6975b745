/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup wait: until a group or device is viable or ready.  Exit 0
 * reached, 2 timed out, 3 the group or device is not there or vanished
 * while waited for (the library's VFIOGROUP_WAIT_GONE), 1 any other error.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "resolve.h"
#include "print.h"

struct wait_args {
	bool viable, ready;
	uint32_t id;
	char dev[DEV_NAME_MAX];		/* "" for the group form */
	int timeout_ms;			/* -1: forever */
};

static int parse_args(struct wait_args *w, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "viable", no_argument, NULL, 'v' },
		{ "ready", no_argument, NULL, 'r' },
		{ "device", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;	/* 0: glibc fully resets its permutation state */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vrd:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			w->viable = true;
			break;
		case 'r':
			w->ready = true;
			break;
		case 'd':
			if (!device_arg(optarg, w->dev, sizeof(w->dev)))
				return cli_usage_error("wait: bad device '%s' (a name of 1-63 bytes)", optarg);
			break;
		case 't':
			if (!parse_seconds(optarg, &w->timeout_ms))
				return cli_usage_error("wait: bad timeout '%s' (seconds, 0 or more)", optarg);
			break;
		case ':':
			return cli_usage_error("wait: %s needs a value", argv[optind - 1]);
		default:
			return cli_bad_option("wait", argv);
		}
	}
	if (w->viable == w->ready)
		return cli_usage_error("wait: say what to wait for: --viable or --ready");
	if (w->dev[0] && optind != argc)
		return cli_usage_error("wait: a GROUP or --device DEVICE, not both");
	if (!w->dev[0] && (optind != argc - 1 || !parse_group(argv[optind], &w->id)))
		return cli_usage_error("wait: expected one GROUP (a number) or --device DEVICE");
	return EXIT_OK;
}

static void say_what(FILE *f, const struct wait_args *w)
{
	if (w->dev[0])
		fprintf(f, "device %s", w->dev);
	else
		fprintf(f, "group %u", w->id);
}

/* What is still in the way, so that someone can act on it. */
static void explain_timeout(const struct wait_args *w,
			    const struct vfiogroup_readiness *o)
{
	struct vfiogroup_readiness now;
	int r;

	fputs("vfiogroup: ", stderr);
	say_what(stderr, w);
	fprintf(stderr, " not %s after %.3gs", w->ready ? "ready" : "viable",
		w->timeout_ms / 1000.0);
	if (!w->ready) {
		r = w->dev[0] ? vfiogroup_device_readiness(cli_ctx, w->dev, &now,
							   sizeof(now))
			      : vfiogroup_readiness(cli_ctx, w->id, &now,
						    sizeof(now));
		o = r >= 0 ? &now : NULL;
	}
	if (o && (o->group_id || o->reason)) {
		fputs(": ", stderr);
		print_readiness(stderr, o, w->dev[0] ? w->dev : NULL, false);
	} else {
		fputc('\n', stderr);
	}
}

int cmd_wait(int argc, char **argv)
{
	struct wait_args w = { .timeout_ms = -1 };
	struct vfiogroup_readiness o = { 0 };
	unsigned flags = VFIOGROUP_WAIT_GONE;
	FILE *out;
	int r;

	if ((r = parse_args(&w, argc, argv)))
		return r;
	if ((r = cli_connect()))
		return r;
	if (w.ready)
		flags |= VFIOGROUP_WAIT_READY;
	if (w.dev[0])
		r = vfiogroup_wait_device(cli_ctx, w.dev, flags, w.timeout_ms,
					  &o, sizeof(o));
	else
		r = vfiogroup_wait_group(cli_ctx, w.id, flags, w.timeout_ms,
					 &o, sizeof(o));
	if (r == -ETIMEDOUT) {
		explain_timeout(&w, &o);
		return EXIT_TIMEOUT;
	}
	if (r == -ENODEV) {
		fputs("vfiogroup: ", stderr);
		say_what(stderr, &w);
		fputs(" is not there, or was removed while waited for\n", stderr);
		return EXIT_GONE;
	}
	if (r)
		return cli_fail("wait", r);
	out = out_begin();
	if (w.ready) {
		print_readiness(out, &o, w.dev[0] ? w.dev : NULL,
				cli.json != JSON_OFF);
		if (cli.json != JSON_OFF)
			fputc('\n', out);
	} else if (cli.json != JSON_OFF) {
		fputc('{', out);
		if (w.dev[0]) {
			fputs("\"device\":", out);
			print_json_string(out, w.dev);
		} else {
			fprintf(out, "\"group\":%u", w.id);
		}
		fputs(",\"viable\":true}\n", out);
	} else {
		say_what(out, &w);
		fputs(" viable\n", out);
	}
	out_end(out);
	return EXIT_OK;
}
