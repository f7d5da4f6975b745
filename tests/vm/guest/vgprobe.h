/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What vgprobe's files share: exit statuses, the connection and one
 * request's result (vgprobe-request.c), the strict attribute decoding
 * (vgprobe-parse.c), and each command's entry point.
 */
#ifndef VG_VGPROBE_H
#define VG_VGPROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

/* The numbers are the scripts' (vgprobe.c's usage comment). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_TIMEOUT = 3,
	EXIT_RECV = 4,
	EXIT_KERNEL = 5,
	EXIT_MALFORMED = 6,
	EXIT_NOFAMILY = 7,
};

/* --timeout=S and -v */
extern int req_timeout_ms;
extern bool verbose;

/* One receive buffer: a dump's batch or a burst of notifications. */
#define RX_BUF_SIZE (256 * 1024)
extern unsigned char rxbuf[RX_BUF_SIZE];

/* --- vgprobe-request.c */

struct conn {
	struct nl_sock *sk;
	int fd;
	int family;
	int mcgrp;
	const char *fam;	/* the family's name */
	const char *grp;	/* the multicast group's name */
	bool watch_ctrl;	/* monitor: nlctrl's notify joined too */
};

/* Result of one request. */
struct result {
	int error;			/* positive errno, 0 = success */
	char extack[512];
	bool has_offs;
	uint32_t offs;
	bool has_miss;
	uint32_t miss_type;
	unsigned int nmsgs;
};

typedef void (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

int conn_open(struct conn *c, bool need_mcgrp);
void conn_close(struct conn *c);
struct nl_msg *new_req(struct conn *c, uint8_t cmd, int flags);
int transact(struct conn *c, struct nl_msg *msg, msg_cb cb, void *arg,
	     struct result *r);
bool bogus_recv(ssize_t n);
void print_kernel_error(const struct result *r);

/* --- vgprobe-parse.c */

struct devinfo {
	const char *name, *bus, *driver, *vfio_dev;
	uint8_t viable, vfio;
	bool has_viable, has_vfio;
	bool has_vendor, has_device;
	uint16_t vendor, device;
};

#define MAX_DEVS 256

struct groupinfo {
	uint32_t id;
	uint8_t viable, ready, in_use;
	uint64_t seq;
	bool has_id, has_viable, has_seq, has_ready, has_in_use;
	unsigned int ndev;
	struct devinfo dev[MAX_DEVS];
	const struct nlattr *event;
};

void note_malformed(const char *what, int attr);
int finish(int rc);
bool get_fixed(const struct nlattr *a, const char *what, void *v, int len);
#define get_int(a, what, v) get_fixed((a), (what), (v), (int)sizeof(*(v)))
const char *get_str(const struct nlattr *a, const char *what);
void parse_nest(struct nlattr **tb, int max, const struct nlattr *nest);
bool parse_group(const struct nlmsghdr *nlh, struct groupinfo *g);

/* --- the commands: vgprobe-query.c, vgprobe-monitor.c, vgprobe-bad.c */

int cmd_dump(struct conn *c);
int cmd_get(struct conn *c, int argc, char **argv);
int cmd_info(struct conn *c);
int cmd_monitor(struct conn *c, int argc, char **argv);
int cmd_bad(struct conn *c, int argc, char **argv);

#endif
