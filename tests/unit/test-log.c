/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a VMM embedding the library gets besides events: a log function
 * with priorities, error text it can copy while other threads fail, and
 * queries that never block on the kernel when it asks for that.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "fake.h"
#include "record.h"
#include "run-suite.h"

static struct fake *fk;
static struct vfiogroup_ctx *ctx;

/* What the log function was told: "PRIORITY function: text" lines. */
struct logbook {
	char text[16384];
	size_t len;
	unsigned lines[8];	/* per priority */
	bool reentered;		/* the function called the library */
};

static struct logbook book;

static void log_to_book(void *data, int priority, const char *file, int line,
			const char *fn, const char *format, va_list args)
{
	struct logbook *b = data;
	char msg[512];
	int n;

	ck_assert_ptr_nonnull(file);
	ck_assert_int_gt(line, 0);
	ck_assert_int_ge(priority, LOG_EMERG);
	ck_assert_int_le(priority, LOG_DEBUG);
	vsnprintf(msg, sizeof(msg), format, args);
	n = snprintf(b->text + b->len, sizeof(b->text) - b->len, "%d %s: %s\n",
		     priority, fn, msg);
	if (n > 0 && (size_t)n < sizeof(b->text) - b->len)
		b->len += (size_t)n;
	b->lines[priority]++;
}

/* Calls back into the library: no lock of the library may be held. */
static void log_and_query(void *data, int priority, const char *file,
			  int line, const char *fn, const char *format,
			  va_list args)
{
	struct logbook *b = data;
	struct vfiogroup_stats s;
	char err[64];

	log_to_book(data, priority, file, line, fn, format, args);
	ck_assert_int_ge(vfiogroup_ctx_connected(ctx), 0);
	ck_assert_int_eq(vfiogroup_stats(ctx, &s, sizeof(s)), 0);
	ck_assert_int_ge(vfiogroup_ctx_error(ctx, err, sizeof(err)), 0);
	b->reentered = true;
}

static void record_cb_none(struct vfiogroup_sub *s,
			   const struct vfiogroup_ev *ev, void *ud)
{
	(void)s;
	(void)ev;
	(void)ud;
}

/* A context on the fake with one subscription, to group 1 only. */
static struct vfiogroup_sub *follow_group_1(unsigned flags)
{
	struct vfiogroup_filter *f;
	struct vfiogroup_sub *sub;

	ck_assert_int_eq(fake_ctx(fk, flags, &ctx), 0);
	ck_assert_int_eq(vfiogroup_filter_new(&f), 0);
	ck_assert_int_eq(vfiogroup_filter_add_group(f, 1), 0);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
					     record_cb_none, NULL, &sub), 0);
	vfiogroup_filter_free(f);
	vfiogroup_dispatch(ctx);
	return sub;
}

static void setup(void)
{
	fk = fake_new();
	fake_add_device(fk, 1, "0000:01:00.0", "vfio-pci", false);
	fake_add_device(fk, 2, "0000:02:00.0", "e1000", true);
	ctx = NULL;
	memset(&book, 0, sizeof(book));
	unsetenv("VFIOGROUP_LOG");
}

static void teardown(void)
{
	vfiogroup_ctx_unref(ctx);
	fake_free(fk);
	unsetenv("VFIOGROUP_LOG");
}

START_TEST(default_logs_nothing_at_err)
{
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_get_log_priority(ctx), LOG_ERR);
	vfiogroup_set_log_priority(ctx, 42);
	ck_assert_int_eq(vfiogroup_get_log_priority(ctx), LOG_DEBUG);
	vfiogroup_set_log_priority(ctx, -3);
	ck_assert_int_eq(vfiogroup_get_log_priority(ctx), LOG_EMERG);
	ck_assert_int_eq(vfiogroup_get_log_priority(NULL), -EINVAL);
}
END_TEST

START_TEST(env_sets_the_priority)
{
	static const struct { const char *v; int prio; } cases[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "notice", LOG_NOTICE }, { "err", LOG_ERR }, { "4", 4 },
		/* not a priority: the default, and no stderr logger */
		{ "loud", LOG_ERR }, { "9", LOG_ERR }, { "", LOG_ERR },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vfiogroup_ctx *c;

		setenv("VFIOGROUP_LOG", cases[i].v, 1);
		ck_assert_int_eq(fake_ctx(fk, 0, &c), 0);
		ck_assert_msg(vfiogroup_get_log_priority(c) == cases[i].prio,
			      "VFIOGROUP_LOG=%s: priority %d, want %d",
			      cases[i].v, vfiogroup_get_log_priority(c),
			      cases[i].prio);
		vfiogroup_ctx_unref(c);
	}
}
END_TEST

