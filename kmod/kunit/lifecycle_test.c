// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of vfiogroup's group lifecycle: create, lookup and put,
 * the notifier callback in both fringe windows, callbacks racing the final
 * put, and the membership change seen on the group's own IOMMU notifier
 * chain that must never release the group (the seed's deadlock); and the
 * bind/unbind/probe logic with the state each notification carries, a
 * failed probe, and a device deleted while still bound.
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
#include "../buses.c"
#include "../bus_notifier.c"

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/kthread.h>

#define VG_TEST_MAX_EVENTS	64

/* Each event, and the state its notification would carry. */
static struct {
	u32 kind;
	u64 seq;
	unsigned int group;
	char driver[VFIOGROUP_NAME_MAX];	/* the event's driver attribute */
	bool viable;				/* the group's */
	bool ready;				/* the group's */
	unsigned int ndev;
	/* the event's device in the group's state, if it is listed */
	bool dev_listed;
	bool dev_viable;
	char dev_driver[VFIOGROUP_NAME_MAX];
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
		typeof(vg_test_events[0]) *rec = &vg_test_events[vg_test_nevents];
		const struct vg_device *vdev;

		memset(rec, 0, sizeof(*rec));
		rec->kind = ev->kind;
		rec->seq = ev->seq;
		rec->group = group->id;
		rec->viable = vg_group_viable(group);
		rec->ready = vg_group_ready(group);
		if (ev->driver)
			strscpy(rec->driver, ev->driver, sizeof(rec->driver));
		list_for_each_entry(vdev, &group->devices, node) {
			rec->ndev++;
			if (!ev->dev_name ||
			    strcmp(dev_name(vdev->dev), ev->dev_name))
				continue;
			rec->dev_listed = true;
			rec->dev_viable = !vg_device_blocks(vdev);
			if (vdev->driver)
				strscpy(rec->dev_driver, vdev->driver->name,
					sizeof(rec->dev_driver));
		}
	}
	vg_test_nevents++;
	return 0;
}

/* Everything is "sent" as it is recorded. */
void vg_nl_deliver(void)
{
}

void vg_nl_lost(void)
{
	lockdep_assert_held(&vg_lock);
	vg_test_nlost++;
}

struct vg_test_ctx {
	bool state;		/* vg_state_init() succeeded */
	struct iommu_group *iommu_group;
	struct device *dev[2];
};

/* Whether @dev is tracked, in whatever group. */
static bool vg_device_tracked(struct device *dev)
{
	bool tracked;

	mutex_lock(&vg_lock);
	tracked = vg_device_find(dev);
	mutex_unlock(&vg_lock);
	return tracked;
}

static int vg_test_init(struct kunit *test)
{
	struct vg_test_ctx *ctx;
	struct device *dev;
	int i;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, ctx);
	/* The exit handler undoes whatever part of this succeeded. */
	test->priv = ctx;
	KUNIT_ASSERT_EQ(test, 0, vg_state_init());
	ctx->state = true;
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

	if (!ctx || !ctx->state)
		return;
	/* Whatever a failed test left tracked goes, as at module exit. */
	vg_teardown();
	vg_state_exit();
	for (i = 0; i < ARRAY_SIZE(ctx->dev); i++) {
		if (!ctx->dev[i])
			continue;
		ctx->dev[i]->driver = NULL;	/* a test's pretend driver */
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
 * A driver that keeps the group from being viable on every kernel: from
 * 5.19 any driver of a device on a bus without driver_managed_dma (a root
 * device has no bus), up to 5.18 any driver VFIO does not know.
 */
static struct device_driver vg_test_host_drv = { .name = "vg-kunit-host" };

/*
 * Fringe window one: a group whose notifier is registered but which is not
 * listed yet.  Its callback must find nothing, change nothing, say nothing,
 * even for a device that another, listed group tracks (a lookup beyond the
 * group's own list would find it there); the same call through the listed
 * group does change it, so the test sees the difference.
 */
static void vg_test_callback_before_listing(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct vg_group *group, *listed;
	unsigned int nev;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(ctx->dev[0]));
	listed = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, listed);
	nev = vg_test_nevents;

	group = kunit_kzalloc(test, sizeof(*group), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	kref_init(&group->kref);
	INIT_LIST_HEAD(&group->devices);
	group->iommu_group = ctx->iommu_group;
	group->viable = true;
	KUNIT_ASSERT_EQ(test, 0, vg_group_notifier_register(group));

	vg_sync_driver(group, ctx->dev[0], &vg_test_host_drv);
	KUNIT_EXPECT_TRUE(test, list_empty(&group->devices));
	KUNIT_EXPECT_EQ(test, group->users, 0U);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, nev);
	KUNIT_EXPECT_EQ(test, listed->users, 0U);

	vg_group_notifier_unregister(group);

	/* the control: through its own group the device does change */
	vg_sync_driver(listed, ctx->dev[0], &vg_test_host_drv);
	KUNIT_EXPECT_GT(test, vg_test_nevents, nev);
	vg_sync_driver(listed, ctx->dev[0], NULL);
	vg_untrack_device(ctx->dev[0]);
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

