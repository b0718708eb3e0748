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

/*
 * Set (by harness_kvm_missing(), tests/integration/harness.h) when the
 * suite found this host's /dev/kvm usable: if it then runs here, it
 * runs apart from nested machines (runner.c, runner_kvm_group()).
 */
extern bool runner_host_kvm;
/*
 * True when the runner could rerun this program inside QEMU: nesting is
 * not turned off (KEEL_KVM_IN_QEMU=no), the test environment names the
 * trees, and tests/nested/kvm-in-qemu and QEMU are there. A suite with
 * a case this host's KVM cannot run (a stock Linux guest on kvm_pvm)
 * moves whole into QEMU when it can, and leaves only that case out,
 * with a word why, when it cannot.
 */
bool runner_can_nest(void);

/* The nested QEMU machine's time limit, in seconds (default 600). */
extern unsigned runner_nested_seconds;
/* Its RAM in MiB; 0 keeps kvm-in-qemu's default (4096). */
extern unsigned runner_nested_mib;
/*
 * Host paths (files or directories, NULL-terminated) the nested machine
 * needs besides the build and source trees: stock clients such as virsh
 * and python3-libvirt. Each becomes a kvm-in-qemu -f option, which also
 * brings the shared libraries its programs need; a path the host lacks
 * is left out, so the suite decides inside what it can run.
 */
extern const char *const *runner_nested_files;

#endif /* KEEL_TESTS_RUNNER_H */
