// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv on /dev/kvm with the in-tree test guests: deterministic,
 * near-native-speed checks of the console, the exit reasons and guest
 * memory.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "memsum.h"
#include "runner.h"

/* keel-hv's exit statuses (man/keel-hv.8, EXIT STATUS). */
enum {
	HV_EXIT_POWEROFF = 0,
	HV_EXIT_ERROR = 1,
	HV_EXIT_REBOOT = 2,
	HV_EXIT_CRASH = 3,
	HV_EXIT_KILLED = 4,
};

#define TIMEOUT_MS 20000

static const char *guest(const char *name)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "tests/guests/%s.bin", name);
	return harness_path(rel);
}

/* Run a test guest with @mem to completion; returns keel-hv's status. */
static int run_guest(struct proc *p, const char *name, const char *mem)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest(name), "--memory",
			 (char *)mem, "--console", "stdio", NULL };

	ck_assert_int_eq(proc_spawn(p, argv), 0);
	return proc_wait(p, TIMEOUT_MS);
}

START_TEST(test_hello_poweroff)
{
	struct proc p;
	int rc = run_guest(&p, "hello", "32M");

	ck_assert_msg(strstr(p.out, "hello from keel test guest"),
		      "no greeting in output: %s", p.out);
	ck_assert_msg(rc == HV_EXIT_POWEROFF, "exit %d, output: %s", rc,
		      p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_reboot_reported)
{
	struct proc p;
	int rc = run_guest(&p, "reboot", "32M");

	ck_assert_msg(rc == HV_EXIT_REBOOT, "exit %d, output: %s", rc, p.out);
	ck_assert_msg(strstr(p.out, "reboot"), "reason not logged: %s",
		      p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_crash_reported)
{
	struct proc p;
	int rc = run_guest(&p, "crash", "32M");

	ck_assert_msg(rc == HV_EXIT_CRASH, "exit %d, output: %s", rc, p.out);
	ck_assert_msg(strstr(p.out, "crash"), "reason not logged: %s", p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_echo_console_and_kill)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("echo"), "--memory", "32M",
			 "--console", "stdio", NULL };
	struct proc p;
	long at;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	at = proc_expect(&p, "> ", 0, TIMEOUT_MS);
	ck_assert_msg(at > 0, "no prompt: %s", p.out);
	ck_assert_int_eq(proc_send(&p, "keel-echo-42\r"), 0);
	at = proc_expect(&p, "keel-echo-42", (size_t)at, TIMEOUT_MS);
	ck_assert_msg(at > 0, "input not echoed: %s", p.out);
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	proc_dispose(&p);
}
END_TEST

/*
 * The guest fills its RAM with a pattern and prints the checksum; the
 * host computes what it must be for 1 MiB..64 MiB (the e820 RAM above the
 * floor), so a wrong memory layout or a lost write shows as a mismatch.
 */
START_TEST(test_memsum_64m)
{
	struct proc p;
	uint64_t start = 0x100000, end = 64ULL << 20;
	char want[64];
	int rc;

	ck_assert(memsum_clip(&start, &end));
	snprintf(want, sizeof(want), "memsum pages=%llu sum=%016llx",
		 (unsigned long long)((end - start) / MEMSUM_PAGE),
		 (unsigned long long)memsum_range(start, end));
	rc = run_guest(&p, "memsum", "64M");
	ck_assert_msg(strstr(p.out, want), "want \"%s\" in: %s", want, p.out);
	ck_assert_msg(strstr(p.out, "memsum OK"), "self-check: %s", p.out);
	ck_assert_int_eq(rc, HV_EXIT_POWEROFF);
	proc_dispose(&p);
}
END_TEST

/* One request on keel-hv's control socket; its answer must come. */
static const char *control_call(struct harness_client *f, const char *line)
{
	const char *r = harness_client_call(f, line, TIMEOUT_MS);

	ck_assert_msg(r != NULL, "no answer to %s", line);
	return r;
}

START_TEST(test_control_socket)
{
	char sock[] = "/tmp/keel-hv-test-XXXXXX";
	char path[64];
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("dirty"), "--memory", "32M",
			 "--console", "stdio", "--control", path, NULL };
	struct proc p;
	const char *r;
	size_t before;
	struct harness_client f;

	ck_assert_ptr_nonnull(mkdtemp(sock));
	snprintf(path, sizeof(path), "%s/control", sock);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(harness_client_open(&f, path, 4000), 0);

	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
	ck_assert_msg(strstr(r, "\"state\":\"running\""), "status: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"pause\"}");
	ck_assert_msg(strstr(r, "\"result\""), "pause: %s", r);
	/* Paused: the heartbeating guest prints nothing more. */
	proc_expect(&p, "\x01never\x01", 0, 300);
	before = p.len;
	proc_expect(&p, "\x01never\x01", 0, 1500);
	ck_assert_msg(p.len == before, "output while paused");
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"pause\"}");
	ck_assert_msg(strstr(r, "-32003"), "double pause: %s", r);
	r = control_call(&f, "not json at all");
	ck_assert_msg(strstr(r, "-32700"), "garbage: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"reboot-now\"}");
	ck_assert_msg(strstr(r, "-32601"), "unknown method: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resume\"}");
	ck_assert_msg(strstr(r, "\"result\""), "resume: %s", r);
	ck_assert_msg(proc_expect(&p, "dirty", before, 5000) > 0,
		      "no output after resume: %s", p.out + before);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"stats\"}");
	ck_assert_msg(strstr(r, "\"run_ns\""), "stats: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"stop\"}");
	ck_assert_msg(strstr(r, "\"result\""), "stop: %s", r);
	harness_client_close(&f);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	ck_assert_msg(access(path, F_OK) != 0, "socket file left behind");
	rmdir(sock);
	proc_dispose(&p);
}
END_TEST

