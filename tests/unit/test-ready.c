/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Readiness against the fake module: what is in the way, a user's hold
 * that only a fresh reply shows, and waits that never return in the gap
 * between a host driver's unbind and a VFIO driver's bind.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "fake.h"
#include "record.h"
#include "run-suite.h"

static struct fake *fk;
static struct vfiogroup_ctx *ctx;

/* 1 = {a on vfio-pci, b unbound}: ready; 2 = {c on e1000}: not viable. */
static void setup(void)
{
	fk = fake_new();
	fake_add_two_groups(fk);
	ctx = NULL;
}

static void teardown(void)
{
	vfiogroup_ctx_unref(ctx);
	fake_free(fk);
}

static void ignore(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		   void *userdata)
{
	(void)sub;
	(void)ev;
	(void)userdata;
}

START_TEST(what_is_in_the_way)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_group *g;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);

	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, &o, sizeof(o)), 1);
	ck_assert_int_eq(o.ready, 1);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NONE);
	ck_assert_uint_eq(o.group_id, 1);
	ck_assert_str_eq(o.node, "/dev/vfio/1");
	ck_assert_int_eq(o.in_use, -1);		/* the fake is a 5.10 */
	ck_assert_str_eq(o.device, "");

	ck_assert_int_eq(vfiogroup_device_readiness(ctx, "0000:01:00.0", &o,
						    sizeof(o)), 1);
	ck_assert_int_eq(vfiogroup_device_readiness(ctx, "0000:01:00.1", &o,
						    sizeof(o)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NO_VFIO);
	ck_assert_str_eq(o.device, "0000:01:00.1");
	ck_assert_str_eq(o.driver, "");
	ck_assert_str_eq(o.node, "/dev/vfio/1");

	ck_assert_int_eq(vfiogroup_readiness(ctx, 2, &o, sizeof(o)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NOT_VIABLE);
	ck_assert_str_eq(o.device, "0000:02:00.0");
	ck_assert_str_eq(o.driver, "e1000");
	ck_assert_str_eq(o.node, "");

	ck_assert_int_eq(vfiogroup_is_ready(ctx, 1), 1);
	ck_assert_int_eq(vfiogroup_is_ready(ctx, 2), 0);
	ck_assert_int_eq(vfiogroup_is_ready(ctx, 9), -ENOENT);
	ck_assert_int_eq(vfiogroup_device_is_ready(ctx, "nope"), -ENOENT);
	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, NULL, 4), -EINVAL);

	ck_assert_int_eq(vfiogroup_get_group(ctx, 1, &g), 0);
	ck_assert(vfiogroup_group_ready(g));
	ck_assert_str_eq(vfiogroup_group_node(g), "/dev/vfio/1");
	ck_assert(vfiogroup_device_vfio(vfiogroup_group_device(g, 0)));
	ck_assert(!vfiogroup_device_vfio(vfiogroup_group_device(g, 1)));
	ck_assert_ptr_null(vfiogroup_device_vfio_dev(vfiogroup_group_device(g, 1)));
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), 0);
	ck_assert(!vfiogroup_group_ready(g));
	ck_assert_ptr_null(vfiogroup_group_node(g));
	vfiogroup_group_unref(g);
}
END_TEST

