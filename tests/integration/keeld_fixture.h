/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_KEELD_FIXTURE_H
#define KEEL_TESTS_KEELD_FIXTURE_H

/*
 * A real keeld for a test. suite_setup/suite_teardown (an unchecked
 * fixture) make and remove one directory for the suite, killing any
 * keeld or keel-hv a failed test left behind; setup/teardown (checked)
 * give each test its own run and state directories. keeld_start() runs
 * keeld in the foreground on them, with the build tree's keel-hv.
 */

#include <check.h>
#include <json-c/json.h>

#include "harness.h"

#define MAX_LINE (1024 * 1024)	/* JSONRPC_MAX_LINE */
#define IO_TIMEOUT_MS 5000
/*
 * An answer to a call: as long as keeld itself may take, which for a
 * start is keel-hv's 60 s to make its socket and 10 s for its first
 * status (daemon/hv.c). Under the sanitizers, in the nested runner, on
 * a loaded host, a start has been seen to take more than 5 s.
 */
#define CALL_TIMEOUT_MS 75000
/*
 * How long keeld_start() waits for keeld's ready line. Under ASan, in
 * the nested runner, on a host busy with other nested runs, keeld has
 * been seen to take more than 10 s to start (three suites failed so,
 * 2026-12-05); it is a bound, not a wait.
 */
#define KEELD_READY_MS 60000

extern char suite_dir[64];
extern char top[128];
extern char run_dir[160], state_dir[160], log_dir[160], conf_path[160];
extern char rw_sock[192], ro_sock[192];
extern struct proc keeld;
/* keel-hv's path for keeld_start(); NULL (reset by setup()): the build's. */
extern const char *keeld_hypervisor;

void suite_setup(void);
void suite_teardown(void);
void setup(void);
void teardown(void);

/* Start keeld; wait for its ready line. */
void keeld_start(void);
/* SIGTERM keeld and check it exits 0. */
void keeld_stop(void);

void write_file(const char *path, const char *text);

/*
 * Write an executable stand-in for keel-hv, a shell script of @body;
 * returns its path (static), for keeld_hypervisor.
 */
const char *fake_hv(const char *body);

/*
 * A test case run on the suite's keeld: suite_setup/suite_teardown
 * around it, setup/teardown around each test, @timeout_s per test.
 */
TCase *keeld_tcase(const char *name, double timeout_s);

/* rpc_ok() of @method with params {"name": @name}. */
struct json_object *rpc_ok_name(const char *method, const char *name);

/*
 * The pid of domain @name's keel-hv, from its state.json in run_dir;
 * its uuid to @uuid (37 bytes) unless NULL.
 */
pid_t domain_hv_pid(const char *name, char *uuid);

/* Send @line on @c and parse the one line answered (NULL: none). */
struct json_object *client_call(struct harness_client *c, const char *line);
/* One call on a fresh connection to @sock; asserts an answer came. */
struct json_object *call(const char *sock, const char *line);

/* The value at JSON pointer @ptr in @o, or NULL. */
struct json_object *at(struct json_object *o, const char *ptr);
/* The string at @ptr, or "(missing)". */
const char *str_at(struct json_object *o, const char *ptr);
/* The error code of @resp, or 0. */
int code_of(struct json_object *resp);
void assert_error(struct json_object *resp, int code, const char *field);
void assert_ok(struct json_object *resp);

/* How long the helpers below wait for keeld or a domain. */
#define WAIT_MS 20000

/*
 * Call @method with the params object @fmt on a fresh keeld.sock
 * connection; asserts an answer came (up to WAIT_MS) and returns it.
 */
