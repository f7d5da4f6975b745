// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgns: runs a program in new namespaces or as another user, for the guest
 * suite's "user" and "netns" sections where busybox's unshare or su fail.
 *
 * Usage: vgns [--unshare=net|user-net] [--uid=UID[:GID]] -- PROG [ARGS]
 *        vgns [--unshare=net|user-net] [--uid=UID[:GID]] netns-check
 *
 *   --unshare=net        new network namespace (owned by the caller's user ns)
 *   --unshare=user-net   new user namespace owning a new network namespace,
 *                        caller mapped to root (like unshare -U -r -n)
 *   --uid=UID[:GID]      drop to UID/GID (supplementary groups cleared)
 *   netns-check          print "netns=... userns=... initial_userns=0|1|-1
 *                        uid=N" for this process
 *
 * Options are applied in the order given, then PROG is exec'd: the
 * namespaces and ids are the process's, so they survive the exec, and the
 * program under test (vgprobe) opens its socket as it would after doing
 * the same itself.  The pid survives too: a script's $! and kill reach
 * the program.
 *
 * Exit status: 1 usage or a step that failed (said on stderr); 127 PROG
 * could not be exec'd; else PROG's.  netns-check: 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void ns_ino(const char *which, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", which);
	n = readlink(path, out, len - 1);
	if (n < 0)
		n = snprintf(out, len, "?");
	out[n] = '\0';
}

static int netns_check(void)
{
	char net[64], user[64];
	unsigned long a = 1, b = 1, n = 0;
	int initial = -1;
	FILE *f;

	ns_ino("net", net, sizeof(net));
	ns_ino("user", user, sizeof(user));
	/* The initial user namespace maps every id: "0 0 4294967295". */
	f = fopen("/proc/self/uid_map", "r");
	if (f) {
		initial = fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 &&
			  n == 4294967295UL;
		fclose(f);
	}
	printf("netns=%s userns=%s initial_userns=%d uid=%d\n", net, user, initial,
	       (int)getuid());
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int do_unshare(const char *what)
{
	if (!strcmp(what, "net")) {
		if (unshare(CLONE_NEWNET) < 0) {
			fprintf(stderr, "vgns: unshare(CLONE_NEWNET): %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (!strcmp(what, "user-net")) {
		uid_t uid = geteuid();
		gid_t gid = getegid();
		char map[64];

		/* One call: the new net ns is owned by the new user ns. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
			fprintf(stderr, "vgns: unshare(CLONE_NEWUSER|CLONE_NEWNET): %s\n",
				strerror(errno));
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
		if (write_file("/proc/self/uid_map", map) < 0) {
			fprintf(stderr, "vgns: uid_map: %s\n", strerror(errno));
			return -1;
		}
		if (write_file("/proc/self/setgroups", "deny\n") < 0 && errno != ENOENT) {
			fprintf(stderr, "vgns: setgroups: %s\n", strerror(errno));
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
		if (write_file("/proc/self/gid_map", map) < 0) {
			fprintf(stderr, "vgns: gid_map: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "vgns: --unshare=net or --unshare=user-net\n");
	return -1;
}

static int drop_to(const char *spec)
{
	char *end;
	unsigned long uid, gid;

	uid = strtoul(spec, &end, 10);
	gid = uid;
	if (*end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (*end) {
		fprintf(stderr, "vgns: bad --uid %s\n", spec);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0 || setuid((uid_t)uid) < 0) {
		fprintf(stderr, "vgns: dropping to %lu:%lu: %s\n", uid, gid, strerror(errno));
		return -1;
	}
	if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid || getgid() != (gid_t)gid) {
		fprintf(stderr, "vgns: privileges not dropped\n");
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vgns [--unshare=net|user-net] [--uid=U[:G]] -- PROG [ARGS]\n"
		"       vgns [--unshare=net|user-net] [--uid=U[:G]] netns-check\n");
}

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--unshare=", 10)) {
			if (do_unshare(a + 10) < 0)
				return 1;
		} else if (!strncmp(a, "--uid=", 6)) {
			if (drop_to(a + 6) < 0)
				return 1;
		} else if (!strcmp(a, "netns-check") && i + 1 == argc) {
			return netns_check();
		} else {
			usage();
			return 1;
		}
	}
	if (i + 1 >= argc) {
		usage();
		return 1;
	}
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "vgns: %s: %s\n", argv[i + 1], strerror(errno));
	return 127;
}
