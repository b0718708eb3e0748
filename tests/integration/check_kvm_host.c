// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/kvm_host.c and what hangs on it, with nothing faked but the
 * module check (KEEL_SYSFS_MODULE_DIR pointed at a directory the test
 * fills): which KVM module the host has; that on kvm_pvm the suites
 * booting the Debian guest go to the nested runner while those with the
 * in-tree test guests do not; and that keel-hv given a Linux kernel
 * there warns once, before it even opens /dev/kvm, and given a flat
 * test guest does not.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "kvm_host.h"
#include "runner.h"

#define TIMEOUT_MS 60000

/* What keel-hv's warning says, and what it says when KVM fails. */
#define WARNING "cannot run an unmodified Linux kernel such as this one"
#define NO_KVM "Cannot open /dev/kvm"

static char fake_dir[64];

/* A fresh fake /sys/module holding the modules listed in @names. */
static void fake_modules(const char *const *names)
{
	char path[128];

	if (fake_dir[0]) {
		snprintf(path, sizeof(path), "rm -rf '%s'", fake_dir);
		ck_assert_int_eq(system(path), 0);
	}
	strcpy(fake_dir, "/tmp/keel-modules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", fake_dir, *names);
		ck_assert_int_eq(mkdir(path, 0755), 0);
		/* As on a real host: a module has a parameters directory. */
		strcat(path, "/parameters");
		ck_assert_int_eq(mkdir(path, 0755), 0);
	}
	ck_assert_int_eq(setenv(KVM_HOST_MODULE_DIR_ENV, fake_dir, 1), 0);
}

static void teardown(void)
{
	char cmd[128];

	unsetenv(KVM_HOST_MODULE_DIR_ENV);
	if (fake_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", fake_dir);
		fake_dir[0] = '\0';
	}
}

static bool same_reason(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

START_TEST(test_module_names)
{
	fake_modules((const char *[]){ NULL });
	ck_assert_ptr_null(kvm_host_module());
	fake_modules((const char *[]){ "kvm", "kvm_amd", NULL });
	ck_assert_str_eq(kvm_host_module(), "kvm_amd");
	fake_modules((const char *[]){ "kvm", "kvm_intel", NULL });
	ck_assert_str_eq(kvm_host_module(), "kvm_intel");
	fake_modules((const char *[]){ "kvm", "kvm_pvm", NULL });
	ck_assert_str_eq(kvm_host_module(), "kvm_pvm");
	/* Both there: kvm_pvm, the safe guess (kvm_host.h). */
	fake_modules((const char *[]){ "kvm_intel", "kvm_pvm", NULL });
	ck_assert_str_eq(kvm_host_module(), "kvm_pvm");
	/* "kvm" alone is the core, not a vendor module. */
	fake_modules((const char *[]){ "kvm", NULL });
	ck_assert_ptr_null(kvm_host_module());
}
END_TEST

START_TEST(test_linux_unfit_on_pvm_only)
{
	const char *why;

	fake_modules((const char *[]){ "kvm", "kvm_pvm", NULL });
	why = kvm_host_linux_unfit();
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "kvm_pvm"));
	/* One line, to follow "NOTE: " or "demo: ". */
	ck_assert_ptr_null(strchr(why, '\n'));
	fake_modules((const char *[]){ "kvm", "kvm_amd", NULL });
	ck_assert_ptr_null(kvm_host_linux_unfit());
	fake_modules((const char *[]){ "kvm", "kvm_intel", NULL });
	ck_assert_ptr_null(kvm_host_linux_unfit());
	fake_modules((const char *[]){ NULL });
	ck_assert_ptr_null(kvm_host_linux_unfit());
}
END_TEST

/*
 * The runner's input for a suite: on kvm_pvm the Linux-guest suites
 * always have a reason to nest (kvm_pvm's, or the missing /dev/kvm's
 * on a host without one), and the test-guest suites' reason is the
 * same as on kvm_amd; on kvm_amd both kinds decide alike.
 */
