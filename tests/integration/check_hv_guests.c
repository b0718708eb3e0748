// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv on /dev/kvm with the in-tree test guests: deterministic,
 * near-native-speed checks of the console, the exit reasons and guest
 * memory.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_proto.h"
#include "harness.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "memsum.h"
#include "runner.h"

#define TIMEOUT_MS 20000

/* Run a test guest with @mem to completion; returns keel-hv's status. */
static int run_guest(struct proc *p, const char *name, const char *mem)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)harness_guest(name), "--memory",
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
	/* Where it died, for the guest's System.map: rip and paging. */
	ck_assert_msg(strstr(p.out, "triple fault (shutdown): rip 0x") &&
			      strstr(p.out, " cr3 0x") &&
			      strstr(p.out, " idt 0x"),
		      "the vCPU's state not logged: %s", p.out);
	proc_dispose(&p);
}
END_TEST

START_TEST(test_echo_console_and_kill)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("echo"), "--memory", "32M",
			 "--console", "stdio", NULL };
	struct proc p;
	long at;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	at = proc_expect(&p, "> ", 0, TIMEOUT_MS);
	ck_assert_msg(at > 0, "no prompt: %s", p.out);
	ck_assert_int_eq(proc_send(&p, "keel-echo-42\r"), 0);
	at = proc_expect(&p, "keel-echo-42", (size_t)at, TIMEOUT_MS);
	ck_assert_msg(at > 0, "input not echoed: %s", p.out);
	harness_hv_stop(&p, TIMEOUT_MS);
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

/*
 * The test guests read their command line: dirty.mib=0 writes RAM once
 * and then idles; dirty.gap_us reports a pause of the vCPUs as a gap in
 * the guest's clock; a word that only starts like the key is not it.
 */
START_TEST(test_dirty_cmdline)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", (char *)harness_guest("dirty"),
			 "--memory", "32M", "--console", "stdio",
			 "--cmdline", "dirty.mibx=5 dirty.mib=0 dirty.gap_us=200000",
			 "--control", NULL, NULL };
	struct harness_client c = { .fd = -1 };
	char dir[] = "/tmp/keel-cmdline-XXXXXX", sock[64];
	struct proc p;
	long at;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/control.sock", dir);
	argv[10] = sock;
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	at = proc_expect(&p, "dirty: idle 1", 0, TIMEOUT_MS);
	ck_assert_msg(at > 0, "no idle line: %s", p.out);
	ck_assert_msg(strstr(p.out, "dirty: 0 pages/s"), "rate: %s", p.out);
	ck_assert_int_eq(harness_client_open(&c, sock, 10000), 0);
	ck_assert_ptr_nonnull(strstr(control_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pause\"}"), "\"result\""));
	usleep(500 * 1000);
	ck_assert_ptr_nonnull(strstr(control_call(&c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resume\"}"), "\"result\""));
	ck_assert_msg(proc_expect(&p, "dirty: gap ", (size_t)at, TIMEOUT_MS) > 0,
		      "no gap after a 500 ms pause: %s", p.out + at);
	harness_client_close(&c);
	harness_hv_stop(&p, TIMEOUT_MS);
	unlink(sock);
	rmdir(dir);
}
END_TEST

START_TEST(test_control_socket)
{
	char sock[] = "/tmp/keel-hv-test-XXXXXX";
	char path[64];
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("dirty"), "--memory", "32M",
			 "--console", "stdio", "--control", path, NULL };
	struct proc p;
	const char *r;
	size_t before;
	struct harness_client f;
	char *big;

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
	/*
	 * 1 MiB without a newline (lib/jsonrpc_frame.h): -32006 with id
	 * null, then that connection is closed; the VM runs on.
	 */
	big = malloc(JSONRPC_MAX_LINE);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', JSONRPC_MAX_LINE);
	ck_assert_int_eq(harness_client_send(&f, big, JSONRPC_MAX_LINE), 0);
	free(big);
	big = harness_client_readline(&f, TIMEOUT_MS);
	ck_assert_msg(big && strstr(big, "-32006") && strstr(big, "\"id\":null"),
		      "too large: %s", big ? big : "(closed)");
	free(big);
	ck_assert_ptr_null(harness_client_readline(&f, TIMEOUT_MS));
	harness_client_close(&f);
	ck_assert_int_eq(harness_client_open(&f, path, 4000), 0);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"stop\"}");
	ck_assert_msg(strstr(r, "\"result\""), "stop: %s", r);
	harness_client_close(&f);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	ck_assert_msg(access(path, F_OK) != 0, "socket file left behind");
	rmdir(sock);
	proc_dispose(&p);
}
END_TEST

/*
 * Run test guest @name with --status-file until it ends; check its exit
 * status and that the file gives @reason, the same status and a detail
 * containing @detail, as one line.
 */
static void check_status_file(const char *name, int want_rc,
			      const char *reason, const char *detail)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest(name), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 NULL };
	char want[64], tmp[80];
	struct proc p;
	char *text;
	int rc;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, TIMEOUT_MS);
	ck_assert_msg(rc == want_rc, "%s: exit %d, output: %s", name, rc,
		      p.out);
	text = harness_read_file(sc.status, NULL);
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
	harness_hv_dir_dispose(&sc);
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
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("echo"), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 NULL };
	struct proc p;
	char *text;
	FILE *f;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
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
	text = harness_read_file(sc.status, NULL);
	ck_assert_msg(text && strstr(text, "{\"reason\":\"killed\","
					   "\"status\":4,") == text,
		      "status file: %s", text ? text : "(none)");
	ck_assert_msg(strstr(text, "SIGTERM"), "detail: %s", text);
	free(text);
	proc_dispose(&p);
	harness_hv_dir_dispose(&sc);
}
END_TEST

