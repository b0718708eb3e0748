// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld against hostile local users (issue 15): a real keeld in a
 * temporary run directory, clients under other uids (forked, then
 * setresuid; no such user needs to exist), a low descriptor limit or
 * low limits in keeld.conf. Each test checks what keeld does: root is
 * still served, the limits refuse with an error line, keeld's memory
 * and log stay bounded. And the log's budget itself, in-process.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "log.h"
#include "runner.h"

#define HOSTILE_UID 60001
#define HOST_INFO "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}"

/* Let other uids reach the sockets: mkdtemp() made the dirs 0700. */
static void open_dirs(void)
{
	ck_assert_int_eq(chmod(suite_dir, 0755), 0);
	ck_assert_int_eq(chmod(top, 0755), 0);
}

/* Become @uid (and gid) in a forked child. */
static void become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(100);
}

static int child_status(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A nonblocking connection to @path, or -1. */
static int raw_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * What keeld said on @fd within @ms: 1 if it sent an error line with
 * @code (and then, if @then_eof, closed), 0 if nothing came, -1 if
 * something else came.
 */
static int read_refusal(int fd, int code, bool then_eof, int ms)
{
	char buf[1024], want[32];
	size_t len = 0;
	long long end = harness_now_ms() + ms;

	snprintf(want, sizeof(want), "\"code\":%d", code);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - harness_now_ms();
		ssize_t n;

		if (poll(&pfd, 1, left > 0 ? (int)left : 0) <= 0)
			return len ? -1 : 0;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0) {
			buf[len] = '\0';
			return strstr(buf, want) && memchr(buf, '\n', len) ? 1 :
									     -1;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (!then_eof && memchr(buf, '\n', len))
			return strstr(buf, want) ? 1 : -1;
		if (len == sizeof(buf) - 1)
			return -1;
	}
}

/* True once keeld has closed @fd (EOF), within @ms. */
static bool closed_within(int fd, int ms)
{
	long long end = harness_now_ms() + ms;
	char buf[4096];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
	}
}

/*
 * Can keeld's RSS be held to numbers? Not when it is built with
 * AddressSanitizer (built like this program): its allocator keeps
 * freed memory in quarantine and pads every block.
 */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL false
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL true
#endif

/* keeld's VmRSS or VmHWM in KiB. */
static long keeld_mem_kib(const char *key)
{
	long kib = harness_status_kib(keeld.pid, key);

	ck_assert_int_ge(kib, 0);
	return kib;
}

/* keeld's user plus system CPU time, in clock ticks. */
static long keeld_cpu_ticks(void)
{
	char path[64], buf[1024], *p;
	unsigned long utime = 0, stime = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)keeld.pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&utime, &stime),
			 2);
	return (long)(utime + stime);
}

/* Read keeld's log for @ms; returns how many bytes it holds now. */
static size_t keeld_log_pump(int ms)
{
	proc_expect(&keeld, "\001never\001", keeld.len, ms);
	return keeld.len;
}

/*
 * Start keeld with this soft and hard descriptor limit. The test's
 * process keeps it too (raising a hard limit again needs
 * CAP_SYS_RESOURCE): Check runs each test in a process of its own.
 */
static void keeld_start_nofile(rlim_t nofile)
{
	struct rlimit low = { .rlim_cur = nofile, .rlim_max = nofile };

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	keeld_start();
}

/*
 * A hostile process: as HOSTILE_UID, open up to @n connections to
 * keeld-ro.sock (as many as its descriptor limit allows) and hold them;
 * write how many got an error line with @code to @report, then wait for
 * a byte on @hold before it exits.
 */
static pid_t hostile_hold(int n, int code, int report, int hold)
{
	pid_t pid = fork();
	int refused = 0;
	int *fds;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	become(HOSTILE_UID);
	fds = calloc((size_t)n, sizeof(*fds));
	for (int i = 0; i < n; i++) {
		fds[i] = raw_connect(ro_sock);
		if (fds[i] < 0)
			usleep(1000);
	}
	/* keeld takes them in a few at a time; let it. */
	usleep(500 * 1000);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0 && read_refusal(fds[i], code, false, 0) == 1)
			refused++;
	if (write(report, &refused, sizeof(refused)) != sizeof(refused))
		_exit(1);
	if (read(hold, &refused, 1) < 0)
		_exit(1);
	_exit(0);
}

/*
 * Descriptors: at the usual soft limit a few hundred idle connections
 * used to make keeld spin on accept() and log without end. Now the
 * limits on clients are derived from the descriptor limit, an
 * unprivileged user gets its share and error lines beyond it, and root
 * is still served on keeld.sock with a short log.
 */
