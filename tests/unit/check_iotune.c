// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * I/O limits as they are written (lib/iotune.c) and keel-hv's --iotune
 * option that carries them (hypervisor/hv_args.c): every key of both
 * kinds of device, each spelling round trip, and what is refused with
 * which sentence: keys of the other kind, values that are not whole
 * numbers or above IOTUNE_VALUE_MAX (overflow included), a key given
 * twice, empty items, devices that do not exist.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_args.h"
#include "iotune.h"
#include "log.h"
#include "runner.h"

/* Every key: its kind, its bucket and whether it is the burst. */
static const struct {
	enum iotune_kind kind;
	const char *key;
	enum iotune_bucket bucket;
	bool burst;
} keys[] = {
	{ IOTUNE_DISK, "total_bytes_sec", IOTUNE_TOTAL_BYTES, false },
	{ IOTUNE_DISK, "total_bytes_sec_max", IOTUNE_TOTAL_BYTES, true },
	{ IOTUNE_DISK, "read_bytes_sec", IOTUNE_READ_BYTES, false },
	{ IOTUNE_DISK, "read_bytes_sec_max", IOTUNE_READ_BYTES, true },
	{ IOTUNE_DISK, "write_bytes_sec", IOTUNE_WRITE_BYTES, false },
	{ IOTUNE_DISK, "write_bytes_sec_max", IOTUNE_WRITE_BYTES, true },
	{ IOTUNE_DISK, "total_iops_sec", IOTUNE_TOTAL_IOPS, false },
	{ IOTUNE_DISK, "total_iops_sec_max", IOTUNE_TOTAL_IOPS, true },
	{ IOTUNE_DISK, "read_iops_sec", IOTUNE_READ_IOPS, false },
	{ IOTUNE_DISK, "read_iops_sec_max", IOTUNE_READ_IOPS, true },
	{ IOTUNE_DISK, "write_iops_sec", IOTUNE_WRITE_IOPS, false },
	{ IOTUNE_DISK, "write_iops_sec_max", IOTUNE_WRITE_IOPS, true },
	{ IOTUNE_NIC, "tx_bytes_sec", IOTUNE_TX_BYTES, false },
	{ IOTUNE_NIC, "tx_bytes_burst", IOTUNE_TX_BYTES, true },
	{ IOTUNE_NIC, "tx_packets_sec", IOTUNE_TX_PACKETS, false },
	{ IOTUNE_NIC, "tx_packets_burst", IOTUNE_TX_PACKETS, true },
	{ IOTUNE_NIC, "rx_bytes_sec", IOTUNE_RX_BYTES, false },
	{ IOTUNE_NIC, "rx_bytes_burst", IOTUNE_RX_BYTES, true },
	{ IOTUNE_NIC, "rx_packets_sec", IOTUNE_RX_PACKETS, false },
	{ IOTUNE_NIC, "rx_packets_burst", IOTUNE_RX_PACKETS, true },
};

#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

static uint64_t field(const struct iotune *t, enum iotune_bucket b, bool burst)
{
	return burst ? t->burst[b] : t->rate[b];
}

/* Only @b's @burst field of @t is set, to @v. */
static void assert_only(const struct iotune *t, enum iotune_bucket b,
			bool burst, uint64_t v)
{
	for (unsigned i = 0; i < IOTUNE_NR_BUCKETS; i++) {
		ck_assert_uint_eq(t->rate[i], i == b && !burst ? v : 0);
		ck_assert_uint_eq(t->burst[i], i == b && burst ? v : 0);
	}
}

