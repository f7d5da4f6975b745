// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: the devices it walks -- found at start with their host drivers --
 * and their restore at the end.
 */
#include "walk.h"

/*
 * Devices: the PCI devices bound to e1000 or e1000e at start (never a
 * 00:1f.x function), each with that driver as its host driver, and the
 * pcieport of the root port above an e1000e.
 */

struct wdev wd[MAXW];
int nwd, port_idx = -1;

static void dev_ids(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX], v[16], d[16];

	snprintf(p, sizeof(p), PCI_DEVS "/%s/vendor", dev);
	read_line(p, v, sizeof(v));
	snprintf(p, sizeof(p), PCI_DEVS "/%s/device", dev);
	read_line(p, d, sizeof(d));
	snprintf(out, len, "%.6s %.6s", v[0] == '0' && v[1] == 'x' ? v + 2 : v,
		 d[0] == '0' && d[1] == 'x' ? d + 2 : d);
}

static int wdev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wdev *)a)->name, ((const struct wdev *)b)->name);
}

/* The NICs on e1000/e1000e and the root port above an e1000e. */
void find_devices(void)
{
	static const char *const hosts[] = { "e1000", "e1000e" };

	for (size_t h = 0; h < 2; h++) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "/sys/bus/pci/drivers/%s", hosts[h]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d)) && nwd < MAXW - 1) {
			if (!strchr(de->d_name, ':') || strstr(de->d_name, ":1f."))
				continue;
			scopy(wd[nwd].name, NAMEL, de->d_name);
			scopy(wd[nwd].host, NAMEL, hosts[h]);
			dev_ids(de->d_name, wd[nwd].ids, sizeof(wd[nwd].ids));
			nwd++;
		}
		closedir(d);
	}
	/* sorted by name: the walk must not depend on readdir's order */
	qsort(wd, (size_t)nwd, sizeof(wd[0]), wdev_cmp);
	for (int i = 0; i < nwd && port_idx < 0; i++) {
		char p[PATH_MAX], real[PATH_MAX], *s, drv[NAMEL];

		if (strcmp(wd[i].host, "e1000e"))
			continue;
		snprintf(p, sizeof(p), PCI_DEVS "/%s", wd[i].name);
		if (!realpath(p, real) || !(s = strrchr(real, '/')))
			continue;
		*s = 0;
		s = strrchr(real, '/');
		if (!s || !strchr(s + 1, ':') || strstr(s + 1, ":1f."))
			continue;
		dev_driver(s + 1, drv, sizeof(drv));
		if (strcmp(drv, "pcieport"))
			continue;
		port_idx = nwd;
		scopy(wd[nwd].name, NAMEL, s + 1);
		scopy(wd[nwd].host, NAMEL, "pcieport");
		wd[nwd].port = true;
		nwd++;
	}
}

/* Every walk device back on its host driver, driver_override cleared. */
int restore_all(char *why, size_t len)
{
	char drv[NAMEL], p[PATH_MAX];
	bool any_removed = false;

	why[0] = 0;
	for (int i = 0; i < nwd; i++)
		any_removed |= !dev_present(wd[i].name);
	if (any_removed)
		write_file("/sys/bus/pci/rescan", "1");
	for (int i = 0; i < nwd; i++) {
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (strcmp(drv, wd[i].host)) {
			if (*drv) {
				snprintf(p, sizeof(p), PCI_DEVS "/%s/driver/unbind", wd[i].name);
				write_file(p, wd[i].name);
			}
		}
		snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", wd[i].name);
		if (!wd[i].port)
			write_file(p, "\n");
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (!*drv) {
			snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", wd[i].host);
			write_file(p, wd[i].name);
		}
		dev_driver(wd[i].name, drv, sizeof(drv));
		if (strcmp(drv, wd[i].host) || (!wd[i].port && !override_clear(wd[i].name)))
			snprintf(why + strlen(why), len - strlen(why), " %.16s on '%.20s'%s;",
				 wd[i].name, drv,
				 override_clear(wd[i].name) ? "" : " with driver_override");
	}
	return *why ? -1 : 0;
}
