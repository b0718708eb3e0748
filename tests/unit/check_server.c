// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's client connections (daemon/server.c), in the test's process
 * (unit_keeld.h): lines however they are cut, pipelined requests
 * answered in order, what does not parse, notifications, a line over
 * JSONRPC_MAX_LINE, what keeld-ro.sock refuses, events broadcast to
 * subscribers only, and the idle timeout of read-only clients.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "server.h"
#include "unit_keeld.h"

#define HOST_INFO(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"host.info\"}"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, NULL);
}

static void teardown(void)
{
	unit_keeld_stop(&u);
}

/* @resp answers id @id with a result; freed. */
static void assert_answer(struct json_object *resp, int id)
{
	ck_assert_ptr_nonnull(resp);
	unit_assert_ok(resp);
	ck_assert_str_eq(unit_str(resp, "/jsonrpc"), "2.0");
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/id")), id);
	json_object_put(resp);
}

START_TEST(test_one_request)
{
	struct unit_client c;
	struct json_object *resp;

	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, HOST_INFO(1));
	ck_assert_ptr_nonnull(unit_at(resp, "/result/hostname"));
	assert_answer(resp, 1);
	/* The connection serves on. */
	assert_answer(unit_client_call(&c, HOST_INFO(2)), 2);
	unit_client_close(&c);
}
END_TEST

/* Several lines in one write, one line over several: each answered. */
START_TEST(test_framing)
{
	static const char two[] = HOST_INFO(1) "\n" HOST_INFO(2) "\n";
	const char *half = HOST_INFO(3);
	struct unit_client c;

	unit_client_open(&c, &u, u.rw_sock);
	unit_client_send(&c, two, strlen(two));
	assert_answer(unit_client_read(&c), 1);
	assert_answer(unit_client_read(&c), 2);
	/* Half a line is not a request yet. */
	unit_client_send(&c, half, 20);
	ck_assert(unit_client_quiet(&c, 50));
	unit_client_send(&c, half + 20, strlen(half) - 20);
	ck_assert(unit_client_quiet(&c, 50));
	unit_client_send(&c, "\r\n", 2);
	assert_answer(unit_client_read(&c), 3);
	unit_client_close(&c);
}
END_TEST

/* What does not parse gets an error with id null; the client stays. */
START_TEST(test_parse_error)
{
	struct unit_client c;
	struct json_object *resp;

	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, "this is not JSON");
	ck_assert_ptr_nonnull(resp);
	ck_assert(json_object_is_type(unit_at(resp, "/id"), json_type_null));
	unit_assert_error(resp, JSONRPC_PARSE_ERROR, NULL, NULL);
	resp = unit_client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":4}");
	unit_assert_error(resp, JSONRPC_INVALID_REQUEST, NULL, NULL);
	resp = unit_client_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"no.such\"}");
	unit_assert_error(resp, JSONRPC_METHOD_NOT_FOUND, NULL, NULL);
	assert_answer(unit_client_call(&c, HOST_INFO(6)), 6);
	unit_client_close(&c);
}
END_TEST

/* A notification is run and never answered. */
START_TEST(test_notification)
{
	static const char line[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"host.info\"}\n"
		"{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}\n";
	struct unit_client c;

	unit_client_open(&c, &u, u.rw_sock);
	unit_client_send(&c, line, strlen(line));
	ck_assert(unit_client_quiet(&c, 100));
	assert_answer(unit_client_call(&c, HOST_INFO(5)), 5);
	unit_client_close(&c);
}
END_TEST

/* A line past JSONRPC_MAX_LINE: KEEL_E_TOO_LARGE, then the close. */
START_TEST(test_line_too_long)
{
	size_t len = JSONRPC_MAX_LINE + 4096;
	char *big = malloc(len);
	struct unit_client c;
	struct json_object *resp;

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', len);
	unit_client_open(&c, &u, u.rw_sock);
	unit_client_send(&c, big, len);
	resp = unit_client_read(&c);
	ck_assert_ptr_nonnull(resp);
	unit_assert_error(resp, KEEL_E_TOO_LARGE, NULL, NULL);
	ck_assert_ptr_null(unit_client_read(&c));
	ck_assert(c.eof);
	unit_client_close(&c);
	free(big);
	/* Others are served as before. */
	assert_answer(unit_keeld_call(&u, u.rw_sock, "host.info", NULL), 7);
}
END_TEST

/* keeld-ro.sock: read-only methods only. */
START_TEST(test_read_only)
{
	assert_answer(unit_keeld_call(&u, u.ro_sock, "domain.list", NULL), 7);
	unit_assert_error(unit_keeld_call(&u, u.ro_sock, "domain.define",
					  "{\"config\":{\"name\":\"a\",\"kernel\":\"/k\"}}"),
			  KEEL_E_PERMISSION, NULL, NULL);
	/* Nothing was defined. */
	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.info",
					  "{\"name\":\"a\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
}
END_TEST

/* server_broadcast() reaches the subscribed connections only. */
START_TEST(test_broadcast)
{
	struct unit_client sub, other;
	struct json_object *msg, *ev;

	unit_client_open(&sub, &u, u.ro_sock);
	unit_client_open(&other, &u, u.ro_sock);
	assert_answer(unit_client_call(&sub, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}"),
		      1);
	assert_answer(unit_client_call(&other, HOST_INFO(1)), 1);
	msg = json_tokener_parse("{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"n\":42}}");
	server_broadcast(u.k.server, msg);
	json_object_put(msg);
	ev = unit_client_read(&sub);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(unit_str(ev, "/method"), "event");
	ck_assert_int_eq(json_object_get_int(unit_at(ev, "/params/n")), 42);
	json_object_put(ev);
	ck_assert(unit_client_quiet(&other, 50));
	unit_client_close(&sub);
	unit_client_close(&other);
}
END_TEST

/* An idle read-only client is closed (client_idle_timeout); root's not. */
START_TEST(test_idle_timeout)
{
	struct unit_client ro, rw;

	/* Only here: a slow machine must not close the other tests' clients. */
	unit_keeld_stop(&u);
	unit_keeld_start(&u, "client_idle_timeout = 1\n");
	unit_client_open(&ro, &u, u.ro_sock);
	unit_client_open(&rw, &u, u.rw_sock);
	assert_answer(unit_client_call(&ro, HOST_INFO(1)), 1);
	ck_assert_ptr_null(unit_client_read(&ro));
	ck_assert(ro.eof);
	assert_answer(unit_client_call(&rw, HOST_INFO(2)), 2);
	unit_client_close(&ro);
	unit_client_close(&rw);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("connections");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_one_request);
	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_parse_error);
	tcase_add_test(tc, test_notification);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_idle_timeout);
	suite_add_tcase(s, tc);
	return s;
}
