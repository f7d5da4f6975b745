/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup-hooks' parts (tools/hooks-*.c) without the module: which
 * files are hooks and their order, the environment of an event, the
 * bounded queue, and the runner with real scripts in a temporary
 * directory (environment, order, a failing hook not stopping the next,
 * a timeout killing a sleeping hook and one that ignores SIGTERM, exec
 * failures, signals).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"
#include "internal.h"
#include "run-suite.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vg-test-hooks.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* write dir/name with text and mode */
static void put(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static char *slurp(const char *name)
{
	static char buf[8192];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ---------------------------------------------------------------- scan */

START_TEST(names)
{
	static const char *const yes[] = { "10-log", "a", "README.md", "x.sh",
					   "50-virsh_start" };
	static const char *const no[] = { "", ".hidden", "10-log~", "README",
					  "10-log.dpkg-old", "10-log.dpkg-dist",
					  "10-log.dpkg-new", "10-log.rpmsave",
					  "10-log.rpmnew", "10-log.rpmorig",
					  "10-log.ucf-dist", ".10-log.swp" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
		ck_assert_msg(hook_name_wanted(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
		ck_assert_msg(!hook_name_wanted(no[i]), "'%s'", no[i]);
}
END_TEST

START_TEST(scan)
{
	char path[256], **paths;
	int n;

	put("20-b", "#!/bin/sh\n", 0755);
	put("10-a", "#!/bin/sh\n", 0755);
	put("B-upper", "#!/bin/sh\n", 0755);	/* byte order: before a-z */
	put("README", "#!/bin/sh\n", 0755);
	put(".dot", "#!/bin/sh\n", 0755);
	put("10-a~", "#!/bin/sh\n", 0755);
	put("10-a.dpkg-old", "#!/bin/sh\n", 0755);
	put("15-noexec", "#!/bin/sh\n", 0644);
	snprintf(path, sizeof(path), "%s/12-dir", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/30-link", dir);
	ck_assert_int_eq(symlink("10-a", path), 0);
	snprintf(path, sizeof(path), "%s/31-dangling", dir);
	ck_assert_int_eq(symlink("nowhere", path), 0);

	n = hooks_dir_scan(dir, &paths);
	ck_assert_int_eq(n, 4);
	snprintf(path, sizeof(path), "%s/10-a", dir);
	ck_assert_str_eq(paths[0], path);
	snprintf(path, sizeof(path), "%s/20-b", dir);
	ck_assert_str_eq(paths[1], path);
	snprintf(path, sizeof(path), "%s/30-link", dir);
	ck_assert_str_eq(paths[2], path);
	snprintf(path, sizeof(path), "%s/B-upper", dir);
	ck_assert_str_eq(paths[3], path);
	hooks_dir_free(paths, n);

	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	ck_assert_int_eq(hooks_dir_scan(path, &paths), -ENOENT);
	ck_assert_ptr_null(paths);
}
END_TEST

/* ---------------------------------------------------------------- env */

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);
	const char *found = NULL;

	for (char **p = env; *p; p++) {
		if (!strncmp(*p, name, len) && (*p)[len] == '=') {
			ck_assert_msg(!found, "%s twice", name);
			found = *p + len + 1;
		}
	}
	return found;
}

static struct vfiogroup_group *sample_group(void)
{
	struct vfiogroup_group *g = vg_group_new(14);
	struct vfiogroup_device a = { .name = "0000:01:00.0", .bus = "pci",
				      .driver = "vfio-pci", .viable = true,
				      .is_pci = true, .vfio = true };
	struct vfiogroup_device b = { .name = "0000:01:00.1", .bus = "pci",
				      .viable = true, .is_pci = true };

	g->seq = 31;
	vg_group_add_device(g, &a);
	vg_group_add_device(g, &b);
	/* the kernel's word, not derived from the devices */
	g->viable = true;
	g->ready = true;
	return g;
}

START_TEST(env_of_event)
{
	char *base[] = { "HOME=/root", "VFIOGROUP_EVENT=stale", "LANG=C", NULL };
	struct vfiogroup_group *g = sample_group();
	struct vfiogroup_ev ev = {
		.kind = VFIOGROUP_EV_DRIVER_BOUND, .group_id = 14, .seq = 31,
		.dev_name = "0000:01:00.0", .driver = "vfio-pci", .group = g,
	};
	struct hook_event e;
	char **env;

	ck_assert_int_eq(hook_event_from(&e, &ev), 0);
	env = hook_env_build(&e, base);
	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(env_get(env, "HOME"), "/root");
	ck_assert_str_eq(env_get(env, "LANG"), "C");
	ck_assert_str_eq(env_get(env, "PATH"),
			 "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_EVENT"), "driver-bound");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_SEQ"), "31");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_GROUP"), "14");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DEVICE"), "0000:01:00.0");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DRIVER"), "vfio-pci");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_VIABLE"), "1");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_READY"), "1");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_SYNTHESIZED"), "0");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_NODE"), "/dev/vfio/14");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DEVICES"),
			 "0000:01:00.0 0000:01:00.1");
	hook_env_free(env);
	hook_event_clear(&e);

	/* a synthesized viability change: no device, no driver */
	ev = (struct vfiogroup_ev){ .kind = VFIOGROUP_EV_VIABILITY_CHANGED,
				    .flags = VFIOGROUP_EVENT_SYNTHESIZED,
				    .group_id = 14, .seq = 40, .group = g };
	ck_assert_int_eq(hook_event_from(&e, &ev), 0);
	env = hook_env_build(&e, (char *[]){ "PATH=/x", NULL });
	ck_assert_str_eq(env_get(env, "PATH"), "/x");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_EVENT"), "viability-changed");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DEVICE"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DRIVER"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_SYNTHESIZED"), "1");
	hook_env_free(env);
	hook_event_clear(&e);
	vfiogroup_group_unref(g);
}
END_TEST

