// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * ynl-client: the family driven by nothing but what the kernel's YNL
 * generator makes of our spec (vfiogroup-user.[ch], --mode user) and YNL's
 * own lib/ynl.c.  The guest's "ynl" section compares what it prints with
 * vgprobe (raw libnl, hand-written decoder), the YNL Python CLI, the
 * vfiogroup tool and sysfs, so the spec is shown to describe the wire.
 *
 *   ynl-client dump
 *   ynl-client get --id N | --dev NAME
 *   ynl-client info
 *   ynl-client monitor [--ready-file F] [--timeout S]
 *
 * Output lines are vgprobe's: a group line "group=G viable=V seq=S ready=R
 * inuse=U|- ndev=N" and one line per device; info as vgprobe's; a monitor line per event
 * without the time.  A refused request prints "errno=NAME extack=MSG" (and
 * an "extack-ynl=" line, below) and exits 5; a monitor exits 3 after S seconds (default 60) without events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ynl.h>
#include "vfiogroup-user.h"

static const char *str_or(const char *s, const char *dflt)
{
	return s ? s : dflt;
}

static void print_group(const struct vfiogroup_group_get_rsp *g)
{
	unsigned int i;

	/* group-in-use: absent up to 5.18, printed as vgprobe does, "-" */
	printf("group=%" PRIu32 " viable=%u seq=%" PRIu64 " ready=%u inuse=%s ndev=%u\n",
	       g->group_id, g->group_viable, (uint64_t)g->group_seq,
	       g->group_ready,
	       !g->_present.group_in_use ? "-" : g->group_in_use ? "1" : "0",
	       g->n_group_device);
	for (i = 0; i < g->n_group_device; i++) {
		const struct vfiogroup_device *d = &g->group_device[i];

		printf("group=%" PRIu32 " viable=%u seq=%" PRIu64
		       " dev=%s bus=%s driver=%s devviable=%u vfio=%u vfiodev=%s\n",
		       g->group_id, g->group_viable, (uint64_t)g->group_seq,
		       str_or(d->name, "?"), str_or(d->bus, "?"),
		       str_or(d->driver, "-"), d->viable, d->vfio,
		       str_or(d->vfio_dev, "-"));
	}
}

/*
 * A request the kernel refused: its errno and extack message as vgprobe
 * prints them, then what YNL made of the extack's attribute offset, which
 * it names from the spec ("extack-ynl=(bad attribute: .group-id)").
 */
static int refused(struct ynl_sock *ys)
{
	static const char pfx[] = "Kernel error: '";
	const char *name = NULL, *msg = ys->err.msg, *end = NULL;

	if (ys->err.code > 0 && ys->err.code < __YNL_ERRNO_END)
		name = strerrorname_np(ys->err.code);
	if (!strncmp(msg, pfx, strlen(pfx))) {
		msg += strlen(pfx);
		end = strstr(msg, "' (");
		if (!end && strlen(msg) && msg[strlen(msg) - 1] == '\'')
			end = msg + strlen(msg) - 1;
	}
	if (!end) {
		/* No message from the kernel: YNL's own words, if any. */
		printf("errno=%s extack=\n", name ? name : "?");
		if (*msg)
			printf("extack-ynl=%s\n", msg);
		return 5;
	}
	printf("errno=%s extack=%.*s\n", name ? name : "?", (int)(end - msg), msg);
	if (end[1])
		printf("extack-ynl=%s\n", end + 2);
	return 5;
}

static int cmd_dump(struct ynl_sock *ys)
{
	struct vfiogroup_group_get_list *list;

	list = vfiogroup_group_get_dump(ys);
	if (!list)
		return refused(ys);
	ynl_dump_foreach(list, g)
		print_group(g);
	vfiogroup_group_get_list_free(list);
	return 0;
}

static int cmd_get(struct ynl_sock *ys, const char *how, const char *what)
{
	struct vfiogroup_group_get_req *req;
	struct vfiogroup_group_get_rsp *rsp;
	char *end;
	unsigned long id;

	req = vfiogroup_group_get_req_alloc();
	if (!req)
		return 1;
	if (!strcmp(how, "--id")) {
		errno = 0;
		id = strtoul(what, &end, 10);
		if (errno || *end || end == what || id > UINT32_MAX) {
			fprintf(stderr, "ynl-client: bad group id %s\n", what);
			vfiogroup_group_get_req_free(req);
			return 2;
		}
		vfiogroup_group_get_req_set_group_id(req, id);
	} else {
		vfiogroup_group_get_req_set_group_dev_name(req, what);
	}
	rsp = vfiogroup_group_get(ys, req);
	vfiogroup_group_get_req_free(req);
	if (!rsp)
		return refused(ys);
	print_group(rsp);
	vfiogroup_group_get_rsp_free(rsp);
	return 0;
}

