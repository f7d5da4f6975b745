// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: every oracle compared with the reference, for every group, after
 * each step -- dump, get, cache, find-device, callback, filtered, vfio,
 * ready, in-use.
 */
#include "walk.h"

/*
 * After each step's barrier every group (not only the one touched) is
 * compared, as a whole (device set; each device's bus, driver or none,
 * viable flag, whether it is registered with VFIO and its vfioX; the
 * group's viable and ready flags and whether its node /dev/vfio/N
 * exists), against the reference:
 *
 *   reference  sysfs: the entries of /sys/kernel/iommu_groups/N/devices,
 *              their driver and subsystem links; viability by the rule (a
 *              group is viable iff no device in it is bound to a driver
 *              other than vfio-pci, pci-stub or pcieport; a device is
 *              viable iff it has no driver or one of those; on <= 5.18
 *              VFIO's own rule, "no driver, a bridge, pci-stub or a VFIO
 *              driver", says the same for these devices), except that
 *              wherever /dev/vfio/N exists the group's flag is
 *              VFIO_GROUP_GET_STATUS's (the ioctl needs no container);
 *              registered with VFIO: from 6.1 a vfio-dev/vfioX child in
 *              sysfs, before a driver with "vfio" in its name; ready:
 *              VFIO_GROUP_GET_STATUS viable where /dev/vfio/N exists,
 *              else 0 (and the rule, viable with a device registered
 *              with VFIO, must agree: "ready-rule-vs-vfio"); up to 5.15,
 *              where VFIO may put a group from a workqueue, a node left
 *              with no device registered counts as gone
 *   dump       a raw group-get dump (libnl, no library)
 *   get        a raw group-get do per group id (ENOENT for a group that
 *              existed once and is gone)
 *   cache      A: vfiogroup_group_ids() as a set, vfiogroup_get_group()
 *              per id, vfiogroup_find_device() per device (ENOENT for a
 *              removed one)
 *   callback   the ev->group of A's last callback per group (a raw dump at
 *              start for groups without events; a group whose last event
 *              left it without devices is gone)
 *   filtered   B's cache for its groups
 *   vfio       VFIO_GROUP_GET_STATUS against the module's viable flag
 *              (and against the rule); the module's ready flag against
 *              "VFIO viable and /dev/vfio/N exists" ("ready-vs-vfio")
 *   in-use     every raw reply carries group-in-use=0 from 5.19 (nobody
 *              holds a group during the walk), none before
 *
 * The module oracles also carry seqs: each must equal the dump's seq of
 * the group.
 */

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint32_t ever[MAXG];
static unsigned never;

static void note_id(uint32_t id)
{
	for (unsigned i = 0; i < never; i++)
		if (ever[i] == id)
			return;
	if (never < MAXG)
		ever[never++] = id;
}

char removed_names[MAXW][NAMEL];
int nremoved_names;

/* Every oracle against the reference, for every group. */
/* Where the comparisons' time goes (us): sysfs, dump, VFIO, gets; all */
int64_t t_phase[5];

