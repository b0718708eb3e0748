// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON Schema validator (lib/jschema.c): each keyword valid and
 * invalid, error paths and messages, $ref, the alternatives, and the
 * schemas it must refuse to compile.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jschema.h"
#include "runner.h"

static struct json_object *parse(const char *text)
{
	/* deeper than json-c's default of 32, for the depth tests */
	struct json_tokener *tok = json_tokener_new_ex(256);
	struct json_object *v = json_tokener_parse_ex(tok, text,
						      strlen(text) + 1);

	ck_assert_msg(json_tokener_get_error(tok) == json_tokener_success,
		      "bad test JSON: %s", text);
	json_tokener_free(tok);
	return v;
}

static struct jschema *compile(const char *schema)
{
	struct json_object *doc = parse(schema);
	struct jschema *s;
	char *err = NULL;
	int rc = jschema_new(doc, "", &s, &err);

	ck_assert_msg(rc == 0, "schema %s: %d %s", schema, rc, err);
	json_object_put(doc); /* the schema keeps its own reference */
	return s;
}

static void ok(const char *schema, const char *value)
{
	struct jschema *s = compile(schema);
	struct json_object *v = parse(value);
	char *path = NULL, *msg = NULL;
	int rc = jschema_validate(s, v, &path, &msg);

	ck_assert_msg(rc == 0, "%s against %s: %s %s", value, schema, path,
		      msg);
	json_object_put(v);
	jschema_free(s);
}

static void bad(const char *schema, const char *value, const char *epath,
		const char *emsg)
{
	struct jschema *s = compile(schema);
	struct json_object *v = parse(value);
	char *path = NULL, *msg = NULL;
	int rc = jschema_validate(s, v, &path, &msg);

	ck_assert_msg(rc == -EINVAL, "%s against %s: valid", value, schema);
	ck_assert_str_eq(path, epath);
	ck_assert_str_eq(msg, emsg);
	free(path);
	free(msg);
	json_object_put(v);
	jschema_free(s);
}

/* The schema must not compile, and the error must mention @needle. */
static void refused(const char *schema, const char *needle)
{
	struct json_object *doc = parse(schema);
	struct jschema *s = (void *)1;
	char *err = NULL;

	ck_assert_int_eq(jschema_new(doc, "", &s, &err), -EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, needle), "\"%s\" lacks \"%s\"", err, needle);
	free(err);
	json_object_put(doc);
}

START_TEST(test_type)
{
	ok("{\"type\":\"integer\"}", "3");
	ok("{\"type\":\"integer\"}", "3.0");
	ok("{\"type\":\"integer\"}", "-1e3");
	bad("{\"type\":\"integer\"}", "3.5", "", "must be an integer");
	bad("{\"type\":\"integer\"}", "\"3\"", "", "must be an integer");
	ok("{\"type\":\"number\"}", "3.5");
	ok("{\"type\":\"number\"}", "3");
	bad("{\"type\":\"number\"}", "true", "", "must be a number");
	ok("{\"type\":\"string\"}", "\"x\"");
	bad("{\"type\":\"string\"}", "null", "", "must be a string");
	ok("{\"type\":\"boolean\"}", "false");
	bad("{\"type\":\"boolean\"}", "0", "", "must be a boolean");
	ok("{\"type\":\"null\"}", "null");
	bad("{\"type\":\"null\"}", "{}", "", "must be null");
	ok("{\"type\":\"object\"}", "{}");
	bad("{\"type\":\"object\"}", "[]", "", "must be an object");
	ok("{\"type\":\"array\"}", "[]");
	bad("{\"type\":\"array\"}", "{}", "", "must be an array");
	ok("{\"type\":[\"string\",\"null\"]}", "null");
	bad("{\"type\":[\"string\",\"null\"]}", "1", "",
	    "must be a string or null");
	bad("{\"type\":[\"null\",\"array\",\"object\"]}", "1", "",
	    "must be an object, an array or null");
	ok("{}", "[1, {\"a\": null}]");
	ok("true", "1");
	bad("false", "1", "", "is not allowed here");
}
END_TEST

