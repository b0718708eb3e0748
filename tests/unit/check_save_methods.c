// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.save and domain.restore (daemon/save_methods.c), in the test's
 * process (unit_keeld.h) with fake_hv as keel-hv, which writes a stream
 * as far as keeld reads one (its HEADER) and reads one back: what both
 * refuse and with which error; a save that stops the domain (reason
 * saved, no on_poweroff), one that keeps it running or paused; the
 * progress events; a restore as the same persistent domain, as a new
 * transient one, and one keel-hv refuses, which leaves nothing behind.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "stream.h"
#include "unit_keeld.h"

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"
#define WEB "{\"name\":\"web\"}"

static struct unit_keeld u;
static struct unit_client events;

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

static void setup(void)
{
	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
	unit_client_open(&events, &u, u.ro_sock);
	json_object_put(unit_assert_ok(unit_client_call(&events,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}")));
}

static void teardown(void)
{
	unit_client_close(&events);
	json_object_put(rpc("domain.destroy", WEB));
	json_object_put(rpc("domain.destroy", "{\"name\":\"db\"}"));
	unit_keeld_stop(&u);
}

/* Define web with @extra config members (",..." or ""), and start it. */
static void start_web(bool persistent, const char *extra)
{
	char params[512];

	snprintf(params, sizeof(params),
		 "{\"config\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"%s}}",
		 extra);
	if (persistent) {
		json_object_put(unit_assert_ok(rpc("domain.define", params)));
		json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	} else {
		json_object_put(unit_assert_ok(rpc("domain.create", params)));
	}
}

/*
 * The next event about web that is @event/@detail; the lifecycle events
 * before it (defined, started) are skipped. Returns it (owned).
 */
static struct json_object *expect_event(const char *event, const char *detail)
{
	for (int i = 0; i < 8; i++) {
		struct json_object *ev = unit_client_read(&events);

		ck_assert_msg(ev != NULL, "no event %s/%s", event, detail);
		if (!strcmp(unit_str(ev, "/params/event"), event) &&
		    !strcmp(unit_str(ev, "/params/detail"), detail) &&
		    !strcmp(unit_str(ev, "/params/domain/name"), "web"))
			return ev;
		json_object_put(ev);
	}
	ck_abort_msg("no event %s/%s among the next 8", event, detail);
	return NULL;
}

/* domain.save of web into @file under the test's directory. */
static struct json_object *save_web(const char *file, const char *flags)
{
	char params[512];

	snprintf(params, sizeof(params),
		 "{\"name\":\"web\",\"path\":\"%s\"%s}",
		 unit_keeld_path(&u, file), flags);
	return rpc("domain.save", params);
}

static struct json_object *restore(const char *path, const char *flags)
{
	char params[512];

	snprintf(params, sizeof(params), "{\"path\":\"%s\"%s}", path, flags);
	return rpc("domain.restore", params);
}

/* web's state/reason, or "gone". */
static const char *web_state(void)
{
	static char buf[64];
	struct json_object *resp = rpc("domain.info", WEB);

	if (unit_code(resp) == KEEL_E_NO_DOMAIN)
		snprintf(buf, sizeof(buf), "gone");
	else
		snprintf(buf, sizeof(buf), "%s/%s",
			 unit_str(resp, "/result/state"),
			 unit_str(resp, "/result/reason"));
	json_object_put(resp);
	return buf;
}

/* Run keeld's loop until web is @want (the process ends after the save). */
static void wait_state(const char *want)
{
	for (int ms = 0; ms < 5000 && strcmp(web_state(), want); ms += 20)
		unit_keeld_run(&u, 20);
	ck_assert_str_eq(web_state(), want);
}