/* Each key in each spelling lands in its own field and comes back. */
START_TEST(test_every_key)
{
	for (size_t i = 0; i < NR_KEYS; i++) {
		enum iotune_bucket b;
		struct json_object *o, *v;
		struct iotune t;
		char spec[64], err[256], *s;
		bool burst;

		ck_assert(iotune_key(keys[i].kind, keys[i].key, &b, &burst));
		ck_assert_int_eq(b, keys[i].bucket);
		ck_assert_int_eq(burst, keys[i].burst);
		/* Not a key of the other kind. */
		ck_assert(!iotune_key(keys[i].kind == IOTUNE_DISK ? IOTUNE_NIC :
								   IOTUNE_DISK,
				      keys[i].key, &b, &burst));
		ck_assert_ptr_nonnull(strstr(iotune_key_list(keys[i].kind),
					     keys[i].kind == IOTUNE_DISK &&
							     keys[i].burst ?
						     "_max" :
						     keys[i].key));

		snprintf(spec, sizeof(spec), "%s=%zu", keys[i].key, i + 1);
		ck_assert_int_eq(iotune_parse(keys[i].kind, spec, &t, err,
					      sizeof(err)),
				 0);
		assert_only(&t, keys[i].bucket, keys[i].burst, i + 1);
		ck_assert_int_eq(iotune_any(&t), !keys[i].burst);
		s = iotune_format(keys[i].kind, &t);
		ck_assert_str_eq(s, spec);
		free(s);

		o = iotune_to_json(keys[i].kind, &t, false);
		ck_assert_int_eq(json_object_object_length(o), 1);
		ck_assert(json_object_object_get_ex(o, keys[i].key, &v));
		ck_assert_int_eq(json_object_get_int64(v), (int64_t)i + 1);
		memset(&t, 0, sizeof(t));
		ck_assert_int_eq(iotune_from_json(keys[i].kind, o, &t, err,
						  sizeof(err)),
				 0);
		assert_only(&t, keys[i].bucket, keys[i].burst, i + 1);
		json_object_put(o);
		/* @all: every key of the kind, zeros included. */
		o = iotune_to_json(keys[i].kind, &t, true);
		ck_assert_int_eq(json_object_object_length(o),
				 keys[i].kind == IOTUNE_DISK ? 12 : 8);
		json_object_put(o);
	}
}
END_TEST

/* All keys of a kind at once, in any order; parse starts from zero. */
START_TEST(test_all_keys_together)
{
	char spec[1024] = "", err[256], *s;
	struct iotune t;

	for (size_t i = NR_KEYS; i-- > 0;) {
		if (keys[i].kind != IOTUNE_DISK)
			continue;
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec),
			 "%s%s=%zu", *spec ? "," : "", keys[i].key, 100 + i);
	}
	memset(&t, 0xff, sizeof(t));
	ck_assert_int_eq(iotune_parse(IOTUNE_DISK, spec, &t, err, sizeof(err)),
			 0);
	for (size_t i = 0; i < NR_KEYS; i++)
		ck_assert_uint_eq(field(&t, keys[i].bucket, keys[i].burst),
				  keys[i].kind == IOTUNE_DISK ? 100 + i : 0);
	/* Formatted in the table's order, which parses to the same. */
	s = iotune_format(IOTUNE_DISK, &t);
	ck_assert_str_eq(s,
			 "total_bytes_sec=100,total_bytes_sec_max=101,"
			 "read_bytes_sec=102,read_bytes_sec_max=103,"
			 "write_bytes_sec=104,write_bytes_sec_max=105,"
			 "total_iops_sec=106,total_iops_sec_max=107,"
			 "read_iops_sec=108,read_iops_sec_max=109,"
			 "write_iops_sec=110,write_iops_sec_max=111");
	free(s);
	/* Zero is "no limit": left out when formatted. */
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC, "tx_bytes_sec=0", &t, err,
				      sizeof(err)),
			 0);
	ck_assert(!iotune_any(&t));
	s = iotune_format(IOTUNE_NIC, &t);
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* @spec of @kind is refused with a sentence containing @words. */
static void refused(enum iotune_kind kind, const char *spec,
		    const char *words)
{
	struct iotune t;
	char err[512] = "";

	ck_assert_msg(iotune_parse(kind, spec, &t, err, sizeof(err)) ==
			      -EINVAL,
		      "'%s' was accepted", spec);
	ck_assert_msg(strstr(err, words), "'%s': \"%s\" lacks \"%s\"", spec,
		      err, words);
	ck_assert_msg(err[strlen(err) - 1] == '.', "'%s': \"%s\"", spec, err);
}