START_TEST(test_enum_const)
{
	const char *e = "{\"enum\":[\"destroy\",\"restart\",\"preserve\","
			"\"rename-restart\"]}";

	ok(e, "\"restart\"");
	bad(e, "\"reboot\"", "",
	    "is not one of: destroy, restart, preserve, rename-restart");
	ok("{\"enum\":[1, null, [1, {\"a\": true}]]}", "[1.0, {\"a\": true}]");
	ok("{\"enum\":[1, null]}", "null");
	bad("{\"enum\":[1, null]}", "2", "", "is not one of: 1, null");
	ok("{\"const\":\"file\"}", "\"file\"");
	bad("{\"const\":\"file\"}", "\"phy\"", "", "must be \"file\"");
	ok("{\"const\":{\"a\":[1,2],\"b\":null}}", "{\"b\":null,\"a\":[1,2]}");
	bad("{\"const\":{\"a\":[1,2]}}", "{\"a\":[2,1]}", "",
	    "must be {\"a\":[1,2]}");
	ok("{\"const\":null}", "null");
	bad("{\"const\":null}", "false", "", "must be null");
}
END_TEST

START_TEST(test_numbers)
{
	ok("{\"minimum\":1,\"maximum\":4}", "1");
	ok("{\"minimum\":1,\"maximum\":4}", "4.0");
	bad("{\"minimum\":1,\"maximum\":4}", "0", "", "must be at least 1");
	bad("{\"minimum\":1,\"maximum\":4}", "4.5", "", "must be at most 4");
	ok("{\"exclusiveMinimum\":0,\"exclusiveMaximum\":0.5}", "0.25");
	bad("{\"exclusiveMinimum\":0}", "0", "", "must be greater than 0");
	bad("{\"exclusiveMaximum\":0.5}", "0.5", "", "must be less than 0.5");
	ok("{\"maximum\":9223372036854775807}", "9223372036854775807");
	bad("{\"maximum\":9223372036854775806}", "9223372036854775807", "",
	    "must be at most 9223372036854775806");
	bad("{\"type\":\"number\"}", "NaN", "", "must be a finite number");
	/* Number keywords ignore other types. */
	ok("{\"minimum\":5}", "\"1\"");
}
END_TEST

START_TEST(test_strings)
{
	ok("{\"minLength\":2,\"maxLength\":3}", "\"ab\"");
	/* three code points, six bytes */
	ok("{\"maxLength\":3}", "\"\\u00e9\\u00e9\\u00e9\"");
	bad("{\"maxLength\":2}", "\"\\u00e9\\u00e9\\u00e9\"", "",
	    "must be at most 2 characters long");
	bad("{\"minLength\":1}", "\"\"", "", "must be at least 1 character long");
	/* Not anchored: "b" occurs in "abc". */
	ok("{\"pattern\":\"b\"}", "\"abc\"");
	ok("{\"pattern\":\"^[a-z][a-z0-9_-]*$\"}", "\"web-01\"");
	bad("{\"pattern\":\"^[a-z][a-z0-9_-]*$\"}", "\"Web\"", "",
	    "must match the pattern ^[a-z][a-z0-9_-]*$");
	ok("{\"pattern\":\"^\\\\w+\\\\.img$\"}", "\"disk_1.img\"");
	bad("{\"pattern\":\"^a\"}", "\"a\\u0000b\"", "",
	    "must not contain a NUL character");
	ok("{\"format\":\"uuid\"}", "\"123e4567-E89B-12d3-a456-426614174000\"");
	bad("{\"format\":\"uuid\"}", "\"123e4567e89b12d3a456426614174000\"",
	    "", "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000");
	bad("{\"format\":\"uuid\"}", "\"123e4567-e89b-12d3-a456-42661417400g\"",
	    "", "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000");
	ok("{\"format\":\"hostname\"}", "\"not a hostname!\"");
	ok("{\"minLength\":5,\"pattern\":\"x\"}", "7");
}
END_TEST

