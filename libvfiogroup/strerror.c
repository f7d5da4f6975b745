/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Texts for the errors this library returns, phrased for its context; a
 * plain switch, so no locale or buffer is involved and it is thread-safe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* strerrordesc_np() */
#endif
#include <errno.h>
#include <string.h>

#include "internal.h"

VG_EXPORT const char *vfiogroup_strerror(int err)
{
	switch (err) {
	case 0:			return "success";
	case -ENOENT:		return "not found (no such group or device, or the "
				       "vfiogroup module is not loaded: modprobe vfiogroup)";
	case -EPROTONOSUPPORT:	return "unsupported vfiogroup family version";
	case -ENOTCONN:		return "not connected to the vfiogroup module";
	case -ETIMEDOUT:	return "timed out";
	case -EDEADLK:		return "called from inside a callback of the same context";
	case -ENOMEM:		return "out of memory";
	case -EINVAL:		return "invalid argument";
	case -EBADMSG:		return "malformed message from the kernel";
	case -ENOBUFS:		return "event socket overflowed (events lost)";
	case -ESHUTDOWN:	return "the vfiogroup module is being unloaded";
	case -EPERM:		return "operation not permitted";
	case -EACCES:		return "permission denied";
	case -E2BIG:		return "too many groups for the kernel filter";
	case -EMSGSIZE:		return "message too large";
	case -EAGAIN:		return "try again";
	case -EINTR:		return "interrupted";
	case -EOPNOTSUPP:	return "operation not supported";
	case -EIO:		return "netlink I/O error";
	case -EOVERFLOW:	return "value too large";
	default:		break;
	}
	/* strerrordesc_np() is thread-safe, unlike strerror() (glibc >= 2.32). */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	if (err < 0) {
		const char *s = strerrordesc_np(-err);

		if (s)
			return s;
	}
#endif
	return "unknown error";
}
