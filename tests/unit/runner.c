// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one runner behind every unit and integration test program: each
 * tests/<kind>/check_<module>.c defines unit_suite() and links this file.
 * Check prints its summary line ("100%: Checks: N, Failures: 0, ...");
 * the exit status tells automake's driver the result (77 = skipped).
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

const char *runner_skip_reason;
bool runner_wants_kvm;

/*
 * A suite that needs /dev/kvm on a machine without one: run this very
 * program inside QEMU, where TCG emulates a CPU with SVM and the guest
 * kernel's kvm-amd gives a real /dev/kvm (tests/nested/kvm-in-qemu,
 * docs/testing.md). Returns only if that cannot be done here.
 */
static void runner_exec_nested(const char *argv0)
{
	const char *src = getenv("KEEL_SRCDIR"), *build = getenv("KEEL_BUILDDIR");
	const char *opt = getenv("KEEL_KVM_IN_QEMU");
	char script[PATH_MAX], self[PATH_MAX];

	if ((opt && !strcmp(opt, "no")) || !src || !build ||
	    !realpath(argv0, self) ||
	    snprintf(script, sizeof(script), "%s/tests/nested/kvm-in-qemu",
		     src) >= (int)sizeof(script) ||
	    access(script, X_OK) ||
	    system("command -v qemu-system-x86_64 >/dev/null 2>&1"))
		return;
	printf("NOTE: %s: %s; running it inside QEMU with nested SVM instead (tests/nested/kvm-in-qemu; KEEL_KVM_IN_QEMU=no skips).\n",
	       argv0, runner_skip_reason);
	fflush(stdout);
	execl(script, script, build, self, (char *)NULL);
	perror("kvm-in-qemu");
}

int main(int argc, char **argv)
{
	Suite *s = unit_suite();
	SRunner *sr;
	int failed;

	if (runner_skip_reason && runner_wants_kvm && argc > 0)
		runner_exec_nested(argv[0]);
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
