// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Fault injection (fault-injection.rst, "fail-nth") for vgprobe and vgsys.
 * The setting is per task: it must be armed in the process that makes the
 * system call, so each tool links this file rather than a wrapper exec'ing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail-nth.h"

unsigned int fail_nth;
static int fail_nth_fd = -1;

/*
 * Armed right before the operation's first system call and disarmed right
 * after its last, so that only the kernel's work for the operation counts.
 * Neither reading nor writing the file allocates.
 */
int fault_prepare(void)
{
	if (!fail_nth)
		return 0;
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0) {
		fprintf(stderr, "%s: /proc/thread-self/fail-nth: %s\n",
			program_invocation_short_name, strerror(errno));
		return -1;
	}
	/* Output is written after disarming, not in the middle. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return 0;
}

void fault_arm(void)
{
	char buf[16];
	int n;

	if (fail_nth_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%u", fail_nth);
	if (pwrite(fail_nth_fd, buf, (size_t)n, 0) != n)
		fprintf(stderr, "%s: arming fail-nth: %s\n",
			program_invocation_short_name, strerror(errno));
}

/* The file reads 0 once the fault was injected: "injected=1". */
void fault_disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	if (fail_nth_fd < 0)
		return;
	n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	if (pwrite(fail_nth_fd, "0", 1, 0) != 1)
		fprintf(stderr, "%s: disarming fail-nth: %s\n",
			program_invocation_short_name, strerror(errno));
	fprintf(stderr, "fail-nth=%u injected=%d\n", fail_nth,
		n > 0 && strtoul(buf, NULL, 10) == 0);
	close(fail_nth_fd);
	fail_nth_fd = -1;
}
