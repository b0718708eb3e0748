// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's command line (hypervisor/hv_args.c): the options of an
 * incoming migration (--incoming, --incoming-token, --incoming-peer,
 * --pki-dir), parsed and, in every combination that cannot work,
 * refused with a sentence that names the option.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_args.h"
#include "keel.h"
#include "runner.h"

/*
 * hv_args_parse() on @opts (NULL-terminated), its log caught in @log
 * (@size bytes). Returns what it returned.
 */
static int parse(struct hv_args *a, const char *const *opts, char *log,
		 size_t size)
{
	char *argv[24] = { "keel-hv" };
	char path[64];
	int argc = 1, fd, saved, rc;
	ssize_t n;

	for (size_t i = 0; opts[i]; i++)
		argv[argc++] = (char *)opts[i];
	argv[argc] = NULL;
	snprintf(path, sizeof(path), "/tmp/check_hv_args.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	hv_args_init(a);
	optind = 0;
	rc = hv_args_parse(a, argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, log, size - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void refused(const char *const *opts, const char *words)
{
	struct hv_args a;
	char log[2048];

	ck_assert_int_eq(parse(&a, opts, log, sizeof(log)), -EINVAL);
	ck_assert_msg(strstr(log, words), "%s: log \"%s\" lacks \"%s\"",
		      opts[0], log, words);
	hv_args_dispose(&a);
}

START_TEST(test_incoming_parsed)
{
	static const char *const opts[] = {
		"--incoming=7", "--incoming-token=8", "--pki-dir=/srv/pki",
		"--incoming-peer=CN=host1,O=keel", "--control=/tmp/c.sock",
		"--memory=64M", NULL
	};
	struct hv_args a;
	char log[2048];

	ck_assert_int_eq(parse(&a, opts, log, sizeof(log)), 0);
	ck_assert_int_eq(a.incoming_fd, 7);
	ck_assert_int_eq(a.incoming_token_fd, 8);
	ck_assert_str_eq(a.pki_dir, "/srv/pki");
	ck_assert_str_eq(a.incoming_peer, "CN=host1,O=keel");
	ck_assert(a.cfg.restore);
	ck_assert_int_eq(a.restore_fd, -1);
	ck_assert_ptr_null(a.cfg.kernel);
	hv_args_dispose(&a);
}
END_TEST

START_TEST(test_incoming_default_pki)
{
	static const char *const opts[] = { "--incoming=7",
					    "--incoming-token=8",
					    "--control=/tmp/c.sock", NULL };
	struct hv_args a;
	char log[2048];

	ck_assert_int_eq(parse(&a, opts, log, sizeof(log)), 0);
	ck_assert_str_eq(a.pki_dir, KEEL_PKI_DIR_DEFAULT);
	ck_assert_ptr_null(a.incoming_peer);
	hv_args_dispose(&a);
}
END_TEST

START_TEST(test_incoming_refusals)
{
	static const char *const no_token[] = {
		"--incoming=7", "--control=/c", NULL
	};
	static const char *const no_control[] = {
		"--incoming=7", "--incoming-token=8", NULL
	};
	static const char *const same_fd[] = {
		"--incoming=7", "--incoming-token=7", "--control=/c", NULL
	};
	static const char *const with_restore[] = {
		"--incoming=7", "--incoming-token=8", "--restore=9",
		"--control=/c", NULL
	};
	static const char *const with_kernel[] = {
		"--incoming=7", "--incoming-token=8", "--control=/c",
		"--kernel=/boot/vmlinuz", NULL
	};
	static const char *const stdio_fd[] = { "--incoming=2",
						"--incoming-token=8", NULL };
	static const char *const not_fd[] = { "--incoming=x7", NULL };
	static const char *const bad_token_fd[] = {
		"--incoming=7", "--incoming-token=-1", NULL
	};
	static const char *const token_alone[] = {
		"--kernel=/boot/vmlinuz", "--incoming-token=8", NULL
	};
	static const char *const peer_alone[] = {
		"--kernel=/boot/vmlinuz", "--incoming-peer=CN=a", NULL
	};
	static const char *const pki_alone[] = {
		"--kernel=/boot/vmlinuz", "--pki-dir=/srv/pki", NULL
	};
	static const char *const empty_peer[] = {
		"--incoming=7", "--incoming-token=8", "--incoming-peer=",
		"--control=/c", NULL
	};
	static const char *const disk_fd[] = {
		"--incoming=7", "--incoming-token=8", "--disk-fd=8",
		"--control=/c", NULL
	};

	refused(no_token, "--incoming needs --incoming-token");
	refused(no_control, "--incoming needs --control");
	refused(same_fd, "both name descriptor 7");
	refused(with_restore, "--incoming and --restore");
	refused(with_kernel, "--incoming starts the guest the stream saved");
	refused(stdio_fd, "descriptors 0, 1 and 2");
	refused(not_fd, "Invalid --incoming 'x7'");
	refused(bad_token_fd, "Invalid --incoming-token '-1'");
	refused(token_alone, "which is missing");
	refused(peer_alone, "which is missing");
	refused(pki_alone, "which is missing");
	refused(empty_peer, "Invalid --incoming-peer");
	refused(disk_fd, "--disk-fd names descriptor 8");
}
END_TEST

START_TEST(test_usage_names_incoming)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	hv_args_usage(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "keel-hv --incoming FD"));
	ck_assert_ptr_nonnull(strstr(buf, "--incoming-peer DN"));
	ck_assert_ptr_nonnull(strstr(buf, "--pki-dir DIR"));
	free(buf);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv_args");
	TCase *tc = tcase_create("incoming");

	tcase_add_test(tc, test_incoming_parsed);
	tcase_add_test(tc, test_incoming_default_pki);
	tcase_add_test(tc, test_incoming_refusals);
	tcase_add_test(tc, test_usage_names_incoming);
	suite_add_tcase(s, tc);
	return s;
}