/*
 * A failure to start is in the status file too, with the sentence that
 * says what to do: status 1, reason "error", a detail naming the file.
 */
static void check_start_error(char *kernel, const char *want_detail)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--kernel", kernel, "--console", "none",
			 "--status-file", sc.status, NULL };
	char want[256];
	char *text;
	struct proc p;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	text = harness_read_file(sc.status, NULL);
	ck_assert_msg(text != NULL, "no status file; output: %s", p.out);
	snprintf(want, sizeof(want),
		 "{\"" HV_STATUS_REASON "\":\"" HV_REASON_ERROR "\",\""
		 HV_STATUS_STATUS "\":%d,\"" HV_STATUS_DETAIL "\":\"",
		 HV_EXIT_ERROR);
	ck_assert_msg(strstr(text, want) == text, "status file: %s", text);
	ck_assert_msg(strstr(text, want_detail), "detail without %s: %s",
		      want_detail, text);
	/* The sentence keel-hv logged, not a pointer to its log. */
	ck_assert_msg(!strstr(text, "log says why"), "status file: %s", text);
	free(text);
	proc_dispose(&p);
	harness_hv_dir_dispose(&sc);
}

START_TEST(test_status_file_on_start_error)
{
	char empty[] = "/tmp/keel-hv-empty-XXXXXX";
	int fd = mkstemp(empty);

	check_start_error("/nonexistent/kernel",
			  "Cannot read the kernel /nonexistent/kernel");
	ck_assert_int_ge(fd, 0);
	close(fd);
	check_start_error(empty, "not a non-empty regular file");
	unlink(empty);
}
END_TEST

/* More vCPUs than the old limit of 8: the tables and KVM take them. */
START_TEST(test_sixteen_vcpus)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("hello"), "--memory", "32M",
			 "--vcpus", "16", "--console", "stdio", NULL };
	struct proc p;
	int rc;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	rc = proc_wait(&p, TIMEOUT_MS);
	ck_assert_msg(strstr(p.out, "hello from keel test guest"),
		      "no greeting in output: %s", p.out);
	ck_assert_msg(rc == HV_EXIT_POWEROFF, "exit %d, output: %s", rc,
		      p.out);
	proc_dispose(&p);
}
END_TEST

/*
 * --maxmem: guest RAM is maxmem, and the balloon is already asked to
 * leave the guest --memory before it runs (paused: nothing ran yet).
 */
START_TEST(test_maxmem_balloon)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("hello"), "--memory", "32M",
			 "--maxmem", "64M", "--console", "none", "--control",
			 sc.sock, "--paused", NULL };
	struct harness_client f;
	struct proc p;
	const char *r;
	char *line;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(harness_client_open(&f, sc.sock, 4000), 0);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
	/* RAM is maxmem; the guest has all of it until its driver runs. */
	ck_assert_msg(strstr(r, "\"maxmem\":67108864"), "status: %s", r);
	ck_assert_msg(strstr(r, "\"memory\":67108864"), "status: %s", r);
	ck_assert_msg(strstr(r, "\"balloon\":{\"target_mib\":32,\"actual_mib\":64}"),
		      "status: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"balloon\"}");
	ck_assert_msg(strstr(r, "\"target_mib\":32"), "balloon: %s", r);
	/* A subscriber hears of a new target (keeld's cache of it). */
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"subscribe\"}");
	ck_assert_msg(strstr(r, "\"balloon\":{\"target_mib\":32"), "subscribe: %s", r);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"balloon\",\"params\":{\"target_mib\":48}}");
	ck_assert_msg(strstr(r, "\"target_mib\":48"), "balloon: %s", r);
	line = harness_client_readline(&f, TIMEOUT_MS);
	ck_assert_msg(line && strstr(line, "\"method\":\"balloon-changed\"") &&
			      strstr(line, "\"target_mib\":48"),
		      "notification: %s", line ? line : "none");
	free(line);
	r = control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"stop\"}");
	ck_assert_msg(strstr(r, "\"result\""), "stop: %s", r);
	harness_client_close(&f);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	proc_dispose(&p);
	harness_hv_dir_dispose(&sc);
}
END_TEST

/*
 * --paused: the greeting guest says nothing until resume. Also the
 * identity in status, and the stopped notification to a client that is
 * connected when the guest powers off.
 */
START_TEST(test_paused_identity_notification)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("hello"), "--memory", "32M",
			 "--console", "stdio", "--control", sc.sock, "--paused",
			 "--uuid", "0D7E5C2A-3F4B-4C1D-9E8F-1A2B3C4D5E6F",
			 "--name", "web-1", NULL };
	struct harness_client f;
	struct proc p;
	const char *r;
	char *note;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
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
	harness_hv_dir_dispose(&sc);
}
END_TEST

/*
 * --linger: the guest powers off, the process stays with its control
 * socket, and stop then exits with the poweroff status.
 */
START_TEST(test_linger)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("echo"), "--memory", "32M",
			 "--console", "stdio", "--control", sc.sock,
			 "--status-file", sc.status, "--linger", NULL };
	struct harness_client f;
	struct proc p;
	const char *r;
	char *note, *text;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
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
	text = harness_read_file(sc.status, NULL);
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
	harness_hv_dir_dispose(&sc);
}
END_TEST

