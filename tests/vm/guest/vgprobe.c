// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe: guest-side probe for the vfiogroup generic netlink family.
 *
 * Written against raw libnl-3 / libnl-genl-3 (no libvfiogroup) so that the
 * VM tests check the module's wire protocol independently of the library.
 * libnl builds and parses the messages; the receive path is done by hand
 * (recv(2) on the libnl socket) so that the exact errno of a failed recv
 * (ESHUTDOWN, ENOBUFS) and the extended ACK TLVs are visible.
 *
 * Usage: vgprobe [GLOBAL OPTIONS] COMMAND [ARGS]
 *
 * Global options (applied in this order, before the command runs):
 *   --unshare=net        new network namespace (owned by the caller's user ns)
 *   --unshare=user-net   new user namespace owning a new network namespace,
 *                        caller mapped to root (like unshare -U -r -n)
 *   --uid=UID[:GID]      drop to UID/GID (supplementary groups cleared)
 *   --timeout=S          per-request answer timeout (default 10 s)
 *   -v                   dump/get: also print vendor= device= on device lines
 *   --fail-nth=N         fault injection: the Nth fault point (failslab
 *                        allocation) the operation reaches fails: the
 *                        request of dump/get/info, the finit_module() of
 *                        load, the write() of write.  Prints
 *                        "fail-nth=N injected=0|1" on stderr afterwards
 *                        (injected=0: the operation reached fewer points)
 *
 * Commands:
 *   dump                 every group: a line per group, then a line per device
 *   get --id N | --dev NAME
 *   info
 *   monitor [--count N] [--timeout S] [--ready-file F]
 *   vfio-status N
 *   vfio-hold N SECONDS [--ready-file F]   hold group N as a VFIO user
 *   load KO [PARAMS]     finit_module(KO)
 *   write PATH TEXT      one write(2) of TEXT to PATH (sysfs)
 *   bad CASE             CASE: unknown-cmd id-u64 id-short name-long
 *                        name-nonul attr-beyond-max foreign-attr no-attr
 *                        raw CMD TYPE LEN [dump] (one attribute of LEN bytes)
 *   netns-check          print this process's namespaces
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
 * Exit status: 0 success; 1 usage or local failure; 2 vfio-status could not
 * open /dev/vfio/N; 3 monitor timed out; 4 send or recv error (error=<NAME>
 * printed; "error=EBADMSG recv=N" when recv() returned N bytes that hold no
 * netlink message, as it does after a socket error set with the wrong sign;
 * monitor: "error=family-removed" when nlctrl announces the removal);
 * 5 the kernel answered a request with an error (errno= printed);
 * 6 a reply or notification was malformed; 7 the family is not registered;
 * load and write: 5 with error=<NAME> when the system call failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/vfio.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include <linux/vfiogroup.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,
	EXIT_NOGROUP = 2,
	EXIT_TIMEOUT = 3,
	EXIT_RECV = 4,
	EXIT_KERNEL = 5,
	EXIT_MALFORMED = 6,
	EXIT_NOFAMILY = 7,
};

#define RX_BUF_SIZE (256 * 1024)

static unsigned char rxbuf[RX_BUF_SIZE];
static int req_timeout_ms = 10000;
static unsigned int fail_nth;	/* --fail-nth */
static int fail_nth_fd = -1;
static bool verbose;
static unsigned int malformed;

/* ------------------------------------------------------------------ */

static const struct {
	int num;
	const char *name;
} errnames[] = {
#define E(x) { x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE),
	E(EMFILE), E(ENOTTY), E(ENOSPC), E(ESPIPE), E(EROFS), E(EPIPE),
	E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOSYS),
	E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ENODATA), E(ENOLINK),
	E(EPROTO), E(EBADMSG), E(EOVERFLOW), E(EILSEQ), E(EUSERS),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN),
	E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EDQUOT),
	E(ECANCELED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
#undef E
};

