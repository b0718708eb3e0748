// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.trigger, domain.sysrq, domain.button_press and
 * domain.dump_core through a real keeld, without /dev/kvm: what keeld
 * refuses before any keel-hv is asked (the schema's words, a domain
 * that is not running or does not exist), and keel's usage errors for
 * the same commands. check_triggers runs them on running guests.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "keel.h"
#include "keeld_fixture.h"
#include "runner.h"

static int keel(const char *a1, const char *a2, const char *a3,
		const char *a4, char **out)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "-c", rw_sock,
			 (char *)a1, (char *)a2, (char *)a3, (char *)a4,
			 NULL };
	struct proc p;
	int rc;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, WAIT_MS);
	if (out)
		*out = strdup(p.out);
	proc_dispose(&p);
	return rc;
}

/* @resp is @code, and its message holds @words. */
static void refused(struct json_object *resp, int code, const char *words)
{
	ck_assert_msg(code_of(resp) == code, "%s",
		      json_object_to_json_string(resp));
	ck_assert_msg(strstr(str_at(resp, "/error/message"), words),
		      "\"%s\" not in %s", words,
		      json_object_to_json_string(resp));
	json_object_put(resp);
}

START_TEST(test_not_running)
{
	char *out;

	keeld_start();
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"off\",\"kernel\":\"/k\"}}"));
	refused(rpc_call("domain.trigger",
			 "{\"name\":\"off\",\"trigger\":\"nmi\"}"),
		KEEL_E_INVALID_STATE, "Domain off is not running");
	refused(rpc_call("domain.sysrq", "{\"name\":\"off\",\"key\":\"s\"}"),
		KEEL_E_INVALID_STATE, "not running");
	refused(rpc_call("domain.button_press",
			 "{\"name\":\"off\",\"button\":\"power\"}"),
		KEEL_E_INVALID_STATE, "not running");
	refused(rpc_call("domain.dump_core",
			 "{\"name\":\"off\",\"path\":\"/tmp/off.core\"}"),
		KEEL_E_INVALID_STATE, "no memory to dump");
	refused(rpc_call("domain.sysrq", "{\"name\":\"none\",\"key\":\"s\"}"),
		KEEL_E_NO_DOMAIN, "");
	ck_assert_int_eq(keel("dump-core", "off", "/tmp/off.core", NULL, &out),
			 1);
	ck_assert_msg(strstr(out, "no memory to dump"), "%s", out);
	free(out);
	keeld_stop();
}
END_TEST

/* @resp is -32602 for @field (NULL: any). */
static void invalid(struct json_object *resp, const char *field)
{
	assert_error(resp, JSONRPC_INVALID_PARAMS, field);
	json_object_put(resp);
}

/* The schema refuses before the handler looks at the domain. */
START_TEST(test_schema)
{
	keeld_start();
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"d\",\"kernel\":\"/k\"}}"));
	invalid(rpc_call("domain.trigger",
			 "{\"name\":\"d\",\"trigger\":\"init\"}"),
		"/trigger");
	invalid(rpc_call("domain.trigger",
			 "{\"name\":\"d\",\"trigger\":\"nmi\",\"vcpu\":64}"),
		"/vcpu");
	invalid(rpc_call("domain.sysrq", "{\"name\":\"d\",\"key\":\"S\"}"),
		"/key");
	invalid(rpc_call("domain.sysrq", "{\"name\":\"d\",\"key\":\"ss\"}"),
		"/key");
	invalid(rpc_call("domain.button_press",
			 "{\"name\":\"d\",\"button\":\"lid\"}"),
		"/button");
	invalid(rpc_call("domain.dump_core",
			 "{\"name\":\"d\",\"path\":\"rel.core\"}"),
		"/path");
	invalid(rpc_call("domain.dump_core", "{\"name\":\"d\"}"),
		NULL);
	keeld_stop();
}
END_TEST

/* keel's own checks: status 2 and nothing asked of keeld. */
START_TEST(test_usage)
{
	char *out;

	ck_assert_int_eq(keel("trigger", "d", "init", NULL, &out), 2);
	ck_assert_msg(strstr(out, "nmi, reset, power or s3resume"), "%s", out);
	free(out);
	ck_assert_int_eq(keel("trigger", "d", "reset", "1", &out), 2);
	ck_assert_msg(strstr(out, "Only nmi goes to one vCPU"), "%s", out);
	free(out);
	ck_assert_int_eq(keel("trigger", "d", "nmi", "x", NULL), 2);
	ck_assert_int_eq(keel("sysrq", "d", "S", NULL, NULL), 2);
	ck_assert_int_eq(keel("sysrq", "d", "", NULL, NULL), 2);
	ck_assert_int_eq(keel("button-press", "d", "lid", NULL, NULL), 2);
	ck_assert_int_eq(keel("dump-core", "d", NULL, NULL, NULL), 2);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("trigger_methods");
	TCase *tc = keeld_tcase("keeld", 60);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("cli/keel")))
		runner_skip_reason = "keeld or keel is not built";
	tcase_add_test(tc, test_not_running);
	tcase_add_test(tc, test_schema);
	tcase_add_test(tc, test_usage);
	suite_add_tcase(s, tc);
	return s;
}
