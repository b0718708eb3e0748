/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_RUNNER_H
#define KEEL_TESTS_RUNNER_H

#include <check.h>
#include <stdbool.h>

/* Defined by each check_<module>.c: the module's one Check suite. */
Suite *unit_suite(void);

/*
 * A suite that cannot run on this machine (no /dev/kvm, no guest image)
 * sets this before unit_suite() returns; the runner then prints a SKIP
 * line with the reason and exits 77 (automake's "skipped").
 */
extern const char *runner_skip_reason;

/*
 * Set with runner_skip_reason when the reason is that /dev/kvm is
 * missing: the runner then reruns the program inside QEMU where KVM is
 * real (tests/nested/kvm-in-qemu), and skips only if it cannot.
 */
extern bool runner_wants_kvm;
/* The nested QEMU machine's time limit, in seconds (default 600). */
extern unsigned runner_nested_seconds;

#endif /* KEEL_TESTS_RUNNER_H */
