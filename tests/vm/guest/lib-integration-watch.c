// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration watch: a diagnostic, not a test; every event printed,
 * then the context's statistics.
 */
#include "lib-integration.h"

static void watch_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	(void)sub;
	(void)userdata;
	printf("# event kind=%u group=%u seq=%" PRIu64 " flags=%u dev=%s driver=%s ndev=%zu\n",
	       ev->kind, ev->group_id, ev->seq, ev->flags,
	       ev->dev_name ? ev->dev_name : "-", ev->driver ? ev->driver : "-",
	       ev->group ? vfiogroup_group_device_count(ev->group) : 0);
}

static volatile bool watch_stop;

static void on_term(int sig)
{
	(void)sig;
	watch_stop = true;
}

int cmd_watch(int argc, char **argv)
{
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	int seconds = 60;

	if (argc == 3 && !strcmp(argv[1], "--seconds"))
		seconds = atoi(argv[2]);
	else if (argc != 1)
		return 2;
	signal(SIGTERM, on_term);
	ctx = connect_or_die();
	if (vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, watch_cb, NULL, &sub))
		return 1;
	diag("watching");
	drain(ctx, seconds * 1000, seconds * 1000, &watch_stop);
	print_stats(ctx, "watch");
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}
