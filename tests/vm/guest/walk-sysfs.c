// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the reference -- the groups as sysfs shows them, viability by the
 * rule, a device's driver and presence, VFIO_GROUP_GET_STATUS -- and the
 * kernel features the oracles depend on.
 */
#include "walk.h"

#include <sys/ioctl.h>
#include <sys/utsname.h>

#include <linux/vfio.h>

int read_line(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

bool dev_present(const char *dev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), PCI_DEVS "/%s", dev);
	return access(p, F_OK) == 0;
}

void dev_driver(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver", dev);
	link_base(p, out, len);
}

long dev_group(const char *dev)
{
	char p[PATH_MAX], g[NAMEL];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/iommu_group", dev);
	link_base(p, g, sizeof(g));
	return *g ? strtol(g, NULL, 10) : -1;
}

/* driver_override is empty ("(null)", or nothing on old kernels)? */
bool override_clear(const char *dev)
{
	char p[PATH_MAX], v[NAMEL];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", dev);
	if (read_line(p, v, sizeof(v)))
		return false;
	return !*v || !strcmp(v, "(null)");
}

/*
 * Kernel features the oracles depend on: from 5.19 replies carry
 * group-in-use; from 6.1 VFIO adds a vfio-dev device (vfioX) under each
 * device it registers, before that a VFIO driver is known by its name.
 */
bool k_in_use, k_vfio_dev, k_deferred_put;

void kernel_features(void)
{
	struct utsname u;
	unsigned ma = 0, mi = 0;

	if (uname(&u) == 0)
		sscanf(u.release, "%u.%u", &ma, &mi);
	k_in_use = ma > 5 || (ma == 5 && mi >= 19);
	k_vfio_dev = ma > 6 || (ma == 6 && mi >= 1);
	k_deferred_put = ma < 5 || (ma == 5 && mi < 16);
}

/* Registered with VFIO, by sysfs: the vfio-dev child (6.1+) or the name. */
static void sysfs_vfio(const char *devpath, struct dst *d)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *dd;

	d->vfio = 0;
	d->vfio_dev[0] = 0;
	if (!k_vfio_dev) {
		d->vfio = strstr(d->drv, "vfio") != NULL;
		return;
	}
	snprintf(p, sizeof(p), "%.4000s/vfio-dev", devpath);
	dd = opendir(p);
	if (!dd)
		return;
	while ((de = readdir(dd)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			d->vfio = 1;
			scopy(d->vfio_dev, sizeof(d->vfio_dev), de->d_name);
		}
	closedir(dd);
}

/*
 * The reference world from sysfs: viability by the rule, readiness as
 * viable and some device registered with VFIO, node as /dev/vfio/N exists.
 */
int sysfs_world(struct world *w)
{
	DIR *gd = opendir("/sys/kernel/iommu_groups");
	struct dirent *ge;

	w->n = 0;
	if (!gd)
		return -errno;
	while ((ge = readdir(gd))) {
		char path[PATH_MAX];
		struct dirent *de;
		struct gst *g;
		DIR *dd;

		if (ge->d_name[0] == '.' || w->n == MAXG)
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
			 ge->d_name);
		dd = opendir(path);
		if (!dd)
			continue;	/* going away */
		g = &w->g[w->n];
		memset(g, 0, sizeof(*g));
		g->id = (uint32_t)strtoul(ge->d_name, NULL, 10);
		g->viable = 1;
		while ((de = readdir(dd))) {
			struct dst *d;
			char p[PATH_MAX];

			if (de->d_name[0] == '.' || g->nd == MAXD)
				continue;
			d = &g->d[g->nd++];
			scopy(d->name, sizeof(d->name), de->d_name);
			snprintf(p, sizeof(p), "%.200s/%.64s/subsystem", path, de->d_name);
			link_base(p, d->bus, sizeof(d->bus));
			snprintf(p, sizeof(p), "%.200s/%.64s/driver", path, de->d_name);
			link_base(p, d->drv, sizeof(d->drv));
			d->viable = managed(d->drv);
			if (!d->viable)
				g->viable = 0;
			snprintf(p, sizeof(p), "%.200s/%.64s", path, de->d_name);
			sysfs_vfio(p, d);
			g->ready |= d->vfio;
		}
		closedir(dd);
		if (!g->nd)
			continue;
		snprintf(path, sizeof(path), "/dev/vfio/%u", g->id);
		g->node = access(path, F_OK) == 0;
		/*
		 * Up to 5.15 VFIO may drop a group's last reference from a
		 * workqueue (the deferred put 5.16 removed), so the node can
		 * outlive the group's last registered device for a moment:
		 * it counts as gone then.  A registered device still needs it.
		 */
		if (k_deferred_put && g->node && !g->ready)
			g->node = 0;
		g->ready &= g->viable;
		qsort(g->d, g->nd, sizeof(g->d[0]), dst_cmp);
		w->n++;
	}
	closedir(gd);
	qsort(w->g, w->n, sizeof(w->g[0]), gst_cmp);
	return 0;
}

/* Has sysfs a device of g registered with VFIO? */
bool world_any_vfio(const struct gst *g)
{
	for (unsigned i = 0; i < g->nd; i++)
		if (g->d[i].vfio)
			return true;
	return false;
}

/* VFIO_GROUP_GET_STATUS: 1 viable, 0 not, -errno (-ENOENT: no node). */
int vfio_status(uint32_t id)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/dev/vfio/%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, VFIO_GROUP_GET_STATUS, &st);
	r = r < 0 ? -errno : !!(st.flags & VFIO_GROUP_FLAGS_VIABLE);
	close(fd);
	return r;
}
