// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fixture of the suites that talk to a real keeld (check_keeld,
 * check_lifecycle): per-test run and state directories under one suite
 * directory, keeld started with --foreground on them, one-line JSON-RPC
 * calls and assertions on the answers. keeld_fixture.h says more.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"


/*
 * Every test works in its own directory under @suite_dir, which the
 * parent process creates before the tests and removes after them; the
 * parent also kills any keeld a failed test left behind (a failing
 * ck_assert ends the test's process before its own cleanup).
 */
char suite_dir[64];
char top[128];
char run_dir[160], state_dir[160], log_dir[160], conf_path[160];
char rw_sock[192], ro_sock[192];
struct proc keeld;
const char *keeld_hypervisor;

/* Start keeld on the test's directories; wait for its ready line. */
void keeld_start(void)
{
	const char *hv = keeld_hypervisor ? keeld_hypervisor :
					    harness_path("hypervisor/keel-hv");

	ck_assert_msg(keeld_spawn(&keeld, harness_path("daemon/keeld"),
				  conf_path, run_dir, state_dir, log_dir,
				  default_schema_dir(), hv, KEELD_READY_MS) == 0,
		      "keeld did not start: %s", keeld.out);
}

void keeld_stop(void)
{
	kill(keeld.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&keeld, 5000), 0);
	proc_dispose(&keeld);
}

void write_file(const char *path, const char *text)
{
	int rc = write_text(path, text);

	ck_assert_msg(rc == 0, "cannot write %s: %s", path, strerror(-rc));
}

const char *fake_hv(const char *body)
{
	static char path[256];
	char text[4096];

	snprintf(path, sizeof(path), "%s/fake-keel-hv", top);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, text);
	ck_assert_int_eq(chmod(path, 0755), 0);
	return path;
}

void suite_setup(void)
{
	strcpy(suite_dir, "/tmp/check_keeld.XXXXXX");
	/* Short: socket paths under it must fit in sun_path. */
	if (!mkdtemp(suite_dir))
		suite_dir[0] = '\0';
}

/* Kill the keeld holding the pid file @path's lock, if any. */
static void kill_leftover(const char *path)
{
	char buf[32] = "";
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0 && atoi(buf) > 0)
			kill(atoi(buf), SIGKILL);
	}
	close(fd);
}

/* Kill the keel-hv a domain's state.json names (a test left it). */
static void kill_domain(const char *path)
{
	struct json_object *st = json_object_from_file(path), *v;

	if (st && json_object_object_get_ex(st, "pid", &v) &&
	    json_object_get_int(v) > 0)
		kill(json_object_get_int(v), SIGKILL);
	json_object_put(st);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	size_t len = strlen(path);

	if (len > 10 && !strcmp(path + len - 10, "/keeld.pid"))
		kill_leftover(path);
	if (len > 11 && !strcmp(path + len - 11, "/state.json"))
		kill_domain(path);
	return remove(path);
}

void keeld_dir_remove(const char *dir)
{
	if (dir[0])
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void suite_teardown(void)
{
	keeld_dir_remove(suite_dir);
}

void setup(void)
{
	static int nr;

	ck_assert_msg(suite_dir[0], "cannot create a directory in /tmp");
	/* Each test runs in a fresh child: count by the directories made. */
	do
		snprintf(top, sizeof(top), "%s/t%d", suite_dir, nr++);
	while (mkdir(top, 0700) && errno == EEXIST);
	snprintf(run_dir, sizeof(run_dir), "%s/run", top);
	snprintf(state_dir, sizeof(state_dir), "%s/state", top);
	snprintf(log_dir, sizeof(log_dir), "%s/log", top);
	snprintf(conf_path, sizeof(conf_path), "%s/keeld.conf", top);
	snprintf(rw_sock, sizeof(rw_sock), "%s/keeld.sock", run_dir);
	snprintf(ro_sock, sizeof(ro_sock), "%s/keeld-ro.sock", run_dir);
	write_file(conf_path, "# tests\nlog_level = info\n");
	memset(&keeld, 0, sizeof(keeld));
	keeld.pid = -1;
	keeld_hypervisor = NULL;
}

void teardown(void)
{
	if (keeld.pid > 0)
		proc_dispose(&keeld);
}

/* Send @line (a newline is added) and parse the one line answered. */
struct json_object *client_call(struct harness_client *c,
				       const char *line)
{
	const char *text = harness_client_call(c, line, CALL_TIMEOUT_MS);

	return text ? json_tokener_parse(text) : NULL;
}

/* One call on a fresh connection to @sock. */
struct json_object *call(const char *sock, const char *line)
{
	struct harness_client c;
	struct json_object *resp;

	ck_assert_int_eq(harness_client_open(&c, sock, 0), 0);
	resp = client_call(&c, line);
	harness_client_close(&c);
	ck_assert_msg(resp != NULL, "no response to %s", line);
	return resp;
}

/* The value at JSON pointer @ptr in @o, or NULL. */
struct json_object *at(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	if (json_pointer_get(o, ptr, &v))
		return NULL;
	return v;
}

const char *str_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = at(o, ptr);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       "(missing)";
}