static const char *errname(int e)
{
	static char buf[32];
	size_t i;

	if (e < 0)
		e = -e;
	if (e == 0)
		return "0";
	for (i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == e)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

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

static const char *notifier_name(uint32_t n)
{
	switch (n) {
	case VFIOGROUP_NOTIFIER_IOMMU_GROUP:	return "iommu-group";
	case VFIOGROUP_NOTIFIER_BUS:		return "bus";
	}
	return NULL;
}

static void note_malformed(const char *what, int attr)
{
	malformed++;
	printf("malformed=%s attr=%d\n", what, attr);
}

/*
 * Strictly typed attribute accessor: wrong length = malformed.  memcpy,
 * because a u64 may be unaligned without PAD.
 */
static bool get_fixed(const struct nlattr *a, const char *what, void *v,
		      int len)
{
	if (!a)
		return false;
	if (nla_len(a) != len) {
		note_malformed(what, nla_type(a));
		return false;
	}
	memcpy(v, nla_data(a), len);
	return true;
}

#define get_int(a, what, v) get_fixed((a), (what), (v), (int)sizeof(*(v)))

static const char *get_str(const struct nlattr *a, const char *what)
{
	const char *s;
	int len;

	if (!a)
		return NULL;
	s = nla_data(a);
	len = nla_len(a);
	if (len < 1 || len > VFIOGROUP_NAME_MAX || s[len - 1] != '\0' ||
	    strlen(s) != (size_t)len - 1) {
		note_malformed(what, nla_type(a));
		return NULL;
	}
	return s;
}

/* Parse a nest into tb[0..max]; unknown types are ignored (forward compat). */
static void parse_nest(struct nlattr **tb, int max, const struct nlattr *nest)
{
	struct nlattr *a;
	int rem;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	nla_for_each_nested(a, (struct nlattr *)nest, rem) {
		int t = nla_type(a);

		if (t <= max)
			tb[t] = a;
	}
	if (rem > 0 && rem >= (int)sizeof(struct nlattr))
		note_malformed("nest-trailing-bytes", nla_type(nest));
}

/* ------------------------------------------------------------------ */

struct conn {
	struct nl_sock *sk;
	int fd;
	int family;
	int mcgrp;
	const char *fam;	/* the family's name */
	const char *grp;	/* the multicast group's name */
	bool watch_ctrl;	/* monitor: nlctrl's notify joined too */
};

static int conn_open(struct conn *c, bool need_mcgrp)
{
	const char *fam;
	int one = 1, err;

	memset(c, 0, sizeof(*c));
	c->sk = nl_socket_alloc();
	if (!c->sk) {
		fprintf(stderr, "vgprobe: nl_socket_alloc failed\n");
		return EXIT_USAGE;
	}
	err = genl_connect(c->sk);
	if (err < 0) {
		fprintf(stderr, "vgprobe: genl_connect: %s\n", nl_geterror(err));
		printf("error=%s\n", errname(errno ? errno : EIO));
		return EXIT_USAGE;
	}
	c->fd = nl_socket_get_fd(c->sk);
	/* VGPROBE_FAMILY: test the probe itself against another family. */
	fam = getenv("VGPROBE_FAMILY");
	if (!fam || !*fam)
		fam = VFIOGROUP_FAMILY_NAME;
	c->fam = fam;
	c->family = genl_ctrl_resolve(c->sk, fam);
	if (c->family < 0) {
		fprintf(stderr, "vgprobe: family %s: %s\n", fam, nl_geterror(c->family));
		printf("error=family-not-found\n");
		return EXIT_NOFAMILY;
	}
	if (need_mcgrp) {
		const char *grp = getenv("VGPROBE_MCGRP");

		if (!grp || !*grp)
			grp = VFIOGROUP_MCGRP_EVENTS;
		c->grp = grp;
		c->mcgrp = genl_ctrl_resolve_grp(c->sk, fam, grp);
		if (c->mcgrp < 0) {
			fprintf(stderr, "vgprobe: mcast group %s: %s\n", grp,
				nl_geterror(c->mcgrp));
			printf("error=mcgrp-not-found\n");
			return EXIT_NOFAMILY;
		}
	}
	/* Ask for extended ACKs (error messages) and keep ACKs short. */
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		fprintf(stderr, "vgprobe: NETLINK_EXT_ACK: %s\n", strerror(errno));
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
		fprintf(stderr, "vgprobe: NETLINK_CAP_ACK: %s\n", strerror(errno));
	return EXIT_OK;
}

static void conn_close(struct conn *c)
{
	if (c->sk)
		nl_socket_free(c->sk);
	c->sk = NULL;
}

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

static void parse_extack(const struct nlmsghdr *nlh, size_t skip, struct result *r)
{
	const unsigned char *p, *end;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	p = (const unsigned char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(skip);
	end = (const unsigned char *)nlh + nlh->nlmsg_len;
	while (p + sizeof(struct nlattr) <= end) {
		const struct nlattr *a = (const struct nlattr *)p;
		const unsigned char *d = p + NLA_HDRLEN;
		size_t dlen;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) {
			note_malformed("extack-tlv", a->nla_type);
			return;
		}
		dlen = a->nla_len - NLA_HDRLEN;
		switch (a->nla_type & NLA_TYPE_MASK) {
		case NLMSGERR_ATTR_MSG:
			if (dlen > 0) {
				size_t n = strnlen((const char *)d, dlen);

				if (n >= sizeof(r->extack))
					n = sizeof(r->extack) - 1;
				memcpy(r->extack, d, n);
				r->extack[n] = '\0';
			}
			break;
		case NLMSGERR_ATTR_OFFS:
			if (dlen == 4) {
				memcpy(&r->offs, d, 4);
				r->has_offs = true;
			}
			break;
#ifdef NLMSGERR_ATTR_MISS_TYPE
		case NLMSGERR_ATTR_MISS_TYPE:
			if (dlen == 4) {
				memcpy(&r->miss_type, d, 4);
				r->has_miss = true;
			}
			break;
#endif
		default:
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * A recv() that "succeeds" without a netlink message in the buffer.  Seen
 * when a kernel sets a socket error with the wrong sign (netlink_set_err()
 * wants a negative code): recv() then returns the errno value as a length.
 */
static bool bogus_recv(ssize_t n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)rxbuf;

	if (n >= (ssize_t)NLMSG_HDRLEN && nlh->nlmsg_len >= NLMSG_HDRLEN &&
	    nlh->nlmsg_len <= (size_t)n)
		return false;
	printf("error=EBADMSG recv=%zd\n", n);
	fprintf(stderr, "vgprobe: recv returned %zd without a netlink message "
		"(%s as a positive socket error?)\n", n, errname((int)n));
	return true;
}

typedef void (*msg_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Fault injection (fault-injection.rst, "fail-nth"): arm right before the
 * operation's first system call, disarm right after its last, so that only
 * the kernel's work for the operation counts.  Neither reading nor writing
 * the file allocates.
 */
static int fault_prepare(void)
{
	if (!fail_nth)
		return 0;
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_nth_fd < 0) {
		fprintf(stderr, "vgprobe: /proc/thread-self/fail-nth: %s\n", strerror(errno));
		return -1;
	}
	/* Output is written after disarming, not in the middle. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	return 0;
}

static void fault_arm(void)
{
	char buf[16];
	int n;

	if (fail_nth_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%u", fail_nth);
	if (pwrite(fail_nth_fd, buf, (size_t)n, 0) != n)
		fprintf(stderr, "vgprobe: arming fail-nth: %s\n", strerror(errno));
}

static void fault_disarm(void)
{
	char buf[16] = "";
	ssize_t n;

	if (fail_nth_fd < 0)
		return;
	n = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	if (pwrite(fail_nth_fd, "0", 1, 0) != 1)
		fprintf(stderr, "vgprobe: disarming fail-nth: %s\n", strerror(errno));
	fprintf(stderr, "fail-nth=%u injected=%d\n", fail_nth,
		n > 0 && strtoul(buf, NULL, 10) == 0);
	close(fail_nth_fd);
	fail_nth_fd = -1;
}

static int transact_once(struct conn *c, struct nl_msg *msg, msg_cb cb,
			 void *arg, struct result *r);

static int transact(struct conn *c, struct nl_msg *msg, msg_cb cb, void *arg,
		    struct result *r)
{
	int rc;

	fault_arm();
	rc = transact_once(c, msg, cb, arg, r);
	fault_disarm();
	return rc;
}

/*
 * Send msg and read the answer: data messages go to cb, the request ends at
 * NLMSG_ERROR (ack or error) or NLMSG_DONE.  Returns an EXIT_* code for
 * local failures, EXIT_OK otherwise (kernel errors are in r->error).
 */
static int transact_once(struct conn *c, struct nl_msg *msg, msg_cb cb,
			 void *arg, struct result *r)
{
	uint32_t seq;
	int err;

	memset(r, 0, sizeof(*r));
	err = nl_send_auto(c->sk, msg);
	if (err < 0) {
		/* The kernel refused the request itself (ENOMEM, ENOBUFS). */
		fprintf(stderr, "vgprobe: send: %s\n", nl_geterror(err));
		printf("error=%s\n", errname(errno ? errno : EIO));
		return EXIT_RECV;
	}
	seq = nlmsg_hdr(msg)->nlmsg_seq;

	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		err = poll(&pfd, 1, req_timeout_ms);
		if (err < 0 && errno == EINTR)
			continue;
		if (err < 0) {
			fprintf(stderr, "vgprobe: poll: %s\n", strerror(errno));
			return EXIT_USAGE;
		}
		if (err == 0) {
			printf("error=ETIMEDOUT\n");
			fprintf(stderr, "vgprobe: no answer within %d ms\n", req_timeout_ms);
			return EXIT_USAGE;
		}
		memset(rxbuf, 0, NLMSG_HDRLEN);
		n = recv(c->fd, rxbuf, sizeof(rxbuf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			printf("error=%s\n", errname(errno));
			return EXIT_RECV;
		}
		if (bogus_recv(n))
			return EXIT_RECV;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (unsigned int)len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* stray answer to an older request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);
				size_t skip = sizeof(*e);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					note_malformed("short-nlmsgerr", 0);
					return EXIT_MALFORMED;
				}
				if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
					skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
				r->error = -e->error;
				parse_extack(nlh, skip, r);
				return EXIT_OK;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int derr;

					memcpy(&derr, NLMSG_DATA(nlh), sizeof(derr));
					r->error = -derr;
					parse_extack(nlh, sizeof(int), r);
				}
				return EXIT_OK;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP || nlh->nlmsg_type == NLMSG_OVERRUN)
				continue;
			if (nlh->nlmsg_type != c->family) {
				note_malformed("unexpected-nlmsg-type", nlh->nlmsg_type);
				continue;
			}
			r->nmsgs++;
			if (cb)
				cb(nlh, arg);
		}
		if (len > 0)
			note_malformed("trailing-bytes", len);
	}
}

