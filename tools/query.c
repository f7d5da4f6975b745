/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup list, show and info: the state now, with what keeps each group
 * from being opened by a VMM, as the library judges it (readiness).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "resolve.h"
#include "print.h"

int cmd_list(int argc, char **argv)
{
	bool json = cli.json != JSON_OFF;
	uint32_t *ids;
	FILE *out;
	int n;

	if (argc > 1)
		return cli_usage_error("list: unexpected '%s'", argv[1]);
	if ((n = cli_connect()))
		return n;
	n = vfiogroup_group_ids(cli_ctx, &ids);
	if (n < 0)
		return cli_fail("list", n);
	out = out_begin();
	if (json)
		fputc('[', out);
	for (int i = 0, shown = 0; i < n; i++) {
		struct vfiogroup_readiness o;
		struct vfiogroup_group *g;
		int r;

		/* gone between the listing and now: skip it */
		if (vfiogroup_get_group(cli_ctx, ids[i], &g))
			continue;
		if (json && shown++)
			fputc(',', out);
		r = vfiogroup_readiness(cli_ctx, ids[i], &o, sizeof(o));
		print_group_readiness(out, g, r >= 0 ? &o : NULL, NULL, json);
		vfiogroup_group_unref(g);
	}
	if (json)
		fputs("]\n", out);
	out_end(out);
	free(ids);
	return EXIT_OK;
}

int cmd_show(int argc, char **argv)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_group *g;
	char dev[DEV_NAME_MAX];
	bool by_dev = argc == 3 && !strcmp(argv[1], "dev");
	uint32_t id = 0;
	FILE *out;
	int r;

	if (by_dev && !device_arg(argv[2], dev, sizeof(dev)))
		return cli_usage_error("show: bad device '%s' (a name of 1-63 bytes)", argv[2]);
	if (!by_dev && !(argc == 2 && parse_group(argv[1], &id)))
		return cli_usage_error("show: expected GROUP (a number) or 'dev DEVICE'");
	if ((r = cli_connect()))
		return r;
	if (by_dev)
		r = vfiogroup_find_device(cli_ctx, dev, &g);
	else
		r = vfiogroup_get_group(cli_ctx, id, &g);
	if (r == -ENOENT) {
		if (by_dev)
			fprintf(stderr, "vfiogroup: no group holds device %s\n", dev);
		else
			fprintf(stderr, "vfiogroup: no group %u\n", id);
		return EXIT_GONE;
	}
	if (r)
		return cli_fail("show", r);
	/* The same question a VMM would ask, answered by the kernel now. */
	if (by_dev)
		r = vfiogroup_device_readiness(cli_ctx, dev, &o, sizeof(o));
	else
		r = vfiogroup_readiness(cli_ctx, id, &o, sizeof(o));
	out = out_begin();
	print_group_readiness(out, g, r >= 0 ? &o : NULL, by_dev ? dev : NULL,
			      cli.json != JSON_OFF);
	if (cli.json != JSON_OFF)
		fputc('\n', out);
	out_end(out);
	vfiogroup_group_unref(g);
	if (r < 0 && r != -ENOENT)
		return cli_fail("show", r);
	return EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
	struct vfiogroup_info info;
	FILE *out;
	int r;

	if (argc > 1)
		return cli_usage_error("info: unexpected '%s'", argv[1]);
	if ((r = cli_connect()))
		return r;
	r = vfiogroup_info(cli_ctx, &info);
	if (r)
		return cli_fail("info", r);
	out = out_begin();
	print_info(out, &info, cli.json != JSON_OFF);
	out_end(out);
	return EXIT_OK;
}
