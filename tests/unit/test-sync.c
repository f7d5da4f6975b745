/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole library against the fake kernel: list-then-watch, sequence
 * gaps, overruns, reloads, the filter end to end, queries, waiting, and
 * overflows against netlink's congestion (drain before the baseline).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "fake.h"
#include "record.h"
#include "run-suite.h"

static struct fake *fk;
static struct vfiogroup_ctx *ctx;
static struct record rec;
static struct vfiogroup_sub *sub;

static struct vfiogroup_stats stats(void)
{
	struct vfiogroup_stats s;

	ck_assert_int_eq(vfiogroup_stats(ctx, &s, sizeof(s)), 0);
	return s;
}

/*
 * Two groups: 1 = {a on vfio-pci, b unbound} (ready), 2 = {c on e1000};
 * seven events.
 */
static void setup(void)
{
	fk = fake_new();
	fake_add_two_groups(fk);
	ctx = NULL;
	sub = NULL;
	record_reset(&rec);
}

static void teardown(void)
{
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(ctx);
	fake_free(fk);
}

static void connect_all(unsigned flags)
{
	ck_assert_int_eq(fake_ctx(fk, flags, &ctx), 0);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					     record_cb, &rec, &sub), 0);
}

START_TEST(list_then_watch)
{
	struct vfiogroup_group *g;
	uint32_t *ids;

	/*
	 * The events of setup() are still queued (we joined "before" they
	 * happened, as far as the socket is concerned) but the dump already
	 * has them: none may be delivered again.
	 */
	connect_all(0);
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 7);
	ck_assert_str_eq(rec.log, "");
	ck_assert_uint_eq(stats().stale, 7);

	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), 2);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_uint_eq(ids[1], 2);
	free(ids);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 0);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 3), -ENOENT);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:02:00.0", &g), 0);
	ck_assert_uint_eq(vfiogroup_group_id(g), 2);
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "nope", &g), -ENOENT);

	/* live events: applied, delivered, cache updated before the callback */
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_bind(fk, 2, "0000:02:00.0", "vfio-pci", false);
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 4);
	ck_assert_str_eq(rec.log,
			 "UNBIND 2 0000:02:00.0 e1000\n"
			 "VIA 2 - - viable\n"
			 "BIND 2 0000:02:00.0 vfio-pci\n"
			 "RDY 2 - - ready\n");
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);
	ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), 0);
	ck_assert_str_eq(vfiogroup_device_driver(vfiogroup_group_device(g, 0)),
			 "vfio-pci");
	vfiogroup_group_unref(g);
	ck_assert_uint_eq(stats().events, 4);
	ck_assert_uint_eq(stats().resyncs, 0);

	/* the last device leaving removes the group */
	fake_remove_device(fk, 2, "0000:02:00.0");
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), -ENOENT);
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 0);	/* nothing pending */
}
END_TEST

START_TEST(seq_gap_resyncs)
{
	connect_all(0);
	vfiogroup_dispatch(ctx);
	/*
	 * Lose the unbind of c (and the viability change it causes): the
	 * next event shows a gap, the library re-dumps and reports what it
	 * missed, synthesized, then RESYNC.
	 */
	fk->drop_next = 2;
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_add_device(fk, 3, "0000:03:00.0", NULL, false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log,
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "ADD 3 0000:03:00.0 - S\n"
			 "RESYNC\n");
	ck_assert_uint_eq(stats().gaps, 1);
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert_uint_eq(stats().synthesized, 3);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);

	/* and from the new baseline on, ordinary events again */
	record_reset(&rec);
	fake_bind(fk, 3, "0000:03:00.0", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "BIND 3 0000:03:00.0 vfio-pci\n"
			 "RDY 3 - - ready\n");
}
END_TEST

START_TEST(lost_last_event_found_by_next)
{
	connect_all(0);
	vfiogroup_dispatch(ctx);
	/* Lost at the tail: nothing to see until the next event arrives. */
	fk->drop_next = 1;
	fake_bind(fk, 1, "0000:01:00.1", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "");
	fake_unbind(fk, 1, "0000:01:00.0");
	vfiogroup_dispatch(ctx);
	/* the bind comes synthesized; the unbind from the dump too */
	ck_assert_str_eq(rec.log,
			 "UNBIND 1 0000:01:00.0 vfio-pci S\n"
			 "BIND 1 0000:01:00.1 vfio-pci S\n"
			 "RESYNC\n");
}
END_TEST

START_TEST(enobufs_resyncs)
{
	connect_all(0);
	vfiogroup_dispatch(ctx);
	/* The overrun is reported before what is left in the queue. */
	fake_bind(fk, 1, "0000:01:00.1", "snd_hda_intel", true);
	fk->pending_err = -ENOBUFS;
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log,
			 "BIND 1 0000:01:00.1 snd_hda_intel S\n"
			 "VIA 1 - - blocked S\n"
			 "RDY 1 - - unready S\n"
			 "RESYNC\n");
	ck_assert_uint_eq(stats().overruns, 1);
	/*
	 * the queued events predate the dump: read and thrown away before
	 * its baseline (drained), neither applied nor repeated
	 */
	ck_assert_uint_eq(stats().stale, 7);
	ck_assert_uint_eq(stats().drained, 3);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 0);
}
END_TEST

START_TEST(queue_overflow_end_to_end)
{
	/* More events than the socket holds: the fake reports ENOBUFS. */
	int small = 4096;

	connect_all(0);
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(setsockopt(fk->sv[1], SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	for (int i = 0; i < 40; i++) {
		if (i % 2)
			fake_bind(fk, 1, "0000:01:00.1", "vfio-pci", false);
		else
			fake_unbind(fk, 1, "0000:01:00.0");
		if (i % 2)
			fake_unbind(fk, 1, "0000:01:00.1");
		else
			fake_bind(fk, 1, "0000:01:00.0", "vfio-pci", false);
	}
	fake_bind(fk, 2, "0000:02:00.0", "e1000", true);	/* nop */
	while (vfiogroup_dispatch(ctx) > 0)
		;
	ck_assert_uint_ge(stats().overruns, 1);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), fake_viable(fk, 1));
}
END_TEST

