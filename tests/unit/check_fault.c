// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/fault.c: a fault point does nothing unless KEEL_FAULT_STALL names
 * it, and then stops the process that reaches it until SIGCONT. Each
 * case runs the point in a child and watches it with waitpid().
 */
#include "config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fault.h"
#include "runner.h"

/*
 * A child with KEEL_FAULT_STALL=@env (NULL: unset) that reaches the
 * point FAULT_SEND_DEVICE and exits 7; whether it stopped there.
 */
static bool stops_with(const char *env)
{
	bool stopped = false;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (env)
			setenv(FAULT_STALL_ENV, env, 1);
		else
			unsetenv(FAULT_STALL_ENV);
		fault_stall(FAULT_SEND_DEVICE);
		_exit(7);
	}
	ck_assert_int_eq(waitpid(pid, &status, WUNTRACED), pid);
	if (WIFSTOPPED(status)) {
		stopped = true;
		/* Released, it goes on past the point. */
		ck_assert_int_eq(kill(pid, SIGCONT), 0);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	}
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 7);
	return stopped;
}

START_TEST(test_inert_unless_named)
{
	ck_assert(!stops_with(NULL));
	ck_assert(!stops_with(""));
	ck_assert(!stops_with("send-devic"));
	ck_assert(!stops_with("send-device-x"));
}
END_TEST

START_TEST(test_named_point_stops_until_continued)
{
	ck_assert(stops_with(FAULT_SEND_DEVICE));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("stall");

	tcase_add_test(tc, test_inert_unless_named);
	tcase_add_test(tc, test_named_point_stops_until_continued);
	suite_add_tcase(s, tc);
	return s;
}
