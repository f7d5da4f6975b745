/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What the guest test programs (lib-integration, walk) share: TAP output
 * without numbers (run-tests.sh numbers the lines), a monotonic clock, and
 * the few sysfs helpers both read the ground truth with.  Include it after
 * the system headers it needs (errno.h, fcntl.h, limits.h, stdarg.h,
 * stdbool.h, stdint.h, stdio.h, string.h, time.h, unistd.h).
 */
#ifndef VG_GUEST_UTIL_H
#define VG_GUEST_UTIL_H

/*
 * The state lives in guest-util.c, linked into each program once: a
 * program of several files must count every failure in one nfail, or a
 * failure in one file would not reach the exit status.
 */

/* Results that were not ok: the program's exit status comes from it. */
extern int nfail;

/* What a hung program prints when its alarm() fires; main() sets it. */
extern const char *watchdog_msg;

/* The SIGALRM handler: prints watchdog_msg, exits with status 3. */
void on_alarm(int sig);

/* One TAP line, "ok - ..." or "not ok - ..." (which counts in nfail). */
void result(bool good, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A "# ..." line. */
void diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The helpers below keep no state: a copy per file does no harm. */

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copy src into dst[len], cut short if need be. */
static inline void scopy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The last component of the symlink at path ("" if it is none). */
static inline void link_base(const char *path, char *out, size_t len)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	const char *b;

	out[0] = 0;
	if (n < 0)
		return;
	buf[n] = 0;
	b = strrchr(buf, '/');
	scopy(out, len, b ? b + 1 : buf);
}

/*
 * A device on this driver (or none: "") leaves its group viable: the
 * drivers with driver_managed_dma (from 5.19; up to 5.18 VFIO's own rule
 * gives the same answer for the guest's devices).
 */
static inline bool managed(const char *drv)
{
	return !*drv || !strcmp(drv, "vfio-pci") || !strcmp(drv, "pci-stub") ||
	       !strcmp(drv, "pcieport");
}

/*
 * One write(2) of val to a sysfs or tracefs file opened with O_WRONLY and
 * flags (tracefs: O_TRUNC empties a buffer or a filter, O_APPEND adds to
 * a filter): 0 or a negative errno.
 */
static inline int write_file_flags(const char *path, const char *val, int flags)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | flags), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* One write(2) of val to a sysfs file: 0 or a negative errno. */
static inline int write_file(const char *path, const char *val)
{
	return write_file_flags(path, val, 0);
}

#endif /* VG_GUEST_UTIL_H */