struct json_object *rpc_call(const char *method, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* rpc_call() that also asserts success. */
struct json_object *rpc_ok(const char *method, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Assert that the summary in @resp is @state/@reason. */
void assert_domain_state(struct json_object *resp, const char *state,
		  const char *reason);
/* Poll domain.info until @name is @state/@reason; fails after WAIT_MS. */
void wait_domain_state(const char *name, const char *state,
		       const char *reason);

/* Open @c on keeld-ro.sock and subscribe it to events. */
void events_open(struct harness_client *c);
/* The next event (the whole message) about @name (NULL: any domain). */
struct json_object *next_domain_event(struct harness_client *c,
				      const char *name);
/* Does a process whose command line (spaces for NULs) hold @needle? */
bool process_with(const char *needle);

/* Read events about @name until @event/@detail. */
void expect_domain_event(struct harness_client *c, const char *name,
			 const char *event, const char *detail);

/*
 * What the suites above and the benchmarks (tests/bench) share. Nothing
 * below asserts: a benchmark is no Check suite, so errors are returned
 * (and, for keeld_env_*, said on stderr).
 */

/* @path made absolute (keeld changes directory); six static buffers. */
const char *absolute(const char *path);
/* The source tree's schemas: $KEEL_SRCDIR/schemas, else ../schemas. */
const char *default_schema_dir(void);
/* Write @text to @path. Returns 0 or -errno. */
int write_text(const char *path, const char *text);

/*
 * Run @program (keeld) in the foreground on the directories given (@hv: keel-hv's
 * path, NULL for keeld's default) and wait up to @timeout_ms for its
 * ready line. Returns 0, -errno when it cannot run, or -ESRCH when it
 * did not get ready (what it said is in @p->out). @p must be disposed
 * of either way.
 */
int keeld_spawn(struct proc *p, const char *program, const char *conf,
		const char *run, const char *state, const char *log,
		const char *schema_dir, const char *hv, int timeout_ms);

/*
 * keeld_spawn() inside the network namespace @netns (NULL: this one;
 * else /run/netns/NETNS, as ip netns add makes it), through nsenter,
 * which execs keeld: @p's pid is keeld's. Only the network namespace
 * changes: keeld sees the host's /sys and its cgroups.
 */
int keeld_spawn_in(struct proc *p, const char *netns, const char *program,
		   const char *conf, const char *run, const char *state,
		   const char *log, const char *schema_dir, const char *hv,
		   int timeout_ms);

/*
 * Remove the directory tree @dir ("" : nothing), first killing the
 * keeld whose keeld.pid and the keel-hv whose state.json it holds.
 */
void keeld_dir_remove(const char *dir);

/*
 * A keeld for a benchmark, in a temporary directory of its own
 * (/tmp/keel-bench-PROG.XXXXXX with run/, state/, log/ and keeld.conf),
 * run in the foreground with its log on a pipe (keeld_proc.out).
 */
struct keeld_env {
	const char *prog;	/* the benchmark's name, for messages */
	const char *keeld, *schema_dir, *hv;
	char dir[64];
	char run_dir[96], state_dir[96], log_dir[96], conf[96];
	char sock[128], ro_sock[128];
	struct proc keeld_proc;
};

/*
 * Make the directory, write @conf_text (NULL: "log_level = info") to its
 * keeld.conf and start @program, keeld (its schemas in @schema_dir; @hv is
 * keel-hv's path, NULL for keeld's default); wait for the ready line.
 * Returns 0 or -errno after saying why on stderr. keeld_env_stop() is
 * due either way.
 */
int keeld_env_start(struct keeld_env *b, const char *prog,
		    const char *program, const char *schema_dir,
		    const char *hv, const char *conf_text);

/*
 * Start keeld again on the same directories (after it was stopped or
 * killed) and wait for its ready line. Returns 0 or -errno.
 */
int keeld_env_restart(struct keeld_env *b);

/* SIGKILL keeld (domains keep running) and reap it. */
void keeld_env_kill(struct keeld_env *b);

/*
 * Stop keeld (SIGTERM, then SIGKILL), remove the directory and kill
 * what a domain left running there.
 */
void keeld_env_stop(struct keeld_env *b);

#endif /* KEEL_TESTS_KEELD_FIXTURE_H */
