/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node_exporter textfile: written beside its final name and renamed
 * over it, as the textfile collector's documentation asks, so that a
 * scrape sees the old file or the new one, never a half-written one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "hooks.h"

int textfile_write(const char *dir, const struct metrics_snapshot *s)
{
	char tmp[4096], final[4096];
	int fd, r;
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s/%s.%ld", dir, TEXTFILE_NAME,
		     (long)getpid()) >= (int)sizeof(tmp) ||
	    snprintf(final, sizeof(final), "%s/%s", dir, TEXTFILE_NAME) >=
		     (int)sizeof(final))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (!(f = fdopen(fd, "w"))) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	r = metrics_render(f, s);
	if (fflush(f) && !r)
		r = -errno;
	if (fclose(f) && !r)
		r = -errno;
	if (!r && rename(tmp, final))
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}
