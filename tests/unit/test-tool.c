/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfiogroup tool's parts that need no module: argument values, the
 * monitor's filters, its records in text and JSON (vfiogroup(8) documents
 * them; scripts parse them), --json=pretty, colour and exit statuses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* asprintf */
#endif
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "cli.h"
#include "filter.h"
#include "json-pretty.h"
#include "parse.h"
#include "record.h"
#include "resolve.h"
#include "run-suite.h"

/* cli.c's globals, which main() owns in the tool */
struct cli_opts cli;
struct vfiogroup_ctx *cli_ctx;

static char *buf;
static size_t len;
static FILE *out;
static struct vfiogroup_group *g14, *gone;

/* 14 = {01:00.0 on vfio-pci, 01:00.1 on snd_hda_intel}: not viable. */
static void setup(void)
{
	struct vfiogroup_device a = { .name = "0000:01:00.0", .bus = "pci",
				      .driver = "vfio-pci", .viable = true,
				      .vfio = true };
	struct vfiogroup_device b = { .name = "0000:01:00.1", .bus = "pci",
				      .driver = "snd_hda_intel" };

	out = open_memstream(&buf, &len);
	g14 = vg_group_new(14);
	g14->seq = 31;
	vg_group_add_device(g14, &a);
	vg_group_add_device(g14, &b);
	gone = vg_group_new(3);
}

static void teardown(void)
{
	fclose(out);
	free(buf);
	vfiogroup_group_unref(g14);
	vfiogroup_group_unref(gone);
}

static const char *text(void)
{
	fflush(out);
	return buf;
}

START_TEST(argument_values)
{
	char dev[DEV_NAME_MAX];
	enum json_mode jm;
	enum color_mode cm;
	unsigned long n;
	unsigned bit;
	uint32_t id;
	int ms;

	ck_assert(parse_group("0", &id) && id == 0);
	ck_assert(parse_group("4294967295", &id) && id == UINT32_MAX);
	ck_assert(!parse_group("4294967296", &id));
	ck_assert(!parse_group("12x", &id));
	ck_assert(!parse_group("-1", &id));
	ck_assert(!parse_group(" 1", &id));
	ck_assert(!parse_group("", &id));
	ck_assert(parse_seconds("1.5", &ms) && ms == 1500);
	ck_assert(parse_seconds("0", &ms) && ms == 0);
	ck_assert(!parse_seconds("-3", &ms));
	ck_assert(!parse_seconds("nan", &ms));
	ck_assert(!parse_seconds("inf", &ms));
	ck_assert(!parse_seconds("1s", &ms));
	ck_assert(!parse_seconds("", &ms));
	ck_assert(!parse_seconds("9999999999", &ms));
	ck_assert(parse_count("3", &n) && n == 3);
	ck_assert(!parse_count("0", &n));
	ck_assert(!parse_count("-1", &n));
	ck_assert(!parse_count("2x", &n));
	ck_assert(parse_device("01:00.0", dev, sizeof(dev)));
	ck_assert_str_eq(dev, "0000:01:00.0");
	ck_assert(parse_device("0000:0a:1f.7", dev, sizeof(dev)));
	ck_assert_str_eq(dev, "0000:0a:1f.7");
	ck_assert(parse_device("platform-thing", dev, sizeof(dev)));
	ck_assert_str_eq(dev, "platform-thing");
	ck_assert(!parse_device("", dev, sizeof(dev)));
	ck_assert(!parse_device("0123456789012345678901234567890123456789"
				"012345678901234567890123", dev, sizeof(dev)));
	ck_assert(parse_state("not-ready", &bit) && bit == STATE_NOT_READY);
	ck_assert(parse_state("viable", &bit) && bit == STATE_VIABLE);
	ck_assert(!parse_state("Viable", &bit));
	ck_assert(parse_json_mode(NULL, &jm) && jm == JSON_SHORT);
	ck_assert(parse_json_mode("pretty", &jm) && jm == JSON_PRETTY);
	ck_assert(!parse_json_mode("long", &jm));
	ck_assert(parse_color_mode(NULL, &cm) && cm == COLOR_ALWAYS);
	ck_assert(parse_color_mode("never", &cm) && cm == COLOR_NEVER);
	ck_assert(parse_color_mode("auto", &cm) && cm == COLOR_AUTO);
	ck_assert(!parse_color_mode("yes", &cm));
}
END_TEST

