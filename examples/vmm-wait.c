/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmm-wait: how a VMM uses libvfiogroup, in one epoll loop.
 *
 *   vmm-wait GROUP | --device DEVICE [--rewait] [--timeout SECONDS]
 *
 * 1. Wait until IOMMU group GROUP is ready (viable, and a device of it on
 *    vfio-pci or another VFIO driver, so /dev/vfio/GROUP exists), or until
 *    DEVICE itself is on a VFIO driver in a ready group, without polling
 *    sysfs and without a retry timer: readiness has its own event, so the
 *    gap between a host driver's unbind and vfio-pci's bind never counts.
 * 2. Open /dev/vfio/GROUP and ask VFIO_GROUP_GET_STATUS, as QEMU would.
 * 3. Keep watching: if a host driver takes a device of the group (the
 *    group stops being viable), say so ("vmm-wait: group N is no longer
 *    viable (DEVICE bound to DRIVER)") and exit 1 -- or, with --rewait,
 *    close the group and go back to 1.
 *
 * Exit: 0 on SIGINT/SIGTERM while holding the group, 1 when the group was
 * lost or another user holds it, 2 when the vfiogroup module is missing, 3
 * on timeout, 4 on errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <vfiogroup.h>

struct vmm {
	struct vfiogroup_ctx *ctx;
	uint32_t group;		/* with a device: the group it is in now */
	const char *device;	/* NULL: wait for the group */
	bool rewait;
	int group_fd;		/* /dev/vfio/N once held, else -1 */
	int exit_code;		/* >= 0: leave the loop with it */
	/*
	 * The last bind seen in the group: the kernel reports the bind first
	 * and the viability change after it, in a separate event that names
	 * no device, so this is what took the group.
	 */
	char culprit[2 * 64 + 16];
};

/* Holding the group: is VFIO of the same opinion as the module? */
static int open_group(struct vmm *v)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%u", v->group);
	v->group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->group_fd < 0)
		return -errno;
	if (ioctl(v->group_fd, VFIO_GROUP_GET_STATUS, &st) < 0 ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		int err = errno ? -errno : -EBUSY;

		close(v->group_fd);
		v->group_fd = -1;
		return err;
	}
	printf("vmm-wait: holding %s (viable)\n", path);
	fflush(stdout);
	return 0;
}

/* Not holding the group yet: take it if a VMM could open it now. */
static void try_take(struct vmm *v)
{
	struct vfiogroup_readiness o;
	int r;

	if (v->group_fd >= 0)
		return;
	if (v->device)
		r = vfiogroup_device_readiness(v->ctx, v->device, &o, sizeof(o));
	else
		r = vfiogroup_readiness(v->ctx, v->group, &o, sizeof(o));
	if (r == 0 && o.reason == VFIOGROUP_NR_IN_USE) {
		/* Nothing announces its release: a VMM would give up here. */
		printf("vmm-wait: group %u is in use by another user\n",
		       o.group_id);
		fflush(stdout);
		v->exit_code = 1;
		return;
	}
	if (r != 1)
		return;
	v->group = o.group_id;
	r = open_group(v);
	if (r)
		fprintf(stderr, "vmm-wait: /dev/vfio/%u: %s\n", v->group,
			strerror(-r));
}

static void lose_group(struct vmm *v, const struct vfiogroup_ev *ev)
{
	const struct vfiogroup_device *d = NULL;

	/* Name the device in the way: bound, or still being probed. */
	for (size_t i = 0; ev->group &&
	     i < vfiogroup_group_device_count(ev->group); i++) {
		d = vfiogroup_group_device(ev->group, i);
		if (!vfiogroup_device_viable(d))
			break;
		d = NULL;
	}
	printf("vmm-wait: group %u is no longer viable", v->group);
	if (ev->kind == VFIOGROUP_EV_DRIVER_BOUND && ev->dev_name && ev->driver)
		printf(" (%s bound to %s)", ev->dev_name, ev->driver);
	else if (d && vfiogroup_device_driver(d))
		printf(" (%s bound to %s)", vfiogroup_device_name(d),
		       vfiogroup_device_driver(d));
	else if (d)
		printf(" (%s: a driver is probing it)",
		       vfiogroup_device_name(d));
	else if (v->culprit[0])
		printf(" (%s)", v->culprit);
	printf("%s\n", ev->flags & VFIOGROUP_EVENT_SYNTHESIZED ?
		       " [found by resync]" : "");
	fflush(stdout);
	close(v->group_fd);
	v->group_fd = -1;
	if (!v->rewait)
		v->exit_code = 1;
}

