/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfiogroup internals, shared by the library's files and the unit tests
 * (which link the convenience library, so they see these symbols; the
 * shared object exports only vfiogroup_*).
 *
 * Lock order, once for the whole library:
 *     dispatch_lock -> req_lock -> cache_lock
 *     dispatch_lock -> filter_lock -> cache_lock, subs_lock
 * (a refresh of newly covered groups, cover.c, takes req_lock and
 * cache_lock one after the other, never filter_lock with either)
 * subs_lock and cache_lock are leaves: nothing is called with them held
 * except the code of this library that takes no other lock.  No lock but
 * dispatch_lock is held while a callback runs, so a callback may query,
 * subscribe and unsubscribe freely.
 */
#ifndef LIBVFIOGROUP_INTERNAL_H
#define LIBVFIOGROUP_INTERNAL_H

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.4.0"
#endif

#include <linux/filter.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/vfiogroup.h>
#include "vfiogroup.h"

#define VG_EXPORT __attribute__((visibility("default")))
#define VG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ------------------------------------------------------------------ */
/* Group snapshots (group.c)                                           */
/* ------------------------------------------------------------------ */

/*
 * A device nest the module sends is about 90 bytes (six short attributes
 * and three names of a PCI device); longer ones are decoded every time.
 */
#define VG_DEV_NEST_MAX	128

struct vfiogroup_device {
	char name[VFIOGROUP_NAME_MAX];
	char bus[VFIOGROUP_NAME_MAX];
	char driver[VFIOGROUP_NAME_MAX];	/* "" when unbound */
	bool viable;
	bool is_pci;
	uint16_t vendor;
	uint16_t device;
	bool vfio;				/* registered with VFIO */
	char vfio_dev[VFIOGROUP_NAME_MAX];	/* vfioX, "" if not known */
	/*
	 * The payload of the device nest this was decoded from, when it
	 * fit (nest_len 0: unknown).  An event decoded into this group
	 * (the spare, dispatch.c) keeps the device as it is when its nest
	 * is the same bytes: decoding is a function of those bytes alone.
	 */
	uint16_t nest_len;
	unsigned char nest[VG_DEV_NEST_MAX];
};

/*
 * Immutable once built, so the cache, events in flight and the caller can
 * share one without locking; only the reference count changes.
 */
struct vfiogroup_group {
	atomic_uint refs;
	uint32_t id;
	bool viable;
	bool ready;
	/* 1 or 0 in a reply of a kernel that shows it; -1 otherwise */
	int8_t in_use;
	uint64_t seq;
	size_t ndev;
	/* devs, or an array of its own once it outgrew them (add_device) */
	struct vfiogroup_device *dev;
	size_t ndevs;			/* room in devs */
	char node[24];			/* "/dev/vfio/N", or "" */
	/*
	 * Allocated with the group, one block for the decoder, which counts
	 * the devices before it allocates (no realloc per device).
	 */
	struct vfiogroup_device devs[];
};

/* A group with room for ndevs devices, zeroed, in one allocation. */
struct vfiogroup_group *vg_group_alloc(uint32_t id, size_t ndevs);
/*
 * g made a new group with room for ndevs devices, when it has the room;
 * NULL (g untouched) otherwise.  Its devices are not zeroed: the decoder
 * writes every field.  The caller holds g's only
 * reference (vg_group_sole()).
 */
struct vfiogroup_group *vg_group_renew(struct vfiogroup_group *g,
				       size_t ndevs);
/* Nobody but the caller holds g (nor can get it: it is in no cache). */
bool vg_group_sole(struct vfiogroup_group *g);
struct vfiogroup_group *vg_group_new(uint32_t id);
int vg_group_add_device(struct vfiogroup_group *g,
			const struct vfiogroup_device *d);
/* The group's node, "/dev/vfio/<id>": it exists while VFIO has a device. */
void vg_group_set_node(struct vfiogroup_group *g);
const struct vfiogroup_device *vg_group_find_dev(const struct vfiogroup_group *g,
						 const char *name);
/*
 * Into a struct the caller sized (size: sizeof as the caller knows it),
 * as much of ours (len bytes) as it has room for: older callers know a
 * shorter struct, and the library may append fields.
 */
