// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.save through a real keeld and keel-hv on KVM, where a save can
 * hurt the domain (docs/stream.md, "Saving"):
 *
 * - "large": the dirty guest fills its 62 MiB region with a pattern lz4
 *   hardly shrinks, and keel saves it into a tmpfs file. Were the file
 *   written by keel-hv, its page cache would be charged to the domain's
 *   memory cgroup (the guest's memory plus 64 MiB), with the compression
 *   buffer besides, and the kernel would kill keel-hv, guest and all
 *   (seen in tests/bench/save); keeld's writer keeps it in keeld's
 *   group. Restored, the guest's next pass finds every page as it left
 *   it (errors=0) and its heartbeat goes on.
 * - "full": a save onto a 1 MiB tmpfs fails with the file system's
 *   reason, leaves no file, and the dirty guest runs on, its heartbeat
 *   counting without errors.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

/* The domain @name's console log so far (free it), or NULL while none. */
static char *console_log(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.console.log", log_dir, name);
	return harness_read_file(path, NULL);
}

/*
 * The last "dirty beat=N" the domain's console log holds, or -1; that
 * line's errors=M must be 0 (pages the guest found changed).
 */
static long last_beat(const char *name)
{
	char *buf = console_log(name), *p, *last = NULL, *err;
	long beat = -1;

	for (p = buf; p && (p = strstr(p, "dirty beat=")); p++)
		last = p;
	if (last) {
		err = strstr(last, "errors=");
		ck_assert_msg(!err ||
				      strtol(err + strlen("errors="), NULL, 10) == 0,
			      "the dirty guest found pages changed: %s", last);
		beat = strtol(last + strlen("dirty beat="), NULL, 10);
	}
	free(buf);
	return beat;
}

/* Heartbeats in one pass of the dirty guest over 62 MiB (1024 pages each). */
#define DIRTY_PASS_BEATS 16

/* Wait until @name's heartbeat passes @after; its value. */
static long beat_after(const char *name, long after)
{
	long beat = -1;

	for (int i = 0; i < 1200; i++) {
		beat = last_beat(name);
		if (beat > after)
			return beat;
		usleep(100 * 1000);
	}
	ck_abort_msg("%s's heartbeat stayed at %ld", name, beat);
	return -1;
}

/* A tmpfs of @size at a new directory under the suite's; its path. */
static const char *tmpfs(const char *name, const char *size)
{
	static char mnt[256];
	char opts[64];

	snprintf(mnt, sizeof(mnt), "%s/%s", suite_dir, name);
	mkdir(mnt, 0700);
	snprintf(opts, sizeof(opts), "size=%s", size);
	if (mount("tmpfs", mnt, "tmpfs", 0, opts) < 0)
		return NULL;
	return mnt;
}

START_TEST(test_save_large_to_tmpfs)
{
	struct json_object *resp;
	const char *mnt = tmpfs("big", "256m");
	char file[320];
	struct stat st;
	long beat;

	if (!mnt) {
		printf("SKIP: test_save_large_to_tmpfs: cannot mount a tmpfs: %s\n",
		       strerror(errno));
		return;
	}
	keeld_start();
	json_object_put(rpc_ok("domain.create",
			       "{\"config\":{\"name\":\"big\",\"kernel\":\"%s\","
			       "\"memory\":64,\"vcpus\":1}}",
			       harness_path("tests/guests/dirty.bin")));
	/* A whole pass: all of its 62 MiB region holds its pattern. */
	beat_after("big", DIRTY_PASS_BEATS + 1);
	snprintf(file, sizeof(file), "%s/big.save", mnt);
	json_object_put(rpc_ok("domain.save",
			       "{\"name\":\"big\",\"path\":\"%s\"}", file));
	ck_assert_int_eq(stat(file, &st), 0);
	/* The pattern barely compresses: the stream is most of the RAM. */
	ck_assert_msg(st.st_size > (40LL << 20), "the stream is %lld bytes",
		      (long long)st.st_size);
	/* keel-hv ended as saved, not killed: the domain is gone, cleanly. */
	resp = rpc_call("domain.info", "{\"name\":\"big\"}");
	ck_assert_int_eq(code_of(resp), -32001);
	json_object_put(resp);
	beat = last_beat("big");
	json_object_put(rpc_ok("domain.restore", "{\"path\":\"%s\"}",
			       file));
	resp = rpc_ok("domain.info", "{\"name\":\"big\"}");
	assert_domain_state(resp, "running", "restored");
	json_object_put(resp);
	/* Its memory came back: the next pass finds every page as left. */
	beat_after("big", beat + DIRTY_PASS_BEATS + 1);
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"big\"}"));
	unlink(file);
	umount(mnt);
}
END_TEST

START_TEST(test_save_full_fs)
{
	struct json_object *resp;
	const char *mnt = tmpfs("full", "1m");
	char file[320];
	long beat;

	if (!mnt) {
		printf("SKIP: test_save_full_fs: cannot mount a tmpfs: %s\n",
		       strerror(errno));
		return;
	}
	keeld_start();
	json_object_put(rpc_ok("domain.create",
			       "{\"config\":{\"name\":\"dirty\",\"kernel\":\"%s\","
			       "\"memory\":64,\"vcpus\":1}}",
			       harness_path("tests/guests/dirty.bin")));
	beat = beat_after("dirty", 1);
	snprintf(file, sizeof(file), "%s/dirty.save", mnt);
	resp = rpc_call("domain.save", "{\"name\":\"dirty\",\"path\":\"%s\"}",
			file);
	ck_assert_int_eq(code_of(resp), -32007);
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "No space left on device"),
		      "%s", json_object_to_json_string(resp));
	json_object_put(resp);
	ck_assert_int_ne(access(file, F_OK), 0);
	resp = rpc_ok("domain.info", "{\"name\":\"dirty\"}");
	assert_domain_state(resp, "running", "booted");
	json_object_put(resp);
	/* Running, not merely said to be: the heartbeat goes on. */
	beat_after("dirty", beat + 1);
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"dirty\"}"));
	umount(mnt);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("save_limits");
	TCase *tc = tcase_create("save limits");

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("hypervisor/keel-hv")))
		runner_skip_reason = "keeld or keel-hv is not built";
	else if ((runner_skip_reason = harness_kvm_missing()))
		runner_wants_kvm = true;
	else if (geteuid())
		runner_skip_reason = "mounting a tmpfs needs root";
	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_save_full_fs);
	tcase_add_test(tc, test_save_large_to_tmpfs);
	suite_add_tcase(s, tc);
	return s;
}