static int cmd_info(struct ynl_sock *ys)
{
	struct vfiogroup_info_get_rsp *rsp;

	rsp = vfiogroup_info_get(ys);
	if (!rsp)
		return refused(ys);
	printf("seq=%" PRIu64 " dropped=%" PRIu64 " notifier=%s groups=%" PRIu32
	       " version=%s events=%u\n", (uint64_t)rsp->seq,
	       (uint64_t)rsp->dropped,
	       str_or(vfiogroup_notifier_str(rsp->notifier), "?"), rsp->groups,
	       str_or(rsp->version, "?"), rsp->events);
	vfiogroup_info_get_rsp_free(rsp);
	return 0;
}

static void print_event(const struct vfiogroup_event_ntf_rsp *n)
{
	const struct vfiogroup_event_ *e = &n->group_event;

	printf("seq=%" PRIu64 " kind=%s group=%" PRIu32
	       " dev=%s driver=%s viable=%u ready=%u ndev=%u\n", (uint64_t)e->seq,
	       str_or(vfiogroup_event_str(e->kind), "?"), n->group_id,
	       str_or(e->dev_name, "-"), str_or(e->driver, "-"),
	       n->group_viable, n->group_ready, n->n_group_device);
}

static int cmd_monitor(struct ynl_sock *ys, const char *ready, int timeout_s)
{
	struct ynl_ntf_base_type *ntf;
	struct pollfd pfd;
	FILE *f;
	int n;

	if (ynl_subscribe(ys, "events") < 0) {
		fprintf(stderr, "ynl-client: subscribe: %s\n", ys->err.msg);
		return 1;
	}
	if (ready) {
		f = fopen(ready, "w");
		if (!f || fclose(f)) {
			perror(ready);
			return 1;
		}
	}
	pfd.fd = ynl_socket_get_fd(ys);
	pfd.events = POLLIN;
	for (;;) {
		n = poll(&pfd, 1, timeout_s * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("ynl-client: poll");
			return 1;
		}
		if (n == 0) {
			printf("error=ETIMEDOUT\n");
			return 3;
		}
		if (ynl_ntf_check(ys) < 0) {
			printf("error=%s\n", ys->err.msg);
			return 4;
		}
		while ((ntf = ynl_ntf_dequeue(ys))) {
			if (ntf->cmd == VFIOGROUP_CMD_EVENT_NTF)
				print_event(&((struct vfiogroup_event_ntf *)ntf)->obj);
			else
				printf("error=unknown-cmd-%u\n", ntf->cmd);
			ynl_ntf_free(ntf);
		}
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: ynl-client dump | get --id N | get --dev NAME | info |\n"
		"       monitor [--ready-file F] [--timeout S]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	struct ynl_error yerr;
	struct ynl_sock *ys;
	int i, ret, timeout_s = 60;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "get") &&
	    (argc != 4 || (strcmp(argv[2], "--id") && strcmp(argv[2], "--dev"))))
		return usage();
	if (!strcmp(argv[1], "monitor")) {
		for (i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--ready-file"))
				ready = argv[i + 1];
			else if (!strcmp(argv[i], "--timeout"))
				timeout_s = atoi(argv[i + 1]);
			else
				return usage();
		}
		if (i != argc || timeout_s <= 0)
			return usage();
	}
	/* Each line as it happens: the guest waits for lines, not for exit. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	ys = ynl_sock_create(&ynl_vfiogroup_family, &yerr);
	if (!ys) {
		printf("error=%s\n", yerr.msg);
		return 7;
	}
	if (!strcmp(argv[1], "dump") && argc == 2)
		ret = cmd_dump(ys);
	else if (!strcmp(argv[1], "get"))
		ret = cmd_get(ys, argv[2], argv[3]);
	else if (!strcmp(argv[1], "info") && argc == 2)
		ret = cmd_info(ys);
	else if (!strcmp(argv[1], "monitor"))
		ret = cmd_monitor(ys, ready, timeout_s);
	else
		ret = usage();
	ynl_sock_destroy(ys);
	return ret;
}
