/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_RUNNER_H
#define KEEL_TESTS_RUNNER_H

#include <check.h>

/* Defined by each check_<module>.c: the module's one Check suite. */
Suite *unit_suite(void);

/*
 * A suite that cannot run on this machine (no /dev/kvm, no guest image)
 * sets this before unit_suite() returns; the runner then prints a SKIP
 * line with the reason and exits 77 (automake's "skipped").
 */
extern const char *runner_skip_reason;

#endif /* KEEL_TESTS_RUNNER_H */
