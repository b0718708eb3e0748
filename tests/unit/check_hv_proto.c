// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The limits are written once, in lib/hv_proto.h; the domain schema
 * states the same numbers for JSON clients (schemas/domain.schema.json).
 * This suite fails when the two drift apart.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "hv_proto.h"
#include "runner.h"

static struct json_object *schema;

static void load_schema(void)
{
	const char *src = getenv("KEEL_SRCDIR");
	char path[4096];

	snprintf(path, sizeof(path), "%s/schemas/domain.schema.json",
		 src && *src ? src : KEEL_SRCDIR);
	schema = json_object_from_file(path);
	ck_assert_msg(schema, "cannot read %s", path);
}

static void free_schema(void)
{
	json_object_put(schema);
}

/* The integer at JSON Pointer-like @path ("properties/vcpus/maximum"). */
static long long schema_int(const char *path)
{
	struct json_object *o = schema;
	char key[128];
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, "/");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		ck_assert_msg(json_object_object_get_ex(o, key, &o),
			      "the schema has no %s", path);
		p += n + (p[n] == '/');
	}
	ck_assert_msg(json_object_is_type(o, json_type_int),
		      "the schema's %s is not an integer", path);
	return json_object_get_int64(o);
}

START_TEST(test_vcpus)
{
	ck_assert_int_eq(schema_int("properties/vcpus/minimum"), KEEL_VCPUS_MIN);
	ck_assert_int_eq(schema_int("properties/vcpus/maximum"), KEEL_VCPUS_MAX);
	ck_assert_int_eq(schema_int("properties/maxvcpus/minimum"),
			 KEEL_VCPUS_MIN);
	ck_assert_int_eq(schema_int("properties/maxvcpus/maximum"),
			 KEEL_VCPUS_MAX);
	/* A cap is a percentage of one CPU: 100 per vCPU at most. */
	ck_assert_int_eq(schema_int("properties/cap/maximum"),
			 100 * KEEL_VCPUS_MAX);
}
END_TEST

START_TEST(test_memory)
{
	ck_assert_int_eq(schema_int("properties/memory/minimum"),
			 KEEL_MEMORY_MIN_MIB);
	ck_assert_int_eq(schema_int("properties/memory/maximum"),
			 KEEL_MEMORY_MAX_MIB);
	ck_assert_int_eq(schema_int("properties/maxmem/minimum"),
			 KEEL_MEMORY_MIN_MIB);
	ck_assert_int_eq(schema_int("properties/maxmem/maximum"),
			 KEEL_MEMORY_MAX_MIB);
}
END_TEST

START_TEST(test_devices_and_names)
{
	ck_assert_int_eq(schema_int("properties/disks/maxItems"),
			 KEEL_DISKS_MAX);
	ck_assert_int_eq(schema_int("properties/nics/maxItems"), KEEL_NICS_MAX);
	ck_assert_int_eq(schema_int("properties/name/maxLength"),
			 KEEL_DOMAIN_NAME_MAX);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv_proto");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, load_schema, free_schema);
	tcase_add_test(tc, test_vcpus);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_devices_and_names);
	suite_add_tcase(s, tc);
	return s;
}