/* A scratch directory for a control socket and a status file. */
struct scratch {
	char dir[32];
	char sock[64];
	char status[64];
};

static void scratch_init(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/keel-hv-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->sock, sizeof(s->sock), "%s/control", s->dir);
	snprintf(s->status, sizeof(s->status), "%s/status", s->dir);
}

static void scratch_dispose(struct scratch *s)
{
	char tmp[80];

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->status);
	unlink(tmp);
	unlink(s->status);
	unlink(s->sock);
	rmdir(s->dir);
}

/* The status file's contents (malloc'd), or NULL if there is none. */
static char *read_status_file(const struct scratch *s)
{
	char buf[1024];
	FILE *f = fopen(s->status, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * Run test guest @name with --status-file until it ends; check its exit
 * status and that the file gives @reason, the same status and a detail
 * containing @detail, as one line.
 */
static void check_status_file(const char *name, int want_rc,
			      const char *reason, const char *detail)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest(name), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 NULL };
	char want[64], tmp[80];
	struct proc p;
	char *text;
	int rc;

	scratch_init(&sc);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, TIMEOUT_MS);
	ck_assert_msg(rc == want_rc, "%s: exit %d, output: %s", name, rc,
		      p.out);
	text = read_status_file(&sc);
	ck_assert_msg(text != NULL, "%s: no status file; output: %s", name,
		      p.out);
	snprintf(want, sizeof(want), "{\"reason\":\"%s\",\"status\":%d,",
		 reason, want_rc);
	ck_assert_msg(strstr(text, want) == text, "%s: status file %s", name,
		      text);
	ck_assert_msg(strstr(text, detail), "%s: detail in %s", name, text);
	ck_assert_msg(strchr(text, '\n') == text + strlen(text) - 1,
		      "%s: not one line: %s", name, text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", sc.status);
	ck_assert_msg(access(tmp, F_OK) != 0, "%s: %s left behind", name,
		      tmp);
	free(text);
	proc_dispose(&p);
	scratch_dispose(&sc);
}

START_TEST(test_status_file_poweroff)
{
	check_status_file("hello", HV_EXIT_POWEROFF, "poweroff",
			  "powered off");
}
END_TEST

START_TEST(test_status_file_reboot)
{
	check_status_file("reboot", HV_EXIT_REBOOT, "reboot", "reset");
}
END_TEST

