// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The token buckets behind keel-hv's I/O limits, on a clock the test
 * sets: refill at the rate, burst as the ceiling, debt for a request
 * larger than the burst, no limit for a rate of 0, a long idle that
 * neither overflows nor earns more than the burst, the throttle counts,
 * and iotune.c's spellings of the limits that feed them.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iotune.h"
#include "ratelimit.h"
#include "runner.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

START_TEST(test_refill_at_rate)
{
	struct rl_bucket b;

	rl_bucket_set(&b, 1000, 100, 5 * SEC);
	ck_assert_int_eq(b.tokens, 100);
	rl_bucket_charge(&b, 100);
	ck_assert_int_eq(b.tokens, 0);
	ck_assert_uint_eq(rl_bucket_wait(&b, 5 * SEC), 1 * MS);
	/* 1000/s: 10 ms earn 10 units, 0.5 ms earns nothing yet. */
	rl_bucket_refill(&b, 5 * SEC + 10 * MS);
	ck_assert_int_eq(b.tokens, 10);
	rl_bucket_refill(&b, 5 * SEC + 10 * MS + MS / 2);
	ck_assert_int_eq(b.tokens, 10);
	/* ... but the half unit is kept, not lost to rounding. */
	rl_bucket_refill(&b, 5 * SEC + 11 * MS);
	ck_assert_int_eq(b.tokens, 11);
	ck_assert_uint_eq(rl_bucket_wait(&b, 5 * SEC + 11 * MS), 0);
}
END_TEST

START_TEST(test_slow_rate_keeps_fractions)
{
	struct rl_bucket b;
	uint64_t t = 0;

	/* 3 per second, refilled every 100 ms: 30 in 10 s, not 0. */
	rl_bucket_set(&b, 3, 1000, 0);
	rl_bucket_charge(&b, 1000);
	for (int i = 0; i < 100; i++) {
		t += 100 * MS;
		rl_bucket_refill(&b, t);
	}
	ck_assert_int_eq(b.tokens, 30);
}
END_TEST

START_TEST(test_burst_is_the_ceiling)
{
	struct rl_bucket b;

	rl_bucket_set(&b, 1000, 50, 0);
	rl_bucket_charge(&b, 20);
	rl_bucket_refill(&b, 1 * SEC); /* earned 1000, holds 50 */
	ck_assert_int_eq(b.tokens, 50);
	/* Without a burst: a tenth of a second's worth, at least 1. */
	rl_bucket_set(&b, 1000, 0, 0);
	ck_assert_uint_eq(b.burst, 100);
	rl_bucket_set(&b, 5, 0, 0);
	ck_assert_uint_eq(b.burst, 1);
}
END_TEST

START_TEST(test_debt_is_repaid)
{
	struct rl_bucket b;

	/* A request bigger than the burst goes, and the next one waits. */
	rl_bucket_set(&b, 1000, 100, 0);
	ck_assert_uint_eq(rl_bucket_wait(&b, 0), 0);
	rl_bucket_charge(&b, 2000);
	ck_assert_int_eq(b.tokens, -1900);
	ck_assert_uint_eq(rl_bucket_wait(&b, 0), 1901 * MS);
	rl_bucket_refill(&b, 1 * SEC);
	ck_assert_int_eq(b.tokens, -900);
	ck_assert_uint_eq(rl_bucket_wait(&b, 1 * SEC), 901 * MS);
	rl_bucket_refill(&b, 1901 * MS);
	ck_assert_int_eq(b.tokens, 1);
}
END_TEST

START_TEST(test_zero_is_unlimited)
{
	struct ratelimit rl;
	struct rl_throttle thr = { 0 };
	struct iotune t = { 0 };
	const struct rl_charge c[] = { { IOTUNE_TOTAL_BYTES, 1ULL << 40 },
				       { IOTUNE_TOTAL_IOPS, 1 } };

	ratelimit_init(&rl);
	ck_assert(!rl.active);
	ratelimit_set(&rl, &t, 0);
	ck_assert(!rl.active);
	for (int i = 0; i < 1000; i++)
		ck_assert_uint_eq(ratelimit_take(&rl, &thr, c, 2, 0), 0);
	ck_assert_int_eq(rl.b[IOTUNE_TOTAL_BYTES].tokens, 0);
	ck_assert_uint_eq(thr.count, 0);
	/* A burst alone is no limit either. */
	t.burst[IOTUNE_TOTAL_BYTES] = 10;
	ratelimit_set(&rl, &t, 0);
	ck_assert(!rl.active);
}
END_TEST

START_TEST(test_long_idle)
{
	struct rl_bucket b;
	uint64_t later = UINT64_MAX - 1;

	/* The largest rate, an empty bucket, then centuries of nothing. */
	rl_bucket_set(&b, IOTUNE_VALUE_MAX, IOTUNE_VALUE_MAX, 0);
	rl_bucket_charge(&b, IOTUNE_VALUE_MAX);
	rl_bucket_charge(&b, IOTUNE_VALUE_MAX);
	ck_assert_int_lt(b.tokens, 0);
	rl_bucket_refill(&b, later);
	ck_assert_int_eq(b.tokens, (int64_t)IOTUNE_VALUE_MAX);
	ck_assert_uint_eq(b.stamp_ns, later);
	/* A slow bucket after a long idle is full, not more. */
	rl_bucket_set(&b, 1, 3, 0);
	rl_bucket_charge(&b, 3);
	rl_bucket_refill(&b, later);
	ck_assert_int_eq(b.tokens, 3);
	ck_assert_uint_eq(rl_bucket_wait(&b, later), 0);
	/* Time going backwards (a restored stamp) earns nothing. */
	rl_bucket_charge(&b, 3);
	rl_bucket_refill(&b, 5);
	ck_assert_int_eq(b.tokens, 0);
}
END_TEST

