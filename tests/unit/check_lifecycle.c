// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running domains (daemon/lifecycle.c), in the test's process
 * (unit_keeld.h), with fake_hv standing in for keel-hv: the states and
 * reasons a domain goes through as it is started, paused, resumed,
 * shut down, rebooted, destroyed, or its VM crashes; the events each
 * step sends; a transient domain forgotten when it stops; and the run
 * directory that exists exactly while keel-hv does.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"

static struct unit_keeld u;
static struct unit_client events;

static void setup(void)
{
	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
	unit_client_open(&events, &u, u.ro_sock);
	json_object_put(unit_assert_ok(unit_client_call(&events,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}")));
}

static void teardown(void)
{
	struct json_object *resp;

	unit_client_close(&events);
	/* Leave no fake_hv behind, whatever the test did. */
	resp = unit_keeld_call(&u, u.rw_sock, "domain.destroy",
			       "{\"name\":\"web\"}");
	json_object_put(resp);
	unit_keeld_stop(&u);
}

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

/* The next lifecycle event is @event/@detail about web. */
static void expect_event(const char *event, const char *detail)
{
	struct json_object *ev = unit_client_read(&events);

	ck_assert_msg(ev != NULL, "no event %s/%s", event, detail);
	ck_assert_msg(!strcmp(unit_str(ev, "/params/event"), event) &&
			      !strcmp(unit_str(ev, "/params/detail"), detail) &&
			      !strcmp(unit_str(ev, "/params/domain/name"), "web"),
		      "expected event %s/%s: %s", event, detail,
		      json_object_to_json_string(ev));
	json_object_put(ev);
}

/* Define web with @extra config members (",..." or ""). */
static void define_web(const char *extra)
{
	char params[512];

	snprintf(params, sizeof(params),
		 "{\"config\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"%s}}",
		 extra);
	json_object_put(unit_assert_ok(rpc("domain.define", params)));
	expect_event("defined", "added");
}

/* @resp (freed) is a summary of @state/@reason. */
static void assert_summary(struct json_object *resp, const char *state,
			   const char *reason)
{
	unit_assert_ok(resp);
	ck_assert_msg(!strcmp(unit_str(resp, "/result/state"), state) &&
			      !strcmp(unit_str(resp, "/result/reason"), reason),
		      "expected %s/%s: %s", state, reason,
		      json_object_to_json_string(resp));
	json_object_put(resp);
}

/* Wait (up to 5 s) until domain.info says @state/@reason. */
static void wait_state(const char *state, const char *reason)
{
	struct json_object *resp = NULL;

	for (int i = 0; i < 500; i++) {
		json_object_put(resp);
		resp = rpc("domain.info", "{\"name\":\"web\"}");
		if (!strcmp(unit_str(resp, "/result/state"), state) &&
		    !strcmp(unit_str(resp, "/result/reason"), reason))
			break;
		unit_keeld_run(&u, 10);
	}
	assert_summary(resp, state, reason);
}

static bool run_dir_exists(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/domains/" UUID, u.k.conf.run_dir);
	return access(path, F_OK) == 0;
}

START_TEST(test_start_and_destroy)
{
	struct json_object *resp;

	define_web("");
	ck_assert(!run_dir_exists());
	resp = rpc("domain.start", "{\"name\":\"web\"}");
	ck_assert_int_ge(json_object_get_int(unit_at(resp, "/result/id")), 1);
	assert_summary(resp, "running", "booted");
	expect_event("started", "booted");
	ck_assert(run_dir_exists());
	unit_assert_error(rpc("domain.start", "{\"name\":\"web\"}"),
			  KEEL_E_INVALID_STATE, NULL, NULL);
	assert_summary(rpc("domain.destroy", "{\"name\":\"web\"}"), "shutoff",
		       "destroyed");
	expect_event("stopped", "destroyed");
	ck_assert(!run_dir_exists());
}
END_TEST

START_TEST(test_pause_unpause)
{
	define_web("");
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"web\"}")));
	expect_event("started", "booted");
	assert_summary(rpc("domain.pause", "{\"name\":\"web\"}"), "paused",
		       "user");
	expect_event("suspended", "paused");
	assert_summary(rpc("domain.unpause", "{\"name\":\"web\"}"), "running",
		       "unpaused");
	expect_event("resumed", "unpaused");
}
END_TEST

/* Started paused: running the VM waits for domain.unpause. */
START_TEST(test_start_paused)
{
	define_web("");
	assert_summary(rpc("domain.start",
			   "{\"name\":\"web\",\"paused\":true}"),
		       "paused", "user");
	expect_event("started", "booted");
	expect_event("suspended", "paused");
}
END_TEST

/* The guest powers off at the power button: on_poweroff (destroy). */
START_TEST(test_shutdown)
{
	define_web("");
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"web\"}")));
	expect_event("started", "booted");
	assert_summary(rpc("domain.shutdown",
			   "{\"name\":\"web\",\"wait\":true}"),
		       "shutoff", "shutdown");
	expect_event("stopped", "shutdown");
	ck_assert(!run_dir_exists());
}
END_TEST

/* A reboot starts a new keel-hv, whatever on_poweroff says. */
START_TEST(test_reboot)
{
	define_web(",\"on_poweroff\":\"destroy\"");
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"web\"}")));
	expect_event("started", "booted");
	json_object_put(unit_assert_ok(rpc("domain.reboot",
					   "{\"name\":\"web\"}")));
	/* Whatever it says in between, it comes up again. */
	for (;;) {
		struct json_object *ev = unit_client_read(&events);
		bool up;

		ck_assert_ptr_nonnull(ev);
		up = !strcmp(unit_str(ev, "/params/event"), "started");
		json_object_put(ev);
		if (up)
			break;
	}
	wait_state("running", "booted");
}
END_TEST

/* The VM crashes: on_crash (destroy by default). */
START_TEST(test_crash)
{
	define_web(",\"cmdline\":\"fake.crash\"");
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"web\"}")));
	expect_event("started", "booted");
	expect_event("stopped", "crashed");
	wait_state("shutoff", "crashed");
	ck_assert(!run_dir_exists());
}
END_TEST

/* A transient domain is gone once it stops. */
START_TEST(test_transient)
{
	assert_summary(rpc("domain.create",
			   "{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}"),
		       "running", "booted");
	expect_event("started", "booted");
	json_object_put(unit_assert_ok(rpc("domain.destroy",
					   "{\"name\":\"web\"}")));
	unit_assert_error(rpc("domain.info", "{\"name\":\"web\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
}
END_TEST

/*
 * domain.stats is keeld's sample of the domain, keel-hv's own answer
 * kept under "hv" as it gave it (docs/stats.md).
 */
START_TEST(test_stats)
{
	struct json_object *resp;

	define_web("");
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"web\"}")));
	resp = unit_assert_ok(rpc("domain.stats", "{\"name\":\"web\"}"));
	ck_assert_str_eq(json_object_get_string(unit_at(resp, "/result/name")),
			 "web");
	ck_assert(json_object_get_boolean(unit_at(resp, "/result/hv/fake")));
	json_object_put(resp);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_start_and_destroy);
	tcase_add_test(tc, test_pause_unpause);
	tcase_add_test(tc, test_start_paused);
	tcase_add_test(tc, test_shutdown);
	tcase_add_test(tc, test_reboot);
	tcase_add_test(tc, test_crash);
	tcase_add_test(tc, test_transient);
	tcase_add_test(tc, test_stats);
	suite_add_tcase(s, tc);
	return s;
}