/* --linger after a crash; SIGTERM ends it with the crash's status. */
START_TEST(test_linger_crash_sigterm)
{
	struct harness_hv_dir sc;
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest("crash"), "--memory", "32M",
			 "--console", "stdio", "--status-file", sc.status,
			 "--linger", NULL };
	long long deadline = harness_now_ms() + TIMEOUT_MS;
	struct proc p;
	char *text;

	harness_hv_dir_init(&sc, "/tmp/keel-hv-test-XXXXXX");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	while (access(sc.status, F_OK) != 0 && harness_now_ms() < deadline)
		usleep(20000);
	ck_assert_msg(proc_wait(&p, 500) == -ETIMEDOUT,
		      "exited despite --linger: %s", p.out);
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_CRASH);
	text = harness_read_file(sc.status, NULL);
	ck_assert_msg(text && strstr(text, "{\"reason\":\"crash\","
					   "\"status\":3,") == text,
		      "status file: %s", text ? text : "(none)");
	free(text);
	proc_dispose(&p);
	harness_hv_dir_dispose(&sc);
}
END_TEST

/*
 * A console socket client (docs/console.md): the answer line, then
 * frames, DATA gathered into @data.
 */
struct con_client {
	struct harness_client hc; /* its fd and read buffer */
	char *answer;
	char *data;
	size_t data_len, data_cap;
	uint64_t missed;
	unsigned nr_missed;
	char role[16];
	char end[256];
	bool ended, eof;
};

/* Connect to @path (waiting for keel-hv to create it) and ask @req. */
static void con_open(struct con_client *c, const char *path,
		     const char *req)
{
	memset(c, 0, sizeof(*c));
	ck_assert_msg(harness_client_open(&c->hc, path, TIMEOUT_MS) == 0,
		      "cannot connect to %s", path);
	ck_assert_int_eq(harness_client_send(&c->hc, req, strlen(req)), 0);
	ck_assert_int_eq(harness_client_send(&c->hc, "\n", 1), 0);
	c->answer = harness_client_readline(&c->hc, TIMEOUT_MS);
	ck_assert_msg(c->answer != NULL, "no answer to %s", req);
}

static void con_close(struct con_client *c)
{
	harness_client_close(&c->hc);
	free(c->answer);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static void con_send(struct con_client *c, enum console_frame_type type,
		     const void *payload, size_t len)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];

	console_frame_header(hdr, type, (uint32_t)len);
	ck_assert_int_eq(harness_client_send(&c->hc, (char *)hdr,
					     sizeof(hdr)), 0);
	ck_assert_int_eq(harness_client_send(&c->hc, payload, len), 0);
}

/* Take the whole frames from the read buffer. */
static void con_parse(struct con_client *c)
{
	enum console_frame_type type;
	size_t off = 0;
	long n;

	while (c->hc.len - off >= CONSOLE_FRAME_HEADER) {
		const uint8_t *h = (uint8_t *)c->hc.buf + off;
		const uint8_t *p = h + CONSOLE_FRAME_HEADER;

		n = console_frame_parse(h, &type);
		ck_assert_msg(n >= 0, "bad frame from keel-hv");
		if (c->hc.len - off < CONSOLE_FRAME_HEADER + (size_t)n)
			break;
		off += CONSOLE_FRAME_HEADER + (size_t)n;
		if (type == CONSOLE_FRAME_DATA) {
			if (c->data_cap - c->data_len <= (size_t)n) {
				c->data_cap = (c->data_cap + (size_t)n) * 2;
				c->data = realloc(c->data, c->data_cap);
				ck_assert_ptr_nonnull(c->data);
			}
			memcpy(c->data + c->data_len, p, (size_t)n);
			c->data_len += (size_t)n;
			c->data[c->data_len] = '\0';
		} else if (type == CONSOLE_FRAME_MISSED && n == 8) {
			uint64_t m = 0;

			for (int i = 0; i < 8; i++)
				m = m << 8 | p[i];
			c->missed += m;
			c->nr_missed++;
		} else if (type == CONSOLE_FRAME_ROLE && n < 16) {
			memcpy(c->role, p, (size_t)n);
			c->role[n] = '\0';
		} else if (type == CONSOLE_FRAME_END && n < 256) {
			memcpy(c->end, p, (size_t)n);
			c->end[n] = '\0';
			c->ended = true;
		}
	}
	memmove(c->hc.buf, c->hc.buf + off, c->hc.len - off);
	c->hc.len -= off;
}

/* Read for up to @timeout_ms (once, or until EOF); parse what came. */
static void con_pump(struct con_client *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->hc.fd, .events = POLLIN };
	ssize_t n;

	if (c->eof || poll(&pfd, 1, timeout_ms) <= 0)
		return;
	if (c->hc.cap - c->hc.len < 65536) {
		c->hc.cap = c->hc.cap ? c->hc.cap * 2 : 131072;
		c->hc.buf = realloc(c->hc.buf, c->hc.cap);
		ck_assert_ptr_nonnull(c->hc.buf);
	}
	n = read(c->hc.fd, c->hc.buf + c->hc.len, c->hc.cap - c->hc.len);
	if (n <= 0)
		c->eof = true;
	else
		c->hc.len += (size_t)n;
	con_parse(c);
}

/* Read until @done(c) or @timeout_ms; returns whether it was done. */
static bool con_wait(struct con_client *c, bool (*done)(struct con_client *),
		     int timeout_ms)
{
	long long deadline = harness_now_ms() + timeout_ms;

	while (!done(c) && !c->eof && harness_now_ms() < deadline)
		con_pump(c, 50);
	return done(c);
}

static const char *con_needle;