/* What the bus notifier sees: the driver core's calls, in its order. */
static void vg_test_bus(struct device *dev, unsigned long action)
{
	vg_bus_notify(NULL, action, dev);
}

/* 5.10's KUNIT_EXPECT_STREQ copies its arguments with typeof(): no arrays. */
#define VG_EXPECT_STR(test, a, b)					\
	KUNIT_EXPECT_STREQ(test, (const char *)(a), (const char *)(b))

static void vg_expect_event(struct kunit *test, unsigned int i, u32 kind,
			    bool viable)
{
	KUNIT_EXPECT_EQ(test, vg_test_events[i].kind, kind);
	KUNIT_EXPECT_EQ(test, vg_test_events[i].viable, viable);
}

/* The same, with the readiness the notification carries. */
static void vg_expect_event_r(struct kunit *test, unsigned int i, u32 kind,
			      bool viable, bool ready)
{
	vg_expect_event(test, i, kind, viable);
	KUNIT_EXPECT_EQ(test, vg_test_events[i].ready, ready);
}

/*
 * A probe, a bind and an unbind, with the state each notification carries:
 * viability drops when the probe starts (the bus claims DMA ownership
 * before probe), the bound device names its driver, and the unbound
 * notification already shows the device without a driver while its event
 * still names the driver that left.
 */
static void vg_test_bind_unbind_states(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct device *dev = ctx->dev[0];
	struct vg_group *group;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(dev));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);

	dev->driver = &vg_test_host_drv;	/* as really_probe() does */
	vg_test_bus(dev, BUS_NOTIFY_BIND_DRIVER);
	KUNIT_EXPECT_EQ(test, group->users, 1U);
	vg_test_bus(dev, BUS_NOTIFY_BIND_DRIVER);	/* a re-probe */
	KUNIT_EXPECT_EQ(test, group->users, 1U);
	vg_sync_driver(NULL, dev, &vg_test_host_drv);	/* BOUND */
	KUNIT_EXPECT_EQ(test, group->users, 1U);
	dev->driver = NULL;
	vg_sync_driver(NULL, dev, NULL);		/* UNBOUND */
	KUNIT_EXPECT_EQ(test, group->users, 0U);

	KUNIT_ASSERT_EQ(test, vg_test_nevents, 5U);
	vg_expect_event(test, 0, VFIOGROUP_EVENT_DEVICE_ADDED, true);
	KUNIT_EXPECT_TRUE(test, vg_test_events[0].dev_listed);
	VG_EXPECT_STR(test, vg_test_events[0].dev_driver, "");

	/* the probe: nobody is bound yet, but the group is not viable */
	vg_expect_event(test, 1, VFIOGROUP_EVENT_VIABILITY_CHANGED, false);

	vg_expect_event(test, 2, VFIOGROUP_EVENT_DRIVER_BOUND, false);
	VG_EXPECT_STR(test, vg_test_events[2].driver, "vg-kunit-host");
	VG_EXPECT_STR(test, vg_test_events[2].dev_driver, "vg-kunit-host");
	KUNIT_EXPECT_FALSE(test, vg_test_events[2].dev_viable);

	/* viability changes only with its own event, which follows */
	vg_expect_event(test, 3, VFIOGROUP_EVENT_DRIVER_UNBOUND, false);
	VG_EXPECT_STR(test, vg_test_events[3].driver, "vg-kunit-host");
	KUNIT_EXPECT_TRUE(test, vg_test_events[3].dev_listed);
	VG_EXPECT_STR(test, vg_test_events[3].dev_driver, "");
	KUNIT_EXPECT_TRUE(test, vg_test_events[3].dev_viable);

	vg_expect_event(test, 4, VFIOGROUP_EVENT_VIABILITY_CHANGED, true);
	for (i = 1; i < 5; i++)
		KUNIT_EXPECT_EQ(test, vg_test_events[i].seq,
				vg_test_events[i - 1].seq + 1);
}

