// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log.c's ring for keel dmesg: off until enabled, oldest first, the
 * oldest dropped when full, messages cut, levels below the log level
 * left out, and a clear that spares what came after the reader's last
 * line.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "runner.h"

static struct log_ring_entry *read_ring(size_t *n)
{
	struct log_ring_entry *e;

	ck_assert_int_eq(log_ring_read(&e, n), 0);
	return e;
}

/* One process, one ring: the cases run in this order in one test. */
START_TEST(test_ring)
{
	struct log_ring_entry *e;
	char big[3000];
	size_t n;

	log_init("test", false, LOG_LEVEL_INFO);
	log_set_global_limit(0, 0);
	log_info("before the ring");
	e = read_ring(&n);
	ck_assert_int_eq(n, 0);
	log_ring_free(e, n);

	ck_assert_int_eq(log_ring_enable(0), -EINVAL);
	ck_assert_int_eq(log_ring_enable(LOG_RING_LINES_MAX + 1), -EINVAL);
	ck_assert_int_eq(log_ring_enable(3), 0);
	ck_assert_int_eq(log_ring_enable(3), -EALREADY);

	log_info("one %d", 1);
	log_debug("below the level");
	log_warn("two");
	e = read_ring(&n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(e[0].message, "one 1");
	ck_assert_int_eq(e[0].level, LOG_LEVEL_INFO);
	ck_assert_str_eq(e[1].message, "two");
	ck_assert_str_eq(log_level_name(e[1].level), "warning");
	ck_assert(e[1].seq == e[0].seq + 1);
	ck_assert(e[0].time > 1e9);
	log_ring_free(e, n);

	/* Full: the oldest goes. */
	log_err("three");
	log_info("four");
	e = read_ring(&n);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(e[0].message, "two");
	ck_assert_str_eq(e[2].message, "four");

	/* dmesg -c after reading up to "three": "four" stays. */
	ck_assert_int_eq(log_ring_clear(e[1].seq), 2);
	log_ring_free(e, n);
	e = read_ring(&n);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(e[0].message, "four");
	log_ring_free(e, n);
	ck_assert_int_eq(log_ring_clear(~0ULL), 1);
	ck_assert_int_eq(log_ring_clear(~0ULL), 0);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	e = read_ring(&n);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(strlen(e[0].message), LOG_RING_MESSAGE_MAX - 1);
	log_ring_free(e, n);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("log_ring");
	TCase *tc = tcase_create("log_ring");

	tcase_add_test(tc, test_ring);
	suite_add_tcase(s, tc);
	return s;
}