START_TEST(test_arrays)
{
	const char *s = "{\"items\":{\"type\":\"integer\"},\"minItems\":1,"
			"\"maxItems\":3,\"uniqueItems\":true}";

	ok(s, "[1, 2, 3]");
	bad(s, "[]", "", "must have at least 1 item");
	bad(s, "[1, 2, 3, 4]", "", "must have at most 3 items");
	bad(s, "[1, \"2\"]", "/1", "must be an integer");
	bad(s, "[1, 2, 1.0]", "/2", "is the same as item 0; items must be unique");
	ok("{\"uniqueItems\":true}", "[{\"a\":1}, {\"a\":2}, [1], \"1\", 1]");
	bad("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2}, {\"b\":2,\"a\":1}]",
	    "/1", "is the same as item 0; items must be unique");
	ok("{\"uniqueItems\":false}", "[1, 1]");
	bad("{\"items\":false}", "[1]", "/0", "is not allowed here");
	ok("{\"items\":false}", "[]");
}
END_TEST

START_TEST(test_objects)
{
	const char *s = "{\"type\":\"object\",\"required\":[\"name\",\"vcpus\"],"
			"\"properties\":{\"name\":{\"type\":\"string\"},"
			"\"vcpus\":{\"type\":\"integer\",\"minimum\":1},"
			"\"memory\":{\"type\":\"integer\"}},"
			"\"additionalProperties\":false}";

	ok(s, "{\"name\":\"web\",\"vcpus\":2}");
	bad(s, "{\"vcpus\":2}", "/name", "is a required member");
	/* required first, then properties in the schema's order */
	bad(s, "{\"memory\":\"x\",\"vcpus\":0}", "/name", "is a required member");
	bad(s, "{\"memory\":\"x\",\"vcpus\":0,\"name\":\"a\"}", "/vcpus",
	    "must be at least 1");
	bad(s, "{\"name\":\"a\",\"vcpus\":1,\"zz\":1,\"aa\":2}", "/zz",
	    "is not allowed here (unknown member)");
	ok("{\"additionalProperties\":{\"type\":\"integer\"},"
	   "\"properties\":{\"a\":{\"type\":\"string\"}}}",
	   "{\"a\":\"x\",\"b\":1}");
	bad("{\"additionalProperties\":{\"type\":\"integer\"}}",
	    "{\"a/b~c\":\"x\"}", "/a~1b~0c", "must be an integer");
	ok("{\"required\":[\"a\"]}", "[]");
}
END_TEST

START_TEST(test_nested_paths)
{
	const char *s =
		"{\"properties\":{\"disks\":{\"type\":\"array\",\"items\":"
		"{\"type\":\"object\",\"required\":[\"path\"],\"properties\":"
		"{\"path\":{\"type\":\"string\",\"minLength\":1},"
		"\"opts\":{\"type\":\"object\",\"additionalProperties\":"
		"{\"type\":\"array\",\"items\":{\"type\":\"boolean\"}}}}}}}}";

	ok(s, "{\"disks\":[{\"path\":\"/a\",\"opts\":{\"x\":[true]}}]}");
	bad(s, "{\"disks\":[{\"path\":\"/a\"},{\"path\":\"\"}]}",
	    "/disks/1/path", "must be at least 1 character long");
	bad(s, "{\"disks\":[{\"path\":\"/a\"},{}]}", "/disks/1/path",
	    "is a required member");
	bad(s, "{\"disks\":[{\"path\":\"a\",\"opts\":{\"x\":[true, 1]}}]}",
	    "/disks/0/opts/x/1", "must be a boolean");
}
END_TEST

