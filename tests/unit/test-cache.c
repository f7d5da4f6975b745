/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cache and the diff that synthesizes events after lost ones. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "run-suite.h"

static struct vfiogroup_group *grp(uint32_t id, uint64_t seq, bool viable,
				   const char *spec)
{
	/* spec: "name[=driver] ..." */
	struct vfiogroup_group *g = vg_group_new(id);
	char buf[256], *save = NULL;

	g->seq = seq;
	g->viable = viable;
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		struct vfiogroup_device d = { .viable = true };
		char *eq = strchr(tok, '=');

		if (eq) {
			*eq = 0;
			snprintf(d.driver, sizeof(d.driver), "%s", eq + 1);
		}
		snprintf(d.name, sizeof(d.name), "%s", tok);
		ck_assert_int_eq(vg_group_add_device(g, &d), 0);
	}
	return g;
}

/* "KIND:dev:driver" per synthesized event, space separated */
static void expect(const struct vg_synth_list *l, const char *want)
{
	static const char *names[] = { "?", "ADD", "REM", "BIND", "UNBIND",
				       "VIA" };
	char got[512] = "";

	for (size_t i = 0; i < l->n; i++) {
		const struct vg_synth *s = &l->s[i];
		char one[160];

		ck_assert(s->ev.flags & VFIOGROUP_EVENT_SYNTHESIZED);
		ck_assert_ptr_nonnull(s->group);
		snprintf(one, sizeof(one), "%s%u:%s:%s:%s", i ? " " : "",
			 s->ev.group_id, names[s->ev.kind], s->dev_name,
			 s->driver);
		strcat(got, one);
	}
	ck_assert_str_eq(got, want);
}

START_TEST(put_find_remove)
{
	struct vg_cache c;

	vg_cache_init(&c);
	for (uint32_t id = 20; id > 0; id -= 2)
		ck_assert_int_eq(vg_cache_put(&c, grp(id, id, true, "d")), 0);
	ck_assert_uint_eq(c.n, 10);
	for (size_t i = 1; i < c.n; i++)
		ck_assert_uint_lt(c.e[i - 1].id, c.e[i].id);
	ck_assert_ptr_nonnull(vg_cache_find(&c, 4));
	ck_assert_ptr_null(vg_cache_find(&c, 5));
	/* replace */
	ck_assert_int_eq(vg_cache_put(&c, grp(4, 99, false, "a b")), 0);
	ck_assert_uint_eq(vg_cache_find(&c, 4)->group->seq, 99);
	ck_assert_uint_eq(c.n, 10);
	/* a group with no device is gone */
	ck_assert_int_eq(vg_cache_put(&c, grp(4, 100, true, "")), 0);
	ck_assert_ptr_null(vg_cache_find(&c, 4));
	vg_cache_remove(&c, 20);
	vg_cache_remove(&c, 21);
	ck_assert_uint_eq(c.n, 8);
	/* entries carry their group's seq */
	ck_assert_uint_eq(vg_cache_find(&c, 6)->seq, 6);
	/* tombstones: a new one, or one replacing a group */
	ck_assert_int_eq(vg_cache_put_absent(&c, 7, 50), 0);
	ck_assert_ptr_null(vg_cache_find(&c, 7)->group);
	ck_assert_uint_eq(vg_cache_find(&c, 7)->seq, 50);
	ck_assert_int_eq(vg_cache_put_absent(&c, 6, 51), 0);
	ck_assert_ptr_null(vg_cache_find(&c, 6)->group);
	ck_assert_uint_eq(c.n, 9);
	/* and a group replacing a tombstone */
	ck_assert_int_eq(vg_cache_put(&c, grp(6, 52, true, "x")), 0);
	ck_assert_ptr_nonnull(vg_cache_find(&c, 6)->group);
	ck_assert_uint_eq(vg_cache_find(&c, 6)->seq, 52);
	vg_cache_remove(&c, 7);
	ck_assert_ptr_null(vg_cache_find(&c, 7));
	vg_cache_clear(&c);
}
END_TEST

/*
 * Every id found where it is and no other, in a dense cache (found by
 * its distance from the first entry) and with gaps, an offset first entry
 * and ids past the end or below the first (found by the search).
 */
