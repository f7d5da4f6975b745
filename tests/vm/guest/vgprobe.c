// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe: guest-side oracle for the vfiogroup generic netlink family.
 *
 * Written against raw libnl-3 / libnl-genl-3 (no libvfiogroup) so that the
 * VM tests check the module's wire protocol independently of the library.
 * libnl builds and parses the messages; the receive path is done by hand
 * (recv(2) on the libnl socket) so that the exact errno of a failed recv
 * (ESHUTDOWN, ENOBUFS) and the extended ACK TLVs are visible.
 *
 * Usage: vgprobe [--timeout=S] [-v] [--fail-nth=N] COMMAND [ARGS]
 *
 * Options:
 *   --timeout=S          per-request answer timeout (default 10 s)
 *   -v                   dump/get: also print vendor= device= on device lines
 *   --fail-nth=N         fault injection: the Nth fault point (failslab
 *                        allocation) the request of dump/get/info reaches
 *                        fails.  Prints "fail-nth=N injected=0|1" on stderr
 *                        afterwards (injected=0: it reached fewer points)
 *
 * Commands:
 *   dump                 every group: a line per group, then a line per device
 *   get --id N | --dev NAME
 *   info
 *   monitor [--count N] [--timeout S] [--ready-file F] [--datagrams]
 *   bad CASE             CASE: unknown-cmd id-u64 id-short name-long
 *                        name-nonul attr-beyond-max foreign-attr no-attr
 *                        info-attr dump-attr, sweep GROUP,
 *                        raw CMD TYPE LEN [dump] (one attribute of LEN bytes)
 *
 * The machine's other side is in tools of their own, so that this one only
 * speaks netlink: vgns (namespaces, uid: "vgns --uid=1000 -- vgprobe dump"),
 * vgvfio (VFIO group status and holding), vgsys (module load, sysfs write).
 *
 * Output lines (key=value, one record per line):
 *   group=<id> viable=<0|1> seq=<n> ready=<0|1> inuse=<0|1|-> ndev=<n>
 *   group=<id> viable=<0|1> seq=<n> dev=<name> bus=<bus> driver=<drv|-> devviable=<0|1>
 *     vfio=<0|1> vfiodev=<vfioX|->
 *   seq=<n> kind=<kind> group=<id> dev=<name|-> driver=<drv|-> viable=<0|1> ready=<0|1>
 *     time=<ns> ndev=<n>
 *   (inuse=-: the reply has no group-in-use, as up to 5.18)
 *   errno=<NAME> extack=<message>          (an error answer from the kernel)
 *   malformed=<what>                       (a reply that breaks the UAPI)
 *
 * Environment: VGPROBE_FAMILY=NAME and VGPROBE_MCGRP=NAME resolve another
 * family / multicast group instead (to test vgprobe itself on a machine
 * without the module, e.g. against nlctrl and its "notify" group).
 *
 * Exit status: 0 success; 1 usage or local failure; 3 monitor timed out;
 * 4 send or recv error (error=<NAME> printed; "error=EBADMSG recv=N" when
 * recv() returned N bytes that hold no netlink message, as it does after a
 * socket error set with the wrong sign; monitor: "error=family-removed"
 * when nlctrl announces the removal); 5 the kernel answered a request with
 * an error (errno= printed); 6 a reply or notification was malformed; 7 the
 * family is not registered.  (2 was vfio-status's, now vgvfio's.)
 *
 * Files: vgprobe-request.c (socket, send and receive), vgprobe-parse.c
 * (attribute decoding), vgprobe-query.c (dump, get, info),
 * vgprobe-monitor.c, vgprobe-bad.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail-nth.h"
#include "vgprobe.h"

bool verbose;

static void usage(void)
{
	fprintf(stderr,
		"usage: vgprobe [--timeout=S] [-v] [--fail-nth=N] COMMAND\n"
		"  dump | get --id N | get --dev NAME | info\n"
		"  monitor [--count N] [--timeout S] [--ready-file F] [--datagrams]\n"
		"  bad CASE\n");
}

int main(int argc, char **argv)
{
	struct conn c;
	const char *cmd;
	int i, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--timeout=", 10)) {
			req_timeout_ms = (int)(strtod(a + 10, NULL) * 1000);
			if (req_timeout_ms <= 0)
				req_timeout_ms = 10000;
		} else if (!strcmp(a, "-v")) {
			verbose = true;
		} else if (!strncmp(a, "--fail-nth=", 11)) {
			fail_nth = (unsigned int)strtoul(a + 11, NULL, 10);
		} else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage();
		return EXIT_USAGE;
	}
	cmd = argv[i];
	argc -= i;
	argv += i;

	if (strcmp(cmd, "dump") && strcmp(cmd, "get") && strcmp(cmd, "info") &&
	    strcmp(cmd, "monitor") && strcmp(cmd, "bad")) {
		usage();
		return EXIT_USAGE;
	}
	rc = conn_open(&c, !strcmp(cmd, "monitor"));
	/* Armed per request (transact), so resolving the family is not counted. */
	if (!rc && strcmp(cmd, "monitor") && fault_prepare() < 0)
		rc = EXIT_USAGE;
	if (rc) {
		conn_close(&c);
		return rc;
	}
	if (!strcmp(cmd, "dump"))
		rc = cmd_dump(&c);
	else if (!strcmp(cmd, "get"))
		rc = cmd_get(&c, argc, argv);
	else if (!strcmp(cmd, "info"))
		rc = cmd_info(&c);
	else if (!strcmp(cmd, "monitor"))
		rc = cmd_monitor(&c, argc, argv);
	else
		rc = cmd_bad(&c, argc, argv);
	conn_close(&c);
	return rc;
}