int code_of(struct json_object *resp)
{
	struct json_object *v = at(resp, "/error/code");

	return v ? json_object_get_int(v) : 0;
}

void assert_error(struct json_object *resp, int code,
			 const char *field)
{
	ck_assert_msg(code_of(resp) == code, "expected error %d, got %s",
		      code, json_object_to_json_string(resp));
	if (field)
		ck_assert_str_eq(str_at(resp, "/error/data/field"), field);
}

void assert_ok(struct json_object *resp)
{
	ck_assert_msg(at(resp, "/result") != NULL || code_of(resp) == 0,
		      "expected a result, got %s",
		      json_object_to_json_string(resp));
	ck_assert_msg(at(resp, "/error") == NULL, "unexpected error: %s",
		      json_object_to_json_string(resp));
}


struct json_object *rpc_call(const char *method, const char *fmt, ...)
{
	char params[256 * 1024], *line;
	struct harness_client c;
	struct json_object *resp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(params, sizeof(params), fmt, ap);
	va_end(ap);
	ck_assert_int_ge(asprintf(&line,
				  "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\",\"params\":%s}",
				  method, params),
			 0);
	ck_assert_int_eq(harness_client_open(&c, rw_sock, 0), 0);
	resp = harness_client_call(&c, line, WAIT_MS) ?
		       json_tokener_parse(c.line) :
		       NULL;
	harness_client_close(&c);
	ck_assert_msg(resp != NULL, "no answer to %.200s", line);
	free(line);
	return resp;
}

struct json_object *rpc_ok(const char *method, const char *fmt, ...)
{
	char params[4096];
	struct json_object *resp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(params, sizeof(params), fmt, ap);
	va_end(ap);
	resp = rpc_call(method, "%s", params);
	assert_ok(resp);
	return resp;
}

void assert_domain_state(struct json_object *resp, const char *state,
		  const char *reason)
{
	ck_assert_msg(!strcmp(str_at(resp, "/result/state"), state) &&
			      !strcmp(str_at(resp, "/result/reason"), reason),
		      "expected %s/%s, got %s", state, reason,
		      json_object_to_json_string(resp));
}

void wait_domain_state(const char *name, const char *state,
		       const char *reason)
{
	long long end = harness_now_ms() + WAIT_MS;
	struct json_object *resp = NULL;

	for (;;) {
		json_object_put(resp);
		resp = rpc_call("domain.info", "{\"name\":\"%s\"}", name);
		if (!strcmp(str_at(resp, "/result/state"), state) &&
		    !strcmp(str_at(resp, "/result/reason"), reason))
			break;
		ck_assert_msg(harness_now_ms() < end,
			      "%s never became %s/%s: %s", name, state, reason,
			      json_object_to_json_string(resp));
		usleep(50 * 1000);
	}
	json_object_put(resp);
}