/* An older caller's smaller struct: nothing written past what it knows. */
START_TEST(smaller_struct)
{
	struct vfiogroup_readiness o;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	memset(&o, 0x5a, sizeof(o));
	ck_assert_int_eq(vfiogroup_readiness(ctx, 2, &o,
					     offsetof(struct vfiogroup_readiness,
						      in_use)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NOT_VIABLE);
	ck_assert_int_eq(o.in_use, 0x5a5a5a5a);
}
END_TEST

/* A user's hold: asked of the kernel each time, never cached. */
START_TEST(in_use_is_asked_fresh)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_sub *sub;
	unsigned before;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	/* followed by the cache, so only the hold needs the kernel */
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, 0, ignore, NULL, &sub), 0);
	fake_set_in_use(fk, 1, 0);
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, &o, sizeof(o)), 1);
	ck_assert_int_eq(o.in_use, 0);
	ck_assert_uint_eq(fk->requests, before + 1);

	fake_set_in_use(fk, 1, 1);
	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, &o, sizeof(o)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_IN_USE);
	ck_assert_int_eq(o.in_use, 1);
	ck_assert_int_eq(vfiogroup_device_is_ready(ctx, "0000:01:00.0"), 0);

	/* a group not ready by its drivers costs no round trip */
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_is_ready(ctx, 2), 0);
	ck_assert_uint_eq(fk->requests, before);

	fake_set_in_use(fk, 1, 0);
	ck_assert_int_eq(vfiogroup_is_ready(ctx, 1), 1);
	vfiogroup_unsubscribe(sub);
}
END_TEST

/* A group the cache does not follow: its one reply is fresh already. */
START_TEST(unfollowed_group_is_asked_once)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_filter *only2;
	struct vfiogroup_sub *sub;
	unsigned before;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	/* the cache follows group 2 alone */
	ck_assert_int_eq(vfiogroup_filter_new(&only2), 0);
	ck_assert_int_eq(vfiogroup_filter_add_group(only2, 2), 0);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, only2, VFIOGROUP_EVMASK_ALL,
					     ignore, NULL, &sub), 0);
	vfiogroup_filter_free(only2);
	fake_set_in_use(fk, 1, 1);
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, &o, sizeof(o)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_IN_USE);
	ck_assert_int_eq(o.in_use, 1);
	ck_assert_uint_eq(fk->requests, before + 1);

	fake_set_in_use(fk, 1, 0);
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_device_readiness(ctx, "0000:01:00.0", &o,
						    sizeof(o)), 1);
	ck_assert_int_eq(o.in_use, 0);
	ck_assert_uint_eq(fk->requests, before + 1);
	vfiogroup_unsubscribe(sub);
}
END_TEST

/* Event loops asked for no round trips: the hold is then not known. */
START_TEST(nonblock_does_not_ask)
{
	struct vfiogroup_readiness o;
	struct vfiogroup_sub *sub;
	unsigned before;

	ck_assert_int_eq(fake_ctx(fk, VFIOGROUP_CTX_NONBLOCK_QUERIES, &ctx), 0);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, 0, ignore, NULL, &sub), 0);
	fake_set_in_use(fk, 1, 1);
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_readiness(ctx, 1, &o, sizeof(o)), 1);
	ck_assert_int_eq(o.in_use, -1);
	ck_assert_uint_eq(fk->requests, before);
	vfiogroup_unsubscribe(sub);
}
END_TEST

struct later {
	struct fake *fk;
	atomic_int phase;	/* 2 once the thread is about to act */
	void (*act)(struct fake *fk);
};

static void *act_later(void *arg)
{
	struct later *l = arg;

	usleep(50000);		/* a wait that returns early returns now */
	atomic_store(&l->phase, 2);
	l->act(l->fk);
	return NULL;
}

static void bind_vfio_2(struct fake *f)
{
	fake_bind(f, 2, "0000:02:00.0", "vfio-pci", false);
}

/*
 * libvirt's sequence: the host driver unbound, then vfio-pci bound.  In
 * between the group is viable (wait_viable returns) but not ready.
 */
START_TEST(wait_ready_skips_the_gap)
{
	struct later l = { .fk = fk, .phase = 1, .act = bind_vfio_2 };
	struct vfiogroup_readiness o;
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	fake_unbind(fk, 2, "0000:02:00.0");
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 2, 0), 0);	/* the gap */
	ck_assert_int_eq(vfiogroup_device_readiness(ctx, "0000:02:00.0", &o,
						    sizeof(o)), 0);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NO_VFIO);
	ck_assert_int_eq(vfiogroup_wait_ready(ctx, 2, 0, &o, sizeof(o)),
			 -ETIMEDOUT);
	ck_assert_int_eq(o.reason, VFIOGROUP_NR_NO_VFIO);

	pthread_create(&th, NULL, act_later, &l);
	ck_assert_int_eq(vfiogroup_wait_device_ready(ctx, "0000:02:00.0", -1,
						     &o, sizeof(o)), 0);
	ck_assert_int_eq(atomic_load(&l.phase), 2);
	ck_assert_int_eq(o.ready, 1);
	ck_assert_str_eq(o.node, "/dev/vfio/2");
	pthread_join(th, NULL);
}
END_TEST

