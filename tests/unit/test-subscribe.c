/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The subscription guarantee: once vfiogroup_unsubscribe() returns, the
 * callback is not running and never runs again, from any thread; from
 * inside a callback it neither deadlocks nor leaves a dangling pointer.
 * Run many times over, with threads, under valgrind/ASan/TSan in CI.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "fake.h"
#include "record.h"
#include "run-suite.h"

static struct fake *fk;
static struct vfiogroup_ctx *ctx;

static void setup(void)
{
	fk = fake_new();
	fake_add_device(fk, 1, "a", "vfio-pci", false);
	fake_add_device(fk, 1, "b", NULL, false);
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	vfiogroup_dispatch(ctx);
}

static void teardown(void)
{
	vfiogroup_ctx_unref(ctx);
	fake_free(fk);
}

/* One event on group 1: b bound or unbound, alternately. */
static void tick(void)
{
	static _Thread_local int bound;

	if (bound)
		fake_unbind(fk, 1, "b");
	else
		fake_bind(fk, 1, "b", "vfio-pci", false);
	bound = !bound;
}

/* ------------------------------------------------------------------ */

struct watched {
	atomic_int running;
	atomic_int calls;
	atomic_int after;	/* calls after unsubscribe returned */
	atomic_bool gone;
	int spin;
};

static void watched_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		       void *ud)
{
	struct watched *w = ud;

	(void)s;
	(void)ev;
	atomic_fetch_add(&w->running, 1);
	if (atomic_load(&w->gone))
		atomic_fetch_add(&w->after, 1);
	/* Be slow sometimes, so unsubscribe finds us running. */
	for (volatile int i = 0; i < w->spin; i++)
		;
	atomic_fetch_add(&w->calls, 1);
	atomic_fetch_sub(&w->running, 1);
}

static atomic_bool stop;

static void *dispatcher(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		tick();
		ck_assert_int_ge(vfiogroup_dispatch(ctx), 0);
	}
	return NULL;
}

START_TEST(unsubscribe_from_other_thread)
{
	pthread_t th;
	int caught_running = 0;

	atomic_store(&stop, false);
	pthread_create(&th, NULL, dispatcher, NULL);
	for (int iter = 0; iter < 300; iter++) {
		struct watched w = { .spin = (iter % 3) * 20000 };
		struct vfiogroup_sub *s;
		int calls;

		ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL,
						     VFIOGROUP_EVMASK_ALL,
						     watched_cb, &w, &s), 0);
		while (atomic_load(&w.calls) < 1 + iter % 3)
			sched_yield();
		caught_running += atomic_load(&w.running);
		vfiogroup_unsubscribe(s);
		/* The guarantee, checked at once and a while later. */
		ck_assert_int_eq(atomic_load(&w.running), 0);
		atomic_store(&w.gone, true);
		calls = atomic_load(&w.calls);
		for (int i = 0; i < 50; i++)
			sched_yield();
		ck_assert_int_eq(atomic_load(&w.after), 0);
		ck_assert_int_eq(atomic_load(&w.calls), calls);
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	/* w is on our stack: had the library touched it late, ASan knows */
	(void)caught_running;
}
END_TEST

/* ------------------------------------------------------------------ */

struct selfish {
	struct vfiogroup_sub *sub;
	int calls;
};

static void self_unsub_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
			  void *ud)
{
	struct selfish *me = ud;

	(void)ev;
	ck_assert_ptr_eq(s, me->sub);
	me->calls++;
	vfiogroup_unsubscribe(s);
	/* still inside: the library frees it when we return */
}

START_TEST(unsubscribe_self_inside)
{
	for (int iter = 0; iter < 200; iter++) {
		struct selfish me[4] = { { 0 } };

		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL,
				VFIOGROUP_EVMASK_ALL, self_unsub_cb, &me[i],
				&me[i].sub), 0);
		tick();
		tick();
		vfiogroup_dispatch(ctx);
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(me[i].calls, 1);
	}
}
END_TEST

/* ------------------------------------------------------------------ */

struct pair {
	struct vfiogroup_sub *victim;
	struct vfiogroup_sub *self;
	int calls;
	int victim_calls;
	bool done;
};

static void victim_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		      void *ud)
{
	struct pair *p = ud;

	(void)s;
	(void)ev;
	ck_assert(!p->done);	/* never after it was unsubscribed */
	p->victim_calls++;
}