START_TEST(losses_and_resyncs_are_notices)
{
	struct vfiogroup_sub *sub;
	struct record rec;

	record_reset(&rec);
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					     record_cb, &rec, &sub), 0);
	vfiogroup_dispatch(ctx);
	vfiogroup_set_log_fn(ctx, log_and_query, &book);
	vfiogroup_set_log_priority(ctx, LOG_NOTICE);

	/* One event lost: the next one shows the gap. */
	fk->drop_next = 1;
	fake_unbind(fk, 2, "0000:02:00.0");
	fake_add_device(fk, 3, "0000:03:00.0", NULL, false);
	vfiogroup_dispatch(ctx);
	ck_assert_ptr_nonnull(strstr(book.text, "events lost: seq "));
	ck_assert_ptr_nonnull(strstr(book.text, "resynchronised: 3 groups"));
	ck_assert_uint_eq(book.lines[LOG_INFO] + book.lines[LOG_DEBUG], 0);
	ck_assert(book.reentered);

	/* An overrun; now every priority. */
	memset(&book, 0, sizeof(book));
	vfiogroup_set_log_priority(ctx, LOG_DEBUG);
	fake_bind(fk, 3, "0000:03:00.0", "vfio-pci", false);
	fk->pending_err = -ENOBUFS;
	vfiogroup_dispatch(ctx);
	ck_assert_ptr_nonnull(strstr(book.text, "5 lost: events lost (ENOBUFS): resynchronising\n"));
	ck_assert_ptr_nonnull(strstr(book.text, "6 drain: drained "));
	ck_assert_ptr_nonnull(strstr(book.text, "7 run: request info-get: done\n"));
	ck_assert_ptr_nonnull(strstr(book.text, "7 run: request group-get dump: done\n"));
	ck_assert_uint_ge(book.lines[LOG_NOTICE], 2);

	/* Ordinary events, at debug. */
	memset(&book, 0, sizeof(book));
	fake_unbind(fk, 3, "0000:03:00.0");
	vfiogroup_dispatch(ctx);
	ck_assert_ptr_nonnull(strstr(book.text, "group 3, kind 4, device 0000:03:00.0, driver vfio-pci\n"));
	ck_assert_uint_eq(book.lines[LOG_NOTICE], 0);

	/* Off: nothing more. */
	memset(&book, 0, sizeof(book));
	vfiogroup_set_log_fn(ctx, NULL, NULL);
	fake_bind(fk, 3, "0000:03:00.0", "vfio-pci", false);
	vfiogroup_dispatch(ctx);
	ck_assert_uint_eq(book.len, 0);
	vfiogroup_unsubscribe(sub);
}
END_TEST

START_TEST(disconnect_and_reconnect_are_notices)
{
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), 0);
	vfiogroup_dispatch(ctx);
	vfiogroup_set_log_fn(ctx, log_to_book, &book);
	vfiogroup_set_log_priority(ctx, LOG_NOTICE);
	fake_unload(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_ptr_nonnull(strstr(book.text, "the module went away: disconnected\n"));
	fake_load(fk);
	vfiogroup_dispatch(ctx);
	ck_assert_ptr_nonnull(strstr(book.text, "reconnected: 2 groups"));
}
END_TEST