static void print_kernel_error(const struct result *r)
{
	printf("errno=%s extack=%s\n", errname(r->error), r->extack);
	if (r->has_offs)
		printf("extack-offs=%" PRIu32 "\n", r->offs);
	if (r->has_miss)
		printf("extack-miss-type=%" PRIu32 "\n", r->miss_type);
}

static struct nl_msg *new_req(struct conn *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg) {
		fprintf(stderr, "vgprobe: nlmsg_alloc failed\n");
		exit(EXIT_USAGE);
	}
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, flags, cmd,
			 VFIOGROUP_FAMILY_VERSION)) {
		fprintf(stderr, "vgprobe: genlmsg_put failed\n");
		exit(EXIT_USAGE);
	}
	return msg;
}

/* ------------------------------------------------------------------ */
/* Group replies and notifications share this parser. */

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

static bool parse_group(const struct nlmsghdr *nlh, struct groupinfo *g)
{
	struct nlattr *tb[VFIOGROUP_A_MAX + 1];
	struct nlattr *a;
	int rem;

	memset(g, 0, sizeof(*g));
	memset(tb, 0, sizeof(tb));
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		note_malformed("short-genlmsg", 0);
		return false;
	}
	nlmsg_for_each_attr(a, (struct nlmsghdr *)nlh, GENL_HDRLEN, rem) {
		int t = nla_type(a);

		if (t == VFIOGROUP_A_GROUP_DEVICE) {
			struct nlattr *dt[VFIOGROUP_A_DEV_MAX + 1];
			struct devinfo *d;

			if (g->ndev >= MAX_DEVS) {
				note_malformed("too-many-devices", t);
				continue;
			}
			d = &g->dev[g->ndev++];
			parse_nest(dt, VFIOGROUP_A_DEV_MAX, a);
			d->name = get_str(dt[VFIOGROUP_A_DEV_NAME], "dev-name");
			d->bus = get_str(dt[VFIOGROUP_A_DEV_BUS], "dev-bus");
			d->driver = get_str(dt[VFIOGROUP_A_DEV_DRIVER], "dev-driver");
			d->has_viable = get_int(dt[VFIOGROUP_A_DEV_VIABLE], "dev-viable", &d->viable);
			d->has_vendor = get_int(dt[VFIOGROUP_A_DEV_VENDOR], "dev-vendor", &d->vendor);
			d->has_device = get_int(dt[VFIOGROUP_A_DEV_DEVICE], "dev-device", &d->device);
			d->has_vfio = get_int(dt[VFIOGROUP_A_DEV_VFIO], "dev-vfio", &d->vfio);
			d->vfio_dev = get_str(dt[VFIOGROUP_A_DEV_VFIO_DEV], "dev-vfio-dev");
			if (!d->has_vfio || d->vfio > 1)
				note_malformed("dev-vfio", VFIOGROUP_A_DEV_VFIO);
			if (d->vfio_dev && !d->vfio)
				note_malformed("vfio-dev-but-not-vfio", VFIOGROUP_A_DEV_VFIO_DEV);
			if (!d->name)
				note_malformed("dev-without-name", t);
			if (!d->bus)
				note_malformed("dev-without-bus", t);
			if (!d->has_viable)
				note_malformed("dev-without-viable", t);
			if (d->has_viable && d->viable > 1)
				note_malformed("dev-viable-not-bool", VFIOGROUP_A_DEV_VIABLE);
			if (d->bus && !strcmp(d->bus, "pci") && (!d->has_vendor || !d->has_device))
				note_malformed("pci-dev-without-ids", t);
			continue;
		}
		if (t <= VFIOGROUP_A_MAX) {
			if (tb[t])
				note_malformed("duplicate-attr", t);
			tb[t] = a;
		}
	}
	g->has_id = get_int(tb[VFIOGROUP_A_GROUP_ID], "group-id", &g->id);
	g->has_viable = get_int(tb[VFIOGROUP_A_GROUP_VIABLE], "group-viable", &g->viable);
	g->has_seq = get_int(tb[VFIOGROUP_A_GROUP_SEQ], "group-seq", &g->seq);
	g->has_ready = get_int(tb[VFIOGROUP_A_GROUP_READY], "group-ready", &g->ready);
	g->has_in_use = get_int(tb[VFIOGROUP_A_GROUP_IN_USE], "group-in-use", &g->in_use);
	g->event = tb[VFIOGROUP_A_GROUP_EVENT];
	if (!g->has_id)
		note_malformed("group-without-id", VFIOGROUP_A_GROUP_ID);
	if (!g->has_viable)
		note_malformed("group-without-viable", VFIOGROUP_A_GROUP_VIABLE);
	else if (g->viable > 1)
		note_malformed("group-viable-not-bool", VFIOGROUP_A_GROUP_VIABLE);
	if (!g->has_seq)
		note_malformed("group-without-seq", VFIOGROUP_A_GROUP_SEQ);
	if (!g->has_ready)
		note_malformed("group-without-ready", VFIOGROUP_A_GROUP_READY);
	else if (g->ready > 1)
		note_malformed("group-ready-not-bool", VFIOGROUP_A_GROUP_READY);
	if (g->has_in_use && g->in_use > 1)
		note_malformed("group-in-use-not-bool", VFIOGROUP_A_GROUP_IN_USE);
	return g->has_id;
}

