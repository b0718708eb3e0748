// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/json_file.c, the atomic JSON-file writer: what ends up in the
 * file, its mode whatever the umask, no temporary file left behind
 * after a success or a failure, and the errors: a directory the writer
 * may not write to, one that does not exist, a target that cannot be
 * replaced.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_file.h"
#include "runner.h"

#define FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static char dir[64];

static void dir_make(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_json_file.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The names in the test directory, sorted, joined by spaces. */
static void dir_list(char *out, size_t size)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			snprintf(out + strlen(out), size - strlen(out), "%s%s",
				 *out ? " " : "", names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void dir_remove(void)
{
	struct dirent **names;
	char path[sizeof(dir) + 257];
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && unlink(path) < 0)
			rmdir(path);
		free(names[i]);
	}
	free(names);
	rmdir(dir);
}

/* The whole file @name in the test directory, malloc'd. */
static char *file_read(const char *name)
{
	char path[128], *buf = calloc(1, 4096);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, 4095);
	ck_assert_int_ge(n, 0);
	close(fd);
	return buf;
}

static int write_in_dir(const char *name, const char *json, int flags,
			mode_t mode)
{
	struct json_object *o = json_tokener_parse(json);
	char path[128];
	int rc;

	ck_assert_ptr_nonnull(o);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	rc = json_file_write(path, o, flags, mode);
	json_object_put(o);
	return rc;
}

/* The text, a newline, and nothing else; a second write replaces it. */
START_TEST(test_content)
{
	char names[256], *text;

	dir_make();
	ck_assert_int_eq(write_in_dir("state.json",
				      "{\"a\":\"x/y\",\"b\":[1,2]}", FLAGS,
				      0600),
			 0);
	text = file_read("state.json");
	ck_assert_str_eq(text, "{\"a\":\"x/y\",\"b\":[1,2]}\n");
	free(text);
	ck_assert_int_eq(write_in_dir("state.json", "{\"c\":true}",
				      JSON_C_TO_STRING_PRETTY, 0600),
			 0);
	text = file_read("state.json");
	ck_assert_str_eq(text, "{\n  \"c\":true\n}\n");
	free(text);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "state.json");
	dir_remove();
}
END_TEST

/* Exactly the mode asked for, under any umask; kept when replaced. */
START_TEST(test_mode)
{
	static const mode_t modes[] = { 0600, 0644, 0640 };
	char path[128];
	struct stat st;

	dir_make();
	umask(077);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		ck_assert_int_eq(write_in_dir("f.json", "{}", FLAGS, modes[i]),
				 0);
		snprintf(path, sizeof(path), "%s/f.json", dir);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, modes[i]);
	}
	umask(022);
	dir_remove();
}
END_TEST

/*
 * A target that cannot be replaced (a directory in its place): the
 * error, and the temporary file is gone. A stale temporary file from
 * an earlier crash is overwritten, not an obstacle.
 */
START_TEST(test_failure_leaves_nothing)
{
	char names[256], path[128], *text;
	int fd;

	dir_make();
	snprintf(path, sizeof(path), "%s/busy.json", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/busy.json/x", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_lt(write_in_dir("busy.json", "{}", FLAGS, 0600), 0);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "busy.json");
	unlink(path);
	snprintf(path, sizeof(path), "%s/busy.json", dir);
	rmdir(path);

	snprintf(path, sizeof(path), "%s/s.json.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "half a fil", 10), 10);
	close(fd);
	ck_assert_int_eq(write_in_dir("s.json", "[1]", FLAGS, 0600), 0);
	text = file_read("s.json");
	ck_assert_str_eq(text, "[1]\n");
	free(text);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "s.json");
	dir_remove();
}
END_TEST

/*
 * A directory the writer may not write to: -EACCES, nothing created.
 * Root may write anywhere, so as root the write is made by a child
 * that has become nobody.
 */
START_TEST(test_unwritable_dir)
{
	char names[256];
	int status, rc;
	pid_t pid;

	dir_make();
	ck_assert_int_eq(chmod(dir, 0555), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(100);
		rc = write_in_dir("x.json", "{}", FLAGS, 0600);
		_exit(rc == -EACCES ? 0 : 101);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "");
	chmod(dir, 0700);
	dir_remove();
}
END_TEST

/* A directory that is not there, and a path too long for one. */
START_TEST(test_bad_paths)
{
	struct json_object *o = json_object_new_object();
	char *long_path = malloc(PATH_MAX + 16);

	ck_assert_ptr_nonnull(long_path);
	ck_assert_int_eq(json_file_write("/nonexistent-keel-dir/x.json", o,
					 FLAGS, 0600),
			 -ENOENT);
	memset(long_path, 'a', PATH_MAX + 15);
	long_path[0] = '/';
	long_path[PATH_MAX + 15] = '\0';
	ck_assert_int_eq(json_file_write(long_path, o, FLAGS, 0600),
			 -ENAMETOOLONG);
	free(long_path);
	json_object_put(o);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("json_file");
	TCase *tc = tcase_create("write");

	tcase_add_test(tc, test_content);
	tcase_add_test(tc, test_mode);
	tcase_add_test(tc, test_failure_leaves_nothing);
	tcase_add_test(tc, test_unwritable_dir);
	tcase_add_test(tc, test_bad_paths);
	suite_add_tcase(s, tc);
	return s;
}