static inline void vg_copy_sized(void *dst, size_t size, const void *src,
				 size_t len)
{
	memcpy(dst, src, size < len ? size : len);
}

/* Ready by the module's rule, for a module that does not say (< 0.3). */
bool vg_group_openable(const struct vfiogroup_group *g);

/* ------------------------------------------------------------------ */
/* Decoding (decode.c): bytes -> structs, no socket involved           */
/* ------------------------------------------------------------------ */

enum vg_msg_kind {
	VG_MSG_IGNORE,		/* valid but of no interest (ack, done, ...) */
	VG_MSG_GROUP,		/* GROUP_GET reply */
	VG_MSG_EVENT,		/* EVENT_NTF */
	VG_MSG_INFO,		/* INFO_GET reply */
	VG_MSG_CTRL,		/* nlctrl NEWFAMILY/DELFAMILY */
	VG_MSG_ERROR,		/* NLMSG_ERROR with a non-zero error */
};

/*
 * An EVENT_NTF's event.  Its strings (NULL when absent) point into the
 * message decoded, checked as those copied are: valid as long as its
 * bytes are (the dispatcher's receive buffer until the next datagram).
 */
struct vg_event_ntf {
	uint32_t kind;
	uint64_t seq;
	uint64_t time_ns;
	const char *dev_name;
	const char *driver;
};

struct vg_msg {
	enum vg_msg_kind kind;
	/* VG_MSG_GROUP, VG_MSG_EVENT; a reference the caller drops */
	struct vfiogroup_group *group;
	uint32_t group_id;
	struct vg_event_ntf ev;
	struct vfiogroup_info info;		/* VG_MSG_INFO */
	/* VG_MSG_INFO: events reach our namespace 1, never 0, unsaid -1 */
	int info_events;
	uint8_t ctrl_cmd;			/* VG_MSG_CTRL */
	uint16_t ctrl_family_id;
	char ctrl_family[32];
	int error;				/* VG_MSG_ERROR, negative */
};

/*
 * Decode one netlink message.  avail is how many bytes of it were received;
 * a message shorter than its nlmsg_len is malformed (nothing is ever cut
 * short on purpose: the kernel filter drops or accepts whole).  family_id
 * is the vfiogroup family's current id (0 if unknown).  Returns 0 or
 * -EBADMSG for anything malformed; never reads outside [nlh, nlh+avail).
 */
int vg_decode(const struct nlmsghdr *nlh, size_t avail, uint16_t family_id,
	      struct vg_msg *out);
/*
 * The same, decoding a group into *spare (vg_group_renew()) rather than a
 * new allocation when it has the room: then *spare becomes NULL.  A spare
 * too small is dropped (*spare NULL) so that a bigger one can take its
 * place.
 */
int vg_decode_into(const struct nlmsghdr *nlh, size_t avail,
		   uint16_t family_id, struct vfiogroup_group **spare,
		   struct vg_msg *out);
void vg_msg_release(struct vg_msg *m);

/*
 * Walk the messages of one datagram: calls fn for each (avail is its
 * nlmsg_len).  Returns the number walked, or -EBADMSG if the datagram does
 * not split into whole messages (the whole messages before the first bad
 * one have been handed over by then).
 */
