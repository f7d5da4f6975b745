/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An event as a hook sees it: copied out of the library's callback (whose
 * data lives only during the call) and turned into VFIOGROUP_* variables,
 * whose names and values vfiogroup-hooks(8) documents.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "print.h"

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

int hook_event_from(struct hook_event *out, const struct vfiogroup_ev *ev)
{
	const struct vfiogroup_group *g = ev->group;
	size_t n = g ? vfiogroup_group_device_count(g) : 0, len = 1;

	memset(out, 0, sizeof(*out));
	out->kind = ev->kind;
	out->synthesized = ev->flags & VFIOGROUP_EVENT_SYNTHESIZED;
	out->seq = ev->seq;
	copy(out->device, sizeof(out->device), ev->dev_name);
	copy(out->driver, sizeof(out->driver), ev->driver);
	if (ev->kind >= VFIOGROUP_EV_RESYNC || !g)
		return 0;
	out->has_group = true;
	out->group_id = ev->group_id;
	out->viable = vfiogroup_group_viable(g);
	out->ready = vfiogroup_group_ready(g);
	copy(out->node, sizeof(out->node), vfiogroup_group_node(g));
	for (size_t i = 0; i < n; i++)
		len += strlen(vfiogroup_device_name(vfiogroup_group_device(g, i))) + 1;
	if (!(out->devices = malloc(len)))
		return -ENOMEM;
	out->devices[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out->devices, " ");
		strcat(out->devices,
		       vfiogroup_device_name(vfiogroup_group_device(g, i)));
	}
	return 0;
}

void hook_event_notice(struct hook_event *out, unsigned kind, uint64_t seq)
{
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	out->seq = seq;
}

void hook_event_clear(struct hook_event *e)
{
	free(e->devices);
	e->devices = NULL;
}

void hook_env_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}

#define ENV_VARS 11	/* the ten VFIOGROUP_* below, and PATH */

static int add(char **env, size_t *n, const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;

	if (!(env[*n] = malloc(len)))
		return -ENOMEM;
	snprintf(env[*n], len, "%s=%s", name, value);
	(*n)++;
	return 0;
}

char **hook_env_build(const struct hook_event *e, char *const *base)
{
	char group[16] = "", seq[24];
	size_t nbase = 0, n = 0;
	bool have_path = false;
	char **env;
	int r = 0;

	for (char *const *p = base; p && *p; p++)
		nbase++;
	if (!(env = calloc(nbase + ENV_VARS + 1, sizeof(*env))))
		return NULL;
	for (char *const *p = base; p && *p; p++) {
		/* a stale VFIOGROUP_* of the daemon's own must not pass for the event's */
		if (!strncmp(*p, "VFIOGROUP_", 10))
			continue;
		have_path |= !strncmp(*p, "PATH=", 5);
		if (!(env[n] = strdup(*p)))
			goto oom;
		n++;
	}
	if (!have_path)
		r |= add(env, &n, "PATH",
			 "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (e->has_group)
		snprintf(group, sizeof(group), "%" PRIu32, e->group_id);
	snprintf(seq, sizeof(seq), "%" PRIu64, e->seq);
	r |= add(env, &n, "VFIOGROUP_EVENT", event_name(e->kind));
	r |= add(env, &n, "VFIOGROUP_SEQ", seq);
	r |= add(env, &n, "VFIOGROUP_GROUP", group);
	r |= add(env, &n, "VFIOGROUP_DEVICE", e->device);
	r |= add(env, &n, "VFIOGROUP_DRIVER", e->driver);
	r |= add(env, &n, "VFIOGROUP_VIABLE", !e->has_group ? "" : e->viable ? "1" : "0");
	r |= add(env, &n, "VFIOGROUP_READY", !e->has_group ? "" : e->ready ? "1" : "0");
	r |= add(env, &n, "VFIOGROUP_SYNTHESIZED", e->synthesized ? "1" : "0");
	r |= add(env, &n, "VFIOGROUP_NODE", e->node);
	if (r)
		goto oom;
	r = add(env, &n, "VFIOGROUP_DEVICES", e->devices ? e->devices : "");
	if (r)
		goto oom;
	return env;
oom:
	hook_env_free(env);
	return NULL;
}
