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
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void wake(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		 void *userdata)
{
	const int *efd = userdata;
	uint64_t one = 1;

	(void)sub;
	(void)ev;
	/* Cannot fail but for overflow, which still leaves it readable. */
	if (write(*efd, &one, sizeof(one)) < 0)
		return;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * What a wait waits for: check() returns 1 when done, 0 or a negative
 * errno (no such group yet, no module) to wait on; recheck_ms > 0 asks
 * for another look that soon even without an event.
 */
struct wait_for {
	int (*check)(struct vfiogroup_ctx *ctx, struct wait_for *w);
	uint32_t id;
	const char *dev_name;
	struct vfiogroup_readiness *out;
	size_t size;
	int recheck_ms;
};

/*
 * Subscribed before the first look, to the group, or to the device,
 * which may come back in another group.
 */
static int wait_until(struct vfiogroup_ctx *ctx, struct wait_for *w,
		      int timeout_ms)
{
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *sub = NULL;
	int64_t deadline = now_ms() + (timeout_ms < 0 ? 0 : timeout_ms);
	int efd, r;

	if (!ctx)
		return -EINVAL;
	if (!ctx->t)
		return -ENOTCONN;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	if (w->dev_name) {
		r = vfiogroup_subscribe_device(ctx, w->dev_name,
					       VFIOGROUP_EVMASK_ALL, wake, &efd,
					       &sub);
	} else {
		r = vfiogroup_filter_new(&f);
		if (!r)
			r = vfiogroup_filter_add_group(f, w->id);
		if (!r)
			r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL,
						wake, &efd, &sub);
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
		if (w->check(ctx, w) == 1) {
			r = 0;
			break;
		}
		if (timeout_ms >= 0) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0) {
				r = -ETIMEDOUT;
				break;
			}
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
	return vfiogroup_is_viable(ctx, w->id);
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