START_TEST(test_ref)
{
	const char *s = "{\"$defs\":{\"size\":{\"type\":\"integer\","
			"\"minimum\":0}},\"definitions\":{\"name\":"
			"{\"type\":\"string\"}},\"properties\":{\"mem\":"
			"{\"$ref\":\"#/$defs/size\",\"maximum\":64},"
			"\"n\":{\"$ref\":\"#/definitions/name\"}}}";
	/* A tree: recursion through a member is fine. */
	const char *tree = "{\"type\":\"object\",\"properties\":{\"kids\":"
			   "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}},"
			   "\"additionalProperties\":false}";

	ok(s, "{\"mem\":64,\"n\":\"x\"}");
	bad(s, "{\"mem\":-1}", "/mem", "must be at least 0");
	bad(s, "{\"mem\":65}", "/mem", "must be at most 64");
	bad(s, "{\"n\":1}", "/n", "must be a string");
	ok(tree, "{\"kids\":[{\"kids\":[]},{}]}");
	bad(tree, "{\"kids\":[{\"kids\":[{\"x\":1}]}]}", "/kids/0/kids/0/x",
	    "is not allowed here (unknown member)");
	ok("{\"$defs\":{\"a~/b\":{\"type\":\"null\"}},\"$ref\":\"#/$defs/a~0~1b\"}",
	   "null");
}
END_TEST

START_TEST(test_subschema_pointer)
{
	struct json_object *doc = parse(
		"{\"components\":{\"schemas\":{\"Dom\":{\"type\":\"object\","
		"\"properties\":{\"on_crash\":{\"$ref\":"
		"\"#/components/schemas/Action\"}}},\"Action\":{\"enum\":"
		"[\"destroy\",\"restart\"]}}}}");
	struct json_object *v = parse("{\"on_crash\":\"explode\"}");
	struct jschema *s;
	char *err = NULL, *path, *msg;

	ck_assert_int_eq(jschema_new(doc, "/components/schemas/Dom", &s, &err),
			 0);
	ck_assert_int_eq(jschema_validate(s, v, &path, &msg), -EINVAL);
	ck_assert_str_eq(path, "/on_crash");
	ck_assert_str_eq(msg, "is not one of: destroy, restart");
	free(path);
	free(msg);
	/* The caller may not care where or why. */
	ck_assert_int_eq(jschema_validate(s, v, NULL, NULL), -EINVAL);
	jschema_free(s);
	ck_assert_int_eq(jschema_new(doc, "/components/schemas/Nope", &s, &err),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/components/schemas/Nope"));
	free(err);
	json_object_put(v);
	json_object_put(doc);
}
END_TEST

START_TEST(test_combinators)
{
	const char *one = "{\"oneOf\":[{\"type\":\"integer\"},"
			  "{\"type\":\"number\",\"maximum\":10}]}";
	const char *disk =
		"{\"oneOf\":[{\"type\":\"object\",\"required\":[\"kind\",\"path\"],"
		"\"properties\":{\"kind\":{\"const\":\"file\"},\"path\":"
		"{\"type\":\"string\"}}},{\"type\":\"object\",\"required\":"
		"[\"kind\"],\"properties\":{\"kind\":{\"const\":\"rbd\"}}}]}";

	ok("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "2");
	bad("{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "1", "",
	    "must be at least 2");
	ok("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":2}]}", "\"x\"");
	ok("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":2}]}", "3");
	bad("{\"anyOf\":[{\"type\":\"string\"},{\"minimum\":2}]}", "1", "",
	    "matches none of the allowed alternatives: must be a string; "
	    "or must be at least 2");
	/* exactly one: 3 is an integer and a number at most 10 */
	ok(one, "3.5");
	ok(one, "11");
	bad(one, "3", "",
	    "matches both alternative 0 and alternative 1 of oneOf, but must "
	    "match exactly one");
	bad(one, "\"x\"", "",
	    "matches none of the allowed alternatives: must be an integer; "
	    "or must be a number");
	ok(disk, "{\"kind\":\"rbd\"}");
	/* The file alternative got deepest into the value: its error wins. */
	bad(disk, "{\"kind\":\"file\",\"path\":7}", "/path",
	    "must be a string");
	bad(disk, "{}", "",
	    "matches none of the allowed alternatives: /kind is a required "
	    "member");
	bad(disk, "{\"kind\":\"nfs\"}", "",
	    "matches none of the allowed alternatives: /path is a required "
	    "member; or /kind must be \"rbd\"");
	ok("{\"not\":{\"type\":\"null\"}}", "1");
	bad("{\"properties\":{\"a\":{\"not\":{\"type\":\"null\"}}}}",
	    "{\"a\":null}", "/a",
	    "must not match the schema at /properties/a/not");
}
END_TEST

