/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvfiogroup: follow IOMMU groups (devices, driver binding, VFIO
 * viability) through the vfiogroup kernel module's generic netlink family.
 *
 * Conventions, once for the whole API:
 *  - Every function that can fail returns 0 (or a count) on success and a
 *    negative errno on failure; vfiogroup_strerror() describes it.
 *  - Every object is opaque and reference counted or owned as documented.
 *    The library has no global state: two contexts never share anything.
 *  - Every function is thread-safe on the same context, with the two
 *    exceptions spelled out at vfiogroup_dispatch() (re-entry from a
 *    callback) and vfiogroup_unsubscribe() (one call per subscription).
 *  - Strings returned by accessors live as long as the object they come
 *    from.
 *
 * See libvfiogroup(3) and docs/libvfiogroup.md for the design.
 */
#ifndef VFIOGROUP_H
#define VFIOGROUP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vfiogroup_ctx;		/* one connection to the kernel family */
struct vfiogroup_group;		/* immutable snapshot of one IOMMU group */
struct vfiogroup_device;	/* one device of a group snapshot */
struct vfiogroup_filter;	/* set of group ids a subscription wants */
struct vfiogroup_sub;		/* one subscription */

/* ------------------------------------------------------------------ */
/* Context                                                             */
/* ------------------------------------------------------------------ */

enum vfiogroup_ctx_flags {
	/*
	 * Module not loaded: succeed anyway with a disconnected context that
	 * connects (and reports VFIOGROUP_EV_RECONNECTED) when the module
	 * appears, instead of failing with -ENOENT.
	 */
	VFIOGROUP_CTX_WAIT_MODULE	= 1u << 0,
	/*
	 * Never attach the kernel-side socket filter that drops the events
	 * of groups no subscription names: every event is received (and
	 * every query answered from the cache).
	 */
	VFIOGROUP_CTX_NO_KERNEL_FILTER	= 1u << 1,
	/*
	 * For event loops: a query that the cache cannot answer and would
	 * ask the kernel (a group no subscription follows, the list of
	 * groups while not every group is followed, vfiogroup_info())
	 * returns -EAGAIN at once instead.  Subscribe to the groups you ask
	 * about (or to all) and their queries never block.  (LIBVFIOGROUP_2)
	 */
	VFIOGROUP_CTX_NONBLOCK_QUERIES	= 1u << 2,
};

/*
 * Connect to the kernel: resolve the "vfiogroup" family, join its "events"
 * multicast group and nlctrl's "notify" group, then load the group cache
 * (list-then-watch).
 *
 * Returns 0, or:
 *   -ENOENT          the family is not registered (module not loaded);
 *   -EPROTONOSUPPORT the family's version is not 1;
 *   -EPERM           the module's events never reach this network
 *                    namespace (one owned by a user namespace other than
 *                    the host's, as in an unprivileged container), so no
 *                    cache could be kept current;
 *   -ENOMEM, or an errno from socket setup.
 *
 * On any error but -ENOMEM, *out still receives a context, disconnected
 * and good only for vfiogroup_ctx_last_error() and vfiogroup_ctx_unref():
 * that is how the caller gets the full explanation ("... try 'modprobe
 * vfiogroup'").  On -ENOMEM *out is NULL.  Both calls accept NULL, so
 *
 *	r = vfiogroup_ctx_new(&ctx, 0);
 *	if (r < 0) {
 *		fprintf(stderr, "%s\n", vfiogroup_ctx_last_error(ctx));
 *		vfiogroup_ctx_unref(ctx);
 *	}
 *
 * is always right.
 */
int vfiogroup_ctx_new(struct vfiogroup_ctx **out, unsigned flags);
struct vfiogroup_ctx *vfiogroup_ctx_ref(struct vfiogroup_ctx *ctx);
/* Returns NULL.  Every subscription holds a reference on its context. */
struct vfiogroup_ctx *vfiogroup_ctx_unref(struct vfiogroup_ctx *ctx);

/*
 * Text of the most recent failure on this context (connection, resync,
 * query), or "" if none.  With ctx == NULL: the text for "out of memory".
 * Another thread's failure on ctx may rewrite the text while the caller
 * reads it: with several threads use vfiogroup_ctx_error() or a log
 * function (below).
 */
const char *vfiogroup_ctx_last_error(const struct vfiogroup_ctx *ctx);

/*
 * The same text, copied into buf (size bytes, NUL-terminated, cut short
 * when it does not fit) while no other thread can change it.  Returns the
 * text's full length, as snprintf() does, or -EINVAL (buf NULL with a
 * size).  (LIBVFIOGROUP_2)
 */