START_TEST(test_bad_values)
{
	static const char *const bad[] = {
		"-1", "+1", " 1", "1 ", "1x", "0x10", "1.5", "1e6", "", "one",
	};
	char spec[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "total_iops_sec=%s", bad[i]);
		refused(IOTUNE_DISK, spec, "give a whole number from 0");
		snprintf(spec, sizeof(spec), "rx_bytes_sec=%s,tx_bytes_sec=1",
			 bad[i]);
		refused(IOTUNE_NIC, spec, "give a whole number from 0");
	}
	/* Not KEY=N at all. */
	refused(IOTUNE_DISK, "total_iops_sec", "is not KEY=N");
	refused(IOTUNE_DISK, "=5", "is not KEY=N");
	refused(IOTUNE_DISK, ",total_iops_sec=5", "is not KEY=N");
	refused(IOTUNE_DISK, "total_iops_sec=5,,read_iops_sec=1",
		"is not KEY=N");
	refused(IOTUNE_DISK, "total_iops_sec=5,", "ends with a comma");
	refused(IOTUNE_NIC,
		"a_key_that_is_far_too_long_to_be_one=1", "is not KEY=N");
	/* Keys of the other kind, and no key at all. */
	refused(IOTUNE_DISK, "tx_bytes_sec=5", "'tx_bytes_sec' is not a disk limit");
	refused(IOTUNE_NIC, "total_bytes_sec=5",
		"'total_bytes_sec' is not a network interface limit");
	refused(IOTUNE_NIC, "tx_bytes_sec_max=5", "is not a network interface limit");
	refused(IOTUNE_DISK, "Total_bytes_sec=5", "is not a disk limit");
}
END_TEST