START_TEST(test_linux_suites_nest_on_pvm)
{
	const char *plain_pvm, *plain_amd, *linux_pvm, *linux_amd;

	fake_modules((const char *[]){ "kvm", "kvm_pvm", NULL });
	plain_pvm = harness_kvm_missing();
	linux_pvm = harness_linux_kvm_missing();
	fake_modules((const char *[]){ "kvm", "kvm_amd", NULL });
	plain_amd = harness_kvm_missing();
	linux_amd = harness_linux_kvm_missing();

	ck_assert_ptr_nonnull(linux_pvm);
	if (!plain_pvm)
		ck_assert_ptr_nonnull(strstr(linux_pvm, "kvm_pvm"));
	ck_assert_msg(same_reason(plain_pvm, plain_amd),
		      "the test-guest suites decide differently on kvm_pvm");
	ck_assert_msg(same_reason(linux_amd, plain_amd),
		      "on kvm_amd the Linux suites nest for \"%s\"",
		      linux_amd ? linux_amd : "(nothing)");
}
END_TEST

/*
 * Run keel-hv on @kernel until it exits or prints @want (the guest's
 * first kernel line where /dev/kvm boots it; on a real kvm_pvm host
 * that line may take minutes, so a test that waits for keel-hv's own
 * warning asks for that); the output.
 */
static const char *run_hv(struct proc *p, const char *kernel,
			  const char *want)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)kernel, "--memory", "256M",
			 "--console", "stdio", NULL };
	long at;

	ck_assert_int_eq(proc_spawn(p, argv), 0);
	at = proc_expect(p, want, 0, TIMEOUT_MS);
	ck_assert_msg(at >= 0 || at == -ESRCH,
		      "keel-hv neither ended nor printed \"%s\"; output:\n%s",
		      want, p->out);
	return p->out;
}

START_TEST(test_hv_warns_for_linux_on_pvm)
{
	struct proc p;
	const char *out, *warn, *no_kvm;

	fake_modules((const char *[]){ "kvm", "kvm_pvm", NULL });
	out = run_hv(&p, harness_path("guest/out/vmlinuz"), WARNING);
	warn = strstr(out, WARNING);
	ck_assert_msg(warn, "no warning from keel-hv; output:\n%s", out);
	ck_assert_msg(!strstr(warn + 1, WARNING), "warned twice:\n%s", out);
	no_kvm = strstr(out, NO_KVM);
	ck_assert_msg(!no_kvm || no_kvm > warn,
		      "the warning came after KVM failed:\n%s", out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_hv_quiet_for_linux_on_amd)
{
	struct proc p;
	const char *out;

	fake_modules((const char *[]){ "kvm", "kvm_amd", NULL });
	out = run_hv(&p, harness_path("guest/out/vmlinuz"), "Linux version");
	ck_assert_msg(!strstr(out, WARNING), "warned on kvm_amd:\n%s", out);
	proc_dispose(&p);
}
END_TEST

/* The in-tree test guests run on kvm_pvm: no warning for them. */
START_TEST(test_hv_quiet_for_test_guest_on_pvm)
{
	struct proc p;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel",
			 (char *)harness_path("tests/guests/hello.bin"),
			 "--memory", "32M", "--console", "stdio", NULL };

	fake_modules((const char *[]){ "kvm", "kvm_pvm", NULL });
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_ge(proc_wait(&p, TIMEOUT_MS), 0);
	ck_assert_msg(!strstr(p.out, WARNING), "warned for hello:\n%s",
		      p.out);
	proc_dispose(&p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("kvm_host");
	TCase *tc = tcase_create("module check");

	if (!harness_have_file(harness_path("hypervisor/keel-hv")))
		runner_skip_reason = "hypervisor/keel-hv is not built";
	else if (!harness_have_file(harness_path("guest/out/vmlinuz")) ||
		 !harness_have_file(harness_path("tests/guests/hello.bin")))
		runner_skip_reason = "the guests are not built (make guest)";
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, TIMEOUT_MS * 2 / 1000);
	tcase_add_test(tc, test_module_names);
	tcase_add_test(tc, test_linux_unfit_on_pvm_only);
	tcase_add_test(tc, test_linux_suites_nest_on_pvm);
	tcase_add_test(tc, test_hv_warns_for_linux_on_pvm);
	tcase_add_test(tc, test_hv_quiet_for_linux_on_amd);
	tcase_add_test(tc, test_hv_quiet_for_test_guest_on_pvm);
	suite_add_tcase(s, tc);
	return s;
}