START_TEST(test_refuses_unknown_keywords)
{
	refused("{\"patternProperties\":{}}",
		"\"patternProperties\" at /patternProperties");
	refused("{\"properties\":{\"a\":{\"minimun\":1}}}",
		"\"minimun\" at /properties/a/minimun");
	refused("{\"items\":[{\"type\":\"string\"}]}", "array form of items");
	refused("{\"$defs\":{\"x\":{\"if\":true}}}", "/$defs/x/if");
	refused("{\"anyOf\":[{}, {\"prefixItems\":[]}]}",
		"/anyOf/1/prefixItems");
	refused("{\"$ref\":\"other.json#/a\"}", "only references into the same");
	refused("{\"$ref\":\"#/$defs/missing\"}", "not in the document");
	refused("{\"$ref\":\"#/$defs/a%20b\"}", "percent-encoding");
	/* annotations are fine */
	jschema_free(compile("{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
		"\"$id\":\"x\",\"title\":\"t\",\"description\":\"d\",\"default\":1,"
		"\"examples\":[1],\"$comment\":\"c\",\"readOnly\":true,"
		"\"deprecated\":false,\"format\":\"date-time\"}"));
	jschema_free(compile("{\"title\":1}"));
}
END_TEST

START_TEST(test_refuses_malformed)
{
	refused("{\"type\":1}", "/type must be a type name");
	refused("{\"type\":\"int\"}", "names the type \"int\"");
	refused("{\"type\":[]}", "/type must not be an empty array");
	refused("{\"required\":\"name\"}", "/required must be an array");
	refused("{\"required\":[\"a\",2]}", "item 1 is not a string");
	refused("{\"properties\":[]}", "/properties must be an object");
	refused("{\"properties\":{\"a\":3}}",
		"schema at /properties/a must be an object or a boolean");
	refused("{\"minLength\":-1}", "/minLength must be a non-negative");
	refused("{\"maxItems\":1.5}", "/maxItems must be a non-negative");
	refused("{\"minimum\":\"1\"}", "/minimum must be a number");
	refused("{\"enum\":[]}", "/enum must be a non-empty array");
	refused("{\"oneOf\":{}}", "/oneOf must be a non-empty array");
	refused("{\"uniqueItems\":1}", "/uniqueItems must be true or false");
	refused("{\"pattern\":\"(a\"}", "not a valid POSIX extended");
	refused("{\"pattern\":\"^\\\\d+$\"}", "write [0-9] for \\d");
	refused("{\"pattern\":\"[\\\\d]\"}", "inside a bracket expression");
	refused("{\"pattern\":\"(?:a)\"}", "(?...) groups");
	refused("{\"pattern\":\"a+?\"}", "quantifier directly after");
	refused("[]", "schema at \"\" (the root) must be an object");
	/* These are fine in POSIX as they are in ECMA-262. */
	jschema_free(compile("{\"pattern\":\"^[[:alpha:]][^\\\\\\\\/]*\\\\.x$\"}"));
	jschema_free(compile("{\"pattern\":\"^[]a]{1,2}$\"}"));
}
END_TEST