/* The largest value is 10^15; anything above, overflow included, is refused. */
START_TEST(test_overflow)
{
	struct iotune t;
	char err[256];

	ck_assert_int_eq(iotune_parse(IOTUNE_DISK,
				      "total_bytes_sec=1000000000000000",
				      &t, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(t.rate[IOTUNE_TOTAL_BYTES], IOTUNE_VALUE_MAX);
	refused(IOTUNE_DISK, "total_bytes_sec=1000000000000001",
		"total_bytes_sec must be from 0 (no limit) to 1000000000000000");
	refused(IOTUNE_NIC, "rx_packets_burst=18446744073709551615",
		"rx_packets_burst must be from 0");
	/* Past unsigned long long: strtoull()'s ERANGE. */
	refused(IOTUNE_NIC, "rx_packets_burst=18446744073709551616",
		"give a whole number from 0");
	refused(IOTUNE_NIC, "rx_packets_burst=99999999999999999999999999999",
		"give a whole number from 0");
}
END_TEST

/* A key twice would leave one of the two values unsaid. */
START_TEST(test_duplicates)
{
	struct iotune t;
	char err[256];

	refused(IOTUNE_DISK, "total_bytes_sec=1,total_bytes_sec=2",
		"total_bytes_sec is given twice");
	refused(IOTUNE_DISK, "read_iops_sec_max=1,total_bytes_sec=5,read_iops_sec_max=1",
		"read_iops_sec_max is given twice");
	refused(IOTUNE_NIC, "tx_packets_burst=1,tx_packets_burst=1",
		"given twice");
	/* A rate and its burst are two keys. */
	ck_assert_int_eq(iotune_parse(IOTUNE_NIC,
				      "tx_bytes_sec=1,tx_bytes_burst=2", &t,
				      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(t.rate[IOTUNE_TX_BYTES], 1);
	ck_assert_uint_eq(t.burst[IOTUNE_TX_BYTES], 2);
}
END_TEST

/* @json of @kind is refused by iotune_from_json() with @words. */
static void json_refused(enum iotune_kind kind, const char *json,
			 const char *words)
{
	struct json_object *o = json_tokener_parse(json);
	struct iotune t = { 0 };
	char err[512] = "";

	ck_assert_msg(o || !strcmp(json, "null"), "bad test JSON %s", json);
	ck_assert_msg(iotune_from_json(kind, o, &t, err, sizeof(err)) ==
			      -EINVAL,
		      "%s was accepted", json);
	ck_assert_msg(strstr(err, words), "%s: \"%s\" lacks \"%s\"", json, err,
		      words);
	json_object_put(o);
}

START_TEST(test_json)
{
	struct json_object *o;
	struct iotune t;
	char err[256];

	json_refused(IOTUNE_DISK, "{\"total_bytes_sec\": -1}",
		     "total_bytes_sec must be a whole number");
	json_refused(IOTUNE_DISK, "{\"total_bytes_sec\": 1.5}",
		     "must be a whole number");
	json_refused(IOTUNE_DISK, "{\"total_bytes_sec\": \"5\"}",
		     "must be a whole number");
	json_refused(IOTUNE_DISK, "{\"total_bytes_sec\": true}",
		     "must be a whole number");
	json_refused(IOTUNE_DISK, "{\"total_bytes_sec\": null}",
		     "must be a whole number");
	json_refused(IOTUNE_NIC, "{\"tx_bytes_sec\": 1000000000000001}",
		     "tx_bytes_sec must be from 0 (no limit) to 1000000000000000");
	json_refused(IOTUNE_NIC, "{\"tx_bytes_sec\": 9223372036854775807}",
		     "must be from 0");
	json_refused(IOTUNE_NIC, "{\"tx_bytes_sec\": 1, \"read_bytes_sec\": 1}",
		     "'read_bytes_sec' is not a network interface limit");
	json_refused(IOTUNE_DISK, "[1]", "I/O limits are an object");
	json_refused(IOTUNE_DISK, "null", "I/O limits are an object");
	/* Members absent leave what was there. */
	memset(&t, 0, sizeof(t));
	t.rate[IOTUNE_READ_BYTES] = 9;
	o = json_tokener_parse("{\"write_bytes_sec\": 7}");
	ck_assert_int_eq(iotune_from_json(IOTUNE_DISK, o, &t, err,
					  sizeof(err)),
			 0);
	ck_assert_uint_eq(t.rate[IOTUNE_READ_BYTES], 9);
	ck_assert_uint_eq(t.rate[IOTUNE_WRITE_BYTES], 7);
	json_object_put(o);
}
END_TEST

/* --- keel-hv's --iotune=DEV:KEY=N,... ------------------------------- */

static char log_file[64];

/*
 * hv_args_parse() on keel-hv's options @opts (NULL-terminated, after a
 * --kernel), with its log caught: returns its value, and its log in
 * @log (@size bytes).
 */
static int parse_hv(struct hv_args *a, const char *const *opts, char *log,
		    size_t size)
{
	char *argv[16] = { "keel-hv", "--kernel=/nonexistent/bzImage" };
	int argc = 2, fd, saved, rc;
	ssize_t n;

	for (size_t i = 0; opts[i]; i++)
		argv[argc++] = (char *)opts[i];
	argv[argc] = NULL;
	snprintf(log_file, sizeof(log_file), "/tmp/check_iotune.XXXXXX");
	fd = mkstemp(log_file);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	hv_args_init(a);
	optind = 0;
	rc = hv_args_parse(a, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, log, size - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(log_file);
	return rc;
}

static void hv_refused(const char *const *opts, const char *words)
{
	struct hv_args a;
	char log[1024];

	ck_assert_int_eq(parse_hv(&a, opts, log, sizeof(log)), -EINVAL);
	ck_assert_msg(strstr(log, words), "%s: log \"%s\" lacks \"%s\"",
		      opts[0], log, words);
	hv_args_dispose(&a);
}

START_TEST(test_hv_option)
{
	struct hv_args a;
	char log[1024];

	{
		const char *const opts[] = {
			"--disk=/nonexistent/a.img", "--disk=/nonexistent/b.img",
			"--net=tap=tap0",
			"--iotune=vblk1:total_iops_sec=200,total_iops_sec_max=400",
			"--iotune=vnet0:rx_bytes_sec=1250000", NULL
		};

		ck_assert_int_eq(parse_hv(&a, opts, log, sizeof(log)), 0);
		ck_assert(!iotune_any(&a.disks[0].iotune));
		ck_assert_uint_eq(a.disks[1].iotune.rate[IOTUNE_TOTAL_IOPS],
				  200);
		ck_assert_uint_eq(a.disks[1].iotune.burst[IOTUNE_TOTAL_IOPS],
				  400);
		ck_assert_uint_eq(a.nics[0].iotune.rate[IOTUNE_RX_BYTES],
				  1250000);
		hv_args_dispose(&a);
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--iotune=vblk0:tx_bytes_sec=1",
					     NULL };

		hv_refused(opts, "'tx_bytes_sec' is not a disk limit");
	}
	{
		const char *const opts[] = {
			"--disk=/nonexistent/a.img",
			"--iotune=vblk0:read_bytes_sec=1,read_bytes_sec=2", NULL
		};

		hv_refused(opts, "read_bytes_sec is given twice");
	}
	{
		const char *const opts[] = {
			"--disk=/nonexistent/a.img",
			"--iotune=vblk0:read_bytes_sec=18446744073709551616",
			NULL
		};

		hv_refused(opts, "give a whole number from 0");
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--iotune=vblk16:read_bytes_sec=1",
					     NULL };

		hv_refused(opts, "use vblkN:KEY=N,...");
	}
	{
		const char *const opts[] = { "--iotune=vdisk0:read_bytes_sec=1",
					     NULL };

		hv_refused(opts, "use vblkN:KEY=N,...");
	}
	{
		const char *const opts[] = { "--iotune=vblk0", NULL };

		hv_refused(opts, "use vblkN:KEY=N,...");
	}
	{
		/* A device the command line does not have. */
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--iotune=vblk1:read_bytes_sec=1",
					     NULL };

		hv_refused(opts, "names vblk1, but there are 1 disks");
	}
	{
		/* The same device twice: refused, not the last one kept. */
		const char *const opts[] = {
			"--disk=/nonexistent/a.img", "--disk=/nonexistent/b.img",
			"--iotune=vblk1:read_bytes_sec=1",
			"--iotune=vblk0:read_bytes_sec=1",
			"--iotune=vblk1:write_bytes_sec=2", NULL
		};

		hv_refused(opts, "--iotune names vblk1 twice");
	}
	{
		const char *const opts[] = { "--net=tap=tap0",
					     "--iotune=vnet0:tx_bytes_sec=1",
					     "--iotune=vnet0:tx_bytes_sec=1",
					     NULL };

		hv_refused(opts, "--iotune names vnet0 twice");
	}
	{
		const char *const opts[] = { "--iotune=vnet0:tx_bytes_sec=1",
					     NULL };

		hv_refused(opts, "names vnet0, but there are 0 network interfaces");
	}
}
END_TEST

/* keel-hv's --vdev=vblkN:NAME: each disk's name, checked. */
START_TEST(test_hv_vdev)
{
	struct hv_args a;
	char log[1024];

	{
		const char *const opts[] = { "--vdev=vblk1:sdb",
					     "--disk=/nonexistent/a.img",
					     "--disk=/nonexistent/b.img",
					     "--vdev=vblk0:vda", NULL };

		ck_assert_int_eq(parse_hv(&a, opts, log, sizeof(log)), 0);
		ck_assert_str_eq(a.vdevs[0], "vda");
		ck_assert_str_eq(a.vdevs[1], "sdb");
		hv_args_dispose(&a);
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--vdev=vblk0:xvda1", NULL };

		hv_refused(opts, "use vblkN:NAME");
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--vdev=vblk0:vda",
					     "--vdev=vblk0:vdb", NULL };

		hv_refused(opts, "names vblk0 twice (vda and vdb)");
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--disk=/nonexistent/b.img",
					     "--vdev=vblk0:vda",
					     "--vdev=vblk1:vda", NULL };

		hv_refused(opts, "gives the name vda to vblk0 and vblk1");
	}
	{
		const char *const opts[] = { "--disk=/nonexistent/a.img",
					     "--vdev=vblk1:vdb", NULL };

		hv_refused(opts, "names vblk1, but there are 1 disks");
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("iotune");
	TCase *tc = tcase_create("iotune");

	log_init("check_iotune", false, LOG_LEVEL_ERR);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_all_keys_together);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_hv_option);
	tcase_add_test(tc, test_hv_vdev);
	suite_add_tcase(s, tc);
	return s;
}