/*
 * A reply's state is consistent: ready only when viable and some device is
 * registered with VFIO.  (Not so in a notification: there readiness is as
 * announced at the event's seq, which may lag its cause by one event, e.g.
 * a viability-changed to 0 still carries ready=1 before its ready-changed.)
 */
static void check_reply_ready(const struct groupinfo *g)
{
	unsigned int i, nvfio = 0;

	if (!g->has_ready || !g->ready)
		return;
	if (g->has_viable && !g->viable)
		note_malformed("group-ready-but-not-viable", VFIOGROUP_A_GROUP_READY);
	for (i = 0; i < g->ndev; i++)
		nvfio += g->dev[i].vfio == 1;
	if (!nvfio)
		note_malformed("group-ready-without-vfio-device", VFIOGROUP_A_GROUP_READY);
}

static struct groupinfo gbuf;
static int in_use_seen = -1;	/* replies so far carried group-in-use */

struct dump_state {
	unsigned int groups;
	bool have_last;
	uint32_t last_id;
};

static void print_group(const struct groupinfo *g)
{
	unsigned int i;

	printf("group=%" PRIu32 " viable=%u seq=%" PRIu64 " ready=%u inuse=%s ndev=%u\n",
	       g->id, g->viable, g->seq, g->ready,
	       !g->has_in_use ? "-" : g->in_use ? "1" : "0", g->ndev);
	for (i = 0; i < g->ndev; i++) {
		const struct devinfo *d = &g->dev[i];

		printf("group=%" PRIu32 " viable=%u seq=%" PRIu64
		       " dev=%s bus=%s driver=%s devviable=%u vfio=%u vfiodev=%s",
		       g->id, g->viable, g->seq, d->name ? d->name : "?",
		       d->bus ? d->bus : "?", d->driver ? d->driver : "-", d->viable,
		       d->vfio, d->vfio_dev ? d->vfio_dev : "-");
		if (verbose && d->has_vendor && d->has_device)
			printf(" vendor=0x%04x device=0x%04x", d->vendor, d->device);
		printf("\n");
	}
}

