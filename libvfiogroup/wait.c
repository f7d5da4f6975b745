/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup_wait_viable(): the blocking convenience most VMMs want.
 *
 * It subscribes to its group before looking at the cache, so a transition
 * between the look and the wait cannot be missed, and so that the kernel
 * filter lets the group's events through.  Another thread may be the one
 * that dispatches them: the subscription's callback then wakes us through
 * an eventfd, which is why we poll two descriptors.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
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

VG_EXPORT int vfiogroup_wait_viable(struct vfiogroup_ctx *ctx, uint32_t id,
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
	r = vfiogroup_filter_new(&f);
	if (!r)
		r = vfiogroup_filter_add_group(f, id);
	if (!r)
		r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL, wake, &efd,
					&sub);
	vfiogroup_filter_free(f);

	while (!r) {
		struct pollfd pfd[2] = {
			{ .fd = vfiogroup_get_fd(ctx), .events = POLLIN },
			{ .fd = efd, .events = POLLIN },
		};
		uint64_t drain;
		int left = -1;

		r = vfiogroup_dispatch(ctx);
		if (r < 0)
			break;
		r = vfiogroup_is_viable(ctx, id);
		if (r == 1) {
			r = 0;
			break;
		}
		/* Not viable, no such group (yet), or no module: wait on. */
		if (timeout_ms >= 0) {
			int64_t rem = deadline - now_ms();

			if (rem <= 0) {
				r = -ETIMEDOUT;
				break;
			}
			left = rem > INT32_MAX ? INT32_MAX : (int)rem;
		}
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
