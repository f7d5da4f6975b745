// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * walk: one step -- the seeded choice of a transition among those that
 * apply, the sysfs writes that make it, and whether it took effect.
 */
#include "walk.h"

/*
 * Transition kinds, chosen by weight among those that apply to the
 * devices' state in sysfs:
 *
 *   unbind     a bound NIC: DEV/driver/unbind
 *   ovr-bind   an unbound NIC: driver_override=vfio-pci, vfio-pci/bind
 *   ovr-probe  an unbound NIC: driver_override=vfio-pci, drivers_probe
 *   new-id     an unbound NIC: driver_override cleared, vfio-pci/new_id
 *              "VENDOR DEVICE" and at once remove_id (vfio-pci also takes
 *              every other unbound device that matches, by id or by a
 *              driver_override naming it: one step, several transitions)
 *   host-bind  an unbound NIC: driver_override cleared, HOST/bind
 *   remove     a NIC that is present: DEV/remove
 *   rescan     some NIC is removed: /sys/bus/pci/rescan; each comes back
 *              on its host driver with no driver_override
 *   port       the root port: pcieport unbound if bound, else bound again
 */

const char *const knames[NKINDS] = {
	"unbind", "ovr-bind", "ovr-probe", "new-id", "host-bind", "remove",
	"rescan", "port",
};
/*
 * Every bind needs an unbound device, which only unbind (or a remove of a
 * bound one) makes: the binds get more weight so that each of them occurs
 * 20-50 times in 500 steps (seeded simulations: at least 24 each in 200
 * seeds), unbind about 150 times, the others 30-80.
 */
static const unsigned kweight[NKINDS] = { 3, 4, 4, 4, 4, 1, 3, 1 };

uint64_t rng;

static uint64_t rnd(void)	/* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Choose and make one transition. */
void do_step(struct step *st)
{
	int cand[NKINDS][MAXW], ncand[NKINDS] = { 0 };
	unsigned total = 0, pick;
	char drv[NAMEL], p[PATH_MAX];
	struct wdev *w;
	int k, i, r = 0;

	for (i = 0; i < nwd; i++) {
		bool present = dev_present(wd[i].name);

		dev_driver(wd[i].name, drv, sizeof(drv));
		if (wd[i].port) {
			if (present)
				cand[K_PORT][ncand[K_PORT]++] = i;
			continue;
		}
		if (!present) {
			cand[K_RESCAN][ncand[K_RESCAN]++] = i;
			continue;
		}
		cand[K_REMOVE][ncand[K_REMOVE]++] = i;
		if (*drv) {
			cand[K_UNBIND][ncand[K_UNBIND]++] = i;
		} else {
			for (k = K_OVR_BIND; k <= K_HOST_BIND; k++)
				cand[k][ncand[k]++] = i;
		}
	}
	for (k = 0; k < NKINDS; k++)
		if (ncand[k])
			total += kweight[k];
	pick = (unsigned)(rnd() % total);
	for (k = 0; k < NKINDS; k++) {
		if (!ncand[k])
			continue;
		if (pick < kweight[k])
			break;
		pick -= kweight[k];
	}
	st->k = (enum kind)k;
	st->dev = cand[k][rnd() % (uint64_t)ncand[k]];
	w = &wd[st->dev];
	dev_driver(w->name, drv, sizeof(drv));
	snprintf(p, sizeof(p), PCI_DEVS "/%s/driver_override", w->name);
	switch (st->k) {
	case K_UNBIND:
		snprintf(st->desc, sizeof(st->desc), "unbind %s from %s", w->name, drv);
		snprintf(p, sizeof(p), PCI_DEVS "/%s/driver/unbind", w->name);
		r = write_file(p, w->name);
		break;
	case K_OVR_BIND:
	case K_OVR_PROBE:
		snprintf(st->desc, sizeof(st->desc), "%s to vfio-pci: driver_override + %s",
			 w->name, st->k == K_OVR_BIND ? "vfio-pci/bind" : "drivers_probe");
		r = write_file(p, "vfio-pci");
		if (!r)
			r = write_file(st->k == K_OVR_BIND ? "/sys/bus/pci/drivers/vfio-pci/bind"
							   : "/sys/bus/pci/drivers_probe",
				       w->name);
		break;
	case K_NEW_ID:
		snprintf(st->desc, sizeof(st->desc), "%s to vfio-pci: new_id \"%s\" + remove_id",
			 w->name, w->ids);
		r = write_file(p, "\n");
		if (!r)
			r = write_file("/sys/bus/pci/drivers/vfio-pci/new_id", w->ids);
		i = write_file("/sys/bus/pci/drivers/vfio-pci/remove_id", w->ids);
		if (!r)
			r = i;
		break;
	case K_HOST_BIND:
		snprintf(st->desc, sizeof(st->desc), "%s to %s (driver_override cleared)",
			 w->name, w->host);
		r = write_file(p, "\n");
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", w->host);
		if (!r)
			r = write_file(p, w->name);
		break;
	case K_REMOVE:
		snprintf(st->desc, sizeof(st->desc), "PCI remove of %s (on %s)", w->name,
			 *drv ? drv : "no driver");
		snprintf(p, sizeof(p), PCI_DEVS "/%s/remove", w->name);
		r = write_file(p, "1");
		break;
	case K_RESCAN:
		st->dev = -1;
		snprintf(st->desc, sizeof(st->desc), "PCI rescan (%d device(s) removed)",
			 ncand[K_RESCAN]);
		r = write_file("/sys/bus/pci/rescan", "1");
		break;
	case K_PORT:
		snprintf(st->desc, sizeof(st->desc), "%s pcieport %s %s", *drv ? "unbind" : "bind",
			 *drv ? "from" : "to", w->name);
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/pcieport/%s", *drv ? "unbind" : "bind");
		r = write_file(p, w->name);
		break;
	default:
		break;
	}
	st->err = r;
}

