// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain registry (daemon/registry.c) in a temporary state
 * directory: define, look up, rename, autostart, undefine and forget;
 * what reaches the definition files and what a new registry loads back
 * from them, the files it skips; and the failures to write, which must
 * leave the registry as it was.
 */
#include "config.h"

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"
#include "runner.h"

#define UUID_A "6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f"
#define UUID_B "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static char state[64];
static char domains[96];

static void setup(void)
{
	snprintf(state, sizeof(state), "/tmp/check_registry.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(state));
	snprintf(domains, sizeof(domains), "%s/domains", state);
	log_init("check_registry", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	ck_assert_int_eq(system(cmd), 0);
}

static struct json_object *cfg(const char *text)
{
	struct json_object *o = json_tokener_parse(text);

	ck_assert_ptr_nonnull(o);
	return o;
}

/* STATE/domains/@uuid.json, parsed (NULL when there is none). */
static struct json_object *def_file(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s.json", domains, uuid);
	return access(path, F_OK) ? NULL : json_object_from_file(path);
}

static void put_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", domains, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static bool uuid_is_v4(const char *u)
{
	if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' ||
	    u[23] != '-' || u[14] != '4' || !strchr("89ab", u[19]))
		return false;
	for (int i = 0; i < 36; i++)
		if (u[i] != '-' && !(isdigit((unsigned char)u[i]) ||
				     (u[i] >= 'a' && u[i] <= 'f')))
			return false;
	return true;
}

START_TEST(test_names)
{
	for (int s = DOMAIN_NOSTATE; s <= DOMAIN_PMSUSPENDED; s++) {
		enum domain_state back;

		ck_assert_int_eq(domain_state_parse(
					 domain_state_name((enum domain_state)s),
					 &back),
				 0);
		ck_assert_int_eq(back, s);
	}
	for (int r = DOMAIN_REASON_UNKNOWN; r <= DOMAIN_REASON_PANICKED; r++) {
		enum domain_reason back;

		ck_assert_int_eq(
			domain_reason_parse(
				domain_reason_name((enum domain_reason)r),
				&back),
			0);
		ck_assert_int_eq(back, r);
	}
	ck_assert_str_eq(domain_state_name(DOMAIN_SHUTOFF), "shutoff");
	ck_assert_str_eq(domain_reason_name(DOMAIN_REASON_PANICKED),
			 "panicked");
	ck_assert_str_eq(domain_state_name((enum domain_state)99), "nostate");
	ck_assert_str_eq(domain_reason_name((enum domain_reason)99),
			 "unknown");
	{
		enum domain_state s = DOMAIN_RUNNING;
		enum domain_reason r = DOMAIN_REASON_USER;

		ck_assert_int_eq(domain_state_parse("Running", &s), -EINVAL);
		ck_assert_int_eq(s, DOMAIN_RUNNING);
		ck_assert_int_eq(domain_reason_parse("", &r), -EINVAL);
		ck_assert_int_eq(r, DOMAIN_REASON_USER);
	}
}
END_TEST

START_TEST(test_define_and_find)
{
	struct registry *reg;
	struct domain *a, *b;
	struct json_object *f, *v;
	const char *field = NULL;

	ck_assert_int_eq(registry_new(state, &reg), 0);
	ck_assert_int_eq(registry_count(reg), 0);
	ck_assert_ptr_null(registry_first(reg));
	ck_assert_int_eq(registry_define(reg, cfg("{\"name\":\"web\"}"), &a,
					 &field),
			 0);
	/* A uuid of its own, random (version 4), written into the config. */
	ck_assert_msg(uuid_is_v4(a->uuid), "%s", a->uuid);
	ck_assert_str_eq(json_member_string(a->config, "uuid"), a->uuid);
	ck_assert_str_eq(a->name, "web");
	ck_assert_int_eq(a->id, -1);
	ck_assert_int_eq(a->state, DOMAIN_SHUTOFF);
	ck_assert(a->persistent);
	ck_assert(!a->autostart);
	/* A uuid given in capitals is kept in lower case. */
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"db\",\"uuid\":\"6F1C2A4E-3B5D-4C7E-9F80-1A2B3C4D5E6F\"}"),
					 &b, &field),
			 0);
	ck_assert_str_eq(b->uuid, UUID_A);
	ck_assert_str_eq(json_member_string(b->config, "uuid"), UUID_A);

	ck_assert_uint_eq(registry_count(reg), 2);
	/* Definition order. */
	ck_assert_ptr_eq(registry_first(reg), a);
	ck_assert_ptr_eq(a->next, b);
	ck_assert_ptr_eq(registry_find_name(reg, "db"), b);
	ck_assert_ptr_null(registry_find_name(reg, "DB"));
	ck_assert_ptr_eq(registry_find_uuid(reg, UUID_A), b);
	ck_assert_ptr_eq(registry_find_uuid(reg,
					    "6f1c2a4e-3B5D-4c7e-9f80-1a2b3c4d5e6f"),
			 b);
	ck_assert_ptr_null(registry_find_uuid(reg, UUID_B));

	/* The file: version, autostart and the config. */
	f = def_file(UUID_A);
	ck_assert_ptr_nonnull(f);
	ck_assert(json_object_object_get_ex(f, "version", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(f, "autostart", &v));
	ck_assert(!json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(f, "config", &v));
	ck_assert(json_object_equal(v, b->config));
	json_object_put(f);
	registry_free(reg);
}
END_TEST