void compare_all(const char *where)
{
	static struct world ref, dump;
	struct gst g;
	uint32_t *ids = NULL;
	int nids, r;
	int64_t t = now_us(), t0 = t, t1;

	new_round();
	if (sysfs_world(&ref)) {
		diag("walk: %s: cannot read /sys/kernel/iommu_groups", where);
		mismatches[O_DUMP]++;
		return;
	}
	t1 = now_us();
	t_phase[0] += t1 - t;
	r = raw_dump(&dump);
	t = now_us();
	t_phase[1] += t - t1;
	if (r) {
		diag("walk: %s: raw dump: %s", where, strerror(-r));
		mismatches[O_DUMP]++;
	}
	/*
	 * Viability where VFIO can tell; readiness everywhere: VFIO's
	 * viability where /dev/vfio/N exists, else 0.  Both replace the
	 * rule's in the reference, each disagreement of the rule counted.
	 */
	for (unsigned i = 0; i < ref.n; i++) {
		struct gst *x = &ref.g[i];
		const struct gst *m = world_find(&dump, x->id);
		int64_t tv = now_us();
		int v = vfio_status(x->id), vr;
		char extra[160];

		t_phase[2] += now_us() - tv;
		note_id(x->id);
		vr = v == -ENOENT || v == -ENODEV ? 0 : v;
		/* up to 5.15 the node outlives the last registration a moment */
		if (k_deferred_put && vr > 0 && !world_any_vfio(x))
			vr = 0;
		if (vr >= 0) {
			comparisons[O_READY_VFIO]++;
			comparisons[O_RULE_READY]++;
			ready_checks++;
			if (x->ready != vr) {
				snprintf(extra, sizeof(extra), "VFIO: viable=%d and /dev/vfio/%u %s; "
					 "the rule's ready %d", v > 0, x->id,
					 v >= 0 ? "exists" : "does not exist", x->ready);
				mismatch(O_RULE_READY, where, x->id, x, x, extra);
				x->ready = vr;
			}
			if (!m || m->ready != vr) {
				snprintf(extra, sizeof(extra), "VFIO: viable=%d and /dev/vfio/%u %s; "
					 "the module's ready %d", v > 0, x->id,
					 v >= 0 ? "exists" : "does not exist", m ? m->ready : -1);
				mismatch(O_READY_VFIO, where, x->id, x, m, extra);
			}
		}
		if (v == -ENOENT || v == -ENODEV)
			continue;
		if (v < 0) {
			diag("walk: %s: /dev/vfio/%u: %s", where, x->id, strerror(-v));
			continue;
		}
		vfio_checks++;
		comparisons[O_VFIO]++;
		comparisons[O_RULE_VFIO]++;
		if (x->viable != v) {
			snprintf(extra, sizeof(extra), "VFIO_GROUP_GET_STATUS viable=%d, the rule %d",
				 v, x->viable);
			mismatch(O_RULE_VFIO, where, x->id, x, x, extra);
			x->viable = v;
		}
		if (!m || m->viable != v) {
			snprintf(extra, sizeof(extra), "VFIO_GROUP_GET_STATUS viable=%d, the module %d",
				 v, m ? m->viable : -1);
			mismatch(O_VFIO, where, x->id, x, m, extra);
		}
	}
	for (unsigned i = 0; i < dump.n; i++)
		note_id(dump.g[i].id);

	/* every group ever seen: dump, get, cache, callback */
	for (unsigned i = 0; i < never; i++) {
		uint32_t id = ever[i];
		const struct gst *want = world_find(&ref, id), *dg = world_find(&dump, id);
		int k;

		compare(O_DUMP, where, id, want, dg, NULL);
		t1 = now_us();
		r = raw_get(id, &g);
		t_phase[3] += now_us() - t1;
		if (r && r != -ENOENT)
			diag("walk: %s: raw get %u: %s", where, id, strerror(-r));
		compare(O_GET, where, id, want, &g, dg);
		r = lib_get(ca, id, &g);
		if (r && r != -ENOENT)
			diag("walk: %s: vfiogroup_get_group(%u): %s", where, id,
			     vfiogroup_strerror(r));
		compare(O_CACHE, where, id, want, &g, dg);
		k = seen_slot(&sa, id);
		compare(O_CALLBACK, where, id, want,
			k >= 0 && sa.present[k] ? &sa.state[k] : NULL, dg);
	}
	/* the cache's set of ids */
	nids = vfiogroup_group_ids(ca, &ids);
	comparisons[O_CACHE]++;
	if (nids != (int)ref.n) {
		char extra[200];
		size_t l = (size_t)snprintf(extra, sizeof(extra), "vfiogroup_group_ids: %d ids:", nids);

		for (int i = 0; i < nids && l < sizeof(extra); i++)
			l += (size_t)snprintf(extra + l, sizeof(extra) - l, " %u", ids[i]);
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "; sysfs %u groups",
			 ref.n);
		mismatch(O_CACHE, where, 0, NULL, NULL, extra);
	} else {
		for (int i = 0; i < nids; i++)
			if (ids[i] != ref.g[i].id) {
				mismatch(O_CACHE, where, ids[i], &ref.g[i], NULL,
					 "vfiogroup_group_ids: another id");
				break;
			}
	}
	free(ids);
	/* find_device for every device, and ENOENT for the removed ones */
	for (unsigned i = 0; i < ref.n; i++) {
		for (unsigned j = 0; j < ref.g[i].nd; j++) {
			struct vfiogroup_group *lg = NULL;
			char extra[160];

			r = vfiogroup_find_device(ca, ref.g[i].d[j].name, &lg);
			comparisons[O_FIND]++;
			if (r) {
				snprintf(extra, sizeof(extra), "find_device(%s): %s",
					 ref.g[i].d[j].name, vfiogroup_strerror(r));
				mismatch(O_FIND, where, ref.g[i].id, &ref.g[i], NULL, extra);
				continue;
			}
			lib_gst(lg, &g);
			vfiogroup_group_unref(lg);
			if (g.id != ref.g[i].id || !gst_same(&ref.g[i], &g)) {
				snprintf(extra, sizeof(extra), "find_device(%s) gave group %u",
					 ref.g[i].d[j].name, g.id);
				mismatch(O_FIND, where, ref.g[i].id, &ref.g[i], &g, extra);
			}
		}
	}
	for (int i = 0; i < nremoved_names; i++) {
		struct vfiogroup_group *lg = NULL;
		bool there = false;
		char extra[NAMEL + 160];

		for (unsigned a = 0; a < ref.n && !there; a++)
			there = gst_dev(&ref.g[a], removed_names[i]) != NULL;
		if (there)
			continue;
		comparisons[O_FIND]++;
		r = vfiogroup_find_device(ca, removed_names[i], &lg);
		if (r != -ENOENT) {
			if (!r)
				lib_gst(lg, &g);
			snprintf(extra, sizeof(extra), "find_device(%.*s) of a removed device: %.100s",
				 NAMEL - 1, removed_names[i],
				 r ? vfiogroup_strerror(r) : "found");
			mismatch(O_FIND, where, r ? 0 : g.id, NULL, r ? NULL : &g, extra);
		}
		vfiogroup_group_unref(lg);
	}
	/* context B, its groups */
	for (int i = 0; i < nfids; i++) {
		r = lib_get(cb, fids[i], &g);
		if (r && r != -ENOENT)
			diag("walk: %s: B: vfiogroup_get_group(%u): %s", where, fids[i],
			     vfiogroup_strerror(r));
		compare(O_FILTERED, where, fids[i], world_find(&ref, fids[i]), &g,
			world_find(&dump, fids[i]));
	}
	comparisons[O_IN_USE] = inuse_checks;
	mismatches[O_IN_USE] = inuse_bad;
	t_phase[4] += now_us() - t0;
}