int vfiogroup_ctx_error(const struct vfiogroup_ctx *ctx, char *buf,
			size_t size);

/*
 * Logging, as libkmod does it.  Messages have syslog's priorities
 * (<syslog.h>): LOG_ERR (3) for every failure (the text that
 * vfiogroup_ctx_error() returns), LOG_NOTICE (5) for lost events,
 * resyncs, disconnects and reconnects, LOG_INFO (6) for connecting and
 * draining, LOG_DEBUG (7) for every event applied and every request.
 * Those above the context's priority (default LOG_ERR) are not even
 * formatted.
 *
 * The function runs in the thread that met the condition, with no lock of
 * the library held except, inside vfiogroup_dispatch(), the dispatcher's:
 * it may call the library as an event callback may.  format and args are
 * good only during the call.  Without a function nothing is logged, unless
 * $VFIOGROUP_LOG ("err", "notice", "info", "debug" or 0-7) was set when
 * the context was created: then messages go to stderr, from
 * vfiogroup_ctx_new() on, at that priority.  fn NULL logs nothing.
 * (LIBVFIOGROUP_2)
 */
typedef void (*vfiogroup_log_fn)(void *data, int priority, const char *file,
				 int line, const char *fn, const char *format,
				 va_list args);
void vfiogroup_set_log_fn(struct vfiogroup_ctx *ctx, vfiogroup_log_fn fn,
			  void *data);
/* Clamped to 0..7. */
void vfiogroup_set_log_priority(struct vfiogroup_ctx *ctx, int priority);
int vfiogroup_get_log_priority(const struct vfiogroup_ctx *ctx);

/* 1 while the family is reachable, 0 after the module went away. */
int vfiogroup_ctx_connected(struct vfiogroup_ctx *ctx);

/* Static description of any negative errno this library returns. */
const char *vfiogroup_strerror(int err);

/* Version of the library, "MAJOR.MINOR.PATCH". */
const char *vfiogroup_version(void);

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

/*
 * Every query is answered from the context's cache, which the event loop
 * (vfiogroup_dispatch()) keeps current.  A group the cache does not follow
 * (while every subscription names its groups, the kernel filter drops the
 * other groups' events) is fetched from the kernel instead, and so is the
 * list of groups; that is invisible to the caller, except that those
 * answers need the module (-ENOTCONN while it is away).
 *
 * Group ids, ascending, in a malloc()ed array the caller free()s.
 * Returns the number of ids (possibly 0, then *ids is NULL).
 */
int vfiogroup_group_ids(struct vfiogroup_ctx *ctx, uint32_t **ids);

/* One group: -ENOENT if it does not exist.  Release with _group_unref(). */
int vfiogroup_get_group(struct vfiogroup_ctx *ctx, uint32_t id,
			struct vfiogroup_group **out);
/* The group holding device dev_name ("0000:01:00.0"), -ENOENT if none. */
int vfiogroup_find_device(struct vfiogroup_ctx *ctx, const char *dev_name,
			  struct vfiogroup_group **out);
/* 1 viable, 0 not viable, -ENOENT no such group. */
int vfiogroup_is_viable(struct vfiogroup_ctx *ctx, uint32_t id);

struct vfiogroup_group *vfiogroup_group_ref(struct vfiogroup_group *g);
struct vfiogroup_group *vfiogroup_group_unref(struct vfiogroup_group *g);
uint32_t vfiogroup_group_id(const struct vfiogroup_group *g);
bool vfiogroup_group_viable(const struct vfiogroup_group *g);
/* Sequence number of the group's last event (kernel numbering). */
uint64_t vfiogroup_group_seq(const struct vfiogroup_group *g);
size_t vfiogroup_group_device_count(const struct vfiogroup_group *g);
/* NULL when i is out of range.  Lives as long as g. */
const struct vfiogroup_device *
vfiogroup_group_device(const struct vfiogroup_group *g, size_t i);

const char *vfiogroup_device_name(const struct vfiogroup_device *d);
const char *vfiogroup_device_bus(const struct vfiogroup_device *d);
/* NULL when no driver is bound. */
const char *vfiogroup_device_driver(const struct vfiogroup_device *d);
/* false when this device alone keeps the group from being viable. */
bool vfiogroup_device_viable(const struct vfiogroup_device *d);
/* PCI ids; false (outputs untouched) for non-PCI devices. */
bool vfiogroup_device_pci_id(const struct vfiogroup_device *d,
			     uint16_t *vendor, uint16_t *device);

