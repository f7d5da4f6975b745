/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's socket filter on a real kernel fan-out (automake exit
 * codes: 0 pass, 1 fail, 77 skip where no unprivileged network namespace
 * can be made, which shows as SKIP, never as a pass).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "internal.h"

/*
 * The bug this design removes, on a real kernel fan-out: in a network
 * namespace of our own (a user namespace makes that unprivileged), taking
 * "lo" up multicasts one RTM_NEWLINK to every RTNLGRP_LINK socket, through
 * the same netlink_broadcast() and sk_filter() as the vfiogroup events.
 * Sockets with a dropping filter, an accept-whole filter and none: the
 * ones that get it get it whole, and equal.  A trimming filter on another
 * socket shows whether this kernel shares the skb (diagnostic only).
 *
 * Runs in a child (the namespaces are per process); exit 77 = cannot.
 */
static long rtnl_socket(const struct sock_fprog *prog)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		_exit(10);
	if (prog && setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, prog,
			       sizeof(*prog)))
		_exit(11);
	return fd;
}

static void set_lo(bool up)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_NEWLINK,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		.i = { .ifi_family = AF_UNSPEC, .ifi_index = (int)if_nametoindex("lo"),
		       .ifi_flags = up ? IFF_UP : 0, .ifi_change = IFF_UP },
	};
	char ack[1024];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0 || !req.i.ifi_index ||
	    send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req) ||
	    recv(fd, ack, sizeof(ack), 0) < 0)
		_exit(12);
	close(fd);
}

/*
 * Length of the first message queued on fd (the one set_lo() caused: it
 * is queued before the kernel acks), the rest drained; -1 if none.
 */
static long rtnl_bytes(int fd)
{
	char buf[65536];
	long first;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	first = n > 0 ? (long)n : -1;
	while (n > 0)
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	return first;
}

static int fanout_child(void)
{
	struct sock_filter drop[] = { BPF_STMT(BPF_RET | BPF_K, VG_FILTER_DROP) };
	struct sock_filter whole[] = { BPF_STMT(BPF_RET | BPF_K, VG_FILTER_ACCEPT) };
	struct sock_filter trim[] = { BPF_STMT(BPF_RET | BPF_K, 20) };
	struct sock_fprog pd = { 1, drop }, pw = { 1, whole }, pt = { 1, trim };
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd, a, b, c, d;
	long la, lb, lc, ld;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return 77;
	/* root in the new user namespace: needed to change lo */
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "deny", 4) < 0)
			return 77;
		close(fd);
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 77;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return 77;
	close(fd);

	/*
	 * The newest member of a multicast group is served first: the one
	 * with the filter under test last, so that it gets the skb itself.
	 */
	c = (int)rtnl_socket(NULL);
	b = (int)rtnl_socket(&pw);
	a = (int)rtnl_socket(&pd);
	set_lo(true);
	la = rtnl_bytes(a);
	lb = rtnl_bytes(b);
	lc = rtnl_bytes(c);
	printf("# fan-out: drop %ld, accept-whole %ld, no filter %ld bytes\n",
	       la, lb, lc);
	if (la != -1 || lb <= 40 || lb != lc)
		return 1;

	/* the old bug, for the record: a trimming filter on one socket */
	d = (int)rtnl_socket(&pt);
	set_lo(false);
	ld = rtnl_bytes(d);
	lb = rtnl_bytes(b);
	lc = rtnl_bytes(c);
	printf("# trimming filter: it got %ld, accept-whole %ld, no filter %ld "
	       "bytes (%s)\n", ld, lb, lc, lb < 40 || lc < 40 ?
	       "this kernel shares the skb: a length cuts the others" :
	       "not shared here");
	return 0;
}

int main(void)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 99;
	if (!pid) {
		int r = fanout_child();

		fflush(stdout);
		_exit(r);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 99;
	switch (WEXITSTATUS(st)) {
	case 0:
		return 0;
	case 77:
		printf("# fan-out: no unprivileged network namespace here: SKIP\n");
		return 77;
	default:
		printf("# fan-out: a listener got the message cut or not at all "
		       "(exit %d)\n", WEXITSTATUS(st));
		return 1;
	}
}
