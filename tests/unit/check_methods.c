// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's method table (daemon/methods.c): it agrees with
 * schemas/keel.openrpc.json, keeld refuses to start on a document that
 * drifted from it, and every request is checked before its handler
 * runs: the method exists, the socket allows it, its params match.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel.h"
#include "keeld.h"
#include "log.h"
#include "methods.h"
#include "registry.h"
#include "runner.h"

static char schemas[PATH_MAX];
static char tmp[64];

static void setup(void)
{
	const char *src = getenv("KEEL_SRCDIR");

	snprintf(schemas, sizeof(schemas), "%s/schemas",
		 src ? src : KEEL_TEST_SRCDIR);
	snprintf(tmp, sizeof(tmp), "/tmp/check_methods.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	log_init("check_methods", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static struct json_object *openrpc(void)
{
	char path[PATH_MAX + 32];
	struct json_object *doc;

	snprintf(path, sizeof(path), "%s/keel.openrpc.json", schemas);
	doc = json_object_from_file(path);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

/* @doc (owned) and the real domain schema, in the temporary directory. */
static int methods_new_with(struct json_object *doc)
{
	char path[PATH_MAX + 32], cmd[2 * PATH_MAX];
	struct methods *m = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/keel.openrpc.json", tmp);
	ck_assert_int_eq(json_object_to_file(path, doc), 0);
	json_object_put(doc);
	snprintf(cmd, sizeof(cmd), "cp '%s/domain.schema.json' '%s/'", schemas,
		 tmp);
	ck_assert_int_eq(system(cmd), 0);
	rc = methods_new(tmp, &m);
	ck_assert(rc ? m == NULL : m != NULL);
	methods_free(m);
	return rc;
}

static struct json_object *doc_methods(struct json_object *doc)
{
	struct json_object *list;

	ck_assert(json_object_object_get_ex(doc, "methods", &list));
	return list;
}

static struct json_object *doc_method(struct json_object *doc,
				      const char *name)
{
	struct json_object *list = doc_methods(doc);

	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *m = json_object_array_get_idx(list, i);

		if (!strcmp(json_member_string(m, "name"), name))
			return m;
	}
	ck_abort_msg("no method %s in the document", name);
	return NULL;
}

START_TEST(test_table_agrees)
{
	struct methods *m = NULL;

	ck_assert_int_eq(methods_new(schemas, &m), 0);
	ck_assert_ptr_nonnull(methods_config_schema(m));
	methods_free(m);
	methods_free(NULL);
	/* The same document copied: the helper works. */
	ck_assert_int_eq(methods_new_with(openrpc()), 0);
}
END_TEST

/* keeld does not start on a document that drifted from its table. */
START_TEST(test_drift_refused)
{
	struct json_object *doc, *list;

	/* A method the table has, missing from the document. */
	doc = openrpc();
	list = doc_methods(doc);
	json_object_array_del_idx(list, 0, 1);
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);

	/* A method the document has, missing from the table. */
	doc = openrpc();
	json_object_array_add(doc_methods(doc),
			      json_tokener_parse("{\"name\":\"domain.teleport\","
						 "\"x-keel-access\":\"read-write\","
						 "\"params\":[]}"));
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);

	/* Access that disagrees. */
	doc = openrpc();
	json_object_object_add(doc_method(doc, "domain.destroy"),
			       "x-keel-access",
			       json_object_new_string("read-only"));
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);
	doc = openrpc();
	json_object_object_del(doc_method(doc, "domain.list"),
			       "x-keel-access");
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);

	/* Params that are not a list, or refer to nothing. */
	doc = openrpc();
	json_object_object_del(doc_method(doc, "domain.info"), "params");
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);
	doc = openrpc();
	json_object_object_add(
		doc_method(doc, "domain.info"), "params",
		json_tokener_parse("[{\"$ref\":\"#/components/contentDescriptors/Nothing\"}]"));
	ck_assert_int_eq(methods_new_with(doc), -EINVAL);

	/* No document at all. */
	{
		struct methods *m = NULL;

		ck_assert_int_lt(methods_new("/nonexistent", &m), 0);
		ck_assert_ptr_null(m);
	}
}
END_TEST

/* The code of methods_handle()'s answer; @field gets data.field. */
static int handle(struct methods_caller *caller, const char *method,
		  const char *params, const char **field)
{
	struct json_object *p = params ? json_tokener_parse(params) : NULL;
	struct json_object *id = json_object_new_int(1), *resp, *err, *v;
	struct jsonrpc_req req = { .method = method, .params = p, .id = id };
	static char fieldbuf[128];
	int code;

	resp = methods_handle(caller, &req);
	ck_assert_ptr_nonnull(resp);
	ck_assert_msg(json_object_object_get_ex(resp, "error", &err),
		      "%s: %s", method, json_object_to_json_string(resp));
	ck_assert(json_object_object_get_ex(err, "code", &v));
	code = json_object_get_int(v);
	/* Every refusal says, in a sentence, what to do. */
	ck_assert(json_object_object_get_ex(err, "message", &v));
	ck_assert_int_gt(json_object_get_string_len(v), 10);
	if (field) {
		*field = NULL;
		if (json_object_object_get_ex(err, "data", &v) &&
		    json_object_object_get_ex(v, "field", &v)) {
			snprintf(fieldbuf, sizeof(fieldbuf), "%s",
				 json_object_get_string(v));
			*field = fieldbuf;
		}
	}
	json_object_put(resp);
	json_object_put(p);
	json_object_put(id);
	return code;
}

/* What is refused before any handler runs. */
START_TEST(test_refusals)
{
	struct keeld k = { 0 };
	struct methods_caller rw = { .keeld = &k };
	struct methods_caller ro = { .keeld = &k, .read_only = true };
	struct json_object *doc = openrpc(), *list = doc_methods(doc);
	const char *field;
	unsigned refused = 0;

	ck_assert_int_eq(methods_new(schemas, &k.methods), 0);
	ck_assert_int_eq(handle(&rw, "domain.teleport", NULL, NULL),
			 JSONRPC_METHOD_NOT_FOUND);
	/* Every read-write method of the document, on keeld-ro.sock. */
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *m = json_object_array_get_idx(list, i);

		if (strcmp(json_member_string(m, "x-keel-access"),
			   "read-write"))
			continue;
		ck_assert_int_eq(handle(&ro, json_member_string(m, "name"),
					"{\"name\":\"x\"}", NULL),
				 KEEL_E_PERMISSION);
		refused++;
	}
	ck_assert_uint_ge(refused, 8);
	/* Params by position, or that the schema refuses, with the field. */
	ck_assert_int_eq(handle(&rw, "domain.info", "[\"x\"]", &field),
			 JSONRPC_INVALID_PARAMS);
	ck_assert_int_eq(handle(&ro, "domain.info", "{\"bogus\":1}", &field),
			 JSONRPC_INVALID_PARAMS);
	ck_assert_ptr_nonnull(field);
	ck_assert_int_eq(handle(&rw, "domain.define",
				"{\"config\":{\"name\":\"a b\",\"kernel\":\"/k\"}}",
				&field),
			 JSONRPC_INVALID_PARAMS);
	ck_assert_str_eq(field, "/config/name");
	ck_assert_int_eq(handle(&rw, "domain.define", "{}", &field),
			 JSONRPC_INVALID_PARAMS);
	json_object_put(doc);
	methods_free(k.methods);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("methods");
	TCase *tc = tcase_create("methods");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_table_agrees);
	tcase_add_test(tc, test_drift_refused);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}
