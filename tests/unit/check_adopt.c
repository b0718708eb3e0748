// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A running domain's state file (daemon/adopt.c): what run_save()
 * writes, run_load() reads back the same, and a file keeld did not
 * write is told apart from none at all. Also the run directory's
 * clean-up (daemon/run.c), which must leave nothing of keeld's or
 * keel-hv's behind and nothing else removed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_proto.h"
#include "log.h"
#include "registry.h"
#include "run.h"
#include "runner.h"

#define UUID "6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_adopt.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	log_init("check_adopt", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_round_trip)
{
	struct json_object *config = json_tokener_parse(
		"{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\","
		"\"nics\":[{\"tap\":\"keel3.0\",\"mac\":\"00:16:3e:00:00:01\"}]}");
	struct domain dom = {
		.name = "web", .uuid = UUID, .id = 3,
		.state = DOMAIN_CRASHED, .reason = DOMAIN_REASON_PANICKED,
	};
	struct domain_run run = {
		.dom = &dom, .dir = dir, .config = config, .pid = 4242,
		.starttime = 18446744073709551000ULL, .started = 1796399465.5,
		.lingering = true,
	};
	struct run_state st;
	char path[PATH_MAX + 8];

	ck_assert_int_eq(run_save(&run), 0);
	snprintf(path, sizeof(path), "%s/%s.tmp", dir, HV_RUN_STATE);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(run_load(dir, &st), 0);
	ck_assert_str_eq(st.uuid, UUID);
	ck_assert_int_eq(st.id, 3);
	ck_assert_int_eq(st.pid, 4242);
	ck_assert_uint_eq(st.starttime, 18446744073709551000ULL);
	ck_assert_double_eq(st.started, 1796399465.5);
	ck_assert(st.lingering);
	ck_assert_int_eq(st.state, DOMAIN_CRASHED);
	ck_assert_int_eq(st.reason, DOMAIN_REASON_PANICKED);
	/* The configuration it runs with, taps and MACs and all. */
	ck_assert(json_object_equal(st.config, config));
	ck_assert_ptr_ne(st.config, config);
	json_object_put(st.config);

	/* Every change is saved over the last. */
	dom.state = DOMAIN_RUNNING;
	dom.reason = DOMAIN_REASON_UNPAUSED;
	run.lingering = false;
	ck_assert_int_eq(run_save(&run), 0);
	ck_assert_int_eq(run_load(dir, &st), 0);
	ck_assert_int_eq(st.state, DOMAIN_RUNNING);
	ck_assert_int_eq(st.reason, DOMAIN_REASON_UNPAUSED);
	ck_assert(!st.lingering);
	json_object_put(st.config);
	json_object_put(config);
}
END_TEST

/* A run directory that has gone: the save fails, and says so. */
START_TEST(test_save_fails)
{
	struct domain dom = { .name = "web", .uuid = UUID };
	char gone[96];
	struct domain_run run = { .dom = &dom, .dir = gone };

	snprintf(gone, sizeof(gone), "%s/none", dir);
	run.config = json_object_new_object();
	ck_assert_int_eq(run_save(&run), -ENOENT);
	json_object_put(run.config);
}
END_TEST

START_TEST(test_load_refuses)
{
	static const struct {
		const char *text;
		int rc;
	} t[] = {
		{ NULL, -ENOENT },
		{ "{\"uuid\":", -ENOENT },
		{ "{\"config\":{}}", -EINVAL },
		{ "{\"uuid\":\"" UUID "\"}", -EINVAL },
		{ "{\"uuid\":\"6f1c2a4e\",\"config\":{}}", -EINVAL },
		{ "{\"uuid\":7,\"config\":{}}", -EINVAL },
		/* The least keeld needs: what it does not say is guessed. */
		{ "{\"uuid\":\"" UUID "\",\"config\":{}}", 0 },
		{ "{\"uuid\":\"" UUID "\",\"config\":{},\"state\":\"dancing\","
		  "\"reason\":\"bored\"}",
		  0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct run_state st;
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, HV_RUN_STATE);
		unlink(path);
		if (t[i].text)
			put(HV_RUN_STATE, t[i].text);
		ck_assert_msg(run_load(dir, &st) == t[i].rc, "row %zu", i);
		if (t[i].rc)
			continue;
		ck_assert_ptr_nonnull(st.config);
		ck_assert_int_eq(st.state, DOMAIN_RUNNING);
		ck_assert_int_eq(st.reason, DOMAIN_REASON_UNKNOWN);
		ck_assert_int_eq(st.pid, 0);
		ck_assert(!st.lingering);
		json_object_put(st.config);
	}
}
END_TEST

START_TEST(test_run_dir_remove)
{
	static const char *const ours[] = { HV_RUN_STATE, HV_RUN_STATUS,
					    HV_RUN_CONTROL, HV_RUN_CONSOLE,
					    HV_RUN_STATE ".tmp" };
	char sub[160], path[PATH_MAX];
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/" UUID, dir);
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(mkdir(sub, 0700), 0);
		for (size_t i = 0; i < 5; i++) {
			snprintf(path, sizeof(path), UUID "/%s", ours[i]);
			put(path, "x");
		}
		if (round == 1)
			put(UUID "/someone-elses", "x");
		run_dir_remove(sub);
		for (size_t i = 0; i < 5; i++) {
			snprintf(path, sizeof(path), "%s/%s", sub, ours[i]);
			ck_assert_int_ne(access(path, F_OK), 0);
		}
		if (round == 0) {
			ck_assert_int_ne(stat(sub, &st), 0);
			/* Gone already: nothing to complain about. */
			run_dir_remove(sub);
		}
	}
	/* What is not keeld's stays, and so does the directory. */
	snprintf(path, sizeof(path), "%s/someone-elses", sub);
	ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

START_TEST(test_run_path)
{
	struct domain_run run = { .dir = dir };
	char buf[PATH_MAX], small[8];

	ck_assert_int_eq(run_path(&run, HV_RUN_CONTROL, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "/" HV_RUN_CONTROL));
	ck_assert_int_eq(run_path(&run, HV_RUN_CONTROL, small, sizeof(small)),
			 -ENAMETOOLONG);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("adopt");
	TCase *tc = tcase_create("adopt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_save_fails);
	tcase_add_test(tc, test_load_refuses);
	tcase_add_test(tc, test_run_dir_remove);
	tcase_add_test(tc, test_run_path);
	suite_add_tcase(s, tc);
	return s;
}