START_TEST(malformed_and_foreign_dropped)
{
	static const char junk[] = "\x20\x00\x00\x00\x20\x00\x00\x00garbage!";
	struct nl_msg *m;
	struct fake_group bad = { .id = 9, .seq = 0, .ndev = 1 };

	connect_all(0);
	vfiogroup_dispatch(ctx);
	fake_send_raw(fk, junk, 7);		/* shorter than a header */
	fake_send_raw(fk, junk, 16);		/* claims 32, has 16 */
	/* an EVENT_NTF of our family with an empty device name */
	m = fake_group_msg(fk->family_id, VFIOGROUP_CMD_GROUP_GET, &bad, NULL,
			   false);
	nlmsg_hdr(m)->nlmsg_type = fk->family_id;
	fake_send_raw(fk, nlmsg_hdr(m), nlmsg_hdr(m)->nlmsg_len);
	nlmsg_free(m);
	ck_assert_int_ge(vfiogroup_dispatch(ctx), 3);
	ck_assert_uint_ge(stats().malformed, 2);
	ck_assert_str_eq(rec.log, "");
	/* the context goes on */
	fake_unbind(fk, 1, "0000:01:00.0");
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "UNBIND 1 0000:01:00.0 vfio-pci\n"
			 "RDY 1 - - unready\n");
}
END_TEST

START_TEST(module_reload)
{
	connect_all(0);
	vfiogroup_dispatch(ctx);
	fake_unload(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "DISCONNECTED\n");	/* once */
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	ck_assert_int_eq(vfiogroup_info(ctx, &(struct vfiogroup_info){ 0 }),
			 -ENOTCONN);
	/* the cache still answers with the last known state */
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 0);

	/* changes while the module is away are not notified ... */
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_add_device(fk, 4, "0000:04:00.0", "vfio-pci", false);
	record_reset(&rec);
	fake_load(fk);
	vfiogroup_dispatch(ctx);
	/* ... but found by the resync that the reconnect does */
	ck_assert_str_eq(rec.log,
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "ADD 4 0000:04:00.0 - S\n"
			 "BIND 4 0000:04:00.0 vfio-pci S\n"
			 "RDY 4 - - ready S\n"
			 "RECONNECTED\n");
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 1);
	ck_assert_uint_eq(stats().disconnects, 1);
	ck_assert_uint_eq(stats().reconnects, 1);

	/* the new instance numbers events from 1: no false gap */
	record_reset(&rec);
	fake_bind(fk, 2, "0000:02:00.0", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "BIND 2 0000:02:00.0 vfio-pci\n"
			 "RDY 2 - - ready\n");
	ck_assert_uint_eq(stats().gaps, 0);
}
END_TEST

START_TEST(reload_missed_entirely)
{
	/* ENOBUFS ate the DELFAMILY/NEWFAMILY: the resync re-resolves. */
	connect_all(0);
	vfiogroup_dispatch(ctx);
	fake_unload(fk);
	fake_load(fk);
	fake_unbind(fk, 2, "0000:02:00.0");
	/* drop everything queued, as an overrun would */
	{
		char buf[8192];

		while (recv(fk->sv[0], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	}
	fk->pending_err = -ENOBUFS;
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log,
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "RECONNECTED\n");
	/* the family id changed: joined again */
	ck_assert_int_ge(fk->joins, 2);
}
END_TEST

START_TEST(module_missing)
{
	fk->present = false;
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), -ENOENT);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(strstr(vfiogroup_ctx_last_error(ctx),
				     "modprobe vfiogroup"));
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	ctx = vfiogroup_ctx_unref(ctx);

	/* version mismatch */
	fk->present = true;
	fk->version = 2;
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(vfiogroup_ctx_last_error(ctx),
				     "version 2"));
	ctx = vfiogroup_ctx_unref(ctx);
	ck_assert_ptr_nonnull(vfiogroup_ctx_last_error(NULL));
}
END_TEST

/*
 * In a network namespace owned by another user namespace requests work but
 * no event ever arrives: making a cache there would be making a stale one.
 */
START_TEST(events_do_not_reach)
{
	fake_add_device(fk, 1, "0000:00:02.0", "e1000", true);
	fk->events_reach = 0;
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), -EPERM);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(strstr(vfiogroup_ctx_last_error(ctx),
				     "do not reach this network namespace"));
	ctx = vfiogroup_ctx_unref(ctx);

	/* A module that does not say is taken at its word as before. */
	fk->events_reach = -1;
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 0);
}
END_TEST

START_TEST(wait_module)
{
	fk->present = false;
	connect_all(VFIOGROUP_CTX_WAIT_MODULE);
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), -ENOTCONN);
	fake_load(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 1);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
	ck_assert_ptr_nonnull(strstr(rec.log, "RECONNECTED\n"));
}
END_TEST

/* A subscription of rec to the groups listed (0-terminated). */
static struct vfiogroup_sub *sub_groups(struct record *r, ...)
{
	struct vfiogroup_filter *f;
	struct vfiogroup_sub *s;
	va_list ap;
	unsigned id;

	ck_assert_int_eq(vfiogroup_filter_new(&f), 0);
	va_start(ap, r);
	while ((id = va_arg(ap, unsigned)))
		ck_assert_int_eq(vfiogroup_filter_add_group(f, id), 0);
	va_end(ap);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
					     record_cb, r, &s), 0);
	vfiogroup_filter_free(f);
	return s;
}

/* The kernel's requests so far (fake.c counts them). */
static unsigned requests(void)
{
	unsigned n;

	pthread_mutex_lock(&fk->lock);
	n = fk->requests;
	pthread_mutex_unlock(&fk->lock);
	return n;
}

