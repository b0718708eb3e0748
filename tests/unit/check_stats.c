// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.stats' shape (daemon/stats.c, stats_build): keel-hv's answer
 * and keeld's own readings into a DomainStats, as keeld(8) documents
 * it: vCPU states and times, memory with and without a balloon, disks
 * and NICs in the configuration's order, and a keel-hv that gave
 * nothing.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hv.h"
#include "monotime.h"
#include "runner.h"
#include "stats.h"

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_msg(o, "bad JSON in the test: %s", text);
	return o;
}

static struct json_object *at(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	if (json_pointer_get(o, ptr, &v))
		return NULL;
	return v;
}

static int64_t int_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	ck_assert_msg(v, "%s is missing in %s", ptr,
		      json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static const char *str_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	ck_assert_msg(v, "%s is missing in %s", ptr,
		      json_object_to_json_string(o));
	return json_object_get_string(v);
}

#define SUMMARY                                                          \
	"{\"name\": \"web\", \"uuid\": \"u1\", \"id\": 3,"              \
	" \"state\": \"running\", \"reason\": \"booted\", \"memory\": 256}"
#define CONFIG                                                           \
	"{\"name\": \"web\", \"memory\": 256, \"maxmem\": 512,"         \
	" \"disks\": [{\"vdev\": \"xvda\", \"path\": \"/a.img\"},"      \
	"  {\"vdev\": \"xvdb\", \"path\": \"/b.img\"}],"                \
	" \"nics\": [{\"mac\": \"00:16:3e:00:00:01\", \"tap\": \"t0\"}]}"
#define HV                                                               \
	"{\"paused\": false, \"vcpus\": ["                              \
	" {\"id\": 0, \"run_ns\": 900, \"cpu_ns\": 400,"                \
	"  \"state\": \"running\"},"                                    \
	" {\"id\": 1, \"run_ns\": 50, \"cpu_ns\": 20,"                  \
	"  \"state\": \"stopped\"}],"                                   \
	" \"devices\": {"                                               \
	"  \"vblk1\": {\"type\": \"virtio-blk\", \"reads\": 7,"         \
	"   \"read_bytes\": 3584, \"writes\": 2, \"written_bytes\": 1024," \
	"   \"read_ns\": 11, \"write_ns\": 12, \"flushes\": 1,"         \
	"   \"flush_ns\": 13, \"io_errors\": 1},"                      \
	"  \"vblk0\": {\"type\": \"virtio-blk\", \"reads\": 1},"        \
	"  \"vnet0\": {\"type\": \"virtio-net\", \"rx_packets\": 4,"    \
	"   \"rx_bytes\": 400, \"rx_too_big\": 1, \"rx_errors\": 2,"    \
	"   \"tx_packets\": 5, \"tx_bytes\": 500, \"tx_dropped\": 3},"  \
	"  \"vballoon0\": {\"type\": \"virtio-balloon\","               \
	"   \"target_bytes\": 268435456, \"actual_bytes\": 402653184}}}"

static const struct stats_sample sample = {
	.time_ns = 123456789, .cpu_ns = 5000000000ULL, .rss_kib = 4321,
};

START_TEST(test_build)
{
	struct json_object *summary = parse(SUMMARY), *config = parse(CONFIG);
	struct json_object *hv = parse(HV);
	struct json_object *o = stats_build(summary, config, &sample, hv, NULL);

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(str_at(o, "/name"), "web");
	ck_assert_str_eq(str_at(o, "/uuid"), "u1");
	ck_assert_int_eq(int_at(o, "/id"), 3);
	ck_assert_str_eq(str_at(o, "/state"), "running");
	ck_assert_int_eq(int_at(o, "/time_ns"), 123456789);
	ck_assert_int_eq(int_at(o, "/cpu/time_ns"), 5000000000LL);
	ck_assert_int_eq(int_at(o, "/cpu/vcpu_time_ns"), 420);
	/* No cgroup was read: no throttling counters, rather than zeros. */
	ck_assert_ptr_null(at(o, "/cpu/throttled_periods"));
	/* The thread's CPU time, not the wall time in KVM_RUN. */
	ck_assert_int_eq(int_at(o, "/vcpus/0/time_ns"), 400);
	ck_assert_int_eq(int_at(o, "/vcpus/0/run_ns"), 900);
	ck_assert_str_eq(str_at(o, "/vcpus/0/state"), "running");
	ck_assert_str_eq(str_at(o, "/vcpus/1/state"), "stopped");
	/* The balloon's actual size is what the guest has. */
	ck_assert_int_eq(int_at(o, "/memory/current_kib"), 393216);
	ck_assert_int_eq(int_at(o, "/memory/maximum_kib"), 524288);
	ck_assert_int_eq(int_at(o, "/memory/rss_kib"), 4321);
	ck_assert_int_eq(int_at(o, "/memory/balloon/target_kib"), 262144);
	/* Disks in the configuration's order, whatever keel-hv's. */
	ck_assert_str_eq(str_at(o, "/disks/0/vdev"), "xvda");
	ck_assert_int_eq(int_at(o, "/disks/0/rd_reqs"), 1);
	ck_assert_str_eq(str_at(o, "/disks/1/path"), "/b.img");
	ck_assert_int_eq(int_at(o, "/disks/1/rd_reqs"), 7);
	ck_assert_int_eq(int_at(o, "/disks/1/rd_bytes"), 3584);
	ck_assert_int_eq(int_at(o, "/disks/1/rd_time_ns"), 11);
	ck_assert_int_eq(int_at(o, "/disks/1/wr_reqs"), 2);
	ck_assert_int_eq(int_at(o, "/disks/1/wr_bytes"), 1024);
	ck_assert_int_eq(int_at(o, "/disks/1/wr_time_ns"), 12);
	ck_assert_int_eq(int_at(o, "/disks/1/fl_reqs"), 1);
	ck_assert_int_eq(int_at(o, "/disks/1/fl_time_ns"), 13);
	ck_assert_int_eq(int_at(o, "/disks/1/errors"), 1);
	ck_assert_int_eq(int_at(o, "/disks/1/oo_reqs"), 0);
	ck_assert_str_eq(str_at(o, "/nics/0/tap"), "t0");
	ck_assert_str_eq(str_at(o, "/nics/0/mac"), "00:16:3e:00:00:01");
	ck_assert_int_eq(int_at(o, "/nics/0/rx_pkts"), 4);
	ck_assert_int_eq(int_at(o, "/nics/0/rx_bytes"), 400);
	ck_assert_int_eq(int_at(o, "/nics/0/rx_drop"), 1);
	ck_assert_int_eq(int_at(o, "/nics/0/rx_errs"), 2);
	ck_assert_int_eq(int_at(o, "/nics/0/tx_pkts"), 5);
	ck_assert_int_eq(int_at(o, "/nics/0/tx_bytes"), 500);
	ck_assert_int_eq(int_at(o, "/nics/0/tx_drop"), 3);
	ck_assert_ptr_null(at(o, "/error"));
	json_object_put(o);
	json_object_put(summary);
	json_object_put(config);
	json_object_put(hv);
}
END_TEST