START_TEST(test_save_refusals)
{
	struct json_object *resp;
	char params[512];
	int fd;

	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}")));
	unit_assert_error(save_web("web.save", ""), KEEL_E_INVALID_STATE, NULL,
			  "only a running or paused domain can be saved");
	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	unit_assert_error(rpc("domain.save",
			      "{\"name\":\"web\",\"path\":\"web.save\"}"),
			  JSONRPC_INVALID_PARAMS, "/path", NULL);
	unit_assert_error(rpc("domain.save", WEB), JSONRPC_INVALID_PARAMS,
			  NULL, NULL);
	unit_assert_error(rpc("domain.save",
			      "{\"name\":\"db\",\"path\":\"/tmp/x\"}"),
			  KEEL_E_NO_DOMAIN, "/name", NULL);
	unit_assert_error(save_web("web.save", ",\"keep_running\":\"yes\""),
			  JSONRPC_INVALID_PARAMS, "/keep_running", NULL);
	unit_assert_error(save_web("web.save", ",\"later\":true"),
			  JSONRPC_INVALID_PARAMS, NULL, NULL);
	/* A file that exists is never replaced. */
	fd = open(unit_keeld_path(&u, "old.save"), O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	unit_assert_error(save_web("old.save", ""), JSONRPC_INVALID_PARAMS,
			  "/path", "exists already");
	/* The read-only socket may not save. */
	snprintf(params, sizeof(params), "{\"name\":\"web\",\"path\":\"%s\"}",
		 unit_keeld_path(&u, "ro.save"));
	resp = unit_keeld_call(&u, u.ro_sock, "domain.save", params);
	ck_assert_int_ne(unit_code(resp), 0);
	json_object_put(resp);
	ck_assert_int_ne(access(unit_keeld_path(&u, "ro.save"), F_OK), 0);
	/* keeld cannot make the file: why, and the domain as it was. */
	unit_assert_error(save_web("no/such/dir.save", ""),
			  JSONRPC_INVALID_PARAMS, "/path", "Cannot create ");
	ck_assert_str_eq(web_state(), "running/booted");
	/* And the next save is not held up by it. */
	json_object_put(unit_assert_ok(save_web("ok.save",
						",\"keep_running\":true")));
	ck_assert_str_eq(web_state(), "running/booted");
}
END_TEST

/*
 * A persistent domain saved stops with reason saved, no action, and
 * stays defined; restored, it is itself again, with reason restored.
 */