/* Datagrams waiting in the event socket. */
static int queued(void)
{
	char buf[8192];
	int n = 0;

	while (recv(fk->sv[0], buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK) > 0 &&
	       n == 0)
		n = 1;
	return n;
}

/*
 * The kernel filter end to end: a subscriber to group 1 only makes the
 * "kernel" drop group 2's events (AF_UNIX runs the same sk_filter()), the
 * gaps they leave are not taken for losses, and group 2's queries are
 * still right (asked of the kernel).
 */
START_TEST(filter_end_to_end)
{
	struct vfiogroup_group *g;
	unsigned req;

	for (int early = 0; early < 2; early++) {
		fk->event_early = early;
		ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
		sub = sub_groups(&rec, 1, 0);
		vfiogroup_dispatch(ctx);
		record_reset(&rec);

		fake_unbind(fk, 2, "0000:02:00.0");	/* 2 events, dropped */
		fake_unbind(fk, 1, "0000:01:00.0");	/* wanted */
		ck_assert_int_eq(vfiogroup_dispatch(ctx), 2);	/* two arrived */
		ck_assert_str_eq(rec.log, "UNBIND 1 0000:01:00.0 vfio-pci\n"
					  "RDY 1 - - unready\n");
		ck_assert_uint_eq(stats().gaps, 0);
		ck_assert_uint_eq(stats().resyncs, 0);
		ck_assert_uint_eq(stats().malformed, 0);

		/* group 1 from the cache, group 2 from the kernel */
		req = requests();
		ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
		ck_assert_uint_eq(requests(), req);
		ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);
		ck_assert_uint_eq(requests(), req + 1);
		ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), 0);
		ck_assert_ptr_null(vfiogroup_device_driver(
					   vfiogroup_group_device(g, 0)));
		vfiogroup_group_unref(g);

		/*
		 * Unsubscribing drops the filter (no subscription: the cache
		 * follows every group): a dump at the next dispatch makes
		 * group 2 known again, and nothing is dropped any more.
		 */
		vfiogroup_unsubscribe(sub);
		sub = NULL;
		fake_bind(fk, 2, "0000:02:00.0", "e1000", true);
		fake_bind(fk, 1, "0000:01:00.0", "vfio-pci", false);
		vfiogroup_dispatch(ctx);
		ck_assert_int_eq(queued(), 0);
		req = requests();
		ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 0);
		ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
		ck_assert_uint_eq(requests(), req);
		ck_assert_uint_eq(stats().resyncs, 0);
		ck_assert_uint_eq(stats().gaps, 0);
		ctx = vfiogroup_ctx_unref(ctx);
	}
}
END_TEST

/*
 * With a filter, a sequence gap is not a loss: no resync.  ENOBUFS is the
 * loss signal (the module's netlink_set_err() when it cannot send one).
 */
START_TEST(filter_gap_is_not_loss_enobufs_is)
{
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_dispatch(ctx);
	record_reset(&rec);

	/* lost without a word (an old module): only the gap would tell */
	fk->drop_next = 1;
	fake_bind(fk, 1, "0000:01:00.1", "vfio-pci", false);
	fake_unbind(fk, 1, "0000:01:00.0");
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "UNBIND 1 0000:01:00.0 vfio-pci\n");
	ck_assert_uint_eq(stats().gaps, 0);
	ck_assert_uint_eq(stats().resyncs, 0);

	/* reported: resync, group 1's difference synthesized, RESYNC */
	record_reset(&rec);
	fk->drop_next = 1;
	fk->drop_enobufs = true;
	fake_unbind(fk, 1, "0000:01:00.1");
	fake_unbind(fk, 2, "0000:02:00.0");	/* dropped by the filter */
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log,
			 "UNBIND 1 0000:01:00.1 vfio-pci S\n"
			 "RDY 1 - - unready S\n"
			 "RESYNC\n");
	ck_assert_uint_eq(stats().overruns, 1);
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert_uint_eq(stats().gaps, 0);
	/* the resync kept the cache to the covered groups: 2 is asked */
	ck_assert_ptr_null(vg_cache_find(&ctx->cache, 2));
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);

	/* and live events go on from the new baseline */
	record_reset(&rec);
	fake_bind(fk, 1, "0000:01:00.0", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "BIND 1 0000:01:00.0 vfio-pci\n"
			 "RDY 1 - - ready\n");
}
END_TEST

/* Without a filter the gap stays a second line of defence. */
START_TEST(no_filter_gap_still_resyncs)
{
	struct record r2 = { .n = 0 };
	struct vfiogroup_sub *s1;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	s1 = sub_groups(&r2, 1, 0);
	vfiogroup_dispatch(ctx);
	/* a subscriber to every group drops the filter: a dump, at once */
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					     record_cb, &rec, &sub), 0);
	ck_assert(ctx->known_all);
	fk->drop_next = 1;
	fake_unbind(fk, 2, "0000:02:00.0");	/* lost, silently */
	fake_bind(fk, 1, "0000:01:00.1", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_uint_eq(stats().gaps, 1);
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert_str_eq(rec.log,
			 "BIND 1 0000:01:00.1 vfio-pci S\n"
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "RESYNC\n");
	/* the narrow subscriber hears of its group only */
	ck_assert_str_eq(r2.log,
			 "BIND 1 0000:01:00.1 vfio-pci S\n"
			 "RESYNC\n");
	vfiogroup_unsubscribe(s1);
}
END_TEST

/*
 * Widening the filter to a new group: the group is fetched after the
 * wider filter is attached, before vfiogroup_subscribe() returns, so its
 * queries are answered from the cache at once and every later event is
 * delivered; what happened to it before is not (no subscriber followed
 * it), not even synthesized.
 */
