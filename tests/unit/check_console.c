// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.open_console (daemon/console.c), in the test's process
 * (unit_keeld.h) with fake_hv as keel-hv: who may open which console
 * how (a domain that is not running, a batch, typing on keeld-ro.sock),
 * the answer made of keel-hv's handshake, a console keel-hv refuses,
 * and the relay of frames both ways once the connection is the stream.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "console_proto.h"
#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define FAKE_HV KEEL_TEST_BUILDDIR "/tests/unit/fake_hv"
#define OPEN(params)                                                       \
	"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"domain.open_console\"," \
	"\"params\":" params "}"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, "hypervisor = " FAKE_HV "\n");
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\"}}")));
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"mute\",\"kernel\":\"/k\",\"cmdline\":\"fake.no-console\"}}")));
}

static void teardown(void)
{
	json_object_put(unit_keeld_call(&u, u.rw_sock, "domain.destroy",
					"{\"name\":\"web\"}"));
	json_object_put(unit_keeld_call(&u, u.rw_sock, "domain.destroy",
					"{\"name\":\"mute\"}"));
	unit_keeld_stop(&u);
}

static void start(const char *name)
{
	char params[64];

	snprintf(params, sizeof(params), "{\"name\":\"%s\"}", name);
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.rw_sock,
						       "domain.start",
						       params)));
}

/* Refused before keel-hv is asked. */
START_TEST(test_refusals)
{
	struct unit_client c;
	struct json_object *resp;

	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.open_console",
					  "{\"name\":\"db\"}"),
			  KEEL_E_NO_DOMAIN, "/name", NULL);
	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.open_console",
					  "{\"name\":\"web\"}"),
			  KEEL_E_INVALID_STATE, NULL, "no console");
	start("web");
	unit_assert_error(unit_keeld_call(&u, u.ro_sock, "domain.open_console",
					  "{\"name\":\"web\",\"mode\":\"write\"}"),
			  KEEL_E_PERMISSION, "/mode", "view");
	/* In a batch it could not be the connection's last word. */
	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_client_call(&c, "[" OPEN("{\"name\":\"web\"}") "]");
	ck_assert_ptr_nonnull(resp);
	ck_assert_int_eq(unit_code(json_object_array_get_idx(resp, 0)),
			 JSONRPC_INVALID_REQUEST);
	ck_assert_ptr_nonnull(strstr(unit_str(resp, "/0/error/message"),
				     "alone"));
	json_object_put(resp);
	unit_client_close(&c);
}
END_TEST

/* Frames both ways, unchanged, once the answer has come. */
START_TEST(test_relay)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];
	struct unit_client c;
	struct json_object *resp;

	start("web");
	unit_client_open(&c, &u, u.rw_sock);
	resp = unit_assert_ok(unit_client_call(&c, OPEN("{\"name\":\"web\"}")));
	ck_assert_str_eq(unit_str(resp, "/result/role"), "writer");
	ck_assert_str_eq(unit_str(resp, "/result/console"), "serial");
	json_object_put(resp);
	/* What keel-hv sent first. */
	console_frame_header(hdr, CONSOLE_FRAME_DATA, 6);
	unit_client_expect(&c, hdr, sizeof(hdr));
	unit_client_expect(&c, "hello\n", 6);
	/* Typed: fake_hv sends it back. */
	console_frame_header(hdr, CONSOLE_FRAME_DATA, 3);
	unit_client_send(&c, (const char *)hdr, sizeof(hdr));
	unit_client_send(&c, "abc", 3);
	unit_client_expect(&c, hdr, sizeof(hdr));
	unit_client_expect(&c, "abc", 3);
	unit_client_close(&c);
	/* The domain is none the worse for it. */
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.ro_sock,
		"domain.info", "{\"name\":\"web\"}")));
}
END_TEST

/* keel-hv's refusal of the handshake comes back in its own words. */
START_TEST(test_refused_by_hv)
{
	start("mute");
	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.open_console",
					  "{\"name\":\"mute\"}"),
			  KEEL_E_INVALID_STATE, NULL, "no such console");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("console");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_relay);
	tcase_add_test(tc, test_refused_by_hv);
	suite_add_tcase(s, tc);
	return s;
}