START_TEST(test_depth_limits)
{
	char schema[4096] = "", value[512] = "";
	size_t i;
	/* The array's items are itself: a value's depth is unbounded. */
	const char *nest = "{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}";

	refused("{\"$ref\":\"#\"}", "refers back to itself");
	refused("{\"$defs\":{\"a\":{\"allOf\":[{\"$ref\":\"#/$defs/b\"}]},"
		"\"b\":{\"not\":{\"$ref\":\"#/$defs/a\"}}},"
		"\"$ref\":\"#/$defs/a\"}",
		"a $ref cycle");
	/* The innermost array is JSCHEMA_MAX_DEPTH levels down: fine. */
	for (i = 0; i <= JSCHEMA_MAX_DEPTH; i++)
		strcat(value, "[");
	for (i = 0; i <= JSCHEMA_MAX_DEPTH; i++)
		strcat(value, "]");
	ok(nest, value);
	memmove(value + 1, value, strlen(value) + 1);
	value[0] = '[';
	strcat(value, "]");
	{
		struct jschema *s = compile(nest);
		struct json_object *v = parse(value);
		char *path, *msg;

		ck_assert_int_eq(jschema_validate(s, v, &path, &msg), -EINVAL);
		ck_assert_str_eq(msg, "is nested more than 64 levels deep");
		ck_assert_int_eq(strlen(path), 2 * (JSCHEMA_MAX_DEPTH + 1));
		free(path);
		free(msg);
		json_object_put(v);
		jschema_free(s);
	}
	/* A schema nested past the limit is refused when compiled. */
	for (i = 0; i <= JSCHEMA_MAX_DEPTH; i++)
		strcat(schema, "{\"not\":");
	strcat(schema, "{}");
	for (i = 0; i <= JSCHEMA_MAX_DEPTH; i++)
		strcat(schema, "}");
	refused(schema, "nested more than 64 levels deep");
}
END_TEST

