/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What the four files of lib-integration window share: the state of a run
 * (struct win), the contexts under test, the steps, and each file's entry
 * points.  The scenario is explained in lib-integration-window.c.
 */
#ifndef VG_LIB_INTEGRATION_WINDOW_H
#define VG_LIB_INTEGRATION_WINDOW_H

#define W_MAXG		64		/* groups one context covers */
#define W_MAX_TRUTH	65536		/* ground-truth events */
#define W_DEADLINE_MS	20000		/* a quiesce; KASAN kernels are slow */
#define W_OVERFLOW_MAX	60		/* toggles to overflow, at most */
#define W_WHAT		(2 * NAME_LEN + 32)	/* a transition, described */

enum w_arm { ARM_NONE, ARM_TOGGLE, ARM_CHILD };

struct w_act {			/* what an armed RESYNC callback did */
	bool done;
	int err;
	uint64_t before, after;	/* module seq before and after it acted */
	long rmem;		/* bytes queued on the socket meanwhile */
	unsigned long drops;	/* multicasts the kernel dropped for it then */
	char what[W_WHAT];
};

struct w_tdev {			/* a device toggled: driver, none, vfio-pci */
	char name[NAME_LEN];
	char orig[NAME_LEN];
	uint32_t group;
	bool vfio;
	int next;
};

struct win;

struct wctx {
	const char *name;
	struct win *w;
	bool filtered;
	struct vfiogroup_ctx *ctx;
	struct vfiogroup_sub *sub;
	int fd;
	ino_t ino;
	/* covered groups, and the seq up to which a resync covered each */
	int ng;
	uint32_t gid[W_MAXG];
	uint64_t upto[W_MAXG];
	/* kernel events delivered, indexed by seq - w->base - 1 */
	uint8_t *got;
	uint32_t *got_group;
	uint8_t *got_kind;
	uint64_t last_kseq;
	unsigned kernel, synth, resyncs, other_notices;
	unsigned dup, backwards, outside, uncovered, wrong, future;
	/* the toggled devices' drivers as the callbacks last told them */
	char last_drv[2][NAME_LEN];
	uint64_t notice_truth;	/* the module's newest seq at the last notice */
	int arm;
	struct w_act act;
	/* totals */
	unsigned delivered, covered, unaccounted, mismatches;
};

struct truth_ev {
	uint64_t seq;
	uint32_t group;
	uint32_t kind;
};

struct w_shared {		/* between the parent and the child (child) */
	atomic_int stop, done, errors;
};

struct win {
	/* raw genetlink: a request socket and the listener */
	int rq;
	uint16_t fam;
	uint32_t grp;
	int lfd;
	ino_t lino;
	pthread_t lth;
	atomic_bool lstop;
	struct truth_ev *tev;
	atomic_uint tn;			/* published */
	_Atomic uint64_t tlast;		/* newest seq heard */
	atomic_uint enobufs, gaps, trunc, lfull, lerr;
	unsigned checked;		/* truth events accounted so far */
	uint64_t base;			/* module seq when the contexts were ready */
	/* what is tested */
	struct wctx c[2];		/* filtered, unfiltered */
	int ndev;
	struct w_tdev dev[2];		/* dev[0]: the one acted on; dev[1]: overflow */
	struct w_shared *sh;
	bool have_drops;		/* /proc/net/netlink gives Drops */
	int dispatch_err;
	int sysfs_err;
	unsigned qfail;			/* barriers not reached in time */
	/* totals */
	unsigned runs, steps, truth;
	uint64_t overflows, resyncs;
};

/* ------------------------------------------------------------------ */
/* raw generic netlink (lib-integration-window-raw.c)                  */
/* ------------------------------------------------------------------ */

int raw_socket(void);
int raw_resolve(struct win *w);
uint64_t raw_info_seq(struct win *w, int *err);
void *listener(void *arg);
bool nl_sock_stats(ino_t ino, long *rmem, unsigned long *drops);
unsigned long sock_drops(ino_t ino);

/* ------------------------------------------------------------------ */
/* the contexts and the oracles (lib-integration-window-oracle.c)      */
/* ------------------------------------------------------------------ */

void w_snapshot(struct wctx *c);
void win_cb(struct vfiogroup_sub *sub, const struct vfiogroup_ev *ev,
	    void *userdata);
void w_stats(struct wctx *c, struct vfiogroup_stats *st);
bool w_dispatch(struct win *w, struct wctx *c, int64_t end);
bool raw_heard(struct win *w, uint64_t seq, int64_t end);
uint64_t quiesce(struct win *w, const char *when);
unsigned account(struct win *w, uint64_t upto, unsigned *dl,
		 unsigned *cv, unsigned *ua);

/* ------------------------------------------------------------------ */
/* the devices and the steps (lib-integration-window-steps.c)          */
/* ------------------------------------------------------------------ */

struct w_step {
	const char *scen;		/* stall, child, drain */
	char label[96];
	struct vfiogroup_stats st0[2];
	bool raced;			/* overflow detected, act in the window */
	bool ok;			/* every oracle held */
	char why[160];			/* the first reason it did not race */
};

struct w_scen {
	const char *name;
	unsigned steps, raced, ok;
	unsigned dl[2], cv[2], ua[2], mm[2];
};

int w_toggle(struct win *w, int k, char *what, size_t len);
void step_begin(struct win *w, struct w_step *s, const char *scen);
void step_end(struct win *w, struct w_step *s);
void step_stall(struct win *w, int armed, int rep, struct w_step *s,
		bool *drained);
void step_drain(struct win *w, int rep, struct w_step *s,
		bool *arrived);
void step_child(struct win *w, int rep, int rounds, struct w_step *s);
void scen_add(struct w_scen *sc, struct win *w, const struct w_step *s,
	      const unsigned *ua0, const unsigned *mm0,
	      const unsigned *dl0, const unsigned *cv0);

#endif /* VG_LIB_INTEGRATION_WINDOW_H */
