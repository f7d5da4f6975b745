/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Device names through sysfs.  The module names devices as their bus does;
 * operators know the interface or disk.  A class device's sysfs path
 * lies below its hardware (.../0000:01:00.0/net/eth0), so walking up to
 * the first directory with an iommu_group link finds the device to follow.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "resolve.h"

static int copy_name(const char *name, char *out, size_t size)
{
	int n = snprintf(out, size, "%s", name);

	return n >= 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* Any match of the pattern sysfs/<middle>/name? */
static bool exists_under(const char *sysfs, const char *middle,
			 const char *name, char *first, size_t size)
{
	char pattern[PATH_MAX];
	glob_t g;
	bool found;

	if (snprintf(pattern, sizeof(pattern), "%s/%s/%s", sysfs, middle,
		     name) >= (int)sizeof(pattern))
		return false;
	found = glob(pattern, GLOB_NOSORT, NULL, &g) == 0 && g.gl_pathc > 0;
	if (found && first)
		snprintf(first, size, "%s", g.gl_pathv[0]);
	globfree(&g);
	return found;
}

int resolve_device(const char *sysfs, const char *name, char *out,
		   size_t size)
{
	char path[PATH_MAX], real[PATH_MAX], probe[PATH_MAX + 16];

	/* glob would read these as a pattern or a path */
	if (strpbrk(name, "/*?[\\") || !strcmp(name, ".") ||
	    !strcmp(name, "..") ||
	    exists_under(sysfs, "bus/*/devices", name, NULL, 0) ||
	    !exists_under(sysfs, "class/*", name, path, sizeof(path)) ||
	    !realpath(path, real))
		return copy_name(name, out, size);
	for (char *slash; (slash = strrchr(real, '/')) && slash != real;
	     *slash = '\0') {
		snprintf(probe, sizeof(probe), "%s/iommu_group", real);
		if (access(probe, F_OK) == 0)
			return copy_name(slash + 1, out, size);
	}
	return copy_name(name, out, size);
}

bool device_arg(const char *arg, char *out, size_t size)
{
	char dev[DEV_NAME_MAX];

	return parse_device(arg, dev, sizeof(dev)) &&
	       resolve_device("/sys", dev, out, size) == 0;
}
