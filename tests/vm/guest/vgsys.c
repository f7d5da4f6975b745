// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgsys: the module loaded and sysfs written by one system call each, so
 * that --fail-nth can fault exactly that call (the guest's "faults" section).
 *
 * Usage: vgsys [--fail-nth=N] load KO [PARAMS]   finit_module(KO): "loaded"
 *        vgsys [--fail-nth=N] write PATH TEXT    one write(2): "written"
 *
 *   --fail-nth=N   the Nth fault point (failslab allocation) the system call
 *                  reaches fails; prints "fail-nth=N injected=0|1" on stderr
 *                  afterwards (injected=0: it reached fewer points)
 *
 * Exit status: 0 success; 1 usage or local failure (opening KO or PATH);
 * 5 the system call failed ("error=NAME" printed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"
#include "fail-nth.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_KERNEL = 5,
};

/* PATH opened for a system call under fault injection; -1 (said) if not. */
static int open_faulted(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vgsys: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fault_prepare() < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Closes fd and prints the outcome: "error=NAME", or done. */
static int faulted_result(int fd, bool failed, int err, const char *done)
{
	close(fd);
	if (failed) {
		printf("error=%s\n", errname(err));
		return EXIT_KERNEL;
	}
	printf("%s\n", done);
	return EXIT_OK;
}

static int cmd_load(int argc, char **argv)
{
	const char *params = argc > 2 ? argv[2] : "";
	int fd, rc, err;

	if (argc < 2) {
		fprintf(stderr, "usage: vgsys load KO [PARAMS]\n");
		return EXIT_USAGE;
	}
	fd = open_faulted(argv[1], O_RDONLY);
	if (fd < 0)
		return EXIT_USAGE;
	fault_arm();
	rc = (int)syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	fault_disarm();
	return faulted_result(fd, rc != 0, err, "loaded");
}

static int cmd_write(int argc, char **argv)
{
	ssize_t n;
	int fd, err;

	if (argc < 3) {
		fprintf(stderr, "usage: vgsys write PATH TEXT\n");
		return EXIT_USAGE;
	}
	fd = open_faulted(argv[1], O_WRONLY);
	if (fd < 0)
		return EXIT_USAGE;
	fault_arm();
	n = write(fd, argv[2], strlen(argv[2]));
	err = errno;
	fault_disarm();
	return faulted_result(fd, n < 0, err, "written");
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i < argc && !strncmp(argv[i], "--fail-nth=", 11))
		fail_nth = (unsigned int)strtoul(argv[i++] + 11, NULL, 10);
	if (i < argc && !strcmp(argv[i], "load"))
		return cmd_load(argc - i, argv + i);
	if (i < argc && !strcmp(argv[i], "write"))
		return cmd_write(argc - i, argv + i);
	fprintf(stderr, "usage: vgsys [--fail-nth=N] load KO [PARAMS] | write PATH TEXT\n");
	return EXIT_USAGE;
}
