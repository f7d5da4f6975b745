// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe monitor: the events group's notifications, one line each, until
 * a count, a timeout, a signal, or the family's removal (announced by
 * nlctrl) ends it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/vfiogroup.h>

#include "background.h"
#include "errname.h"
#include "vgprobe.h"

static const char *kind_name(uint32_t k)
{
	switch (k) {
	case VFIOGROUP_EVENT_DEVICE_ADDED:	return "device-added";
	case VFIOGROUP_EVENT_DEVICE_REMOVED:	return "device-removed";
	case VFIOGROUP_EVENT_DRIVER_BOUND:	return "driver-bound";
	case VFIOGROUP_EVENT_DRIVER_UNBOUND:	return "driver-unbound";
	case VFIOGROUP_EVENT_VIABILITY_CHANGED:	return "viability-changed";
	case VFIOGROUP_EVENT_READY_CHANGED:	return "ready-changed";
	}
	return NULL;
}

/* Room for MAX_DEVS devices, some KiB: static, reused for each message. */
static struct groupinfo gbuf;

/*
 * With --datagrams, each line ends with the ordinal of the datagram that
 * brought it (from 1), so that a test sees which notifications the module
 * sent together.
 */
static long dgram_no;

static void print_event(const struct nlmsghdr *nlh)
{
	struct nlattr *et[VFIOGROUP_A_EVENT_MAX + 1];
	const struct genlmsghdr *gh = nlmsg_data(nlh);
	uint32_t kind = 0;
	uint64_t seq = 0, tns = 0;
	const char *dev, *drv, *kname;

	if (gh->cmd != VFIOGROUP_CMD_EVENT_NTF) {
		note_malformed("ntf-cmd", gh->cmd);
		return;
	}
	if (!parse_group(nlh, &gbuf))
		return;
	if (!gbuf.event) {
		note_malformed("ntf-without-event", VFIOGROUP_A_GROUP_EVENT);
		return;
	}
	parse_nest(et, VFIOGROUP_A_EVENT_MAX, gbuf.event);
	if (!get_int(et[VFIOGROUP_A_EVENT_KIND], "event-kind", &kind))
		note_malformed("event-without-kind", VFIOGROUP_A_EVENT_KIND);
	if (!get_int(et[VFIOGROUP_A_EVENT_SEQ], "event-seq", &seq))
		note_malformed("event-without-seq", VFIOGROUP_A_EVENT_SEQ);
	if (!get_int(et[VFIOGROUP_A_EVENT_TIME_NS], "event-time", &tns))
		note_malformed("event-without-time", VFIOGROUP_A_EVENT_TIME_NS);
	dev = get_str(et[VFIOGROUP_A_EVENT_DEV_NAME], "event-dev-name");
	drv = get_str(et[VFIOGROUP_A_EVENT_DRIVER], "event-driver");
	kname = kind_name(kind);
	if (!kname)
		note_malformed("event-kind-value", (int)kind);
	if (kind != VFIOGROUP_EVENT_VIABILITY_CHANGED && kind != VFIOGROUP_EVENT_READY_CHANGED &&
	    !dev)
		note_malformed("event-without-dev", VFIOGROUP_A_EVENT_DEV_NAME);
	if ((kind == VFIOGROUP_EVENT_DRIVER_BOUND || kind == VFIOGROUP_EVENT_DRIVER_UNBOUND) && !drv)
		note_malformed("event-without-driver", VFIOGROUP_A_EVENT_DRIVER);
	if (gbuf.has_seq && gbuf.seq != seq)
		note_malformed("group-seq-differs-from-event-seq", VFIOGROUP_A_GROUP_SEQ);
	if (gbuf.has_in_use)
		note_malformed("ntf-with-in-use", VFIOGROUP_A_GROUP_IN_USE);
	printf("seq=%" PRIu64 " kind=%s group=%" PRIu32 " dev=%s driver=%s viable=%u ready=%u time=%"
	       PRIu64 " ndev=%u", seq, kname ? kname : "?", gbuf.id, dev ? dev : "-",
	       drv ? drv : "-", gbuf.viable, gbuf.ready, tns, gbuf.ndev);
	if (dgram_no)
		printf(" dgram=%ld", dgram_no);
	putchar('\n');
}

/*
 * Unloading sets ESHUTDOWN on the events group and then unregisters the
 * family, which drops every membership silently: a socket that joined in
 * between would wait forever.  So a monitor joins nlctrl's "notify" as well
 * (DELFAMILY of its family ends it) and, once both memberships are in
 * place, asks on a fresh socket whether the family it resolved is still
 * the one registered, which catches an unload before the joins.
 */
