/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What lib-integration's files share: the system headers, the sysfs ground
 * truth (lib-integration-sysfs.c), the context helpers and the event
 * counter of storm and reload (lib-integration-common.c), and the entry
 * point of each scenario, which main() (lib-integration.c) calls by name.
 */
#ifndef VG_LIB_INTEGRATION_H
#define VG_LIB_INTEGRATION_H

/* First in every file: _GNU_SOURCE must precede any system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfiogroup.h>
#include <vfiogroup.h>

#include "guest-util.h"
#include "pci-sysfs.h"

#define NAME_LEN	64

/* ------------------------------------------------------------------ */
/* the scenarios (lib-integration-NAME.c)                              */
/* ------------------------------------------------------------------ */

/*
 * Each returns main()'s exit status: 0 (then nfail decides), 1 when it
 * could not run, 2 on bad arguments.
 */

int cmd_cache(void);
int cmd_storm(int argc, char **argv);
int cmd_filtered(int argc, char **argv);
int cmd_reload(int argc, char **argv);
int cmd_unsub(int argc, char **argv);
int cmd_window(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* sysfs (lib-integration-sysfs.c)                                     */
/* ------------------------------------------------------------------ */

struct sdev {
	uint32_t group;
	char name[NAME_LEN];
	char bus[NAME_LEN];
	char driver[NAME_LEN];	/* "" when unbound */
};

struct sysfs_state {
	struct sdev *d;
	size_t n, cap;
};

/* Every device of every IOMMU group, sorted by group and name. */
int sysfs_read(struct sysfs_state *s);
/* Put dev back on drv ("" = unbound); pci-sysfs.h has the rest. */
int restore(const char *dev, const char *drv);
bool in_ids(const uint32_t *ids, int n, uint32_t id);

/* The library's cache against sysfs and against a fresh context. */
int compare_sysfs_only(struct vfiogroup_ctx *ctx, const char *when,
		       const uint32_t *only, int nonly);
int compare_sysfs(struct vfiogroup_ctx *ctx, const char *when);
int compare_fresh(struct vfiogroup_ctx *ctx, const char *when);

/* ------------------------------------------------------------------ */
/* contexts (lib-integration-common.c)                                 */
/* ------------------------------------------------------------------ */

int drain(struct vfiogroup_ctx *ctx, int quiet_ms, int timeout_ms,
	  volatile bool *stop_flag);
void print_stats(struct vfiogroup_ctx *ctx, const char *what);
/* A new context, or a failed result and exit(1). */
struct vfiogroup_ctx *connect_or_die(void);
int filter_len(struct vfiogroup_ctx *ctx);
int subscribe_groups(struct vfiogroup_ctx *ctx, const long *ids, int n,
		     vfiogroup_cb cb, void *userdata,
		     struct vfiogroup_sub **sub);

/* What storm and reload count, with count_cb() as the callback. */
struct counts {
	atomic_uint kernel, synth, resync, disconnected, reconnected;
	atomic_uint bad;		/* events without a group state */
	uint64_t last_kernel_seq;	/* dispatch thread only */
	unsigned backwards;		/* kernel seqs not increasing */
	/* reload: notices and the synthesized events seen, in order */
	char trace[4096];
	bool want_dev_synth;
	char dev[NAME_LEN];
	bool dev_synth_before_reconnect;
	bool dev_kernel_bound;
};

void count_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
	      void *userdata);

#endif /* VG_LIB_INTEGRATION_H */
