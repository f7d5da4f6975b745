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
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sockios.h>

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

/* A callback for subscriptions that only change the filter. */
static void record_cb_none(struct vfiogroup_sub *s,
			   const struct vfiogroup_ev *ev, void *ud)
{
	(void)s;
	(void)ev;
	(void)ud;
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

/* ------------------------------------------------------------------ */

/*
 * The kernel filter changing under a live stream: threads subscribe and
 * unsubscribe with filters naming groups 1-3 (and none), which attaches,
 * widens, narrows and drops the filter and refreshes newly covered groups,
 * while one thread dispatches and another makes events on all three
 * groups.  A subscriber to group 1 that stays all along must see each of
 * group 1's events exactly once, in order (no loss, no synthesized one:
 * the socket is never let overflow), and at the end every answer equals
 * the fake kernel's state.
 */
struct steady {
	atomic_uint kernel, synth, disorder;
	uint64_t last;
};

static void steady_cb(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		      void *ud)
{
	struct steady *st = ud;

	(void)s;
	if (ev->kind >= VFIOGROUP_EV_RESYNC)
		return;
	if (ev->flags & VFIOGROUP_EVENT_SYNTHESIZED) {
		atomic_fetch_add(&st->synth, 1);
		return;
	}
	if (ev->group_id != 1 || ev->seq <= st->last)
		atomic_fetch_add(&st->disorder, 1);
	st->last = ev->seq;
	atomic_fetch_add(&st->kernel, 1);
}

/* Rounds of events; valgrind.sh asks for fewer (VG_COVER_TOGGLES). */
static int cover_toggles(void)
{
	const char *e = getenv("VG_COVER_TOGGLES");
	int n = e ? atoi(e) : 0;

	return n > 0 ? n : 150;
}

static void *toggler(void *arg)
{
	int n = cover_toggles();

	(void)arg;
	for (int i = 0; i < n; i++) {
		/* group 1: one event; 2 and 3: two (a blocking driver) */
		if (i % 2) {
			fake_unbind(fk, 1, "b");
			fake_unbind(fk, 2, "c");
			fake_bind(fk, 3, "d", "vfio-pci", false);
		} else {
			fake_bind(fk, 1, "b", "vfio-pci", false);
			fake_bind(fk, 2, "c", "e1000", true);
			fake_unbind(fk, 3, "d");
		}
		/*
		 * The fake's queue is bounded (by sv[1]'s send buffer and
		 * sv[0]'s receive buffer, fake.c): wait until the dispatcher
		 * took them (what is queued is still charged to the sender),
		 * so that it never overflows.
		 */
		for (int q = 1, n = 0; q > 0 && n < 20000; n++) {
			if (ioctl(fk->sv[1], SIOCOUTQ, &q))
				break;
			if (q > 0)
				usleep(100);
		}
	}
	return NULL;
}

/* Dispatches without making events of its own (unlike dispatcher()). */
static void *quiet_dispatcher(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		ck_assert_int_ge(vfiogroup_dispatch(ctx), 0);
		usleep(50);
	}
	return NULL;
}

static void *cover_churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	while (!atomic_load(&stop)) {
		struct vfiogroup_filter *f = NULL;
		struct vfiogroup_group *g = NULL;
		struct vfiogroup_sub *s;
		unsigned pick = rand_r(&seed) % 5;
		uint32_t *ids = NULL;

		if (pick) {
			vfiogroup_filter_new(&f);
			vfiogroup_filter_add_group(f, 1 + pick % 3);
			if (pick == 4)
				vfiogroup_filter_add_group(f, 3);
		}
		ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
						     record_cb_none, NULL, &s), 0);
		vfiogroup_filter_free(f);
		/* queries, from the cache or the kernel: they must work */
		ck_assert_int_eq(vfiogroup_get_group(ctx, 1 + pick % 3, &g), 0);
		vfiogroup_group_unref(g);
		ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), 3);
		free(ids);
		vfiogroup_unsubscribe(s);
	}
	return NULL;
}

START_TEST(cover_churn_stays_exact)
{
	struct steady st = { .last = 0 };
	struct vfiogroup_filter *f;
	struct vfiogroup_stats stats;
	struct vfiogroup_sub *s1;
	pthread_t d, tg, t[2];

	fake_add_device(fk, 2, "c", "e1000", true);
	fake_add_device(fk, 3, "d", NULL, false);
	vfiogroup_dispatch(ctx);
	vfiogroup_filter_new(&f);
	vfiogroup_filter_add_group(f, 1);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
					     steady_cb, &st, &s1), 0);
	vfiogroup_filter_free(f);

	atomic_store(&stop, false);
	pthread_create(&d, NULL, quiet_dispatcher, NULL);
	for (uintptr_t i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, cover_churn, (void *)(i + 7));
	pthread_create(&tg, NULL, toggler, NULL);
	pthread_join(tg, NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_join(d, NULL);
	while (vfiogroup_dispatch(ctx) > 0)
		;

	ck_assert_int_eq(vfiogroup_stats(ctx, &stats, sizeof(stats)), 0);
	printf("# cover churn: %u events of group 1, %llu messages, %llu "
	       "skipped, gaps %llu, resyncs %llu, overruns %llu\n",
	       atomic_load(&st.kernel), (unsigned long long)stats.messages,
	       (unsigned long long)stats.stale, (unsigned long long)stats.gaps,
	       (unsigned long long)stats.resyncs,
	       (unsigned long long)stats.overruns);
	/* the fake's socket never overflowed: nothing may have been lost */
	ck_assert_uint_eq(stats.overruns, 0);
	ck_assert_uint_eq(stats.resyncs, 0);
	ck_assert_uint_eq(atomic_load(&st.synth), 0);
	ck_assert_uint_eq(atomic_load(&st.disorder), 0);
	ck_assert_uint_eq(atomic_load(&st.kernel), (unsigned)cover_toggles());
	/* every group as the fake has it, whoever answers */
	for (uint32_t id = 1; id <= 3; id++) {
		struct vfiogroup_group *g = NULL;

		ck_assert_int_eq(vfiogroup_get_group(ctx, id, &g), 0);
		pthread_mutex_lock(&fk->lock);
		for (size_t i = 0; i < fk->ngroups; i++)
			if (fk->groups[i].id == id)
				ck_assert_uint_eq(vfiogroup_group_seq(g),
						  fk->groups[i].seq);
		pthread_mutex_unlock(&fk->lock);
		ck_assert_int_eq(vfiogroup_group_viable(g), fake_viable(fk, id));
		vfiogroup_group_unref(g);
	}
	vfiogroup_unsubscribe(s1);
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
	tcase_add_test(tc, cover_churn_stays_exact);
	/* generous: valgrind and TSan slow this down a lot */
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