START_TEST(exit_statuses)
{
	ck_assert_int_eq(exit_status_of(0), 0);
	ck_assert_int_eq(exit_status_of(-ETIMEDOUT), 2);
	ck_assert_int_eq(exit_status_of(-ENODEV), 3);
	ck_assert_int_eq(exit_status_of(-ENOENT), 1);
	ck_assert_int_eq(exit_status_of(-ENOTCONN), 1);
	ck_assert_int_eq(exit_status_of(-ENOMEM), 1);
	ck_assert_int_eq(EXIT_ERROR, 1);
}
END_TEST

START_TEST(colour)
{
	ck_assert(color_wanted(COLOR_AUTO, true, NULL));
	ck_assert(color_wanted(COLOR_AUTO, true, ""));	/* empty: unset */
	ck_assert(!color_wanted(COLOR_AUTO, true, "1"));
	ck_assert(!color_wanted(COLOR_AUTO, false, NULL));
	ck_assert(color_wanted(COLOR_ALWAYS, false, "1"));	/* wins */
	ck_assert(!color_wanted(COLOR_NEVER, true, NULL));
}
END_TEST

static struct mon_record ev_rec(unsigned kind, uint32_t gid, const char *dev,
				const char *drv,
				const struct vfiogroup_group *state)
{
	struct vfiogroup_ev ev = { .kind = kind, .group_id = gid, .seq = 40,
				   .time_ns = 5, .dev_name = dev,
				   .driver = drv, .group = state };
	struct mon_record r;

	record_from_event(&r, &ev, 39);
	return r;
}

START_TEST(filters)
{
	struct mon_filter f = { 0 };
	struct mon_record bound = ev_rec(VFIOGROUP_EV_DRIVER_BOUND, 14,
					 "0000:01:00.1", "snd_hda_intel", g14);
	struct mon_record via = ev_rec(VFIOGROUP_EV_VIABILITY_CHANGED, 14,
				       NULL, NULL, g14);
	struct mon_record rm = ev_rec(VFIOGROUP_EV_DEVICE_REMOVED, 3,
				      "0000:03:00.0", NULL, gone);
	struct mon_record resync = ev_rec(VFIOGROUP_EV_RESYNC, 0, NULL,
					  NULL, NULL);
	struct mon_record snap;

	record_from_device(&snap, g14, 0);
	ck_assert(filter_match(&f, &bound) && filter_match(&f, &rm));

	ck_assert_int_eq(filter_add_group(&f, 3), 0);
	ck_assert(!filter_match(&f, &bound) && filter_match(&f, &rm));
	ck_assert(filter_match(&f, &resync));	/* notices always */
	ck_assert_int_eq(filter_add_group(&f, 14), 0);
	ck_assert(filter_match(&f, &bound) && filter_match(&f, &rm));

	/* device: named by the record, or in the group after it */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(filter_add_device(&f, "0000:01:00.0"), 0);
	ck_assert(filter_match(&f, &bound));	/* its sibling's bind */
	ck_assert(filter_match(&f, &via));
	ck_assert(filter_match(&f, &snap));
	ck_assert(!filter_match(&f, &rm));
	ck_assert_int_eq(filter_add_device(&f, "0000:03:00.0"), 0);
	ck_assert(filter_match(&f, &rm));	/* removed: named */

	/* driver: named by the record, or a device of the group on it */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(filter_add_driver(&f, "e1000"), 0);
	ck_assert(!filter_match(&f, &bound) && !filter_match(&f, &via));
	ck_assert_int_eq(filter_add_driver(&f, "vfio-pci"), 0);
	ck_assert(filter_match(&f, &via) && !filter_match(&f, &rm));
	ck_assert(filter_match(&f, &resync));
	ck_assert_int_eq(filter_add_driver(&f, ""), -EINVAL);

	/* state: one axis's values alternatives, the two axes both */
	memset(&f, 0, sizeof(f));
	f.states = STATE_VIABLE;
	ck_assert(!filter_match(&f, &via) && !filter_match(&f, &rm));
	f.states = STATE_NOT_VIABLE;
	ck_assert(filter_match(&f, &via) && filter_match(&f, &rm));
	f.states = STATE_NOT_VIABLE | STATE_READY;
	ck_assert(!filter_match(&f, &via));
	f.states = STATE_NOT_VIABLE | STATE_READY | STATE_NOT_READY;
	ck_assert(filter_match(&f, &via));
	f.states = STATE_VIABLE | STATE_NOT_VIABLE;
	ck_assert(filter_match(&f, &via));

	/* kinds combine: group 14 and e1000 -> nothing of group 14 */
	memset(&f, 0, sizeof(f));
	filter_add_group(&f, 14);
	filter_add_driver(&f, "e1000");
	ck_assert(!filter_match(&f, &bound));

	memset(&f, 0, sizeof(f));
	for (int i = 0; i < FILTER_MAX; i++)
		ck_assert_int_eq(filter_add_group(&f, (uint32_t)i), 0);
	ck_assert_int_eq(filter_add_group(&f, 99), -E2BIG);
}
END_TEST

