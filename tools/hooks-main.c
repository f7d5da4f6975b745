/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup-hooks: run every hook of a directory on each change of an
 * IOMMU group, one hook at a time, in the events' order; keep a
 * node_exporter textfile current.  See vfiogroup-hooks(8).
 *
 * Exit status: 0 stopped by SIGTERM or SIGINT, 1 usage error (bad option,
 * missing hooks directory, textfile directory not writable), 4 the
 * library failed at start (no netlink, events not reachable from this
 * namespace).  Later failures are logged, never an exit.
 */
#define _GNU_SOURCE	/* pipe2(): the stop pipe close-on-exec, so hooks do not inherit it */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "hooks.h"
#include "print.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.4.0"
#endif

#define DEFAULT_HOOKS_DIR	"/etc/vfiogroup/hooks.d"
#define DEFAULT_TIMEOUT_MS	30000
#define KILL_GRACE_MS		5000
#define QUEUE_CAP		1024

extern char **environ;

enum { EXIT_OK, EXIT_USAGE, EXIT_FAIL = 4 };

static struct {
	const char *hooks_dir;
	const char *textfile_dir;
	int timeout_ms;
	bool dry_run;
} opt = { DEFAULT_HOOKS_DIR, NULL, DEFAULT_TIMEOUT_MS, false };

static volatile sig_atomic_t stop;
/* written by the signal handler: a SIGTERM just before poll() wakes it */
static int stop_pipe[2] = { -1, -1 };
static struct vfiogroup_ctx *ctx;
static struct vfiogroup_sub *sub;
static struct hook_queue queue;
static struct metrics_counters counters;
static bool metrics_dirty = true;
static int textfile_errno;	/* last write error logged, not repeated */
static int dispatch_err;	/* last read error logged, not repeated */