START_TEST(find_dense_and_sparse)
{
	static const uint32_t sets[][6] = {
		{ 0, 1, 2, 3, 4, 5 }, { 3, 4, 5, 6, 7, 8 },
		{ 0, 2, 3, 4, 9, 4000000000u }, { 5, 6, 8, 9, 10, 11 },
	};
	struct vg_cache c;

	for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		vg_cache_init(&c);
		for (size_t i = 0; i < 6; i++)
			ck_assert_int_eq(vg_cache_put_absent(&c, sets[k][i],
							     i + 1), 0);
		for (uint32_t id = 0; id < 14; id++) {
			const struct vg_cache_entry *e = vg_cache_find(&c, id);
			size_t i = 0;

			while (i < 6 && sets[k][i] != id)
				i++;
			if (i == 6) {
				ck_assert_msg(!e, "set %zu: %u found", k, id);
				continue;
			}
			ck_assert_msg(e && e->id == id && e->seq == i + 1,
				      "set %zu: %u not found", k, id);
		}
		ck_assert_ptr_nonnull(vg_cache_find(&c, sets[k][5]));
		ck_assert_ptr_null(vg_cache_find(&c, UINT32_MAX));
		vg_cache_clear(&c);
	}
	/* empty */
	vg_cache_init(&c);
	ck_assert_ptr_null(vg_cache_find(&c, 0));
	vg_cache_clear(&c);
}
END_TEST

