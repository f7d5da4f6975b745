/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the message decoder: any bytes, as one datagram
 * from the event socket, walked and decoded exactly as dispatch does
 * (with both "family id known" and "unknown"), and as a reply.
 *
 * Build and run: tests/fuzz/run.sh SECONDS (needs clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int one(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	const uint16_t *family = arg;
	struct vg_msg m;

	if (vg_decode(nlh, avail, *family, &m) == 0) {
		/* touch what a consumer would read */
		if (m.group) {
			volatile size_t sink = 0;

			for (size_t i = 0; i < m.group->ndev; i++)
				sink += strlen(m.group->dev[i].name) +
					strlen(m.group->dev[i].driver) +
					strlen(m.group->dev[i].bus);
			(void)sink;
		}
		vg_msg_release(&m);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The receive buffer is malloc()ed, so aligned: so is this copy. */
	uint8_t *buf = malloc(size ? size : 1);
	uint16_t family;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* the family id the fake kernel and the seeds use, then none */
	family = 0x20;
	vg_each_msg(buf, size, one, &family);
	family = 0;
	vg_each_msg(buf, size, one, &family);
	free(buf);
	return 0;
}