static void killer_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		      void *ud)
{
	struct pair *p = ud;

	(void)s;
	(void)ev;
	p->calls++;
	if (!p->done) {
		vfiogroup_unsubscribe(p->victim);
		p->done = true;
	}
}

START_TEST(unsubscribe_other_inside)
{
	/* _i = 0: victim after the killer in the list; 1: before it */
	for (int iter = 0; iter < 200; iter++) {
		struct pair p = { 0 };

		if (_i)
			vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					    victim_cb, &p, &p.victim);
		vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, killer_cb,
				    &p, &p.self);
		if (!_i)
			vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					    victim_cb, &p, &p.victim);
		tick();
		tick();
		vfiogroup_dispatch(ctx);
		ck_assert_int_eq(p.calls, 2);
		/* before the killer: ran once for the first event, then gone */
		ck_assert_int_eq(p.victim_calls, _i ? 1 : 0);
		vfiogroup_unsubscribe(p.self);
	}
}
END_TEST

/* ------------------------------------------------------------------ */

struct nest {
	struct record rec;
	struct vfiogroup_sub *inner;
	int outer_calls;
	int dispatch_r, wait_r;
};

static void outer_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		     void *ud)
{
	struct nest *n = ud;

	(void)s;
	(void)ev;
	if (n->outer_calls++)
		return;
	/* re-entry is refused, not deadlocked */
	n->dispatch_r = vfiogroup_dispatch(ctx);
	n->wait_r = vfiogroup_wait_viable(ctx, 1, 1000);
	/* queries work from inside */
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
	/* a new subscription does not see the event being delivered */
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					     record_cb, &n->rec, &n->inner), 0);
}

START_TEST(reentry_and_subscribe_inside)
{
	struct nest n = { 0 };
	struct vfiogroup_sub *s;

	vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, outer_cb, &n, &s);
	tick();
	vfiogroup_dispatch(ctx);
	ck_assert_int_eq(n.dispatch_r, -EDEADLK);
	ck_assert_int_eq(n.wait_r, -EDEADLK);
	ck_assert_uint_eq(n.rec.n, 0);
	tick();
	vfiogroup_dispatch(ctx);
	ck_assert_uint_eq(n.rec.n, 1);
	vfiogroup_unsubscribe(n.inner);
	vfiogroup_unsubscribe(s);
}
END_TEST

/* ------------------------------------------------------------------ */

static void drop_ctx_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
			void *ud)
{
	struct vfiogroup_ctx **c = ud;

	(void)ev;
	/* the application lets go of everything from inside */
	*c = vfiogroup_ctx_unref(*c);
	vfiogroup_unsubscribe(s);
}

START_TEST(last_reference_inside)
{
	struct vfiogroup_ctx *mine = ctx;
	struct vfiogroup_sub *s;

	ctx = NULL;	/* teardown must not unref it again */
	vfiogroup_subscribe(mine, NULL, VFIOGROUP_EVMASK_ALL, drop_ctx_cb,
			    &mine, &s);
	tick();
	vfiogroup_dispatch(mine);	/* frees the context on return */
	ck_assert_ptr_null(mine);
}
END_TEST

/* ------------------------------------------------------------------ */

/* Many threads subscribing and unsubscribing while events flow. */
static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < 200; i++) {
		struct watched w = { .spin = (int)(rand_r(&seed) % 3000) };
		struct vfiogroup_filter *f = NULL;
		struct vfiogroup_sub *s;

		if (i % 2) {
			vfiogroup_filter_new(&f);
			vfiogroup_filter_add_group(f, 1 + i % 3);
		}
		ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
						     watched_cb, &w, &s), 0);
		vfiogroup_filter_free(f);
		if (rand_r(&seed) % 2)
			sched_yield();
		vfiogroup_unsubscribe(s);
		ck_assert_int_eq(atomic_load(&w.running), 0);
	}
	return NULL;
}

START_TEST(churn_threads)
{
	pthread_t d, t[3];

	atomic_store(&stop, false);
	pthread_create(&d, NULL, dispatcher, NULL);
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, churn, (void *)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, true);
	pthread_join(d, NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subscribe");
	TCase *tc = tcase_create("subscribe");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unsubscribe_from_other_thread);
	tcase_add_test(tc, unsubscribe_self_inside);
	tcase_add_loop_test(tc, unsubscribe_other_inside, 0, 2);
	tcase_add_test(tc, reentry_and_subscribe_inside);
	tcase_add_test(tc, last_reference_inside);
	tcase_add_test(tc, churn_threads);
	/* generous: valgrind and TSan slow this down a lot */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