START_TEST(widening_refreshes_the_new_group)
{
	struct record r2 = { .n = 0 };
	struct vfiogroup_sub *s2;
	struct vfiogroup_group *g;
	unsigned req;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_dispatch(ctx);
	record_reset(&rec);
	/* group 2 changes behind the filter, twice */
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_bind(fk, 2, "0000:02:00.0", "vfio-pci", false);
	ck_assert_int_eq(queued(), 0);

	req = requests();
	s2 = sub_groups(&r2, 2, 0);
	ck_assert_uint_gt(requests(), req);	/* fetched ... */
	req = requests();
	ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), 0);
	ck_assert_uint_eq(requests(), req);	/* ... and now cached */
	ck_assert_str_eq(vfiogroup_device_driver(vfiogroup_group_device(g, 0)),
			 "vfio-pci");
	ck_assert_uint_eq(vfiogroup_group_seq(g), fk->seq);
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);

	/* nothing to report for the past; the next event is delivered */
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(r2.log, "");
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_unbind(fk, 1, "0000:01:00.0");
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(r2.log, "UNBIND 2 0000:02:00.0 vfio-pci\n"
			 "RDY 2 - - unready\n");
	ck_assert_str_eq(rec.log, "UNBIND 1 0000:01:00.0 vfio-pci\n"
			 "RDY 1 - - unready\n");
	ck_assert_uint_eq(stats().resyncs, 0);
	ck_assert_uint_eq(stats().synthesized, 0);
	vfiogroup_unsubscribe(s2);
}
END_TEST

/*
 * With nothing on the socket, the dispatcher still looks again at what it
 * owes once the cover has changed: a group newly covered by another
 * thread (what vg_update_filter() does before that thread refreshes it)
 * is fetched by the next dispatch, though the last one found nothing owed
 * and skips cache_lock until owed_gen moves.
 */
START_TEST(dispatch_sees_a_cover_change)
{
	struct vfiogroup_filter f = { 0 };
	uint64_t *since = calloc(2, sizeof(*since));
	unsigned req;
	bool known;

	ck_assert_ptr_nonnull(since);
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_dispatch(ctx);	/* nothing owed, remembered */
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(vfiogroup_filter_add_group(&f, 1), 0);
	ck_assert_int_eq(vfiogroup_filter_add_group(&f, 2), 0);
	pthread_mutex_lock(&ctx->cache_lock);
	ck_assert(!vg_known(ctx, 2));
	ck_assert(vg_set_cover(ctx, false, &f, since));
	pthread_mutex_unlock(&ctx->cache_lock);

	req = requests();
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 0);
	ck_assert_uint_gt(requests(), req);
	pthread_mutex_lock(&ctx->cache_lock);
	known = vg_known(ctx, 2);
	pthread_mutex_unlock(&ctx->cache_lock);
	ck_assert(known);
	ck_assert_uint_eq(stats().resyncs, 0);
}
END_TEST

/*
 * The refresh also works when the dispatcher meets an event of a group it
 * does not know yet (the refresh of vfiogroup_subscribe() failed, here
 * because the fake was told to fail it), and events older than the refresh
 * (queued from a time the group was covered before) cannot bring a group
 * back that is gone: the refresh leaves a tombstone.
 */
START_TEST(old_events_cannot_resurrect)
{
	struct record r5 = { .n = 0 };
	struct vfiogroup_sub *s5;

	fake_add_device(fk, 5, "0000:05:00.0", NULL, false);
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	s5 = sub_groups(&r5, 5, 0);
	vfiogroup_dispatch(ctx);
	/* an event of 5, left in the queue */
	fake_bind(fk, 5, "0000:05:00.0", "vfio-pci", false);
	ck_assert_int_eq(queued(), 1);
	/* 5 no longer covered: it goes away behind the filter */
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_unsubscribe(s5);
	ck_assert_ptr_null(vg_cache_find(&ctx->cache, 5));
	fake_remove_device(fk, 5, "0000:05:00.0");
	/* covered again: fetched, absent: a tombstone */
	record_reset(&r5);
	s5 = sub_groups(&r5, 5, 0);
	ck_assert_ptr_nonnull(vg_cache_find(&ctx->cache, 5));
	ck_assert_ptr_null(vg_cache_find(&ctx->cache, 5)->group);
	vfiogroup_dispatch(ctx);
	/* the old bind of 5 was skipped, not applied nor delivered */
	ck_assert_str_eq(r5.log, "");
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 5), -ENOENT);
	ck_assert_uint_ge(stats().stale, 1);
	/* and 5 coming back is news */
	fake_add_device(fk, 5, "0000:05:00.1", NULL, false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(r5.log, "ADD 5 0000:05:00.1 -\n");
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 5), 1);
	vfiogroup_unsubscribe(s5);
}
END_TEST

/* Lists and device lookups with a filter: the kernel's word. */
START_TEST(filter_queries_go_to_the_kernel)
{
	struct vfiogroup_group *g;
	uint32_t *ids;
	unsigned req;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_dispatch(ctx);
	/* group 2 vanishes and group 5 appears, both behind the filter */
	fake_remove_device(fk, 2, "0000:02:00.0");
	fake_add_device(fk, 5, "0000:05:00.0", NULL, false);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log, "");
	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), 2);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_uint_eq(ids[1], 5);
	free(ids);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), -ENOENT);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 5), 1);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:05:00.0", &g), 0);
	ck_assert_uint_eq(vfiogroup_group_id(g), 5);
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:02:00.0", &g),
			 -ENOENT);
	/* a device of a group the cache follows: no request */
	req = requests();
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:01:00.1", &g), 0);
	ck_assert_uint_eq(vfiogroup_group_id(g), 1);
	vfiogroup_group_unref(g);
	ck_assert_uint_eq(requests(), req);
	/* the module gone: what is not cached cannot be answered */
	fake_unload(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 5), -ENOTCONN);
	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), -ENOTCONN);
}
END_TEST