/* A failed probe ends its claim and leaves no driver behind. */
static void vg_test_failed_probe(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct device *dev = ctx->dev[0];
	struct vg_group *group;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(dev));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);

	dev->driver = &vg_test_host_drv;
	vg_test_bus(dev, BUS_NOTIFY_BIND_DRIVER);
	KUNIT_EXPECT_FALSE(test, group->viable);
	/* dev->driver still names the failed driver here */
	vg_test_bus(dev, BUS_NOTIFY_DRIVER_NOT_BOUND);
	dev->driver = NULL;
	KUNIT_EXPECT_TRUE(test, group->viable);
	KUNIT_EXPECT_EQ(test, group->users, 0U);

	KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);
	vg_expect_event(test, 1, VFIOGROUP_EVENT_VIABILITY_CHANGED, false);
	vg_expect_event(test, 2, VFIOGROUP_EVENT_VIABILITY_CHANGED, true);

	/* A probe of a device we do not follow changes nothing. */
	dev = ctx->dev[1];
	dev->driver = &vg_test_host_drv;
	vg_test_bus(dev, BUS_NOTIFY_BIND_DRIVER);
	vg_test_bus(dev, BUS_NOTIFY_DRIVER_NOT_BOUND);
	dev->driver = NULL;
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 3U);
	KUNIT_EXPECT_TRUE(test, group->viable);
}

/*
 * device_del() sends DEL_DEVICE before it unbinds the driver: the device is
 * untracked once, announced removed with its driver, and the unbind that
 * follows (from the bus notifier or, up to 5.18, the group's) neither
 * brings it back nor says anything.  The group's last reference goes with
 * the device.
 */
static void vg_test_deleted_while_bound(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct device *dev = ctx->dev[0];

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(dev));
	dev->driver = &vg_test_host_drv;
	vg_sync_driver(NULL, dev, &vg_test_host_drv);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);	/* added, bound, viab. */

	vg_test_bus(dev, BUS_NOTIFY_DEL_DEVICE);
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 4U);
	KUNIT_EXPECT_EQ(test, vg_test_events[3].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_REMOVED);
	VG_EXPECT_STR(test, vg_test_events[3].driver, "vg-kunit-host");
	KUNIT_EXPECT_EQ(test, vg_test_events[3].ndev, 0U);

	dev->driver = NULL;
	vg_test_bus(dev, BUS_NOTIFY_UNBIND_DRIVER);
	vg_test_bus(dev, BUS_NOTIFY_UNBOUND_DRIVER);
	vg_sync_driver(NULL, dev, NULL);
	vg_test_bus(dev, BUS_NOTIFY_REMOVED_DEVICE);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 4U);
	KUNIT_EXPECT_FALSE(test, vg_device_tracked(dev));
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
}

/*
 * No-IOMMU: VFIO gives a device a group of its own making when vfio-pci
 * binds and takes it away when it unbinds, with no bus add or remove.  The
 * device is followed into the group at the bind and out of it at the
 * unbind: never left in a group it is no longer in.
 */