static void on_event(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	struct vmm *v = userdata;

	(void)sub;
	switch (ev->kind) {
	case VFIOGROUP_EV_DISCONNECTED:
		fprintf(stderr, "vmm-wait: vfiogroup module gone, "
			"waiting for it to come back\n");
		return;
	case VFIOGROUP_EV_RESYNC:
	case VFIOGROUP_EV_RECONNECTED:
		break;
	default:
		if (ev->kind == VFIOGROUP_EV_DRIVER_BOUND && ev->dev_name &&
		    ev->driver)
			snprintf(v->culprit, sizeof(v->culprit), "%s bound to %s",
				 ev->dev_name, ev->driver);
		printf("vmm-wait: group %u %s%s%s\n", ev->group_id,
		       ev->kind == VFIOGROUP_EV_DRIVER_BOUND ? "bound " :
		       ev->kind == VFIOGROUP_EV_DRIVER_UNBOUND ? "unbound " :
		       "changed ", ev->dev_name ? ev->dev_name : "",
		       ev->driver ? ev->driver : "");
		break;
	}
	/* The cache already holds the new state: just look. */
	if (v->group_fd >= 0 && ev->group_id == v->group &&
	    vfiogroup_is_viable(v->ctx, v->group) != 1)
		lose_group(v, ev);
	else
		try_take(v);
}

static int add_fd(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int main(int argc, char **argv)
{
	struct vmm v = { .group_fd = -1, .exit_code = -1 };
	struct vfiogroup_filter *f = NULL;
	struct vfiogroup_sub *sub = NULL;
	int timeout_ms = -1, ep, sfd, tfd, r;
	sigset_t mask;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rewait"))
			v.rewait = true;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_ms = atoi(argv[++i]) * 1000;
		else if (!strcmp(argv[i], "--device") && i + 1 < argc)
			v.device = argv[++i];
		else
			v.group = (uint32_t)strtoul(argv[i], NULL, 10);
	}
	if (argc < 2) {
		fprintf(stderr, "usage: vmm-wait GROUP | --device DEVICE"
			" [--rewait] [--timeout S]\n");
		return 4;
	}

	r = vfiogroup_ctx_new(&v.ctx, 0);
	if (r) {
		fprintf(stderr, "vmm-wait: %s\n", vfiogroup_ctx_last_error(v.ctx));
		vfiogroup_ctx_unref(v.ctx);
		return r == -ENOENT ? 2 : 4;
	}
	/*
	 * Only our group's events reach on_event(); a device may come back
	 * in another group, so waiting for one takes every group's.
	 */
	if ((!v.device && (vfiogroup_filter_new(&f) ||
			   vfiogroup_filter_add_group(f, v.group))) ||
	    vfiogroup_subscribe(v.ctx, f, VFIOGROUP_EVMASK_ALL, on_event, &v,
				&sub)) {
		fprintf(stderr, "vmm-wait: cannot subscribe\n");
		return 4;
	}
	vfiogroup_filter_free(f);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0 ||
	    add_fd(ep, vfiogroup_get_fd(v.ctx)) || add_fd(ep, sfd) ||
	    add_fd(ep, tfd)) {
		perror("vmm-wait: setup");
		return 4;
	}
	if (timeout_ms >= 0) {
		struct itimerspec its = { .it_value = { timeout_ms / 1000, 1 } };

		timerfd_settime(tfd, 0, &its, NULL);
	}

	if (v.device)
		printf("vmm-wait: waiting for device %s to become ready\n",
		       v.device);
	else
		printf("vmm-wait: waiting for group %u to become ready\n",
		       v.group);
	fflush(stdout);
	try_take(&v);	/* it may be ready already */
	while (v.exit_code < 0) {
		struct epoll_event e;
		uint64_t ticks;

		if (epoll_wait(ep, &e, 1, -1) < 1)
			continue;
		if (e.data.fd == sfd) {
			v.exit_code = v.group_fd >= 0 ? 0 : 4;
		} else if (e.data.fd == tfd) {
			if (read(tfd, &ticks, sizeof(ticks)) > 0 && v.group_fd < 0) {
				fprintf(stderr, "vmm-wait: timed out\n");
				v.exit_code = 3;
			}
		} else if (vfiogroup_dispatch(v.ctx) < 0) {
			v.exit_code = 4;
		}
	}
	vfiogroup_unsubscribe(sub);
	vfiogroup_ctx_unref(v.ctx);
	if (v.group_fd >= 0)
		close(v.group_fd);
	close(ep);
	close(sfd);
	close(tfd);
	return v.exit_code;
}
