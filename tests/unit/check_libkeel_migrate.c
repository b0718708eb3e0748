// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libkeel's migration calls (lib/libkeel_migrate.c) and keel migrate
 * (cli/migrate_cmds.c) against the scripted fake keeld: the params each
 * sends for each choice, the answers read, what is refused before
 * anything is sent, and the CLI's argument errors (exit status 2, a
 * sentence, no call to keeld).
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_keeld.h"
#include "keel.h"
#include "runner.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RESULT "{\"host\":\"hostB\",\"downtime_ms\":42,\"sent\":1048576,\"rounds\":3,\"stream_ms\":700,\"ms\":900}"

START_TEST(test_migrate_params_and_result)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(RESULT) },
		{ .read = true, .send = REPLY(RESULT) },
		{ .read = true,
		  .send = ERROR("{\"code\":-32007,\"message\":\"The destination refused this host's certificate; web runs on here.\"}") },
	};
	struct keel_migrate_opts o = KEEL_MIGRATE_OPTS_INIT;
	struct json_object *res = NULL, *v;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_migrate(c, "web", "hostB", NULL, &res),
			 0);
	ck_assert(json_object_object_get_ex(res, "downtime_ms", &v));
	ck_assert_int_eq(json_object_get_int(v), 42);
	json_object_put(res);
	o.port = 16600;
	o.offline = true;
	o.downtime_ms = 50;
	o.bandwidth_mib = 100;
	o.auto_converge = true;
	o.timeout_s = 30;
	o.timeout_action = KEEL_MIGRATE_TIMEOUT_FORCE;
	ck_assert_int_eq(keel_domain_migrate(c, "web", "10.99.0.2", &o, NULL),
			 0);
	ck_assert_int_eq(keel_domain_migrate(c, "web", "hostB", NULL, &res),
			 -1);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(keel_last_error(c)->code, -32007);
	ck_assert_ptr_nonnull(strstr(keel_last_error(c)->message,
				     "runs on here"));
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_assert_request(&f, 0, 1, "domain.migrate",
				  "{\"name\":\"web\",\"host\":\"hostB\"}");
	fake_keeld_assert_request(&f, 1, 2, "domain.migrate",
				  "{\"name\":\"web\",\"host\":\"10.99.0.2\","
				  "\"port\":16600,\"live\":false,"
				  "\"downtime_ms\":50,\"bandwidth_mib\":100,"
				  "\"auto_converge\":true,\"timeout_s\":30,"
				  "\"timeout_action\":\"force\"}");
	ck_assert_uint_eq(f.nr_req, 3);
	fake_keeld_free(&f);
}
END_TEST

START_TEST(test_migrate_cancel_and_set)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY("{}") },
		{ .read = true, .send = REPLY("{}") },
		{ .read = true, .send = REPLY("{}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32003,\"message\":\"web is not migrating.\"}") },
	};
	struct keel_migrate_tune t = KEEL_MIGRATE_TUNE_INIT;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_migrate_cancel(c, "web"), 0);
	t.downtime_ms = 500;
	ck_assert_int_eq(keel_domain_migrate_set(c, "web", &t), 0);
	t.downtime_ms = -1;
	t.bandwidth_mib = 0;
	t.auto_converge = 1;
	ck_assert_int_eq(keel_domain_migrate_set(c, "web", &t), 0);
	ck_assert_int_eq(keel_domain_migrate_cancel(c, "web"), -1);
	ck_assert_int_eq(keel_last_error(c)->code, -32003);
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_assert_request(&f, 0, 1, "domain.migrate_cancel",
				  "{\"name\":\"web\"}");
	fake_keeld_assert_request(&f, 1, 2, "domain.migrate_set",
				  "{\"name\":\"web\",\"downtime_ms\":500}");
	fake_keeld_assert_request(&f, 2, 3, "domain.migrate_set",
				  "{\"name\":\"web\",\"bandwidth_mib\":0,"
				  "\"auto_converge\":true}");
	fake_keeld_free(&f);
}
END_TEST

