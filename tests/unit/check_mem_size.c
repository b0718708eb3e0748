// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel mem-set's and mem-max's SIZE (cli/mem_size.c): xl's suffixes,
 * MiB without one, and the sizes keel refuses rather than rounds.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include "mem_size.h"
#include "runner.h"

static char why[256];

static long long parse(const char *s, int want_rc)
{
	long long mib = -1;

	why[0] = '\0';
	ck_assert_int_eq(mem_size_parse(s, &mib, why, sizeof(why)), want_rc);
	if (want_rc) {
		ck_assert_int_eq(mib, -1);
		ck_assert_msg(strstr(why, s), "\"%s\" not named in: %s", s,
			      why);
	}
	return mib;
}

START_TEST(test_suffixes)
{
	ck_assert_int_eq(parse("512", 0), 512); /* xl: MiB by default */
	ck_assert_int_eq(parse("512m", 0), 512);
	ck_assert_int_eq(parse("512M", 0), 512);
	ck_assert_int_eq(parse("2g", 0), 2048);
	ck_assert_int_eq(parse("2G", 0), 2048);
	ck_assert_int_eq(parse("1t", 0), 1024 * 1024);
	ck_assert_int_eq(parse("1048576k", 0), 1024);
	ck_assert_int_eq(parse("2048K", 0), 2);
	ck_assert_int_eq(parse("1048576b", 0), 1);
	ck_assert_int_eq(parse("0", 0), 0); /* keeld says what is too small */
}
END_TEST

START_TEST(test_refused)
{
	parse("", -EINVAL);
	parse("m", -EINVAL);
	parse("-512", -EINVAL);
	parse("+512", -EINVAL);
	parse(" 512", -EINVAL);
	parse("512mb", -EINVAL);	/* one letter, as xl */
	parse("512x", -EINVAL);
	parse("1.5g", -EINVAL);
	parse("512 m", -EINVAL);
	/* Not whole MiB: refused, not rounded, with the nearest said. */
	parse("1000k", -ERANGE);
	ck_assert_ptr_nonnull(strstr(why, "0m is the nearest"));
	parse("1536k", -ERANGE);
	ck_assert_ptr_nonnull(strstr(why, "1m is the nearest"));
	parse("1000b", -ERANGE);
	/* Too big to be any amount of memory. */
	parse("99999999999999999999", -ERANGE);
	parse("4194305t", -ERANGE);
	parse("9999999999999999g", -ERANGE);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("mem_size");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_suffixes);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}