START_TEST(group_diff_order)
{
	struct vfiogroup_group *o = grp(3, 5, false, "a=e1000 b c=snd");
	struct vfiogroup_group *n = grp(3, 9, true, "a=vfio-pci b=vfio-pci d");
	struct vg_synth_list l = { 0 };

	ck_assert_int_eq(vg_group_diff(o, n, 3, &l), 0);
	/* old devices first (unbinds, removals), then new, then viability */
	expect(&l, "3:UNBIND:a:e1000 3:UNBIND:c:snd 3:REM:c: "
		   "3:BIND:a:vfio-pci 3:BIND:b:vfio-pci 3:ADD:d: 3:VIA::");
	for (size_t i = 0; i < l.n; i++)
		ck_assert_ptr_eq(l.s[i].group, n);
	vg_synth_list_free(&l);

	/* nothing changed, nothing said */
	ck_assert_int_eq(vg_group_diff(n, n, 3, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	vg_synth_list_free(&l);
	vfiogroup_group_unref(o);
	vfiogroup_group_unref(n);
}
END_TEST

START_TEST(group_appears_vanishes)
{
	struct vfiogroup_group *g = grp(8, 4, false, "a=e1000 b");
	struct vg_synth_list l = { 0 };

	ck_assert_int_eq(vg_group_diff(NULL, g, 8, &l), 0);
	expect(&l, "8:ADD:a: 8:BIND:a:e1000 8:ADD:b:");
	vg_synth_list_free(&l);

	ck_assert_int_eq(vg_group_diff(g, NULL, 8, &l), 0);
	expect(&l, "8:UNBIND:a:e1000 8:REM:a: 8:REM:b:");
	/* the state attached is an empty group: "gone" */
	ck_assert_uint_eq(l.s[0].group->ndev, 0);
	ck_assert_uint_eq(l.s[0].group->id, 8);
	vg_synth_list_free(&l);
	vfiogroup_group_unref(g);
}
END_TEST

static bool not_four(const void *arg, uint32_t id)
{
	(void)arg;
	return id != 4;
}

START_TEST(cache_diff_merge)
{
	struct vg_cache a, b;
	struct vg_synth_list l = { 0 };

	vg_cache_init(&a);
	vg_cache_init(&b);
	vg_cache_put(&a, grp(1, 1, true, "x"));
	vg_cache_put(&a, grp(2, 1, true, "y"));
	vg_cache_put(&a, grp(4, 1, true, "z=vfio-pci"));
	vg_cache_put(&b, grp(2, 3, true, "y"));
	vg_cache_put(&b, grp(3, 3, true, "w"));
	vg_cache_put(&b, grp(4, 3, false, "z=nvme"));
	ck_assert_int_eq(vg_cache_diff(&a, &b, NULL, NULL, &l), 0);
	expect(&l, "1:REM:x: 3:ADD:w: 4:UNBIND:z:vfio-pci 4:BIND:z:nvme "
		   "4:VIA::");
	vg_synth_list_free(&l);
	/* only the ids asked for; tombstones are absent groups */
	vg_cache_put_absent(&a, 3, 2);
	vg_cache_put_absent(&a, 5, 2);
	ck_assert_int_eq(vg_cache_diff(&a, &b, not_four, NULL, &l), 0);
	expect(&l, "1:REM:x: 3:ADD:w:");
	vg_synth_list_free(&l);
	vg_cache_clear(&a);
	vg_cache_clear(&b);
}
END_TEST

START_TEST(refcounts)
{
	struct vfiogroup_group *g = grp(1, 1, true, "x");

	ck_assert_ptr_eq(vfiogroup_group_ref(g), g);
	ck_assert_ptr_null(vfiogroup_group_unref(g));
	ck_assert_str_eq(vfiogroup_device_name(vfiogroup_group_device(g, 0)),
			 "x");
	vfiogroup_group_unref(g);
	ck_assert_ptr_null(vfiogroup_group_ref(NULL));
	ck_assert_ptr_null(vfiogroup_group_unref(NULL));
}
END_TEST

START_TEST(strerror_texts)
{
	ck_assert_ptr_nonnull(strstr(vfiogroup_strerror(-ENOENT),
				     "modprobe vfiogroup"));
	ck_assert_str_eq(vfiogroup_strerror(-ETIMEDOUT), "timed out");
	ck_assert_str_eq(vfiogroup_strerror(-EHOSTDOWN), "Host is down");
	ck_assert_str_eq(vfiogroup_strerror(-100000), "unknown error");
	ck_assert_str_eq(vfiogroup_version(), PACKAGE_VERSION);
}
END_TEST

/* put_take hands back what it replaces or removes; add_device grows. */
START_TEST(put_take_and_growth)
{
	struct vg_cache c;
	struct vfiogroup_group *a = grp(3, 1, true, "x"), *b, *old, *g;
	struct vfiogroup_device d = { .viable = true, .vfio = true };

	vg_cache_init(&c);
	ck_assert_int_eq(vg_cache_put_take(&c, vfiogroup_group_ref(a), &old), 0);
	ck_assert_ptr_null(old);
	b = grp(3, 2, true, "x y");
	ck_assert_int_eq(vg_cache_put_take(&c, b, &old), 0);
	ck_assert_ptr_eq(old, a);
	ck_assert(!vg_group_sole(a));	/* the cache's, handed back, and ours */
	vfiogroup_group_unref(old);
	ck_assert(vg_group_sole(a));
	/* a group with no device removes the entry, handed back */
	ck_assert_int_eq(vg_cache_put_take(&c, grp(3, 3, true, ""), &old), 0);
	ck_assert_ptr_eq(old, b);
	ck_assert_ptr_null(vg_cache_find(&c, 3));
	vfiogroup_group_unref(old);
	vfiogroup_group_unref(a);
	vg_cache_clear(&c);

	/* room for one in the block, then an array of its own */
	g = vg_group_alloc(12, 1);
	for (int i = 0; i < 4; i++) {
		snprintf(d.name, sizeof(d.name), "d%d", i);
		ck_assert_int_eq(vg_group_add_device(g, &d), 0);
	}
	ck_assert_uint_eq(g->ndev, 4);
	ck_assert_ptr_ne(g->dev, g->devs);
	ck_assert_str_eq(g->dev[0].name, "d0");
	ck_assert_str_eq(g->dev[3].name, "d3");
	ck_assert_str_eq(vfiogroup_group_node(g), "/dev/vfio/12");
	/* not renewed into: its devices are not in the block any more */
	ck_assert_ptr_null(vg_group_renew(g, 1));
	vfiogroup_group_unref(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_test(tc, put_find_remove);
	tcase_add_test(tc, find_dense_and_sparse);
	tcase_add_test(tc, group_diff_order);
	tcase_add_test(tc, group_appears_vanishes);
	tcase_add_test(tc, cache_diff_merge);
	tcase_add_test(tc, refcounts);
	tcase_add_test(tc, put_take_and_growth);
	tcase_add_test(tc, strerror_texts);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
