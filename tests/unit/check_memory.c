// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The checks behind domain.set_memory and domain.set_maxmem
 * (daemon/memory_methods.c): what a running domain with and without a
 * balloon, and a shut-off one, accept and refuse, and in which words.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "hv_proto.h"
#include "keel.h"
#include "jsonrpc.h"
#include "memory.h"
#include "runner.h"

/* A running domain started with memory 128, maxmem 384. */
static const struct memory_limits ballooned = {
	.memory_mib = 128, .maxmem_mib = 384, .ram_mib = 384, .balloon = true,
};
/* A running domain started with memory 256 and no maxmem. */
static const struct memory_limits fixed = {
	.memory_mib = 256, .maxmem_mib = 256, .ram_mib = 256,
};
/* A shut-off domain defined with memory 256, maxmem 1024. */
static const struct memory_limits defined = {
	.memory_mib = 256, .maxmem_mib = 1024,
};
/* A shut-off domain defined with memory 256 only. */
static const struct memory_limits defined_plain = { .memory_mib = 256 };

static char why[512];

static int set(const struct memory_limits *l, int64_t want)
{
	why[0] = '\0';
	return memory_check_set(l, "web", want, why, sizeof(why));
}

static int max(const struct memory_limits *l, int64_t want)
{
	why[0] = '\0';
	return memory_check_max(l, "web", want, why, sizeof(why));
}

START_TEST(test_set_with_balloon)
{
	ck_assert_int_eq(set(&ballooned, 128), 0);
	ck_assert_int_eq(set(&ballooned, 384), 0);
	ck_assert_int_eq(set(&ballooned, KEEL_MEMORY_MIN_MIB), 0);
	ck_assert_int_eq(set(&ballooned, 385), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(why, "385 MiB is above domain web's maxmem of 384 MiB; raise maxmem first (keel mem-max).");
	ck_assert_int_eq(set(&ballooned, KEEL_MEMORY_MIN_MIB - 1),
			 JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(why, "from 16 MiB"));
	ck_assert_int_eq(set(&ballooned, KEEL_MEMORY_MAX_MIB + 1),
			 JSONRPC_INVALID_PARAMS);
}
END_TEST

START_TEST(test_set_live_maxmem_lowered)
{
	struct memory_limits l = ballooned;

	l.maxmem_mib = 200;
	ck_assert_int_eq(set(&l, 200), 0);
	ck_assert_int_eq(set(&l, 201), JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(why, "maxmem of 200 MiB"));
}
END_TEST

START_TEST(test_set_without_balloon)
{
	ck_assert_int_eq(set(&fixed, 256), 0);
	ck_assert_int_eq(set(&fixed, 128), KEEL_E_INVALID_STATE);
	ck_assert_str_eq(why, "Domain web has no balloon, so its memory stays 256 MiB while it runs; define a maxmem above memory (keel.cfg(5)) and start it again to change its memory live.");
	ck_assert_int_eq(set(&fixed, 512), KEEL_E_INVALID_STATE);
}
END_TEST

START_TEST(test_set_shut_off)
{
	ck_assert_int_eq(set(&defined, 1024), 0);
	ck_assert_int_eq(set(&defined, 64), 0);
	ck_assert_int_eq(set(&defined, 1025), JSONRPC_INVALID_PARAMS);
	/* No maxmem: the memory it boots with, anything in range. */
	ck_assert_int_eq(set(&defined_plain, 4096), 0);
	ck_assert_int_eq(set(&defined_plain, 8), JSONRPC_INVALID_PARAMS);
}
END_TEST

START_TEST(test_max_running)
{
	ck_assert_int_eq(max(&ballooned, 384), 0);
	ck_assert_int_eq(max(&ballooned, 128), 0);
	ck_assert_int_eq(max(&ballooned, 127), JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(why, "Domain web's memory is 128 MiB and maxmem cannot be below it; lower its memory first (keel mem-set).");
	ck_assert_int_eq(max(&ballooned, 512), KEEL_E_INVALID_STATE);
	ck_assert_str_eq(why, "Domain web runs with 384 MiB of guest RAM, fixed when it started, so its maxmem can be at most that while it runs; shut it off to raise maxmem to 512 MiB.");
	/* Without a balloon, RAM is memory: only that. */
	ck_assert_int_eq(max(&fixed, 256), 0);
	ck_assert_int_eq(max(&fixed, 257), KEEL_E_INVALID_STATE);
	ck_assert_int_eq(max(&fixed, 255), JSONRPC_INVALID_PARAMS);
}
END_TEST

START_TEST(test_max_shut_off)
{
	ck_assert_int_eq(max(&defined_plain, 65536), 0);
	ck_assert_int_eq(max(&defined_plain, 256), 0);
	ck_assert_int_eq(max(&defined_plain, 255), JSONRPC_INVALID_PARAMS);
	ck_assert_int_eq(max(&defined, KEEL_MEMORY_MAX_MIB), 0);
	ck_assert_int_eq(max(&defined, KEEL_MEMORY_MAX_MIB + 1),
			 JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(strstr(why, "maxmem must be from 16 MiB"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("memory");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, test_set_with_balloon);
	tcase_add_test(tc, test_set_live_maxmem_lowered);
	tcase_add_test(tc, test_set_without_balloon);
	tcase_add_test(tc, test_set_shut_off);
	tcase_add_test(tc, test_max_running);
	tcase_add_test(tc, test_max_shut_off);
	suite_add_tcase(s, tc);
	return s;
}
