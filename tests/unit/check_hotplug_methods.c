// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.set_vcpus (daemon/hotplug_methods.c), in the test's process
 * (unit_keeld.h) with fake_hv as keel-hv: what it refuses (0, above
 * maxvcpus, above the schema's 64, wrong types, the read-only socket, a
 * domain that does not exist), each with its error and field and with
 * nothing changed, neither the configuration it runs with, nor the
 * definition on disk, nor keel-hv's count; and what it does to a domain
 * that is shut off (only the definition) and to one that runs.
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
static char uuid[40];

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

/* web: defined with 1 vCPU of at most 4. */
static void setup(void)
{
	struct json_object *resp;

	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
	resp = unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\",\"vcpus\":1,\"maxvcpus\":4}}"));
	json_object_put(resp);
	resp = unit_assert_ok(rpc("domain.config", WEB));
	snprintf(uuid, sizeof(uuid), "%s", unit_str(resp, "/result/uuid"));
	json_object_put(resp);
}

static void teardown(void)
{
	json_object_put(rpc("domain.destroy", WEB));
	unit_keeld_stop(&u);
}

/* The definition's vcpus, as keeld wrote it to disk. */
static int defined_vcpus(void)
{
	char path[256];
	struct json_object *o;
	int n;

	snprintf(path, sizeof(path), "%s/domains/%s.json",
		 unit_keeld_path(&u, "state"), uuid);
	o = json_object_from_file(path);
	ck_assert_msg(o != NULL, "no definition %s", path);
	n = json_object_get_int(unit_at(o, "/config/vcpus"));
	json_object_put(o);
	return n;
}

/* The vcpus of the configuration web runs with (or is defined with). */
static int config_vcpus(void)
{
	struct json_object *resp = unit_assert_ok(rpc("domain.config", WEB));
	int n = json_object_get_int(unit_at(resp, "/result/vcpus"));

	json_object_put(resp);
	return n;
}

/* The vCPUs keel-hv has online: its threads not "offline" (vcpu_list). */
static int hv_vcpus(void)
{
	struct json_object *resp = unit_assert_ok(rpc("domain.vcpu_list", WEB));
	int n;

	n = 0;
	for (size_t i = 0; i < json_object_array_length(unit_at(resp, "/result"));
	     i++) {
		struct json_object *row = json_object_array_get_idx(
			unit_at(resp, "/result"), i);
		struct json_object *st;

		if (json_object_object_get_ex(row, "state", &st) &&
		    strcmp(json_object_get_string(st), "offline"))
			n++;
	}
	json_object_put(resp);
	return n;
}

/* Every refusal, on web as it is now: nothing may change. */
static void assert_refusals(bool running)
{
	static const struct {
		const char *params;
		int code;
		const char *field, *words;
	} t[] = {
		{ "{\"name\":\"web\",\"vcpus\":0}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":-1}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":5}", JSONRPC_INVALID_PARAMS,
		  "/vcpus",
		  "Domain web can have at most 4 vCPUs (its maxvcpus); 5 were asked for." },
		{ "{\"name\":\"web\",\"vcpus\":65}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":4294967298}",
		  JSONRPC_INVALID_PARAMS, "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":\"2\"}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":2.5}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":true}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":null}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\",\"vcpus\":[2]}", JSONRPC_INVALID_PARAMS,
		  "/vcpus", NULL },
		{ "{\"name\":\"web\"}", JSONRPC_INVALID_PARAMS, NULL, NULL },
		{ "{\"name\":\"web\",\"vcpus\":2,\"online\":2}",
		  JSONRPC_INVALID_PARAMS, NULL, NULL },
		{ "[\"web\",2]", JSONRPC_INVALID_PARAMS, NULL, NULL },
		{ "{\"name\":\"db\",\"vcpus\":2}", KEEL_E_NO_DOMAIN, "/name",
		  NULL },
		{ "{\"vcpus\":2}", JSONRPC_INVALID_PARAMS, NULL, NULL },
	};
	int before = config_vcpus(), defined = defined_vcpus();
	int online = running ? hv_vcpus() : 0;
	struct json_object *resp;

	ck_assert_int_eq(before, 1);
	ck_assert_int_eq(defined, 1);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		resp = rpc("domain.set_vcpus", t[i].params);
		ck_assert_msg(unit_code(resp) == t[i].code, "%s: %s",
			      t[i].params, json_object_to_json_string(resp));
		unit_assert_error(resp, t[i].code, t[i].field, t[i].words);
	}
	/* The read-only socket may not change anything. */
	resp = unit_keeld_call(&u, u.ro_sock, "domain.set_vcpus",
			       "{\"name\":\"web\",\"vcpus\":2}");
	ck_assert_int_ne(unit_code(resp), 0);
	json_object_put(resp);
	ck_assert_int_eq(config_vcpus(), before);
	ck_assert_int_eq(defined_vcpus(), defined);
	if (running)
		ck_assert_int_eq(hv_vcpus(), online);
}

