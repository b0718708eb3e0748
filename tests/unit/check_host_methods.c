// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * host.info (daemon/host_methods.c), in the test's process
 * (unit_keeld.h): each member against what the host says itself, and
 * the count of domains as they are defined and removed; on both sockets.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "unit_keeld.h"

static struct unit_keeld u;

static void setup(void)
{
	unit_keeld_start(&u, NULL);
}

static void teardown(void)
{
	unit_keeld_stop(&u);
}

static int64_t nr_domains(const char *sock)
{
	struct json_object *resp = unit_assert_ok(
		unit_keeld_call(&u, sock, "host.info", NULL));
	int64_t n = json_object_get_int64(unit_at(resp, "/result/nr_domains"));

	json_object_put(resp);
	return n;
}

START_TEST(test_host)
{
	struct json_object *resp;
	char host[HOST_NAME_MAX + 1] = "";
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	resp = unit_assert_ok(unit_keeld_call(&u, u.ro_sock, "host.info",
					      NULL));
	ck_assert_str_eq(unit_str(resp, "/result/hostname"), host);
	ck_assert_str_eq(unit_str(resp, "/result/version"), PACKAGE_VERSION);
	ck_assert_int_eq(json_object_get_int(unit_at(resp, "/result/nr_cpus")),
			 sysconf(_SC_NPROCESSORS_ONLN));
	ck_assert_int_eq(json_object_get_int64(unit_at(resp,
						       "/result/memory_mib")),
			 (int64_t)pages * page >> 20);
	json_object_put(resp);
}
END_TEST

START_TEST(test_nr_domains)
{
	ck_assert_int_eq(nr_domains(u.rw_sock), 0);
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.rw_sock,
		"domain.define", "{\"config\":{\"name\":\"a\",\"kernel\":\"/k\"}}")));
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.rw_sock,
		"domain.define", "{\"config\":{\"name\":\"b\",\"kernel\":\"/k\"}}")));
	ck_assert_int_eq(nr_domains(u.ro_sock), 2);
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.rw_sock,
		"domain.undefine", "{\"name\":\"a\"}")));
	ck_assert_int_eq(nr_domains(u.rw_sock), 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("host_methods");
	TCase *tc = tcase_create("host_methods");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host);
	tcase_add_test(tc, test_nr_domains);
	suite_add_tcase(s, tc);
	return s;
}
