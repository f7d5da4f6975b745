/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * errno values by their symbolic names ("error=ENOMEM"), as the guest
 * tools print them: scripts compare names, which do not vary by libc.
 */
#ifndef VG_ERRNAME_H
#define VG_ERRNAME_H

/* The name of errno e (either sign), "0" for none, "E<n>" if unknown. */
const char *errname(int e);

#endif
