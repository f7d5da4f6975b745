/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vfiogroup-hooks: run the executables of a directory on every change of
 * an IOMMU group (vfiogroup-hooks(8), docs/operators.md).  One file per
 * job: hooks-main.c (options, the loop), hooks-event.c (an event as hooks
 * see it: the environment), hooks-dir.c (which files are hooks),
 * hooks-run.c (one hook, with its timeout), hooks-queue.c (events waiting
 * for their hooks), hooks-log.c (stderr with priorities),
 * hooks-textfile.c (the metrics file, replaced atomically).
 */
#ifndef VFIOGROUP_TOOL_HOOKS_H
#define VFIOGROUP_TOOL_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "vfiogroup.h"

/* ---- hooks-event.c ---- */

/* An event, copied out of the library's callback to outlive it. */
struct hook_event {
	unsigned kind;		/* enum vfiogroup_event_kind */
	bool synthesized;	/* made up by a resync, not sent by the kernel */
	bool has_group;		/* false for notices (resync, ...) */
	uint32_t group_id;
	uint64_t seq;
	char device[64];	/* "" if none */
	char driver[64];	/* "" if none */
	bool viable, ready;
	char node[32];		/* "/dev/vfio/N" or "" */
	char *devices;		/* the group's devices, space-separated; owned */
};

/* Copy ev.  Returns 0 or -ENOMEM. */
int hook_event_from(struct hook_event *out, const struct vfiogroup_ev *ev);
/* A notice (resync, disconnected, reconnected) with seq. */
void hook_event_notice(struct hook_event *out, unsigned kind, uint64_t seq);
void hook_event_clear(struct hook_event *e);

/*
 * The environment of a hook: base (the daemon's environ) without any
 * VFIOGROUP_* of its own, PATH if base has none, then the event's
 * VFIOGROUP_* variables.  NULL-terminated, malloc()ed; NULL on ENOMEM.
 */
char **hook_env_build(const struct hook_event *e, char *const *base);
void hook_env_free(char **env);

/* ---- hooks-dir.c ---- */

/* Is a directory entry of this name a hook (before looking at the file)? */
bool hook_name_wanted(const char *name);
/*
 * The hooks of dir: executable regular files (symlinks followed) whose
 * names hook_name_wanted() accepts, full paths sorted by name in byte
 * order.  Returns their number (*paths NULL when 0) or a negative errno.
 */
int hooks_dir_scan(const char *dir, char ***paths);
void hooks_dir_free(char **paths, int n);

/* ---- hooks-run.c ---- */

/* A file descriptor to serve while a hook runs (the library's socket). */
struct hook_service {
	int fd;
	void (*ready)(void *data);
	void *data;
};

struct hook_result {
	enum hook_outcome outcome;
	int status;	/* exit status, signal, or errno of exec */
	long ms;	/* how long it ran */
};

/*
 * Run path with no arguments, env as its environment, stdin /dev/null,
 * stdout and stderr the daemon's, in a process group of its own.  After
 * timeout_ms (<= 0: none) the group gets SIGTERM, after kill_grace_ms
 * more SIGKILL.  Returns 0 with *res filled, or a negative errno when no
 * process could be made.
 */
int hook_run(const char *path, char *const *env, int timeout_ms,
	     int kill_grace_ms, const struct hook_service *svc,
	     struct hook_result *res);

/* ---- hooks-queue.c ---- */

struct hook_queue {
	struct hook_event *ev;
	size_t cap, head, len;
	uint64_t dropped;	/* events thrown away for a full queue */
};

/* cap > 0.  Returns 0 or -ENOMEM. */
int hook_queue_init(struct hook_queue *q, size_t cap);
void hook_queue_fini(struct hook_queue *q);
/*
 * Take e (moved: the caller's copy is cleared).  When the queue is full,
 * everything in it and e are dropped for a single resync with e's seq:
 * the hooks re-read the state instead of seeing events late.
 */
void hook_queue_push(struct hook_queue *q, struct hook_event *e);
/* The oldest event, moved into *e; false when empty. */
bool hook_queue_pop(struct hook_queue *q, struct hook_event *e);

/* ---- hooks-log.c ---- */

/* Messages above this syslog priority are dropped (default LOG_NOTICE). */
extern int hooks_log_level;
/* "<N>vfiogroup-hooks: ...\n" on stderr: journald reads the priority. */
void hlog(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The library's messages, the same way (a vfiogroup_log_fn; data: the
 * context, whose failures while the module is away drop to info).
 */
void hooks_lib_log(void *data, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args);

/* ---- hooks-textfile.c ---- */

#define TEXTFILE_NAME "vfiogroup.prom"
/*
 * Render s into DIR/vfiogroup.prom.PID, then rename it over
 * DIR/vfiogroup.prom, so node_exporter never reads half a file.
 * Returns 0 or a negative errno (the temporary file removed).
 */
int textfile_write(const char *dir, const struct metrics_snapshot *s);

#endif