START_TEST(env_of_notice)
{
	struct vfiogroup_ev ev = { .kind = VFIOGROUP_EV_RESYNC };
	struct hook_event e;
	char **env;

	ck_assert_int_eq(hook_event_from(&e, &ev), 0);
	e.seq = 77;
	env = hook_env_build(&e, NULL);
	ck_assert_str_eq(env_get(env, "VFIOGROUP_EVENT"), "resync");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_SEQ"), "77");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_GROUP"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_VIABLE"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_READY"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_NODE"), "");
	ck_assert_str_eq(env_get(env, "VFIOGROUP_DEVICES"), "");
	hook_env_free(env);
	hook_event_clear(&e);
}
END_TEST

/* ---------------------------------------------------------------- queue */

START_TEST(queue_order_and_overflow)
{
	struct hook_queue q;
	struct hook_event e;

	ck_assert_int_eq(hook_queue_init(&q, 3), 0);
	for (unsigned i = 1; i <= 3; i++) {
		hook_event_notice(&e, VFIOGROUP_EV_DRIVER_BOUND, i);
		e.devices = strdup("x");	/* owned: moved in, freed by the queue */
		hook_queue_push(&q, &e);
		ck_assert_ptr_null(e.devices);
	}
	ck_assert(hook_queue_pop(&q, &e));
	ck_assert_uint_eq(e.seq, 1);
	hook_event_clear(&e);
	hook_event_notice(&e, VFIOGROUP_EV_DRIVER_UNBOUND, 4);
	hook_queue_push(&q, &e);
	for (unsigned i = 2; i <= 4; i++) {
		ck_assert(hook_queue_pop(&q, &e));
		ck_assert_uint_eq(e.seq, i);
		hook_event_clear(&e);
	}
	ck_assert(!hook_queue_pop(&q, &e));

	/* full: everything waiting and the newcomer become one resync */
	for (unsigned i = 5; i <= 8; i++) {
		hook_event_notice(&e, VFIOGROUP_EV_DRIVER_BOUND, i);
		hook_queue_push(&q, &e);
	}
	ck_assert_uint_eq(q.dropped, 4);
	ck_assert(hook_queue_pop(&q, &e));
	ck_assert_uint_eq(e.kind, VFIOGROUP_EV_RESYNC);
	ck_assert_uint_eq(e.seq, 8);
	ck_assert(!hook_queue_pop(&q, &e));
	hook_queue_fini(&q);
}
END_TEST

/* ---------------------------------------------------------------- runner */

static void run(const char *name, int timeout_ms, int grace_ms,
		struct hook_result *res)
{
	char path[256];
	char *env[] = { "PATH=/usr/bin:/bin", "VFIOGROUP_EVENT=driver-bound",
			"VFIOGROUP_SEQ=12", NULL };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(hook_run(path, env, timeout_ms, grace_ms, NULL, res), 0);
}

START_TEST(run_ok_with_env)
{
	struct hook_result res;
	char text[512];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho \"$VFIOGROUP_EVENT $VFIOGROUP_SEQ $(cat)\" >'%s/out'\n",
		 dir);
	put("hook", text, 0755);
	run("hook", 5000, 1000, &res);
	ck_assert_int_eq(res.outcome, HOOK_OK);
	ck_assert_int_eq(res.status, 0);
	/* stdin is /dev/null: cat read nothing, did not hang */
	ck_assert_str_eq(slurp("out"), "driver-bound 12 \n");
}
END_TEST

START_TEST(run_failures)
{
	struct hook_result res;

	put("exit3", "#!/bin/sh\nexit 3\n", 0755);
	run("exit3", 5000, 1000, &res);
	ck_assert_int_eq(res.outcome, HOOK_EXIT);
	ck_assert_int_eq(res.status, 3);

	put("usr1", "#!/bin/sh\nkill -USR1 $$\nsleep 5\n", 0755);
	run("usr1", 5000, 1000, &res);
	ck_assert_int_eq(res.outcome, HOOK_SIGNAL);
	ck_assert_int_eq(res.status, SIGUSR1);

	put("badinterp", "#!/nonexistent/interpreter\n", 0755);
	run("badinterp", 5000, 1000, &res);
	ck_assert_int_eq(res.outcome, HOOK_EXEC);
	ck_assert_int_eq(res.status, ENOENT);

	put("noexec", "#!/bin/sh\n", 0644);
	run("noexec", 5000, 1000, &res);
	ck_assert_int_eq(res.outcome, HOOK_EXEC);
	ck_assert_int_eq(res.status, EACCES);
}
END_TEST