static void group_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump_state *st = arg;
	const struct genlmsghdr *gh = nlmsg_data(nlh);

	if (gh->cmd != VFIOGROUP_CMD_GROUP_GET)
		note_malformed("reply-cmd", gh->cmd);
	if (!parse_group(nlh, &gbuf))
		return;
	if (gbuf.event)
		note_malformed("reply-with-event", VFIOGROUP_A_GROUP_EVENT);
	/* Up to 5.18 the kernel does not show it: absent, or in every reply. */
	if (in_use_seen >= 0 && in_use_seen != gbuf.has_in_use)
		note_malformed("group-in-use-in-some-replies", VFIOGROUP_A_GROUP_IN_USE);
	in_use_seen = gbuf.has_in_use;
	check_reply_ready(&gbuf);
	if (st->have_last && gbuf.id <= st->last_id)
		note_malformed("dump-not-ordered-by-id", VFIOGROUP_A_GROUP_ID);
	st->have_last = true;
	st->last_id = gbuf.id;
	st->groups++;
	print_group(&gbuf);
}

static int finish(int rc)
{
	fflush(stdout);
	if (rc == EXIT_OK && malformed)
		return EXIT_MALFORMED;
	return rc;
}

static int cmd_dump(struct conn *c)
{
	struct dump_state st = { 0 };
	struct result r;
	struct nl_msg *msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP);
	int rc = transact(c, msg, group_cb, &st, &r);

	nlmsg_free(msg);
	if (rc)
		return finish(rc);
	if (r.error) {
		print_kernel_error(&r);
		return finish(EXIT_KERNEL);
	}
	return finish(EXIT_OK);
}

static int cmd_get(struct conn *c, int argc, char **argv)
{
	struct dump_state st = { 0 };
	struct result r;
	struct nl_msg *msg;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: vgprobe get --id N | --dev NAME\n");
		return EXIT_USAGE;
	}
	msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
	if (!strcmp(argv[1], "--id")) {
		char *end;
		unsigned long v = strtoul(argv[2], &end, 0);

		if (*end || v > UINT32_MAX) {
			fprintf(stderr, "vgprobe: bad group id %s\n", argv[2]);
			return EXIT_USAGE;
		}
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, (uint32_t)v);
	} else if (!strcmp(argv[1], "--dev")) {
		nla_put_string(msg, VFIOGROUP_A_GROUP_DEV_NAME, argv[2]);
	} else {
		fprintf(stderr, "usage: vgprobe get --id N | --dev NAME\n");
		return EXIT_USAGE;
	}
	rc = transact(c, msg, group_cb, &st, &r);
	nlmsg_free(msg);
	if (rc)
		return finish(rc);
	if (r.error) {
		print_kernel_error(&r);
		return finish(EXIT_KERNEL);
	}
	if (st.groups != 1)
		note_malformed("get-reply-count", (int)st.groups);
	return finish(EXIT_OK);
}