START_TEST(test_take_and_throttle)
{
	struct ratelimit rl;
	struct rl_throttle thr = { 0 };
	struct iotune t = { 0 };
	const struct rl_charge rd[] = { { IOTUNE_READ_BYTES, 4096 },
					{ IOTUNE_READ_IOPS, 1 },
					{ IOTUNE_TOTAL_IOPS, 1 } };
	uint64_t wait;

	t.rate[IOTUNE_READ_IOPS] = 10;
	t.burst[IOTUNE_READ_IOPS] = 2;
	ratelimit_init(&rl);
	ratelimit_set(&rl, &t, 0);
	ck_assert(rl.active);
	ck_assert_uint_eq(ratelimit_take(&rl, &thr, rd, 3, 0), 0);
	ck_assert_uint_eq(ratelimit_take(&rl, &thr, rd, 3, 0), 0);
	/* The third waits for one token at 10/s: 100 ms; nothing charged. */
	wait = ratelimit_take(&rl, &thr, rd, 3, 0);
	ck_assert_uint_eq(wait, 100 * MS);
	ck_assert_int_eq(rl.b[IOTUNE_READ_IOPS].tokens, 0);
	ck_assert(thr.on);
	ck_assert_uint_eq(thr.count, 1);
	/* Asking again in the same wait counts no second throttle. */
	ck_assert_uint_gt(ratelimit_take(&rl, &thr, rd, 3, 50 * MS), 0);
	ck_assert_uint_eq(thr.count, 1);
	ck_assert_uint_eq(rl_throttle_ns(&thr, 60 * MS), 60 * MS);
	ck_assert_uint_eq(ratelimit_take(&rl, &thr, rd, 3, 100 * MS), 0);
	ck_assert(!thr.on);
	ck_assert_uint_eq(thr.total_ns, 100 * MS);
	ck_assert_uint_eq(rl_throttle_ns(&thr, 5 * SEC), 100 * MS);
	/* Limits read back as set; unlimited buckets have no burst. */
	memset(&t, 0xff, sizeof(t));
	ratelimit_get(&rl, &t);
	ck_assert_uint_eq(t.rate[IOTUNE_READ_IOPS], 10);
	ck_assert_uint_eq(t.burst[IOTUNE_READ_IOPS], 2);
	ck_assert_uint_eq(t.rate[IOTUNE_TOTAL_BYTES], 0);
	ck_assert_uint_eq(t.burst[IOTUNE_TOTAL_BYTES], 0);
}
END_TEST

START_TEST(test_iotune_spellings)
{
	struct iotune t;
	char err[256], *s;
	struct json_object *o;

	ck_assert_int_eq(iotune_parse(IOTUNE_DISK,
				      "total_bytes_sec=1048576,read_iops_sec_max=7",
				      &t, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(t.rate[IOTUNE_TOTAL_BYTES], 1048576);
	ck_assert_uint_eq(t.burst[IOTUNE_READ_IOPS], 7);
	s = iotune_format(IOTUNE_DISK, &t);
	ck_assert_str_eq(s, "total_bytes_sec=1048576,read_iops_sec_max=7");
	free(s);
	o = iotune_to_json(IOTUNE_DISK, &t, false);
	ck_assert_str_eq(json_object_to_json_string_ext(o,
							JSON_C_TO_STRING_PLAIN),
			 "{\"total_bytes_sec\":1048576,\"read_iops_sec_max\":7}");
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(iotune_from_json(IOTUNE_DISK, o, &t, err,
					  sizeof(err)),
			 0);
	ck_assert_uint_eq(t.rate[IOTUNE_TOTAL_BYTES], 1048576);
	json_object_put(o);
	ck_assert_int_eq(iotune_parse(IOTUNE_DISK, "", &t, err, sizeof(err)),
			 0);
	ck_assert(!iotune_any(&t));

	/* A NIC's key is not a disk's, and the sentence says which are. */
	ck_assert_int_eq(iotune_parse(IOTUNE_DISK, "tx_bytes_sec=5", &t, err,
				      sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'tx_bytes_sec' is not a disk limit"));
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC, "tx_bytes_sec=-5", &t, err,
				      sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC, "tx_bytes_sec=5x", &t, err,
				      sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC, "tx_bytes_sec", &t, err,
				      sizeof(err)),
			 -EINVAL);
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC,
				      "rx_packets_sec=1000000000000001", &t,
				      err, sizeof(err)),
			 -EINVAL);
	o = json_tokener_parse("{\"rx_bytes_sec\": 1.5}");
	ck_assert_int_eq(iotune_from_json(IOTUNE_NIC, o, &t, err,
					  sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "rx_bytes_sec must be a whole number"));
	json_object_put(o);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("bucket");

	tcase_add_test(tc, test_refill_at_rate);
	tcase_add_test(tc, test_slow_rate_keeps_fractions);
	tcase_add_test(tc, test_burst_is_the_ceiling);
	tcase_add_test(tc, test_debt_is_repaid);
	tcase_add_test(tc, test_zero_is_unlimited);
	tcase_add_test(tc, test_long_idle);
	tcase_add_test(tc, test_take_and_throttle);
	tcase_add_test(tc, test_iotune_spellings);
	suite_add_tcase(s, tc);
	return s;
}