static void vg_test_group_given_at_bind(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct device *dev = ctx->dev[1];	/* in no group yet */
	unsigned int n;

	KUNIT_ASSERT_EQ(test, 0, vg_track_device(dev));
	KUNIT_EXPECT_FALSE(test, vg_device_tracked(dev));

	/* the driver's probe puts it into a group, then it is bound */
	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(ctx->iommu_group,
							dev));
	dev->driver = &vg_test_host_drv;
	vg_test_bus(dev, BUS_NOTIFY_BOUND_DRIVER);
	KUNIT_EXPECT_TRUE(test, vg_device_tracked(dev));
	KUNIT_ASSERT_GE(test, vg_test_nevents, 2U);
	KUNIT_EXPECT_EQ(test, vg_test_events[0].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_ADDED);
	KUNIT_EXPECT_EQ(test, vg_test_events[1].kind,
			(u32)VFIOGROUP_EVENT_DRIVER_BOUND);

	/* its remove() takes it out of the group before UNBOUND_DRIVER */
	iommu_group_remove_device(dev);
	dev->driver = NULL;
	vg_test_bus(dev, BUS_NOTIFY_UNBOUND_DRIVER);
	KUNIT_EXPECT_FALSE(test, vg_device_tracked(dev));
	KUNIT_EXPECT_PTR_EQ(test, vg_test_group(ctx), (struct vg_group *)NULL);
	n = vg_test_nevents;
	KUNIT_ASSERT_GE(test, n, 4U);
	KUNIT_EXPECT_EQ(test, vg_test_events[n - 1].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_REMOVED);
	KUNIT_EXPECT_EQ(test, vg_test_events[n - 1].ndev, 0U);
}

/*
 * A driver with "vfio" in its name: up to 6.0 that is how the module knows
 * a device is registered with VFIO, and up to 5.18 such a driver leaves
 * the group viable (viability.c).  From 6.1 registration is VFIO's vfio-dev
 * child device, which a root device here never has; from 5.19 a root
 * device (no bus, no driver_managed_dma) blocks whatever its driver.
 */
static struct device_driver vg_test_vfio_drv = { .name = "vg-kunit-vfio" };

#ifdef HAVE_VFIO_DEVICE_CLASS
#define VG_TEST_VFIO_BY_NAME	0
#else
#define VG_TEST_VFIO_BY_NAME	1
#endif
#if VG_TEST_VFIO_BY_NAME && !defined(HAVE_DRIVER_MANAGED_DMA)
#define VG_TEST_NAME_RULES	1
#else
#define VG_TEST_NAME_RULES	0
#endif

/*
 * Readiness and its ready-changed, in the order its causes give: after the
 * driver-bound of a VFIO driver, after the viability-changed that a host
 * driver's probe of another device in the group brings (both before that
 * driver-bound), after the viability-changed of its unbind, after the
 * driver-unbound of the VFIO driver.  Each notification carries the
 * readiness announced so far.  Where the module goes by names (up to 5.18)
 * the whole sequence runs; elsewhere a "vfio" driver of a root device is
 * neither registered (6.1+) nor harmless (5.19+): no ready-changed at all.
 */
