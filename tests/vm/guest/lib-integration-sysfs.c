// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration's ground truth, read from sysfs by hand (no library):
 * the devices of every IOMMU group with their buses and drivers, binding
 * and unbinding, and the library's cache compared with it all.
 */
#include "lib-integration.h"

static int sdev_cmp(const void *a, const void *b)
{
	const struct sdev *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return strcmp(x->name, y->name);
}

int sysfs_read(struct sysfs_state *s)
{
	DIR *gd = opendir("/sys/kernel/iommu_groups");
	struct dirent *ge;

	s->n = 0;
	if (!gd)
		return -errno;
	while ((ge = readdir(gd))) {
		char path[PATH_MAX];
		struct dirent *de;
		DIR *dd;

		if (ge->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/devices",
			 ge->d_name);
		dd = opendir(path);
		if (!dd)
			continue;	/* going away */
		while ((de = readdir(dd))) {
			struct sdev *d;
			char p[PATH_MAX];

			if (de->d_name[0] == '.')
				continue;
			if (s->n == s->cap) {
				size_t cap = s->cap ? 2 * s->cap : 32;
				struct sdev *nd = realloc(s->d, cap * sizeof(*nd));

				if (!nd) {
					closedir(dd);
					closedir(gd);
					return -ENOMEM;
				}
				s->d = nd;
				s->cap = cap;
			}
			d = &s->d[s->n++];
			d->group = (uint32_t)strtoul(ge->d_name, NULL, 10);
			scopy(d->name, sizeof(d->name), de->d_name);
			d->bus[0] = d->driver[0] = 0;
			if (snprintf(p, sizeof(p), "%s/%s/subsystem", path,
				     de->d_name) < (int)sizeof(p))
				link_base(p, d->bus, sizeof(d->bus));
			if (snprintf(p, sizeof(p), "%s/%s/driver", path,
				     de->d_name) < (int)sizeof(p))
				link_base(p, d->driver, sizeof(d->driver));
		}
		closedir(dd);
	}
	closedir(gd);
	qsort(s->d, s->n, sizeof(*s->d), sdev_cmp);
	return 0;
}

/* Put dev back on drv ("" = unbound). */
int restore(const char *dev, const char *drv)
{
	char now[NAME_LEN];

	pci_driver(dev, now, sizeof(now));
	if (!strcmp(now, drv))
		return 0;
	if (*now && pci_unbind(dev))
		return -EIO;
	return *drv ? pci_bind(dev, drv) : 0;
}

/* ------------------------------------------------------------------ */
/* the library's cache against sysfs                                   */
/* ------------------------------------------------------------------ */

