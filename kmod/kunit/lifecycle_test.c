// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vfiogroup's group lifecycle: create, lookup and put,
 * the notifier callback in both fringe windows, callbacks racing the final
 * put, and the membership change seen on the group's own IOMMU notifier
 * chain that must never release the group (the seed's deadlock).
 *
 * The module's files are compiled into this test module with a netlink sink
 * that records events instead of sending them, so the tests reach the
 * static functions and the real locks.  Devices are root devices put into
 * IOMMU groups allocated here, as VFIO's no-IOMMU mode does.
 */
/* First: group.c sets pr_fmt before any header does. */
#include "../group.c"
#include "../viability.c"
#include "../iommu_notifier.c"

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kthread.h>

#define VG_TEST_MAX_EVENTS	64

static struct {
	u32 kind;
	u64 seq;
	unsigned int group;
} vg_test_events[VG_TEST_MAX_EVENTS];
static unsigned int vg_test_nevents;
static unsigned int vg_test_nlost;
static bool vg_test_fail_notify;

/* The netlink sink: called under vg_lock, like the real one. */
int vg_nl_notify(const struct vg_group *group, const struct vg_event *ev)
{
	lockdep_assert_held(&vg_lock);
	if (vg_test_fail_notify)
		return -ENOMEM;
	if (vg_test_nevents < VG_TEST_MAX_EVENTS) {
		vg_test_events[vg_test_nevents].kind = ev->kind;
		vg_test_events[vg_test_nevents].seq = ev->seq;
		vg_test_events[vg_test_nevents].group = group->id;
	}
	vg_test_nevents++;
	return 0;
}

void vg_nl_lost(void)
{
	lockdep_assert_held(&vg_lock);
	vg_test_nlost++;
}

struct vg_test_ctx {
	struct iommu_group *iommu_group;
	struct device *dev[2];
};

static int vg_test_init(struct kunit *test)
{
	struct vg_test_ctx *ctx;
	struct device *dev;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx);
	/* The exit handler undoes whatever part of this succeeded. */
	test->priv = ctx;
	ctx->iommu_group = iommu_group_alloc();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx->iommu_group);
	for (i = 0; i < ARRAY_SIZE(ctx->dev); i++) {
		char name[24];

		snprintf(name, sizeof(name), "vg-kunit-%d", i);
		/*
		 * No owner: KUnit runs while the module is still coming,
		 * before its sysfs directory can take a "module" link.
		 */
		dev = __root_device_register(name, NULL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
		ctx->dev[i] = dev;
	}
	KUNIT_ASSERT_EQ(test, 0,
			iommu_group_add_device(ctx->iommu_group, ctx->dev[0]));
	mutex_lock(&vg_lock);
	vg_test_nevents = 0;
	vg_test_nlost = 0;
	vg_test_fail_notify = false;
	mutex_unlock(&vg_lock);
	return 0;
}

static void vg_test_exit(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	int i;

	if (!ctx)
		return;
	/* Whatever a failed test left tracked goes, as at module exit. */
	vg_teardown();
	for (i = 0; i < ARRAY_SIZE(ctx->dev); i++) {
		if (!ctx->dev[i])
			continue;
		iommu_group_remove_device(ctx->dev[i]);
		root_device_unregister(ctx->dev[i]);
	}
	if (!IS_ERR_OR_NULL(ctx->iommu_group))
		iommu_group_put(ctx->iommu_group);
}

static struct vg_group *vg_test_group(struct vg_test_ctx *ctx)
{
	struct vg_group *group;

	mutex_lock(&vg_lock);
	group = vg_group_find(ctx->iommu_group);
	mutex_unlock(&vg_lock);
	return group;
}

static void vg_test_track_untrack(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_EXPECT_EQ(test, group->id,
			(unsigned int)iommu_group_id(ctx->iommu_group));
	KUNIT_EXPECT_EQ(test, kref_read(&group->kref), 1U);
	KUNIT_EXPECT_EQ(test, group->users, 0U);
	KUNIT_EXPECT_TRUE(test, group->viable);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 1U);
	KUNIT_EXPECT_EQ(test, vg_test_events[0].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_ADDED);
	KUNIT_EXPECT_EQ(test, group->seq, vg_test_events[0].seq);

	/* Idempotent: a second sighting adds nothing and says nothing. */
	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	KUNIT_EXPECT_EQ(test, kref_read(&group->kref), 1U);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 1U);

	vg_untrack_device(ctx->dev[0]);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 2U);
	KUNIT_EXPECT_EQ(test, vg_test_events[1].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_REMOVED);
	KUNIT_EXPECT_EQ(test, vg_test_events[1].seq,
			vg_test_events[0].seq + 1);

	/* Untracking what is not tracked is harmless. */
	vg_untrack_device(ctx->dev[0]);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 2U);
}

/*
 * An event that cannot be sent is counted, reported to listeners as
 * ENOBUFS, and keeps its sequence number, so the gap shows; the state
 * behind it is still kept, so a resync finds the truth.
 */
static void vg_test_lost_event(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group;
	u64 dropped, lost_seq;

	mutex_lock(&vg_lock);
	dropped = vg_dropped();
	vg_test_fail_notify = true;
	mutex_unlock(&vg_lock);

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_EXPECT_FALSE(test, list_empty(&group->devices));

	mutex_lock(&vg_lock);
	vg_test_fail_notify = false;
	KUNIT_EXPECT_EQ(test, vg_dropped(), dropped + 1);
	lost_seq = group->seq;
	mutex_unlock(&vg_lock);
	KUNIT_EXPECT_EQ(test, vg_test_nlost, 1U);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 0U);

	vg_untrack_device(ctx->dev[0]);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 1U);
	/* The removal's seq is one past the lost addition's. */
	KUNIT_EXPECT_EQ(test, vg_test_events[0].seq, lost_seq + 1);
	KUNIT_EXPECT_EQ(test, vg_test_nlost, 1U);
}

