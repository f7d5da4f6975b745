/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fake vfiogroup kernel for the unit tests, and the test transport that
 * connects a context to it.
 *
 * The fake keeps group state like the module does, numbers events the
 * same way and sends real netlink bytes (built with libnl) through an
 * AF_UNIX datagram socketpair, so the library's receive path, decoder and
 * even the kernel-side BPF filter (SO_ATTACH_FILTER works on unix sockets)
 * are the real ones.  Losses, overruns, shutdowns and reloads are injected
 * on demand.
 *
 * Overruns are netlink's, not AF_UNIX's: a message the listener's filter
 * accepts but its queue has no room for (more queued than sv[0]'s
 * SO_RCVBUF, or the socketpair refuses it) makes the socket congested and
 * reports ENOBUFS, once; while congested every message is dropped without
 * a word; a recv that leaves the queue empty, whatever it returned, ends
 * the congestion (netlink_overrun(), netlink_broadcast_deliver(),
 * netlink_rcv_wake()).
 */
#ifndef VG_TEST_FAKE_H
#define VG_TEST_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <netlink/msg.h>

#include "internal.h"

#define FAKE_MAX_GROUPS	16
#define FAKE_MAX_DEVS	8

struct fake_dev {
	char name[VFIOGROUP_NAME_MAX];
	char driver[VFIOGROUP_NAME_MAX];	/* "" unbound */
	bool blocks;		/* its driver keeps the group from being viable */
};

struct fake_group {
	uint32_t id;
	uint64_t seq;
	bool ready;		/* as announced, as the module keeps it */
	int in_use;		/* group-in-use in replies: 1, 0, -1 absent */
	size_t ndev;
	struct fake_dev dev[FAKE_MAX_DEVS];
};

/* The event of a notification the fake builds (fake_group_msg()). */
struct vg_event_raw {
	uint32_t kind;
	uint64_t seq;
	uint64_t time_ns;
	bool has_dev, has_driver;
	char dev_name[VFIOGROUP_NAME_MAX];
	char driver[VFIOGROUP_NAME_MAX];
};

struct fake;

/* Where the hook (below) is called, with no lock held. */
enum fake_point {
	FAKE_REQUEST_BEFORE,	/* a request came, not answered yet */
	FAKE_REQUEST_AFTER,	/* every reply to it handed over */
	FAKE_RECV_AFTER,	/* the library received, or tried to */
};

/* kind: the request's (FAKE_REQUEST_*), else 0. */
typedef void (*fake_hook_fn)(struct fake *fk, enum fake_point at,
			     enum vg_req_kind kind, void *arg);

struct fake {
	pthread_mutex_t lock;	/* tests mutate from several threads */
	bool present;		/* module loaded */
	uint16_t family_id;
	uint32_t version;
	uint32_t events_grp;
	uint64_t seq;
	uint64_t dropped;
	size_t ngroups;
	struct fake_group groups[FAKE_MAX_GROUPS];
	int sv[2];		/* [0] the library reads, [1] we write */
	int drop_next;		/* lose the next N events (seq consumed) */
	/* and report each on the socket, as the module's netlink_set_err() */
	bool drop_enobufs;
	int pending_err;	/* next recv returns this (-ENOBUFS, ...) */
	bool congested;		/* netlink's NETLINK_S_CONGESTED */
	uint64_t overruns;	/* messages refused: no room, or congested */
	uint64_t silent_drops;	/* of which dropped while congested */
	int probe[2];		/* sv's twin with the same filter: its verdict */
	bool filtered;		/* a filter is attached (to both) */
	fake_hook_fn hook;	/* may change the fake: events mid-request */
	void *hook_arg;
	int joins;
	unsigned requests;
	/* emit GROUP_EVENT right after GROUP_ID instead of last */
	bool event_early;
	/* info-events in INFO replies: 1, 0, or -1 to leave it out */
	int events_reach;
};

struct fake *fake_new(void);
void fake_free(struct fake *fk);
/* A transport on fk (fk outlives it). */
struct vg_transport *fake_transport(struct fake *fk);
/* vg_ctx_new_transport() on a fake transport. */
int fake_ctx(struct fake *fk, unsigned flags, struct vfiogroup_ctx **ctx);

/* State changes; each sends the notifications the module would send. */
void fake_add_device(struct fake *fk, uint32_t gid, const char *dev,
		     const char *driver, bool blocks);
void fake_remove_device(struct fake *fk, uint32_t gid, const char *dev);
void fake_bind(struct fake *fk, uint32_t gid, const char *dev,
	       const char *driver, bool blocks);
void fake_unbind(struct fake *fk, uint32_t gid, const char *dev);
bool fake_viable(struct fake *fk, uint32_t gid);
/*
 * The tests' usual machine, seven events: group 1 = {0000:01:00.0 on
 * vfio-pci, 0000:01:00.1 unbound} (ready), group 2 = {0000:02:00.0 on
 * e1000} (not viable).
 */
void fake_add_two_groups(struct fake *fk);
/* A user takes (1) or lets go of (0) a group: no event, as in the kernel. */
void fake_set_in_use(struct fake *fk, uint32_t gid, int in_use);
bool fake_congested(struct fake *fk);

/* Module lifecycle, as seen on the event socket. */
void fake_unload(struct fake *fk);	/* ESHUTDOWN, then DELFAMILY */
void fake_load(struct fake *fk);	/* new family id, NEWFAMILY */

/* Raw bytes onto the event socket. */
void fake_send_raw(struct fake *fk, const void *buf, size_t len);

/*
 * Message builders, shared with the decode and filter tests.  ev may be
 * NULL (a reply).  Returns a libnl message the caller frees.
 */
struct nl_msg *fake_group_msg(uint16_t family, uint8_t cmd,
			      const struct fake_group *g,
			      const struct vg_event_raw *ev, bool event_early);
struct nl_msg *fake_ctrl_msg(uint8_t cmd, const char *name, uint16_t id);

#endif