START_TEST(test_define_refused)
{
	static const struct {
		const char *config;
		int rc;
		const char *field;
	} t[] = {
		{ "{\"name\":\"web\"}", -EEXIST, "/name" },
		{ "{\"name\":\"other\",\"uuid\":\"" UUID_A "\"}", -EEXIST,
		  "/uuid" },
		{ "{\"name\":\"other\",\"uuid\":\"6F1C2A4E-3B5D-4C7E-9F80-1A2B3C4D5E6F\"}",
		  -EEXIST, "/uuid" },
		{ "{\"uuid\":\"" UUID_B "\"}", -EINVAL, NULL },
		{ "{\"name\":7}", -EINVAL, NULL },
		{ "{\"name\":\"short\",\"uuid\":\"6f1c2a4e\"}", -EINVAL, NULL },
		{ "[\"name\"]", -EINVAL, NULL },
	};
	struct registry *reg;
	struct domain *dom;

	ck_assert_int_eq(registry_new(state, &reg), 0);
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"web\",\"uuid\":\"" UUID_A "\"}"),
					 &dom, &(const char *){ NULL }),
			 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *field = NULL;

		ck_assert_msg(registry_define(reg, cfg(t[i].config), &dom,
					      &field) == t[i].rc,
			      "row %zu", i);
		if (t[i].field)
			ck_assert_str_eq(field, t[i].field);
		/* The same for a transient domain. */
		field = NULL;
		ck_assert_msg(registry_add_transient(reg, cfg(t[i].config),
						     &dom, &field) == t[i].rc,
			      "row %zu (transient)", i);
	}
	ck_assert_uint_eq(registry_count(reg), 1);
	registry_free(reg);
}
END_TEST

/* A definition that cannot be written is not defined. */
START_TEST(test_define_write_fails)
{
	struct registry *reg;
	struct domain *dom;
	const char *field;
	char path[PATH_MAX];

	ck_assert_int_eq(registry_new(state, &reg), 0);
	/* A directory where the file must go: rename() fails. */
	snprintf(path, sizeof(path), "%s/%s.json", domains, UUID_B);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_lt(registry_define(reg,
					 cfg("{\"name\":\"web\",\"uuid\":\"" UUID_B "\"}"),
					 &dom, &field),
			 0);
	ck_assert_uint_eq(registry_count(reg), 0);
	ck_assert_ptr_null(registry_find_name(reg, "web"));
	/* No temporary file left behind. */
	snprintf(path, sizeof(path), "%s/%s.json.tmp", domains, UUID_B);
	ck_assert_int_ne(access(path, F_OK), 0);
	registry_free(reg);
}
END_TEST