/* Did the step do what it meant to?  "" if so, else why not. */
void step_effect(const struct step *st, const bool *was_removed, char *why,
			size_t len)
{
	char drv[NAMEL];
	const struct wdev *w = st->dev >= 0 ? &wd[st->dev] : NULL;

	why[0] = 0;
	if (st->err)
		snprintf(why, len, "write: %s; ", strerror(-st->err));
	if (w)
		dev_driver(w->name, drv, sizeof(drv));
	switch (st->k) {
	case K_UNBIND:
		if (*drv)
			snprintf(why + strlen(why), len - strlen(why), "still on %s", drv);
		break;
	case K_OVR_BIND:
	case K_OVR_PROBE:
	case K_NEW_ID:
		if (strcmp(drv, "vfio-pci"))
			snprintf(why + strlen(why), len - strlen(why), "on '%s', not vfio-pci", drv);
		break;
	case K_HOST_BIND:
		if (strcmp(drv, w->host) || !override_clear(w->name))
			snprintf(why + strlen(why), len - strlen(why), "on '%s'%s", drv,
				 override_clear(w->name) ? "" : ", driver_override set");
		break;
	case K_REMOVE:
		if (dev_present(w->name))
			snprintf(why + strlen(why), len - strlen(why), "still present");
		break;
	case K_RESCAN:
		for (int i = 0; i < nwd; i++) {
			if (!was_removed[i])
				continue;
			dev_driver(wd[i].name, drv, sizeof(drv));
			if (!dev_present(wd[i].name))
				snprintf(why + strlen(why), len - strlen(why), "%.16s not back; ",
					 wd[i].name);
			else if (strcmp(drv, wd[i].host) || !override_clear(wd[i].name))
				snprintf(why + strlen(why), len - strlen(why),
					 "%.16s back on '%.20s'%s, not on its host driver; ",
					 wd[i].name, drv,
					 override_clear(wd[i].name) ? "" : " with driver_override");
		}
		break;
	case K_PORT:
		break;	/* either way is fine: the oracles say the rest */
	default:
		break;
	}
}