static bool con_has_needle(struct con_client *c)
{
	return c->data && strstr(c->data, con_needle);
}

static bool con_expect(struct con_client *c, const char *needle,
		       int timeout_ms)
{
	con_needle = needle;
	return con_wait(c, con_has_needle, timeout_ms);
}

static bool con_has_ended(struct con_client *c)
{
	return c->ended;
}

static bool con_has_role(struct con_client *c)
{
	return c->role[0] != '\0';
}

/* A scratch directory with a console socket and log. */
struct con_scratch {
	char dir[32];
	char sock[64];
	char log[64];
};

static void con_scratch_init(struct con_scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/keel-hv-con-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(s->dir));
	snprintf(s->sock, sizeof(s->sock), "%s/console.sock", s->dir);
	snprintf(s->log, sizeof(s->log), "%s/console.log", s->dir);
}

static void con_scratch_dispose(struct con_scratch *s)
{
	char name[80];

	for (int i = 1; i <= 4; i++) {
		snprintf(name, sizeof(name), "%s.%d", s->log, i);
		unlink(name);
	}
	snprintf(name, sizeof(name), "%s/console-virtio.log", s->dir);
	unlink(name);
	unlink(s->log);
	unlink(s->sock);
	rmdir(s->dir);
}

/* keel-hv with test guest @name, its console only on the socket. */
static void con_spawn(struct proc *p, struct con_scratch *s,
		      const char *name, const char *extra1,
		      const char *extra2)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"), "--kernel",
			 (char *)harness_guest(name), "--memory", "32M",
			 "--console", "none", "--console-socket", s->sock,
			 "--console-log", s->log, (char *)extra1,
			 (char *)extra2, NULL };

	ck_assert_int_eq(proc_spawn(p, argv), 0);
}

/*
 * History: a client that attaches after the guest printed its banner
 * gets it; the writer's input reaches the guest; a second writer is
 * refused; a forced one takes over, the old writer is told it is a
 * viewer and its input is dropped.
 */
START_TEST(test_console_history_and_takeover)
{
	struct con_client w1, w2, v, refused;
	struct con_scratch s;
	struct proc p;

	con_scratch_init(&s);
	con_spawn(&p, &s, "echo", NULL, NULL);
	/* The banner goes out before the guest waits for input. */
	con_open(&v, s.sock, "{\"mode\":\"view\"}");
	ck_assert_str_eq(v.answer, "{\"ok\":true,\"role\":\"viewer\"}");
	ck_assert_msg(con_expect(&v, "echo: type a line", TIMEOUT_MS),
		      "no banner in history: %s", v.data ? v.data : "");
	usleep(200000);
	con_open(&w1, s.sock, "{\"mode\":\"write\",\"history_lines\":5}");
	ck_assert_str_eq(w1.answer, "{\"ok\":true,\"role\":\"writer\"}");
	ck_assert_msg(con_expect(&w1, "echo: type a line", TIMEOUT_MS),
		      "late writer got no history: %s",
		      w1.data ? w1.data : "");
	con_send(&w1, CONSOLE_FRAME_DATA, "first\r", 6);
	ck_assert_msg(con_expect(&w1, "echo: first", TIMEOUT_MS),
		      "writer's input not echoed: %s", w1.data);

	con_open(&refused, s.sock, "{\"mode\":\"write\"}");
	ck_assert_msg(strstr(refused.answer, "\"ok\":false"),
		      "second writer: %s", refused.answer);
	con_close(&refused);

	con_open(&w2, s.sock,
		 "{\"mode\":\"write\",\"force\":true,\"history_lines\":0}");
	ck_assert_str_eq(w2.answer, "{\"ok\":true,\"role\":\"writer\"}");
	ck_assert_msg(con_wait(&w1, con_has_role, TIMEOUT_MS),
		      "the old writer got no ROLE frame");
	ck_assert_str_eq(w1.role, "viewer");
	con_send(&w1, CONSOLE_FRAME_DATA, "dropped\r", 8);
	con_send(&v, CONSOLE_FRAME_DATA, "viewer\r", 7);
	con_send(&w2, CONSOLE_FRAME_DATA, "second\r", 7);
	ck_assert_msg(con_expect(&w2, "echo: second", TIMEOUT_MS),
		      "new writer's input not echoed: %s",
		      w2.data ? w2.data : "");
	ck_assert_msg(con_expect(&v, "echo: second", TIMEOUT_MS),
		      "viewer did not see it: %s", v.data);
	ck_assert_msg(!strstr(v.data, "dropped") && !strstr(v.data, "viewer"),
		      "a viewer's input reached the guest: %s", v.data);
	/* The stdio console is off, yet the log has it all. */
	con_close(&w1);
	con_close(&w2);
	con_close(&v);
	harness_hv_stop(&p, TIMEOUT_MS);
	con_scratch_dispose(&s);
}
END_TEST

/*
 * The numbers of the whole "chatty NNNNNN" lines in @c's data, which
 * must follow each other; returns how many, the first in *@first.
 */
static long chatty_run(struct con_client *c, long *first)
{
	long n = 0, prev = -1;
	const char *at = c->data ? c->data : "";

	*first = -1;
	while ((at = strstr(at, "chatty ")) != NULL) {
		char *end;
		long v = strtol(at + 7, &end, 10);

		if (strncmp(end, "\r\n", 2))
			break; /* the incomplete last line */
		if (prev >= 0)
			ck_assert_msg(v == prev + 1, "line %ld after %ld", v,
				      prev);
		else
			*first = v;
		prev = v;
		n++;
		at = end;
	}
	return n;
}

