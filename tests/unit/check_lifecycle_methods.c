// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The methods that drive running domains (daemon/lifecycle_methods.c),
 * in the test's process (unit_keeld.h) with fake_hv as keel-hv: what
 * each refuses in which state (KEEL_E_INVALID_STATE, saying the state
 * and why), domain.create's checks before anything runs, domain.config
 * of a shut-off and a running domain, and events.subscribe.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"
#define WEB "{\"name\":\"web\"}"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\",\"cmdline\":\"defined\"}}")));
}

static void teardown(void)
{
	json_object_put(unit_keeld_call(&u, u.rw_sock, "domain.destroy", WEB));
	unit_keeld_stop(&u);
}

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

/* Shut off: everything but start is refused, saying so. */
START_TEST(test_shutoff_refusals)
{
	static const struct {
		const char *method, *words;
	} t[] = {
		{ "domain.pause", "only a running domain can be paused" },
		{ "domain.unpause", "paused by a user" },
		{ "domain.shutdown", "only a running guest" },
		{ "domain.reboot", "only a running guest" },
		{ "domain.destroy", "nothing to destroy" },
		{ "domain.stats", "only while it runs" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		unit_assert_error(rpc(t[i].method, WEB), KEEL_E_INVALID_STATE,
				  NULL, t[i].words);
	unit_assert_error(rpc("domain.pause", "{\"name\":\"db\"}"),
			  KEEL_E_NO_DOMAIN, "/name", NULL);
}
END_TEST

/* Running: start and unpause are refused; paused: pause is. */
START_TEST(test_running_refusals)
{
	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	unit_assert_error(rpc("domain.start", WEB), KEEL_E_INVALID_STATE,
			  NULL, "started already");
	unit_assert_error(rpc("domain.unpause", WEB), KEEL_E_INVALID_STATE,
			  NULL, "running");
	json_object_put(unit_assert_ok(rpc("domain.pause", WEB)));
	unit_assert_error(rpc("domain.pause", WEB), KEEL_E_INVALID_STATE,
			  NULL, "paused");
	/* The params' schema comes first. */
	unit_assert_error(rpc("domain.shutdown",
			      "{\"name\":\"web\",\"timeout\":\"soon\"}"),
			  JSONRPC_INVALID_PARAMS, "/timeout", NULL);
}
END_TEST

/* domain.create checks the configuration before anything runs. */
START_TEST(test_create_refused)
{
	struct json_object *resp;

	unit_assert_error(rpc("domain.create",
			      "{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}"),
			  KEEL_E_DOMAIN_EXISTS, "/config/name", NULL);
	unit_assert_error(rpc("domain.create",
			      "{\"config\":{\"name\":\"db\",\"kernel\":\"/k\",\"vcpus\":4,\"maxvcpus\":2}}"),
			  JSONRPC_INVALID_PARAMS, "/config/maxvcpus", NULL);
	unit_assert_error(rpc("domain.create", "{\"config\":{\"name\":\"db\"}}"),
			  JSONRPC_INVALID_PARAMS, NULL, NULL);
	resp = unit_assert_ok(rpc("domain.list", NULL));
	ck_assert_uint_eq(json_object_array_length(unit_at(resp, "/result")),
			  1);
	json_object_put(resp);
}
END_TEST

/*
 * The definition while shut off, what it runs with while running: there
 * keeld has filled in what the definition leaves out (a NIC's MAC).
 */
START_TEST(test_config)
{
	struct json_object *resp;

	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"db\",\"kernel\":\"/k\",\"nics\":[{}]}}")));
	resp = unit_assert_ok(rpc("domain.config", WEB));
	ck_assert_str_eq(unit_str(resp, "/result/cmdline"), "defined");
	json_object_put(resp);
	resp = unit_assert_ok(rpc("domain.config", "{\"name\":\"db\"}"));
	ck_assert_ptr_null(unit_at(resp, "/result/nics/0/mac"));
	json_object_put(resp);
	json_object_put(unit_assert_ok(rpc("domain.start", "{\"name\":\"db\"}")));
	resp = unit_assert_ok(rpc("domain.config", "{\"name\":\"db\"}"));
	ck_assert_msg(strlen(unit_str(resp, "/result/nics/0/mac")) == 17,
		      "no MAC in %s", json_object_to_json_string(resp));
	json_object_put(resp);
	json_object_put(unit_assert_ok(rpc("domain.destroy", "{\"name\":\"db\"}")));
	resp = unit_assert_ok(rpc("domain.config", "{\"name\":\"db\"}"));
	ck_assert_ptr_null(unit_at(resp, "/result/nics/0/mac"));
	json_object_put(resp);
}
END_TEST

START_TEST(test_subscribe)
{
	struct unit_client c;
	struct json_object *resp;

	unit_client_open(&c, &u, u.ro_sock);
	resp = unit_assert_ok(unit_client_call(&c,
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}"));
	ck_assert(json_object_get_boolean(unit_at(resp, "/result/subscribed")));
	json_object_put(resp);
	json_object_put(unit_assert_ok(rpc("domain.autostart",
					   "{\"name\":\"web\",\"enabled\":false}")));
	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	resp = unit_client_read(&c);
	ck_assert_str_eq(unit_str(resp, "/params/event"), "started");
	json_object_put(resp);
	unit_client_close(&c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("lifecycle_methods");
	TCase *tc = tcase_create("lifecycle_methods");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_shutoff_refusals);
	tcase_add_test(tc, test_running_refusals);
	tcase_add_test(tc, test_create_refused);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_subscribe);
	suite_add_tcase(s, tc);
	return s;
}
