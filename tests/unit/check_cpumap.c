// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/cpumap.c: every form of xl's CPU lists, read against a made-up
 * host of CPUs 0-7, printed back in the shortest form, and each way a
 * list is refused, in the words the user sees.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "cpumap.h"
#include "runner.h"

static struct cpumap host8;

static void setup(void)
{
	cpumap_zero(&host8);
	for (unsigned c = 0; c < 8; c++)
		cpumap_set(&host8, c);
}

/* @list read against CPUs 0-7, printed back. */
static const char *parsed(const char *list)
{
	static char text[CPUMAP_TEXT_MAX];
	char err[CPUMAP_ERR_MAX] = "";
	struct cpumap m;

	ck_assert_msg(cpumap_parse(list, &host8, &m, err) == 0,
		      "\"%s\" refused: %s", list, err);
	return cpumap_format(&m, text, sizeof(text));
}

/* @list's refusal, which must contain @words. */
static void refused(const char *list, const char *words)
{
	char err[CPUMAP_ERR_MAX] = "";
	struct cpumap m;

	ck_assert_int_eq(cpumap_parse(list, &host8, &m, err), -EINVAL);
	ck_assert_msg(strstr(err, words), "\"%s\": got \"%s\", want \"%s\"",
		      list, err, words);
}

START_TEST(test_forms)
{
	ck_assert_str_eq(parsed("2"), "2");
	ck_assert_str_eq(parsed("0-3"), "0-3");
	ck_assert_str_eq(parsed("0-3,^1"), "0,2-3");
	ck_assert_str_eq(parsed("0-3,5,^1"), "0,2-3,5");
	ck_assert_str_eq(parsed("all"), "0-7");
	ck_assert_str_eq(parsed("all,^1"), "0,2-7");
	ck_assert_str_eq(parsed("all,^5-8"), "0-4");
	ck_assert_str_eq(parsed("3-8,^5"), "3-4,6-8");
	/* Items apply left to right: excluded, then added back. */
	ck_assert_str_eq(parsed("^1,0-2"), "0-2");
	ck_assert_str_eq(parsed("1,1,1-1"), "1");
	/* CPUs the host lacks are read; checking them is another step. */
	ck_assert_str_eq(parsed("1023"), "1023");
	ck_assert_str_eq(parsed("0,2,4,6"), "0,2,4,6");
}
END_TEST

START_TEST(test_refusals)
{
	refused("", "The CPU list is empty");
	refused("x", "\"x\" in the CPU list \"x\" is not a CPU number");
	refused("1,", "\"\" in the CPU list \"1,\" is not a CPU number");
	refused(",1", "is not a CPU number");
	refused("1-", "is not a CPU number");
	refused("-1", "is not a CPU number");
	refused("1 ", "is not a CPU number");
	refused("^", "is not a CPU number");
	refused("1-2-3", "is not a CPU number");
	refused("allx", "is not a CPU number");
	refused("5-2", "The range 5-2 in the CPU list \"5-2\" runs backwards; write 2-5.");
	refused("1024", "names CPU 1024; keel can pin to CPUs 0 to 1023 only");
	refused("0-99999999999999999999999", "keel can pin to CPUs 0 to 1023");
	refused("nodes:0", "\"nodes:0\" in the CPU list \"nodes:0\" names NUMA nodes; keel does not place vCPUs by node");
	refused("1,node:1,^6", "\"node:1\" in the CPU list");
	refused("all,^nodes:1", "\"^nodes:1\" in the CPU list");
	refused("1,^1", "The CPU list \"1,^1\" leaves no CPU to run on");
	refused("^3", "leaves no CPU");
	refused("all,^all", "leaves no CPU");
}
END_TEST

START_TEST(test_format)
{
	char text[CPUMAP_TEXT_MAX], small[4];
	struct cpumap m;

	cpumap_zero(&m);
	ck_assert_str_eq(cpumap_format(&m, text, sizeof(text)), "");
	for (unsigned c = 0; c < CPUMAP_MAX_CPUS; c += 2)
		cpumap_set(&m, c);
	cpumap_format(&m, text, sizeof(text));
	ck_assert_uint_lt(strlen(text), CPUMAP_TEXT_MAX);
	ck_assert(!strncmp(text, "0,2,4,", 6));
	ck_assert(strstr(text, ",1020,1022") && !strstr(text, "1024"));
	/* A short buffer holds a cut, terminated list. */
	cpumap_format(&m, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

START_TEST(test_host_check)
{
	char err[CPUMAP_ERR_MAX] = "";
	struct cpumap m, two;

	cpumap_zero(&two);
	cpumap_set(&two, 0);
	cpumap_set(&two, 1);
	ck_assert_int_eq(cpumap_parse("0-1", &host8, &m, err), 0);
	ck_assert_int_eq(cpumap_check_host(&m, &two, err), 0);
	ck_assert_int_eq(cpumap_parse("1-3", &host8, &m, err), 0);
	ck_assert_int_eq(cpumap_check_host(&m, &two, err), -EINVAL);
	ck_assert_str_eq(err,
			 "This host has no CPU 2 that keel may use; its CPUs are 0-1.");
	/* "all" means the CPUs of the host it is read for. */
	ck_assert_int_eq(cpumap_parse("all", &two, &m, err), 0);
	ck_assert(cpumap_equal(&m, &two));
	ck_assert(cpumap_subset(&m, &host8));
	ck_assert(!cpumap_subset(&host8, &m));
}
END_TEST

START_TEST(test_cpuset_and_this_host)
{
	struct cpumap m, back, host;
	cpu_set_t set;

	ck_assert_int_eq(cpumap_host(&host), 0);
	ck_assert_uint_ge(cpumap_count(&host), 1);
	cpumap_zero(&m);
	cpumap_set(&m, 3);
	cpumap_set(&m, 1000);
	cpumap_to_cpuset(&m, &set);
	ck_assert(CPU_ISSET(3, &set) && CPU_ISSET(1000, &set));
	ck_assert_int_eq(CPU_COUNT(&set), 2);
	cpumap_from_cpuset(&set, &back);
	ck_assert(cpumap_equal(&m, &back));
	cpumap_clear(&back, 3);
	ck_assert(!cpumap_test(&back, 3));
	ck_assert_uint_eq(cpumap_count(&back), 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cpumap");
	TCase *tc = tcase_create("cpumap");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_forms);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_host_check);
	tcase_add_test(tc, test_cpuset_and_this_host);
	suite_add_tcase(s, tc);
	return s;
}