/*
 * Readiness (LIBVFIOGROUP_3).  A group is ready when a VMM could open it
 * now as far as its devices' drivers go: it is viable and at least one of
 * its devices is registered with VFIO (bound to vfio-pci or another VFIO
 * driver), so its node /dev/vfio/N exists.  It changes only with a
 * VFIOGROUP_EV_READY_CHANGED event.  Whether another user already holds
 * the group is not part of it: see vfiogroup_readiness().
 */
bool vfiogroup_group_ready(const struct vfiogroup_group *g);
/*
 * The group's node, "/dev/vfio/N", while one of its devices is registered
 * with VFIO; NULL otherwise.  Lives as long as g.
 */
const char *vfiogroup_group_node(const struct vfiogroup_group *g);
/* Whether the device is registered with VFIO. */
bool vfiogroup_device_vfio(const struct vfiogroup_device *d);
/*
 * The device's VFIO name, "vfioX" (/sys/class/vfio-dev/vfioX; where the
 * kernel has VFIO device cdevs, /dev/vfio/devices/vfioX, the node iommufd
 * users open), while it is registered; NULL before 6.1 or when it is not.
 */
const char *vfiogroup_device_vfio_dev(const struct vfiogroup_device *d);

/*
 * Can a VMM open the group, or one device of it, right now, and if not,
 * what is in the way (LIBVFIOGROUP_3).  The answer combines the cache's
 * readiness with a fresh look at whether another user holds the group
 * (a VFIO container set, a device bound to iommufd), which only the
 * kernel knows and which no event announces: that look is a kernel round
 * trip, skipped (in_use -1) under VFIOGROUP_CTX_NONBLOCK_QUERIES and on
 * kernels up to 5.18, which do not show it.
 */
enum vfiogroup_not_ready {
	VFIOGROUP_NR_NONE	= 0,	/* ready */
	VFIOGROUP_NR_NOT_VIABLE	= 1,	/* device (and driver) of the
					   group bound to a host driver */
	VFIOGROUP_NR_NO_VFIO	= 2,	/* no device of the group (group
					   form) or not this device (device
					   form) registered with VFIO;
					   device/driver: the one asked about */
	VFIOGROUP_NR_IN_USE	= 3,	/* another user holds the group */
};

struct vfiogroup_readiness {
	int ready;		/* 1 ready now, 0 not */
	int reason;		/* enum vfiogroup_not_ready */
	int in_use;		/* 1, 0, or -1 not known */
	uint32_t group_id;
	char device[64];	/* the device in the way, "" if none */
	char driver[64];	/* its driver, "" if none */
	char node[32];		/* "/dev/vfio/N" while it exists, else "" */
	char vfio_dev[64];	/* device form: its "vfioX", else "" */
};

/*
 * Fill *out (size: sizeof(*out) as the caller knows it) for group id, or
 * for device dev_name (the group holding it, and the device itself must
 * be registered with VFIO).  Returns 1 ready, 0 not ready, -ENOENT no such
 * group or device, or another negative errno.
 */
int vfiogroup_readiness(struct vfiogroup_ctx *ctx, uint32_t id,
			struct vfiogroup_readiness *out, size_t size);
int vfiogroup_device_readiness(struct vfiogroup_ctx *ctx,
			       const char *dev_name,
			       struct vfiogroup_readiness *out, size_t size);
/* The same answers without the details: 1, 0, or a negative errno. */
int vfiogroup_is_ready(struct vfiogroup_ctx *ctx, uint32_t id);
int vfiogroup_device_is_ready(struct vfiogroup_ctx *ctx, const char *dev_name);

/* Module-wide state, asked of the kernel (not cached). */
struct vfiogroup_info {
	uint64_t seq;		/* newest event's sequence number */
	uint64_t dropped;	/* events the module failed to send */
	uint32_t notifier;	/* enum vfiogroup_notifier of the uapi */
	uint32_t groups;	/* groups tracked */
	char version[64];	/* module version, "" if not reported */
};
int vfiogroup_info(struct vfiogroup_ctx *ctx, struct vfiogroup_info *out);

/* ------------------------------------------------------------------ */
/* Events and subscriptions                                            */
/* ------------------------------------------------------------------ */