typedef int (*vg_each_fn)(const struct nlmsghdr *nlh, size_t avail, void *arg);
int vg_each_msg(const void *buf, size_t len, vg_each_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Transport (transport-nl.c; tests bring their own)                   */
/* ------------------------------------------------------------------ */

struct vg_family {
	uint16_t id;		/* generic netlink family id */
	uint32_t version;
	uint32_t events_grp;	/* multicast group id of "events" */
};

enum vg_req_kind { VG_REQ_GROUP_BY_ID, VG_REQ_GROUP_BY_DEV, VG_REQ_DUMP,
		   VG_REQ_INFO };

struct vg_request {
	enum vg_req_kind kind;
	uint32_t group_id;
	const char *dev_name;
};

/* Called with each reply message; a negative return aborts the request. */
typedef int (*vg_reply_fn)(const struct nlmsghdr *nlh, size_t avail,
			   void *arg);

struct vg_transport;

struct vg_transport_ops {
	/*
	 * Join nlctrl's "notify" group on the event socket (once, first, so
	 * a NEWFAMILY after a failed resolve is not missed).
	 */
	int (*watch_ctrl)(struct vg_transport *t);
	/* Resolve the family: -ENOENT when it is not registered. */
	int (*resolve)(struct vg_transport *t, struct vg_family *fam);
	/* Join fam's "events" group on the event socket, leaving old_grp. */
	int (*join)(struct vg_transport *t, uint32_t old_grp, uint32_t grp);
	/*
	 * Receive one datagram from the event socket without blocking.
	 * Returns its length, -EAGAIN, -ENOBUFS, -ESHUTDOWN, -EPERM when it
	 * was not sent by the kernel (already consumed), -EMSGSIZE when it
	 * did not fit cap (consumed: events were lost), or another errno.
	 */
	long (*recv)(struct vg_transport *t, void *buf, size_t cap);
	/* One do or dump request on the request socket, replies to fn. */
	int (*request)(struct vg_transport *t, const struct vg_family *fam,
		       const struct vg_request *req, vg_reply_fn fn,
		       void *arg);
	/* Attach prog to the event socket, or detach when prog is NULL. */
	int (*set_filter)(struct vg_transport *t,
			  const struct sock_fprog *prog);
	int (*fd)(struct vg_transport *t);
	void (*destroy)(struct vg_transport *t);
};

struct vg_transport {
	const struct vg_transport_ops *ops;
};

int vg_transport_nl_new(struct vg_transport **out, char *err, size_t errlen);
/* resolve() of the real transport for any family (tests use nlctrl). */
int vg_nl_resolve(struct vg_transport *t, const char *family,
		  const char *grp_name, struct vg_family *fam);

/* ------------------------------------------------------------------ */
/* Group cache (cache.c)                                               */
/* ------------------------------------------------------------------ */

struct vg_cache_entry {
	uint32_t id;
	/*
	 * The group's state, or NULL: the group is known not to exist as of
	 * seq (a tombstone left by a refresh, cover.c, so that older events
	 * still queued cannot bring it back).
	 */
	struct vfiogroup_group *group;
	/* group->seq, or the seq a tombstone is good for: newer events apply */
	uint64_t seq;
};

/* Sorted by id: dumps arrive sorted, lookups bisect. */
struct vg_cache {
	struct vg_cache_entry *e;
	size_t n, cap;
};

void vg_cache_init(struct vg_cache *c);
void vg_cache_clear(struct vg_cache *c);
struct vg_cache_entry *vg_cache_find(struct vg_cache *c, uint32_t id);
/* Takes over the reference g; returns -ENOMEM (g dropped) on failure. */
int vg_cache_put(struct vg_cache *c, struct vfiogroup_group *g);
/*
 * The same, handing over the group it replaces or removes instead of
 * dropping it: *old is a reference for the caller, or NULL.
 */
int vg_cache_put_take(struct vg_cache *c, struct vfiogroup_group *g,
		      struct vfiogroup_group **old);
/*
 * The same, given e: the entry of g's id, just found under the same
 * cache_lock (vg_cache_find()), or NULL if it has none.
 */
int vg_cache_put_at(struct vg_cache *c, struct vg_cache_entry *e,
		    struct vfiogroup_group *g, struct vfiogroup_group **old);
/* A tombstone: id does not exist as of seq.  -ENOMEM on failure. */
int vg_cache_put_absent(struct vg_cache *c, uint32_t id, uint64_t seq);
void vg_cache_remove(struct vg_cache *c, uint32_t id);
void vg_cache_swap(struct vg_cache *a, struct vg_cache *b);

/*
 * Synthesized events turning old into new, in the order the kernel would
 * have sent them.  Each carries a reference on the group state it
 * describes (the new group, or an empty one for a group that is gone).
 */
struct vg_synth {
	struct vfiogroup_ev ev;
	struct vfiogroup_group *group;
	char dev_name[VFIOGROUP_NAME_MAX];
	char driver[VFIOGROUP_NAME_MAX];
};

struct vg_synth_list {
	struct vg_synth *s;
	size_t n, cap;
};

/* want (may be NULL: every id) picks the ids to compare. */
typedef bool (*vg_id_pred)(const void *arg, uint32_t id);
int vg_cache_diff(const struct vg_cache *old, const struct vg_cache *new_,
		  vg_id_pred want, const void *arg, struct vg_synth_list *out);
int vg_group_diff(const struct vfiogroup_group *old,
		  struct vfiogroup_group *new_, uint32_t id,
		  struct vg_synth_list *out);
void vg_synth_list_free(struct vg_synth_list *l);

/* ------------------------------------------------------------------ */
/* Kernel filter (filter.c)                                            */
/* ------------------------------------------------------------------ */

/* More wanted groups than this: no filter (accept everything). */
#define VG_FILTER_MAX_GROUPS	128
/* What the program returns: nothing else, ever (see filter.c). */
#define VG_FILTER_DROP		0u
#define VG_FILTER_ACCEPT	0xffffffffu

/*
 * Build the classic BPF program: every message is accepted whole except an
 * EVENT_NTF of family_id whose first attribute is a GROUP_ID not in ids,
 * which is dropped.  prog->filter is malloc()ed.  -E2BIG when ids has too
 * many entries.
 */
int vg_filter_build(uint16_t family_id, const uint32_t *ids, size_t n,
		    struct sock_fprog *prog);

/* ------------------------------------------------------------------ */
/* Subscriptions (subscribe.c)                                         */
/* ------------------------------------------------------------------ */

struct vfiogroup_filter {
	uint32_t *ids;		/* sorted, unique */
	size_t n, cap;
};

bool vg_filter_has(const struct vfiogroup_filter *f, uint32_t id);
/* Where id is or would go in the sorted f->ids (bisection). */
size_t vg_filter_pos(const struct vfiogroup_filter *f, uint32_t id);

struct vfiogroup_sub {
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *next, *prev;
	struct vfiogroup_filter filter;
	bool all_groups;
	/* "": by group; else the events of whichever group holds it */
	char device[VFIOGROUP_NAME_MAX];
	unsigned mask;
	vfiogroup_cb cb;
	void *userdata;
	uint64_t gen;		/* deliveries older than this skip it */
	bool dead;		/* unsubscribed, waiting for its callback */
	bool running;		/* its callback is running now */
	pthread_t runner;	/* thread running it, valid while running */
	unsigned waiters;	/* threads in unsubscribe waiting for it */
};

void vg_deliver(struct vfiogroup_ctx *ctx, const struct vfiogroup_ev *ev);
void vg_deliver_notice(struct vfiogroup_ctx *ctx, unsigned kind);
/*
 * Recompute the kernel filter from the subscriptions (every group when
 * there is none, or when one wants every group), attach it and record what
 * it lets through (vg_set_cover()).  A no-op while disconnected: vg_sync()
 * calls it again with the new family id.
 */
int vg_update_filter(struct vfiogroup_ctx *ctx);

/* ------------------------------------------------------------------ */
/* What the kernel filter lets through, and what the cache knows       */
/* (cover.c)                                                           */
/* ------------------------------------------------------------------ */

/*
 * The attached filter drops the events of the groups it does not cover, so
 * the cache cannot follow those: their entries are removed, their queries
 * go to the kernel, and the events of theirs that still turn up (queued
 * before the filter changed) are skipped.  A group the filter starts to
 * cover is not known either until it is refreshed: fetched from the kernel
 * after the wider filter is attached (list-then-watch), and only its events
 * newer than that applied.  All under cache_lock.
 */
struct vg_cover {
	bool all;			/* no filter: every group's events */
	uint64_t all_since;		/* cover_gen when that began */
	struct vfiogroup_filter ids;	/* else the groups let through */
	uint64_t *since;		/* per id: cover_gen when it began */
};

/*
 * Record what the attached filter lets through: every group, or ids.
 * Takes over ids->ids and since (room for ids->n stamps; NULL with all).
 * Returns true when the cover changed.
 */
bool vg_set_cover(struct vfiogroup_ctx *ctx, bool all,
		  struct vfiogroup_filter *ids, uint64_t *since);
bool vg_covered(const struct vfiogroup_ctx *ctx, uint32_t id);
/* The cache entry of id (or its absence) is current. */
bool vg_known(const struct vfiogroup_ctx *ctx, uint32_t id);
/* Some covered group is not known yet. */
bool vg_refresh_needed(const struct vfiogroup_ctx *ctx);
/*
 * After a full reload of the cache (vg_sync()): every covered group is
 * known if the cover did not change since gen (cover_gen read before the
 * reload's INFO), else none is (they are all refreshed again).
 */
void vg_know_cover(struct vfiogroup_ctx *ctx, uint64_t gen);
/*
 * Fetch what the cache does not know yet: every group (a dump) when the
 * filter was dropped, else each newly covered group.  Any thread, no lock
 * held.  0 when nothing was needed or it was done; a negative errno when a
 * request failed (the groups stay unknown, queries still go to the kernel).
 */
int vg_refresh_pending(struct vfiogroup_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Context (ctx.c)                                                     */
/* ------------------------------------------------------------------ */

struct vfiogroup_ctx {
	atomic_uint refs;
	unsigned flags;
	struct vg_transport *t;

	/* dispatch_lock: one reader of the event socket at a time */
	pthread_mutex_t dispatch_lock;
	void *rxbuf;
	size_t rxcap;
	/*
	 * Events were lost, or nlctrl announced a family: drain, then
	 * vg_sync(), connected or not (dispatch.c).
	 */
	bool sync_owed;
	/* owed_gen when owed() last found nothing owed; valid if owed_none */
	uint64_t owed_none_gen;
	bool owed_none;
	/*
	 * The group the last event replaced in the cache, when nobody else
	 * held it: the next event is decoded into it (dispatch.c), which
	 * saves a calloc() and a free() per event.
	 */
	struct vfiogroup_group *spare;

	/* req_lock: one request on the request socket at a time */
	pthread_mutex_t req_lock;

	/* cache_lock: everything below until subs_lock */
	pthread_mutex_t cache_lock;
	struct vg_cache cache;
	/*
	 * Written only by vg_sync(), which holds dispatch_lock too: the
	 * dispatcher reads it without cache_lock.
	 */
	struct vg_family fam;
	bool connected;
	bool synced;		/* cache loaded at least once */
	uint64_t last_seq;	/* newest event seq seen (or baseline) */
	uint64_t sync_seq;	/* events of groups not in the cache: newer? */
	bool need_resync;	/* a resync failed or events were lost */
	struct vg_cover cover;	/* what the attached filter lets through */
	bool known_all;		/* every group's entry is current ... */
	struct vfiogroup_filter known;	/* ... else these groups' are */
	/*
	 * No filter has dropped anything since last_seq's baseline, so a
	 * gap in the seqs is a loss.  Off before a filter is attached.
	 */
	bool gapcheck;
	bool attaching;		/* a filter is being attached right now */
	uint64_t cover_gen;	/* bumped by every change of the cover */
	/*
	 * Bumped by every change of what the dispatcher's owed() reads:
	 * connected, synced, need_resync, the cover and the known groups
	 * (vg_owed_changed()).  While it has not moved since owed() found
	 * nothing owed, the dispatcher does not take cache_lock to look
	 * again (dispatch.c).
	 */
	atomic_uint_least64_t owed_gen;
	uint64_t reload_gen;	/* bumped by every vg_sync() reload */
	struct vfiogroup_stats stats;	/* but for delivered: */
	char err[256];

	/* log.lock: fn and data (a leaf); priority is read without it */
	struct {
		pthread_mutex_t lock;
		vfiogroup_log_fn fn;
		void *data;
		atomic_int priority;
	} log;

	/* filter_lock: computing and attaching the kernel filter */
	pthread_mutex_t filter_lock;
	bool filter_attached;

	/* subs_lock: the subscription list */
	pthread_mutex_t subs_lock;
	pthread_cond_t subs_cond;
	struct vfiogroup_sub *subs;	/* head; new ones at the tail */
	struct vfiogroup_sub *subs_tail;
	uint64_t subs_gen;
	size_t nsubs_all;	/* live subscriptions wanting every group */
	size_t nsubs;		/* live subscriptions */
	/*
	 * stats.delivered, kept here: vg_deliver() counts each call in the
	 * subs_lock it takes anyway after a callback.
	 */
	uint64_t delivered;
};

/* ctx.c */
int vg_ctx_new_transport(struct vfiogroup_ctx **out, unsigned flags,
			 struct vg_transport *t);
/*
 * A failure: its text becomes vfiogroup_ctx_last_error()'s and is logged
 * at LOG_ERR.  Call it with no lock of the context held but dispatch_lock.
 */
#define vg_set_error(ctx, ...) \
	vg_error_at(ctx, __FILE__, __LINE__, __func__, __VA_ARGS__)
void vg_error_at(struct vfiogroup_ctx *ctx, const char *file, int line,
		 const char *fn, const char *fmt, ...) VG_PRINTF(5, 6);

/*
 * log.c.  Log with no lock held but dispatch_lock: the caller's function
 * may call the library, as an event callback may.  Priorities are
 * syslog's; a message above the context's priority is not formatted.
 */
void vg_log_init(struct vfiogroup_ctx *ctx);
bool vg_log_enabled(const struct vfiogroup_ctx *ctx, int priority);
void vg_log_at(struct vfiogroup_ctx *ctx, int priority, const char *file,
	       int line, const char *fn, const char *format, ...)
	VG_PRINTF(6, 7);
void vg_logv(struct vfiogroup_ctx *ctx, int priority, const char *file,
	     int line, const char *fn, const char *format, va_list args);
#define vg_log(ctx, prio, ...) do {					\
	if (vg_log_enabled(ctx, prio))					\
		vg_log_at(ctx, prio, __FILE__, __LINE__, __func__,	\
			  __VA_ARGS__);					\
} while (0)
#define vg_notice(ctx, ...)	vg_log(ctx, 5, __VA_ARGS__)	/* LOG_NOTICE */
#define vg_info(ctx, ...)	vg_log(ctx, 6, __VA_ARGS__)	/* LOG_INFO */
#define vg_dbg(ctx, ...)	vg_log(ctx, 7, __VA_ARGS__)	/* LOG_DEBUG */

/* What owed() (dispatch.c) reads changed; cache_lock held. */
static inline void vg_owed_changed(struct vfiogroup_ctx *ctx)
{
	atomic_fetch_add_explicit(&ctx->owed_gen, 1, memory_order_release);
}

/* Nothing is applied until the dispatcher resyncs; cache_lock held. */
static inline void vg_owe_resync(struct vfiogroup_ctx *ctx)
{
	ctx->need_resync = true;
	vg_owed_changed(ctx);
}

/* Bump a counter under cache_lock. */
#define VG_STAT_ADD(ctx, field, v) do {				\
	pthread_mutex_lock(&(ctx)->cache_lock);			\
	(ctx)->stats.field += (v);				\
	pthread_mutex_unlock(&(ctx)->cache_lock);		\
} while (0)