static void release_1(struct fake *f)
{
	fake_set_in_use(f, 1, 0);
}

/* Nothing announces a release: the wait looks again on its own. */
START_TEST(wait_ready_through_a_hold)
{
	struct later l = { .fk = fk, .phase = 1, .act = release_1 };
	struct vfiogroup_readiness o;
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	fake_set_in_use(fk, 1, 1);
	pthread_create(&th, NULL, act_later, &l);
	ck_assert_int_eq(vfiogroup_wait_ready(ctx, 1, -1, &o, sizeof(o)), 0);
	ck_assert_int_eq(atomic_load(&l.phase), 2);
	ck_assert_int_eq(o.in_use, 0);
	pthread_join(th, NULL);
}
END_TEST

static void add_in_group_5(struct fake *f)
{
	fake_add_device(f, 5, "0000:05:00.0", "vfio-pci", false);
}

/* A device waited for before it exists, and found again in a new group. */
START_TEST(wait_follows_the_device)
{
	struct later l = { .fk = fk, .phase = 1, .act = add_in_group_5 };
	struct vfiogroup_readiness o;
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_device_is_ready(ctx, "0000:05:00.0"),
			 -ENOENT);
	pthread_create(&th, NULL, act_later, &l);
	ck_assert_int_eq(vfiogroup_wait_device_ready(ctx, "0000:05:00.0", -1,
						     &o, sizeof(o)), 0);
	ck_assert_uint_eq(o.group_id, 5);
	pthread_join(th, NULL);

	fake_remove_device(fk, 5, "0000:05:00.0");
	fake_add_device(fk, 6, "0000:05:00.0", "vfio-pci", false);
	ck_assert_int_eq(vfiogroup_wait_device_ready(ctx, "0000:05:00.0", -1,
						     &o, sizeof(o)), 0);
	ck_assert_uint_eq(o.group_id, 6);
	ck_assert_str_eq(o.node, "/dev/vfio/6");
}
END_TEST


static void remove_and_return_2(struct fake *f)
{
	fake_remove_device(f, 2, "0000:02:00.0");
	fake_add_device(f, 2, "0000:02:00.0", "vfio-pci", false);
}

/*
 * VFIOGROUP_WAIT_GONE: an absent group or device ends the wait at once, and
 * a removal ends it even when the device is back (and ready) before the
 * wait looks again; without the flag both are waited through.
 */
START_TEST(wait_gone_ends_the_wait)
{
	struct later l = { .fk = fk, .phase = 1, .act = remove_and_return_2 };
	struct vfiogroup_readiness o = { 0 };
	unsigned rdy = VFIOGROUP_WAIT_READY | VFIOGROUP_WAIT_GONE;
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 9, VFIOGROUP_WAIT_GONE, -1,
					      NULL, 0), -ENODEV);
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "0000:09:00.0", rdy, -1,
					       &o, sizeof(o)), -ENODEV);
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 9, 0, 0, NULL, 0),
			 -ETIMEDOUT);
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 1, 1u << 7, 0, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "", 0, 0, NULL, 0),
			 -EINVAL);
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 1, 0, 0, NULL, 4), -EINVAL);

	/* reached: viability and readiness, group and device forms */
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 1, VFIOGROUP_WAIT_GONE, 0,
					      &o, sizeof(o)), 0);
	ck_assert_int_eq(o.group_id, 0);	/* a viability wait leaves it */
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "0000:01:00.0", rdy, 0,
					       &o, sizeof(o)), 0);
	ck_assert_int_eq(o.ready, 1);
	ck_assert_uint_eq(o.group_id, 1);
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "0000:02:00.0",
					       VFIOGROUP_WAIT_GONE, 0, NULL, 0),
			 -ETIMEDOUT);

	pthread_create(&th, NULL, act_later, &l);
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "0000:02:00.0", rdy, -1,
					       &o, sizeof(o)), -ENODEV);
	ck_assert_int_eq(atomic_load(&l.phase), 2);
	pthread_join(th, NULL);
	/* back on vfio-pci: the same wait without the flag returns 0 */
	ck_assert_int_eq(vfiogroup_wait_device(ctx, "0000:02:00.0",
					       VFIOGROUP_WAIT_READY, -1, &o,
					       sizeof(o)), 0);
}
END_TEST