static void vg_test_two_devices_one_group(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group;

	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(ctx->iommu_group,
							ctx->dev[1]));
	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[1]));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_EXPECT_EQ(test, kref_read(&group->kref), 2U);

	vg_untrack_device(ctx->dev[0]);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), group);
	KUNIT_EXPECT_EQ(test, kref_read(&group->kref), 1U);
	vg_untrack_device(ctx->dev[1]);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
}

/*
 * Fringe window one: a group whose notifier is registered but which is not
 * listed yet.  Its callback must find nothing, change nothing, say nothing.
 */
static void vg_test_callback_before_listing(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group;

	group = kunit_kzalloc(test, sizeof(*group), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	kref_init(&group->kref);
	INIT_LIST_HEAD(&group->devices);
	group->iommu_group = ctx->iommu_group;
	group->viable = true;
	KUNIT_ASSERT_EQ(test, 0, vg_group_notifier_register(group));

	vg_sync_driver(group, ctx->dev[0], NULL);
	KUNIT_EXPECT_TRUE(test, list_empty(&group->devices));
	KUNIT_EXPECT_EQ(test, group->users, 0U);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 0U);

	vg_group_notifier_unregister(group);
}

struct vg_test_racer {
	struct iommu_group *iommu_group;
	struct device *dev;
	atomic_t stop;
	unsigned long calls;
};

/* What a bus notifier does on a bind: look the device up, sync it. */
static int vg_test_sync_racer(void *data)
{
	struct vg_test_racer *r = data;

	while (!atomic_read(&r->stop)) {
		vg_sync_driver(NULL, r->dev, NULL);
		r->calls++;
		cond_resched();
	}
	return 0;
}

/*
 * Membership churn in the same IOMMU group: where the per-group notifier
 * exists, every add and remove runs our callback on the group's chain,
 * under the rwsem that creation and release register and unregister on.
 */
static int vg_test_chain_racer(void *data)
{
	struct vg_test_racer *r = data;

	while (!atomic_read(&r->stop)) {
		if (!iommu_group_add_device(r->iommu_group, r->dev)) {
			iommu_group_remove_device(r->dev);
			r->calls++;
		}
		cond_resched();
	}
	return 0;
}

static struct task_struct *vg_test_start(struct kunit *test,
					 int (*fn)(void *),
					 struct vg_test_racer *r)
{
	struct task_struct *task;

	atomic_set(&r->stop, 0);
	task = kthread_run(fn, r, "vg-kunit-racer");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);
	return task;
}

static void vg_test_stop(struct task_struct *task, struct vg_test_racer *r)
{
	atomic_set(&r->stop, 1);
	kthread_stop(task);
	put_task_struct(task);
}

/*
 * Fringe window two, and the final put under load: callbacks keep running
 * while the group is created and released again and again.  Lockdep and
 * KASAN watch the lock order and the lifetime.
 */
static void vg_test_callbacks_race_final_put(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_test_racer sync = { .dev = ctx->dev[0] };
	struct vg_test_racer chain = {
		.iommu_group = ctx->iommu_group,
		.dev = ctx->dev[1],
	};
	struct task_struct *sync_task, *chain_task;
	int i, ret = 0;

	sync_task = vg_test_start(test, vg_test_sync_racer, &sync);
	chain_task = vg_test_start(test, vg_test_chain_racer, &chain);
	for (i = 0; i < 200 && !ret; i++) {
		ret = vg_track_device(ctx->dev[0]);
		vg_untrack_device(ctx->dev[0]);
	}
	vg_test_stop(chain_task, &chain);
	vg_test_stop(sync_task, &sync);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 400U);
	kunit_info(test, "%lu syncs and %lu chain add/removes raced 200 creations and releases\n",
		   sync.calls, chain.calls);
}

/*
 * The seed's deadlock: the last group reference dropped from inside the
 * group's own notifier callback, whose rwsem unregistering needs for write.
 * Here the IOMMU core removes the group's only tracked device: on kernels
 * with the per-group notifier that runs our callback with DEL_DEVICE.  The
 * callback must leave membership (and so the reference) alone; the group
 * goes only when the bus notifier's path untracks the device afterwards.
 */
static void vg_test_no_release_from_group_callback(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);

	iommu_group_remove_device(ctx->dev[0]);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), group);
	KUNIT_EXPECT_EQ(test, kref_read(&group->kref), 1U);
	KUNIT_EXPECT_FALSE(test, list_empty(&group->devices));

	vg_untrack_device(ctx->dev[0]);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
}

static struct kunit_case vg_lifecycle_cases[] = {
	KUNIT_CASE(vg_test_track_untrack),
	KUNIT_CASE(vg_test_lost_event),
	KUNIT_CASE(vg_test_two_devices_one_group),
	KUNIT_CASE(vg_test_callback_before_listing),
	KUNIT_CASE(vg_test_callbacks_race_final_put),
	KUNIT_CASE(vg_test_no_release_from_group_callback),
	{}
};

static struct kunit_suite vg_lifecycle_suite = {
	.name = "vfiogroup-lifecycle",
	.init = vg_test_init,
	.exit = vg_test_exit,
	.test_cases = vg_lifecycle_cases,
};

kunit_test_suites(&vg_lifecycle_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of vfiogroup's group lifecycle");
