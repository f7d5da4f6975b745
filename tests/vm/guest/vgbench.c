// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgbench JOB [--option VALUE ...]: one job of the performance bench
 * (vgbench.h lists them; tests/vm/guest/bench.sh runs them, as root, in
 * the guest).  A watchdog ends a hung job: the bench must end.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgbench.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} jobs[] = {
		{ "latency", job_latency }, { "storm", job_storm }, { "scale", job_scale },
		{ "idle", job_idle }, { "burst", job_burst },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	watchdog_msg = "not ok - vgbench: watchdog: the job hung\n";
	signal(SIGALRM, on_alarm);
	alarm((unsigned)(getenv("VGBENCH_WATCHDOG") ? atoi(getenv("VGBENCH_WATCHDOG")) : 600));
	for (size_t i = 0; argc > 1 && i < sizeof(jobs) / sizeof(jobs[0]); i++)
		if (!strcmp(argv[1], jobs[i].name))
			return jobs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "usage: vgbench latency|storm|scale|idle|burst [--option VALUE ...]\n");
	return 1;
}
