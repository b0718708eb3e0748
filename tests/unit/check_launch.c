// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keeld refuses before it runs keel-hv (daemon/launch.c), in the
 * test's process (unit_keeld.h), with /bin/false as the hypervisor that
 * is never reached: a disk that is missing, locked by another program
 * or not a file, memory past memory_overcommit. Each refusal says why,
 * leaves the domain shut off (reason "failed") with no run directory,
 * and forgets a transient domain. And the log paths of a domain.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keel.h"
#include "run.h"
#include "runner.h"
#include "unit_keeld.h"

static struct unit_keeld u;

static void teardown(void)
{
	unit_keeld_stop(&u);
}

/* Define "web" with one disk at @path (writable unless @ro). */
static void define_with_disk(const char *path, bool ro)
{
	char params[512];

	snprintf(params, sizeof(params),
		 "{\"config\":{\"name\":\"web\",\"kernel\":\"/k\",\"disks\":[{\"vdev\":\"vda\",\"path\":\"%s\"%s}]}}",
		 path, ro ? ",\"readonly\":true" : "");
	json_object_put(unit_assert_ok(unit_keeld_call(&u, u.rw_sock,
						       "domain.define",
						       params)));
}

/* No domain has a run directory. */
static void assert_no_run_dirs(void)
{
	char path[192];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/domains", u.k.conf.run_dir);
	d = opendir(path);
	while (d && (de = readdir(d)))
		ck_assert_msg(de->d_name[0] == '.', "%s/%s was left behind",
			      path, de->d_name);
	if (d)
		closedir(d);
}

/* domain.start of "web" is refused with @code and @words; web is left as it was. */
static void assert_start_refused(int code, const char *words)
{
	struct json_object *info;

	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.start",
					  "{\"name\":\"web\"}"),
			  code, NULL, words);
	info = unit_assert_ok(unit_keeld_call(&u, u.rw_sock, "domain.info",
					      "{\"name\":\"web\"}"));
	ck_assert_str_eq(unit_str(info, "/result/state"), "shutoff");
	ck_assert_str_eq(unit_str(info, "/result/reason"), "failed");
	json_object_put(info);
	assert_no_run_dirs();
}

START_TEST(test_disk_missing)
{
	unit_keeld_start(&u, NULL);
	define_with_disk(unit_keeld_path(&u, "no-such.img"), false);
	assert_start_refused(KEEL_E_OPERATION_FAILED, "cannot open the disk");
}
END_TEST

/* Another program's lock on a disk: keel-hv would fail to take it. */
START_TEST(test_disk_locked)
{
	struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	const char *img;
	int fd;

	unit_keeld_start(&u, NULL);
	img = unit_keeld_path(&u, "disk.img");
	fd = open(img, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &lock), 0);
	define_with_disk(img, false);
	assert_start_refused(KEEL_E_OPERATION_FAILED, "in use by another");
	/* A read-only disk takes a read lock: refused by a write lock too. */
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.undefine", "{\"name\":\"web\"}")));
	define_with_disk(img, true);
	assert_start_refused(KEEL_E_OPERATION_FAILED, "in use by another");
	close(fd);
}
END_TEST

START_TEST(test_disk_not_a_file)
{
	unit_keeld_start(&u, NULL);
	define_with_disk(u.k.conf.state_dir, true);
	assert_start_refused(KEEL_E_OPERATION_FAILED,
			     "neither a file nor a block device");
}
END_TEST

/* memory_overcommit 1%: 512 GiB fits on no host this runs on. */
START_TEST(test_memory_overcommit)
{
	unit_keeld_start(&u, "memory_overcommit = 1\n");
	json_object_put(unit_assert_ok(unit_keeld_call(
		&u, u.rw_sock, "domain.define",
		"{\"config\":{\"name\":\"web\",\"kernel\":\"/k\",\"memory\":524288}}")));
	assert_start_refused(KEEL_E_RESOURCE, "memory_overcommit");
}
END_TEST

/* A transient domain that cannot start is forgotten. */
START_TEST(test_transient_forgotten)
{
	char params[512];

	unit_keeld_start(&u, NULL);
	snprintf(params, sizeof(params),
		 "{\"config\":{\"name\":\"tmp\",\"kernel\":\"/k\",\"disks\":[{\"vdev\":\"vda\",\"path\":\"%s\"}]}}",
		 unit_keeld_path(&u, "no-such.img"));
	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.create",
					  params),
			  KEEL_E_OPERATION_FAILED, NULL, "cannot open the disk");
	unit_assert_error(unit_keeld_call(&u, u.rw_sock, "domain.info",
					  "{\"name\":\"tmp\"}"),
			  KEEL_E_NO_DOMAIN, NULL, NULL);
	assert_no_run_dirs();
}
END_TEST

START_TEST(test_log_paths)
{
	char want[256], *p;

	unit_keeld_start(&u, NULL);
	p = launch_log_path(&u.k, "web", ".console.log");
	snprintf(want, sizeof(want), "%s/web.console.log", u.k.conf.log_dir);
	ck_assert_str_eq(p, want);
	free(p);
	p = launch_log_path(&u.k, "web", ".log");
	snprintf(want, sizeof(want), "%s/web.log", u.k.conf.log_dir);
	ck_assert_str_eq(p, want);
	free(p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("launch");
	TCase *tc = tcase_create("launch");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_disk_missing);
	tcase_add_test(tc, test_disk_locked);
	tcase_add_test(tc, test_disk_not_a_file);
	tcase_add_test(tc, test_memory_overcommit);
	tcase_add_test(tc, test_transient_forgotten);
	tcase_add_test(tc, test_log_paths);
	suite_add_tcase(s, tc);
	return s;
}
