// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keeld answers a line (daemon/answer.c), in the test's process
 * (unit_keeld.h): batches answered in request order without their
 * notifications, batches keel does not take, the limit on a line's
 * answers (KEEL_E_TOO_LARGE, with the rest not run), and deferred
 * answers put in their place in a batch's answer.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define REQ(id, method) \
	"{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"" method "\"}"
#define NOTE(method) "{\"jsonrpc\":\"2.0\",\"method\":\"" method "\"}"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, NULL);
}

static void teardown(void)
{
	unit_keeld_stop(&u);
}

/* Answers in request order; notifications leave no trace. */
START_TEST(test_batch_order)
{
	struct unit_client c;
	struct json_object *resp;

	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, "[" REQ(3, "domain.list") "," NOTE("host.info")
				    "," REQ(1, "host.info") ","
				    REQ(2, "no.such") "]");
	ck_assert_ptr_nonnull(resp);
	ck_assert(json_object_is_type(resp, json_type_array));
	ck_assert_uint_eq(json_object_array_length(resp), 3);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/0/id")), 3);
	ck_assert(json_object_is_type(unit_at(resp, "/0/result"),
				      json_type_array));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/1/id")), 1);
	ck_assert_ptr_nonnull(unit_at(resp, "/1/result/hostname"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/2/id")), 2);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/2/error/code")),
			 JSONRPC_METHOD_NOT_FOUND);
	json_object_put(resp);
	unit_client_close(&c);
}
END_TEST

/* A batch of notifications only is answered with nothing at all. */
START_TEST(test_batch_of_notifications)
{
	static const char line[] =
		"[" NOTE("host.info") "," NOTE("domain.list") "]\n";
	struct unit_client c;
	struct json_object *resp;

	unit_client_open(&c, &u, u.rw_sock);
	unit_client_send(&c, line, strlen(line));
	ck_assert(unit_client_quiet(&c, 100));
	resp = unit_client_call(&c, REQ(9, "host.info"));
	ck_assert_int_eq(json_object_get_int(unit_at(unit_assert_ok(resp),
						     "/id")),
			 9);
	json_object_put(resp);
	unit_client_close(&c);
}
END_TEST

/* Batches keel does not take: empty, and longer than JSONRPC_MAX_BATCH. */
START_TEST(test_batch_refused)
{
	size_t n = JSONRPC_MAX_BATCH + 1, len = 0;
	char *line = malloc(n * 64 + 4);
	struct unit_client c;
	struct json_object *resp;

	ck_assert_ptr_nonnull(line);
	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, "[]");
	ck_assert(json_object_is_type(resp, json_type_object));
	unit_assert_error(resp, JSONRPC_INVALID_REQUEST, NULL, NULL);

	line[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(line + len, "%s" REQ(1, "host.info"),
				       i ? "," : "");
	line[len++] = ']';
	line[len] = '\0';
	resp = unit_client_call(&c, line);
	ck_assert_ptr_nonnull(resp);
	ck_assert_msg(json_object_is_type(resp, json_type_object),
		      "a batch of %zu was answered request by request", n);
	ck_assert_int_ne(unit_code(resp), 0);
	json_object_put(resp);
	free(line);
	unit_client_close(&c);
}
END_TEST

/*
 * The answers to one line may not pass JSONRPC_MAX_LINE: the line is
 * answered KEEL_E_TOO_LARGE, and the requests past the limit are not
 * run (the last one here would define a domain).
 */
START_TEST(test_answers_too_large)
{
	char name[32], params[128], *line;
	struct unit_client c;
	struct json_object *resp;
	size_t len = 0;

	/* domain.list's answer: some 200 bytes a domain. */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "dom-with-a-longish-name-%02d", i);
		snprintf(params, sizeof(params),
			 "{\"config\":{\"name\":\"%s\",\"kernel\":\"/k\"}}",
			 name);
		json_object_put(unit_assert_ok(unit_keeld_call(
			&u, u.rw_sock, "domain.define", params)));
	}
	line = malloc(JSONRPC_MAX_BATCH * 64 + 256);
	ck_assert_ptr_nonnull(line);
	line[len++] = '[';
	for (int i = 0; i < JSONRPC_MAX_BATCH - 1; i++)
		len += (size_t)sprintf(line + len, REQ(1, "domain.list") ",");
	len += (size_t)sprintf(line + len,
			       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"late\",\"kernel\":\"/k\"}}}]");
	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, line);
	ck_assert_ptr_nonnull(resp);
	unit_assert_error(resp, KEEL_E_TOO_LARGE, NULL, NULL);
	free(line);
	/* The connection serves on; "late" was never defined. */
	resp = unit_client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"domain.info\",\"params\":{\"name\":\"late\"}}");
	unit_assert_error(resp, KEEL_E_NO_DOMAIN, NULL, NULL);
	unit_client_close(&c);
}
END_TEST

/*
 * A deferred request in a batch (domain.start waits for keel-hv, here
 * /bin/false, which fails): the batch is answered once it is, each
 * answer in its request's place.
 */
START_TEST(test_deferred_in_batch)
{
	struct unit_client c;
	struct json_object *resp;

	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}")));
	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, "[" REQ(1, "host.info") ","
				    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.start\",\"params\":{\"name\":\"web\"}},"
				    REQ(3, "domain.list") "]");
	ck_assert_ptr_nonnull(resp);
	ck_assert(json_object_is_type(resp, json_type_array));
	ck_assert_uint_eq(json_object_array_length(resp), 3);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/0/id")), 1);
	ck_assert_ptr_nonnull(unit_at(resp, "/0/result"));
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/1/id")), 2);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/1/error/code")),
			 KEEL_E_OPERATION_FAILED);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/2/id")), 3);
	ck_assert_ptr_nonnull(unit_at(resp, "/2/result"));
	json_object_put(resp);
	/* The same request alone: its answer comes when keel-hv is gone. */
	resp = unit_client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"domain.start\",\"params\":{\"name\":\"web\"}}");
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/id")), 4);
	unit_assert_error(resp, KEEL_E_OPERATION_FAILED, NULL, "web");
	unit_client_close(&c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("answer");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_batch_order);
	tcase_add_test(tc, test_batch_of_notifications);
	tcase_add_test(tc, test_batch_refused);
	tcase_add_test(tc, test_answers_too_large);
	tcase_add_test(tc, test_deferred_in_batch);
	suite_add_tcase(s, tc);
	return s;
}