/* Something shaped like keel's domain configuration. */
static const char domain_schema[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
	"\"title\":\"keel domain configuration\",\"type\":\"object\","
	"\"required\":[\"name\",\"memory\"],\"additionalProperties\":false,"
	"\"properties\":{"
	"\"name\":{\"type\":\"string\",\"pattern\":\"^[A-Za-z0-9_.-]+$\","
	"\"maxLength\":64},"
	"\"uuid\":{\"type\":\"string\",\"format\":\"uuid\"},"
	"\"vcpus\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":255,"
	"\"default\":1},"
	"\"memory\":{\"$ref\":\"#/$defs/mib\"},"
	"\"maxmem\":{\"$ref\":\"#/$defs/mib\"},"
	"\"kernel\":{\"type\":\"string\",\"minLength\":1},"
	"\"cmdline\":{\"type\":\"string\"},"
	"\"disks\":{\"type\":\"array\",\"maxItems\":16,\"items\":"
	"{\"$ref\":\"#/$defs/disk\"}},"
	"\"on_crash\":{\"$ref\":\"#/$defs/action\"},"
	"\"on_reboot\":{\"$ref\":\"#/$defs/action\"},"
	"\"cpus\":{\"type\":\"array\",\"uniqueItems\":true,\"items\":"
	"{\"type\":\"integer\",\"minimum\":0}}},"
	"\"$defs\":{"
	"\"mib\":{\"type\":\"integer\",\"minimum\":16,"
	"\"description\":\"MiB\"},"
	"\"action\":{\"enum\":[\"destroy\",\"restart\",\"preserve\","
	"\"rename-restart\"]},"
	"\"disk\":{\"type\":\"object\",\"required\":[\"path\"],"
	"\"additionalProperties\":false,\"properties\":{"
	"\"path\":{\"type\":\"string\",\"pattern\":\"^/\"},"
	"\"vdev\":{\"type\":\"string\",\"pattern\":\"^(xvd|vd|sd)[a-z]$\"},"
	"\"readonly\":{\"type\":\"boolean\"},"
	"\"format\":{\"enum\":[\"raw\"]}}}}}";

START_TEST(test_domain_config)
{
	const char *good =
		"{\"name\":\"web-1\",\"uuid\":\"5f3c1a2e-9b7d-4e1f-8a6b-"
		"0c2d4e6f8a9b\",\"vcpus\":2,\"memory\":512,\"maxmem\":1024,"
		"\"kernel\":\"/boot/vmlinuz\",\"disks\":[{\"path\":"
		"\"/var/lib/keel/web.img\",\"vdev\":\"xvda\"},{\"path\":"
		"\"/srv/data.img\",\"readonly\":true,\"format\":\"raw\"}],"
		"\"on_crash\":\"preserve\",\"cpus\":[0,2]}";

	ok(domain_schema, good);
	ok(domain_schema, "{\"name\":\"a\",\"memory\":16}");
	bad(domain_schema, "{\"name\":\"a\"}", "/memory", "is a required member");
	bad(domain_schema, "{\"name\":\"a b\",\"memory\":16}", "/name",
	    "must match the pattern ^[A-Za-z0-9_.-]+$");
	bad(domain_schema, "{\"name\":\"a\",\"memory\":8}", "/memory",
	    "must be at least 16");
	bad(domain_schema, "{\"name\":\"a\",\"memory\":16,\"vcpus\":\"2\"}",
	    "/vcpus", "must be an integer");
	bad(domain_schema,
	    "{\"name\":\"a\",\"memory\":16,\"on_crash\":\"reboot\"}",
	    "/on_crash",
	    "is not one of: destroy, restart, preserve, rename-restart");
	bad(domain_schema,
	    "{\"name\":\"a\",\"memory\":16,\"disks\":[{\"path\":\"/x\"},"
	    "{\"path\":\"rel.img\"}]}",
	    "/disks/1/path", "must match the pattern ^/");
	bad(domain_schema,
	    "{\"name\":\"a\",\"memory\":16,\"disks\":[{\"path\":\"/x\","
	    "\"cache\":\"none\"}]}",
	    "/disks/0/cache", "is not allowed here (unknown member)");
	bad(domain_schema, "{\"name\":\"a\",\"memory\":16,\"cpus\":[1,1]}",
	    "/cpus/1", "is the same as item 0; items must be unique");
	bad(domain_schema, "{\"name\":\"a\",\"memory\":16,\"vif\":[]}", "/vif",
	    "is not allowed here (unknown member)");
}
END_TEST

START_TEST(test_load_file)
{
	char dir[] = "/tmp/check_jschema.XXXXXX", path[64];
	struct json_object *doc;
	struct jschema *s;
	char *err;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.json", dir);
	f = fopen(path, "w");
	fputs(domain_schema, f);
	fclose(f);
	ck_assert_int_eq(jschema_load_file(path, &doc, &err), 0);
	ck_assert_int_eq(jschema_new(doc, "", &s, &err), 0);
	json_object_put(doc);
	jschema_free(s);

	f = fopen(path, "w");
	fputs("{\n\"type\": \"object\",\n\"x\": }\n", f);
	fclose(f);
	ck_assert_int_eq(jschema_load_file(path, &doc, &err), -EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err, "at line 3"));
	free(err);

	f = fopen(path, "w");
	fclose(f);
	ck_assert_int_eq(jschema_load_file(path, &doc, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "ends before its JSON value"));
	free(err);

	f = fopen(path, "w");
	fputs("{} {}", f);
	fclose(f);
	ck_assert_int_eq(jschema_load_file(path, &doc, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more after its JSON value"));
	free(err);

	unlink(path);
	ck_assert_int_eq(jschema_load_file(path, &doc, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
	free(err);
	rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("jschema");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_type);
	tcase_add_test(tc, test_enum_const);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_arrays);
	tcase_add_test(tc, test_objects);
	tcase_add_test(tc, test_nested_paths);
	tcase_add_test(tc, test_ref);
	tcase_add_test(tc, test_subschema_pointer);
	tcase_add_test(tc, test_combinators);
	tcase_add_test(tc, test_refuses_unknown_keywords);
	tcase_add_test(tc, test_refuses_malformed);
	tcase_add_test(tc, test_depth_limits);
	tcase_add_test(tc, test_domain_config);
	tcase_add_test(tc, test_load_file);
	suite_add_tcase(s, tc);
	return s;
}