/* A reload while filtered: the filter follows the new family id. */
START_TEST(filter_across_reload)
{
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	sub = sub_groups(&rec, 1, 0);
	vfiogroup_dispatch(ctx);
	fake_unload(fk);
	vfiogroup_dispatch(ctx);
	fake_unbind(fk, 1, "0000:01:00.0");
	record_reset(&rec);
	fake_load(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_str_eq(rec.log,
			 "UNBIND 1 0000:01:00.0 vfio-pci S\n"
			 "RDY 1 - - unready S\n"
			 "RECONNECTED\n");
	record_reset(&rec);
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_bind(fk, 1, "0000:01:00.0", "vfio-pci", false);
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 2);	/* 2's dropped */
	ck_assert_str_eq(rec.log, "BIND 1 0000:01:00.0 vfio-pci\n"
			 "RDY 1 - - ready\n");
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 1);
}
END_TEST

struct binder {
	struct fake *fk;
	int delay_ms;
};

static void *bind_later(void *arg)
{
	struct binder *b = arg;

	usleep((useconds_t)b->delay_ms * 1000);
	fake_unbind(b->fk, 2, "0000:02:00.0");
	return NULL;
}

START_TEST(wait_viable)
{
	struct binder b = { fk, 50 };
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 1, 0), 0);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 2, 30), -ETIMEDOUT);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 7, 0), -ETIMEDOUT);
	pthread_create(&th, NULL, bind_later, &b);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 2, 5000), 0);
	pthread_join(th, NULL);
}
END_TEST

/* Another thread dispatches; the waiter is woken by its eventfd. */
static atomic_int stop_pump;

static void *pump(void *arg)
{
	while (!atomic_load(&stop_pump)) {
		vfiogroup_dispatch(arg);
		usleep(1000);
	}
	return NULL;
}

START_TEST(wait_viable_other_dispatcher)
{
	struct binder b = { fk, 50 };
	pthread_t th, pt;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	atomic_store(&stop_pump, 0);
	pthread_create(&pt, NULL, pump, ctx);
	pthread_create(&th, NULL, bind_later, &b);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 2, 5000), 0);
	pthread_join(th, NULL);
	atomic_store(&stop_pump, 1);
	pthread_join(pt, NULL);
}
END_TEST

START_TEST(info_query)
{
	struct vfiogroup_info info;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_info(ctx, &info), 0);
	ck_assert_uint_eq(info.seq, 7);
	ck_assert_uint_eq(info.groups, 2);
	ck_assert_str_eq(info.version, "fake");
	ck_assert_int_gt(vfiogroup_get_fd(ctx), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Overflow: netlink's congestion (fake.c) against the resync          */
/* ------------------------------------------------------------------ */

/* Dispatch until there is nothing left to read. */
static void quiesce(void)
{
	int n, calls = 0;

	while ((n = vfiogroup_dispatch(ctx)) > 0)
		ck_assert_int_lt(++calls, 1000);
	ck_assert_int_eq(n, 0);
}

static void assert_group_eq(const struct vfiogroup_group *g,
			    const struct fake_group *f)
{
	bool viable = true;

	ck_assert_uint_eq(vfiogroup_group_id(g), f->id);
	ck_assert_uint_eq(vfiogroup_group_seq(g), f->seq);
	ck_assert_uint_eq(vfiogroup_group_device_count(g), f->ndev);
	for (size_t i = 0; i < f->ndev; i++) {
		const struct vfiogroup_device *d = vfiogroup_group_device(g, i);
		const char *drv = vfiogroup_device_driver(d);

		ck_assert_str_eq(vfiogroup_device_name(d), f->dev[i].name);
		ck_assert_str_eq(drv ? drv : "", f->dev[i].driver);
		if (f->dev[i].driver[0] && f->dev[i].blocks)
			viable = false;
	}
	ck_assert_int_eq(vfiogroup_group_viable(g), viable);
}

/*
 * The context agrees with the fake on every group: what
 * vfiogroup_get_group() answers (the cache's word for the groups it
 * follows, the kernel's for the others), and the cache itself, which
 * holds each group the filter lets through, known, at the fake's seq, and
 * no group the fake does not have.
 */
static void assert_matches_fake(void)
{
	struct fake_group snap[FAKE_MAX_GROUPS];
	size_t n;

	pthread_mutex_lock(&fk->lock);
	n = fk->ngroups;
	memcpy(snap, fk->groups, n * sizeof(*snap));
	pthread_mutex_unlock(&fk->lock);

	for (size_t i = 0; i < n; i++) {
		struct vfiogroup_group *g = NULL;
		bool covered, known = false;

		ck_assert_int_eq(vfiogroup_get_group(ctx, snap[i].id, &g), 0);
		assert_group_eq(g, &snap[i]);
		vfiogroup_group_unref(g);

		g = NULL;
		pthread_mutex_lock(&ctx->cache_lock);
		covered = vg_covered(ctx, snap[i].id);
		if (covered) {
			struct vg_cache_entry *e = vg_cache_find(&ctx->cache,
								 snap[i].id);

			known = vg_known(ctx, snap[i].id);
			g = e ? vfiogroup_group_ref(e->group) : NULL;
		}
		pthread_mutex_unlock(&ctx->cache_lock);
		if (!covered)
			continue;
		ck_assert(known);
		ck_assert_ptr_nonnull(g);
		assert_group_eq(g, &snap[i]);
		vfiogroup_group_unref(g);
	}
	pthread_mutex_lock(&ctx->cache_lock);
	for (size_t i = 0; i < ctx->cache.n; i++) {
		size_t j = 0;

		if (!ctx->cache.e[i].group)
			continue;
		while (j < n && snap[j].id != ctx->cache.e[i].id)
			j++;
		if (j == n) {
			pthread_mutex_unlock(&ctx->cache_lock);
			ck_abort_msg("group %u cached, not in the fake",
				     ctx->cache.e[i].id);
		}
	}
	pthread_mutex_unlock(&ctx->cache_lock);
}

/* Subscribe cb (rec its userdata): every group, or group 1 (and 3) only. */
static void subscribe_cb(vfiogroup_cb cb, bool filtered)
{
	struct vfiogroup_filter *f = NULL;

	if (filtered) {
		ck_assert_int_eq(vfiogroup_filter_new(&f), 0);
		ck_assert_int_eq(vfiogroup_filter_add_group(f, 1), 0);
		ck_assert_int_eq(vfiogroup_filter_add_group(f, 3), 0);
	}
	ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL, cb,
					     &rec, &sub), 0);
	vfiogroup_filter_free(f);
	/* the kernel filter is on exactly when asked for */
	pthread_mutex_lock(&fk->lock);
	ck_assert_int_eq(fk->filtered, filtered);
	pthread_mutex_unlock(&fk->lock);
}