enum vfiogroup_event_kind {
	/* Same values as enum vfiogroup_event of the uapi header. */
	VFIOGROUP_EV_DEVICE_ADDED	= 1,
	VFIOGROUP_EV_DEVICE_REMOVED	= 2,
	VFIOGROUP_EV_DRIVER_BOUND	= 3,
	VFIOGROUP_EV_DRIVER_UNBOUND	= 4,
	VFIOGROUP_EV_VIABILITY_CHANGED	= 5,
	VFIOGROUP_EV_READY_CHANGED	= 6,	/* LIBVFIOGROUP_3 */
	/*
	 * Notices, not about one group (group_id and group are meaningless).
	 * Each one is delivered after the synthesized events that bring the
	 * subscriber up to date, so on receiving it the cache is current.
	 */
	VFIOGROUP_EV_RESYNC		= 16,	/* events were lost */
	VFIOGROUP_EV_DISCONNECTED	= 17,	/* module unloaded */
	VFIOGROUP_EV_RECONNECTED	= 18,	/* module back */
};

#define VFIOGROUP_EVMASK(kind)		(1u << (kind))
#define VFIOGROUP_EVMASK_GROUP		0x7eu		/* kinds 1..6 */
#define VFIOGROUP_EVMASK_NOTICES	(VFIOGROUP_EVMASK(16) | \
					 VFIOGROUP_EVMASK(17) | \
					 VFIOGROUP_EVMASK(18))
#define VFIOGROUP_EVMASK_ALL		(VFIOGROUP_EVMASK_GROUP | \
					 VFIOGROUP_EVMASK_NOTICES)

enum vfiogroup_event_flags {
	/*
	 * Not sent by the kernel: made up from the difference between the
	 * cache and a fresh dump after lost events or a reconnect.  seq is
	 * then the group's seq and time_ns is 0.
	 */
	VFIOGROUP_EVENT_SYNTHESIZED	= 1u << 0,
};

/*
 * What a callback receives.  Valid only during the callback; take a
 * reference on group to keep it.  The library may append fields.  (Named
 * _ev because the uapi header's enum vfiogroup_event owns that tag.)
 */
struct vfiogroup_ev {
	unsigned kind;			/* enum vfiogroup_event_kind */
	unsigned flags;			/* enum vfiogroup_event_flags */
	uint32_t group_id;
	uint64_t seq;			/* kernel event sequence number */
	uint64_t time_ns;		/* CLOCK_BOOTTIME of the event, or 0 */
	const char *dev_name;		/* device concerned, or NULL */
	const char *driver;		/* driver bound/unbound, or NULL */
	/* Group state right after the event; 0 devices = group gone. */
	const struct vfiogroup_group *group;
};

typedef void (*vfiogroup_cb)(struct vfiogroup_sub *sub,
			     const struct vfiogroup_ev *ev, void *userdata);

int vfiogroup_filter_new(struct vfiogroup_filter **out);
int vfiogroup_filter_add_group(struct vfiogroup_filter *f, uint32_t id);
void vfiogroup_filter_free(struct vfiogroup_filter *f);

/*
 * Call cb for every event of a group in filter (NULL: every group) whose
 * kind is in event_mask, from the thread that runs vfiogroup_dispatch().
 * The filter is copied.  A subscription made inside a callback does not
 * see the event being delivered.  When the subscription widens the
 * kernel filter, the groups it adds are fetched from the kernel before
 * this returns: every event of theirs after that is delivered, and the
 * cache answers for them.
 */
int vfiogroup_subscribe(struct vfiogroup_ctx *ctx,
			const struct vfiogroup_filter *filter,
			unsigned event_mask, vfiogroup_cb cb, void *userdata,
			struct vfiogroup_sub **out);

/*
 * Follow one device (a PCI address "0000:01:00.0", or any device name)
 * rather than a group number: cb gets the events that name the device and
 * every event of the group that holds it after the event, whichever group
 * that is, so the subscription follows the device across hot-removal, a
 * rescan and a new group id.  A device not there yet is waited for.  The
 * kernel filter then lets every group's events through.  -EINVAL for an
 * empty name or one of 64 bytes or more.  Unsubscribed
 * with vfiogroup_unsubscribe().  (LIBVFIOGROUP_3)
 */
int vfiogroup_subscribe_device(struct vfiogroup_ctx *ctx, const char *dev_name,
			       unsigned event_mask, vfiogroup_cb cb,
			       void *userdata, struct vfiogroup_sub **out);

/*
 * GUARANTEE: once this returns, cb of sub is not running and will never
 * run again, whichever thread calls it.  From another thread it waits for
 * a running callback to return (so a callback must not wait for a thread
 * that is unsubscribing it).  From inside any callback of the same context
 * -- its own or another subscription's -- it returns at once without
 * deadlock; the subscription is freed when it is safe.  Call it exactly
 * once per subscription.  NULL is a no-op.
 */
void vfiogroup_unsubscribe(struct vfiogroup_sub *sub);