/* What libkeel refuses itself: nothing reaches keeld. */
START_TEST(test_migrate_refused_here)
{
	struct keel_migrate_opts o = KEEL_MIGRATE_OPTS_INIT;
	struct keel_migrate_tune t = KEEL_MIGRATE_TUNE_INIT;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, NULL, 0);
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_migrate(c, "web", NULL, NULL, NULL), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_LOCAL);
	ck_assert_int_eq(keel_domain_migrate(c, "web", "", NULL, NULL), -1);
	ck_assert_int_eq(keel_domain_migrate(c, NULL, "hostB", NULL, NULL),
			 -1);
	o.port = 70000;
	ck_assert_int_eq(keel_domain_migrate(c, "web", "hostB", &o, NULL), -1);
	ck_assert_ptr_nonnull(strstr(keel_last_error(c)->message, "70000"));
	o.port = 0;
	o.timeout_action = (enum keel_migrate_timeout_action)7;
	ck_assert_int_eq(keel_domain_migrate(c, "web", "hostB", &o, NULL), -1);
	ck_assert_int_eq(keel_domain_migrate_set(c, "web", NULL), -1);
	ck_assert_int_eq(keel_domain_migrate_set(c, "web", &t), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_LOCAL);
	t.downtime_ms = 0;
	ck_assert_int_eq(keel_domain_migrate_set(c, "web", &t), -1);
	ck_assert_int_eq(keel_domain_migrate_cancel(c, NULL), -1);
	ck_assert_int_eq(keel_domain_migrate(NULL, "web", "hostB", NULL, NULL),
			 -1);
	keel_close(c);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.nr_req, 0);
	ck_assert_uint_eq(f.rx_len, 0);
	fake_keeld_free(&f);
}
END_TEST

/* --- keel migrate -------------------------------------------------------- */

struct keel_run {
	int status;	/* exit status; 128+N for signal N */
	char out[4096];	/* stdout and stderr */
};

/* Run the build's keel with @argv (NULL-terminated, after "keel"). */
static void keel_run(struct keel_run *r, const char *const *argv)
{
	const char *build = getenv("KEEL_BUILDDIR");
	char path[4096], *args[32];
	int p[2], n = 0, status;
	ssize_t got;
	size_t len = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/cli/keel", build ? build : ".");
	args[n++] = path;
	while (*argv && n < 31)
		args[n++] = (char *)*argv++;
	args[n] = NULL;
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execv(path, args);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(r->out) - 1 &&
	       (got = read(p[0], r->out + len, sizeof(r->out) - 1 - len)) > 0)
		len += (size_t)got;
	r->out[len] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
					128 + WTERMSIG(status);
}

/* keel migrate ARGS... must be refused as a usage error, saying @words. */
static void usage_refused(const char *words, const char *const *argv)
{
	struct keel_run r;

	keel_run(&r, argv);
	ck_assert_msg(r.status == 2, "exit %d for %s: %s", r.status, argv[3],
		      r.out);
	ck_assert_msg(strstr(r.out, words), "want \"%s\" in: %s", words,
		      r.out);
}

#define KEEL(...) ((const char *const[]){ "-c", "/nonexistent/keeld.sock", \
					   "migrate", __VA_ARGS__, NULL })