static int rcvbuf(void)
{
	int v;
	socklen_t len = sizeof(v);

	ck_assert_int_eq(getsockopt(fk->sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len),
			 0);
	return v;
}

/* The kernel doubles what it is asked for: ask for half. */
static void set_rcvbuf(int v)
{
	v /= 2;
	ck_assert_int_eq(setsockopt(fk->sv[0], SOL_SOCKET, SO_RCVBUF, &v,
				    sizeof(v)), 0);
}

/*
 * Overflow the event socket: the receive buffer cut to its minimum (a few
 * datagrams), group 1's b bound and unbound until the fake is congested,
 * and left unbound as it was.  Then the buffer is given back, so that what
 * a test does next fits: the congestion lasts until the queue has been
 * read empty, whatever the buffer.
 */
static void overflow(void)
{
	int was = rcvbuf();

	set_rcvbuf(1);
	for (int i = 0; i < 64 && !fake_congested(fk); i++) {
		fake_bind(fk, 1, "0000:01:00.1", "vfio-pci", false);
		fake_unbind(fk, 1, "0000:01:00.1");
	}
	ck_assert(fake_congested(fk));
	set_rcvbuf(was);
}

static int acted;

/* A subscriber that changes group 1 when it hears RESYNC, once. */
static void unbind_on_resync(struct vfiogroup_sub *s,
			     const struct vfiogroup_ev *ev, void *userdata)
{
	record_cb(s, ev, userdata);
	/* acted counts the RESYNCs */
	if (ev->kind == VFIOGROUP_EV_RESYNC && acted++ == 0)
		fake_unbind(fk, 1, "0000:01:00.0");
}

/*
 * After an overflow, a change made from inside the RESYNC callback, that
 * is right after the reload: the socket must no longer be congested by
 * then, or netlink drops the event without a word, and a filtered context
 * (no gap checking) would keep the stale state for good.  _i: filtered.
 */
START_TEST(overflow_change_from_resync_cb)
{
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	subscribe_cb(unbind_on_resync, _i);
	quiesce();
	record_reset(&rec);
	acted = 0;

	overflow();
	quiesce();
	ck_assert_int_eq(acted, 1);
	assert_matches_fake();
	/* b ended as it was: nothing to synthesize; the unbind is live */
	ck_assert_str_eq(rec.log,
			 "RESYNC\n"
			 "UNBIND 1 0000:01:00.0 vfio-pci\n"
			 "RDY 1 - - unready\n");
	ck_assert_uint_eq(stats().overruns, 1);
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert_uint_ge(stats().drained, 1);
	ck_assert(!fake_congested(fk));
}
END_TEST

/*
 * Changes while the resync asks the kernel: before INFO is answered (older
 * than the baseline), between INFO and the dump (newer than the baseline,
 * in the dump), after the dump (newer than both).
 */
static void change_during_resync(struct fake *f, enum fake_point at,
				 enum vg_req_kind kind, void *arg)
{
	int *stage = arg;

	if (*stage == 0 && kind == VG_REQ_INFO && at == FAKE_REQUEST_BEFORE) {
		++*stage;
		fake_unbind(f, 1, "0000:01:00.0");
	} else if (*stage == 1 && kind == VG_REQ_INFO &&
		   at == FAKE_REQUEST_AFTER) {
		++*stage;
		fake_bind(f, 1, "0000:01:00.1", "vfio-pci", false);
	} else if (*stage == 2 && kind == VG_REQ_DUMP &&
		   at == FAKE_REQUEST_AFTER) {
		++*stage;
		fake_bind(f, 1, "0000:01:00.0", "snd_hda_intel", true);
	}
}

/* Events between the ENOBUFS and the end of the resync.  _i: filtered. */
START_TEST(overflow_events_during_resync)
{
	int stage = 0;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	subscribe_cb(record_cb, _i);
	quiesce();
	record_reset(&rec);

	overflow();
	fk->hook_arg = &stage;
	fk->hook = change_during_resync;
	quiesce();
	ck_assert_int_eq(stage, 3);
	assert_matches_fake();
	/*
	 * The first two are in the dump: synthesized, and skipped when they
	 * arrive; the last two arrive after it, live.
	 */
	ck_assert_str_eq(rec.log,
			 "UNBIND 1 0000:01:00.0 vfio-pci S\n"
			 "BIND 1 0000:01:00.1 vfio-pci S\n"
			 "RESYNC\n"
			 "BIND 1 0000:01:00.0 snd_hda_intel\n"
			 "VIA 1 - - blocked\n"
			 "RDY 1 - - unready\n");
	ck_assert_uint_eq(stats().overruns, 1);
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert(!fake_congested(fk));
}
END_TEST

#define STORM_BURSTS	6
#define STORM_EVENTS	41	/* toggles per burst */

static int bursts;

/* The k-th toggle of the storm: one device of groups 1 to 4 in turn. */
static void storm_toggle(unsigned k)
{
	static const struct {
		uint32_t gid;
		const char *dev, *driver;
		bool blocks;
	} t[] = {
		{ 1, "0000:01:00.1", "vfio-pci", false },
		{ 2, "0000:02:00.0", "e1000", true },
		{ 3, "0000:03:00.0", "vfio-pci", false },
		{ 4, "0000:04:00.0", "nvme", true },
	};
	unsigned i = k % 4;
	bool bound = false;

	pthread_mutex_lock(&fk->lock);
	for (size_t g = 0; g < fk->ngroups; g++)
		for (size_t d = 0; d < fk->groups[g].ndev; d++)
			if (!strcmp(fk->groups[g].dev[d].name, t[i].dev))
				bound = fk->groups[g].dev[d].driver[0];
	pthread_mutex_unlock(&fk->lock);
	if (bound)
		fake_unbind(fk, t[i].gid, t[i].dev);
	else
		fake_bind(fk, t[i].gid, t[i].dev, t[i].driver, t[i].blocks);
}