static int watch_family(struct conn *c)
{
	struct nl_sock *sk;
	int notify, family, mcgrp;

	if (strcmp(c->fam, "nlctrl")) {	/* not monitoring nlctrl itself */
		notify = genl_ctrl_resolve_grp(c->sk, "nlctrl", "notify");
		if (notify < 0 || nl_socket_add_membership(c->sk, notify) < 0) {
			fprintf(stderr, "vgprobe: subscribe to nlctrl notify failed\n");
			printf("error=subscribe\n");
			return EXIT_USAGE;
		}
		c->watch_ctrl = true;
	}
	if (nl_socket_add_membership(c->sk, c->mcgrp) < 0) {
		fprintf(stderr, "vgprobe: subscribe to %s failed\n", c->grp);
		printf("error=subscribe\n");
		return EXIT_USAGE;
	}
	if (!c->watch_ctrl)
		return EXIT_OK;
	sk = nl_socket_alloc();
	if (!sk || genl_connect(sk) < 0) {
		fprintf(stderr, "vgprobe: second socket failed\n");
		if (sk)
			nl_socket_free(sk);
		return EXIT_USAGE;
	}
	family = genl_ctrl_resolve(sk, c->fam);
	mcgrp = family < 0 ? family : genl_ctrl_resolve_grp(sk, c->fam, c->grp);
	nl_socket_free(sk);
	if (family < 0 || mcgrp < 0) {
		printf("error=family-not-found\n");
		return EXIT_NOFAMILY;
	}
	if (family != c->family || mcgrp != c->mcgrp) {
		printf("error=family-removed\n");
		return EXIT_RECV;
	}
	return EXIT_OK;
}

/* nlctrl news: is it DELFAMILY of our family? */
static bool family_removed(struct nlmsghdr *nlh, const char *fam)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const struct genlmsghdr *gh = nlmsg_data(nlh);

	if (!genlmsg_valid_hdr(nlh, 0) || gh->cmd != CTRL_CMD_DELFAMILY ||
	    genlmsg_parse(nlh, 0, tb, CTRL_ATTR_MAX, NULL) < 0 ||
	    !tb[CTRL_ATTR_FAMILY_NAME])
		return false;
	return !nla_strcmp(tb[CTRL_ATTR_FAMILY_NAME], fam);
}

int cmd_monitor(struct conn *c, int argc, char **argv)
{
	long count = 0, seen = 0;
	bool datagrams = false;
	double timeout_s = 0;
	const char *ready = NULL;
	int64_t deadline = 0;
	int i, err, bufsz = 4 * 1024 * 1024;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--ready-file") && i + 1 < argc)
			ready = argv[++i];
		else if (!strcmp(argv[i], "--datagrams"))
			datagrams = true;
		else {
			fprintf(stderr, "usage: vgprobe monitor [--count N] [--timeout S] [--ready-file F] [--datagrams]\n");
			return EXIT_USAGE;
		}
	}

	stop_on_signals();

	/* A big receive buffer: losing events to ENOBUFS is a test failure. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)) < 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));

	err = watch_family(c);
	if (err)
		return err;
	if (ready && write_ready_file(ready) < 0)
		return EXIT_USAGE;
	if (timeout_s > 0)
		deadline = now_ms() + (int64_t)(timeout_s * 1000);

	while (!count || seen < count) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		int wait_ms = -1, len;
		ssize_t n;

		if (stop_sig) {
			printf("stopped=%s\n", stop_sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return finish(EXIT_OK);
		}
		if (deadline) {
			int64_t left = deadline - now_ms();

			if (left <= 0) {
				printf("timeout events=%ld\n", seen);
				return finish(EXIT_TIMEOUT);
			}
			wait_ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		err = poll(&pfd, 1, wait_ms);
		if (err < 0) {
			if (errno == EINTR)
				continue;
			printf("error=%s\n", errname(errno));
			return finish(EXIT_RECV);
		}
		if (err == 0)
			continue;
		memset(rxbuf, 0, NLMSG_HDRLEN);
		n = recv(c->fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			printf("error=%s\n", errname(errno));
			return finish(EXIT_RECV);
		}
		if (n == 0) {
			printf("error=EOF\n");
			return finish(EXIT_RECV);
		}
		if (bogus_recv(n))
			return finish(EXIT_RECV);
		len = (int)n;
		if (datagrams)
			dgram_no++;
		/* --count N prints N events, even from inside a datagram */
		for (nlh = (struct nlmsghdr *)rxbuf;
		     (!count || seen < count) && NLMSG_OK(nlh, (unsigned int)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				printf("error=%s\n", errname(e->error));
				return finish(EXIT_RECV);
			}
			if (c->watch_ctrl && nlh->nlmsg_type == GENL_ID_CTRL) {
				if (family_removed(nlh, c->fam)) {
					printf("error=family-removed\n");
					return finish(EXIT_RECV);
				}
				continue;	/* other families' news */
			}
			if (nlh->nlmsg_type != c->family) {
				note_malformed("unexpected-nlmsg-type", nlh->nlmsg_type);
				continue;
			}
			print_event(nlh);
			seen++;
		}
	}
	return finish(EXIT_OK);
}