START_TEST(test_build_paused_no_balloon)
{
	struct json_object *summary = parse(SUMMARY);
	struct json_object *config = parse("{\"memory\": 256}");
	struct json_object *hv = parse(
		"{\"paused\": true, \"vcpus\": [{\"id\": 0, \"cpu_ns\": 1,"
		" \"state\": \"running\"}], \"devices\": {}}");
	struct json_object *o = stats_build(summary, config, &sample, hv, NULL);

	ck_assert_str_eq(str_at(o, "/vcpus/0/state"), "paused");
	/* No balloon: the guest has its memory; maxmem defaults to it. */
	ck_assert_int_eq(int_at(o, "/memory/current_kib"), 262144);
	ck_assert_int_eq(int_at(o, "/memory/maximum_kib"), 262144);
	ck_assert_ptr_null(at(o, "/memory/balloon"));
	ck_assert_int_eq(json_object_array_length(at(o, "/disks")), 0);
	ck_assert_int_eq(json_object_array_length(at(o, "/nics")), 0);
	json_object_put(o);
	json_object_put(summary);
	json_object_put(config);
	json_object_put(hv);
}
END_TEST

/* keel-hv gave nothing: keeld's own figures and why. */
START_TEST(test_build_without_hv)
{
	struct json_object *summary = parse(SUMMARY), *config = parse(CONFIG);
	struct stats_sample capped = sample;
	struct json_object *o;

	capped.throttle = true;
	capped.throttled_periods = 7;
	capped.throttled_ns = 9000;
	o = stats_build(summary, config, &capped, NULL, "It did not answer.");

	ck_assert_str_eq(str_at(o, "/error"), "It did not answer.");
	ck_assert_int_eq(int_at(o, "/cpu/throttled_periods"), 7);
	ck_assert_int_eq(int_at(o, "/cpu/throttled_ns"), 9000);
	ck_assert_int_eq(int_at(o, "/cpu/time_ns"), 5000000000LL);
	ck_assert_int_eq(int_at(o, "/memory/rss_kib"), 4321);
	ck_assert_int_eq(int_at(o, "/memory/current_kib"), 262144);
	ck_assert_ptr_null(at(o, "/vcpus"));
	ck_assert_ptr_null(at(o, "/disks"));
	ck_assert_ptr_null(at(o, "/nics"));
	json_object_put(o);
	json_object_put(summary);
	json_object_put(config);
}
END_TEST

/* keeld's own readings of a process: this one, which is alive. */
START_TEST(test_sample_read)
{
	struct stats_sample s;
	uint64_t before = monotime_ns();

	/* Another starttime: a reused pid is refused. */
	ck_assert_int_eq(stats_sample_read(getpid(), 1, &s), -ESRCH);
	ck_assert_uint_eq(s.rss_kib, 0);
	ck_assert_uint_ge(s.time_ns, before);
	ck_assert_int_eq(stats_sample_read(getpid(), hv_starttime(getpid()),
					   &s),
			 0);
	ck_assert_uint_gt(s.rss_kib, 0);
	ck_assert_int_lt(stats_sample_read(0x7ffffff0, 0, &s), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, test_build);
	tcase_add_test(tc, test_build_paused_no_balloon);
	tcase_add_test(tc, test_build_without_hv);
	tcase_add_test(tc, test_sample_read);
	suite_add_tcase(s, tc);
	return s;
}
