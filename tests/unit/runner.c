// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one runner behind every unit and integration test program: each
 * tests/<kind>/check_<module>.c defines unit_suite() and links this file.
 * Check prints its summary line ("100%: Checks: N, Failures: 0, ...");
 * the exit status tells automake's driver the result (77 = skipped).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "runner.h"

const char *runner_skip_reason;

int main(int argc, char **argv)
{
	Suite *s = unit_suite();
	SRunner *sr;
	int failed;

	if (runner_skip_reason) {
		printf("SKIP: %s: %s\n", argc > 0 ? argv[0] : "test",
		       runner_skip_reason);
		fflush(stdout);
		return 77;
	}
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
