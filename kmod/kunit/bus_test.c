// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the buses we follow, on a bus of the test's own that plays
 * a non-PCI bus of the IOMMU core's list: followed the way buses.c follows
 * the kernel's, its devices added, bound, unbound and deleted by the real
 * driver core.  Its notifier (ahead of ours, as the IOMMU core's is) puts
 * every new device into an IOMMU group; from 5.19 its dma_configure() is
 * platform's, which claims the group's DMA, so the IOMMU core's own count
 * of DMA owners is the oracle for viability, as it is VFIO's.
 *
 * Included by lifecycle_test.c: it shares that file's event sink.
 */

/* A platform driver struct: the bus borrows platform's DMA claim. */
struct vg_tb_driver {
	struct platform_driver pdrv;
	int probe_ret;
	bool registered;
};

#define to_vg_tb_driver(drv) \
	container_of(to_platform_driver(drv), struct vg_tb_driver, pdrv)

static struct iommu_group *vg_tb_group;
static struct device *vg_tb_dev;	/* the one device of the bus */

static int vg_tb_match(struct device *dev, struct device_driver *drv)
{
	return 1;
}

static int vg_tb_probe(struct device *dev)
{
	return to_vg_tb_driver(dev->driver)->probe_ret;
}

static bool vg_tb_managed_dma(struct device_driver *drv)
{
	return vg_driver_managed_dma(to_platform_driver(drv));
}

#ifdef HAVE_DRIVER_MANAGED_DMA
/*
 * The claim itself is platform's dma_configure() and dma_cleanup(), taken
 * as they are: with no firmware node they do nothing but claim (unless
 * driver_managed_dma) and release.
 */
static int vg_tb_dma_configure(struct device *dev)
{
	return platform_bus_type.dma_configure(dev);
}

static void vg_tb_dma_cleanup(struct device *dev)
{
	platform_bus_type.dma_cleanup(dev);
}

#define VG_TB_DMA_OPS	.dma_configure = vg_tb_dma_configure, \
			.dma_cleanup = vg_tb_dma_cleanup,

/* What VFIO_GROUP_GET_STATUS would say, from the IOMMU core's count. */
static bool vg_tb_kernel_viable(void)
{
	return !iommu_group_dma_owner_claimed(vg_tb_group);
}

#define VG_TB_MANAGED_DMA	.pdrv.driver_managed_dma = true,

#else
/*
 * Up to 5.18 nothing claims; VFIO asks whether each bound driver is one of
 * its own, which a module cannot see: viability.c's documented stand-in,
 * a "vfio" in the driver's name, is what the tests expect there.
 */
static int vg_tb_vfio_rule(struct device *dev, void *data)
{
	struct device_driver *drv = READ_ONCE(dev->driver);

	if (drv && !strstr(drv->name, "vfio"))
		*(bool *)data = false;
	return 0;
}

static bool vg_tb_kernel_viable(void)
{
	bool viable = true;

	iommu_group_for_each_dev(vg_tb_group, &viable, vg_tb_vfio_rule);
	return viable;
}

#define VG_TB_DMA_OPS
#define VG_TB_MANAGED_DMA
#endif

/* Typed as the kernel types its buses: const where bus_register() is. */
static typeof(platform_bus_type) vg_tb_bus = {
	.name = "vg-kunit-bus",
	.match = vg_tb_match,
	.probe = vg_tb_probe,
	VG_TB_DMA_OPS
};

static struct vg_bus vg_tb_followed = {
	.type = &vg_tb_bus,
	.managed_dma = vg_tb_managed_dma,
};

/* The IOMMU core's part: a group for each device added, gone once removed. */
static int vg_tb_iommu_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;

	if (action == BUS_NOTIFY_ADD_DEVICE)
		WARN_ON(iommu_group_add_device(vg_tb_group, dev));
	else if (action == BUS_NOTIFY_REMOVED_DEVICE)
		iommu_group_remove_device(dev);
	return NOTIFY_DONE;
}

static struct notifier_block vg_tb_iommu_nb = {
	.notifier_call = vg_tb_iommu_notify,
	.priority = 0,
};

static void vg_tb_release(struct device *dev)
{
	kfree(dev);
}