void events_open(struct harness_client *c)
{
	struct json_object *resp;

	ck_assert_int_eq(harness_client_open(c, ro_sock, 0), 0);
	resp = client_call(c, "{\"jsonrpc\":\"2.0\",\"id\":1,"
			      "\"method\":\"events.subscribe\"}");
	assert_ok(resp);
	json_object_put(resp);
}

struct json_object *next_domain_event(struct harness_client *c,
				      const char *name)
{
	long long end = harness_now_ms() + WAIT_MS;

	for (;;) {
		char *line = harness_client_readline(
			c, (int)(end - harness_now_ms()));
		struct json_object *ev;

		ck_assert_msg(line != NULL, "no more events for %s", name);
		ev = json_tokener_parse(line);
		free(line);
		if (!strcmp(str_at(ev, "/method"), "event") &&
		    (!name || !strcmp(str_at(ev, "/params/domain/name"), name)))
			return ev;
		json_object_put(ev);
	}
}

void expect_domain_event(struct harness_client *c, const char *name,
			 const char *event, const char *detail)
{
	for (;;) {
		struct json_object *ev = next_domain_event(c, name);
		bool match = !strcmp(str_at(ev, "/params/event"), event) &&
			     !strcmp(str_at(ev, "/params/detail"), detail);

		json_object_put(ev);
		if (match)
			return;
	}
}

TCase *keeld_tcase(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

struct json_object *rpc_ok_name(const char *method, const char *name)
{
	return rpc_ok(method, "{\"name\":\"%s\"}", name);
}

pid_t domain_hv_pid(const char *name, char *uuid)
{
	struct json_object *resp = rpc_ok_name("domain.info", name), *st, *v;
	char path[512];
	pid_t pid = -1;

	snprintf(path, sizeof(path), "%s/domains/%s/state.json", run_dir,
		 str_at(resp, "/result/uuid"));
	if (uuid)
		snprintf(uuid, 37, "%s", str_at(resp, "/result/uuid"));
	st = json_object_from_file(path);
	ck_assert_msg(st != NULL, "no %s", path);
	if (json_object_object_get_ex(st, "pid", &v))
		pid = json_object_get_int(v);
	json_object_put(st);
	json_object_put(resp);
	ck_assert_int_gt(pid, 0);
	return pid;
}

bool process_with(const char *needle)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char path[64], buf[8192];
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/cmdline", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n > 0 ? n : 0] = '\0';
		found = strstr(buf, needle) != NULL;
	}
	if (d)
		closedir(d);
	return found;
}

/* --- shared with the benchmarks: nothing below asserts ----------------- */

const char *absolute(const char *path)
{
	static char bufs[6][PATH_MAX];
	static unsigned next;
	char *buf = bufs[next++ % 6];

	return realpath(path, buf) ? buf : path;
}

const char *default_schema_dir(void)
{
	static char buf[PATH_MAX];
	const char *src = getenv("KEEL_SRCDIR");
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/schemas", src ? src : "..");
	return realpath(rel, buf) ? buf : strcpy(buf, rel);
}

int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

int keeld_spawn(struct proc *p, const char *program, const char *conf,
		const char *run, const char *state, const char *log,
		const char *schema_dir, const char *hv, int timeout_ms)
{
	return keeld_spawn_in(p, NULL, program, conf, run, state, log,
			      schema_dir, hv, timeout_ms);
}

