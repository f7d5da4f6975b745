/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-dispatch: the library's user-space cost per event, receipt to
 * callback, counted in instructions by callgrind rather than timed.
 *
 *   valgrind --tool=callgrind --toggle-collect=vfiogroup_dispatch \
 *       ./bench-dispatch [EVENTS]
 *
 * The fake kernel (fake.c) queues real notifications -- the bytes the
 * module sends for a driver bound or unbound in a group of two devices --
 * on the context's socket, a few at a time, outside vfiogroup_dispatch();
 * only the dispatch of them is collected: receive, decode, cache, filter
 * and one callback.  Prints "events=N groups=G" for the caller to divide
 * callgrind's total by.  Not a test: nothing here can fail but a broken
 * library, which then says so.
 *
 *   ./bench-dispatch --rebind [EVENTS]
 *
 * is the same with the device moved from driver to driver, three in turn
 * (one event each), instead of bound and unbound: its nest in an event is
 * never the one in the group the event is decoded into (the state two
 * events back), so that device is decoded every time.
 *
 *   valgrind --tool=callgrind --toggle-collect=vg_ctx_new_transport \
 *       ./bench-dispatch --ctx-new [CONTEXTS]
 *
 * makes CONTEXTS contexts (default 20) on the same eight groups, one after
 * the other, and prints "contexts=N groups=8".  vg_ctx_new_transport() is
 * vfiogroup_ctx_new() once the socket is made: resolve, join, filter, INFO
 * and the dump.  tests/unit/bench-dispatch.sh runs both and also leaves
 * out the fake kernel's own work (its transport functions, f_*, but for
 * the library's reply callback they call).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"

/* An AF_UNIX datagram queue holds net.unix.max_dgram_qlen (10) messages. */
#define BATCH	8

static void count_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *ud)
{
	(void)sub;
	(void)ev;
	++*(unsigned long *)ud;
}

/* Eight groups, as on the VM bench: the events are group 1's. */
static struct fake *eight_groups(void)
{
	struct fake *fk = fake_new();

	if (!fk) {
		fprintf(stderr, "bench-dispatch: no fake kernel\n");
		exit(1);
	}
	fake_add_device(fk, 1, "0000:01:00.0", "vfio-pci", false);
	fake_add_device(fk, 1, "0000:01:00.1", NULL, false);
	for (int i = 2; i <= 8; i++) {
		char name[16];

		snprintf(name, sizeof(name), "0000:%02x:00.0", i);
		fake_add_device(fk, (uint32_t)i, name, "e1000", true);
	}
	return fk;
}

static int bench_ctx_new(unsigned long n)
{
	struct fake *fk = eight_groups();

	for (unsigned long i = 0; i < n; i++) {
		struct vfiogroup_ctx *ctx;
		int ret = fake_ctx(fk, 0, &ctx);

		if (ret) {
			fprintf(stderr, "bench-dispatch: ctx_new: %s\n",
				strerror(-ret));
			return 1;
		}
		vfiogroup_ctx_unref(ctx);
	}
	printf("contexts=%lu groups=8\n", n);
	fake_free(fk);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const drivers[] = { "vfio-pci", "e1000", "igb" };
	unsigned long want, sent = 0, seen = 0;
	bool rebind = false;
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	struct fake *fk;
	int ret, i;

	if (argc > 1 && !strcmp(argv[1], "--ctx-new"))
		return bench_ctx_new(argc > 2 ? strtoul(argv[2], NULL, 10)
					      : 20);
	if (argc > 1 && !strcmp(argv[1], "--rebind")) {
		rebind = true;
		argc--;
		argv++;
	}
	want = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
	fk = eight_groups();
	ret = fake_ctx(fk, 0, &ctx);
	if (!ret)
		ret = vfiogroup_subscribe(ctx, NULL, ~0u, count_cb, &seen, &sub);
	if (ret) {
		fprintf(stderr, "bench-dispatch: %s\n", strerror(-ret));
		return 1;
	}
	while (vfiogroup_dispatch(ctx) > 0)
		;
	seen = 0;

	while (sent < want) {
		for (i = 0; i < BATCH && sent < want; i++, sent++) {
			if (rebind)
				fake_bind(fk, 1, "0000:01:00.1",
					  drivers[sent % 3], false);
			else if (sent % 2)
				fake_unbind(fk, 1, "0000:01:00.1");
			else
				fake_bind(fk, 1, "0000:01:00.1", "vfio-pci",
					  false);
		}
		do {
			ret = vfiogroup_dispatch(ctx);
		} while (ret > 0);
		if (ret < 0) {
			fprintf(stderr, "bench-dispatch: dispatch: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	if (seen != sent) {
		fprintf(stderr, "bench-dispatch: %lu events sent, %lu seen\n",
			sent, seen);
		return 1;
	}
	printf("events=%lu groups=8\n", seen);
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	fake_free(fk);
	return 0;
}