static void vg_test_ready_order(struct kunit *test)
{
	struct vg_test_ctx *ctx = test->priv;
	struct device *d0 = ctx->dev[0], *d1 = ctx->dev[1];
	struct vg_device *vdev;
	struct vg_group *group;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, 0, iommu_group_add_device(ctx->iommu_group, d1));
	KUNIT_ASSERT_EQ(test, 0, vg_track_device(d0));
	KUNIT_ASSERT_EQ(test, 0, vg_track_device(d1));
	group = vg_test_group(ctx);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 2U);
	KUNIT_EXPECT_FALSE(test, group->ready);

	/* d0 probed and bound by the VFIO driver */
	d0->driver = &vg_test_vfio_drv;
	vg_test_bus(d0, BUS_NOTIFY_BIND_DRIVER);
	vg_sync_driver(NULL, d0, &vg_test_vfio_drv);
	mutex_lock(&vg_lock);
	vdev = vg_device_find(d0);
	KUNIT_EXPECT_TRUE(test, vdev && vdev->vfio == VG_TEST_VFIO_BY_NAME);
	mutex_unlock(&vg_lock);
	if (!VG_TEST_NAME_RULES) {
		/* blocked at the probe, bound, unbound, viable again */
		d0->driver = NULL;
		vg_sync_driver(NULL, d0, NULL);
		KUNIT_ASSERT_EQ(test, vg_test_nevents, 6U);
		vg_expect_event_r(test, 2, VFIOGROUP_EVENT_VIABILITY_CHANGED, false, false);
		vg_expect_event_r(test, 3, VFIOGROUP_EVENT_DRIVER_BOUND, false, false);
		vg_expect_event_r(test, 4, VFIOGROUP_EVENT_DRIVER_UNBOUND, false, false);
		vg_expect_event_r(test, 5, VFIOGROUP_EVENT_VIABILITY_CHANGED, true, false);
		KUNIT_EXPECT_FALSE(test, group->ready);
		return;
	}
	KUNIT_EXPECT_TRUE(test, group->viable);
	KUNIT_EXPECT_TRUE(test, group->ready);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 4U);
	vg_expect_event_r(test, 2, VFIOGROUP_EVENT_DRIVER_BOUND, true, false);
	VG_EXPECT_STR(test, vg_test_events[2].dev_driver, "vg-kunit-vfio");
	vg_expect_event_r(test, 3, VFIOGROUP_EVENT_READY_CHANGED, true, true);

	/* d1 probed by a host driver: not viable, then not ready, then bound */
	d1->driver = &vg_test_host_drv;
	vg_test_bus(d1, BUS_NOTIFY_BIND_DRIVER);
	vg_sync_driver(NULL, d1, &vg_test_host_drv);
	KUNIT_EXPECT_FALSE(test, group->viable);
	KUNIT_EXPECT_FALSE(test, group->ready);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 7U);
	vg_expect_event_r(test, 4, VFIOGROUP_EVENT_VIABILITY_CHANGED, false, true);
	vg_expect_event_r(test, 5, VFIOGROUP_EVENT_READY_CHANGED, false, false);
	vg_expect_event_r(test, 6, VFIOGROUP_EVENT_DRIVER_BOUND, false, false);

	/* the host driver unbound: driver-unbound, viable, ready */
	d1->driver = NULL;
	vg_sync_driver(NULL, d1, NULL);
	KUNIT_EXPECT_TRUE(test, group->ready);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 10U);
	vg_expect_event_r(test, 7, VFIOGROUP_EVENT_DRIVER_UNBOUND, false, false);
	vg_expect_event_r(test, 8, VFIOGROUP_EVENT_VIABILITY_CHANGED, true, false);
	vg_expect_event_r(test, 9, VFIOGROUP_EVENT_READY_CHANGED, true, true);

	/* the VFIO driver unbound: driver-unbound, not ready */
	d0->driver = NULL;
	vg_sync_driver(NULL, d0, NULL);
	KUNIT_EXPECT_FALSE(test, group->ready);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 12U);
	vg_expect_event_r(test, 10, VFIOGROUP_EVENT_DRIVER_UNBOUND, true, true);
	vg_expect_event_r(test, 11, VFIOGROUP_EVENT_READY_CHANGED, true, false);
	for (i = 1; i < 12; i++)
		KUNIT_EXPECT_EQ(test, vg_test_events[i].seq,
				vg_test_events[i - 1].seq + 1);
}

static struct kunit_case vg_lifecycle_cases[] = {
	KUNIT_CASE(vg_test_track_untrack),
	KUNIT_CASE(vg_test_lost_event),
	KUNIT_CASE(vg_test_two_devices_one_group),
	KUNIT_CASE(vg_test_callback_before_listing),
	KUNIT_CASE(vg_test_callbacks_race_final_put),
	KUNIT_CASE(vg_test_no_release_from_group_callback),
	KUNIT_CASE(vg_test_bind_unbind_states),
	KUNIT_CASE(vg_test_failed_probe),
	KUNIT_CASE(vg_test_deleted_while_bound),
	KUNIT_CASE(vg_test_group_given_at_bind),
	KUNIT_CASE(vg_test_ready_order),
	{}
};

static struct kunit_suite vg_lifecycle_suite = {
	.name = "vfiogroup-lifecycle",
	.init = vg_test_init,
	.exit = vg_test_exit,
	.test_cases = vg_lifecycle_cases,
};

#include "bus_test.c"

kunit_test_suites(&vg_lifecycle_suite, &vg_bus_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of vfiogroup's group lifecycle");