static void info_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[VFIOGROUP_A_INFO_MAX + 1];
	const struct genlmsghdr *gh = nlmsg_data(nlh);
	uint64_t seq = 0, dropped = 0;
	uint32_t notifier = 0, groups = 0;
	uint8_t events = 0;
	const char *version, *nname;
	bool ok = true;
	int *count = arg;

	(*count)++;
	if (gh->cmd != VFIOGROUP_CMD_INFO_GET)
		note_malformed("reply-cmd", gh->cmd);
	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, VFIOGROUP_A_INFO_MAX, NULL) < 0) {
		note_malformed("info-parse", 0);
		return;
	}
	ok &= get_int(tb[VFIOGROUP_A_INFO_SEQ], "info-seq", &seq);
	ok &= get_int(tb[VFIOGROUP_A_INFO_DROPPED], "info-dropped", &dropped);
	ok &= get_int(tb[VFIOGROUP_A_INFO_NOTIFIER], "info-notifier", &notifier);
	ok &= get_int(tb[VFIOGROUP_A_INFO_GROUPS], "info-groups", &groups);
	ok &= get_int(tb[VFIOGROUP_A_INFO_EVENTS], "info-events", &events);
	version = get_str(tb[VFIOGROUP_A_INFO_VERSION], "info-version");
	if (!ok || !version || events > 1)
		note_malformed("info-missing-attr", 0);
	nname = notifier_name(notifier);
	if (!nname)
		note_malformed("info-notifier-value", (int)notifier);
	printf("seq=%" PRIu64 " dropped=%" PRIu64 " notifier=%s groups=%" PRIu32
	       " version=%s events=%u\n", seq, dropped, nname ? nname : "?",
	       groups, version ? version : "?", events);
}

static int cmd_info(struct conn *c)
{
	struct result r;
	struct nl_msg *msg = new_req(c, VFIOGROUP_CMD_INFO_GET, 0);
	int count = 0;
	int rc = transact(c, msg, info_cb, &count, &r);

	nlmsg_free(msg);
	if (rc)
		return finish(rc);
	if (r.error) {
		print_kernel_error(&r);
		return finish(EXIT_KERNEL);
	}
	if (count != 1)
		note_malformed("info-reply-count", count);
	return finish(EXIT_OK);
}