static long chatty_want;

static bool chatty_enough(struct con_client *c)
{
	long first;

	return chatty_run(c, &first) >= chatty_want;
}

/*
 * Two viewers and a writer on a guest that never stops talking: each
 * sees consecutive lines, and the lines they all saw are the same.
 */
START_TEST(test_console_viewers_same_bytes)
{
	struct con_client c[3];
	struct con_scratch s;
	struct proc p;
	long first[3], n[3], lo = 0, hi = -1;

	con_scratch_init(&s);
	con_spawn(&p, &s, "chatty", NULL, NULL);
	con_open(&c[0], s.sock, "{\"history_lines\":1}");
	con_open(&c[1], s.sock, "{\"mode\":\"write\",\"history_lines\":1}");
	con_open(&c[2], s.sock, "{\"history_lines\":1}");
	chatty_want = 200;
	for (int i = 0; i < 3; i++)
		ck_assert_msg(con_wait(&c[i], chatty_enough, TIMEOUT_MS),
			      "client %d: too few lines", i);
	for (int i = 0; i < 3; i++) {
		n[i] = chatty_run(&c[i], &first[i]);
		ck_assert_uint_eq(c[i].nr_missed, 0);
		if (first[i] > lo)
			lo = first[i];
		if (hi < 0 || first[i] + n[i] - 1 < hi)
			hi = first[i] + n[i] - 1;
	}
	ck_assert_msg(hi - lo > 100, "the clients saw too little in common");
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	for (int i = 0; i < 3; i++)
		con_close(&c[i]);
	proc_dispose(&p);
	con_scratch_dispose(&s);
}
END_TEST

/*
 * A viewer that stops reading holds up nobody: the guest keeps printing
 * and another viewer keeps receiving; when it reads again, it is told
 * with MISSED how much it lost, and the lines go on after the gap.
 */
START_TEST(test_console_stalled_viewer)
{
	struct con_client stalled, live;
	struct con_scratch s;
	struct proc p;
	long first, before;

	con_scratch_init(&s);
	con_spawn(&p, &s, "chatty", "--console-ring", "4K");
	con_open(&stalled, s.sock, "{\"history_lines\":0}");
	con_open(&live, s.sock, "{\"history_lines\":0}");
	chatty_want = 100;
	ck_assert(con_wait(&live, chatty_enough, TIMEOUT_MS));
	before = chatty_run(&live, &first);
	/*
	 * 16 KiB of lines: the ring is 4 KiB, and the stalled client's
	 * socket fills after a few hundred small frames (each costs far
	 * more buffer than its bytes). More only slows the test (a
	 * sanitizer build prints under 1 KB/s nested).
	 */
	chatty_want = before + 16 * 1024 / 15;
	ck_assert_msg(con_wait(&live, chatty_enough, 4 * TIMEOUT_MS),
		      "the live viewer stopped receiving");
	ck_assert_uint_eq(live.nr_missed, 0);
	/* Now the stalled one reads what it can. */
	for (int i = 0; i < 200 && !stalled.nr_missed; i++)
		con_pump(&stalled, 100);
	ck_assert_msg(stalled.nr_missed > 0 && stalled.missed > 0,
		      "no MISSED after stalling (%zu bytes read)",
		      stalled.data_len);
	ck_assert_msg(con_expect(&stalled, "chatty", TIMEOUT_MS),
		      "no output after MISSED");
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	con_close(&stalled);
	con_close(&live);
	proc_dispose(&p);
	con_scratch_dispose(&s);
}
END_TEST

static off_t con_file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A small --console-log-size: the log rotates, three old ones kept. */
START_TEST(test_console_log_rotation)
{
	long long deadline = harness_now_ms() + 4 * TIMEOUT_MS;
	struct con_scratch s;
	char name[80], buf[4097];
	struct proc p;
	FILE *f;
	size_t n;

	con_scratch_init(&s);
	con_spawn(&p, &s, "chatty", "--console-log-size", "4K");
	snprintf(name, sizeof(name), "%s.3", s.log);
	while (con_file_size(name) < 0 && harness_now_ms() < deadline)
		usleep(50000);
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	ck_assert_msg(con_file_size(name) > 0, "no %s: %s", name, p.out);
	for (int i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "%s.%d", s.log, i);
		ck_assert_int_le(con_file_size(name), 4096);
	}
	ck_assert_int_le(con_file_size(s.log), 4096);
	snprintf(name, sizeof(name), "%s.4", s.log);
	ck_assert_int_eq(con_file_size(name), -1);
	snprintf(name, sizeof(name), "%s.2", s.log);
	f = fopen(name, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	ck_assert_msg(strstr(buf, "\r\nchatty "), "log holds: %s", buf);
	proc_dispose(&p);
	con_scratch_dispose(&s);
}
END_TEST

/*
 * END: a client attached when keel-hv is stopped gets END with why,
 * then EOF; the socket file goes away. With --linger, END comes when
 * the guest stops, and a client attaching later still gets the history.
 */