START_TEST(test_refusals_shut_off)
{
	assert_refusals(false);
}
END_TEST

START_TEST(test_refusals_running)
{
	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	ck_assert_int_eq(hv_vcpus(), 1);
	assert_refusals(true);
}
END_TEST

/* Shut off: the definition alone changes, and the answer has no "online". */
START_TEST(test_shut_off)
{
	struct json_object *resp;

	resp = unit_assert_ok(rpc("domain.set_vcpus",
				  "{\"name\":\"web\",\"vcpus\":3}"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/vcpus")), 3);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/maxvcpus")),
			 4);
	ck_assert_ptr_null(unit_at(resp, "/result/online"));
	json_object_put(resp);
	ck_assert_int_eq(defined_vcpus(), 3);
	/* The next start has them. */
	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	ck_assert_int_eq(hv_vcpus(), 3);
}
END_TEST

/* Running: keel-hv plugs them, then both configurations keep the count. */
START_TEST(test_running)
{
	struct json_object *resp;

	json_object_put(unit_assert_ok(rpc("domain.start", WEB)));
	resp = unit_assert_ok(rpc("domain.set_vcpus",
				  "{\"name\":\"web\",\"vcpus\":4}"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/online")), 4);
	json_object_put(resp);
	ck_assert_int_eq(hv_vcpus(), 4);
	ck_assert_int_eq(config_vcpus(), 4);
	ck_assert_int_eq(defined_vcpus(), 4);
	resp = unit_assert_ok(rpc("domain.set_vcpus",
				  "{\"name\":\"web\",\"vcpus\":1}"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/online")), 1);
	json_object_put(resp);
	ck_assert_int_eq(hv_vcpus(), 1);
	ck_assert_int_eq(config_vcpus(), 1);
	ck_assert_int_eq(defined_vcpus(), 1);
}
END_TEST

/* Without maxvcpus, vcpus is the most: nothing to plug. */
START_TEST(test_no_maxvcpus)
{
	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"db\",\"kernel\":\"/k\",\"vcpus\":2}}")));
	unit_assert_error(rpc("domain.set_vcpus",
			      "{\"name\":\"db\",\"vcpus\":3}"),
			  JSONRPC_INVALID_PARAMS, "/vcpus",
			  "Domain db can have at most 2 vCPUs (its maxvcpus); 3 were asked for.");
	json_object_put(unit_assert_ok(rpc("domain.set_vcpus",
					   "{\"name\":\"db\",\"vcpus\":1}")));
}
END_TEST

/*
 * Crashed and kept (on_crash = preserve): keel-hv lingers without a VM,
 * so keeld refuses, saying so, and changes nothing.
 */
START_TEST(test_preserved)
{
	struct json_object *resp;
	long long end;

	json_object_put(unit_assert_ok(rpc("domain.define",
		"{\"config\":{\"name\":\"db\",\"kernel\":\"/k\",\"cmdline\":\"fake.crash\","
		"\"vcpus\":1,\"maxvcpus\":4,\"on_crash\":\"preserve\"}}")));
	json_object_put(rpc("domain.start", "{\"name\":\"db\"}"));
	for (end = 0; end < 5000; end += 20) {
		resp = unit_assert_ok(rpc("domain.info", "{\"name\":\"db\"}"));
		if (!strcmp(unit_str(resp, "/result/state"), "crashed"))
			break;
		json_object_put(resp);
		resp = NULL;
		unit_keeld_run(&u, 20);
	}
	ck_assert_msg(resp != NULL, "db never crashed");
	json_object_put(resp);
	unit_assert_error(rpc("domain.set_vcpus",
			      "{\"name\":\"db\",\"vcpus\":2}"),
			  KEEL_E_INVALID_STATE, NULL,
			  "Domain db is crashed (panicked) and its VM has stopped; destroy it before setting its vCPUs.");
	resp = unit_assert_ok(rpc("domain.config", "{\"name\":\"db\"}"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/vcpus")), 1);
	json_object_put(resp);
	json_object_put(rpc("domain.destroy", "{\"name\":\"db\"}"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hotplug");
	TCase *tc = tcase_create("set_vcpus");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refusals_shut_off);
	tcase_add_test(tc, test_refusals_running);
	tcase_add_test(tc, test_shut_off);
	tcase_add_test(tc, test_running);
	tcase_add_test(tc, test_no_maxvcpus);
	tcase_add_test(tc, test_preserved);
	suite_add_tcase(s, tc);
	return s;
}