static const char g14_json[] =
	"{\"group\":14,\"viable\":false,\"ready\":false,\"seq\":31,"
	"\"node\":\"/dev/vfio/14\",\"devices\":["
	"{\"name\":\"0000:01:00.0\",\"bus\":\"pci\",\"driver\":\"vfio-pci\","
	"\"viable\":true,\"vfio\":true,\"vfio_dev\":null},"
	"{\"name\":\"0000:01:00.1\",\"bus\":\"pci\",\"driver\":"
	"\"snd_hda_intel\",\"viable\":false,\"vfio\":false,\"vfio_dev\":null}]}";

START_TEST(records_text)
{
	struct record_style plain = { 0 }, color = { .color = true };
	struct mon_record bound = ev_rec(VFIOGROUP_EV_DRIVER_BOUND, 14,
					 "0000:01:00.1", "snd_hda_intel", g14);
	struct mon_record rm = ev_rec(VFIOGROUP_EV_DEVICE_REMOVED, 3,
				      "x", NULL, gone);
	struct mon_record resync = ev_rec(VFIOGROUP_EV_RESYNC, 0, NULL,
					  NULL, NULL);
	struct timespec ts = { .tv_sec = 1796292000, .tv_nsec = 123456789 };
	struct mon_record snap;

	rm.type = REC_SYNTH;
	rm.seq = 2;
	record_from_device(&snap, g14, 1);
	print_record(out, &bound, &plain);
	print_record(out, &rm, &plain);
	print_record(out, &snap, &plain);
	print_record(out, &resync, &plain);
	print_record(out, &bound, &color);
	setenv("TZ", "UTC", 1);
	tzset();
	resync.stamp = &ts;
	print_record(out, &resync, &plain);
	ck_assert_str_eq(text(),
		"[kernel] group 14 driver-bound 0000:01:00.1 driver snd_hda_intel"
		" -> not-viable not-ready seq 40\n"
		"[synth] group 3 device-removed x -> gone seq 2\n"
		"[snapshot] group 14 device-present 0000:01:00.1 driver"
		" snd_hda_intel -> not-viable not-ready seq 31\n"
		"[notice] resync seq 39\n"
		"[kernel] group 14 \033[1mdriver-bound\033[0m 0000:01:00.1 driver"
		" snd_hda_intel -> \033[31mnot-viable\033[0m"
		" \033[31mnot-ready\033[0m seq 40\n"
		"[2026-12-03T10:00:00.123456+0000] [notice] resync seq 39\n");
}
END_TEST

START_TEST(records_json)
{
	struct record_style json = { .json = true };
	struct mon_record bound = ev_rec(VFIOGROUP_EV_DRIVER_BOUND, 14,
					 "0000:01:00.1", "snd_hda_intel", g14);
	struct mon_record resync = ev_rec(VFIOGROUP_EV_RESYNC, 0, NULL,
					  NULL, NULL);
	struct timespec ts = { .tv_sec = 1796292000, .tv_nsec = 5000 };
	struct mon_record snap;
	char *want;

	record_from_device(&snap, g14, 0);
	print_record(out, &bound, &json);
	print_record(out, &snap, &json);
	print_record(out, &resync, &json);
	setenv("TZ", "UTC", 1);
	tzset();
	resync.stamp = &ts;
	print_record(out, &resync, &json);
	ck_assert_int_gt(asprintf(&want,
		"{\"record\":\"kernel\",\"event\":\"driver-bound\",\"group\":14,"
		"\"seq\":40,\"time_ns\":5,\"synthesized\":false,"
		"\"device\":\"0000:01:00.1\",\"driver\":\"snd_hda_intel\","
		"\"state\":%s}\n"
		"{\"record\":\"snapshot\",\"event\":\"device-present\","
		"\"group\":14,\"seq\":31,\"time_ns\":0,\"synthesized\":false,"
		"\"device\":\"0000:01:00.0\",\"driver\":\"vfio-pci\","
		"\"state\":%s}\n"
		"{\"record\":\"notice\",\"event\":\"resync\",\"seq\":39}\n"
		"{\"record\":\"notice\",\"timestamp\":"
		"\"2026-12-03T10:00:00.000005+0000\",\"event\":\"resync\","
		"\"seq\":39}\n", g14_json, g14_json), 0);
	ck_assert_str_eq(text(), want);
	free(want);
}
END_TEST