START_TEST(test_descriptor_exhaustion)
{
	int report[2], hold[2], refused = -1;
	size_t log_before;
	struct json_object *r;
	pid_t pid;

	open_dirs();
	keeld_start_nofile(128);
	log_before = keeld_log_pump(0);
	ck_assert_int_eq(pipe(report), 0);
	ck_assert_int_eq(pipe(hold), 0);
	/* As many as the limit of 128 lets it open. */
	pid = hostile_hold(400, -32004, report[1], hold[0]);
	ck_assert_int_eq(read(report[0], &refused, sizeof(refused)),
			 sizeof(refused));
	ck_assert_int_gt(refused, 0);
	/* Root on keeld.sock, with the hostile connections still held. */
	for (int i = 0; i < 5; i++) {
		r = call(rw_sock, HOST_INFO);
		assert_ok(r);
		json_object_put(r);
	}
	ck_assert_int_lt(keeld_log_pump(500) - log_before, 16 * 1024);
	ck_assert_int_eq(write(hold[1], "x", 1), 1);
	ck_assert_int_eq(child_status(pid), 0);
	ck_assert_ptr_nonnull(strstr(keeld.out, "at most 16 connections"));
	keeld_stop();
}
END_TEST

/*
 * When keeld does run out of descriptors (limits set above what the
 * descriptor limit allows), it stops accepting for a while instead of
 * retrying at once: little CPU, a short log, and it serves again once
 * descriptors are free.
 */
START_TEST(test_accept_backoff)
{
	int report[2], hold[2], refused;
	long cpu0, cpu1;
	size_t log0;
	struct json_object *r;
	pid_t pid;

	open_dirs();
	write_file(conf_path, "log_level = info\nmax_clients = 500\n"
			      "max_clients_per_uid = 500\n");
	keeld_start_nofile(64);
	ck_assert_int_eq(pipe(report), 0);
	ck_assert_int_eq(pipe(hold), 0);
	/* Some 60 connections: more than keeld has descriptors for. */
	pid = hostile_hold(200, -32004, report[1], hold[0]);
	ck_assert_int_eq(read(report[0], &refused, sizeof(refused)),
			 sizeof(refused));
	log0 = keeld_log_pump(200);
	ck_assert_msg(strstr(keeld.out, "out of file descriptors"), "%s",
		      keeld.out);
	cpu0 = keeld_cpu_ticks();
	log0 = keeld_log_pump(1000) - log0;
	cpu1 = keeld_cpu_ticks();
	/* Not spinning: well under half of the second on the CPU. */
	ck_assert_int_lt(cpu1 - cpu0, sysconf(_SC_CLK_TCK) / 2);
	ck_assert_int_lt(log0, 8 * 1024);
	ck_assert_int_eq(write(hold[1], "x", 1), 1);
	ck_assert_int_eq(child_status(pid), 0);
	/* The descriptors are back: keeld accepts again. */
	r = call(rw_sock, HOST_INFO);
	assert_ok(r);
	json_object_put(r);
	keeld_stop();
}
END_TEST

/*
 * In a child as HOSTILE_UID: open @n connections to @sock, call
 * host.info on each, then one more connection that must be refused
 * with @code and a message naming @setting, readable even when the
 * client sends its request a moment later (the lingering close).
 * Exits 0 if so, else the step that failed.
 */
static pid_t refused_after(const char *sock, int n, int code,
			   const char *setting)
{
	pid_t pid = fork();
	struct harness_client c[16], last;
	const char *line;

	ck_assert_int_ge(pid, 0);
	if (pid)
		return pid;
	become(HOSTILE_UID);
	for (int i = 0; i < n; i++) {
		if (harness_client_open(&c[i], sock, 0))
			_exit(1);
		line = harness_client_call(&c[i], HOST_INFO, IO_TIMEOUT_MS);
		if (!line || !strstr(line, "\"result\""))
			_exit(2);
	}
	if (harness_client_open(&last, sock, 0))
		_exit(3);
	usleep(200 * 1000);
	line = harness_client_call(&last, HOST_INFO, IO_TIMEOUT_MS);
	if (!line)
		_exit(4);
	if (!strstr(line, "-32004") || !strstr(line, setting))
		_exit(5);
	if (harness_client_readline(&last, IO_TIMEOUT_MS))
		_exit(6);
	_exit(0);
}

