/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the message decoder: any bytes, as one datagram
 * from the event socket, walked and decoded exactly as dispatch does
 * (with both "family id known" and "unknown"), and as a reply.
 *
 * Each message is also decoded as the dispatcher does, into a spare: the
 * group the message before made, then the group this one just made (all
 * of whose devices it keeps).  Both must say what the fresh decode says,
 * or the target aborts.
 *
 * Build and run: tests/fuzz/run.sh SECONDS (needs clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "same-group.h"

struct pass {
	uint16_t family;
	struct vfiogroup_group *spare;	/* the last message's group */
};

/* Decoded into p->spare: the same as fresh (r, m), or abort. */
static void into_spare(const struct nlmsghdr *nlh, size_t avail,
		       struct pass *p, int r, const struct vg_msg *m)
{
	struct vg_msg k;

	if (vg_decode_into(nlh, avail, p->family, &p->spare, &k) != r ||
	    k.kind != m->kind || !k.group != !m->group ||
	    (m->group && !vg_test_same_group(k.group, m->group)))
		abort();
	if (k.group && !p->spare) {
		p->spare = k.group;	/* the next decode's spare */
		k.group = NULL;
	}
	vg_msg_release(&k);
}

static int one(const struct nlmsghdr *nlh, size_t avail, void *arg)
{
	struct pass *p = arg;
	struct vg_msg m;
	int r = vg_decode(nlh, avail, p->family, &m);

	if (r == 0) {
		/* touch what a consumer would read */
		if (m.group) {
			volatile size_t sink = 0;

			for (size_t i = 0; i < m.group->ndev; i++)
				sink += strlen(m.group->dev[i].name) +
					strlen(m.group->dev[i].driver) +
					strlen(m.group->dev[i].bus);
			(void)sink;
		}
	}
	into_spare(nlh, avail, p, r, &m);
	into_spare(nlh, avail, p, r, &m);
	vg_msg_release(&m);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The receive buffer is malloc()ed, so aligned: so is this copy. */
	uint8_t *buf = malloc(size ? size : 1);
	struct pass p = { 0 };

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* the family id the fake kernel and the seeds use, then none */
	p.family = 0x20;
	vg_each_msg(buf, size, one, &p);
	p.family = 0;
	vg_each_msg(buf, size, one, &p);
	vfiogroup_group_unref(p.spare);
	free(buf);
	return 0;
}
