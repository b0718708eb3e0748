// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's disk and NIC attach and detach (daemon/device_methods.c) on a
 * defined domain that is not running: the definition gains the disk or
 * NIC at the end and loses the one named (by vdev, path, MAC in any
 * case, tap or place); a change that would make a bad configuration (a
 * vdev twice, a 17th disk, a bad MAC, unknown members) or names no
 * device is refused with the field and changes nothing; a domain that
 * does not exist is -32001. The live half, through keel-hv and a guest,
 * is tests/integration/check_hotplug's.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "jsonrpc.h"
#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, NULL);
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\","
		"\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/srv/a.img\"}]}}")));
}

static void teardown(void)
{
	unit_keeld_stop(&u);
}

static struct json_object *rpc(const char *method, const char *params)
{
	return unit_keeld_call(&u, u.rw_sock, method, params);
}

/* The definition's @list as JSON text (a static buffer). */
static const char *listed(const char *list)
{
	static char buf[1024];
	struct json_object *resp = unit_assert_ok(
		rpc("domain.config", "{\"name\":\"web\"}"));
	struct json_object *v = unit_at(resp, "/result");

	json_object_object_get_ex(v, list, &v);
	snprintf(buf, sizeof(buf), "%s",
		 v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) :
		     "none");
	json_object_put(resp);
	return buf;
}

START_TEST(test_block_attach_detach)
{
	struct json_object *resp;

	resp = unit_assert_ok(rpc("domain.block_attach",
		"{\"name\":\"web\",\"disk\":{\"vdev\":\"xvdb\","
		"\"path\":\"/srv/b.img\",\"readonly\":true}}"));
	ck_assert_str_eq(unit_str(resp, "/result/disk/vdev"), "xvdb");
	json_object_put(resp);
	ck_assert_str_eq(listed("disks"),
			 "[{\"vdev\":\"xvda\",\"path\":\"\\/srv\\/a.img\"},"
			 "{\"vdev\":\"xvdb\",\"path\":\"\\/srv\\/b.img\","
			 "\"readonly\":true}]");
	/* By path, then by place. */
	json_object_put(unit_assert_ok(rpc("domain.block_detach",
		"{\"name\":\"web\",\"disk\":\"/srv/a.img\"}")));
	ck_assert_str_eq(listed("disks"),
			 "[{\"vdev\":\"xvdb\",\"path\":\"\\/srv\\/b.img\","
			 "\"readonly\":true}]");
	resp = unit_assert_ok(rpc("domain.block_detach",
		"{\"name\":\"web\",\"disk\":0}"));
	ck_assert_str_eq(unit_str(resp, "/result/disk/vdev"), "xvdb");
	json_object_put(resp);
	ck_assert_str_eq(listed("disks"), "[]");
}
END_TEST

START_TEST(test_block_refusals)
{
	const char *before = "[{\"vdev\":\"xvda\",\"path\":\"\\/srv\\/a.img\"}]";
	char params[4096];
	size_t n;

	/* The vdev it has already, a bad vdev, a member disks lack. */
	unit_assert_error(rpc("domain.block_attach",
		"{\"name\":\"web\",\"disk\":{\"vdev\":\"xvda\","
		"\"path\":\"/srv/b.img\"}}"),
		JSONRPC_INVALID_PARAMS, NULL, "xvda");
	unit_assert_error(rpc("domain.block_attach",
		"{\"name\":\"web\",\"disk\":{\"vdev\":\"xyz\","
		"\"path\":\"/srv/b.img\"}}"),
		JSONRPC_INVALID_PARAMS, NULL, NULL);
	unit_assert_error(rpc("domain.block_attach",
		"{\"name\":\"web\",\"disk\":{\"vdev\":\"xvdb\","
		"\"path\":\"/srv/b.img\",\"cache\":\"none\"}}"),
		JSONRPC_INVALID_PARAMS, "/disk/cache", "unknown member");
	/* A disk it does not have; a domain that does not exist. */
	unit_assert_error(rpc("domain.block_detach",
		"{\"name\":\"web\",\"disk\":\"xvdq\"}"),
		JSONRPC_INVALID_PARAMS, "/disk", "no disk xvdq");
	unit_assert_error(rpc("domain.block_detach",
		"{\"name\":\"web\",\"disk\":3}"),
		JSONRPC_INVALID_PARAMS, "/disk", NULL);
	unit_assert_error(rpc("domain.block_attach",
		"{\"name\":\"nope\",\"disk\":{\"vdev\":\"xvdb\","
		"\"path\":\"/srv/b.img\"}}"),
		KEEL_E_NO_DOMAIN, NULL, NULL);
	ck_assert_str_eq(listed("disks"), before);

	/* Sixteen disks, then a seventeenth is refused. */
	for (unsigned i = 1; i < 16; i++) {
		snprintf(params, sizeof(params),
			 "{\"name\":\"web\",\"disk\":{\"vdev\":\"xvd%c\","
			 "\"path\":\"/srv/%u.img\"}}",
			 'a' + i, i);
		json_object_put(unit_assert_ok(rpc("domain.block_attach",
						   params)));
	}
	unit_assert_error(rpc("domain.block_attach",
		"{\"name\":\"web\",\"disk\":{\"vdev\":\"xvdz\","
		"\"path\":\"/srv/z.img\"}}"),
		JSONRPC_INVALID_PARAMS, NULL, NULL);
	n = strlen(listed("disks"));
	ck_assert_ptr_null(strstr(listed("disks"), "xvdz"));
	ck_assert_uint_gt(n, 0);
}
END_TEST

START_TEST(test_network_attach_detach)
{
	json_object_put(unit_assert_ok(rpc("domain.network_attach",
		"{\"name\":\"web\",\"nic\":{\"mac\":\"00:16:3e:00:00:01\"}}")));
	json_object_put(unit_assert_ok(rpc("domain.network_attach",
		"{\"name\":\"web\",\"nic\":{\"tap\":\"vif9\"}}")));
	ck_assert_str_eq(listed("nics"),
			 "[{\"mac\":\"00:16:3e:00:00:01\"},{\"tap\":\"vif9\"}]");
	/* A MAC twice, a multicast MAC: refused. */
	unit_assert_error(rpc("domain.network_attach",
		"{\"name\":\"web\",\"nic\":{\"mac\":\"00:16:3E:00:00:01\","
		"\"tap\":\"x\"}}"),
		JSONRPC_INVALID_PARAMS, NULL, NULL);
	unit_assert_error(rpc("domain.network_attach",
		"{\"name\":\"web\",\"nic\":{\"mac\":\"01:16:3e:00:00:02\"}}"),
		JSONRPC_INVALID_PARAMS, NULL, "multicast");
	/* By MAC in upper case, then by tap. */
	json_object_put(unit_assert_ok(rpc("domain.network_detach",
		"{\"name\":\"web\",\"nic\":\"00:16:3E:00:00:01\"}")));
	ck_assert_str_eq(listed("nics"), "[{\"tap\":\"vif9\"}]");
	json_object_put(unit_assert_ok(rpc("domain.network_detach",
		"{\"name\":\"web\",\"nic\":\"vif9\"}")));
	ck_assert_str_eq(listed("nics"), "[]");
	unit_assert_error(rpc("domain.network_detach",
		"{\"name\":\"web\",\"nic\":0}"),
		JSONRPC_INVALID_PARAMS, "/nic", NULL);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("device_methods");
	TCase *tc = tcase_create("defined domain");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_block_attach_detach);
	tcase_add_test(tc, test_block_refusals);
	tcase_add_test(tc, test_network_attach_detach);
	suite_add_tcase(s, tc);
	return s;
}