/* ------------------------------------------------------------------ */
/* Event loop                                                          */
/* ------------------------------------------------------------------ */

/* A file descriptor to poll for POLLIN; owned by the context. */
int vfiogroup_get_fd(struct vfiogroup_ctx *ctx);

/*
 * Read what is pending without blocking, update the cache and run the
 * callbacks.  Returns the number of datagrams read (>= 0; at most 256 per
 * call, so call again while it returns > 0 if you want to drain), or a
 * negative errno.  Only one thread dispatches a context at a time (others wait);
 * calling it from inside a callback returns -EDEADLK.
 */
int vfiogroup_dispatch(struct vfiogroup_ctx *ctx);

/*
 * Block until group id is viable: 0, or -ETIMEDOUT after timeout_ms
 * (< 0: forever).  A group that does not exist yet is waited for; the
 * module going away and coming back is waited through.  Runs
 * vfiogroup_dispatch() itself, so the context's callbacks run meanwhile.
 * -EDEADLK from inside a callback.
 */
int vfiogroup_wait_viable(struct vfiogroup_ctx *ctx, uint32_t id,
			  int timeout_ms);

/*
 * Block until vfiogroup_is_ready() (or, for a device, _device_is_ready())
 * says 1: 0, or -ETIMEDOUT after timeout_ms (< 0: forever), with *out (if
 * not NULL) describing the last answer, so that a caller can say what was
 * in the way.  Never returns between a host driver's unbind and a VFIO
 * driver's bind.  While another user holds the group, nothing announces
 * its release, so that is asked again every 100 ms.  A device not there
 * yet is waited for, also when it comes back in another group.
 * (LIBVFIOGROUP_3)
 */
int vfiogroup_wait_ready(struct vfiogroup_ctx *ctx, uint32_t id,
			 int timeout_ms, struct vfiogroup_readiness *out,
			 size_t size);
int vfiogroup_wait_device_ready(struct vfiogroup_ctx *ctx,
				const char *dev_name, int timeout_ms,
				struct vfiogroup_readiness *out, size_t size);

/*
 * The same waits with flags (LIBVFIOGROUP_4), for a caller that must tell
 * "not yet" from "never": with VFIOGROUP_WAIT_GONE a group or device that
 * does not exist when the wait starts, or is removed while it waits (its
 * device-removed event, or the group losing its last device, even when it
 * comes back before the wait looks again), ends the wait with -ENODEV
 * instead of being waited for.  Without VFIOGROUP_WAIT_READY they wait
 * for viability: for a device, that of the group holding it.  *out (if
 * not NULL) receives the last readiness answer of a READY wait and is
 * left alone by a viability wait.  -EINVAL for an unknown flag.
 */
enum vfiogroup_wait_flags {
	VFIOGROUP_WAIT_READY	= 1u << 0,	/* ready, not only viable */
	VFIOGROUP_WAIT_GONE	= 1u << 1,	/* -ENODEV: absent or removed */
};
int vfiogroup_wait_group(struct vfiogroup_ctx *ctx, uint32_t id,
			 unsigned flags, int timeout_ms,
			 struct vfiogroup_readiness *out, size_t size);
int vfiogroup_wait_device(struct vfiogroup_ctx *ctx, const char *dev_name,
			  unsigned flags, int timeout_ms,
			  struct vfiogroup_readiness *out, size_t size);

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

struct vfiogroup_stats {
	uint64_t messages;	/* netlink messages received */
	uint64_t events;	/* kernel events applied to the cache */
	uint64_t delivered;	/* callback invocations */
	uint64_t stale;		/* events skipped: already in the cache, or
				   of a group the cache no longer follows */
	uint64_t malformed;	/* messages dropped as malformed */
	uint64_t foreign;	/* messages not from the kernel, dropped */
	uint64_t overruns;	/* ENOBUFS: events lost (socket overflow, or
				   the module could not send one) */
	uint64_t gaps;		/* sequence gaps taken for losses (only
				   without a kernel filter) */
	uint64_t resyncs;	/* full re-dumps */
	uint64_t synthesized;	/* events made up by resyncs */
	uint64_t disconnects;
	uint64_t reconnects;
	uint64_t drained;	/* datagrams a resync threw away unread: the
				   socket is read empty before its baseline */
};

/*
 * Copy the counters into *out; size is sizeof(*out) as the caller knows
 * it, so a newer library can add counters without breaking older callers.
 */
int vfiogroup_stats(struct vfiogroup_ctx *ctx, struct vfiogroup_stats *out,
		    size_t size);

#ifdef __cplusplus
}
#endif

#endif /* VFIOGROUP_H */