START_TEST(run_timeout_kills_group)
{
	struct hook_result res;
	char text[512];
	pid_t pgid;

	/* the sleep is a child: SIGTERM to the process group ends it too,
	 * so "after" is never written and nothing is left behind */
	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho $$ >'%s/pid'\nsleep 30\necho after >'%s/after'\n",
		 dir, dir);
	put("sleeper", text, 0755);
	run("sleeper", 300, 2000, &res);
	ck_assert_int_eq(res.outcome, HOOK_TIMEOUT);
	ck_assert_int_eq(res.status, SIGTERM);
	ck_assert_int_ge(res.ms, 300);
	ck_assert_int_lt(res.ms, 2000);
	ck_assert_ptr_null(slurp("after"));
	/* the whole group is gone once its orphans are reaped (by init,
	 * asynchronously): kill -0 on the group fails within 2 s */
	pgid = atoi(slurp("pid"));
	for (int i = 0; i < 200 && !kill(-pgid, 0); i++)
		usleep(10000);
	ck_assert_int_eq(kill(-pgid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

START_TEST(run_timeout_then_sigkill)
{
	struct hook_result res;

	put("stubborn", "#!/bin/sh\ntrap '' TERM\nsleep 30\n", 0755);
	run("stubborn", 200, 300, &res);
	ck_assert_int_eq(res.outcome, HOOK_TIMEOUT);
	ck_assert_int_eq(res.status, SIGKILL);
	ck_assert_int_ge(res.ms, 500);
	ck_assert_int_lt(res.ms, 5000);
}
END_TEST

START_TEST(run_sequence_survives_failures)
{
	char text[512], **paths;
	struct hook_result res;
	int n;

	/* the daemon's loop over one event's hooks: scan, run each in turn */
	snprintf(text, sizeof(text), "#!/bin/sh\necho 10 >>'%s/log'\nexit 1\n", dir);
	put("10-fails", text, 0755);
	snprintf(text, sizeof(text), "#!/bin/sh\necho 20 >>'%s/log'\nsleep 30\n", dir);
	put("20-hangs", text, 0755);
	put("25-noexec-interp", "#!/nonexistent\n", 0755);
	snprintf(text, sizeof(text), "#!/bin/sh\necho 30 >>'%s/log'\n", dir);
	put("30-runs", text, 0755);
	n = hooks_dir_scan(dir, &paths);
	ck_assert_int_eq(n, 4);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(hook_run(paths[i], (char *[]){ NULL }, 300, 200,
					  NULL, &res), 0);
	hooks_dir_free(paths, n);
	ck_assert_int_eq(res.outcome, HOOK_OK);
	ck_assert_str_eq(slurp("log"), "10\n20\n30\n");
}
END_TEST

/* the service callback runs while a hook waits, when its fd is readable */
static void served(void *data)
{
	int *p = data;
	char c;

	if (read(p[0], &c, 1) == 1)
		p[2]++;
}

START_TEST(run_serves_fd)
{
	struct hook_result res;
	int p[3] = { 0, 0, 0 };
	struct hook_service svc;
	char path[256];

	ck_assert_int_eq(pipe(p), 0);
	svc = (struct hook_service){ p[0], served, p };
	ck_assert_int_eq(write(p[1], "xy", 2), 2);
	put("short", "#!/bin/sh\nsleep 0.3\n", 0755);
	snprintf(path, sizeof(path), "%s/short", dir);
	ck_assert_int_eq(hook_run(path, (char *[]){ NULL }, 5000, 1000, &svc, &res), 0);
	ck_assert_int_eq(res.outcome, HOOK_OK);
	ck_assert_int_eq(p[2], 2);
	close(p[0]);
	close(p[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hooks");
	TCase *pure = tcase_create("pure");
	TCase *files = tcase_create("files");

	tcase_add_test(pure, names);
	tcase_add_test(pure, env_of_event);
	tcase_add_test(pure, env_of_notice);
	tcase_add_test(pure, queue_order_and_overflow);
	suite_add_tcase(s, pure);
	tcase_add_checked_fixture(files, setup, teardown);
	tcase_set_timeout(files, 20);
	tcase_add_test(files, scan);
	tcase_add_test(files, run_ok_with_env);
	tcase_add_test(files, run_failures);
	tcase_add_test(files, run_timeout_kills_group);
	tcase_add_test(files, run_timeout_then_sigkill);
	tcase_add_test(files, run_sequence_survives_failures);
	tcase_add_test(files, run_serves_fd);
	suite_add_tcase(s, files);
	return run_suite(s);
}