static void burst(void)
{
	for (unsigned k = 0; k < STORM_EVENTS; k++)
		storm_toggle((unsigned)bursts * STORM_EVENTS + k);
	bursts++;
}

/* A consumer that stalls: busy in its callback while the next burst goes. */
static void burst_on_resync(struct vfiogroup_sub *s,
			    const struct vfiogroup_ev *ev, void *userdata)
{
	(void)s;
	(void)userdata;
	if (ev->kind == VFIOGROUP_EV_RESYNC && bursts < STORM_BURSTS)
		burst();
}

/*
 * A storm against a stalled consumer whose socket holds a few datagrams:
 * bursts of bind/unbind on four groups, the first while nobody reads, each
 * next one while the consumer is busy with the RESYNC of the last.  Every
 * burst overflows the socket; after the last, every group must be as the
 * fake has it.  _i: filtered to groups 1 and 3 (2 and 4 asked).
 */
START_TEST(storm_against_stalled_consumer)
{
	uint64_t drained;

	fake_add_device(fk, 3, "0000:03:00.0", NULL, false);
	fake_add_device(fk, 4, "0000:04:00.0", NULL, false);
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	subscribe_cb(burst_on_resync, _i);
	quiesce();
	set_rcvbuf(1);
	bursts = 0;

	burst();
	ck_assert(fake_congested(fk));
	quiesce();
	assert_matches_fake();
	ck_assert_int_eq(bursts, STORM_BURSTS);
	ck_assert_uint_eq(stats().overruns, STORM_BURSTS);
	ck_assert_uint_eq(stats().resyncs, STORM_BURSTS);
	drained = stats().drained;
	pthread_mutex_lock(&fk->lock);
	printf("# storm%s: %llu refused, %llu of them while congested, "
	       "%llu drained\n", _i ? " (filtered)" : "",
	       (unsigned long long)fk->overruns,
	       (unsigned long long)fk->silent_drops,
	       (unsigned long long)drained);
	ck_assert_uint_gt(fk->silent_drops, 0);
	ck_assert(!fk->congested);
	pthread_mutex_unlock(&fk->lock);
}
END_TEST

static int feed;

/* Every receive brings another event, while feed lasts. */
static void feed_on_recv(struct fake *f, enum fake_point at,
			 enum vg_req_kind kind, void *arg)
{
	(void)f;	/* fk */
	(void)kind;
	(void)arg;
	if (at == FAKE_RECV_AFTER && feed > 0) {
		feed--;
		storm_toggle(0);
	}
}

/*
 * The module's ENOBUFS (netlink_set_err()) does not congest the socket, so
 * it can be fed without a pause: the drain stops at the call's budget and
 * takes no baseline before it has seen the socket empty.
 */
START_TEST(drain_waits_for_eagain)
{
	unsigned req;

	connect_all(0);
	quiesce();
	record_reset(&rec);
	/*
	 * Lost, and told so: an unbind and its viability-changed.  Group 1
	 * stays ready, so each toggle of the feed is one event.
	 */
	fk->drop_next = 2;
	fk->drop_enobufs = true;
	fake_unbind(fk, 2, "0000:02:00.0");
	ck_assert(!fake_congested(fk));

	feed = 1000;
	fk->hook = feed_on_recv;
	req = requests();
	ck_assert_int_eq(vfiogroup_dispatch(ctx), 256);
	ck_assert_uint_eq(requests(), req);	/* no INFO, no dump */
	ck_assert_uint_eq(stats().resyncs, 0);
	ck_assert_uint_eq(stats().drained, 255);
	ck_assert_str_eq(rec.log, "");

	feed = 0;		/* the pause */
	quiesce();
	assert_matches_fake();
	ck_assert_uint_eq(stats().resyncs, 1);
	ck_assert_uint_eq(stats().drained, 256);
	ck_assert_ptr_nonnull(strstr(rec.log,
				     "UNBIND 2 0000:02:00.0 e1000 S\n"));
}
END_TEST

/* After a reload: the new instance's events come. */
static void new_instance_heard(void)
{
	record_reset(&rec);
	fake_bind(fk, 2, "0000:02:00.0", "vfio-pci", false);
	quiesce();
	ck_assert_str_eq(rec.log, "BIND 2 0000:02:00.0 vfio-pci\n"
			 "RDY 2 - - ready\n");
}

static void reload_on_recv(struct fake *f, enum fake_point at,
			   enum vg_req_kind kind, void *arg)
{
	(void)kind;
	(void)arg;
	if (at == FAKE_RECV_AFTER && !acted) {
		acted = 1;
		fake_unload(f);
		fake_unbind(f, 2, "0000:02:00.0");	/* while away */
		fake_load(f);
	}
}

/*
 * The module reloaded while the socket is congested, after its ENOBUFS
 * was read: its DELFAMILY and NEWFAMILY are dropped, its ESHUTDOWN comes in
 * the drain.  Nobody will announce the new instance: the resync after the
 * drain has to find it.
 */
START_TEST(reload_while_congested)
{
	connect_all(0);
	quiesce();
	record_reset(&rec);
	acted = 0;

	overflow();
	fk->hook = reload_on_recv;
	quiesce();
	ck_assert_int_eq(acted, 1);
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 1);
	assert_matches_fake();
	ck_assert_str_eq(rec.log,
			 "DISCONNECTED\n"
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "RECONNECTED\n");
	new_instance_heard();
}
END_TEST

