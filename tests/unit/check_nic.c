// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain's NICs on the host (daemon/nic.c): the tap names and MACs
 * keeld gives them, and the sentence when a bridge cannot take a tap.
 * No interface is created or changed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "nic.h"
#include "registry.h"
#include "runner.h"

static struct json_object *nic(struct json_object *config, size_t i)
{
	struct json_object *list;

	ck_assert(json_object_object_get_ex(config, "nics", &list));
	return json_object_array_get_idx(list, i);
}

START_TEST(test_assign_names)
{
	struct json_object *c = json_tokener_parse(
		"{\"nics\":[{},{\"tap\":\"mine\"},"
		"{\"mac\":\"52:54:00:12:34:56\"}]}");

	nic_assign(c, 7);
	ck_assert_str_eq(json_member_string(nic(c, 0), "tap"), "keel7.0");
	ck_assert_str_eq(json_member_string(nic(c, 1), "tap"), "mine");
	ck_assert_str_eq(json_member_string(nic(c, 2), "tap"), "keel7.2");
	ck_assert_str_eq(json_member_string(nic(c, 2), "mac"),
			 "52:54:00:12:34:56");
	for (size_t i = 0; i < 2; i++) {
		const char *mac = json_member_string(nic(c, i), "mac");
		unsigned b[3];

		ck_assert_ptr_nonnull(mac);
		ck_assert_uint_eq(strlen(mac), 17);
		/* Xen's prefix, and the rest within it (xl's rule). */
		ck_assert(!strncmp(mac, "00:16:3e:", 9));
		ck_assert_int_eq(sscanf(mac + 9, "%2x:%2x:%2x", &b[0], &b[1],
					&b[2]),
				 3);
		ck_assert_uint_lt(b[0], 0x80);
	}
	/* Assigned once: a second pass keeps what the first gave. */
	{
		char mac0[18];

		snprintf(mac0, sizeof(mac0), "%s",
			 json_member_string(nic(c, 0), "mac"));
		nic_assign(c, 9);
		ck_assert_str_eq(json_member_string(nic(c, 0), "mac"), mac0);
		ck_assert_str_eq(json_member_string(nic(c, 0), "tap"),
				 "keel7.0");
	}
	json_object_put(c);
}
END_TEST

/* Every name keeld makes fits a Linux interface name. */
START_TEST(test_assign_fits_ifnamsiz)
{
	static const int ids[] = { 1, 99999999, 100000000, 2147483647 };

	for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
		struct json_object *c = json_tokener_parse(
			"{\"nics\":[{},{},{},{},{},{},{},{}]}");

		nic_assign(c, ids[k]);
		for (size_t i = 0; i < 8; i++)
			ck_assert_uint_lt(
				strlen(json_member_string(nic(c, i), "tap")),
				IFNAMSIZ);
		json_object_put(c);
	}
}
END_TEST

START_TEST(test_assign_no_nics)
{
	struct json_object *c = json_tokener_parse("{\"name\":\"a\"}");

	nic_assign(c, 3);
	ck_assert_str_eq(json_object_to_json_string_ext(c,
							JSON_C_TO_STRING_PLAIN),
			 "{\"name\":\"a\"}");
	json_object_put(c);
}
END_TEST

START_TEST(test_bridges)
{
	struct json_object *c = json_tokener_parse(
		"{\"nics\":[{\"tap\":\"keelnotap0\"}]}");
	char why[256] = "";

	/* No bridge named: nothing to do. */
	ck_assert_int_eq(nic_attach_bridges(c, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	json_object_put(c);
	c = json_tokener_parse("{}");
	ck_assert_int_eq(nic_attach_bridges(c, why, sizeof(why)), 0);
	json_object_put(c);

	/* A tap that does not exist: refused with a sentence naming both. */
	c = json_tokener_parse(
		"{\"nics\":[{\"tap\":\"keelnotap0\",\"bridge\":\"keelnobr0\"}]}");
	ck_assert_int_eq(nic_attach_bridges(c, why, sizeof(why)), -ENODEV);
	ck_assert_msg(strstr(why, "keelnotap0") && strstr(why, "keelnobr0"),
		      "%s", why);
	json_object_put(c);
}
END_TEST

/* keeld.conf's default_bridge goes to the NICs that name none. */
START_TEST(test_default_bridge)
{
	struct json_object *c = json_tokener_parse(
		"{\"nics\":[{},{\"bridge\":\"br1\"},{\"tap\":\"t\"}]}");

	nic_default_bridge(c, NULL);
	ck_assert_ptr_null(json_member_string(nic(c, 0), "bridge"));
	nic_default_bridge(c, "xenbr0");
	ck_assert_str_eq(json_member_string(nic(c, 0), "bridge"), "xenbr0");
	ck_assert_str_eq(json_member_string(nic(c, 1), "bridge"), "br1");
	ck_assert_str_eq(json_member_string(nic(c, 2), "bridge"), "xenbr0");
	json_object_put(c);

	/* no NICs: nothing to do */
	c = json_tokener_parse("{\"name\":\"n\"}");
	nic_default_bridge(c, "xenbr0");
	ck_assert(!json_object_object_get_ex(c, "nics", NULL));
	json_object_put(c);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("nic");
	TCase *tc = tcase_create("nic");

	tcase_add_test(tc, test_assign_names);
	tcase_add_test(tc, test_default_bridge);
	tcase_add_test(tc, test_assign_fits_ifnamsiz);
	tcase_add_test(tc, test_assign_no_nics);
	tcase_add_test(tc, test_bridges);
	suite_add_tcase(s, tc);
	return s;
}