START_TEST(test_per_uid_cap)
{
	struct harness_client root[6];
	struct json_object *r;

	open_dirs();
	write_file(conf_path, "log_level = info\nmax_clients_per_uid = 3\n");
	keeld_start();
	ck_assert_int_eq(child_status(refused_after(ro_sock, 3, -32004,
						    "max_clients_per_uid")),
			 0);
	/* Root on keeld.sock has no per-uid cap. */
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(harness_client_open(&root[i], rw_sock, 0), 0);
		r = client_call(&root[i], HOST_INFO);
		assert_ok(r);
		json_object_put(r);
	}
	for (int i = 0; i < 6; i++)
		harness_client_close(&root[i]);
	ck_assert_int_gt(proc_expect(&keeld, "uid 60001 already has 3", 0,
				     2000),
			 0);
	keeld_stop();
}
END_TEST

/*
 * The total: others are refused once max_clients less root's reserve
 * are connected; root on keeld.sock still gets in.
 */
START_TEST(test_total_cap)
{
	struct harness_client ro[8], rw[2];
	struct json_object *r;
	int fd;

	write_file(conf_path, "log_level = info\nmax_clients = 8\n"
			      "max_clients_per_uid = 100\n");
	keeld_start();
	ck_assert_ptr_nonnull(strstr(keeld.out, "the last 2 kept for root"));
	/* Root on keeld-ro.sock is anyone: 6 places. */
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(harness_client_open(&ro[i], ro_sock, 0), 0);
		r = client_call(&ro[i], HOST_INFO);
		assert_ok(r);
		json_object_put(r);
	}
	fd = raw_connect(ro_sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read_refusal(fd, -32004, true, IO_TIMEOUT_MS), 1);
	close(fd);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(harness_client_open(&rw[i], rw_sock, 0), 0);
		r = client_call(&rw[i], HOST_INFO);
		assert_ok(r);
		json_object_put(r);
	}
	/* And past max_clients, root is refused too. */
	fd = raw_connect(rw_sock);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read_refusal(fd, -32004, true, IO_TIMEOUT_MS), 1);
	close(fd);
	/* Places freed are places again. */
	harness_client_close(&ro[0]);
	for (int i = 0; i < 2; i++)
		harness_client_close(&rw[i]);
	usleep(100 * 1000);
	r = call(ro_sock, HOST_INFO);
	assert_ok(r);
	json_object_put(r);
	for (int i = 1; i < 6; i++)
		harness_client_close(&ro[i]);
	keeld_stop();
}
END_TEST

/*
 * A read-only client that sends no complete request for the timeout
 * is closed; a partial line is not activity. A subscriber, a client
 * that keeps calling and root on keeld.sock stay.
 */
START_TEST(test_idle_timeout)
{
	struct harness_client idle, partial, sub, busy, rw;
	struct json_object *r;
	long long end;

	write_file(conf_path, "log_level = info\nclient_idle_timeout = 1\n");
	keeld_start();
	ck_assert_int_eq(harness_client_open(&idle, ro_sock, 0), 0);
	ck_assert_int_eq(harness_client_open(&partial, ro_sock, 0), 0);
	ck_assert_int_eq(harness_client_open(&sub, ro_sock, 0), 0);
	ck_assert_int_eq(harness_client_open(&busy, ro_sock, 0), 0);
	ck_assert_int_eq(harness_client_open(&rw, rw_sock, 0), 0);
	r = client_call(&sub, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}");
	assert_ok(r);
	json_object_put(r);
	end = harness_now_ms() + 2500;
	while (harness_now_ms() < end) {
		/* Refused once keeld has closed it. */
		harness_client_send(&partial, " ", 1);
		r = client_call(&busy, HOST_INFO);
		assert_ok(r);
		json_object_put(r);
		usleep(300 * 1000);
	}
	ck_assert(closed_within(idle.fd, 2000));
	ck_assert(closed_within(partial.fd, 2000));
	r = client_call(&sub, HOST_INFO);
	assert_ok(r);
	json_object_put(r);
	r = client_call(&busy, HOST_INFO);
	assert_ok(r);
	json_object_put(r);
	r = client_call(&rw, HOST_INFO);
	assert_ok(r);
	json_object_put(r);
	harness_client_close(&idle);
	harness_client_close(&partial);
	harness_client_close(&sub);
	harness_client_close(&busy);
	harness_client_close(&rw);
	keeld_stop();
}
END_TEST

#define NR_PARTIAL 40
#define PARTIAL_LEN (512 * 1024)