START_TEST(test_console_end)
{
	struct con_client c;
	struct con_scratch s;
	struct proc p;

	con_scratch_init(&s);
	con_spawn(&p, &s, "echo", "--virtio-console", NULL);
	con_open(&c, s.sock, "{}");
	ck_assert(con_expect(&c, "echo: type a line", TIMEOUT_MS));
	kill(p.pid, SIGTERM);
	ck_assert_msg(con_wait(&c, con_has_ended, TIMEOUT_MS), "no END");
	ck_assert_msg(strstr(c.end, "SIGTERM"), "END says: %s", c.end);
	con_pump(&c, TIMEOUT_MS);
	ck_assert_msg(c.eof, "still connected after END");
	con_close(&c);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_KILLED);
	ck_assert_msg(access(s.sock, F_OK) != 0, "socket file left behind");
	{
		char vlog[80];

		snprintf(vlog, sizeof(vlog), "%s/console-virtio.log", s.dir);
		ck_assert_msg(access(vlog, F_OK) == 0, "no %s", vlog);
	}
	proc_dispose(&p);

	con_spawn(&p, &s, "hello", "--linger", NULL);
	con_open(&c, s.sock, "{\"history_bytes\":100000}");
	ck_assert_msg(con_wait(&c, con_has_ended, TIMEOUT_MS), "no END");
	ck_assert_msg(strstr(c.data ? c.data : "", "hello from keel"),
		      "history: %s", c.data ? c.data : "");
	ck_assert_msg(strstr(c.end, "powered off"), "END says: %s", c.end);
	con_close(&c);
	/* Attaching to the lingering process: history, then END. */
	con_open(&c, s.sock, "{}");
	ck_assert_msg(con_wait(&c, con_has_ended, TIMEOUT_MS), "no END");
	ck_assert_msg(strstr(c.data ? c.data : "", "hello from keel"),
		      "history: %s", c.data ? c.data : "");
	con_close(&c);
	ck_assert_msg(proc_wait(&p, 300) == -ETIMEDOUT, "did not linger");
	kill(p.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_POWEROFF);
	proc_dispose(&p);
	con_scratch_dispose(&s);
}
END_TEST

/*
 * Disks. The test guests have no virtio-blk driver, so what a disk is
 * shows in the control socket's stats (path, serial, capacity,
 * readonly); the guest's own reads and writes are check_linux's and the
 * device's requests check_virtio_blk's. Here: who may hold an image
 * (OFD locks), and --disk-fd against --disk.
 */
struct disk_scratch {
	char dir[256]; /* resolved, as /proc/self/fd links read */
	char img[300], other[300], sock[2][300];
};

static void disk_scratch_init(struct disk_scratch *s)
{
	char tmpl[] = "/tmp/keel-hv-disk-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_ptr_nonnull(realpath(tmpl, s->dir));
	snprintf(s->img, sizeof(s->img), "%s/disk.img", s->dir);
	snprintf(s->other, sizeof(s->other), "%s/other.img", s->dir);
	for (int i = 0; i < 2; i++)
		snprintf(s->sock[i], sizeof(s->sock[i]), "%s/control%d",
			 s->dir, i);
	harness_write_at(s->img, 1 << 20, 0, "");
	harness_write_at(s->other, 3 << 20, 0, "");
}

static void disk_scratch_dispose(struct disk_scratch *s)
{
	unlink(s->img);
	unlink(s->other);
	for (int i = 0; i < 2; i++)
		unlink(s->sock[i]);
	rmdir(s->dir);
}

/* keel-hv on the echo guest, with the options in @extra (NULL-ended). */
static void hv_spawn(struct proc *p, char *const *extra)
{
	char *argv[32] = { (char *)harness_path("hypervisor/keel-hv"),
			   "--kernel", (char *)harness_guest("echo"),
			   "--memory", "32M", "--console", "stdio" };
	unsigned n = 7;

	for (unsigned i = 0; extra[i]; i++) {
		ck_assert_uint_lt(n, 31);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	ck_assert_int_eq(proc_spawn(p, argv), 0);
}

/* ... and wait for its prompt: the guest runs, its disks are locked. */
static void hv_spawn_running(struct proc *p, char *const *extra)
{
	hv_spawn(p, extra);
	ck_assert_msg(proc_expect(p, "> ", 0, TIMEOUT_MS) > 0, "no prompt: %s",
		      p->out);
}

/*
 * keel-hv with @extra must exit 1 before the guest runs, with a message
 * containing @why and naming @name (if not NULL).
 */
static void hv_refused(char *const *extra, const char *why, const char *name)
{
	struct proc p;
	int rc;

	hv_spawn(&p, extra);
	rc = proc_wait(&p, TIMEOUT_MS);
	if (rc == -ETIMEDOUT)
		kill(p.pid, SIGKILL); /* it ran: do not leave it running */
	ck_assert_msg(rc == HV_EXIT_ERROR, "exit %d, output: %s", rc, p.out);
	ck_assert_msg(strstr(p.out, why) && (!name || strstr(p.out, name)),
		      "want \"%s\" about %s in: %s", why, name ? name : "-",
		      p.out);
	ck_assert_msg(!strstr(p.out, "echo: type"), "the guest ran: %s",
		      p.out);
	proc_dispose(&p);
}

/* The guest of @p still echoes a line: its VM kept running. */
static void hv_still_echoes(struct proc *p, const char *word)
{
	size_t from = p->len;
	char line[64];

	snprintf(line, sizeof(line), "%s\r", word);
	ck_assert_int_eq(proc_send(p, line), 0);
	ck_assert_msg(proc_expect(p, word, from, TIMEOUT_MS) > 0,
		      "no echo of %s: %s", word, p->out);
}

static void hv_stop(struct proc *p)
{
	harness_hv_stop(p, TIMEOUT_MS);
}

#define IN_USE "is in use by another domain or program"
#define BEING_WRITTEN "is being written by another domain or program"

/*
 * A writable image is one keel-hv's: a second writer and a reader are
 * refused while the first guest keeps running; once it exits, the lock
 * is gone with it.
 */
START_TEST(test_disk_lock_writer)
{
	struct disk_scratch s;
	struct proc a, c;
	char ro[320];

	disk_scratch_init(&s);
	snprintf(ro, sizeof(ro), "%s,ro", s.img);
	hv_spawn_running(&a, (char *[]){ "--disk", s.img, NULL });
	hv_refused((char *[]){ "--disk", s.img, NULL }, IN_USE, s.img);
	hv_refused((char *[]){ "--disk", ro, NULL }, BEING_WRITTEN, s.img);
	/* Also when the image is only the second disk. */
	hv_refused((char *[]){ "--disk", s.other, "--disk", s.img, NULL },
		   IN_USE, s.img);
	ck_assert_msg(proc_wait(&a, 200) == -ETIMEDOUT, "the first exited: %s",
		      a.out);
	hv_still_echoes(&a, "still-here");
	hv_stop(&a);
	hv_spawn_running(&c, (char *[]){ "--disk", s.img, NULL });
	hv_stop(&c);
	disk_scratch_dispose(&s);
}
END_TEST

/* Read-only users share an image; a writer next to them is refused. */
START_TEST(test_disk_lock_readers)
{
	struct disk_scratch s;
	struct proc a, b;
	char ro[320];

	disk_scratch_init(&s);
	snprintf(ro, sizeof(ro), "%s,ro", s.img);
	hv_spawn_running(&a, (char *[]){ "--disk", ro, NULL });
	hv_spawn_running(&b, (char *[]){ "--disk", ro, NULL });
	hv_refused((char *[]){ "--disk", s.img, NULL }, IN_USE, s.img);
	hv_still_echoes(&a, "reader-one");
	hv_still_echoes(&b, "reader-two");
	hv_stop(&a);
	hv_stop(&b);
	disk_scratch_dispose(&s);
}
END_TEST

/* @fd open on @path with @flags, close-on-exec cleared for keel-hv. */
static int pass_fd(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fcntl(fd, F_SETFD, 0), 0);
	return fd;
}

