/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup_wait_viable() and _wait_ready(): the blocking conveniences
 * most VMMs want.
 *
 * Each subscribes to its group before looking at the cache, so a transition
 * between the look and the wait cannot be missed, and so that the kernel
 * filter lets the group's events through.  Another thread may be the one
 * that dispatches them: the subscription's callback then wakes us through
 * an eventfd, which is why we poll two descriptors.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * What a wait waits for: check() returns 1 when done, 0 or a negative
 * errno (no such group yet, no module) to wait on; recheck_ms > 0 asks
 * for another look that soon even without an event.  gone is set by the
 * callback, which may run in another thread: a removal is seen even when
 * the device is back before check() looks again.
 */
struct wait_for {
	int (*check)(struct vfiogroup_ctx *ctx, struct wait_for *w);
	uint32_t id;
	const char *dev_name;
	struct vfiogroup_readiness *out;
	size_t size;
	int recheck_ms;
	bool gone_ends;			/* VFIOGROUP_WAIT_GONE */
	atomic_bool gone;
	int efd;
};

static bool removes_it(const struct wait_for *w, const struct vfiogroup_ev *ev)
{
	if (ev->kind >= VFIOGROUP_EV_RESYNC)
		return false;		/* notices name no group */
	if (w->dev_name)
		return ev->kind == VFIOGROUP_EV_DEVICE_REMOVED &&
		       ev->dev_name && !strcmp(ev->dev_name, w->dev_name);
	return ev->group_id == w->id && ev->group &&
	       vfiogroup_group_device_count(ev->group) == 0;
}

static void wake(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		 void *userdata)
{
	struct wait_for *w = userdata;
	uint64_t one = 1;

	(void)sub;
	if (w->gone_ends && removes_it(w, ev))
		atomic_store(&w->gone, true);
	/* Cannot fail but for overflow, which still leaves it readable. */
	if (write(w->efd, &one, sizeof(one)) < 0)
		return;
}

/* In ns: a deadline kept in whole ms would end a wait up to 1 ms early. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Subscribed before the first look, to the group, or to the device,
 * which may come back in another group.
 */
static int wait_until(struct vfiogroup_ctx *ctx, struct wait_for *w,
		      int timeout_ms)
{
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *sub = NULL;
	int64_t deadline = now_ns() + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
	int efd, r, c;

	if (!ctx)
		return -EINVAL;
	if (!ctx->t)
		return -ENOTCONN;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	w->efd = efd;
	atomic_init(&w->gone, false);
	if (w->dev_name) {
		r = vfiogroup_subscribe_device(ctx, w->dev_name,
					       VFIOGROUP_EVMASK_ALL, wake, w,
					       &sub);
	} else {
		r = vfiogroup_filter_new(&f);
		if (!r)
			r = vfiogroup_filter_add_group(f, w->id);
		if (!r)
			r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
						wake, w, &sub);
		vfiogroup_filter_free(f);
	}

	while (!r) {
		struct pollfd pfd[2] = {
			{ .fd = vfiogroup_get_fd(ctx), .events = POLLIN },
			{ .fd = efd, .events = POLLIN },
		};
		uint64_t drain;
		int left = -1;

		w->recheck_ms = 0;
		r = vfiogroup_dispatch(ctx);
		if (r < 0)
			break;
		if (atomic_load(&w->gone)) {
			r = -ENODEV;
			break;
		}
		c = w->check(ctx, w);
		if (c == 1) {
			r = 0;
			break;
		}
		if (c == -ENOENT && w->gone_ends) {
			r = -ENODEV;
			break;
		}
		if (timeout_ms >= 0) {
			int64_t rem = deadline - now_ns();

			if (rem <= 0) {
				r = -ETIMEDOUT;
				break;
			}
			rem = (rem + 999999) / 1000000;	/* poll() in whole ms, rounded up */
			left = rem > INT32_MAX ? INT32_MAX : (int)rem;
		}
		if (w->recheck_ms > 0 && (left < 0 || left > w->recheck_ms))
			left = w->recheck_ms;
		if (poll(pfd, 2, left) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		if (read(efd, &drain, sizeof(drain)) < 0 && errno != EAGAIN) {
			r = -errno;
			break;
		}
		r = 0;
	}
	vfiogroup_unsubscribe(sub);
	close(efd);
	return r;
}