static void vg_tb_add_device(struct kunit *test)
{
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	device_initialize(dev);
	dev->bus = &vg_tb_bus;
	dev->release = vg_tb_release;
	ret = dev_set_name(dev, "vg-kunit-bus-dev");
	if (!ret)
		ret = device_add(dev);
	if (ret)
		put_device(dev);
	KUNIT_ASSERT_EQ(test, 0, ret);
	vg_tb_dev = dev;
}

static struct vg_group *vg_tb_tracked_group(void)
{
	struct vg_group *group;

	mutex_lock(&vg_lock);
	group = vg_group_find(vg_tb_group);
	mutex_unlock(&vg_lock);
	return group;
}

/* The module's answer against the kernel's, whenever nothing is moving. */
static void vg_tb_expect_truth(struct kunit *test)
{
	struct vg_group *group = vg_tb_tracked_group();
	bool ours = !group || vg_group_viable(group);

	KUNIT_EXPECT_EQ(test, ours, vg_tb_kernel_viable());
}

static bool vg_tb_state;	/* vg_state_init() succeeded */

static int vg_tb_init(struct kunit *test)
{
	vg_tb_group = iommu_group_alloc();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, vg_tb_group);
	KUNIT_ASSERT_EQ(test, 0, bus_register(&vg_tb_bus));
	KUNIT_ASSERT_EQ(test, 0, bus_register_notifier(&vg_tb_bus,
						       &vg_tb_iommu_nb));
	INIT_LIST_HEAD(&vg_tb_followed.node);
	KUNIT_ASSERT_EQ(test, 0, vg_state_init());
	vg_tb_state = true;
	KUNIT_ASSERT_EQ(test, 0, vg_bus_follow(&vg_tb_followed));
	mutex_lock(&vg_lock);
	vg_test_nevents = 0;
	vg_test_fail_notify = false;
	mutex_unlock(&vg_lock);
	return 0;
}

static struct vg_tb_driver vg_tb_host_drv = {
	.pdrv.driver = { .name = "vg-kunit-host", .bus = &vg_tb_bus },
};

static struct vg_tb_driver vg_tb_vfio_drv = {
	.pdrv.driver = { .name = "vg-kunit-vfio", .bus = &vg_tb_bus },
	VG_TB_MANAGED_DMA
};

static struct vg_tb_driver vg_tb_failing_drv = {
	.pdrv.driver = { .name = "vg-kunit-failing", .bus = &vg_tb_bus },
	.probe_ret = -ENXIO,
};

static void vg_tb_register(struct kunit *test, struct vg_tb_driver *drv)
{
	KUNIT_ASSERT_EQ(test, 0, driver_register(&drv->pdrv.driver));
	drv->registered = true;
}

static void vg_tb_unregister(struct vg_tb_driver *drv)
{
	if (drv->registered)
		driver_unregister(&drv->pdrv.driver);
	drv->registered = false;
}

static void vg_tb_exit(struct kunit *test)
{
	vg_tb_unregister(&vg_tb_host_drv);
	vg_tb_unregister(&vg_tb_vfio_drv);
	vg_tb_unregister(&vg_tb_failing_drv);
	if (vg_tb_dev)
		device_unregister(vg_tb_dev);
	vg_tb_dev = NULL;
	if (!list_empty(&vg_tb_followed.node))
		vg_bus_unfollow(&vg_tb_followed);
	if (vg_tb_state)
		vg_teardown();
	bus_unregister_notifier(&vg_tb_bus, &vg_tb_iommu_nb);
	bus_unregister(&vg_tb_bus);
	if (!IS_ERR_OR_NULL(vg_tb_group))
		iommu_group_put(vg_tb_group);
	if (vg_tb_state)
		vg_state_exit();
	vg_tb_state = false;
}

static void vg_tb_remove_device(void)
{
	device_unregister(vg_tb_dev);
	vg_tb_dev = NULL;
}

/* The bus's one device, added and tracked: its group. */
static struct vg_group *vg_tb_add_tracked(struct kunit *test)
{
	struct vg_group *group;

	vg_tb_add_device(test);
	group = vg_tb_tracked_group();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	return group;
}

/*
 * Registers @drv, which the driver core offers the device at once: bound
 * to it or not, and the module's viability the kernel's once it returns.
 */
