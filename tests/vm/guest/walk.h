/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What walk's files share: the group state every oracle is read into, the
 * walk's devices and steps, the oracles' counters, the program's state
 * (defined once, in the file named beside each declaration), and the
 * functions one file calls in another.
 */
#ifndef VG_WALK_H
#define VG_WALK_H

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
#include <signal.h>
#include <stdarg.h>
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

#define NAMEL		64
#define MAXD		16	/* devices per group */
#define MAXG		64	/* groups */
#define MAXW		16	/* walk devices */
#define MAX_PRINTED	60	/* mismatches printed in full */

#define PCI_DEVS "/sys/bus/pci/devices"

/* ------------------------------------------------------------------ */
/* group state, as every oracle sees it (walk-state.c)                 */
/* ------------------------------------------------------------------ */

struct dst {
	char name[NAMEL];
	char bus[NAMEL];
	char drv[NAMEL];	/* "" when unbound */
	int viable;
	int vfio;		/* registered with VFIO */
	char vfio_dev[NAMEL];	/* its vfioX (6.1+), "" when none */
};

struct gst {
	uint32_t id;
	int viable;
	int ready;		/* viable and a device registered with VFIO */
	int node;		/* /dev/vfio/N exists (as the oracle knows it) */
	bool has_seq;
	uint64_t seq;
	unsigned nd;
	struct dst d[MAXD];
};

struct world {
	unsigned n;
	struct gst g[MAXG];
};

int dst_cmp(const void *a, const void *b);
int gst_cmp(const void *a, const void *b);
const struct gst *world_find(const struct world *w, uint32_t id);
void gst_fmt(const struct gst *g, char *buf, size_t len);
bool gst_same(const struct gst *a, const struct gst *b);
const struct dst *gst_dev(const struct gst *g, const char *name);

/* ------------------------------------------------------------------ */
/* the reference: sysfs and VFIO (walk-sysfs.c)                        */
/* ------------------------------------------------------------------ */

extern bool k_in_use, k_vfio_dev, k_deferred_put;

void kernel_features(void);
int read_line(const char *path, char *out, size_t len);
bool dev_present(const char *dev);
void dev_driver(const char *dev, char *out, size_t len);
long dev_group(const char *dev);
bool override_clear(const char *dev);
int sysfs_world(struct world *w);
bool world_any_vfio(const struct gst *g);
int vfio_status(uint32_t id);

/* ------------------------------------------------------------------ */
/* raw netlink, no library (walk-raw.c)                                */
/* ------------------------------------------------------------------ */

struct nl_sock;

extern struct nl_sock *nsk;
extern unsigned raw_malformed;
extern unsigned long inuse_checks, inuse_bad;

int raw_open(void);
int raw_dump(struct world *w);
int raw_get(uint32_t id, struct gst *g);
int raw_info_seq(uint64_t *seq);

/* ------------------------------------------------------------------ */
/* the library's contexts and callback (walk-lib.c, walk-event.c)      */
/* ------------------------------------------------------------------ */
/* Per context: what its callback has seen. */
struct seen {
	const char *name;
	uint64_t max_seq;		/* highest event seq delivered */
	uint64_t last_kernel;		/* last kernel event seq (gap check) */
	unsigned notices;		/* RESYNC/DISCONNECTED/RECONNECTED */
	unsigned events, synth;
	unsigned kinds[7];
	unsigned gaps;			/* kernel seq gaps seen */
	uint32_t ids[MAXG];		/* per group: */
	uint64_t lastseq[MAXG];		/*   seq of its last event */
	struct gst *state;		/*   state of its last event (A only) */
	bool present[MAXG];
	unsigned nids;
	/* event oracle (A only) */
	unsigned ev_checks, ev_bad, ready_flips;
	char ev_first_bad[8][900];
	unsigned ev_nbad_stored;
};

void lib_gst(const struct vfiogroup_group *lg, struct gst *g);
int lib_get(struct vfiogroup_ctx *ctx, uint32_t id, struct gst *g);
int seen_slot(struct seen *s, uint32_t id);
void seen_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
	     void *userdata);
void dispatch_all(struct vfiogroup_ctx *ctx, const char *name);
/* The event oracle (walk-event.c), from seen_cb(). */
void check_event(struct seen *s, const struct vfiogroup_ev *ev,
		 const struct gst *prev);

/* ------------------------------------------------------------------ */
/* the walk's devices (walk-devices.c) and steps (walk-step.c)         */
/* ------------------------------------------------------------------ */

enum kind { K_UNBIND, K_OVR_BIND, K_OVR_PROBE, K_NEW_ID, K_HOST_BIND,
	    K_REMOVE, K_RESCAN, K_PORT, NKINDS };

struct wdev {
	char name[NAMEL];
	char host[NAMEL];
	char ids[16];		/* "VVVV DDDD" for new_id */
	bool port;
};

struct step {
	int n;
	enum kind k;
	int dev;		/* index in wd, -1 for rescan */
	char desc[160];
	int err;		/* the sysfs write's */
};

extern struct wdev wd[MAXW];
extern int nwd, port_idx;
extern const char *const knames[NKINDS];
/* The walk's PRNG: main() seeds it, do_step() alone draws from it. */
extern uint64_t rng;

void find_devices(void);
int restore_all(char *why, size_t len);
void do_step(struct step *st);
void step_effect(const struct step *st, const bool *was_removed, char *why,
		 size_t len);

/* ------------------------------------------------------------------ */
/* the program's state (walk.c)                                        */
/* ------------------------------------------------------------------ */

extern struct vfiogroup_ctx *ca, *cb;
extern struct seen sa, sb;
extern uint32_t fids[2];
extern int nfids;
extern uint64_t seed;
extern int deadline_s;

/* ------------------------------------------------------------------ */
/* the oracles: counts and mismatches (walk-mismatch.c), the barrier   */
/* (walk-barrier.c), every comparison (walk-compare.c)                 */
/* ------------------------------------------------------------------ */

enum oracle { O_DUMP, O_GET, O_CACHE, O_FIND, O_CALLBACK, O_FILTERED,
	      O_VFIO, O_RULE_VFIO, O_READY_VFIO, O_RULE_READY, O_IN_USE, O_EVENT,
	      O_BARRIER, NORACLES };

extern const char *const onames[NORACLES];
extern unsigned long comparisons[NORACLES], mismatches[NORACLES];
extern unsigned long printed, vfio_checks, ready_checks, repeats;

void new_round(void);
void mismatch(int o, const char *where, uint32_t gid, const struct gst *want,
	      const struct gst *got, const char *extra);
void compare(int o, const char *where, uint32_t gid, const struct gst *want,
	     const struct gst *got, const struct gst *dump);
void collect_events(const char *where, unsigned gaps0);
unsigned long total_mismatches(void);
unsigned long total_comparisons(void);

int barrier(const char *where, uint64_t *target_out);

extern char removed_names[MAXW][NAMEL];
extern int nremoved_names;
extern int64_t t_phase[5];

void compare_all(const char *where);

#endif /* VG_WALK_H */