START_TEST(failures_are_errors_and_copied)
{
	char buf[512], small[8];
	int n;

	fk->present = false;
	ck_assert_int_eq(fake_ctx(fk, 0, &ctx), -ENOENT);
	n = vfiogroup_ctx_error(ctx, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(buf));
	ck_assert_str_eq(buf, vfiogroup_ctx_last_error(ctx));
	ck_assert_ptr_nonnull(strstr(buf, "modprobe vfiogroup"));
	/* cut short, NUL-terminated, full length returned */
	ck_assert_int_eq(vfiogroup_ctx_error(ctx, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(vfiogroup_ctx_error(ctx, NULL, 0), n);
	ck_assert_int_eq(vfiogroup_ctx_error(ctx, NULL, 4), -EINVAL);
	ck_assert_int_gt(vfiogroup_ctx_error(NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, vfiogroup_ctx_last_error(NULL));

	/*
	 * The failure of a later call is logged at LOG_ERR, with its text
	 * (a context that failed to connect is good only for its error).
	 */
	vfiogroup_ctx_unref(ctx);
	ck_assert_int_eq(fake_ctx(fk, VFIOGROUP_CTX_WAIT_MODULE, &ctx), 0);
	vfiogroup_set_log_fn(ctx, log_and_query, &book);
	ck_assert_int_ge(vfiogroup_dispatch(ctx), 0);
	fake_load(fk);
	fk->events_reach = 0;	/* events that cannot reach us: refused */
	vfiogroup_dispatch(ctx);
	ck_assert_uint_ge(book.lines[LOG_ERR], 1);
	ck_assert_int_gt(vfiogroup_ctx_error(ctx, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(book.text, buf));
	ck_assert_ptr_nonnull(strstr(buf, "network namespace"));
	ck_assert(book.reentered);
}
END_TEST

/* Errors made in one thread while another copies them: TSan's to judge. */
static atomic_bool stop;

static void *copier(void *arg)
{
	char buf[300];

	(void)arg;
	while (!atomic_load(&stop)) {
		int n = vfiogroup_ctx_error(ctx, buf, sizeof(buf));

		ck_assert_int_ge(n, 0);
		ck_assert_uint_eq(strlen(buf), (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	}
	return NULL;
}

START_TEST(error_copies_race_with_failures)
{
	pthread_t t;

	fk->present = false;
	ck_assert_int_eq(fake_ctx(fk, VFIOGROUP_CTX_WAIT_MODULE, &ctx), 0);
	atomic_store(&stop, false);
	pthread_create(&t, NULL, copier, NULL);
	for (int i = 0; i < 2000; i++) {
		/* each fails to resolve the family again, rewriting the text */
		fk->pending_err = -ENOBUFS;
		vfiogroup_dispatch(ctx);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	ck_assert_ptr_nonnull(strstr(vfiogroup_ctx_last_error(ctx), "modprobe"));
}
END_TEST

START_TEST(nonblock_queries)
{
	struct vfiogroup_group *g = NULL;
	struct vfiogroup_info info;
	struct vfiogroup_sub *sub;
	unsigned before;
	uint32_t *ids;

	/* Following group 1 only: the kernel filter hides group 2. */
	sub = follow_group_1(VFIOGROUP_CTX_NONBLOCK_QUERIES);

	before = fk->requests;
	ck_assert_int_eq(vfiogroup_get_group(ctx, 1, &g), 0);
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:01:00.0", &g), 0);
	vfiogroup_group_unref(g);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 1), 1);
	ck_assert_int_eq(vfiogroup_get_group(ctx, 2, &g), -EAGAIN);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:02:00.0", &g), -EAGAIN);
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), -EAGAIN);
	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), -EAGAIN);
	ck_assert_int_eq(vfiogroup_info(ctx, &info), -EAGAIN);
	/* none of them asked the kernel */
	ck_assert_uint_eq(fk->requests, before);

	/* Following every group, the same queries are answered at once. */
	vfiogroup_unsubscribe(sub);
	ck_assert_int_eq(vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL,
					     record_cb_none, NULL, &sub), 0);
	vfiogroup_dispatch(ctx);
	before = fk->requests;
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 0);
	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), 2);
	free(ids);
	ck_assert_int_eq(vfiogroup_find_device(ctx, "0000:09:00.0", &g), -ENOENT);
	ck_assert_uint_eq(fk->requests, before);
	vfiogroup_unsubscribe(sub);
}
END_TEST

START_TEST(blocking_queries_ask_the_kernel)
{
	struct vfiogroup_sub *sub = follow_group_1(0);
	unsigned before;

	before = fk->requests;
	ck_assert_int_eq(vfiogroup_is_viable(ctx, 2), 0);
	ck_assert_uint_eq(fk->requests, before + 1);
	vfiogroup_unsubscribe(sub);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, default_logs_nothing_at_err);
	tcase_add_test(tc, env_sets_the_priority);
	tcase_add_test(tc, losses_and_resyncs_are_notices);
	tcase_add_test(tc, disconnect_and_reconnect_are_notices);
	tcase_add_test(tc, failures_are_errors_and_copied);
	tcase_add_test(tc, error_copies_race_with_failures);
	tcase_add_test(tc, nonblock_queries);
	tcase_add_test(tc, blocking_queries_ask_the_kernel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