/*
 * sync.c: connect, list-then-watch, resync; dispatch lock held.  Takes a
 * baseline: on a live socket only once it has been read empty since the
 * last loss (the drain, dispatch.c), or events after the baseline may be
 * dropped unreported.
 */
enum vg_sync_reason { VG_SYNC_INITIAL, VG_SYNC_RESYNC, VG_SYNC_RECONNECT };
int vg_sync(struct vfiogroup_ctx *ctx, enum vg_sync_reason why);
void vg_disconnect(struct vfiogroup_ctx *ctx);
/* Deliver a synth list (and drop it). */
void vg_deliver_synth(struct vfiogroup_ctx *ctx, struct vg_synth_list *l);

/* request.c: helpers over the transport's request() */
int vg_req_group(struct vfiogroup_ctx *ctx, const struct vg_request *req,
		 struct vfiogroup_group **out);
int vg_req_dump(struct vfiogroup_ctx *ctx, struct vg_cache *out);
/* events (may be NULL): the reply's info-events, or -1 when absent. */
int vg_req_info(struct vfiogroup_ctx *ctx, struct vfiogroup_info *out,
		int *events);

/*
 * snapshot.c: vfiogroup_get_group() and vfiogroup_find_device(); *fresh
 * says the group came from the kernel just now (the cache does not follow
 * it), so that its in-use needs no second look.
 */
int vg_lookup_group(struct vfiogroup_ctx *ctx, uint32_t id,
		    struct vfiogroup_group **out, bool *fresh);
int vg_lookup_device(struct vfiogroup_ctx *ctx, const char *dev_name,
		     struct vfiogroup_group **out, bool *fresh);

/* dispatch.c */
int vg_handle_datagram(struct vfiogroup_ctx *ctx, const void *buf, size_t len);

#endif /* LIBVFIOGROUP_INTERNAL_H */
