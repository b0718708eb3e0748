// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/paths.c: a program in the build tree finds the source tree's
 * schemas and the build tree's keel-hv, any other finds the installed
 * ones, and $KEEL_SCHEMA_DIR wins over both. This program itself runs
 * from the build tree, so the functions without an explicit executable
 * must give the build tree's answers.
 */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "runner.h"

/* $NAME (set by `make check`) without symbolic links; the caller frees. */
static char *tree(const char *name)
{
	const char *dir = getenv(name);
	char *real;

	ck_assert_msg(dir, "$%s is not set; run this test with `make check`.",
		      name);
	real = realpath(dir, NULL);
	ck_assert_msg(real, "$%s (%s) does not exist.", name, dir);
	return real;
}

/* @dir/@name, which the caller frees. */
static char *path(const char *dir, const char *name)
{
	char *s;

	ck_assert_int_ge(asprintf(&s, "%s/%s", dir, name), 0);
	return s;
}

/* Assert that @got and @want name the same existing file. */
static void assert_same_file(char *got, const char *want)
{
	char *a, *b;

	ck_assert_ptr_nonnull(got);
	a = realpath(got, NULL);
	b = realpath(want, NULL);
	ck_assert_msg(a && b, "%s or %s does not exist", got, want);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	free(got);
}

static void assert_str_free(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

static void setup(void)
{
	unsetenv(KEEL_ENV_SCHEMA_DIR);
}

START_TEST(test_in_build_tree)
{
	char *build = tree("KEEL_BUILDDIR");
	char *keeld = path(build, "daemon/keeld");
	char *sibling, *bare;

	ck_assert(keel_exe_in_build_tree(keeld));
	/* A directory whose name only begins like the build tree's. */
	ck_assert_int_ge(asprintf(&sibling, "%s-other/daemon/keeld", build),
			 0);
	ck_assert(!keel_exe_in_build_tree(sibling));
	bare = strdup(build);
	ck_assert(!keel_exe_in_build_tree(bare));
	ck_assert(!keel_exe_in_build_tree("/usr/sbin/keeld"));
	ck_assert(!keel_exe_in_build_tree(""));
	free(bare);
	free(sibling);
	free(keeld);
	free(build);
}
END_TEST

START_TEST(test_build_tree_paths)
{
	char *build = tree("KEEL_BUILDDIR"), *src = tree("KEEL_SRCDIR");
	char *keeld = path(build, "daemon/keeld");
	char *schemas = path(src, "schemas");
	char *hv = path(build, "hypervisor/keel-hv");
	char *openrpc, *dir;

	assert_same_file(keel_schema_dir_for(keeld), schemas);
	assert_same_file(keel_hv_path_for(keeld), hv);
	ck_assert_msg(access(hv, X_OK) == 0, "%s is not built", hv);
	/* This test program is itself in the build tree. */
	dir = keel_schema_dir();
	openrpc = path(dir, "keel.openrpc.json");
	ck_assert_msg(access(openrpc, R_OK) == 0, "%s is missing", openrpc);
	assert_same_file(dir, schemas);
	assert_same_file(keel_hv_path(), hv);
	free(openrpc);
	free(hv);
	free(schemas);
	free(keeld);
	free(src);
	free(build);
}
END_TEST

START_TEST(test_installed_paths)
{
	assert_str_free(keel_schema_dir_for("/usr/sbin/keeld"),
			KEEL_DATADIR "/schemas");
	assert_str_free(keel_hv_path_for("/usr/sbin/keeld"),
			KEEL_SBINDIR "/keel-hv");
	/* No /proc: taken to be installed. */
	assert_str_free(keel_schema_dir_for(""), KEEL_DATADIR "/schemas");
}
END_TEST

START_TEST(test_environment_wins)
{
	char *build = tree("KEEL_BUILDDIR");
	char *keeld = path(build, "daemon/keeld");

	setenv(KEEL_ENV_SCHEMA_DIR, "/somewhere/schemas", 1);
	assert_str_free(keel_schema_dir_for("/usr/sbin/keeld"),
			"/somewhere/schemas");
	assert_str_free(keel_schema_dir_for(keeld), "/somewhere/schemas");
	assert_str_free(keel_schema_dir(), "/somewhere/schemas");
	/* It names the schemas only: keel-hv is found as before. */
	assert_str_free(keel_hv_path_for("/usr/sbin/keeld"),
			KEEL_SBINDIR "/keel-hv");
	/* Set but empty is not set. */
	setenv(KEEL_ENV_SCHEMA_DIR, "", 1);
	assert_str_free(keel_schema_dir_for("/usr/sbin/keeld"),
			KEEL_DATADIR "/schemas");
	free(keeld);
	free(build);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("paths");
	TCase *tc = tcase_create("paths");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_in_build_tree);
	tcase_add_test(tc, test_build_tree_paths);
	tcase_add_test(tc, test_installed_paths);
	tcase_add_test(tc, test_environment_wins);
	suite_add_tcase(s, tc);
	return s;
}
