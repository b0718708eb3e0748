// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The definition methods (daemon/domain_methods.c), in the test's
 * process (unit_keeld.h): naming a domain by name or uuid, what a
 * configuration must be beyond its schema (unique disks and MACs, a
 * unicast MAC, hot-plug not supported), names and uuids taken, rename,
 * autostart, undefine, and that a refused request changes nothing.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, NULL);
}

static void teardown(void)
{
	unit_keeld_stop(&u);
}

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

static void define_web(void)
{
	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"}}")));
}

/* How many domains domain.list shows. */
static size_t nr_domains(void)
{
	struct json_object *resp = unit_assert_ok(rpc("domain.list", NULL));
	size_t n = json_object_array_length(unit_at(resp, "/result"));

	json_object_put(resp);
	return n;
}

START_TEST(test_define_and_list)
{
	struct json_object *resp;

	ck_assert_uint_eq(nr_domains(), 0);
	resp = unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"}}"));
	ck_assert_str_eq(unit_str(resp, "/result/name"), "web");
	ck_assert_str_eq(unit_str(resp, "/result/uuid"), UUID);
	ck_assert_str_eq(unit_str(resp, "/result/state"), "shutoff");
	json_object_put(resp);
	ck_assert_uint_eq(nr_domains(), 1);
	/* A definition file in the state directory. */
	ck_assert_int_eq(access(unit_keeld_path(&u, "state"), F_OK), 0);
}
END_TEST

/* By name or by uuid (any case), exactly one of them. */
START_TEST(test_lookup)
{
	struct json_object *resp;

	define_web();
	resp = unit_assert_ok(rpc("domain.info", "{\"uuid\":\"6F1C1E0A-3B5D-4C7E-9A2B-0123456789AB\"}"));
	ck_assert_str_eq(unit_str(resp, "/result/name"), "web");
	json_object_put(resp);
	unit_assert_error(rpc("domain.info", "{}"), JSONRPC_INVALID_PARAMS,
			  "/name", "Name the domain");
	unit_assert_error(rpc("domain.info",
			      "{\"name\":\"web\",\"uuid\":\"" UUID "\"}"),
			  JSONRPC_INVALID_PARAMS, "/uuid", "not both");
	unit_assert_error(rpc("domain.info", "{\"name\":\"db\"}"),
			  KEEL_E_NO_DOMAIN, "/name", "db");
	unit_assert_error(rpc("domain.info", "{\"uuid\":\"11111111-2222-3333-4444-555555555555\"}"),
			  KEEL_E_NO_DOMAIN, "/uuid", NULL);
}
END_TEST

/* What the schema cannot say; nothing is defined by a refusal. */
START_TEST(test_config_refused)
{
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"a\",\"kernel\":\"/k\",\"disks\":["
		"{\"vdev\":\"vda\",\"path\":\"/x\"},{\"vdev\":\"vda\",\"path\":\"/y\"}]}}"),
		JSONRPC_INVALID_PARAMS, "/config/disks/1/vdev", "twice");
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":["
		"{\"mac\":\"00:16:3e:00:00:01\"},{\"mac\":\"00:16:3E:00:00:01\"}]}}"),
		JSONRPC_INVALID_PARAMS, "/config/nics/1/mac", "twice");
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":["
		"{\"mac\":\"01:16:3e:00:00:01\"}]}}"),
		JSONRPC_INVALID_PARAMS, "/config/nics/0/mac", NULL);
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"a\",\"kernel\":\"/k\",\"vcpus\":3,\"maxvcpus\":2}}"),
		JSONRPC_INVALID_PARAMS, "/config/maxvcpus", "at least vcpus");
	/* The schema's own refusal names the member. */
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"a\",\"kernel\":\"/k\",\"memory\":1}}"),
		JSONRPC_INVALID_PARAMS, "/config/memory", NULL);
	ck_assert_uint_eq(nr_domains(), 0);
}
END_TEST

/* A name or uuid taken: KEEL_E_DOMAIN_EXISTS on the member. */
START_TEST(test_exists)
{
	define_web();
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}"),
		KEEL_E_DOMAIN_EXISTS, "/config/name", "web");
	unit_assert_error(rpc("domain.define",
		"{\"config\":{\"name\":\"db\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\"}}"),
		KEEL_E_DOMAIN_EXISTS, "/config/uuid", NULL);
	ck_assert_uint_eq(nr_domains(), 1);
}
END_TEST

START_TEST(test_rename)
{
	struct json_object *resp;

	define_web();
	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"db\",\"kernel\":\"/k\"}}")));
	unit_assert_error(rpc("domain.rename",
			      "{\"name\":\"web\",\"new_name\":\"db\"}"),
			  KEEL_E_DOMAIN_EXISTS, "/new_name", "db");
	resp = unit_assert_ok(rpc("domain.rename",
				  "{\"name\":\"web\",\"new_name\":\"www\"}"));
	ck_assert_str_eq(unit_str(resp, "/result/name"), "www");
	ck_assert_str_eq(unit_str(resp, "/result/uuid"), UUID);
	json_object_put(resp);
	unit_assert_error(rpc("domain.info", "{\"name\":\"web\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
	json_object_put(unit_assert_ok(rpc("domain.info",
					   "{\"name\":\"www\"}")));
}
END_TEST

START_TEST(test_autostart_and_undefine)
{
	struct json_object *resp;

	define_web();
	resp = unit_assert_ok(rpc("domain.autostart",
				  "{\"name\":\"web\",\"enabled\":true}"));
	ck_assert(json_object_get_boolean(unit_at(resp, "/result/autostart")));
	json_object_put(resp);
	resp = unit_assert_ok(rpc("domain.info", "{\"name\":\"web\"}"));
	ck_assert(json_object_get_boolean(unit_at(resp, "/result/autostart")));
	json_object_put(resp);
	json_object_put(unit_assert_ok(rpc("domain.undefine",
					   "{\"name\":\"web\"}")));
	ck_assert_uint_eq(nr_domains(), 0);
	unit_assert_error(rpc("domain.undefine", "{\"name\":\"web\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("domain_methods");
	TCase *tc = tcase_create("domain_methods");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_define_and_list);
	tcase_add_test(tc, test_lookup);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_exists);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_autostart_and_undefine);
	suite_add_tcase(s, tc);
	return s;
}
