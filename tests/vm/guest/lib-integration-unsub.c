// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration unsub: the unsubscribe guarantee on a live event stream,
 * from the own callback, from another subscription's, from another thread
 * while the callback runs; and a subscription made in a callback.
 */
#include "lib-integration.h"

struct unsub_test {
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *a, *b, *c, *d, *e, *f;
	/* a: unsubscribes itself at its 3rd event, subscribes e */
	unsigned a_calls, a_after;
	uint64_t a_last_seq;
	bool a_gone;
	/* b: unsubscribes c at b's 2nd event */
	unsigned b_calls;
	bool c_gone;
	unsigned c_calls, c_after;
	/* d: unsubscribed from another thread while its callback sleeps */
	atomic_uint d_calls, d_after;
	atomic_bool d_gone, d_in_cb;
	/* the race shown: d's callback ran as unsubscribe was called, and
	 * had returned by the time unsubscribe did */
	bool d_caught, d_running_at_return;
	/* e: subscribed from inside a's callback */
	unsigned e_calls;
	uint64_t e_first_seq;
	/* f: control */
	atomic_uint f_calls;
};

static void cb_e(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	if (!t->e_calls++)
		t->e_first_seq = ev->seq;
}

static void cb_a(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	if (t->a_gone) {
		t->a_after++;
		return;
	}
	if (++t->a_calls == 3) {
		t->a_last_seq = ev->seq;
		vfiogroup_unsubscribe(sub);	/* returns at once */
		t->a_gone = true;
		if (vfiogroup_subscribe(t->ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_e,
					t, &t->e))
			t->e = NULL;
	}
}

static void cb_b(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (++t->b_calls == 2) {
		vfiogroup_unsubscribe(t->c);	/* another subscription's */
		t->c_gone = true;
	}
}

static void cb_c(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (t->c_gone)
		t->c_after++;
	t->c_calls++;
}

static void cb_d(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	if (t->d_gone)
		t->d_after++;
	t->d_in_cb = true;
	t->d_calls++;
	usleep(5000);		/* widen the window for the other thread */
	if (t->d_gone)
		t->d_after++;
	t->d_in_cb = false;
}

static void cb_f(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev, void *u)
{
	struct unsub_test *t = u;

	(void)sub;
	(void)ev;
	t->f_calls++;
}

static void *unsub_d_thread(void *arg)
{
	struct unsub_test *t = arg;
	int64_t end = now_ms() + 30000;

	/* Unsubscribe while d's callback is running, if we can catch it. */
	while (now_ms() < end && (t->f_calls < 6 || !t->d_in_cb))
		usleep(200);
	t->d_caught = t->d_in_cb;
	vfiogroup_unsubscribe(t->d);
	t->d_running_at_return = t->d_in_cb;
	t->d_gone = true;
	return NULL;
}

struct toggler {
	const char *dev;
	char drv[NAME_LEN];
	int n;
	atomic_int done;
	atomic_bool finished;
};

static void *toggle_thread(void *arg)
{
	struct toggler *tg = arg;

	for (int i = 0; i < tg->n; i++) {
		if (pci_unbind(tg->dev) || pci_bind(tg->dev, tg->drv))
			break;
		tg->done++;
		usleep(20000);
	}
	tg->finished = true;
	return NULL;
}

int cmd_unsub(int argc, char **argv)
{
	struct unsub_test t = { 0 };
	struct toggler tg = { .n = 20 };
	struct vfiogroup_stats st;
	pthread_t th_t, th_d;
	int r = 0, err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			tg.dev = argv[++i];
		else if (!strcmp(argv[i], "--toggles") && i + 1 < argc)
			tg.n = atoi(argv[++i]);
		else
			return 2;
	}
	if (!tg.dev || tg.n < 4)
		return 2;
	alarm(120);
	pci_driver(tg.dev, tg.drv, sizeof(tg.drv));
	if (!*tg.drv) {
		result(false, "%s is bound to a driver", tg.dev);
		return 1;
	}
	t.ctx = connect_or_die();
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_a, &t, &t.a);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_b, &t, &t.b);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_c, &t, &t.c);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_d, &t, &t.d);
	r |= vfiogroup_subscribe(t.ctx, NULL, VFIOGROUP_EVMASK_GROUP, cb_f, &t, &t.f);
	if (r) {
		result(false, "five subscriptions");
		return 1;
	}
	pthread_create(&th_d, NULL, unsub_d_thread, &t);
	pthread_create(&th_t, NULL, toggle_thread, &tg);
	while (!tg.finished)
		drain(t.ctx, 1000000, 200, NULL);
	pthread_join(th_t, NULL);
	err = drain(t.ctx, 1000, 20000, NULL);
	pthread_join(th_d, NULL);
	err = err ? err : drain(t.ctx, 300, 5000, NULL);

	vfiogroup_stats(t.ctx, &st, sizeof(st));
	print_stats(t.ctx, "unsub");
	diag("%d toggles of %s; calls: a=%u b=%u c=%u d=%u e=%u f=%u", (int)tg.done,
	     tg.dev, t.a_calls, t.b_calls, t.c_calls, (unsigned)t.d_calls,
	     t.e_calls, (unsigned)t.f_calls);
	result(tg.done == tg.n, "%d unbind/bind toggles of %s", (int)tg.done, tg.dev);
	result(t.f_calls == 4u * (unsigned)tg.done && !st.gaps && !st.overruns,
	       "control subscription saw every event (%u, 4 per toggle), no loss",
	       (unsigned)t.f_calls);
	result(t.a_calls == 3 && !t.a_after,
	       "unsubscribe from inside its own callback: no call after it (%u after)",
	       t.a_after);
	result(t.e && t.e_calls > 0 && t.e_first_seq > t.a_last_seq,
	       "a subscription made in a callback does not see the event being delivered (first seq %" PRIu64 " > %" PRIu64 ")",
	       t.e_first_seq, t.a_last_seq);
	result(t.c_gone && !t.c_after && t.c_calls >= 1,
	       "unsubscribe of another subscription from a callback: no call after it (%u after)",
	       t.c_after);
	result(t.d_caught,
	       "unsubscribe from another thread raced a running callback (it did not within 30 s: the next check shows nothing then)");
	result(t.d_gone && !t.d_after && !t.d_running_at_return,
	       "unsubscribe from another thread during the callback: it returned only once the callback had, and no call after (%u after)",
	       (unsigned)t.d_after);
	result(!err, "vfiogroup_dispatch never failed (%s)",
	       err ? vfiogroup_strerror(err) : "none");
	vfiogroup_unsubscribe(t.b);
	vfiogroup_unsubscribe(t.e);
	vfiogroup_unsubscribe(t.f);
	vfiogroup_ctx_unref(t.ctx);
	return 0;
}
