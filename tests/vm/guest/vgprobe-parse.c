// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * vgprobe's strict decoding of the module's attributes: a group reply or
 * notification taken apart, and every breach of the UAPI printed as a
 * "malformed=" line and turned into exit status 6 (finish).
 */
#include <stdio.h>
#include <string.h>

#include <linux/genetlink.h>
#include <netlink/genl/genl.h>

#include <linux/vfiogroup.h>

#include "vgprobe.h"

static unsigned int malformed;

void note_malformed(const char *what, int attr)
{
	malformed++;
	printf("malformed=%s attr=%d\n", what, attr);
}

/*
 * Strictly typed attribute accessor: wrong length = malformed.  memcpy,
 * because a u64 may be unaligned without PAD.
 */
bool get_fixed(const struct nlattr *a, const char *what, void *v, int len)
{
	if (!a)
		return false;
	if (nla_len(a) != len) {
		note_malformed(what, nla_type(a));
		return false;
	}
	memcpy(v, nla_data(a), len);
	return true;
}

const char *get_str(const struct nlattr *a, const char *what)
{
	const char *s;
	int len;

	if (!a)
		return NULL;
	s = nla_data(a);
	len = nla_len(a);
	if (len < 1 || len > VFIOGROUP_NAME_MAX || s[len - 1] != '\0' ||
	    strlen(s) != (size_t)len - 1) {
		note_malformed(what, nla_type(a));
		return NULL;
	}
	return s;
}

/* Parse a nest into tb[0..max]; unknown types are ignored (forward compat). */
void parse_nest(struct nlattr **tb, int max, const struct nlattr *nest)
{
	struct nlattr *a;
	int rem;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	nla_for_each_nested(a, (struct nlattr *)nest, rem) {
		int t = nla_type(a);

		if (t <= max)
			tb[t] = a;
	}
	if (rem > 0 && rem >= (int)sizeof(struct nlattr))
		note_malformed("nest-trailing-bytes", nla_type(nest));
}

/* A command's exit status: 6 when it went well but something was malformed. */
int finish(int rc)
{
	fflush(stdout);
	if (rc == EXIT_OK && malformed)
		return EXIT_MALFORMED;
	return rc;
}

/*
 * A group reply or notification into g: the devices in order, the group's
 * attributes; false without a group id (nothing to print then).
 */
bool parse_group(const struct nlmsghdr *nlh, struct groupinfo *g)
{
	struct nlattr *tb[VFIOGROUP_A_MAX + 1];
	struct nlattr *a;
	int rem;

	memset(g, 0, sizeof(*g));
	memset(tb, 0, sizeof(tb));
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		note_malformed("short-genlmsg", 0);
		return false;
	}
	nlmsg_for_each_attr(a, (struct nlmsghdr *)nlh, GENL_HDRLEN, rem) {
		int t = nla_type(a);

		if (t == VFIOGROUP_A_GROUP_DEVICE) {
			struct nlattr *dt[VFIOGROUP_A_DEV_MAX + 1];
			struct devinfo *d;

			if (g->ndev >= MAX_DEVS) {
				note_malformed("too-many-devices", t);
				continue;
			}
			d = &g->dev[g->ndev++];
			parse_nest(dt, VFIOGROUP_A_DEV_MAX, a);
			d->name = get_str(dt[VFIOGROUP_A_DEV_NAME], "dev-name");
			d->bus = get_str(dt[VFIOGROUP_A_DEV_BUS], "dev-bus");
			d->driver = get_str(dt[VFIOGROUP_A_DEV_DRIVER], "dev-driver");
			d->has_viable = get_int(dt[VFIOGROUP_A_DEV_VIABLE], "dev-viable", &d->viable);
			d->has_vendor = get_int(dt[VFIOGROUP_A_DEV_VENDOR], "dev-vendor", &d->vendor);
			d->has_device = get_int(dt[VFIOGROUP_A_DEV_DEVICE], "dev-device", &d->device);
			d->has_vfio = get_int(dt[VFIOGROUP_A_DEV_VFIO], "dev-vfio", &d->vfio);
			d->vfio_dev = get_str(dt[VFIOGROUP_A_DEV_VFIO_DEV], "dev-vfio-dev");
			if (!d->has_vfio || d->vfio > 1)
				note_malformed("dev-vfio", VFIOGROUP_A_DEV_VFIO);
			if (d->vfio_dev && !d->vfio)
				note_malformed("vfio-dev-but-not-vfio", VFIOGROUP_A_DEV_VFIO_DEV);
			if (!d->name)
				note_malformed("dev-without-name", t);
			if (!d->bus)
				note_malformed("dev-without-bus", t);
			if (!d->has_viable)
				note_malformed("dev-without-viable", t);
			if (d->has_viable && d->viable > 1)
				note_malformed("dev-viable-not-bool", VFIOGROUP_A_DEV_VIABLE);
			if (d->bus && !strcmp(d->bus, "pci") && (!d->has_vendor || !d->has_device))
				note_malformed("pci-dev-without-ids", t);
			continue;
		}
		if (t <= VFIOGROUP_A_MAX) {
			if (tb[t])
				note_malformed("duplicate-attr", t);
			tb[t] = a;
		}
	}
	g->has_id = get_int(tb[VFIOGROUP_A_GROUP_ID], "group-id", &g->id);
	g->has_viable = get_int(tb[VFIOGROUP_A_GROUP_VIABLE], "group-viable", &g->viable);
	g->has_seq = get_int(tb[VFIOGROUP_A_GROUP_SEQ], "group-seq", &g->seq);
	g->has_ready = get_int(tb[VFIOGROUP_A_GROUP_READY], "group-ready", &g->ready);
	g->has_in_use = get_int(tb[VFIOGROUP_A_GROUP_IN_USE], "group-in-use", &g->in_use);
	g->event = tb[VFIOGROUP_A_GROUP_EVENT];
	if (!g->has_id)
		note_malformed("group-without-id", VFIOGROUP_A_GROUP_ID);
	if (!g->has_viable)
		note_malformed("group-without-viable", VFIOGROUP_A_GROUP_VIABLE);
	else if (g->viable > 1)
		note_malformed("group-viable-not-bool", VFIOGROUP_A_GROUP_VIABLE);
	if (!g->has_seq)
		note_malformed("group-without-seq", VFIOGROUP_A_GROUP_SEQ);
	if (!g->has_ready)
		note_malformed("group-without-ready", VFIOGROUP_A_GROUP_READY);
	else if (g->ready > 1)
		note_malformed("group-ready-not-bool", VFIOGROUP_A_GROUP_READY);
	if (g->has_in_use && g->in_use > 1)
		note_malformed("group-in-use-not-bool", VFIOGROUP_A_GROUP_IN_USE);
	return g->has_id;
}