static int viable(struct vfiogroup_ctx *ctx, struct wait_for *w)
{
	struct vfiogroup_group *g;
	int r;

	if (!w->dev_name)
		return vfiogroup_is_viable(ctx, w->id);
	r = vfiogroup_find_device(ctx, w->dev_name, &g);
	if (r)
		return r;
	r = vfiogroup_group_viable(g);
	vfiogroup_group_unref(g);
	return r;
}

VG_EXPORT int vfiogroup_wait_viable(struct vfiogroup_ctx *ctx, uint32_t id,
				    int timeout_ms)
{
	struct wait_for w = { .check = viable, .id = id };

	return wait_until(ctx, &w, timeout_ms);
}

/* Nothing announces a user letting go of a group: look again this soon. */
#define IN_USE_RECHECK_MS	100

static int ready(struct vfiogroup_ctx *ctx, struct wait_for *w)
{
	struct vfiogroup_readiness o;
	int r;

	if (w->dev_name)
		r = vfiogroup_device_readiness(ctx, w->dev_name, &o, sizeof(o));
	else
		r = vfiogroup_readiness(ctx, w->id, &o, sizeof(o));
	if (r < 0)
		return r;
	if (o.reason == VFIOGROUP_NR_IN_USE)
		w->recheck_ms = IN_USE_RECHECK_MS;
	if (w->out)
		vg_copy_sized(w->out, w->size, &o, sizeof(o));
	return r;
}

VG_EXPORT int vfiogroup_wait_ready(struct vfiogroup_ctx *ctx, uint32_t id,
				   int timeout_ms,
				   struct vfiogroup_readiness *out, size_t size)
{
	struct wait_for w = { .check = ready, .id = id, .out = out,
			      .size = size };

	if (!out && size)
		return -EINVAL;
	return wait_until(ctx, &w, timeout_ms);
}

VG_EXPORT int vfiogroup_wait_device_ready(struct vfiogroup_ctx *ctx,
					  const char *dev_name, int timeout_ms,
					  struct vfiogroup_readiness *out,
					  size_t size)
{
	struct wait_for w = { .check = ready, .dev_name = dev_name,
			      .out = out, .size = size };

	if (!dev_name || (!out && size))
		return -EINVAL;
	return wait_until(ctx, &w, timeout_ms);
}

#define WAIT_FLAGS	(VFIOGROUP_WAIT_READY | VFIOGROUP_WAIT_GONE)

static int wait_flagged(struct vfiogroup_ctx *ctx, struct wait_for *w,
			unsigned flags, int timeout_ms)
{
	if ((flags & ~WAIT_FLAGS) || (!w->out && w->size))
		return -EINVAL;
	w->check = flags & VFIOGROUP_WAIT_READY ? ready : viable;
	if (!(flags & VFIOGROUP_WAIT_READY))
		w->out = NULL;
	w->gone_ends = flags & VFIOGROUP_WAIT_GONE;
	return wait_until(ctx, w, timeout_ms);
}

VG_EXPORT int vfiogroup_wait_group(struct vfiogroup_ctx *ctx, uint32_t id,
				   unsigned flags, int timeout_ms,
				   struct vfiogroup_readiness *out, size_t size)
{
	struct wait_for w = { .id = id, .out = out, .size = size };

	return wait_flagged(ctx, &w, flags, timeout_ms);
}

VG_EXPORT int vfiogroup_wait_device(struct vfiogroup_ctx *ctx,
				    const char *dev_name, unsigned flags,
				    int timeout_ms,
				    struct vfiogroup_readiness *out,
				    size_t size)
{
	struct wait_for w = { .dev_name = dev_name, .out = out,
			      .size = size };

	if (!dev_name || !*dev_name)
		return -EINVAL;
	return wait_flagged(ctx, &w, flags, timeout_ms);
}