/* Argument errors: said before keeld is ever asked (the socket is not there). */
START_TEST(test_cli_argument_errors)
{
	usage_refused("Give the domain and the destination", KEEL("web"));
	usage_refused("Too few arguments", KEEL("--live"));
	usage_refused("not both", KEEL("--live", "--no-live", "web", "b"));
	usage_refused("whole number", KEEL("--downtime", "5ms", "web", "b"));
	usage_refused("at least 1 ms", KEEL("--downtime", "0", "web", "b"));
	usage_refused("whole number",
		      KEEL("--bandwidth", "-1", "web", "b"));
	usage_refused("at least 1 s", KEEL("--timeout", "0", "web", "b"));
	usage_refused("give --timeout S too",
		      KEEL("--timeout-action", "force", "web", "b"));
	usage_refused("cancel or force",
		      KEEL("--timeout", "5", "--timeout-action", "later",
			   "web", "b"));
	usage_refused("not a TCP port", KEEL("web", "hostB:0"));
	usage_refused("not a TCP port", KEEL("web", "hostB:65536"));
	usage_refused("not a TCP port", KEEL("web", "hostB:http"));
	usage_refused("names no host", KEEL("web", ":16515"));
	usage_refused("IPv6 address as [ADDRESS]", KEEL("web", "[::1"));
	usage_refused("IPv6 address as [ADDRESS]", KEEL("web", "[::1]x"));
	usage_refused("--cancel takes the domain only",
		      KEEL("--cancel", "web", "hostB"));
	usage_refused("--cancel takes no other option",
		      KEEL("--cancel", "--downtime", "9", "web"));
	usage_refused("There is no option", KEEL("--speed", "9", "web", "b"));
}
END_TEST

/* What keel migrate asks keeld, and --cancel. */
START_TEST(test_cli_calls)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(RESULT) },
		{ .accept = true, .read = true, .send = REPLY(RESULT) },
		{ .accept = true, .read = true,
		  .send = ERROR("{\"code\":-32007,\"message\":\"Migration of web failed in pre-copy: the destination keel-hv went away; web runs on here.\"}") },
		{ .accept = true, .read = true, .send = REPLY("{}") },
	};
	struct fake_keeld f;
	struct keel_run r;

	fake_keeld_start(&f, steps, N(steps));
	keel_run(&r, (const char *const[]){ "-c", f.path, "migrate", "web",
					    "hostB", NULL });
	ck_assert_msg(r.status == 0, "%s", r.out);
	keel_run(&r, (const char *const[]){ "-c", f.path, "migrate",
					    "--no-live", "--downtime", "50",
					    "--bandwidth", "100",
					    "--auto-converge", "--timeout",
					    "30", "--timeout-action", "force",
					    "web", "[fd00::2]:16600", NULL });
	ck_assert_msg(r.status == 0, "%s", r.out);
	keel_run(&r, (const char *const[]){ "-c", f.path, "migrate", "web",
					    "10.99.0.2", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_msg(strstr(r.out, "runs on here"), "%s", r.out);
	keel_run(&r, (const char *const[]){ "-c", f.path, "migrate",
					    "--cancel", "web", NULL });
	ck_assert_msg(r.status == 0, "%s", r.out);
	fake_keeld_stop(&f);
	fake_keeld_assert_request(&f, 0, 1, "domain.migrate",
				  "{\"name\":\"web\",\"host\":\"hostB\"}");
	fake_keeld_assert_request(&f, 1, 1, "domain.migrate",
				  "{\"name\":\"web\",\"host\":\"fd00::2\","
				  "\"port\":16600,\"live\":false,"
				  "\"downtime_ms\":50,\"bandwidth_mib\":100,"
				  "\"auto_converge\":true,\"timeout_s\":30,"
				  "\"timeout_action\":\"force\"}");
	fake_keeld_assert_request(&f, 2, 1, "domain.migrate",
				  "{\"name\":\"web\",\"host\":\"10.99.0.2\"}");
	fake_keeld_assert_request(&f, 3, 1, "domain.migrate_cancel",
				  "{\"name\":\"web\"}");
	fake_keeld_free(&f);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("libkeel_migrate");
	TCase *lib = tcase_create("libkeel");
	TCase *cli = tcase_create("keel migrate");

	tcase_add_test(lib, test_migrate_params_and_result);
	tcase_add_test(lib, test_migrate_cancel_and_set);
	tcase_add_test(lib, test_migrate_refused_here);
	suite_add_tcase(s, lib);
	tcase_add_test(cli, test_cli_argument_errors);
	tcase_add_test(cli, test_cli_calls);
	suite_add_tcase(s, cli);
	return s;
}