/*
 * Partial lines: past the clients' budget (client_memory = 4 MiB) they
 * are dropped with an error line, keeld's RSS stays near the budget
 * while the rest are held, and comes back down once they leave.
 */
START_TEST(test_partial_lines_budget)
{
	char *junk = malloc(PARTIAL_LEN);
	struct harness_client c[NR_PARTIAL];
	long base, held, after = 0;
	int dropped = 0;
	long long end;

	write_file(conf_path, "log_level = info\nclient_memory = 4\n"
			      "max_clients_per_uid = 100\n");
	keeld_start();
	base = keeld_mem_kib("VmRSS");
	memset(junk, ' ', PARTIAL_LEN);
	junk[0] = '{';
	for (int i = 0; i < NR_PARTIAL; i++) {
		ck_assert_int_eq(harness_client_open(&c[i], ro_sock, 0), 0);
		/* keeld may drop it before it is all sent; that is fine. */
		harness_client_send(&c[i], junk, PARTIAL_LEN);
	}
	for (int i = 0; i < NR_PARTIAL; i++)
		if (read_refusal(c[i].fd, -32004, false, 200) == 1)
			dropped++;
	held = keeld_mem_kib("VmRSS");
	ck_assert_msg(dropped >= NR_PARTIAL / 2, "only %d dropped", dropped);
	/* 20 MiB were sent; keeld holds about its 4 MiB budget. */
	ck_assert_msg(!RSS_MEANINGFUL || held - base < 16 * 1024,
		      "RSS %ld KiB, from %ld KiB", held, base);
	for (int i = 0; i < NR_PARTIAL; i++)
		harness_client_close(&c[i]);
	end = harness_now_ms() + (RSS_MEANINGFUL ? 5000 : 0);
	while (harness_now_ms() < end) {
		after = keeld_mem_kib("VmRSS");
		if (after - base < 2 * 1024)
			break;
		usleep(100 * 1000);
	}
	ck_assert_msg(!RSS_MEANINGFUL || after - base < 2 * 1024,
		      "RSS %ld KiB after they left, from %ld KiB", after, base);
	free(junk);
	keeld_stop();
}
END_TEST

/*
 * A client that pipelines requests with large answers and never reads
 * is dropped at its limit, having cost keeld little more than that
 * limit even with batches whose answers would be tens of megabytes;
 * another client's calls complete meanwhile.
 */
START_TEST(test_non_reader)
{
	static const char list[] =
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"domain.list\",\"params\":{\"config\":true}}\n";
	size_t cmdline_len = 16 * 1024, got = 0;
	char *define = malloc(cmdline_len + 512), *cmdline, *batch, *line;
	struct harness_client slow, fast;
	struct json_object *r;
	long hwm0;
	size_t n = 0;

	keeld_start();
	cmdline = malloc(cmdline_len + 1);
	memset(cmdline, 'a', cmdline_len);
	cmdline[cmdline_len] = '\0';
	for (int i = 0; i < 20; i++) {
		sprintf(define,
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"big%d\",\"kernel\":\"k\",\"cmdline\":\"%s\"}}}",
			i, cmdline);
		r = call(rw_sock, define);
		assert_ok(r);
		json_object_put(r);
	}
	/* 64 domain.list with configs: 20 MiB of answers, as one line. */
	batch = malloc(64 * 100 + 16);
	n += (size_t)sprintf(batch + n, "[");
	for (int i = 0; i < 64; i++)
		n += (size_t)sprintf(batch + n,
				     "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"domain.list\",\"params\":{\"config\":true}}",
				     i ? "," : "", i);
	n += (size_t)sprintf(batch + n, "]\n");
	hwm0 = keeld_mem_kib("VmHWM");

	ck_assert_int_eq(harness_client_open(&slow, ro_sock, 0), 0);
	for (int i = 0; i < 8; i++)
		harness_client_send(&slow, batch, n);
	for (int i = 0; i < 40; i++)
		harness_client_send(&slow, list, strlen(list));
	ck_assert_int_eq(harness_client_open(&fast, ro_sock, 0), 0);
	for (int i = 0; i < 20; i++) {
		r = client_call(&fast, HOST_INFO);
		assert_ok(r);
		json_object_put(r);
	}
	harness_client_close(&fast);
	ck_assert_msg(proc_expect(&keeld, "Dropping a client", 0, 5000) > 0,
		      "%s", keeld.out);
	/* Dropped: EOF before all the answers. */
	while ((line = harness_client_readline(&slow, IO_TIMEOUT_MS))) {
		got++;
		free(line);
	}
	ck_assert_int_lt(got, 8 + 40);
	harness_client_close(&slow);
	/*
	 * Its 4 MiB, one batch's answers (as text) and change; building
	 * the batch's 20 MiB before measuring them took more than that.
	 */
	ck_assert_msg(!RSS_MEANINGFUL ||
			      keeld_mem_kib("VmHWM") - hwm0 < 12 * 1024,
		      "VmHWM %ld KiB, from %ld KiB", keeld_mem_kib("VmHWM"),
		      hwm0);
	free(batch);
	free(cmdline);
	free(define);
	keeld_stop();
}
END_TEST