static void vg_tb_bind(struct kunit *test, struct vg_tb_driver *drv,
		       bool bound)
{
	vg_tb_register(test, drv);
	KUNIT_EXPECT_PTR_EQ(test, vg_tb_dev->driver,
			    bound ? &drv->pdrv.driver :
				    (struct device_driver *)NULL);
	vg_tb_expect_truth(test);
}

/*
 * Up to 5.18 binds reach us on the group's own chain, which only the IOMMU
 * core's bus notifier feeds, not this bus's: there the bind cases end
 * early, after what they can check.
 */
#define VG_TB_BINDS_FOLLOWED	VG_BUS_TRACKS_DRIVERS

/*
 * A device of the bus is announced with its bus; a host driver's bind
 * makes the group not viable from the probe on and its unbind gives it
 * back; removal takes the device and the group away.
 */
static void vg_test_bus_host_driver(struct kunit *test)
{
	struct vg_device *vdev;
	struct vg_group *group;

	group = vg_tb_add_tracked(test);
	vdev = list_first_entry(&group->devices, struct vg_device, node);
	VG_EXPECT_STR(test, vdev->dev->bus->name, "vg-kunit-bus");
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 1U);
	vg_expect_event(test, 0, VFIOGROUP_EVENT_DEVICE_ADDED, true);
	vg_tb_expect_truth(test);
	if (!VG_TB_BINDS_FOLLOWED)
		return;

	vg_tb_bind(test, &vg_tb_host_drv, true);
	KUNIT_EXPECT_FALSE(test, group->viable);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);
	vg_expect_event(test, 1, VFIOGROUP_EVENT_VIABILITY_CHANGED, false);
	vg_expect_event(test, 2, VFIOGROUP_EVENT_DRIVER_BOUND, false);
	VG_EXPECT_STR(test, vg_test_events[2].dev_driver, "vg-kunit-host");

	vg_tb_unregister(&vg_tb_host_drv);
	KUNIT_EXPECT_TRUE(test, group->viable);
	vg_tb_expect_truth(test);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 5U);
	vg_expect_event(test, 3, VFIOGROUP_EVENT_DRIVER_UNBOUND, false);
	KUNIT_EXPECT_TRUE(test, vg_test_events[3].dev_viable);
	VG_EXPECT_STR(test, vg_test_events[3].driver, "vg-kunit-host");
	VG_EXPECT_STR(test, vg_test_events[3].dev_driver, "");
	vg_expect_event(test, 4, VFIOGROUP_EVENT_VIABILITY_CHANGED, true);

	vg_tb_remove_device();
	KUNIT_EXPECT_PTR_EQ(test, vg_tb_tracked_group(),
			    (struct vg_group *)NULL);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 6U);
	KUNIT_EXPECT_EQ(test, vg_test_events[5].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_REMOVED);
}

/* A driver that manages DMA itself leaves the group viable. */
static void vg_test_bus_managed_driver(struct kunit *test)
{
	struct vg_group *group;

	group = vg_tb_add_tracked(test);
	if (!VG_TB_BINDS_FOLLOWED)
		return;

	vg_tb_bind(test, &vg_tb_vfio_drv, true);
	KUNIT_EXPECT_TRUE(test, group->viable);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 2U);
	vg_expect_event(test, 1, VFIOGROUP_EVENT_DRIVER_BOUND, true);
	VG_EXPECT_STR(test, vg_test_events[1].dev_driver, "vg-kunit-vfio");
	KUNIT_EXPECT_TRUE(test, vg_test_events[1].dev_viable);
}

/* A probe that fails: the claim ends, no driver is left, viable again. */
static void vg_test_bus_failed_probe(struct kunit *test)
{
	struct vg_device *vdev;
	struct vg_group *group;

	group = vg_tb_add_tracked(test);
	if (!VG_TB_BINDS_FOLLOWED)
		return;

	vg_tb_bind(test, &vg_tb_failing_drv, false);
	KUNIT_EXPECT_TRUE(test, group->viable);
	KUNIT_EXPECT_EQ(test, group->users, 0U);
	vdev = list_first_entry(&group->devices, struct vg_device, node);
	KUNIT_EXPECT_PTR_EQ(test, vdev->driver, (struct device_driver *)NULL);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);
	vg_expect_event(test, 1, VFIOGROUP_EVENT_VIABILITY_CHANGED, false);
	vg_expect_event(test, 2, VFIOGROUP_EVENT_VIABILITY_CHANGED, true);
}