/* ------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
	       PRIu64 " ndev=%u\n", seq, kname ? kname : "?", gbuf.id, dev ? dev : "-",
	       drv ? drv : "-", gbuf.viable, gbuf.ready, tns, gbuf.ndev);
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

static volatile sig_atomic_t stop_sig;

/* The ready file F, with our pid, made atomically (F.tmp renamed). */
static int write_ready_file(const char *ready)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", ready);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, ready) < 0) {
		fprintf(stderr, "vgprobe: ready file %s: %s\n", ready, strerror(errno));
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static int cmd_monitor(struct conn *c, int argc, char **argv)
{
	long count = 0, seen = 0;
	double timeout_s = 0;
	const char *ready = NULL;
	int64_t deadline = 0;
	struct sigaction sa;
	int i, err, bufsz = 4 * 1024 * 1024;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = strtod(argv[++i], NULL);
		else if (!strcmp(argv[i], "--ready-file") && i + 1 < argc)
			ready = argv[++i];
		else {
			fprintf(stderr, "usage: vgprobe monitor [--count N] [--timeout S] [--ready-file F]\n");
			return EXIT_USAGE;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

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
		for (nlh = (struct nlmsghdr *)rxbuf; NLMSG_OK(nlh, (unsigned int)len);
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

/* ------------------------------------------------------------------ */

static int cmd_vfio_status(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];
	char *end;
	unsigned long id;
	int cfd, gfd;

	if (argc != 2) {
		fprintf(stderr, "usage: vgprobe vfio-status N\n");
		return EXIT_USAGE;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "vgprobe: bad group id %s\n", argv[1]);
		return EXIT_USAGE;
	}
	cfd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (cfd < 0)
		fprintf(stderr, "vgprobe: /dev/vfio/vfio: %s\n", strerror(errno));
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
 * vfio-hold N SECONDS [--ready-file F]: be a VFIO user of group N, as a VMM
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

static int cmd_vfio_hold(int argc, char **argv)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	const char *ready = NULL, *iommu;
	struct sigaction sa;
	char path[64], *end;
	unsigned long id;
	double secs;
	int64_t deadline;
	int cfd, gfd, type, i;

	if (argc < 3) {
		fprintf(stderr, "usage: vgprobe vfio-hold N SECONDS [--ready-file F]\n");
		return EXIT_USAGE;
	}
	id = strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "vgprobe: bad group id %s\n", argv[1]);
		return EXIT_USAGE;
	}
	secs = strtod(argv[2], &end);
	if (*end || secs <= 0) {
		fprintf(stderr, "vgprobe: bad SECONDS %s\n", argv[2]);
		return EXIT_USAGE;
	}
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--ready-file") && i + 1 < argc) {
			ready = argv[++i];
		} else {
			fprintf(stderr, "usage: vgprobe vfio-hold N SECONDS [--ready-file F]\n");
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

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
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

/* ------------------------------------------------------------------ */

/*
 * bad sweep GROUP: every attribute type 1..VG_SWEEP_MAX that an operation
 * does not list, sent to each operation (group-get do, with GROUP's valid
 * group-id beside it; group-get dump; info-get), one answer a line:
 * "sweep op=OP attr=T errno=E extack=MSG".  Then, as a control, the do with
 * the group-id alone: "sweep op=group-get attr=- errno=0 ...".  The guest
 * requires EINVAL on every line but the control.
 */
#define VG_SWEEP_MAX	(VFIOGROUP_A_INFO_MAX + 3)

static int bad_sweep(struct conn *c, const char *group)
{
	static const struct { const char *name; uint8_t cmd; int flags; } ops[] = {
		{ "group-get", VFIOGROUP_CMD_GROUP_GET, 0 },
		{ "group-get-dump", VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP },
		{ "info-get", VFIOGROUP_CMD_INFO_GET, 0 },
	};
	static const char zero[8];
	uint32_t id = (uint32_t)strtoul(group, NULL, 10);
	struct result r;
	struct nl_msg *msg;
	size_t o;
	int t, rc;

	for (o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (t = 0; t <= VG_SWEEP_MAX; t++) {
			bool is_do = o == 0;

			/* group-get's own two; t == 0 is the control */
			if ((is_do && (t == VFIOGROUP_A_GROUP_ID ||
				       t == VFIOGROUP_A_GROUP_DEV_NAME)) ||
			    (!is_do && t == 0))
				continue;
			msg = new_req(c, ops[o].cmd, ops[o].flags);
			if (is_do)
				nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, id);
			if (t)
				nla_put(msg, t, sizeof(zero), zero);
			rc = transact(c, msg, NULL, NULL, &r);
			nlmsg_free(msg);
			if (rc)
				return finish(rc);
			printf("sweep op=%s attr=%s%.0d errno=%s extack=%s\n",
			       ops[o].name, t ? "" : "-", t, r.error ? errname(r.error) : "0",
			       r.extack);
		}
	}
	return finish(EXIT_OK);
}

static int cmd_bad(struct conn *c, int argc, char **argv)
{
	static const char *const cases =
		"unknown-cmd id-u64 id-short name-long name-nonul attr-beyond-max foreign-attr no-attr info-attr dump-attr";
	struct result r;
	struct nl_msg *msg;
	const char *cs;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "sweep"))
		return bad_sweep(c, argv[2]);
	if (argc != 2 && !(argc >= 5 && !strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: vgprobe bad CASE (%s), bad sweep GROUP\n", cases);
		return EXIT_USAGE;
	}
	cs = argv[1];
	if (!strcmp(cs, "unknown-cmd")) {
		/* Past every command the family has. */
		msg = new_req(c, VFIOGROUP_CMD_MAX + 100, 0);
	} else if (!strcmp(cs, "id-u64")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u64(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "id-short")) {
		uint16_t v = 0;

		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put(msg, VFIOGROUP_A_GROUP_ID, sizeof(v), &v);
	} else if (!strcmp(cs, "name-long")) {
		char name[201];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_string(msg, VFIOGROUP_A_GROUP_DEV_NAME, name);
	} else if (!strcmp(cs, "name-nonul")) {
		static const char name[] = "0000:00:02.0";

		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put(msg, VFIOGROUP_A_GROUP_DEV_NAME, (int)strlen(name), name);
	} else if (!strcmp(cs, "attr-beyond-max")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u32(msg, VFIOGROUP_A_MAX + 1, 0);
	} else if (!strcmp(cs, "foreign-attr")) {
		/* An attribute of another set (info's), which GROUP_GET does not take. */
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
		nla_put_u64(msg, VFIOGROUP_A_INFO_SEQ, 0);
	} else if (!strcmp(cs, "no-attr")) {
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, 0);
	} else if (!strcmp(cs, "info-attr")) {
		/* info-get takes no attribute at all. */
		msg = new_req(c, VFIOGROUP_CMD_INFO_GET, 0);
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "dump-attr")) {
		/* The group-get dump takes none either, though its do does. */
		msg = new_req(c, VFIOGROUP_CMD_GROUP_GET, NLM_F_DUMP);
		nla_put_u32(msg, VFIOGROUP_A_GROUP_ID, 0);
	} else if (!strcmp(cs, "raw") && (argc == 5 || argc == 6)) {
		/* bad raw CMD TYPE LEN [dump]: one attribute of LEN bytes 'A' */
		static char fill[4096];
		long cmd = strtol(argv[2], NULL, 0);
		long type = strtol(argv[3], NULL, 0);
		long len = strtol(argv[4], NULL, 0);

		if (cmd < 0 || cmd > 255 || type < 0 || type > 0x3fff || len < 0 ||
		    len > (long)sizeof(fill)) {
			fprintf(stderr, "vgprobe: bad raw CMD(0-255) TYPE LEN(0-4096) [dump]\n");
			return EXIT_USAGE;
		}
		memset(fill, 'A', sizeof(fill));
		msg = new_req(c, (uint8_t)cmd, argc == 6 ? NLM_F_DUMP : 0);
		if (type)
			nla_put(msg, (int)type, (int)len, fill);
	} else {
		fprintf(stderr, "vgprobe: unknown case %s (%s)\n", cs, cases);
		return EXIT_USAGE;
	}
	rc = transact(c, msg, NULL, NULL, &r);
	nlmsg_free(msg);
	if (rc)
		return finish(rc);
	print_kernel_error(&r);
	if (r.nmsgs)
		printf("replies=%u\n", r.nmsgs);
	return finish(EXIT_OK);
}

