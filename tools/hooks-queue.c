/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Events waiting for their hooks, oldest first.  Bounded: hooks slower
 * than the events would otherwise grow it without end; a full queue
 * becomes one resync, which tells the hooks to re-read the state, the
 * same answer the library gives when the kernel's events overflow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

int hook_queue_init(struct hook_queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	if (!cap || !(q->ev = calloc(cap, sizeof(*q->ev))))
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void hook_queue_fini(struct hook_queue *q)
{
	struct hook_event e;

	while (hook_queue_pop(q, &e))
		hook_event_clear(&e);
	free(q->ev);
	q->ev = NULL;
	q->cap = 0;
}

void hook_queue_push(struct hook_queue *q, struct hook_event *e)
{
	if (q->len == q->cap) {
		struct hook_event old;
		uint64_t seq = e->seq;

		while (hook_queue_pop(q, &old))
			hook_event_clear(&old);
		q->dropped += q->cap + 1;
		hook_event_clear(e);
		hook_event_notice(e, VFIOGROUP_EV_RESYNC, seq);
	}
	q->ev[(q->head + q->len) % q->cap] = *e;
	q->len++;
	memset(e, 0, sizeof(*e));
}

bool hook_queue_pop(struct hook_queue *q, struct hook_event *e)
{
	if (!q->len)
		return false;
	*e = q->ev[q->head];
	memset(&q->ev[q->head], 0, sizeof(*e));
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return true;
}
