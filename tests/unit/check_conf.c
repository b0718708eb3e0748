// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld.conf (daemon/conf.c): the defaults, every setting, and the
 * errors, each a sentence naming the file and line, for a setting that
 * is misspelt, has no value or a value out of range.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "runner.h"

static char dir[64];
static char path[96];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keeld.conf", dir);
	log_init("check_conf", false, LOG_LEVEL_DEBUG);
	log_set_global_limit(0, 0);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/*
 * conf_load() of @file into @conf, what it logged into @log (up to @size
 * bytes). Returns conf_load()'s value.
 */
static int load_file_logged(struct keeld_conf *conf, const char *file,
			    bool missing_ok, char *log, size_t size)
{
	char logpath[80];
	int fd, saved, rc;
	ssize_t n;

	snprintf(logpath, sizeof(logpath), "%s/log", dir);
	fd = open(logpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	rc = conf_load(conf, file, missing_ok);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, log, size - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(logpath);
	return rc;
}

/* The same for a keeld.conf of @text. */
static int load_logged(struct keeld_conf *conf, const char *text, char *log,
		       size_t size)
{
	write_conf(text);
	return load_file_logged(conf, path, false, log, size);
}

START_TEST(test_defaults)
{
	struct keeld_conf c;

	ck_assert_int_eq(conf_init(&c), 0);
	ck_assert_ptr_nonnull(c.run_dir);
	ck_assert_ptr_nonnull(c.state_dir);
	ck_assert_ptr_nonnull(c.log_dir);
	ck_assert_ptr_nonnull(c.schema_dir);
	ck_assert_ptr_nonnull(c.hypervisor);
	ck_assert_ptr_null(c.group);
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(c.memory_overcommit, 100);
	ck_assert_uint_eq(c.max_clients, 0);
	ck_assert_uint_eq(c.max_clients_per_uid, 0);
	ck_assert_uint_eq(c.client_memory, CONF_CLIENT_MEMORY_MIB);
	ck_assert_uint_eq(c.client_idle_timeout, CONF_CLIENT_IDLE_TIMEOUT_S);
	conf_dispose(&c);
	ck_assert_ptr_null(c.run_dir);
	conf_dispose(&c);	/* idempotent */
}
END_TEST

START_TEST(test_every_setting)
{
	struct keeld_conf c;
	char log[1024];

	ck_assert_int_eq(conf_init(&c), 0);
	ck_assert_int_eq(
		load_logged(&c,
			    "# keeld.conf\n"
			    "\n"
			    "   run_dir = /run/k  \n"
			    "state_dir=/var/lib/k\n"
			    "\tlog_dir =\t/var/log/k\n"
			    "group = kvm\n"
			    "hypervisor = /opt/keel-hv\n"
			    "log_level = debug\n"
			    "memory_overcommit = 0\n"
			    "max_clients = 1000000\n"
			    "max_clients_per_uid = 7\n"
			    "client_memory = 1\n"
			    "client_idle_timeout = 0\n"
			    "   # an indented comment\n"
			    "group = a=b\n",
			    log, sizeof(log)),
		0);
	ck_assert_str_eq(log, "");
	ck_assert_str_eq(c.run_dir, "/run/k");
	ck_assert_str_eq(c.state_dir, "/var/lib/k");
	ck_assert_str_eq(c.log_dir, "/var/log/k");
	/* The last one counts, and the value runs to the line's end. */
	ck_assert_str_eq(c.group, "a=b");
	ck_assert_str_eq(c.hypervisor, "/opt/keel-hv");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(c.memory_overcommit, 0);
	ck_assert_uint_eq(c.max_clients, 1000000);
	ck_assert_uint_eq(c.max_clients_per_uid, 7);
	ck_assert_uint_eq(c.client_memory, 1);
	ck_assert_uint_eq(c.client_idle_timeout, 0);
	conf_dispose(&c);
}
END_TEST

START_TEST(test_missing_file)
{
	struct keeld_conf c;
	char none[128], log[512];

	ck_assert_int_eq(conf_init(&c), 0);
	snprintf(none, sizeof(none), "%s/none.conf", dir);
	ck_assert_int_eq(load_file_logged(&c, none, true, log, sizeof(log)),
			 0);
	ck_assert_str_eq(log, "");
	/* Not there, and it must be: said, with the path. */
	ck_assert_int_eq(load_file_logged(&c, none, false, log, sizeof(log)),
			 -ENOENT);
	ck_assert_msg(strstr(log, "Cannot read the configuration file") &&
			      strstr(log, none),
		      "%s", log);
	/* An empty file is all defaults. */
	ck_assert_int_eq(load_logged(&c, "", log, sizeof(log)), 0);
	ck_assert_uint_eq(c.memory_overcommit, 100);
	conf_dispose(&c);
}
END_TEST

/* Each bad file: refused, and the sentence names the line. */
START_TEST(test_errors)
{
	static const struct {
		const char *text;
		unsigned line;
		const char *says;
	} t[] = {
		{ "run_dir = /a\nrundir = /b\n", 2,
		  "unknown setting \"rundir\"; keeld.conf knows run_dir" },
		{ "# c\n\nrun_dir /a\n", 3, "expected `key = value`" },
		{ "group =   \n", 1, "\"group\" has no value" },
		{ "log_level = loud\n", 1,
		  "log_level must be err, warn, info or debug, not \"loud\"" },
		{ "memory_overcommit = -1\n", 1,
		  "memory_overcommit must be a percentage" },
		{ "memory_overcommit = 100001\n", 1,
		  "memory_overcommit must be a percentage" },
		{ "memory_overcommit = 50%\n", 1,
		  "memory_overcommit must be a percentage" },
		{ "max_clients = 1000001\n", 1,
		  "max_clients must be a number of connections" },
		{ "max_clients_per_uid = many\n", 1,
		  "max_clients_per_uid must be a number of connections" },
		{ "client_memory = 0\n", 1,
		  "client_memory must be a number of MiB from 1 to 1048576" },
		{ "client_memory = 1048577\n", 1, "client_memory must be" },
		{ "client_idle_timeout = 1e3\n", 1,
		  "client_idle_timeout must be a number of seconds" },
		{ "client_idle_timeout = -5\n", 1,
		  "client_idle_timeout must be a number of seconds" },
		{ "= 5\n", 1, "unknown setting \"\"" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct keeld_conf c;
		char log[1024], where[128];

		ck_assert_int_eq(conf_init(&c), 0);
		ck_assert_msg(load_logged(&c, t[i].text, log, sizeof(log)) ==
				      -EINVAL,
			      "row %zu was accepted", i);
		snprintf(where, sizeof(where), "%s:%u: ", path, t[i].line);
		ck_assert_msg(strstr(log, where), "row %zu: %s", i, log);
		ck_assert_msg(strstr(log, t[i].says), "row %zu: %s", i, log);
		/* One sentence, ended. */
		ck_assert_msg(strstr(log, ".\n"), "row %zu: %s", i, log);
		conf_dispose(&c);
	}
}
END_TEST

/* Reading stops at the first error; what came before it was applied. */
START_TEST(test_stops_at_error)
{
	struct keeld_conf c;
	char log[1024];

	ck_assert_int_eq(conf_init(&c), 0);
	ck_assert_int_eq(load_logged(&c,
				     "client_memory = 5\n"
				     "bogus = 1\n"
				     "client_memory = 6\n",
				     log, sizeof(log)),
			 -EINVAL);
	ck_assert_uint_eq(c.client_memory, 5);
	ck_assert_ptr_null(strstr(log, ":3:"));
	conf_dispose(&c);
}
END_TEST

START_TEST(test_set)
{
	char *slot = NULL;

	ck_assert_int_eq(conf_set(&slot, "a"), 0);
	ck_assert_str_eq(slot, "a");
	ck_assert_int_eq(conf_set(&slot, "bb"), 0);
	ck_assert_str_eq(slot, "bb");
	free(slot);
}
END_TEST

/* The resource policy settings (keeld.8, CGROUPS): values and errors. */
START_TEST(test_cgroup_settings)
{
	static const struct {
		const char *text, *says;
	} bad[] = {
		{ "cgroups = yes\n", "cgroups must be required, optional or off, not \"yes\"." },
		{ "cgroup_parent = /keel\n", "cgroup_parent must be a group below" },
		{ "cgroup_parent = keel/../x\n", "not \"keel/../x\"" },
		{ "cgroup_parent = keel/\n", "cgroup_parent must be" },
		{ "cgroup_parent = a//b\n", "cgroup_parent must be" },
		{ "cgroup_parent = k el\n", "cgroup_parent must be" },
		{ "cgroup_root = sys/fs/cgroup\n", "cgroup_root must be an absolute path" },
	};
	struct keeld_conf c;
	char log[1024];

	ck_assert_int_eq(conf_init(&c), 0);
	ck_assert_int_eq(c.cgroups, CGROUP_REQUIRED);
	ck_assert_str_eq(c.cgroup_parent, "keel");
	ck_assert_ptr_null(c.cgroup_root);
	ck_assert_int_eq(load_logged(&c,
				     "cgroups = optional\n"
				     "cgroup_parent = machine.slice/keel-1\n"
				     "cgroup_root = /tmp/cg\n",
				     log, sizeof(log)),
			 0);
	ck_assert_int_eq(c.cgroups, CGROUP_OPTIONAL);
	ck_assert_str_eq(c.cgroup_parent, "machine.slice/keel-1");
	ck_assert_str_eq(c.cgroup_root, "/tmp/cg");
	ck_assert_int_eq(load_logged(&c, "cgroups = off\n", log, sizeof(log)),
			 0);
	ck_assert_int_eq(c.cgroups, CGROUP_OFF);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(load_logged(&c, bad[i].text, log, sizeof(log)),
				 -EINVAL);
		ck_assert_msg(strstr(log, bad[i].says) && strstr(log, ":1: "),
			      "%s: %s", bad[i].text, log);
	}
	/* A refused value changed nothing. */
	ck_assert_int_eq(c.cgroups, CGROUP_OFF);
	ck_assert_str_eq(c.cgroup_parent, "machine.slice/keel-1");
	conf_dispose(&c);
	ck_assert_ptr_null(c.cgroup_parent);
}
END_TEST

START_TEST(test_default_bridge)
{
	static const char *const bad[] = {
		"default_bridge = br/0\n", "default_bridge = abcdefghijklmnop\n",
		"default_bridge = a:b\n", "default_bridge = ..\n",
	};
	struct keeld_conf c;
	char log[1024];

	ck_assert_int_eq(conf_init(&c), 0);
	ck_assert_ptr_null(c.default_bridge);
	ck_assert_int_eq(load_logged(&c, "default_bridge = xenbr0\n", log,
				     sizeof(log)),
			 0);
	ck_assert_str_eq(c.default_bridge, "xenbr0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(load_logged(&c, bad[i], log, sizeof(log)),
				 -EINVAL);
		ck_assert_msg(strstr(log, ":1: default_bridge must be a network interface name"),
			      "%s: %s", bad[i], log);
	}
	/* a refused value changed nothing */
	ck_assert_str_eq(c.default_bridge, "xenbr0");
	conf_dispose(&c);
	ck_assert_ptr_null(c.default_bridge);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_setting);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_stops_at_error);
	tcase_add_test(tc, test_set);
	tcase_add_test(tc, test_cgroup_settings);
	tcase_add_test(tc, test_default_bridge);
	suite_add_tcase(s, tc);
	return s;
}