/* ------------------------------------------------------------------ */

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

static int cmd_netns_check(void)
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
	return EXIT_OK;
}

/* ------------------------------------------------------------------ */

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
			fprintf(stderr, "vgprobe: unshare(CLONE_NEWNET): %s\n", strerror(errno));
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
			fprintf(stderr, "vgprobe: unshare(CLONE_NEWUSER|CLONE_NEWNET): %s\n",
				strerror(errno));
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)uid);
		if (write_file("/proc/self/uid_map", map) < 0) {
			fprintf(stderr, "vgprobe: uid_map: %s\n", strerror(errno));
			return -1;
		}
		if (write_file("/proc/self/setgroups", "deny\n") < 0 && errno != ENOENT) {
			fprintf(stderr, "vgprobe: setgroups: %s\n", strerror(errno));
			return -1;
		}
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned int)gid);
		if (write_file("/proc/self/gid_map", map) < 0) {
			fprintf(stderr, "vgprobe: gid_map: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "vgprobe: --unshare=net or --unshare=user-net\n");
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
		fprintf(stderr, "vgprobe: bad --uid %s\n", spec);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid((gid_t)gid) < 0 || setuid((uid_t)uid) < 0) {
		fprintf(stderr, "vgprobe: dropping to %lu:%lu: %s\n", uid, gid, strerror(errno));
		return -1;
	}
	if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid || getgid() != (gid_t)gid) {
		fprintf(stderr, "vgprobe: privileges not dropped\n");
		return -1;
	}
	return 0;
}

/* PATH opened for a system call under fault injection; -1 (said) if not. */
static int open_faulted(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vgprobe: %s: %s\n", path, strerror(errno));
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
		fprintf(stderr, "usage: vgprobe load KO [PARAMS]\n");
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
		fprintf(stderr, "usage: vgprobe write PATH TEXT\n");
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

static void usage(void)
{
	fprintf(stderr,
		"usage: vgprobe [--unshare=net|user-net] [--uid=U[:G]] [--timeout=S] [-v]\n"
		"               [--fail-nth=N] COMMAND\n"
		"  dump | get --id N | get --dev NAME | info\n"
		"  monitor [--count N] [--timeout S] [--ready-file F]\n"
		"  vfio-status N | vfio-hold N SECONDS [--ready-file F]\n"
		"  bad CASE | netns-check\n"
		"  load KO [PARAMS] | write PATH TEXT\n");
}

int main(int argc, char **argv)
{
	struct conn c;
	const char *cmd;
	int i, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--unshare=", 10)) {
			if (do_unshare(a + 10) < 0)
				return EXIT_USAGE;
		} else if (!strncmp(a, "--uid=", 6)) {
			if (drop_to(a + 6) < 0)
				return EXIT_USAGE;
		} else if (!strncmp(a, "--timeout=", 10)) {
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

	if (!strcmp(cmd, "vfio-status"))
		return cmd_vfio_status(argc, argv);
	if (!strcmp(cmd, "vfio-hold"))
		return cmd_vfio_hold(argc, argv);
	if (!strcmp(cmd, "netns-check"))
		return cmd_netns_check();
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(cmd, "write"))
		return cmd_write(argc, argv);

	if (strcmp(cmd, "dump") && strcmp(cmd, "get") && strcmp(cmd, "info") &&
	    strcmp(cmd, "monitor") && strcmp(cmd, "bad")) {
		usage();
		return EXIT_USAGE;
	}
	rc = conn_open(&c, !strcmp(cmd, "monitor"));
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