START_TEST(test_status_file_crash)
{
	check_status_file("crash", HV_EXIT_CRASH, "crash", "triple-faulted");
}
END_TEST

START_TEST(test_status_file_killed)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("echo"), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 NULL };
	struct proc p;
	char *text;
	FILE *f;

	scratch_init(&sc);
	/* An old run's file must not survive into this one. */
	f = fopen(sc.status, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"reason\":\"poweroff\",\"status\":0}\n", f);
	fclose(f);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_expect(&p, "> ", 0, TIMEOUT_MS) > 0, "no prompt: %s",
		      p.out);
	ck_assert_msg(access(sc.status, F_OK) != 0,
		      "stale status file kept while the VM runs");
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	text = read_status_file(&sc);
	ck_assert_msg(text && strstr(text, "{\"reason\":\"killed\","
					   "\"status\":4,") == text,
		      "status file: %s", text ? text : "(none)");
	ck_assert_msg(strstr(text, "SIGTERM"), "detail: %s", text);
	free(text);
	proc_dispose(&p);
	scratch_dispose(&sc);
}
END_TEST

/* No status file when keel-hv fails before the VM starts. */
START_TEST(test_status_file_not_on_start_error)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", "/nonexistent/kernel", "--console",
			 "none", "--status-file", sc.status, NULL };
	struct proc p;

	scratch_init(&sc);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	ck_assert_msg(access(sc.status, F_OK) != 0, "status file written");
	proc_dispose(&p);
	scratch_dispose(&sc);
}
END_TEST

/*
 * --paused: the greeting guest says nothing until resume. Also the
 * identity in status, and the stopped notification to a client that is
 * connected when the guest powers off.
 */
START_TEST(test_paused_identity_notification)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("hello"), "--memory", "32M",
			 "--console", "stdio", "--control", sc.sock,
			 "--paused", "--uuid",
			 "0D7E5C2A-3F4B-4C1D-9E8F-1A2B3C4D5E6F", "--name",
			 "web-1", NULL };
	struct harness_client f;
	struct proc p;
	const char *r;
	char *note;

	scratch_init(&sc);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(harness_client_open(&f, sc.sock, 4000), 0);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
	ck_assert_msg(strstr(r, "\"state\":\"paused\""), "status: %s", r);
	ck_assert_msg(strstr(r, "\"uuid\":\"0d7e5c2a-3f4b-4c1d-9e8f-1a2b3c4d5e6f\""),
		      "uuid: %s", r);
	ck_assert_msg(strstr(r, "\"name\":\"web-1\""), "name: %s", r);
	ck_assert_msg(proc_expect(&p, "hello from", 0, 1500) == -ETIMEDOUT,
		      "guest ran while paused: %s", p.out);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resume\"}");
	ck_assert_msg(strstr(r, "\"result\""), "resume: %s", r);
	ck_assert_msg(proc_expect(&p, "hello from keel test guest", 0,
				  TIMEOUT_MS) > 0,
		      "no greeting after resume: %s", p.out);
	note = harness_client_readline(&f, TIMEOUT_MS);
	ck_assert_msg(note && strstr(note, "\"method\":\"stopped\"") &&
			      strstr(note, "\"reason\":\"poweroff\"") &&
			      strstr(note, "\"status\":0") &&
			      !strstr(note, "\"id\""),
		      "notification: %s", note ? note : "(none)");
	free(note);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_POWEROFF);
	harness_client_close(&f);
	proc_dispose(&p);
	scratch_dispose(&sc);
}
END_TEST

/*
 * --linger: the guest powers off, the process stays with its control
 * socket, and stop then exits with the poweroff status.
 */