/* The stats object of device @id in a stats answer (malloc'd). */
static char *device_json(const char *stats, const char *id)
{
	char key[32];
	const char *at, *end;

	snprintf(key, sizeof(key), "\"%s\":{", id);
	at = strstr(stats, key);
	ck_assert_msg(at != NULL, "no %s in %s", id, stats);
	end = strchr(at, '}'); /* a device's stats hold no objects */
	ck_assert_ptr_nonnull(end);
	return strndup(at, (size_t)(end - at + 1));
}

/* The JSON value of member @key in @dev (device_json()), malloc'd. */
static char *device_value(const char *dev, const char *key)
{
	char want[40];
	const char *at;

	snprintf(want, sizeof(want), "\"%s\":", key);
	at = strstr(dev, want);
	ck_assert_msg(at != NULL, "no %s in %s", key, dev);
	at += strlen(want);
	return strndup(at, strcspn(at, ",}"));
}

/* @dev (device_json()) has "@key":@value, @value given as JSON. */
static void device_has(const char *dev, const char *key, const char *value)
{
	char *v = device_value(dev, key);

	ck_assert_msg(!strcmp(v, value), "%s is %s, not %s, in %s", key, v,
		      value, dev);
	free(v);
}

/* Stats from the control socket @sock of a running keel-hv. */
static char *hv_stats(const char *sock)
{
	struct harness_client f;
	char *r;

	ck_assert_int_eq(harness_client_open(&f, sock, 4000), 0);
	r = strdup(control_call(&f, "{\"jsonrpc\":\"2.0\",\"id\":1,"
				    "\"method\":\"stats\"}"));
	harness_client_close(&f);
	return r;
}

/*
 * A disk on a descriptor is the disk by path: same device, capacity,
 * serial and name (from /proc/self/fd), locked the same way, and in
 * option order among --disk ones.
 */
START_TEST(test_disk_fd_like_path)
{
	static const char *const same[] = { "type", "capacity_bytes",
					    "readonly", "path", "serial" };
	struct disk_scratch s;
	char fdarg[16], quoted[320], ro[320];
	char *by_path, *by_fd, *first, *stats;
	struct proc a, b;
	int fd;

	disk_scratch_init(&s);
	snprintf(ro, sizeof(ro), "%s,ro", s.other);

	hv_spawn_running(&a, (char *[]){ "--disk", s.img, "--control",
					 s.sock[0], NULL });
	stats = hv_stats(s.sock[0]);
	by_path = device_json(stats, "vblk0");
	free(stats);
	hv_stop(&a);

	fd = pass_fd(s.img, O_RDWR);
	snprintf(fdarg, sizeof(fdarg), "--disk-fd=%d", fd);
	hv_spawn_running(&b, (char *[]){ "--disk", ro, fdarg, "--control",
					 s.sock[1], NULL });
	close(fd); /* keel-hv has it now */
	stats = hv_stats(s.sock[1]);
	first = device_json(stats, "vblk0");
	by_fd = device_json(stats, "vblk1");
	free(stats);

	/* Option order: the --disk first, then the --disk-fd. */
	snprintf(quoted, sizeof(quoted), "\"%s\"", s.other);
	device_has(first, "path", quoted);
	device_has(first, "readonly", "true");
	device_has(first, "capacity_bytes", "3145728");
	/* The same disk either way. */
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *v = device_value(by_path, same[i]);

		device_has(by_fd, same[i], v);
		free(v);
	}
	snprintf(quoted, sizeof(quoted), "\"%s\"", s.img);
	device_has(by_fd, "path", quoted);
	device_has(by_fd, "serial", "\"disk.img\"");
	device_has(by_fd, "readonly", "false");
	device_has(by_fd, "capacity_bytes", "1048576");
	/* The descriptor's image is locked as a path's would be. */
	hv_refused((char *[]){ "--disk", s.img, NULL }, IN_USE, s.img);
	hv_still_echoes(&b, "by-descriptor");
	hv_stop(&b);
	free(first);
	free(by_path);
	free(by_fd);
	disk_scratch_dispose(&s);
}
END_TEST