/*
 * The module reloaded while the socket is congested, before its ENOBUFS
 * was read: netlink_set_err() overwrites the pending ENOBUFS with
 * ESHUTDOWN, and DELFAMILY and NEWFAMILY are dropped without a word, as
 * the socket is still congested.  ESHUTDOWN is then the only sign of both
 * the loss and the unload: the library must drain and look for the family
 * itself, not wait for a NEWFAMILY that will never come.
 */
START_TEST(reload_hides_the_overflow)
{
	connect_all(0);
	quiesce();
	record_reset(&rec);

	overflow();
	fake_unload(fk);
	fake_unbind(fk, 2, "0000:02:00.0");	/* while away */
	fake_load(fk);
	ck_assert(fake_congested(fk));
	ck_assert_int_eq(fk->pending_err, -ESHUTDOWN);
	quiesce();
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 1);
	assert_matches_fake();
	ck_assert_ptr_nonnull(strstr(rec.log, "DISCONNECTED\n"));
	ck_assert_ptr_nonnull(strstr(rec.log,
				     "UNBIND 2 0000:02:00.0 e1000 S\n"));
	ck_assert_ptr_nonnull(strstr(rec.log, "RECONNECTED\n"));
	new_instance_heard();
}
END_TEST

static void unload_at_info(struct fake *f, enum fake_point at,
			   enum vg_req_kind kind, void *arg)
{
	(void)arg;
	if (at == FAKE_REQUEST_BEFORE && kind == VG_REQ_INFO && !acted) {
		acted = 1;
		fake_unload(f);
	}
}

/* Counts the library's LOG_ERR lines that say a load of the groups failed. */
static void count_load_errors(void *data, int priority, const char *file,
			      int line, const char *fn, const char *format,
			      va_list args)
{
	char msg[512];

	(void)file;
	(void)line;
	(void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	if (priority <= LOG_ERR && strstr(msg, "cannot load the groups"))
		++*(int *)data;
}

static void unload_at_dump(struct fake *f, enum fake_point at,
			   enum vg_req_kind kind, void *arg)
{
	(void)arg;
	if (at == FAKE_REQUEST_BEFORE && kind == VG_REQ_DUMP && !acted) {
		acted = 1;
		fake_unload(f);
	}
}

/*
 * ESHUTDOWN read while the family is still registered (the module's exit
 * sends it just before unregistering): the library resolves the family,
 * joins, and the request that hook makes find it gone.  That attempt must
 * leave the context disconnected without a word (and no "cannot load the
 * groups" logged as an error), so the DELFAMILY that follows says nothing
 * more: one DISCONNECTED, then one RECONNECTED once the module is back.
 */
static void shutdown_before_unregister_at(fake_hook_fn hook)
{
	int load_errors = 0;

	connect_all(0);
	quiesce();
	record_reset(&rec);
	acted = 0;
	vfiogroup_set_log_fn(ctx, count_load_errors, &load_errors);

	fk->pending_err = -ESHUTDOWN;	/* still registered */
	fk->hook = hook;
	quiesce();
	ck_assert_int_eq(acted, 1);
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	ck_assert_int_eq(load_errors, 0);
	fk->hook = NULL;
	fake_unbind(fk, 2, "0000:02:00.0");	/* while away */
	fake_load(fk);
	quiesce();
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 1);
	ck_assert_str_eq(rec.log,
			 "DISCONNECTED\n"
			 "UNBIND 2 0000:02:00.0 e1000 S\n"
			 "VIA 2 - - viable S\n"
			 "RECONNECTED\n");
	ck_assert_uint_eq(stats().disconnects, 1);
	new_instance_heard();
}

/* The INFO finds the family gone. */
START_TEST(shutdown_before_unregister)
{
	shutdown_before_unregister_at(unload_at_info);
}
END_TEST

/*
 * One request later: the INFO is answered and the dump finds the family
 * gone (on a real kernel netlink refuses to start the dump of a module
 * going away, which the transport reports as ENOENT).
 */
START_TEST(shutdown_before_unregister_at_dump)
{
	shutdown_before_unregister_at(unload_at_dump);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, list_then_watch);
	tcase_add_test(tc, seq_gap_resyncs);
	tcase_add_test(tc, lost_last_event_found_by_next);
	tcase_add_test(tc, enobufs_resyncs);
	tcase_add_test(tc, queue_overflow_end_to_end);
	tcase_add_test(tc, malformed_and_foreign_dropped);
	tcase_add_test(tc, module_reload);
	tcase_add_test(tc, reload_missed_entirely);
	tcase_add_test(tc, module_missing);
	tcase_add_test(tc, events_do_not_reach);
	tcase_add_test(tc, wait_module);
	tcase_add_test(tc, filter_end_to_end);
	tcase_add_test(tc, filter_gap_is_not_loss_enobufs_is);
	tcase_add_test(tc, no_filter_gap_still_resyncs);
	tcase_add_test(tc, widening_refreshes_the_new_group);
	tcase_add_test(tc, dispatch_sees_a_cover_change);
	tcase_add_test(tc, old_events_cannot_resurrect);
	tcase_add_test(tc, filter_queries_go_to_the_kernel);
	tcase_add_test(tc, filter_across_reload);
	tcase_add_test(tc, wait_viable);
	tcase_add_test(tc, wait_viable_other_dispatcher);
	tcase_add_test(tc, info_query);
	tcase_add_loop_test(tc, overflow_change_from_resync_cb, 0, 2);
	tcase_add_loop_test(tc, overflow_events_during_resync, 0, 2);
	tcase_add_loop_test(tc, storm_against_stalled_consumer, 0, 2);
	tcase_add_test(tc, drain_waits_for_eagain);
	tcase_add_test(tc, reload_while_congested);
	tcase_add_test(tc, reload_hides_the_overflow);
	tcase_add_test(tc, shutdown_before_unregister);
	tcase_add_test(tc, shutdown_before_unregister_at_dump);
	tcase_set_timeout(tc, 60);	/* valgrind, sanitizers */
	suite_add_tcase(s, tc);
	return run_suite(s);
}