int keeld_spawn_in(struct proc *p, const char *netns, const char *program,
		   const char *conf, const char *run, const char *state,
		   const char *log, const char *schema_dir, const char *hv,
		   int timeout_ms)
{
	char *keeld_argv[] = {
		(char *)program, "--foreground", "--config", (char *)conf,
		"--run-dir", (char *)run, "--state-dir", (char *)state,
		"--log-dir", (char *)log, "--schema-dir", (char *)schema_dir,
		hv ? "--hypervisor" : NULL, (char *)hv, NULL,
	};
	/*
	 * nsenter enters the network namespace only and execs keeld, whose
	 * pid @p then is. Not ip netns exec: that remounts /sys in a mount
	 * namespace of its own, which hides the cgroup2 mount under it from
	 * keeld (the nested runner's VM has nothing else).
	 */
	const char *nsenter = access("/usr/bin/nsenter", X_OK) ?
				      "/bin/nsenter" :
				      "/usr/bin/nsenter";
	char ns_opt[128];
	char *argv[3 + sizeof(keeld_argv) / sizeof(keeld_argv[0])] = {
		(char *)nsenter, ns_opt, "--",
	};
	int rc;

	snprintf(ns_opt, sizeof(ns_opt), "--net=/run/netns/%s",
		 netns ? netns : "");
	memcpy(argv + 3, keeld_argv, sizeof(keeld_argv));
	rc = proc_spawn(p, netns ? argv : keeld_argv);

	if (rc)
		return rc;
	if (proc_expect(p, " ready: ", 0, timeout_ms) < 0) {
		/* Collect all it said. */
		proc_wait(p, 1000);
		return -ESRCH;
	}
	return 0;
}

int keeld_env_restart(struct keeld_env *b)
{
	int rc;

	proc_dispose(&b->keeld_proc);
	rc = keeld_spawn(&b->keeld_proc, b->keeld, b->conf, b->run_dir,
			 b->state_dir, b->log_dir, b->schema_dir, b->hv, 30000);
	if (rc == -ESRCH)
		fprintf(stderr, "%s: keeld did not start:\n%s\n", b->prog,
			b->keeld_proc.out ? b->keeld_proc.out : "");
	else if (rc)
		fprintf(stderr, "%s: cannot run %s: %s\n", b->prog, b->keeld,
			strerror(-rc));
	return rc;
}

int keeld_env_start(struct keeld_env *b, const char *prog,
		    const char *program, const char *schema_dir,
		    const char *hv, const char *conf_text)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->keeld_proc.pid = -1;
	b->keeld_proc.in_fd = b->keeld_proc.out_fd = -1;
	b->prog = prog;
	b->keeld = program;
	b->schema_dir = schema_dir;
	b->hv = hv;
	snprintf(b->dir, sizeof(b->dir), "/tmp/keel-bench-%.20s.XXXXXX",
		 prog);
	if (!mkdtemp(b->dir)) {
		rc = -errno;
		b->dir[0] = '\0';
		fprintf(stderr, "%s: cannot make a temporary directory: %s\n",
			prog, strerror(-rc));
		return rc;
	}
	snprintf(b->run_dir, sizeof(b->run_dir), "%s/run", b->dir);
	snprintf(b->state_dir, sizeof(b->state_dir), "%s/state", b->dir);
	snprintf(b->log_dir, sizeof(b->log_dir), "%s/log", b->dir);
	snprintf(b->conf, sizeof(b->conf), "%s/keeld.conf", b->dir);
	snprintf(b->sock, sizeof(b->sock), "%s/keeld.sock", b->run_dir);
	snprintf(b->ro_sock, sizeof(b->ro_sock), "%s/keeld-ro.sock",
		 b->run_dir);
	/* info: the ready line is logged at that level. */
	rc = write_text(b->conf, conf_text ? conf_text : "log_level = info\n");
	if (rc) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, b->conf,
			strerror(-rc));
		return rc;
	}
	return keeld_env_restart(b);
}

void keeld_env_kill(struct keeld_env *b)
{
	if (b->keeld_proc.pid > 0 && !b->keeld_proc.exited) {
		kill(b->keeld_proc.pid, SIGKILL);
		proc_wait(&b->keeld_proc, 5000);
	}
}

void keeld_env_stop(struct keeld_env *b)
{
	if (b->keeld_proc.pid > 0 && !b->keeld_proc.exited) {
		int status;

		kill(b->keeld_proc.pid, SIGTERM);
		status = proc_wait(&b->keeld_proc, 5000);
		if (status)
			fprintf(stderr, "%s: keeld exited with %d:\n%s\n",
				b->prog, status, b->keeld_proc.out);
	}
	proc_dispose(&b->keeld_proc);
	if (b->dir[0])
		nftw(b->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	b->dir[0] = '\0';
}
