/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The real netlink transport, against this machine's kernel, where the
 * vfiogroup module is not loaded (the tests never load it): what a
 * program sees when the module is missing, and that messages not sent by
 * the kernel are refused.  Skipped where generic netlink is unavailable.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "internal.h"
#include "run-suite.h"

static bool have_genl(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The module being loaded here would make these tests meaningless. */
static bool module_loaded(void)
{
	return access("/sys/module/vfiogroup", F_OK) == 0;
}

START_TEST(module_missing)
{
	struct vfiogroup_ctx *ctx = NULL;
	int r;

	if (!have_genl() || module_loaded())
		return;
	r = vfiogroup_ctx_new(&ctx, 0);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(strstr(vfiogroup_ctx_last_error(ctx),
				     "modprobe vfiogroup"));
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	vfiogroup_ctx_unref(ctx);

	ck_assert_int_eq(vfiogroup_ctx_new(&ctx, 1u << 30), -EINVAL);
	ck_assert_ptr_null(ctx);
}
END_TEST

START_TEST(wait_for_module)
{
	struct vfiogroup_ctx *ctx = NULL;
	uint32_t *ids;

	if (!have_genl() || module_loaded())
		return;
	ck_assert_int_eq(vfiogroup_ctx_new(&ctx, VFIOGROUP_CTX_WAIT_MODULE), 0);
	ck_assert_int_eq(vfiogroup_ctx_connected(ctx), 0);
	ck_assert_int_ge(vfiogroup_get_fd(ctx), 0);
	ck_assert_int_ge(vfiogroup_dispatch(ctx), 0);
	ck_assert_int_eq(vfiogroup_group_ids(ctx, &ids), -ENOTCONN);
	ck_assert_int_eq(vfiogroup_wait_viable(ctx, 1, 20), -ETIMEDOUT);
	vfiogroup_ctx_unref(ctx);
}
END_TEST

START_TEST(foreign_sender_refused)
{
	struct vg_transport *t;
	struct sockaddr_nl me = { 0 }, to = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(me);
	struct { struct nlmsghdr h; struct genlmsghdr g; } msg = {
		{ .nlmsg_len = sizeof(msg), .nlmsg_type = GENL_ID_CTRL },
		{ .cmd = CTRL_CMD_NEWFAMILY },
	};
	char err[128], buf[256];
	int fd;

	if (!have_genl())
		return;
	ck_assert_int_eq(vg_transport_nl_new(&t, err, sizeof(err)), 0);
	ck_assert_int_eq(getsockname(t->ops->fd(t), (struct sockaddr *)&me,
				     &len), 0);
	ck_assert_uint_ne(me.nl_pid, 0);
	ck_assert_int_eq(t->ops->recv(t, buf, sizeof(buf)), -EAGAIN);

	/* Any process may unicast to our port: it must not be believed. */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ck_assert_int_ge(fd, 0);
	to.nl_pid = me.nl_pid;
	ck_assert_int_eq(sendto(fd, &msg, sizeof(msg), 0,
				(struct sockaddr *)&to, sizeof(to)),
			 (long)sizeof(msg));
	ck_assert_int_eq(t->ops->recv(t, buf, sizeof(buf)), -EPERM);
	close(fd);

	/* nlctrl's notify group can be joined, and the kernel takes our BPF */
	{
		const uint32_t ids[] = { 1, 2, 3 };
		struct sock_fprog prog;

		ck_assert_int_eq(t->ops->watch_ctrl(t), 0);
		ck_assert_int_eq(vg_filter_build(0x20, ids, 3, &prog), 0);
		ck_assert_int_eq(t->ops->set_filter(t, &prog), 0);
		ck_assert_int_eq(t->ops->set_filter(t, NULL), 0);
		ck_assert_int_eq(t->ops->set_filter(t, NULL), 0);
		free(prog.filter);
	}
	t->ops->destroy(t);
}
END_TEST

/*
 * The resolve and request paths against a family that always exists:
 * nlctrl itself (id GENL_ID_CTRL, version 2, group "notify").
 */
static int any_reply(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	(void)nlh;
	(void)avail;
	(void)arg;
	return 0;
}

START_TEST(resolve_nlctrl)
{
	struct vg_request req = { .kind = VG_REQ_DUMP };
	struct vg_transport *t;
	struct vg_family fam;
	char err[128];
	int r;

	if (!have_genl())
		return;
	ck_assert_int_eq(vg_transport_nl_new(&t, err, sizeof(err)), 0);
	ck_assert_int_eq(vg_nl_resolve(t, "nlctrl", "notify", &fam), 0);
	ck_assert_uint_eq(fam.id, GENL_ID_CTRL);
	ck_assert_uint_ge(fam.version, 1);
	ck_assert_uint_ne(fam.events_grp, 0);
	ck_assert_int_eq(vg_nl_resolve(t, "nlctrl", "no-such-group", &fam),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(vg_nl_resolve(t, "no-such-family", "x", &fam), -ENOENT);
	ck_assert_int_eq(t->ops->resolve(t, &fam), -ENOENT);

	/*
	 * Our commands sent to nlctrl are refused: the error comes back as
	 * an errno, and the request neither hangs nor leaves a reply behind
	 * (the next request works).
	 */
	fam.id = GENL_ID_CTRL;
	for (int kind = VG_REQ_GROUP_BY_ID; kind <= VG_REQ_INFO; kind++) {
		req.kind = kind;
		req.dev_name = "x";
		r = t->ops->request(t, &fam, &req, any_reply, NULL);
		ck_assert_msg(r < 0, "request %d: %d", kind, r);
	}
	ck_assert_int_eq(vg_nl_resolve(t, "nlctrl", "notify", &fam), 0);
	t->ops->destroy(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("transport");
	TCase *tc = tcase_create("transport");

	if (!have_genl())
		fprintf(stderr, "no generic netlink here: checks pass vacuously\n");
	tcase_add_test(tc, module_missing);
	tcase_add_test(tc, wait_for_module);
	tcase_add_test(tc, foreign_sender_refused);
	tcase_add_test(tc, resolve_nlctrl);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
