// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration reload: rmmod and insmod under a subscribed context
 * (DISCONNECTED, a change made meanwhile synthesized, RECONNECTED), then
 * a back-to-back reload.
 */
#include "lib-integration.h"

#include <sys/wait.h>

static int run(const char *cmd)
{
	int r = system(cmd);

	if (r == -1 || !WIFEXITED(r))
		return -1;
	return WEXITSTATUS(r);
}

/* Dispatch until cond(c) holds, up to timeout_ms; true if it did. */
static bool dispatch_until(struct vfiogroup_ctx *ctx, struct counts *c,
			   bool (*cond)(const struct counts *), int timeout_ms,
			   int *err)
{
	int64_t end = now_ms() + timeout_ms;

	while (!cond(c) && now_ms() < end) {
		struct pollfd p = { .fd = vfiogroup_get_fd(ctx), .events = POLLIN };
		int n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while ((n = vfiogroup_dispatch(ctx)) > 0)
			;
		if (n < 0 && !*err) {
			*err = n;
			diag("vfiogroup_dispatch: %s", vfiogroup_strerror(n));
		}
	}
	return cond(c);
}

static bool is_disconnected(const struct counts *c) { return c->disconnected >= 1; }
static bool is_reconnected(const struct counts *c) { return c->reconnected >= 1; }
static bool is_bound(const struct counts *c) { return c->dev_kernel_bound; }
static bool is_reconnected2(const struct counts *c) { return c->reconnected >= 2; }

int cmd_reload(int argc, char **argv)
{
	const char *ko = NULL, *dev = NULL;
	struct counts c = { 0 };
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	struct vfiogroup_stats st;
	char cmd[PATH_MAX + 32], drv[NAME_LEN];
	uint32_t *ids = NULL;
	int err = 0, r, n;
	int64_t t;
	bool ok;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--module") && i + 1 < argc)
			ko = argv[++i];
		else if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			dev = argv[++i];
		else
			return 2;
	}
	if (!ko || !dev)
		return 2;
	alarm(120);
	pci_driver(dev, drv, sizeof(drv));
	scopy(c.dev, sizeof(c.dev), dev);
	diag("reload: module %s, device %s on '%s'", ko, dev, drv);

	ctx = connect_or_die();
	r = vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, count_cb, &c, &sub);
	if (r) {
		result(false, "subscribe: %s", vfiogroup_strerror(r));
		return 1;
	}

	/* 1. rmmod while subscribed. */
	t = now_ms();
	r = run("rmmod vfiogroup");
	result(r == 0, "rmmod vfiogroup with a library context subscribed (rc=%d)", r);
	ok = dispatch_until(ctx, &c, is_disconnected, 10000, &err);
	result(ok && c.disconnected == 1,
	       "DISCONNECTED delivered once (%u, after %.1f s)", c.disconnected,
	       (double)(now_ms() - t) / 1000);
	result(vfiogroup_ctx_connected(ctx) == 0, "vfiogroup_ctx_connected() == 0 while unloaded");
	n = vfiogroup_group_ids(ctx, &ids);
	result(n > 0, "the cache keeps the last known state while unloaded (%d groups)", n);
	free(ids);

	/* 2. A change the library cannot hear about. */
	r = *drv ? pci_unbind(dev) : -EINVAL;
	result(r == 0, "unbind %s from %s while the module is away", dev, drv);

	/* 3. insmod: RECONNECTED, the change reported, synthesized, before. */
	t = now_ms();
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	r = run(cmd);
	result(r == 0, "insmod %s (rc=%d)", ko, r);
	ok = dispatch_until(ctx, &c, is_reconnected, 15000, &err);
	result(ok && c.reconnected == 1, "RECONNECTED delivered once after insmod (after %.1f s)",
	       (double)(now_ms() - t) / 1000);
	result(c.dev_synth_before_reconnect,
	       "the unbind made while unloaded was reported (synthesized) before RECONNECTED");
	result(vfiogroup_ctx_connected(ctx) == 1, "vfiogroup_ctx_connected() == 1 again");
	drain(ctx, 300, 5000, NULL);
	n = compare_sysfs(ctx, "after reconnect");
	result(!n, "after reconnect: cache == sysfs");
	n = compare_fresh(ctx, "after reconnect");
	result(!n, "after reconnect: cache == a fresh context (seqs of the new module)");

	/* 4. Live events of the new module reach the old context. */
	r = restore(dev, drv);
	ok = !r && dispatch_until(ctx, &c, is_bound, 10000, &err);
	result(ok, "a kernel driver-bound event of the reloaded module arrives (%s back on %s)",
	       dev, drv);

	/* 5. rmmod + insmod back to back, dispatching only afterwards. */
	r = run("rmmod vfiogroup");
	if (!r)
		r = run(cmd);
	result(r == 0, "back-to-back rmmod + insmod (rc=%d)", r);
	ok = dispatch_until(ctx, &c, is_reconnected2, 15000, &err);
	drain(ctx, 300, 5000, NULL);
	result(ok && c.disconnected == 2 && vfiogroup_ctx_connected(ctx) == 1,
	       "back-to-back reload: DISCONNECTED then RECONNECTED again (%u, %u)",
	       c.disconnected, c.reconnected);
	n = compare_sysfs(ctx, "after the second reload");
	n += compare_fresh(ctx, "after the second reload");
	result(!n, "after the second reload: cache == sysfs == a fresh context");

	vfiogroup_stats(ctx, &st, sizeof(st));
	print_stats(ctx, "reload");
	diag("notices and synthesized events:%s", c.trace);
	result(!err, "vfiogroup_dispatch never failed across the reloads (%s)",
	       err ? vfiogroup_strerror(err) : "none");
	result(st.disconnects == 2 && st.reconnects == 2 && !c.bad,
	       "stats: disconnects == reconnects == 2 (%" PRIu64 ", %" PRIu64 ")",
	       st.disconnects, st.reconnects);
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	return 0;
}