/* The settings are checked and named in keeld.conf's errors. */
START_TEST(test_limit_settings)
{
	static const char *const bad[] = {
		"max_clients = -1\n", "max_clients_per_uid = lots\n",
		"client_memory = 0\n", "client_idle_timeout = 1s\n",
	};
	struct proc p;
	char *argv[] = {
		(char *)harness_path("daemon/keeld"), "--foreground",
		"--config", conf_path, "--run-dir", run_dir,
		"--state-dir", state_dir, "--log-dir", log_dir, NULL,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(conf_path, bad[i]);
		ck_assert_int_eq(proc_spawn(&p, argv), 0);
		ck_assert_int_eq(proc_wait(&p, 5000), 1);
		ck_assert_msg(strstr(p.out, ":1: ") && strstr(p.out, "must be"),
			      "%s", p.out);
		proc_dispose(&p);
	}
	write_file(conf_path, "frobnicate = 1\n");
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert_msg(strstr(p.out, "client_idle_timeout"), "%s", p.out);
	proc_dispose(&p);
}
END_TEST

/* Lines written to a pipe standing in for stderr, counted. */
static int stderr_to_pipe(int *saved)
{
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	*saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	close(p[1]);
	return p[0];
}

static char *drain(int fd)
{
	static char buf[65536];
	ssize_t n;

	fflush(stderr);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* lib/log.c's budgets: per call site, and the process-wide backstop. */
START_TEST(test_log_budget)
{
	struct log_ratelimit rl = { .interval_ms = 300, .burst = 3 };
	int saved, fd = stderr_to_pipe(&saved);
	char *out;

	log_init("check", false, LOG_LEVEL_INFO);
	log_set_global_limit(0, 0);
	for (int i = 0; i < 10; i++)
		log_msg_limited(&rl, LOG_LEVEL_WARN, "refused %d", i);
	out = drain(fd);
	ck_assert_int_eq(count_lines(out), 3);
	ck_assert_ptr_nonnull(strstr(out, "refused 2"));
	usleep(350 * 1000);
	log_msg_limited(&rl, LOG_LEVEL_WARN, "refused %d", 10);
	out = drain(fd);
	ck_assert_int_eq(count_lines(out), 1);
	ck_assert_msg(strstr(out, "refused 10 (7 similar messages were not logged"),
		      "%s", out);
	/* Below the level: neither written nor counted. */
	for (int i = 0; i < 10; i++)
		log_msg_limited(&rl, LOG_LEVEL_DEBUG, "quiet");
	ck_assert_str_eq(drain(fd), "");

	log_set_global_limit(10, 5);
	for (int i = 0; i < 20; i++)
		log_msg(LOG_LEVEL_INFO, "flood %d", i);
	ck_assert_int_eq(count_lines(drain(fd)), 5);
	usleep(250 * 1000);
	log_msg(LOG_LEVEL_INFO, "after");
	out = drain(fd);
	ck_assert_msg(strstr(out, "15 messages were not logged") &&
			      strstr(out, "after"),
		      "%s", out);
	log_set_global_limit(LOG_GLOBAL_RATE, LOG_GLOBAL_BURST);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = keeld_tcase("keeld", 60);
	TCase *lg = tcase_create("log");

	if (!harness_have_file(harness_path("daemon/keeld")))
		runner_skip_reason = "daemon/keeld is not built";
	else if (geteuid() != 0)
		runner_skip_reason =
			"needs root: the hostile clients run under other uids";
	tcase_add_test(tc, test_descriptor_exhaustion);
	tcase_add_test(tc, test_accept_backoff);
	tcase_add_test(tc, test_per_uid_cap);
	tcase_add_test(tc, test_total_cap);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_partial_lines_budget);
	tcase_add_test(tc, test_non_reader);
	tcase_add_test(tc, test_limit_settings);
	suite_add_tcase(s, tc);
	tcase_add_test(lg, test_log_budget);
	suite_add_tcase(s, lg);
	return s;
}