START_TEST(test_linger)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("echo"), "--memory", "32M",
			 "--console", "stdio", "--control", sc.sock,
			 "--status-file", sc.status, "--linger", NULL };
	struct harness_client f;
	struct proc p;
	const char *r;
	char *note, *text;

	scratch_init(&sc);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(harness_client_open(&f, sc.sock, 4000), 0);
	ck_assert_msg(proc_expect(&p, "> ", 0, TIMEOUT_MS) > 0, "no prompt: %s",
		      p.out);
	ck_assert_int_eq(proc_send(&p, "poweroff\r"), 0);
	note = harness_client_readline(&f, TIMEOUT_MS);
	ck_assert_msg(note && strstr(note, "\"method\":\"stopped\"") &&
			      strstr(note, "\"reason\":\"poweroff\""),
		      "notification: %s; output: %s", note ? note : "(none)",
		      p.out);
	free(note);
	text = read_status_file(&sc);
	ck_assert_msg(text && strstr(text, "{\"reason\":\"poweroff\","
					   "\"status\":0,") == text,
		      "status file: %s", text ? text : "(none)");
	free(text);
	ck_assert_msg(proc_wait(&p, 500) == -ETIMEDOUT,
		      "exited despite --linger: %s", p.out);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
	ck_assert_msg(strstr(r, "\"state\":\"stopped\"") &&
			      strstr(r, "\"reason\":\"poweroff\""),
		      "status: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resume\"}");
	ck_assert_msg(strstr(r, "-32003"), "resume: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"pause\"}");
	ck_assert_msg(strstr(r, "-32003"), "pause: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"power-button\"}");
	ck_assert_msg(strstr(r, "-32003"), "power-button: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"stats\"}");
	ck_assert_msg(strstr(r, "\"run_ns\""), "stats: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"stop\"}");
	ck_assert_msg(strstr(r, "\"result\""), "stop: %s", r);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_POWEROFF);
	ck_assert_msg(access(sc.sock, F_OK) != 0, "socket file left behind");
	harness_client_close(&f);
	proc_dispose(&p);
	scratch_dispose(&sc);
}
END_TEST

/* --linger after a crash; SIGTERM ends it with the crash's status. */
START_TEST(test_linger_crash_sigterm)
{
	struct scratch sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("crash"), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 "--linger", NULL };
	long long deadline = harness_now_ms() + TIMEOUT_MS;
	struct proc p;
	char *text;

	scratch_init(&sc);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	while (access(sc.status, F_OK) != 0 && harness_now_ms() < deadline)
		usleep(20000);
	ck_assert_msg(proc_wait(&p, 500) == -ETIMEDOUT,
		      "exited despite --linger: %s", p.out);
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_CRASH);
	text = read_status_file(&sc);
	ck_assert_msg(text && strstr(text, "{\"reason\":\"crash\","
					   "\"status\":3,") == text,
		      "status file: %s", text ? text : "(none)");
	free(text);
	proc_dispose(&p);
	scratch_dispose(&sc);
}
END_TEST

START_TEST(test_bad_kernel_is_an_error)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", "/nonexistent/kernel", "--console",
			 "none", NULL };
	struct proc p;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	ck_assert_msg(strstr(p.out, "/nonexistent/kernel"),
		      "error does not name the file: %s", p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_bad_memory_option)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)guest("hello"), "--memory",
			 "lots", "--console", "none", NULL };
	struct proc p;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	ck_assert_msg(strstr(p.out, "memory"), "error does not say what: %s",
		      p.out);
	proc_dispose(&p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv_guests");
	TCase *tc = tcase_create("test guests");

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	if (!runner_skip_reason && !harness_have_file(guest("hello")))
		runner_skip_reason = "test guests are not built (make guest)";
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_poweroff);
	tcase_add_test(tc, test_reboot_reported);
	tcase_add_test(tc, test_crash_reported);
	tcase_add_test(tc, test_echo_console_and_kill);
	tcase_add_test(tc, test_memsum_64m);
	tcase_add_test(tc, test_control_socket);
	tcase_add_test(tc, test_status_file_poweroff);
	tcase_add_test(tc, test_status_file_reboot);
	tcase_add_test(tc, test_status_file_crash);
	tcase_add_test(tc, test_status_file_killed);
	tcase_add_test(tc, test_status_file_not_on_start_error);
	tcase_add_test(tc, test_paused_identity_notification);
	tcase_add_test(tc, test_linger);
	tcase_add_test(tc, test_linger_crash_sigterm);
	tcase_add_test(tc, test_bad_kernel_is_an_error);
	tcase_add_test(tc, test_bad_memory_option);
	suite_add_tcase(s, tc);
	return s;
}