static void usage(FILE *f)
{
	fputs("Usage: vfiogroup-hooks [OPTIONS]\n"
	      "Run the hooks in a directory on every IOMMU group change.\n"
	      "\n"
	      "  -d, --hooks-dir DIR      hooks directory (default " DEFAULT_HOOKS_DIR ")\n"
	      "  -t, --hook-timeout S     seconds a hook may run before SIGTERM,\n"
	      "                           SIGKILL 5 s later (default 30; 0: none)\n"
	      "      --textfile DIR       keep DIR/" TEXTFILE_NAME " current (node_exporter)\n"
	      "  -n, --dry-run            log the hooks and their environment, run none\n"
	      "  -v, --verbose            log each hook run (-vv: and the library's debug)\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            version\n"
	      "\n"
	      "Exit status: 0 stopped by SIGTERM/SIGINT, 1 usage error,\n"
	      "4 failure at start.  See vfiogroup-hooks(8).\n", f);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vfiogroup-hooks: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'vfiogroup-hooks --help'.\n", stderr);
	return EXIT_USAGE;
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	stop = 1;
	if (write(stop_pipe[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
	errno = saved;
}

/* ---------------------------------------------------------------- events */

static void on_event(struct vfiogroup_sub *s, const struct vfiogroup_ev *ev,
		     void *userdata)
{
	struct hook_event e;

	(void)s;
	(void)userdata;
	if (ev->kind <= VFIOGROUP_EV_RECONNECTED)
		counters.events[ev->kind]++;
	if (ev->kind < VFIOGROUP_EV_RESYNC && ev->seq > counters.last_seq)
		counters.last_seq = ev->seq;
	metrics_dirty = true;
	if (hook_event_from(&e, ev)) {
		/* the hooks would miss this one: make them re-read instead */
		hook_event_clear(&e);
		hook_event_notice(&e, VFIOGROUP_EV_RESYNC, ev->seq);
		hlog(LOG_ERR, "out of memory copying event seq %" PRIu64
		     ": hooks get a resync", ev->seq);
	}
	/* a notice carries the newest group event before it */
	if (!e.has_group && !e.seq)
		e.seq = counters.last_seq;
	hook_queue_push(&queue, &e);
	counters.queue_dropped = queue.dropped;
	/* a module loaded again numbers its events from 1 */
	if (ev->kind == VFIOGROUP_EV_DISCONNECTED)
		counters.last_seq = 0;
}

/*
 * Read what the socket holds: events into the queue.  A failure (a
 * resync that could not finish, memory) is logged once and tried again
 * on the next wake-up: the daemon outlives it, as the library's own
 * recovery expects of its caller.  Returns 0, or the error.
 */
static int dispatch_all(void)
{
	struct vfiogroup_stats st;
	int n;

	while ((n = vfiogroup_dispatch(ctx)) > 0)
		;
	if (!vfiogroup_stats(ctx, &st, sizeof(st))) {
		counters.resyncs = st.resyncs;
		counters.losses = st.overruns + st.gaps;
	}
	if (n < 0 && n != dispatch_err)
		hlog(LOG_ERR, "reading events: %s (trying again)",
		     vfiogroup_ctx_last_error(ctx));
	else if (!n && dispatch_err)
		hlog(LOG_NOTICE, "reading events works again");
	dispatch_err = n < 0 ? n : 0;
	metrics_dirty |= n < 0;
	return n;
}

static void service_socket(void *data)
{
	(void)data;
	dispatch_all();
}

/* ---------------------------------------------------------------- metrics */

static void update_textfile(void)
{
	struct metrics_snapshot s;
	int r;

	if (!opt.textfile_dir || !metrics_dirty)
		return;
	r = metrics_collect(ctx, &s);
	if (r) {
		hlog(LOG_ERR, "metrics: %s", vfiogroup_strerror(r));
		return;
	}
	s.counters = &counters;
	r = textfile_write(opt.textfile_dir, &s);
	metrics_snapshot_free(&s);
	if (r && -r != textfile_errno)
		hlog(LOG_ERR, "writing %s/%s: %s", opt.textfile_dir,
		     TEXTFILE_NAME, strerror(-r));
	else if (!r && textfile_errno)
		hlog(LOG_NOTICE, "writing %s/%s works again", opt.textfile_dir,
		     TEXTFILE_NAME);
	textfile_errno = -r;
	metrics_dirty = r != 0;
}

/* ---------------------------------------------------------------- hooks */

static void log_result(const char *path, const struct hook_event *e,
		       const struct hook_result *res)
{
	const char *ev = event_name(e->kind);
	uint64_t seq = e->seq;

	switch (res->outcome) {
	case HOOK_OK:
		hlog(LOG_INFO, "%s: %s seq %" PRIu64 ": ok (%ld ms)", path, ev,
		     seq, res->ms);
		break;
	case HOOK_EXIT:
		hlog(LOG_WARNING, "%s: %s seq %" PRIu64 ": exit status %d",
		     path, ev, seq, res->status);
		break;
	case HOOK_SIGNAL:
		hlog(LOG_WARNING, "%s: %s seq %" PRIu64 ": killed by signal %d (%s)",
		     path, ev, seq, res->status, strsignal(res->status));
		break;
	case HOOK_TIMEOUT:
		hlog(LOG_ERR, "%s: %s seq %" PRIu64 ": timed out after %.3g s, "
		     "killed (SIGTERM, SIGKILL after %d s)", path, ev, seq,
		     opt.timeout_ms / 1000.0, KILL_GRACE_MS / 1000);
		break;
	case HOOK_EXEC:
		hlog(LOG_ERR, "%s: %s seq %" PRIu64 ": cannot execute: %s",
		     path, ev, seq, strerror(res->status));
		break;
	default:
		break;
	}
}

static void run_hooks(const struct hook_event *e)
{
	const struct hook_service svc = { vfiogroup_get_fd(ctx), service_socket, NULL };
	char **paths, **env;
	int n = hooks_dir_scan(opt.hooks_dir, &paths);

	if (n < 0) {
		hlog(LOG_ERR, "%s: %s: no hooks run for %s seq %" PRIu64,
		     opt.hooks_dir, strerror(-n), event_name(e->kind), e->seq);
		return;
	}
	if (!(env = hook_env_build(e, environ))) {
		hlog(LOG_ERR, "out of memory: no hooks run for %s seq %" PRIu64,
		     event_name(e->kind), e->seq);
		hooks_dir_free(paths, n);
		return;
	}
	/* A stop request waits for the running hook only (SIGTERM then
	 * means "soon", and systemd's stop timeout is the hook timeout's). */
	for (int i = 0; i < n && !stop; i++) {
		struct hook_result res;
		int r;

		if (opt.dry_run) {
			hlog(LOG_NOTICE, "dry run: %s with:", paths[i]);
			for (char **p = env; *p; p++)
				if (!strncmp(*p, "VFIOGROUP_", 10))
					hlog(LOG_NOTICE, "  %s", *p);
			continue;
		}
		hlog(LOG_DEBUG, "%s: %s seq %" PRIu64 ": starting", paths[i],
		     event_name(e->kind), e->seq);
		r = hook_run(paths[i], env, opt.timeout_ms, KILL_GRACE_MS, &svc,
			     &res);
		if (r) {
			hlog(LOG_ERR, "%s: cannot start: %s", paths[i], strerror(-r));
			res.outcome = HOOK_EXEC;
		} else {
			log_result(paths[i], e, &res);
		}
		counters.hook_runs[res.outcome]++;
		metrics_dirty = true;
		update_textfile();	/* each run, as the man page says */
	}
	hook_env_free(env);
	hooks_dir_free(paths, n);
}

/* ---------------------------------------------------------------- main */

static int parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hooks-dir", required_argument, NULL, 'd' },
		{ "hook-timeout", required_argument, NULL, 't' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat st;
	int c, verbose = 0;

	while ((c = getopt_long(argc, argv, "d:t:nvhV", opts, NULL)) != -1) {
		char *end;
		double s;

		switch (c) {
		case 'd':
			opt.hooks_dir = optarg;
			break;
		case 't':
			errno = 0;
			s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(s) ||
			    s < 0 || s > INT_MAX / 1000)
				return usage_error("bad --hook-timeout '%s'", optarg);
			opt.timeout_ms = (int)(s * 1000);
			if (s > 0 && !opt.timeout_ms)
				opt.timeout_ms = 1;
			break;
		case 'T':
			opt.textfile_dir = optarg;
			break;
		case 'n':
			opt.dry_run = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("vfiogroup-hooks %s (libvfiogroup %s)\n",
			       PACKAGE_VERSION, vfiogroup_version());
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected '%s'", argv[optind]);
	hooks_log_level = verbose >= 2 ? LOG_DEBUG : verbose ? LOG_INFO : LOG_NOTICE;
	if (stat(opt.hooks_dir, &st) || !S_ISDIR(st.st_mode))
		return usage_error("hooks directory '%s' is not a directory",
				   opt.hooks_dir);
	if (opt.textfile_dir &&
	    (stat(opt.textfile_dir, &st) || !S_ISDIR(st.st_mode) ||
	     access(opt.textfile_dir, W_OK | X_OK)))
		return usage_error("--textfile '%s' is not a writable directory",
				   opt.textfile_dir);
	return EXIT_OK;
}

static int start(void)
{
	struct vfiogroup_info info;
	struct hook_event e;
	int r;

	r = vfiogroup_ctx_new(&ctx, VFIOGROUP_CTX_WAIT_MODULE);
	if (r) {
		hlog(LOG_ERR, "%s", ctx ? vfiogroup_ctx_last_error(ctx)
					: "out of memory");
		return EXIT_FAIL;
	}
	vfiogroup_set_log_fn(ctx, hooks_lib_log, ctx);
	vfiogroup_set_log_priority(ctx, hooks_log_level >= LOG_DEBUG ? LOG_DEBUG
								     : LOG_NOTICE);
	r = vfiogroup_subscribe(ctx, NULL, VFIOGROUP_EVMASK_ALL, on_event, NULL,
				&sub);
	if (r) {
		hlog(LOG_ERR, "subscribing: %s", vfiogroup_strerror(r));
		return EXIT_FAIL;
	}
	/* The state may have changed while no daemon watched: the hooks
	 * re-read it once, as after lost events. */
	if (vfiogroup_ctx_connected(ctx) && !vfiogroup_info(ctx, &info))
		counters.last_seq = info.seq;
	hook_event_notice(&e, VFIOGROUP_EV_RESYNC, counters.last_seq);
	hook_queue_push(&queue, &e);
	hlog(LOG_INFO, "watching: hooks %s, timeout %.3g s%s%s%s%s",
	     opt.hooks_dir, opt.timeout_ms / 1000.0,
	     opt.textfile_dir ? ", textfile " : "",
	     opt.textfile_dir ? opt.textfile_dir : "",
	     opt.dry_run ? ", dry run" : "",
	     vfiogroup_ctx_connected(ctx) ? "" : ", module not loaded yet");
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int r = parse_options(argc, argv);

	if (r)
		return r;
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		hlog(LOG_ERR, "pipe: %s", strerror(errno));
		return EXIT_FAIL;
	}
	/* no SA_RESTART: poll() returns and the loop looks at stop */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (hook_queue_init(&queue, QUEUE_CAP)) {
		hlog(LOG_ERR, "out of memory");
		return EXIT_FAIL;
	}
	r = start();
	while (!r && !stop) {
		struct hook_event e;

		update_textfile();
		if (hook_queue_pop(&queue, &e)) {
			run_hooks(&e);
			hook_event_clear(&e);
			continue;
		}
		struct pollfd pfd[2] = {
			{ .fd = vfiogroup_get_fd(ctx), .events = POLLIN },
			{ .fd = stop_pipe[0], .events = POLLIN },
		};

		/* after a failed read, try again in a second even if quiet */
		if (poll(pfd, 2, dispatch_err ? 1000 : -1) < 0 ||
		    (pfd[1].revents & POLLIN))
			continue;	/* EINTR or the pipe: look at stop */
		dispatch_all();
	}
	if (!r) {
		/* what the last hooks before the stop did is counted too */
		update_textfile();
		hlog(LOG_INFO, "stopping: %zu event(s) left without hooks",
		     queue.len);
	}
	vfiogroup_unsubscribe(sub);
	hook_queue_fini(&queue);
	vfiogroup_ctx_unref(ctx);
	return r;
}
