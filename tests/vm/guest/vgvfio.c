// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgvfio: the VFIO side of a group, as a VMM sees it, for the guest suite
 * to set against what the module says.
 *
 * Usage:
 *   vgvfio status N      open /dev/vfio/N, VFIO_GROUP_GET_STATUS:
 *                        "viable=0|1 container=0|1", or "error=NAME"
 *   vgvfio hold N SECONDS [--ready-file F]
 *                        hold group N as a VFIO user (below)
 *
 * Exit status: 0 success; 1 usage or local failure (status: the ioctl
 * failed, error= printed); 2 /dev/vfio/N could not be opened (error=
 * printed); 5 hold: a VFIO step failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "background.h"
#include "errname.h"

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_NOGROUP = 2,
	EXIT_KERNEL = 5,
};

static int cmd_status(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	char *end;
	unsigned long id;
	int cfd, gfd;

	if (argc != 2) {
		fprintf(stderr, "usage: vgvfio status N\n");
		return EXIT_USAGE;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "vgvfio: bad group id %s\n", argv[1]);
		return EXIT_USAGE;
	}
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (cfd < 0)
		fprintf(stderr, "vgvfio: /dev/vfio/vfio: %s\n", strerror(errno));
	snprintf(path, sizeof(path), "/dev/vfio/%lu", id);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	if (gfd < 0) {
		printf("error=%s\n", errname(errno));
		if (cfd >= 0)
			close(cfd);
		return EXIT_NOGROUP;
	}
	if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		printf("error=%s\n", errname(errno));
		close(gfd);
		if (cfd >= 0)
			close(cfd);
		return EXIT_USAGE;
	}
	printf("viable=%d container=%d\n", !!(st.flags & VFIO_GROUP_FLAGS_VIABLE),
	       !!(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET));
	close(gfd);
	if (cfd >= 0)
		close(cfd);
	return EXIT_OK;
}

/*
 * vgvfio hold N SECONDS [--ready-file F]: be a VFIO user of group N, as a VMM
 * is: the container (/dev/vfio/vfio, VFIO_GET_API_VERSION, TYPE1 IOMMU
 * offered), the group node opened, VFIO_GROUP_GET_STATUS viable,
 * VFIO_GROUP_SET_CONTAINER and VFIO_SET_IOMMU.  Prints "held group=N
 * iommu=TYPE1v2|TYPE1", writes F (atomically, once held), then holds until
 * SECONDS pass or SIGTERM/SIGINT comes, and exits 0 after "released" (the
 * group's DMA is let go when the last fd closes: by the time the process
 * is reaped).  A step that fails: "error=NAME step=WHAT", exit 2 (the
 * group node) or 5 (an ioctl).
 */
static int hold_fail(const char *step, int cfd, int gfd, int rc)
{
	printf("error=%s step=%s\n", errname(errno), step);
	if (gfd >= 0)
		close(gfd);
	if (cfd >= 0)
		close(cfd);
	return rc;
}

static int cmd_hold(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	const char *ready = NULL, *iommu;
	char path[64], *end;
	unsigned long id;
	double secs;
	int64_t deadline;
	int cfd, gfd, type, i;

	if (argc < 3) {
		fprintf(stderr, "usage: vgvfio hold N SECONDS [--ready-file F]\n");
		return EXIT_USAGE;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "vgvfio: bad group id %s\n", argv[1]);
		return EXIT_USAGE;
	}
	secs = strtod(argv[2], &end);
	if (*end || secs <= 0) {
		fprintf(stderr, "vgvfio: bad SECONDS %s\n", argv[2]);
		return EXIT_USAGE;
	}
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--ready-file") && i + 1 < argc) {
			ready = argv[++i];
		} else {
			fprintf(stderr, "usage: vgvfio hold N SECONDS [--ready-file F]\n");
			return EXIT_USAGE;
		}
	}
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (cfd < 0)
		return hold_fail("open-container", -1, -1, EXIT_KERNEL);
	if (ioctl(cfd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		printf("error=api-version step=get-api-version\n");
		close(cfd);
		return EXIT_KERNEL;
	}
	type = VFIO_TYPE1v2_IOMMU;
	iommu = "TYPE1v2";
	if (ioctl(cfd, VFIO_CHECK_EXTENSION, type) <= 0) {
		type = VFIO_TYPE1_IOMMU;
		iommu = "TYPE1";
		if (ioctl(cfd, VFIO_CHECK_EXTENSION, type) <= 0) {
			printf("error=no-type1 step=check-extension\n");
			close(cfd);
			return EXIT_KERNEL;
		}
	}
	snprintf(path, sizeof(path), "/dev/vfio/%lu", id);
	gfd = open(path, O_RDWR | O_CLOEXEC);
	if (gfd < 0)
		return hold_fail("open-group", cfd, -1, EXIT_NOGROUP);
	if (ioctl(gfd, VFIO_GROUP_GET_STATUS, &st) < 0)
		return hold_fail("group-get-status", cfd, gfd, EXIT_KERNEL);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		printf("error=not-viable step=group-get-status\n");
		close(gfd);
		close(cfd);
		return EXIT_KERNEL;
	}
	if (ioctl(gfd, VFIO_GROUP_SET_CONTAINER, &cfd) < 0)
		return hold_fail("group-set-container", cfd, gfd, EXIT_KERNEL);
	if (ioctl(cfd, VFIO_SET_IOMMU, type) < 0)
		return hold_fail("set-iommu", cfd, gfd, EXIT_KERNEL);

	stop_on_signals();
	printf("held group=%lu iommu=%s\n", id, iommu);
	if (ready && write_ready_file(ready) < 0) {
		close(gfd);
		close(cfd);
		return EXIT_USAGE;
	}
	deadline = now_ms() + (int64_t)(secs * 1000);
	/* A signal interrupts the poll (no SA_RESTART); stop_sig says it came. */
	while (!stop_sig) {
		int64_t left = deadline - now_ms();

		if (left <= 0)
			break;
		poll(NULL, 0, left > 1000 ? 1000 : (int)left);
	}
	close(gfd);
	close(cfd);
	printf("released\n");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "hold"))
		return cmd_hold(argc - 1, argv + 1);
	fprintf(stderr, "usage: vgvfio status N | hold N SECONDS [--ready-file F]\n");
	return EXIT_USAGE;
}
