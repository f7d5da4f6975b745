/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Fault injection through /proc/thread-self/fail-nth, for the tools whose
 * own system call is the operation under test (vgprobe, vgsys).
 */
#ifndef VG_FAIL_NTH_H
#define VG_FAIL_NTH_H

/* --fail-nth=N: the Nth fault point fails; 0 = no fault injection. */
extern unsigned int fail_nth;

/* Opens the task's fail-nth file (if fail_nth is set); -1, said, if not. */
int fault_prepare(void);
/* Around the operation's system calls; no-ops without fault_prepare(). */
void fault_arm(void);
void fault_disarm(void);

#endif
