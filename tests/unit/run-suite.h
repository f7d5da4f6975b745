/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The main() tail every check program shares: run, count, free. */
#ifndef VFIOGROUP_TESTS_RUN_SUITE_H
#define VFIOGROUP_TESTS_RUN_SUITE_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
