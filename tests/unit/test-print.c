/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vfiogroup tool's output formats, which vfiogroup(8) documents and
 * scripts parse: exact text and JSON for a group, readiness and info
 * (monitor records: test-tool.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "print.h"
#include "run-suite.h"

static char *buf;
static size_t len;
static FILE *out;

static void setup(void)
{
	out = open_memstream(&buf, &len);
}

static void teardown(void)
{
	fclose(out);
	free(buf);
}

static const char *text(void)
{
	fflush(out);
	return buf;
}

static struct vfiogroup_group *sample(void)
{
	struct vfiogroup_group *g = vg_group_new(14);
	struct vfiogroup_device a = { .name = "0000:01:00.0", .bus = "pci",
				      .driver = "vfio-pci", .viable = true,
				      .is_pci = true, .vendor = 0x10de,
				      .device = 0x1eb8, .vfio = true,
				      .vfio_dev = "vfio3" };
	struct vfiogroup_device b = { .name = "0000:01:00.1", .bus = "pci",
				      .driver = "snd_hda_intel", .viable = false,
				      .is_pci = true, .vendor = 0x10de,
				      .device = 0x10f8 };
	struct vfiogroup_device c = { .name = "odd\"name", .viable = true };

	g->seq = 31;
	vg_group_add_device(g, &a);
	vg_group_add_device(g, &b);
	vg_group_add_device(g, &c);
	return g;
}

START_TEST(group_text)
{
	struct vfiogroup_group *g = sample();

	print_group(out, g, false);
	ck_assert_str_eq(text(),
		"group 14 not-viable not-ready seq 31 node /dev/vfio/14\n"
		"    0000:01:00.0 bus pci id 10de:1eb8 driver vfio-pci"
		" vfio vfio-dev vfio3\n"
		"    0000:01:00.1 bus pci id 10de:10f8 driver snd_hda_intel"
		" blocks-viability\n"
		"    odd\"name driver (none)\n");
	vfiogroup_group_unref(g);
}
END_TEST

START_TEST(group_json)
{
	struct vfiogroup_group *g = sample();

	print_group(out, g, true);
	ck_assert_str_eq(text(),
		"{\"group\":14,\"viable\":false,\"ready\":false,\"seq\":31,"
		"\"node\":\"/dev/vfio/14\",\"devices\":["
		"{\"name\":\"0000:01:00.0\",\"bus\":\"pci\",\"driver\":\"vfio-pci\","
		"\"viable\":true,\"vendor\":\"10de\",\"device\":\"1eb8\","
		"\"vfio\":true,\"vfio_dev\":\"vfio3\"},"
		"{\"name\":\"0000:01:00.1\",\"bus\":\"pci\",\"driver\":"
		"\"snd_hda_intel\",\"viable\":false,\"vendor\":\"10de\","
		"\"device\":\"10f8\",\"vfio\":false,\"vfio_dev\":null},"
		"{\"name\":\"odd\\\"name\",\"bus\":\"\",\"driver\":null,"
		"\"viable\":true,\"vfio\":false,\"vfio_dev\":null}]}");
	vfiogroup_group_unref(g);
}
END_TEST

START_TEST(info)
{
	struct vfiogroup_info i = { .seq = 9, .dropped = 1, .notifier = 2,
				    .groups = 6, .version = "0.1.0" };

	print_info(out, &i, false);
	print_info(out, &i, true);
	ck_assert_str_eq(text(),
		"module 0.1.0 notifier bus groups 6 seq 9 dropped 1\n"
		"{\"version\":\"0.1.0\",\"seq\":9,\"dropped\":1,"
		"\"notifier\":\"bus\",\"groups\":6}\n");
}
END_TEST

START_TEST(readiness)
{
	struct vfiogroup_readiness ok = { .ready = 1, .in_use = 0,
					  .group_id = 14,
					  .node = "/dev/vfio/14",
					  .vfio_dev = "vfio3" };
	struct vfiogroup_readiness nv = { .reason = VFIOGROUP_NR_NOT_VIABLE,
					  .in_use = -1, .group_id = 14,
					  .device = "0000:01:00.1",
					  .driver = "snd_hda_intel" };
	struct vfiogroup_readiness nf = { .reason = VFIOGROUP_NR_NO_VFIO,
					  .in_use = -1, .group_id = 3,
					  .device = "0000:03:00.0" };
	struct vfiogroup_readiness iu = { .reason = VFIOGROUP_NR_IN_USE,
					  .in_use = 1, .group_id = 14,
					  .node = "/dev/vfio/14" };

	print_readiness(out, &ok, "0000:01:00.0", false);
	print_readiness(out, &nv, NULL, false);
	print_readiness(out, &nf, "0000:03:00.0", false);
	print_readiness(out, &iu, NULL, false);
	print_readiness(out, &nv, NULL, true);
	ck_assert_str_eq(text(),
		"ready node /dev/vfio/14 vfio-dev vfio3 in-use no\n"
		"not-ready: 0000:01:00.1 bound to snd_hda_intel (not a VFIO-safe"
		" driver)\n"
		"not-ready: 0000:03:00.0 bound to no driver (not a VFIO driver)\n"
		"not-ready: group 14 in use (by a VFIO container or iommufd)\n"
		"{\"group\":14,\"device\":null,\"ready\":false,"
		"\"reason\":\"not viable\",\"in_use\":null,"
		"\"blocking_device\":\"0000:01:00.1\","
		"\"blocking_driver\":\"snd_hda_intel\",\"node\":null,"
		"\"vfio_dev\":null,\"why\":\"0000:01:00.1 bound to snd_hda_intel"
		" (not a VFIO-safe driver)\"}");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("print");
	TCase *tc = tcase_create("print");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, group_text);
	tcase_add_test(tc, group_json);
	tcase_add_test(tc, info);
	tcase_add_test(tc, readiness);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