/*
 * device_del() of a bound device: DEL_DEVICE, then the unbind, then
 * REMOVED_DEVICE, in the driver core's own order.  Untracked once, never
 * back, and the group goes with its last device.
 */
static void vg_test_bus_deleted_while_bound(struct kunit *test)
{
	unsigned int n;

	vg_tb_add_device(test);
	if (VG_TB_BINDS_FOLLOWED) {
		vg_tb_register(test, &vg_tb_host_drv);
		KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);
	} else {
		KUNIT_ASSERT_EQ(test, vg_test_nevents, 1U);
	}
	n = vg_test_nevents;

	vg_tb_remove_device();
	KUNIT_EXPECT_PTR_EQ(test, vg_tb_tracked_group(),
			    (struct vg_group *)NULL);
	KUNIT_ASSERT_EQ(test, vg_test_nevents, n + 1);
	KUNIT_EXPECT_EQ(test, vg_test_events[n].kind,
			(u32)VFIOGROUP_EVENT_DEVICE_REMOVED);
	KUNIT_EXPECT_EQ(test, vg_test_events[n].ndev, 0U);
	mutex_lock(&vg_lock);
	KUNIT_EXPECT_EQ(test, vg_group_count(), 0U);
	mutex_unlock(&vg_lock);
}

/*
 * A bus followed after its devices came and bound: enumeration finds each
 * with its driver and the group's viability right.
 */
static void vg_test_bus_followed_late(struct kunit *test)
{
	struct vg_device *vdev;
	struct vg_group *group;

	vg_bus_unfollow(&vg_tb_followed);
	vg_tb_add_device(test);
	vg_tb_register(test, &vg_tb_host_drv);
	KUNIT_EXPECT_EQ(test, vg_test_nevents, 0U);
	KUNIT_EXPECT_PTR_EQ(test, vg_tb_tracked_group(),
			    (struct vg_group *)NULL);

	KUNIT_ASSERT_EQ(test, 0, vg_bus_follow(&vg_tb_followed));
	group = vg_tb_tracked_group();
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, group);
	vdev = list_first_entry(&group->devices, struct vg_device, node);
	KUNIT_EXPECT_PTR_EQ(test, vdev->driver,
			    &vg_tb_host_drv.pdrv.driver);
	KUNIT_EXPECT_FALSE(test, group->viable);
	vg_tb_expect_truth(test);
	/* as at module load: the device, its driver, then the viability */
	KUNIT_ASSERT_EQ(test, vg_test_nevents, 3U);
	vg_expect_event(test, 0, VFIOGROUP_EVENT_DEVICE_ADDED, true);
	vg_expect_event(test, 1, VFIOGROUP_EVENT_DRIVER_BOUND, true);
	VG_EXPECT_STR(test, vg_test_events[1].dev_driver, "vg-kunit-host");
	KUNIT_EXPECT_FALSE(test, vg_test_events[1].dev_viable);
	vg_expect_event(test, 2, VFIOGROUP_EVENT_VIABILITY_CHANGED, false);
}

/* A bus the driver core never registered is refused and left alone. */
static void vg_test_bus_not_registered(struct kunit *test)
{
	static typeof(platform_bus_type) never = { .name = "vg-kunit-never" };
	struct vg_bus bus = { .type = &never };

	INIT_LIST_HEAD(&bus.node);
	KUNIT_EXPECT_EQ(test, vg_bus_follow(&bus), -ENODEV);
	KUNIT_EXPECT_TRUE(test, list_empty(&bus.node));
}

static struct kunit_case vg_bus_cases[] = {
	KUNIT_CASE(vg_test_bus_host_driver),
	KUNIT_CASE(vg_test_bus_managed_driver),
	KUNIT_CASE(vg_test_bus_failed_probe),
	KUNIT_CASE(vg_test_bus_deleted_while_bound),
	KUNIT_CASE(vg_test_bus_followed_late),
	KUNIT_CASE(vg_test_bus_not_registered),
	{}
};

static struct kunit_suite vg_bus_suite = {
	.name = "vfiogroup-buses",
	.init = vg_tb_init,
	.exit = vg_tb_exit,
	.test_cases = vg_bus_cases,
};
