// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * lib-integration's helpers around a library context: connect, dispatch
 * until quiet, print the statistics, subscribe to some groups only, and
 * the counting callback that storm and reload share.
 */
#include "lib-integration.h"

/*
 * Dispatch until nothing arrives for quiet_ms (or until *stop_flag, or
 * timeout_ms).  Returns the first dispatch error (0 if none).
 */
int drain(struct vfiogroup_ctx *ctx, int quiet_ms, int timeout_ms,
	  volatile bool *stop_flag)
{
	int64_t end = now_ms() + timeout_ms, last = now_ms();
	int err = 0;

	while (now_ms() < end && now_ms() - last < quiet_ms) {
		struct pollfd p = { .fd = vfiogroup_get_fd(ctx), .events = POLLIN };
		int n;

		if (stop_flag && *stop_flag)
			break;
		if (poll(&p, 1, 50) <= 0)
			continue;
		while ((n = vfiogroup_dispatch(ctx)) > 0)
			last = now_ms();
		if (n < 0 && !err) {
			err = n;
			diag("vfiogroup_dispatch: %s", vfiogroup_strerror(n));
		}
	}
	return err;
}

void print_stats(struct vfiogroup_ctx *ctx, const char *what)
{
	struct vfiogroup_stats st;

	vfiogroup_stats(ctx, &st, sizeof(st));
	diag("%s stats: messages=%" PRIu64 " events=%" PRIu64 " delivered=%" PRIu64
	     " stale=%" PRIu64 " overruns=%" PRIu64 " gaps=%" PRIu64 " resyncs=%" PRIu64
	     " synthesized=%" PRIu64 " malformed=%" PRIu64 " disconnects=%" PRIu64
	     " reconnects=%" PRIu64, what, st.messages, st.events, st.delivered,
	     st.stale, st.overruns, st.gaps, st.resyncs, st.synthesized,
	     st.malformed, st.disconnects, st.reconnects);
}

struct vfiogroup_ctx *connect_or_die(void)
{
	struct vfiogroup_ctx *ctx = NULL;
	int r = vfiogroup_ctx_new(&ctx, 0);

	if (r) {
		result(false, "vfiogroup_ctx_new: %s", vfiogroup_ctx_last_error(ctx));
		exit(1);
	}
	return ctx;
}

/* Instructions of the socket filter attached to ctx's socket, 0 if none. */
int filter_len(struct vfiogroup_ctx *ctx)
{
	socklen_t len = 0;

	if (getsockopt(vfiogroup_get_fd(ctx), SOL_SOCKET, SO_GET_FILTER, NULL,
		       &len) < 0)
		return -errno;
	return (int)len;
}

/* A subscription to the listed groups only (ids < 0 ignored). */
int subscribe_groups(struct vfiogroup_ctx *ctx, const long *ids, int n,
		     vfiogroup_cb cb, void *userdata,
		     struct vfiogroup_sub **sub)
{
	struct vfiogroup_filter *f = NULL;
	int r = vfiogroup_filter_new(&f);

	for (int i = 0; !r && i < n; i++)
		if (ids[i] >= 0)
			r = vfiogroup_filter_add_group(f, (uint32_t)ids[i]);
	if (!r)
		r = vfiogroup_subscribe(ctx, f, VFIOGROUP_EVMASK_ALL, cb,
					userdata, sub);
	vfiogroup_filter_free(f);
	return r;
}

/*
 * One callback for storm and reload, so both count the same way; reload
 * also needs the order of the notices and synthesized events (trace).
 */
void count_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
	      void *userdata)
{
	struct counts *c = userdata;
	size_t l = strlen(c->trace);

	(void)sub;
	switch (ev->kind) {
	case VFIOGROUP_EV_RESYNC:
		c->resync++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " resync");
		return;
	case VFIOGROUP_EV_DISCONNECTED:
		c->disconnected++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " disconnected");
		return;
	case VFIOGROUP_EV_RECONNECTED:
		c->reconnected++;
		snprintf(c->trace + l, sizeof(c->trace) - l, " reconnected");
		return;
	default:
		break;
	}
	if (!ev->group || (ev->kind < VFIOGROUP_EV_DEVICE_ADDED ||
			   ev->kind > VFIOGROUP_EV_READY_CHANGED))
		c->bad++;
	if (ev->flags & VFIOGROUP_EVENT_SYNTHESIZED) {
		c->synth++;
		if (ev->dev_name && !strcmp(ev->dev_name, c->dev) &&
		    ev->kind == VFIOGROUP_EV_DRIVER_UNBOUND && !c->reconnected)
			c->dev_synth_before_reconnect = true;
		if (l < sizeof(c->trace) - 200)
			snprintf(c->trace + l, sizeof(c->trace) - l,
				 " synth:%u:%s", ev->kind,
				 ev->dev_name ? ev->dev_name : "-");
		return;
	}
	c->kernel++;
	if (ev->seq <= c->last_kernel_seq && !c->disconnected)
		c->backwards++;
	c->last_kernel_seq = ev->seq;
	if (ev->dev_name && !strcmp(ev->dev_name, c->dev) &&
	    ev->kind == VFIOGROUP_EV_DRIVER_BOUND)
		c->dev_kernel_bound = true;
}