START_TEST(pretty)
{
	json_pretty(out, "{\"a\":[1,{}],\"b\":\"x,{\\\"y\\\":[\",\"c\":[]}\n"
			 "{\"d\":null}\n");
	ck_assert_str_eq(text(),
		"{\n"
		"  \"a\": [\n"
		"    1,\n"
		"    {}\n"
		"  ],\n"
		"  \"b\": \"x,{\\\"y\\\":[\",\n"
		"  \"c\": []\n"
		"}\n"
		"{\n"
		"  \"d\": null\n"
		"}\n");
}
END_TEST


/* mkdir -p for the fake sysfs */
static void mkdirs(const char *root, const char *rel)
{
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", root, rel);

	ck_assert(n > 0 && (size_t)n < sizeof(path));
	for (char *p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

static void link_at(const char *root, const char *target, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/*
 * An interface or a disk resolves to the device in an IOMMU group above
 * it; a bus device's name, or an unknown one, stays as it is.
 */
START_TEST(device_names)
{
	char root[] = "/tmp/vfiogroup-sysfs-XXXXXX", out[DEV_NAME_MAX];
	char cmd[64];

	ck_assert_ptr_nonnull(mkdtemp(root));
	mkdirs(root, "devices/pci0000:00/0000:00:03.0/net/eth0");
	mkdirs(root, "devices/pci0000:00/0000:00:1c.0/0000:01:00.0/nvme/nvme0/nvme0n1");
	mkdirs(root, "devices/virtual/net/lo");
	mkdirs(root, "kernel/iommu_groups/3");
	mkdirs(root, "kernel/iommu_groups/7");
	mkdirs(root, "bus/pci/devices");
	mkdirs(root, "class/net");
	mkdirs(root, "class/block");
	link_at(root, "../../../kernel/iommu_groups/3",
		"devices/pci0000:00/0000:00:03.0/iommu_group");
	link_at(root, "../../../../kernel/iommu_groups/7",
		"devices/pci0000:00/0000:00:1c.0/0000:01:00.0/iommu_group");
	link_at(root, "../../../devices/pci0000:00/0000:00:03.0",
		"bus/pci/devices/0000:00:03.0");
	link_at(root, "../../devices/pci0000:00/0000:00:03.0/net/eth0",
		"class/net/eth0");
	link_at(root, "../../devices/virtual/net/lo", "class/net/lo");
	link_at(root, "../../devices/pci0000:00/0000:00:1c.0/0000:01:00.0/"
		"nvme/nvme0/nvme0n1", "class/block/nvme0n1");

	ck_assert_int_eq(resolve_device(root, "eth0", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0000:00:03.0");
	ck_assert_int_eq(resolve_device(root, "nvme0n1", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0000:01:00.0");
	ck_assert_int_eq(resolve_device(root, "0000:00:03.0", out,
					sizeof(out)), 0);
	ck_assert_str_eq(out, "0000:00:03.0");
	ck_assert_int_eq(resolve_device(root, "lo", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "lo");		/* in no group */
	ck_assert_int_eq(resolve_device(root, "0000:05:00.0", out,
					sizeof(out)), 0);
	ck_assert_str_eq(out, "0000:05:00.0");	/* not there (yet) */
	ck_assert_int_eq(resolve_device(root, "*", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "*");		/* never a pattern */
	ck_assert_int_eq(resolve_device(root, "eth0", out, 4), -ENAMETOOLONG);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tool");
	TCase *tc = tcase_create("tool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, argument_values);
	tcase_add_test(tc, exit_statuses);
	tcase_add_test(tc, colour);
	tcase_add_test(tc, filters);
	tcase_add_test(tc, records_text);
	tcase_add_test(tc, records_json);
	tcase_add_test(tc, pretty);
	tcase_add_test(tc, device_names);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