START_TEST(test_transient)
{
	struct registry *reg;
	struct domain *t, *p;
	const char *field;

	ck_assert_int_eq(registry_new(state, &reg), 0);
	ck_assert_int_eq(registry_add_transient(reg,
						cfg("{\"name\":\"tmp\",\"uuid\":\"" UUID_B "\"}"),
						&t, &field),
			 0);
	ck_assert(!t->persistent);
	ck_assert_ptr_null(def_file(UUID_B));
	/* Its autostart is nobody's to keep: no file either. */
	ck_assert_int_eq(registry_set_autostart(reg, t, true), 0);
	ck_assert_ptr_null(def_file(UUID_B));
	ck_assert_int_eq(registry_rename(reg, t, "tmp2"), 0);
	ck_assert_ptr_null(def_file(UUID_B));
	ck_assert_ptr_eq(registry_find_name(reg, "tmp2"), t);
	registry_forget(reg, t);
	ck_assert_uint_eq(registry_count(reg), 0);
	ck_assert_ptr_null(registry_find_uuid(reg, UUID_B));

	/* Undefined while it runs: the file goes, the domain stays. */
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"p\",\"uuid\":\"" UUID_A "\"}"),
					 &p, &field),
			 0);
	ck_assert_int_eq(registry_set_autostart(reg, p, true), 0);
	ck_assert_int_eq(registry_make_transient(reg, p), 0);
	ck_assert(!p->persistent);
	ck_assert(!p->autostart);
	ck_assert_ptr_null(def_file(UUID_A));
	ck_assert_ptr_eq(registry_find_name(reg, "p"), p);
	registry_forget(reg, p);
	ck_assert_ptr_null(registry_first(reg));
	registry_free(reg);
}
END_TEST

START_TEST(test_rename_and_autostart)
{
	struct registry *reg;
	struct domain *a, *b;
	struct json_object *f, *v;
	const char *field;
	char path[PATH_MAX];

	ck_assert_int_eq(registry_new(state, &reg), 0);
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"a\",\"uuid\":\"" UUID_A "\"}"),
					 &a, &field),
			 0);
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"b\",\"uuid\":\"" UUID_B "\"}"),
					 &b, &field),
			 0);
	ck_assert_int_eq(registry_rename(reg, a, "b"), -EEXIST);
	ck_assert_str_eq(a->name, "a");
	ck_assert_int_eq(registry_rename(reg, a, "a"), 0);
	ck_assert_int_eq(registry_rename(reg, a, "c"), 0);
	ck_assert_str_eq(a->name, "c");
	ck_assert_ptr_eq(registry_find_name(reg, "c"), a);
	ck_assert_ptr_null(registry_find_name(reg, "a"));
	f = def_file(UUID_A);
	ck_assert(json_object_object_get_ex(f, "config", &v));
	ck_assert_str_eq(json_member_string(v, "name"), "c");
	json_object_put(f);

	ck_assert_int_eq(registry_set_autostart(reg, a, true), 0);
	f = def_file(UUID_A);
	ck_assert(json_object_object_get_ex(f, "autostart", &v));
	ck_assert(json_object_get_boolean(v));
	json_object_put(f);

	/* Its file cannot be replaced: the old name and flag are kept. */
	snprintf(path, sizeof(path), "%s/%s.json", domains, UUID_A);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_lt(registry_rename(reg, a, "d"), 0);
	ck_assert_str_eq(a->name, "c");
	ck_assert_str_eq(json_member_string(a->config, "name"), "c");
	ck_assert_ptr_null(registry_find_name(reg, "d"));
	ck_assert_int_lt(registry_set_autostart(reg, a, false), 0);
	ck_assert(a->autostart);
	/* Nor can it be removed: undefine changes nothing. */
	ck_assert_int_lt(registry_make_transient(reg, a), 0);
	ck_assert(a->persistent);
	ck_assert_int_eq(rmdir(path), 0);
	registry_free(reg);
}
END_TEST