static void remove_group_1(struct fake *f)
{
	fake_remove_device(f, 1, "0000:01:00.0");
	fake_remove_device(f, 1, "0000:01:00.1");
}

/* The group form: the group losing its last device is its removal. */
START_TEST(wait_gone_group_removed)
{
	struct later l = { .fk = fk, .phase = 1, .act = remove_group_1 };
	pthread_t th;

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	fake_set_in_use(fk, 1, 1);	/* held: not ready until removed */
	pthread_create(&th, NULL, act_later, &l);
	ck_assert_int_eq(vfiogroup_wait_group(ctx, 1, VFIOGROUP_WAIT_READY |
					      VFIOGROUP_WAIT_GONE, 5000,
					      NULL, 0), -ENODEV);
	ck_assert_int_eq(atomic_load(&l.phase), 2);
	pthread_join(th, NULL);
}
END_TEST

/*
 * A subscription to a device: its own events and its group's, in whatever
 * group it is; not the events of a group it left.
 */
START_TEST(subscription_follows_the_device)
{
	struct vfiogroup_sub *sub;
	struct record rec = { 0 };

	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_subscribe_device(ctx, "", 0, ignore, NULL,
						    &sub), -EINVAL);
	ck_assert_int_eq(vfiogroup_subscribe_device(ctx, "0000:01:00.1",
						    VFIOGROUP_EVMASK_GROUP,
						    record_cb, &rec, &sub), 0);
	vfiogroup_dispatch(ctx);
	record_reset(&rec);

	fake_bind(fk, 1, "0000:01:00.0", "e1000", true);	/* a sibling */
	fake_unbind(fk, 2, "0000:02:00.0");			/* elsewhere */
	fake_remove_device(fk, 1, "0000:01:00.1");
	fake_add_device(fk, 7, "0000:01:00.1", "vfio-pci", false);
	fake_bind(fk, 1, "0000:01:00.0", "vfio-pci", false);	/* left */
	while (vfiogroup_dispatch(ctx) > 0)
		;
	ck_assert_str_eq(rec.log,
			 "BIND 1 0000:01:00.0 e1000\n"
			 "VIA 1 - - blocked\n"
			 "RDY 1 - - unready\n"
			 "REM 1 0000:01:00.1 -\n"
			 "ADD 7 0000:01:00.1 -\n"
			 "BIND 7 0000:01:00.1 vfio-pci\n"
			 "RDY 7 - - ready\n");
	vfiogroup_unsubscribe(sub);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ready");
	TCase *tc = tcase_create("ready");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, what_is_in_the_way);
	tcase_add_test(tc, smaller_struct);
	tcase_add_test(tc, in_use_is_asked_fresh);
	tcase_add_test(tc, unfollowed_group_is_asked_once);
	tcase_add_test(tc, nonblock_does_not_ask);
	tcase_add_test(tc, wait_ready_skips_the_gap);
	tcase_add_test(tc, wait_ready_through_a_hold);
	tcase_add_test(tc, wait_follows_the_device);
	tcase_add_test(tc, wait_gone_ends_the_wait);
	tcase_add_test(tc, wait_gone_group_removed);
	tcase_add_test(tc, subscription_follows_the_device);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