START_TEST(test_save_stop_restore_persistent)
{
	struct json_object *resp, *ev;
	struct stat st;

	/* on_poweroff = restart would start it again: it must not. */
	start_web(true, ",\"on_poweroff\":\"restart\"");
	resp = unit_assert_ok(save_web("web.save", ""));
	ck_assert_str_eq(unit_str(resp, "/result/then"), "stop");
	ck_assert_str_eq(unit_str(resp, "/result/name"), "web");
	ck_assert_int_gt(json_object_get_int64(unit_at(resp, "/result/bytes")),
			 0);
	json_object_put(resp);
	/* Answered once the domain had stopped. */
	ck_assert_str_eq(web_state(), "shutoff/saved");
	ck_assert_int_eq(stat(unit_keeld_path(&u, "web.save"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ev = expect_event("progress", "save");
	ck_assert_str_eq(unit_str(ev, "/params/type"), "progress");
	ck_assert_str_eq(unit_str(ev, "/params/job"), "save");
	ck_assert_int_eq(json_object_get_int64(unit_at(ev, "/params/done")),
			 128 << 20);
	ck_assert_int_eq(json_object_get_int64(unit_at(ev, "/params/total")),
			 256 << 20);
	json_object_put(ev);
	ev = expect_event("stopped", "saved");
	ck_assert_str_eq(unit_str(ev, "/params/reason"), "saved");
	json_object_put(ev);
	wait_state("shutoff/saved");
	/* Still so a while later: no on_poweroff restart. */
	unit_keeld_run(&u, 300);
	ck_assert_str_eq(web_state(), "shutoff/saved");

	resp = unit_assert_ok(restore(unit_keeld_path(&u, "web.save"), ""));
	ck_assert_str_eq(unit_str(resp, "/result/name"), "web");
	ck_assert_str_eq(unit_str(resp, "/result/uuid"), UUID);
	ck_assert_str_eq(unit_str(resp, "/result/state"), "running");
	ck_assert_str_eq(unit_str(resp, "/result/reason"), "restored");
	ck_assert(json_object_get_boolean(unit_at(resp, "/result/persistent")));
	json_object_put(resp);
	json_object_put(expect_event("started", "restored"));
	/* A second restore while it runs is refused, saying why. */
	unit_assert_error(restore(unit_keeld_path(&u, "web.save"), ""),
			  KEEL_E_DOMAIN_EXISTS, "/config/name", "running");
	ck_assert_str_eq(web_state(), "running/restored");
}
END_TEST

/* A transient domain saved is gone; restored, it is transient again. */
START_TEST(test_save_stop_restore_transient)
{
	struct json_object *resp;

	start_web(false, "");
	json_object_put(unit_assert_ok(save_web("web.save", "")));
	ck_assert_str_eq(web_state(), "gone");
	resp = unit_assert_ok(restore(unit_keeld_path(&u, "web.save"),
				      ",\"paused\":true"));
	ck_assert_str_eq(unit_str(resp, "/result/state"), "paused");
	ck_assert(!json_object_get_boolean(unit_at(resp, "/result/persistent")));
	json_object_put(resp);
	json_object_put(expect_event("started", "restored"));
	json_object_put(expect_event("suspended", "paused"));
	resp = unit_assert_ok(rpc("domain.config", WEB));
	ck_assert_str_eq(unit_str(resp, "/result/uuid"), UUID);
	json_object_put(resp);
}
END_TEST

/* -c runs on, -p stays paused; both keep the domain and write the file. */
START_TEST(test_keep_running_and_paused)
{
	struct json_object *resp;

	start_web(true, "");
	resp = unit_assert_ok(save_web("a.save", ",\"keep_running\":true"));
	ck_assert_str_eq(unit_str(resp, "/result/then"), "resume");
	json_object_put(resp);
	unit_keeld_run(&u, 100);
	ck_assert_str_eq(web_state(), "running/booted");
	resp = unit_assert_ok(save_web("b.save", ",\"paused\":true"));
	ck_assert_str_eq(unit_str(resp, "/result/then"), "pause");
	json_object_put(resp);
	json_object_put(expect_event("suspended", "paused"));
	ck_assert_str_eq(web_state(), "paused/user");
	/* A paused domain can be saved, and stays paused with -c. */
	resp = unit_assert_ok(save_web("c.save", ",\"keep_running\":true"));
	json_object_put(resp);
	unit_keeld_run(&u, 100);
	ck_assert_str_eq(web_state(), "paused/user");
	ck_assert_int_eq(access(unit_keeld_path(&u, "a.save"), F_OK), 0);
	ck_assert_int_eq(access(unit_keeld_path(&u, "b.save"), F_OK), 0);
	ck_assert_int_eq(access(unit_keeld_path(&u, "c.save"), F_OK), 0);
}
END_TEST

/* A file of @len bytes of @text. */
static const char *write_file(const char *name, const void *text, size_t len)
{
	const char *path = unit_keeld_path(&u, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* A stream whose HEADER holds @config (JSON text). */
static const char *write_stream(const char *name, const char *config)
{
	const char *path = unit_keeld_path(&u, name);
	char hdr[1024];
	struct stream_writer *sw;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	snprintf(hdr, sizeof(hdr),
		 "{\"vcpus\":1,\"ram\":[{\"gpa\":0,\"size\":268435456}],\"config\":%s}",
		 config);
	sw = stream_writer_new(fd);
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(stream_write_header(sw, hdr, strlen(hdr)), 0);
	stream_writer_free(sw);
	close(fd);
	return path;
}

START_TEST(test_restore_refusals)
{
	char buf[256];
	const char *path;
	int fd, n;

	unit_assert_error(restore("web.save", ""), JSONRPC_INVALID_PARAMS,
			  "/path", NULL);
	unit_assert_error(rpc("domain.restore", "{}"), JSONRPC_INVALID_PARAMS,
			  NULL, NULL);
	unit_assert_error(restore(unit_keeld_path(&u, "none.save"), ""),
			  JSONRPC_INVALID_PARAMS, "/path", "Cannot open");
	unit_assert_error(restore(u.dir, ""), JSONRPC_INVALID_PARAMS, "/path",
			  "not a regular file");
	path = write_file("text.save", "hello, world\n", 13);
	unit_assert_error(restore(path, ""), JSONRPC_INVALID_PARAMS, "/path",
			  "is not a domain keel can restore");
	path = write_file("empty.save", "", 0);
	unit_assert_error(restore(path, ""), JSONRPC_INVALID_PARAMS, "/path",
			  "is not a domain keel can restore");
	/* A header cut short. */
	path = write_stream("whole.save",
			    "{\"name\":\"web\",\"kernel\":\"/k\"}");
	fd = open(path, O_RDONLY);
	n = (int)read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_gt(n, 40);
	path = write_file("cut.save", buf, 40);
	unit_assert_error(restore(path, ""), JSONRPC_INVALID_PARAMS, "/path",
			  "HEADER");
	/* A config keel's schema refuses. */
	path = write_stream("bad.save", "{\"name\":\"web\",\"vcpus\":0}");
	unit_assert_error(restore(path, ""), JSONRPC_INVALID_PARAMS, NULL,
			  NULL);
	/* A name in use by another domain. */
	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}")));
	path = write_stream("other.save",
			    "{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"}");
	unit_assert_error(restore(path, ""), KEEL_E_DOMAIN_EXISTS,
			  "/config/name", "exists already");
	ck_assert_str_eq(web_state(), "shutoff/unknown");
	/* Nothing was left of any of them. */
	ck_assert_str_eq(web_state(), "shutoff/unknown");
	unit_assert_error(rpc("domain.info", "{\"uuid\":\"" UUID "\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
}
END_TEST

/*
 * While keel-hv reads, keeld reports how far (the offset of the file it
 * shares with keel-hv) against the file's size.
 */
START_TEST(test_restore_progress)
{
	struct json_object *ev;
	struct stat st;

	start_web(false, ",\"cmdline\":\"fake.restore-slow\"");
	json_object_put(unit_assert_ok(save_web("web.save", "")));
	ck_assert_int_eq(stat(unit_keeld_path(&u, "web.save"), &st), 0);
	json_object_put(unit_assert_ok(restore(unit_keeld_path(&u, "web.save"),
					       "")));
	/*
	 * keeld looks every RESTORE_POLL_MS: on a loaded machine the first
	 * look may come before keel-hv has read a byte (done 0, seen in a
	 * CI run); it has read the header during its 1.2 s pause.
	 */
	for (int n = 0;; n++) {
		long long done;

		ck_assert_msg(n < 20, "no progress event said a byte was read");
		ev = expect_event("progress", "restore");
		ck_assert_str_eq(unit_str(ev, "/params/job"), "restore");
		ck_assert_int_eq(json_object_get_int64(unit_at(ev,
							       "/params/total")),
				 st.st_size);
		done = json_object_get_int64(unit_at(ev, "/params/done"));
		ck_assert_int_ge(done, 0);
		ck_assert_int_le(done, st.st_size);
		json_object_put(ev);
		if (done > 0)
			break;
	}
	json_object_put(expect_event("started", "restored"));
}
END_TEST

/* keel-hv refuses the stream: keeld says why, no domain is left. */
START_TEST(test_restore_refused_by_hv)
{
	struct json_object *resp;

	start_web(false, ",\"cmdline\":\"fake.restore-fails\"");
	json_object_put(unit_assert_ok(save_web("web.save", "")));
	wait_state("gone");
	resp = restore(unit_keeld_path(&u, "web.save"), "");
	ck_assert_msg(unit_code(resp) == KEEL_E_OPERATION_FAILED, "%s",
		      json_object_to_json_string(resp));
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL,
			  "Domain web could not be restored: The domain stream's checksum does not match");
	unit_keeld_run(&u, 100);
	ck_assert_str_eq(web_state(), "gone");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("save_methods");
	TCase *tc = tcase_create("save_restore");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_save_refusals);
	tcase_add_test(tc, test_save_stop_restore_persistent);
	tcase_add_test(tc, test_save_stop_restore_transient);
	tcase_add_test(tc, test_keep_running_and_paused);
	tcase_add_test(tc, test_restore_refusals);
	tcase_add_test(tc, test_restore_refused_by_hv);
	tcase_add_test(tc, test_restore_progress);
	suite_add_tcase(s, tc);
	return s;
}