/*
 * Descriptors keel-hv cannot use as a disk: each refused with its own
 * sentence before the guest runs.
 */
START_TEST(test_disk_fd_refused)
{
	struct disk_scratch s;
	char arg[32], arg2[32];
	int fd, p[2];

	disk_scratch_init(&s);
	/* Not open: a number the caller forgot to pass on. */
	ck_assert_int_eq(fcntl(777, F_GETFD), -1);
	hv_refused((char *[]){ "--disk-fd=777", NULL },
		   "Disk descriptor 777 is not open", NULL);
	fd = pass_fd(s.dir, O_RDONLY | O_DIRECTORY);
	snprintf(arg, sizeof(arg), "--disk-fd=%d,ro", fd);
	hv_refused((char *[]){ arg, NULL }, "is a directory, not a disk image",
		   s.dir);
	close(fd);
	ck_assert_int_eq(pipe(p), 0);
	snprintf(arg, sizeof(arg), "--disk-fd=%d,ro", p[0]);
	hv_refused((char *[]){ arg, NULL }, "is a pipe, not a disk image",
		   NULL);
	close(p[0]);
	close(p[1]);
	/* Access modes: a writable disk needs O_RDWR, any disk reading. */
	fd = pass_fd(s.img, O_RDONLY);
	snprintf(arg, sizeof(arg), "--disk-fd=%d", fd);
	hv_refused((char *[]){ arg, NULL },
		   "is open read-only, but a writable disk needs it open read-write",
		   s.img);
	close(fd);
	fd = pass_fd(s.img, O_WRONLY);
	snprintf(arg, sizeof(arg), "--disk-fd=%d,ro", fd);
	hv_refused((char *[]){ arg, NULL }, "is open write-only", s.img);
	close(fd);
	/* The option itself. */
	hv_refused((char *[]){ "--disk-fd=1", NULL },
		   "descriptors 0, 1 and 2 are keel-hv's", NULL);
	hv_refused((char *[]){ "--disk-fd=4,rw", NULL },
		   "Invalid --disk-fd '4,rw': use N or N,ro", NULL);
	fd = pass_fd(s.img, O_RDONLY);
	snprintf(arg, sizeof(arg), "--disk-fd=%d,ro", fd);
	snprintf(arg2, sizeof(arg2), "--disk-fd=%d", fd);
	hv_refused((char *[]){ arg, arg2, NULL }, "is already a disk", NULL);
	close(fd);
	/* One file as two disks, one of them writable. */
	fd = pass_fd(s.img, O_RDWR);
	snprintf(arg, sizeof(arg), "--disk-fd=%d", fd);
	hv_refused((char *[]){ arg, "--disk", s.img, NULL },
		   "Disks 1 and 2 are both", s.img);
	close(fd);
	disk_scratch_dispose(&s);
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
			 "--kernel", (char *)harness_guest("hello"), "--memory",
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
	if (!runner_skip_reason && !harness_have_file(harness_guest("hello")))
		runner_skip_reason = "test guests are not built (make guest)";
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hello_poweroff);
	tcase_add_test(tc, test_reboot_reported);
	tcase_add_test(tc, test_crash_reported);
	tcase_add_test(tc, test_echo_console_and_kill);
	tcase_add_test(tc, test_memsum_64m);
	tcase_add_test(tc, test_dirty_cmdline);
	tcase_add_test(tc, test_control_socket);
	tcase_add_test(tc, test_status_file_poweroff);
	tcase_add_test(tc, test_status_file_reboot);
	tcase_add_test(tc, test_status_file_crash);
	tcase_add_test(tc, test_status_file_killed);
	tcase_add_test(tc, test_status_file_on_start_error);
	tcase_add_test(tc, test_sixteen_vcpus);
	tcase_add_test(tc, test_maxmem_balloon);
	tcase_add_test(tc, test_paused_identity_notification);
	tcase_add_test(tc, test_linger);
	tcase_add_test(tc, test_linger_crash_sigterm);
	tcase_add_test(tc, test_disk_lock_writer);
	tcase_add_test(tc, test_disk_lock_readers);
	tcase_add_test(tc, test_disk_fd_like_path);
	tcase_add_test(tc, test_disk_fd_refused);
	tcase_add_test(tc, test_console_viewers_same_bytes);
	tcase_add_test(tc, test_console_stalled_viewer);
	tcase_add_test(tc, test_console_log_rotation);
	/*
	 * Inside the nested QEMU these two have seen a client get no
	 * output at all for 20 s (2 runs in ~8), not understood yet; the
	 * same behaviours pass end to end through keeld in check_console
	 * every time. Until that is explained they run in make check-long
	 * (KEEL_LONG=1), not in make check.
	 */
	if (getenv("KEEL_LONG")) {
		tcase_add_test(tc, test_console_history_and_takeover);
		tcase_add_test(tc, test_console_end);
	}
	tcase_add_test(tc, test_bad_kernel_is_an_error);
	tcase_add_test(tc, test_bad_memory_option);
	suite_add_tcase(s, tc);
	return s;
}
