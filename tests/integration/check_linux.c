// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stock Debian guest (make guest) under keel-hv: reaches its ready
 * line, sees every vCPU, and powers off cleanly from its shell. Run by
 * `make check-long`, not `make check`: on hosts whose KVM emulates guest
 * ring 0 (kvm_pvm, docs/boot-performance.md) a stock kernel takes
 * minutes. KEEL_LONG_TIMEOUT (seconds, default 900) bounds each wait.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "runner.h"

#define VCPUS "2"

static int timeout_ms(void)
{
	const char *s = getenv("KEEL_LONG_TIMEOUT");
	long v = s ? strtol(s, NULL, 10) : 900;

	return (int)(v > 0 && v < 86400 ? v : 900) * 1000;
}

START_TEST(test_debian_guest_boots_and_powers_off)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)harness_path("guest/out/vmlinuz"),
			 "--initrd",
			 (char *)harness_path("guest/out/initrd.gz"),
			 "--memory", "256M", "--vcpus", VCPUS, "--console",
			 "stdio", NULL };
	struct proc p;
	long at;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	at = proc_expect(&p, "KEEL-GUEST-READY uptime=", 0, timeout_ms());
	ck_assert_msg(at > 0, "no ready line; output:\n%s", p.out);
	at = proc_expect(&p, "# ", (size_t)at, timeout_ms());
	ck_assert_msg(at > 0, "no shell prompt; output:\n%s", p.out);
	ck_assert_int_eq(proc_send(&p, "echo cpus=$(nproc)\n"), 0);
	at = proc_expect(&p, "cpus=" VCPUS, (size_t)at, timeout_ms());
	ck_assert_msg(at > 0, "guest does not see " VCPUS " vCPUs:\n%s",
		      p.out);
	ck_assert_int_eq(proc_send(&p, "poweroff -f\n"), 0);
	ck_assert_int_eq(proc_wait(&p, timeout_ms()), 0);
	proc_dispose(&p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("debian guest");

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("guest/out/vmlinuz")))
		runner_skip_reason = "the Debian guest is not built (make guest)";
	tcase_set_timeout(tc, (double)timeout_ms() * 4 / 1000);
	tcase_add_test(tc, test_debian_guest_boots_and_powers_off);
	suite_add_tcase(s, tc);
	return s;
}