bool in_ids(const uint32_t *ids, int n, uint32_t id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * Compare ctx's view with sysfs; mismatches are printed as diagnostics,
 * at most a few.  Returns the number of mismatches.  With nonly > 0, only
 * the groups in only[] (those a filtered context follows), and not the
 * list of groups.
 */
int compare_sysfs_only(struct vfiogroup_ctx *ctx, const char *when,
		       const uint32_t *only, int nonly)
{
	struct sysfs_state s = { 0 };
	uint32_t *ids = NULL;
	int nids, bad = 0, ngroups = 0;
	size_t i = 0;

	if (sysfs_read(&s)) {
		diag("%s: cannot read sysfs", when);
		return 1;
	}
	nids = vfiogroup_group_ids(ctx, &ids);
	if (nids < 0) {
		diag("%s: vfiogroup_group_ids: %s", when, vfiogroup_strerror(nids));
		free(s.d);
		return 1;
	}
	/* Every sysfs group, in order, against the library's. */
	while (i < s.n) {
		uint32_t g = s.d[i].group;
		size_t j = i, nd;
		struct vfiogroup_group *lg;
		bool viable = true, has_node;
		char node[32];
		int r;

		while (j < s.n && s.d[j].group == g) {
			viable = viable && managed(s.d[j].driver);
			j++;
		}
		nd = j - i;
		ngroups++;
		if (nonly > 0 && !in_ids(only, nonly, g)) {
			i = j;
			continue;
		}
		r = vfiogroup_get_group(ctx, g, &lg);
		if (r) {
			if (bad++ < 8)
				diag("%s: group %u in sysfs, library: %s", when, g,
				     vfiogroup_strerror(r));
			i = j;
			continue;
		}
		if (vfiogroup_group_viable(lg) != viable && bad++ < 8)
			diag("%s: group %u viable=%d, sysfs rule %d", when, g,
			     vfiogroup_group_viable(lg), viable);
		/* ready: viable with the node /dev/vfio/N there (VFIO's own) */
		snprintf(node, sizeof(node), "/dev/vfio/%u", g);
		has_node = access(node, F_OK) == 0;
		if (vfiogroup_group_ready(lg) != (viable && has_node) && bad++ < 8)
			diag("%s: group %u ready=%d, viable %d and %s %s", when, g,
			     vfiogroup_group_ready(lg), viable, node,
			     has_node ? "exists" : "does not exist");
		if ((vfiogroup_group_node(lg) ? strcmp(vfiogroup_group_node(lg), node) : has_node) &&
		    bad++ < 8)
			diag("%s: group %u node %s, %s %s", when, g,
			     vfiogroup_group_node(lg) ? vfiogroup_group_node(lg) : "(none)", node,
			     has_node ? "exists" : "does not exist");
		if (vfiogroup_group_device_count(lg) != nd && bad++ < 8)
			diag("%s: group %u has %zu devices, sysfs %zu", when, g,
			     vfiogroup_group_device_count(lg), nd);
		for (size_t k = i; k < j; k++) {
			const struct vfiogroup_device *d = NULL;
			const char *drv;

			for (size_t x = 0; x < vfiogroup_group_device_count(lg); x++) {
				d = vfiogroup_group_device(lg, x);
				if (!strcmp(vfiogroup_device_name(d), s.d[k].name))
					break;
				d = NULL;
			}
			if (!d) {
				if (bad++ < 8)
					diag("%s: group %u: %s missing", when, g,
					     s.d[k].name);
				continue;
			}
			drv = vfiogroup_device_driver(d);
			if (strcmp(drv ? drv : "", s.d[k].driver) && bad++ < 8)
				diag("%s: %s driver '%s', sysfs '%s'", when,
				     s.d[k].name, drv ? drv : "", s.d[k].driver);
			if (strcmp(vfiogroup_device_bus(d), s.d[k].bus) && bad++ < 8)
				diag("%s: %s bus '%s', sysfs '%s'", when,
				     s.d[k].name, vfiogroup_device_bus(d), s.d[k].bus);
			if (vfiogroup_device_viable(d) != managed(s.d[k].driver) &&
			    bad++ < 8)
				diag("%s: %s devviable %d, rule %d", when,
				     s.d[k].name, vfiogroup_device_viable(d),
				     managed(s.d[k].driver));
		}
		vfiogroup_group_unref(lg);
		i = j;
	}
	if (nonly <= 0 && nids != ngroups && bad++ < 8)
		diag("%s: library has %d groups, sysfs %d", when, nids, ngroups);
	free(ids);
	free(s.d);
	return bad;
}

int compare_sysfs(struct vfiogroup_ctx *ctx, const char *when)
{
	return compare_sysfs_only(ctx, when, NULL, 0);
}

/* Same groups and seqs as a context connected just now (a fresh dump). */
int compare_fresh(struct vfiogroup_ctx *ctx, const char *when)
{
	struct vfiogroup_ctx *f = NULL;
	uint32_t *a = NULL, *b = NULL;
	int na, nb, bad = 0, r;

	r = vfiogroup_ctx_new(&f, 0);
	if (r) {
		diag("%s: second context: %s", when, vfiogroup_ctx_last_error(f));
		vfiogroup_ctx_unref(f);
		return 1;
	}
	na = vfiogroup_group_ids(ctx, &a);
	nb = vfiogroup_group_ids(f, &b);
	if (na != nb || na < 0) {
		diag("%s: %d groups, a fresh context %d", when, na, nb);
		bad++;
	}
	for (int i = 0; !bad && i < na; i++) {
		struct vfiogroup_group *x = NULL, *y = NULL;

		if (a[i] != b[i] || vfiogroup_get_group(ctx, a[i], &x) ||
		    vfiogroup_get_group(f, b[i], &y) ||
		    vfiogroup_group_seq(x) != vfiogroup_group_seq(y) ||
		    vfiogroup_group_viable(x) != vfiogroup_group_viable(y)) {
			diag("%s: group %u: seq %" PRIu64 ", fresh context: group %u seq %" PRIu64,
			     when, a[i], x ? vfiogroup_group_seq(x) : 0, b[i],
			     y ? vfiogroup_group_seq(y) : 0);
			bad++;
		}
		vfiogroup_group_unref(x);
		vfiogroup_group_unref(y);
	}
	free(a);
	free(b);
	vfiogroup_ctx_unref(f);
	return bad;
}