/* What one registry wrote, the next loads; what it did not, it skips. */
START_TEST(test_load)
{
	struct registry *reg;
	struct domain *a, *b;
	const char *field;

	ck_assert_int_eq(registry_new(state, &reg), 0);
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"a\",\"uuid\":\"" UUID_A "\",\"memory\":512}"),
					 &a, &field),
			 0);
	ck_assert_int_eq(registry_set_autostart(reg, a, true), 0);
	ck_assert_int_eq(registry_define(reg,
					 cfg("{\"name\":\"b\",\"uuid\":\"" UUID_B "\"}"),
					 &b, &field),
			 0);
	ck_assert_int_eq(registry_add_transient(reg,
						cfg("{\"name\":\"t\"}"), &b,
						&field),
			 0);
	registry_free(reg);

	/* Files keeld did not write, each skipped. */
	put_file("notjson.json", "{");
	put_file("11111111-2222-4333-8444-555555555555.json",
		 "{\"version\":1}");
	/* Its name does not match its uuid. */
	put_file("22222222-2222-4333-8444-555555555555.json",
		 "{\"version\":1,\"config\":{\"name\":\"x\",\"uuid\":\"33333333-2222-4333-8444-555555555555\"}}");
	/* A second domain named a. */
	put_file("44444444-2222-4333-8444-555555555555.json",
		 "{\"version\":1,\"config\":{\"name\":\"a\",\"uuid\":\"44444444-2222-4333-8444-555555555555\"}}");
	put_file("README", "not a definition");
	put_file(".hidden.json", "{");

	ck_assert_int_eq(registry_new(state, &reg), 0);
	/* a and b: of the two named a, the one read second is skipped. */
	ck_assert_int_eq(registry_load(reg, NULL), 2);
	ck_assert_uint_eq(registry_count(reg), 2);
	ck_assert_ptr_null(registry_find_name(reg, "t"));
	ck_assert_ptr_null(registry_find_name(reg, "x"));
	a = registry_find_name(reg, "a");
	ck_assert_ptr_nonnull(a);
	/* Only one of the two named a, whichever was read first. */
	ck_assert((registry_find_uuid(reg, UUID_A) == NULL) !=
		  (registry_find_uuid(
			   reg, "44444444-2222-4333-8444-555555555555") ==
		   NULL));
	if (!strcmp(a->uuid, UUID_A)) {
		ck_assert(a->autostart);
		ck_assert(a->persistent);
		ck_assert_int_eq(json_object_get_int(json_object_object_get(
					 a->config, "memory")),
				 512);
	}
	ck_assert_ptr_nonnull(registry_find_uuid(reg, UUID_B));
	registry_free(reg);
}
END_TEST

START_TEST(test_json_file_write)
{
	struct json_object *o = cfg("{\"path\":\"/a/b\",\"n\":[1,2]}"), *back;
	char path[PATH_MAX], tmp[PATH_MAX + 8], text[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/x.json", state);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(json_file_write(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, 0600), 0);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	f = fopen(path, "r");
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* Pretty, slashes as they are, and a final newline. */
	ck_assert_ptr_nonnull(strstr(text, "\"/a/b\""));
	ck_assert_ptr_nonnull(strchr(text, '\n'));
	ck_assert_int_eq(text[n - 1], '\n');
	back = json_object_from_file(path);
	ck_assert(json_object_equal(back, o));
	json_object_put(back);
	/* Replaced whole. */
	json_object_object_add(o, "n", NULL);
	ck_assert_int_eq(json_file_write(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, 0600), 0);
	back = json_object_from_file(path);
	ck_assert(json_object_equal(back, o));
	json_object_put(back);
	/* Into a directory that does not exist: an error, no file. */
	snprintf(path, sizeof(path), "%s/none/x.json", state);
	ck_assert_int_eq(json_file_write(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, 0600), -ENOENT);
	json_object_put(o);

	o = cfg("{\"s\":\"x\",\"n\":1}");
	ck_assert_str_eq(json_member_string(o, "s"), "x");
	ck_assert_ptr_null(json_member_string(o, "n"));
	ck_assert_ptr_null(json_member_string(o, "none"));
	json_object_put(o);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("registry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_define_and_find);
	tcase_add_test(tc, test_define_refused);
	tcase_add_test(tc, test_define_write_fails);
	tcase_add_test(tc, test_transient);
	tcase_add_test(tc, test_rename_and_autostart);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_json_file_write);
	suite_add_tcase(s, tc);
	return s;
}
