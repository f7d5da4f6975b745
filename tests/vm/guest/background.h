/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * What the tools a script starts in the background share (vgprobe monitor,
 * vgvfio hold): a ready file to wait for, SIGTERM/SIGINT as a request to
 * stop, and a monotonic clock for their deadlines.
 */
#ifndef VG_BACKGROUND_H
#define VG_BACKGROUND_H

#include <signal.h>
#include <stdint.h>

/* The signal that asked to stop, 0 while none came. */
extern volatile sig_atomic_t stop_sig;

/* SIGTERM and SIGINT set stop_sig and interrupt a wait (no SA_RESTART). */
void stop_on_signals(void);

/* The ready file, with our pid, made atomically (F.tmp renamed); -1 said. */
int write_ready_file(const char *path);

int64_t now_ms(void);

#endif
