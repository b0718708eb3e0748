// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/create: what keeld adds to starting a domain. The same
 * small guest is started N times each three ways, interleaved so that
 * drift in the machine's speed hits all three alike:
 *
 *   keel-hv direct  fork/exec of keel-hv with the arguments keeld's
 *                   build_argv() gives it, its stdout on a pipe;
 *   keeld rpc       domain.create sent on an open keeld.sock connection;
 *   keel cli        fork/exec of `keel -c SOCK create FILE`.
 *
 * Each run is timed from just before the fork (direct, cli) or the send
 * (rpc) to the first byte of the guest's ready line, read from keel-hv's
 * stdout pipe or from the domain's RUN_DIR/domains/UUID/console.log
 * (read whenever inotify reports a change), and to the end: keel-hv's
 * exit seen on a pidfd, or keeld's "stopped" event on a second,
 * subscribed connection. The keeld rows' medians minus the direct
 * row's are keeld's overhead. One unrecorded warm-up round comes first.
 *
 *   create [-n RUNS] [-k KERNEL] [-m MIB] [-r READY_TEXT] [-t TIMEOUT_S]
 *          [-v] [--keeld PATH] [--keel PATH] [--hv PATH]
 *          [--schema-dir DIR]
 *
 * -v prints every run, with keeld's and keel-hv's log lines placed on
 * the run's time line (their timestamps have 1 ms resolution). Any
 * failed run (an error answer, a non-zero exit, no ready line, a
 * timeout) is reported and makes the exit status 1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeld_fixture.h"
#include "harness.h"
#include "monotime.h"

#define DEFAULT_READY "hello from keel test guest"
#define MAX_RUNS 1000
/* After a failed answer, how long to wait for the "stopped" event. */
#define AFTER_FAILURE_MS 2000

enum bench_path { PATH_DIRECT, PATH_RPC, PATH_CLI, NR_PATHS };

static const char *const path_names[NR_PATHS] = {
	[PATH_DIRECT] = "keel-hv direct",
	[PATH_RPC] = "keeld rpc",
	[PATH_CLI] = "keel cli",
};

struct bench_cfg {
	int runs;
	int timeout_s;
	int mem_mib;
	bool verbose;
	const char *kernel;
	const char *ready;
	const char *hv;
	const char *keeld;
	const char *keel;
	const char *schema_dir;
};

/* One run, in ms from its start; < 0 where it did not get there. */
struct sample {
	bool ok;
	double ready;	/* first byte of the ready line */
	double stopped;	/* keel-hv exited / keeld's "stopped" event */
	double spawn;	/* console.log created: keeld forks right after */
	double answer;	/* domain.create answered / keel exited */
};

/* Bytes read from a stream, with the time each read brought them. */
struct tchunk {
	size_t end;
	uint64_t t;
};

struct tbuf {
	char *data;
	size_t len, cap;
	struct tchunk *chunks;
	size_t nr, nr_cap;
};

/* A socket read line by line, without blocking. */
struct lconn {
	int fd;
	char *buf;
	size_t len, cap;
};

/* A forked child: keel-hv or keel. */
struct child {
	pid_t pid;
	int pidfd;	/* -1 once reaped */
	int out_fd;	/* its stdout; -1 at EOF */
	int status;
	uint64_t t_exit;
};

/* keeld, its directories and the benchmark's connections to it. */
struct bench_env {
	struct keeld_env k;	/* keeld and its temporary directory */
	char direct_dir[96];	/* keel-hv's directories for direct runs */
	char domains[128];	/* keeld's RUN_DIR/domains */
	int ino;		/* inotify: domains/ and one domain's dir */
	int domains_wd;
	struct lconn rpc, events;
	unsigned long long next_id;
};

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, to place log timestamps. */
static int64_t realtime_offset_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - (int64_t)monotime_ns();
}

static double ms_since(uint64_t t0, uint64_t t)
{
	return t ? (double)(t - t0) / 1e6 : -1;
}

static void tbuf_free(struct tbuf *tb)
{
	free(tb->data);
	free(tb->chunks);
	memset(tb, 0, sizeof(*tb));
}

static int tbuf_append(struct tbuf *tb, const char *data, size_t n,
		       uint64_t t)
{
	if (tb->cap - tb->len <= n) {
		size_t cap = tb->cap ? tb->cap : 4096;
		char *bigger;

		while (cap - tb->len <= n)
			cap *= 2;
		bigger = realloc(tb->data, cap);
		if (!bigger)
			return -ENOMEM;
		tb->data = bigger;
		tb->cap = cap;
	}
	if (tb->nr == tb->nr_cap) {
		size_t cap = tb->nr_cap ? tb->nr_cap * 2 : 64;
		struct tchunk *bigger = realloc(tb->chunks,
						cap * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		tb->chunks = bigger;
		tb->nr_cap = cap;
	}
	memcpy(tb->data + tb->len, data, n);
	tb->len += n;
	tb->data[tb->len] = '\0';
	tb->chunks[tb->nr].end = tb->len;
	tb->chunks[tb->nr].t = t;
	tb->nr++;
	return 0;
}

/* When the first byte of @needle arrived; 0 if it has not (whole). */
static uint64_t tbuf_find(const struct tbuf *tb, const char *needle)
{
	const char *hit;
	size_t at;

	if (!tb->len)
		return 0;
	hit = memmem(tb->data, tb->len, needle, strlen(needle));
	if (!hit)
		return 0;
	at = (size_t)(hit - tb->data);
	for (size_t i = 0; i < tb->nr; i++)
		if (tb->chunks[i].end > at)
			return tb->chunks[i].t;
	return 0;
}

/* Read what @fd has now into @tb. Returns 0, or 1 at EOF, or -errno. */
static int tbuf_read(struct tbuf *tb, int fd)
{
	char buf[4096];
	ssize_t n;

	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return 1;
	return tbuf_append(tb, buf, (size_t)n, monotime_ns());
}

static void lconn_init(struct lconn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void lconn_close(struct lconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	lconn_init(c);
}

/* Connect to @path. Returns 0 or -errno. */
static int lconn_open(struct lconn *c, const char *path)
{
	struct harness_client hc;
	int rc;

	lconn_init(c);
	rc = harness_client_open(&hc, path, 2000);
	if (!rc) {
		/* Take the socket over; the harness client keeps nothing. */
		c->fd = hc.fd;
		hc.fd = -1;
	}
	harness_client_close(&hc);
	return rc;
}

static int lconn_send(struct lconn *c, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read what the socket has now. Returns 0, or -EPIPE at EOF, or -errno. */
static int lconn_read(struct lconn *c)
{
	ssize_t n;

	if (c->cap - c->len < 65536) {
		size_t cap = c->cap ? c->cap * 2 : 131072;
		char *bigger = realloc(c->buf, cap);

		if (!bigger)
			return -ENOMEM;
		c->buf = bigger;
		c->cap = cap;
	}
	do
		n = recv(c->fd, c->buf + c->len, c->cap - c->len,
			 MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	c->len += (size_t)n;
	return 0;
}

/* The next whole line already read, parsed; NULL if none. */
static struct json_object *lconn_next(struct lconn *c)
{
	char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
	struct json_object *o;
	size_t len;

	if (!nl)
		return NULL;
	*nl = '\0';
	len = (size_t)(nl - c->buf);
	o = json_tokener_parse(c->buf);
	memmove(c->buf, nl + 1, c->len - len - 1);
	c->len -= len + 1;
	/* A line that does not parse stands as an empty object. */
	return o ? o : json_object_new_object();
}

/* Send @line, then wait up to @timeout_ms for the answer to @id. */
static struct json_object *lconn_call(struct lconn *c, const char *line,
				      unsigned long long id, int timeout_ms)
{
	uint64_t deadline = monotime_ns() + (uint64_t)timeout_ms * 1000000;

	if (lconn_send(c, line, strlen(line)))
		return NULL;
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		struct json_object *o, *v;
		uint64_t t = monotime_ns();

		while ((o = lconn_next(c))) {
			if (json_object_object_get_ex(o, "id", &v) &&
			    (unsigned long long)json_object_get_int64(v) == id)
				return o;
			json_object_put(o);
		}
		if (t >= deadline ||
		    poll(&pfd, 1, (int)((deadline - t) / 1000000) + 1) <= 0 ||
		    lconn_read(c))
			return NULL;
	}
}

static const char *json_str(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	if (json_pointer_get(o, ptr, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void uuid_new(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		uint64_t t = monotime_ns();

		memcpy(b, &t, sizeof(t));
		memcpy(b + 8, &t, sizeof(t));
		b[15] ^= (unsigned char)getpid();
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * Fork and exec @argv in a new session, stdin on /dev/null, stdout on a
 * new pipe, stderr on @err_fd (-1: the same pipe), as keeld's hv_spawn()
 * does with files. *@t0 is stamped just before the fork. Returns 0 or
 * -errno; on success the caller must child_reap() it.
 */
static int child_start(struct child *c, char *const argv[], int err_fd,
		       uint64_t *t0)
{
	int out[2], null_fd, rc = 0;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	c->pidfd = c->out_fd = -1;
	c->pid = -1;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		rc = -errno;
		goto out_close_null;
	}
	*t0 = monotime_ns();
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(out[0]);
		close(out[1]);
		goto out_close_null;
	}
	if (pid == 0) {
		setsid();
		if (dup2(null_fd, STDIN_FILENO) < 0 ||
		    dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(err_fd >= 0 ? err_fd : out[1], STDERR_FILENO) < 0)
			_exit(127);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	c->pid = pid;
	c->out_fd = out[0];
	c->pidfd = pidfd_open(pid, 0);
	if (c->pidfd < 0) {
		rc = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(c->out_fd);
		c->out_fd = -1;
		c->pid = -1;
	}
out_close_null:
	close(null_fd);
	return rc;
}

/* It exited (its pidfd is readable): note when, and reap it. */
static void child_exited(struct child *c)
{
	c->t_exit = monotime_ns();
	waitpid(c->pid, &c->status, 0);
	close(c->pidfd);
	c->pidfd = -1;
}

/* Kill it if it still runs, reap it, close everything. Idempotent. */
static void child_reap(struct child *c)
{
	if (c->pidfd >= 0) {
		pidfd_send_signal(c->pidfd, SIGKILL, NULL, 0);
		child_exited(c);
	}
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}

static bool child_ok(const struct child *c)
{
	return c->pidfd < 0 && c->t_exit && WIFEXITED(c->status) &&
	       WEXITSTATUS(c->status) == 0;
}

static const char *child_status_text(const struct child *c, char *buf,
				     size_t size)
{
	if (c->pidfd >= 0 || !c->t_exit)
		snprintf(buf, size, "did not exit");
	else if (WIFEXITED(c->status))
		snprintf(buf, size, "exited with %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, size, "was killed by signal %d",
			 WTERMSIG(c->status));
	else
		snprintf(buf, size, "ended oddly (status %#x)", c->status);
	return buf;
}

/*
 * Print the log lines in @text ("SECONDS.MS ident: level: message", as
 * lib/log.c writes them) with their time relative to @t0.
 */
static void print_log(const char *what, const char *text, uint64_t t0,
		      int64_t rt_offset)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		long long sec;
		int msec, skip = 0;

		if (sscanf(line, "%lld.%3d %n", &sec, &msec, &skip) == 2 &&
		    skip) {
			int64_t t = (sec * 1000 + msec) * 1000000LL - rt_offset;

			/* The line names its program itself. */
			printf("      %8.1f ms  %.*s\n",
			       ((double)t - (double)t0) / 1e6, len - skip,
			       line + skip);
		} else if (len) {
			printf("                 %s: %.*s\n", what, len, line);
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void print_log_file(const char *what, const char *path, uint64_t t0,
			   int64_t rt_offset)
{
	char buf[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	print_log(what, buf, t0, rt_offset);
}

static void print_sample(enum bench_path path, int nr, const struct sample *s)
{
	printf("  %s %s%d: %s: ready %.1f, stopped %.1f, spawn %.1f, "
	       "answer %.1f ms\n",
	       path_names[path], nr ? "#" : "warm-up ", nr,
	       s->ok ? "ok" : "FAILED", s->ready, s->stopped, s->spawn,
	       s->answer);
}

/* (a) keel-hv by hand, with keeld's arguments. */
static int run_direct(const struct bench_env *env, const struct bench_cfg *cfg,
		      int nr, struct sample *s)
{
	char uuid[37], dir[160], log[192], status[64];
	char a_kernel[PATH_MAX + 16], a_mem[32], a_ctl[192], a_exit[192];
	char a_uuid[48], a_name[48];
	char *argv[] = { (char *)cfg->hv, a_kernel, a_mem, "--vcpus=1",
			 "--console=stdio", a_ctl, a_exit, a_uuid, a_name,
			 NULL };
	struct tbuf out = { 0 };
	struct child c;
	uint64_t t0, deadline, ready;
	int64_t rt_offset = realtime_offset_ns();
	int log_fd, rc;

	memset(s, 0, sizeof(*s));
	s->ready = s->stopped = s->spawn = s->answer = -1;
	uuid_new(uuid);
	snprintf(dir, sizeof(dir), "%s/%s", env->direct_dir, uuid);
	snprintf(log, sizeof(log), "%s/keel-hv.log", dir);
	snprintf(a_kernel, sizeof(a_kernel), "--kernel=%s", cfg->kernel);
	snprintf(a_mem, sizeof(a_mem), "--memory=%dM", cfg->mem_mib);
	snprintf(a_ctl, sizeof(a_ctl), "--control=%s/control.sock", dir);
	snprintf(a_exit, sizeof(a_exit), "--status-file=%s/exit.json", dir);
	snprintf(a_uuid, sizeof(a_uuid), "--uuid=%s", uuid);
	snprintf(a_name, sizeof(a_name), "--name=bench-direct-%d", nr);
	if (mkdir(dir, 0700)) {
		fprintf(stderr, "create: cannot create %s: %s\n", dir,
			strerror(errno));
		return -1;
	}
	log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		fprintf(stderr, "create: cannot create %s: %s\n", log,
			strerror(errno));
		return -1;
	}
	rc = child_start(&c, argv, log_fd, &t0);
	close(log_fd);
	if (rc) {
		fprintf(stderr, "create: cannot start %s: %s\n", cfg->hv,
			strerror(-rc));
		return -1;
	}
	deadline = t0 + (uint64_t)cfg->timeout_s * 1000000000u;
	while (c.out_fd >= 0 || c.pidfd >= 0) {
		struct pollfd pfd[2] = {
			{ .fd = c.out_fd, .events = POLLIN },
			{ .fd = c.pidfd, .events = POLLIN },
		};
		uint64_t t = monotime_ns();

		if (t >= deadline ||
		    poll(pfd, 2, (int)((deadline - t) / 1000000) + 1) < 0)
			break;
		if (pfd[0].revents && tbuf_read(&out, c.out_fd)) {
			close(c.out_fd);
			c.out_fd = -1;
		}
		if (pfd[1].revents)
			child_exited(&c);
	}
	child_reap(&c);
	ready = tbuf_find(&out, cfg->ready);
	s->ready = ms_since(t0, ready);
	s->stopped = ms_since(t0, c.t_exit);
	s->ok = ready && child_ok(&c);
	if (!s->ok)
		fprintf(stderr, "create: keel-hv run %d %s%s; it printed:\n%s\n",
			nr, child_status_text(&c, status, sizeof(status)),
			ready ? "" : " without the ready line",
			out.data ? out.data : "");
	if (cfg->verbose) {
		print_sample(PATH_DIRECT, nr, s);
		print_log_file("keel-hv", log, t0, rt_offset);
	}
	tbuf_free(&out);
	return s->ok ? 0 : -1;
}

/* What a keeld run has seen so far. */
struct kwatch {
	const char *uuid;
	char dir[192];
	int dir_wd;
	int con_fd;		/* console.log, once it exists */
	struct tbuf con;
	uint64_t t_dir, t_spawn, t_started, t_stopped, t_answer;
	const char *stop_detail;
	bool failed;
};

/* Read console.log's new bytes; open it first if needed. */
static void kwatch_console(struct kwatch *w)
{
	if (w->con_fd < 0) {
		char path[224];

		snprintf(path, sizeof(path), "%s/console.log", w->dir);
		w->con_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (w->con_fd < 0)
			return;
		if (!w->t_spawn)
			w->t_spawn = monotime_ns();
	}
	/* A regular file: read until it says 0 (end of file). */
	while (tbuf_read(&w->con, w->con_fd) == 0)
		;
}

static void kwatch_inotify(struct bench_env *env, struct kwatch *w)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(env->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->wd == env->domains_wd && ev->len &&
			    !strcasecmp(ev->name, w->uuid) && w->dir_wd < 0) {
				w->t_dir = monotime_ns();
				w->dir_wd = inotify_add_watch(env->ino, w->dir,
							      IN_CREATE |
								      IN_MODIFY);
				/* What happened before the watch. */
				kwatch_console(w);
			} else if (ev->wd == w->dir_wd && ev->len &&
				   !strcmp(ev->name, "console.log")) {
				if ((ev->mask & IN_CREATE) && !w->t_spawn)
					w->t_spawn = monotime_ns();
				kwatch_console(w);
			}
		}
	}
}

static void kwatch_events(struct bench_env *env, struct kwatch *w)
{
	struct json_object *o;

	if (lconn_read(&env->events)) {
		fprintf(stderr, "create: keeld closed the events connection\n");
		w->failed = true;
		return;
	}
	while ((o = lconn_next(&env->events))) {
		const char *uuid = json_str(o, "/params/domain/uuid");
		const char *event = json_str(o, "/params/event");

		if (uuid && event && !strcasecmp(uuid, w->uuid)) {
			if (!strcmp(event, "started") && !w->t_started)
				w->t_started = monotime_ns();
			if (!strcmp(event, "stopped") && !w->t_stopped) {
				const char *d = json_str(o, "/params/detail");

				w->t_stopped = monotime_ns();
				w->stop_detail = strdup(d ? d : "?");
			}
		}
		json_object_put(o);
	}
}

/* The domain.create answer on the rpc connection. */
static void kwatch_answer(struct bench_env *env, struct kwatch *w,
			  unsigned long long id)
{
	struct json_object *o, *v;

	if (lconn_read(&env->rpc)) {
		fprintf(stderr, "create: keeld closed the rpc connection\n");
		w->failed = true;
		return;
	}
	while ((o = lconn_next(&env->rpc))) {
		if (json_object_object_get_ex(o, "id", &v) &&
		    (unsigned long long)json_object_get_int64(v) == id &&
		    !w->t_answer) {
			w->t_answer = monotime_ns();
			if (json_object_object_get_ex(o, "error", &v) ||
			    !json_object_object_get_ex(o, "result", &v)) {
				fprintf(stderr,
					"create: domain.create failed: %s\n",
					json_object_to_json_string(o));
				w->failed = true;
			}
		}
		json_object_put(o);
	}
}

/* domain.create's request line for @name, @uuid. */
static char *create_request(const struct bench_cfg *cfg, const char *name,
			    const char *uuid, unsigned long long id)
{
	struct json_object *req = json_object_new_object();
	struct json_object *params = json_object_new_object();
	struct json_object *config = json_object_new_object();
	char *line = NULL;

	if (!req || !params || !config) {
		json_object_put(req);
		json_object_put(params);
		json_object_put(config);
		return NULL;
	}
	json_object_object_add(config, "name", json_object_new_string(name));
	json_object_object_add(config, "uuid", json_object_new_string(uuid));
	json_object_object_add(config, "kernel",
			       json_object_new_string(cfg->kernel));
	json_object_object_add(config, "memory",
			       json_object_new_int(cfg->mem_mib));
	json_object_object_add(params, "config", config);
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int64((int64_t)id));
	json_object_object_add(req, "method",
			       json_object_new_string("domain.create"));
	json_object_object_add(req, "params", params);
	if (asprintf(&line, "%s\n",
		     json_object_to_json_string_ext(
			     req, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
		line = NULL;
	json_object_put(req);
	return line;
}

/* Read keeld's log output that is waiting, so keeld never blocks on it. */
static void keeld_drain(struct bench_env *env)
{
	while (proc_expect(&env->k.keeld_proc, "\n", env->k.keeld_proc.len,
			   1) > 0)
		;
}

/* Ask keeld to destroy @uuid after a run went wrong; best effort. */
static void keeld_cleanup(struct bench_env *env, const char *uuid)
{
	char line[160];
	unsigned long long id = ++env->next_id;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"domain.destroy\",\"params\":{\"uuid\":\"%s\"}}\n",
		 id, uuid);
	json_object_put(lconn_call(&env->rpc, line, id, 5000));
}

/* (b) through keeld: domain.create on the socket, or keel create. */
static int run_keeld(struct bench_env *env, const struct bench_cfg *cfg,
		     enum bench_path path, int nr, struct sample *s)
{
	struct kwatch w = { .dir_wd = -1, .con_fd = -1 };
	struct child c = { .pid = -1, .pidfd = -1, .out_fd = -1 };
	struct tbuf cli_out = { 0 };
	char uuid[37], name[48], cfg_path[128], status[64];
	char *argv[] = { (char *)cfg->keel, "-c", env->k.sock, "create",
			 cfg_path, NULL };
	char *req = NULL;
	unsigned long long id = 0;
	size_t log_from = env->k.keeld_proc.len;
	int64_t rt_offset = realtime_offset_ns();
	uint64_t t0, deadline, ready = 0;
	bool answered;
	int rc;

	memset(s, 0, sizeof(*s));
	s->ready = s->stopped = s->spawn = s->answer = -1;
	uuid_new(uuid);
	w.uuid = uuid;
	snprintf(w.dir, sizeof(w.dir), "%s/%s", env->domains, uuid);
	snprintf(name, sizeof(name), "bench-%s-%d",
		 path == PATH_RPC ? "rpc" : "cli", nr);
	if (path == PATH_RPC) {
		id = ++env->next_id;
		req = create_request(cfg, name, uuid, id);
		if (!req)
			return -1;
		t0 = monotime_ns();
		rc = lconn_send(&env->rpc, req, strlen(req));
		free(req);
		if (rc) {
			fprintf(stderr, "create: cannot send domain.create: %s\n",
				strerror(-rc));
			return -1;
		}
	} else {
		FILE *f;

		snprintf(cfg_path, sizeof(cfg_path), "%s/%s.cfg", env->k.dir,
			 name);
		f = fopen(cfg_path, "w");
		if (!f)
			return -1;
		fprintf(f, "name = \"%s\"\nuuid = \"%s\"\nkernel = \"%s\"\n"
			   "memory = %d\n",
			name, uuid, cfg->kernel, cfg->mem_mib);
		if (fclose(f))
			return -1;
		rc = child_start(&c, argv, -1, &t0);
		if (rc) {
			fprintf(stderr, "create: cannot start %s: %s\n",
				cfg->keel, strerror(-rc));
			return -1;
		}
	}
	deadline = t0 + (uint64_t)cfg->timeout_s * 1000000000u;
	for (;;) {
		struct pollfd pfd[4] = {
			{ .fd = env->ino, .events = POLLIN },
			{ .fd = env->events.fd, .events = POLLIN },
			{ .fd = path == PATH_RPC ? env->rpc.fd : c.out_fd,
			  .events = POLLIN },
			{ .fd = c.pidfd, .events = POLLIN },
		};
		uint64_t t = monotime_ns();

		answered = path == PATH_RPC ? w.t_answer != 0 : c.pidfd < 0;
		if (!ready)
			ready = tbuf_find(&w.con, cfg->ready);
		if (w.failed && answered && deadline > t + AFTER_FAILURE_MS *
								   1000000ull)
			deadline = t + AFTER_FAILURE_MS * 1000000ull;
		if ((ready || w.failed) && w.t_stopped && answered)
			break;
		if (t >= deadline)
			break;
		if (poll(pfd, 4, (int)((deadline - t) / 1000000) + 1) < 0)
			break;
		if (pfd[0].revents)
			kwatch_inotify(env, &w);
		if (pfd[1].revents)
			kwatch_events(env, &w);
		if (pfd[2].revents && path == PATH_RPC)
			kwatch_answer(env, &w, id);
		if (pfd[2].revents && path == PATH_CLI &&
		    tbuf_read(&cli_out, c.out_fd)) {
			close(c.out_fd);
			c.out_fd = -1;
		}
		if (pfd[3].revents) {
			child_exited(&c);
			w.t_answer = c.t_exit;
			if (!child_ok(&c))
				w.failed = true;
		}
	}
	/* Bytes that came after the last event, if any. */
	if (w.con_fd >= 0)
		kwatch_console(&w);
	ready = tbuf_find(&w.con, cfg->ready);
	if (path == PATH_CLI) {
		child_reap(&c);
		if (!child_ok(&c))
			fprintf(stderr, "create: keel create %s; it printed:\n%s\n",
				child_status_text(&c, status, sizeof(status)),
				cli_out.data ? cli_out.data : "");
	}
	s->ready = ms_since(t0, ready);
	s->stopped = ms_since(t0, w.t_stopped);
	s->spawn = ms_since(t0, w.t_spawn);
	s->answer = ms_since(t0, w.t_answer);
	s->ok = !w.failed && ready && w.t_stopped && w.t_answer &&
		w.stop_detail && !strcmp(w.stop_detail, "shutdown");
	if (!s->ok) {
		fprintf(stderr,
			"create: %s run %d failed: ready line %s, answer %s, stopped event %s (%s)\n",
			path_names[path], nr, ready ? "seen" : "NOT SEEN",
			w.t_answer ? "seen" : "NOT SEEN",
			w.t_stopped ? "seen" : "NOT SEEN",
			w.stop_detail ? w.stop_detail : "-");
		if (!w.t_stopped)
			keeld_cleanup(env, uuid);
	}
	if (w.dir_wd >= 0)
		inotify_rm_watch(env->ino, w.dir_wd);
	if (w.con_fd >= 0)
		close(w.con_fd);
	keeld_drain(env);
	if (cfg->verbose) {
		char log[224];

		print_sample(path, nr, s);
		printf("      %8.1f ms  (bench) domain dir created\n",
		       ms_since(t0, w.t_dir));
		printf("      %8.1f ms  (bench) \"started\" event\n",
		       ms_since(t0, w.t_started));
		print_log("keeld", env->k.keeld_proc.out + log_from, t0,
			  rt_offset);
		snprintf(log, sizeof(log), "%s/keel-hv.log", w.dir);
		print_log_file("keel-hv", log, t0, rt_offset);
	}
	free((char *)w.stop_detail);
	tbuf_free(&w.con);
	tbuf_free(&cli_out);
	return s->ok ? 0 : -1;
}

/* Stop keeld (SIGTERM, then SIGKILL) and remove the directory. */
static void env_stop(struct bench_env *env)
{
	lconn_close(&env->rpc);
	lconn_close(&env->events);
	if (env->ino >= 0)
		close(env->ino);
	env->ino = -1;
	keeld_env_stop(&env->k);
}

/*
 * Start keeld in a new temporary directory, connect, subscribe to its
 * events and watch its domains directory. Returns 0 or -errno;
 * env_stop() is due either way.
 */
static int env_start(struct bench_env *env, const struct bench_cfg *cfg)
{
	struct json_object *resp;
	int rc;

	memset(env, 0, sizeof(*env));
	env->ino = -1;
	lconn_init(&env->rpc);
	lconn_init(&env->events);
	/* info: keeld logs each domain's start and stop at that level. */
	rc = keeld_env_start(&env->k, "create", cfg->keeld, cfg->schema_dir,
			       cfg->hv,
			       "# tests/bench/create\nlog_level = info\n");
	if (rc)
		return rc;
	snprintf(env->direct_dir, sizeof(env->direct_dir), "%s/direct",
		 env->k.dir);
	snprintf(env->domains, sizeof(env->domains), "%s/domains",
		 env->k.run_dir);
	if (mkdir(env->direct_dir, 0700))
		return -errno;
	env->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (env->ino < 0)
		return -errno;
	env->domains_wd = inotify_add_watch(env->ino, env->domains,
					    IN_CREATE | IN_ONLYDIR);
	if (env->domains_wd < 0) {
		rc = -errno;
		fprintf(stderr, "create: cannot watch %s: %s\n", env->domains,
			strerror(errno));
		return rc;
	}
	rc = lconn_open(&env->rpc, env->k.sock);
	if (!rc)
		rc = lconn_open(&env->events, env->k.ro_sock);
	if (rc) {
		fprintf(stderr, "create: cannot connect to keeld: %s\n",
			strerror(-rc));
		return rc;
	}
	env->next_id = 1;
	resp = lconn_call(&env->events,
			  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"events.subscribe\"}\n",
			  1, 5000);
	rc = resp && json_object_object_get_ex(resp, "result", NULL) ? 0 :
								      -EPROTO;
	if (rc)
		fprintf(stderr, "create: events.subscribe failed: %s\n",
			resp ? json_object_to_json_string(resp) :
			       "no answer");
	json_object_put(resp);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The median and the 90th percentile (nearest rank) of one field over
 * the successful runs. Returns how many there were.
 */
static int stats(const struct sample *s, int n, size_t field, double *p50,
		 double *p90)
{
	double *v = calloc((size_t)n, sizeof(*v));
	int k = 0, rank;

	*p50 = *p90 = -1;
	if (!v)
		return 0;
	for (int i = 0; i < n; i++) {
		double x = *(const double *)((const char *)&s[i] + field);

		if (s[i].ok && x >= 0)
			v[k++] = x;
	}
	if (k) {
		qsort(v, (size_t)k, sizeof(v[0]), cmp_double);
		*p50 = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
		rank = (9 * k + 9) / 10;
		*p90 = v[rank - 1];
	}
	free(v);
	return k;
}

static void fmt_ms(char *buf, size_t size, double v)
{
	if (v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f", v);
}

static void fmt_delta(char *buf, size_t size, double v, double base)
{
	if (v < 0 || base < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%+.1f", v - base);
}

static void print_table(const struct bench_cfg *cfg,
			struct sample *const samples[NR_PATHS])
{
	double base_r = -1, base_s = -1;

	printf("%-15s %7s %9s %7s %9s %7s %8s %8s %9s %10s\n", "path",
	       "ok/runs", "ready p50", "p90", "stop p50", "p90", "+ready",
	       "+stop", "spawn p50", "answer p50");
	for (int p = 0; p < NR_PATHS; p++) {
		const struct sample *s = samples[p];
		double r50, r90, s50, s90, sp50, sp90, a50, a90;
		char c[8][24], okr[16];
		int ok = 0;

		for (int i = 0; i < cfg->runs; i++)
			ok += s[i].ok;
		stats(s, cfg->runs, offsetof(struct sample, ready), &r50, &r90);
		stats(s, cfg->runs, offsetof(struct sample, stopped), &s50,
		      &s90);
		stats(s, cfg->runs, offsetof(struct sample, spawn), &sp50,
		      &sp90);
		stats(s, cfg->runs, offsetof(struct sample, answer), &a50,
		      &a90);
		if (p == PATH_DIRECT) {
			base_r = r50;
			base_s = s50;
		}
		snprintf(okr, sizeof(okr), "%d/%d", ok, cfg->runs);
		fmt_ms(c[0], sizeof(c[0]), r50);
		fmt_ms(c[1], sizeof(c[1]), r90);
		fmt_ms(c[2], sizeof(c[2]), s50);
		fmt_ms(c[3], sizeof(c[3]), s90);
		if (p == PATH_DIRECT) {
			strcpy(c[4], "-");
			strcpy(c[5], "-");
		} else {
			fmt_delta(c[4], sizeof(c[4]), r50, base_r);
			fmt_delta(c[5], sizeof(c[5]), s50, base_s);
		}
		fmt_ms(c[6], sizeof(c[6]), sp50);
		fmt_ms(c[7], sizeof(c[7]), a50);
		printf("%-15s %7s %9s %7s %9s %7s %8s %8s %9s %10s\n",
		       path_names[p], okr, c[0], c[1], c[2], c[3], c[4], c[5],
		       c[6], c[7]);
	}
	printf("\nms from just before the fork (direct, cli) or the send "
	       "(rpc).\n"
	       "ready: first byte of \"%s\" on keel-hv's stdout (direct) or "
	       "in\n  RUN_DIR/domains/UUID/console.log (keeld; read on "
	       "inotify IN_MODIFY).\n"
	       "stop: keel-hv's exit on a pidfd (direct); keeld's \"stopped\" "
	       "event (keeld).\n"
	       "+ready, +stop: median minus the direct median: keeld's "
	       "overhead.\n"
	       "spawn: console.log created (keeld forks keel-hv next); "
	       "answer: domain.create\n  answered (rpc) or keel exited "
	       "(cli).\n",
	       cfg->ready);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: create [-n RUNS] [-k KERNEL] [-m MIB] [-r READY_TEXT] "
		"[-t TIMEOUT_S] [-v]\n"
		"              [--keeld PATH] [--keel PATH] [--hv PATH] "
		"[--schema-dir DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'K' },
		{ "keel", required_argument, NULL, 'C' },
		{ "hv", required_argument, NULL, 'H' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.runs = 20,
		.timeout_s = 60,
		.mem_mib = 64,
		.ready = DEFAULT_READY,
	};
	struct sample *samples[NR_PATHS] = { NULL };
	struct bench_env env;
	int c, failed = 0, status = 1;

	while ((c = getopt_long(argc, argv, "n:k:m:r:t:vh", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'n':
			cfg.runs = atoi(optarg);
			break;
		case 'k':
			cfg.kernel = optarg;
			break;
		case 'm':
			cfg.mem_mib = atoi(optarg);
			break;
		case 'r':
			cfg.ready = optarg;
			break;
		case 't':
			cfg.timeout_s = atoi(optarg);
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'K':
			cfg.keeld = optarg;
			break;
		case 'C':
			cfg.keel = optarg;
			break;
		case 'H':
			cfg.hv = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg.runs < 1 || cfg.runs > MAX_RUNS ||
	    cfg.mem_mib < 16 || cfg.timeout_s < 1 || !*cfg.ready)
		usage();
	cfg.kernel = absolute(cfg.kernel ? cfg.kernel :
				      harness_path("tests/guests/hello.bin"));
	cfg.hv = absolute(cfg.hv ? cfg.hv : harness_path("hypervisor/keel-hv"));
	cfg.keeld = absolute(cfg.keeld ? cfg.keeld :
				     harness_path("daemon/keeld"));
	cfg.keel = absolute(cfg.keel ? cfg.keel : harness_path("cli/keel"));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();
	if (!harness_have_file(cfg.kernel)) {
		fprintf(stderr, "create: cannot read the guest %s\n",
			cfg.kernel);
		return 1;
	}
	for (int p = 0; p < NR_PATHS; p++) {
		samples[p] = calloc((size_t)cfg.runs, sizeof(*samples[p]));
		if (!samples[p])
			goto out_free;
	}
	if (env_start(&env, &cfg))
		goto out_stop;

	printf("create benchmark: %d run(s) per path after 1 warm-up round, "
	       "interleaved\nguest %s, %d MiB; keeld pid %d\n",
	       cfg.runs, cfg.kernel, cfg.mem_mib, (int)env.k.keeld_proc.pid);
	fflush(stdout);
	for (int i = -1; i < cfg.runs; i++) {
		for (int p = 0; p < NR_PATHS; p++) {
			struct sample warm, *s = i < 0 ? &warm : &samples[p][i];
			int rc;

			if (p == PATH_DIRECT)
				rc = run_direct(&env, &cfg, i + 1, s);
			else
				rc = run_keeld(&env, &cfg, (enum bench_path)p,
					       i + 1, s);
			if (rc)
				failed++;
			if (proc_wait(&env.k.keeld_proc, 0) != -ETIMEDOUT) {
				fprintf(stderr, "create: keeld is gone:\n%s\n",
					env.k.keeld_proc.out);
				goto out_stop;
			}
		}
		fflush(stdout);
	}
	printf("\n");
	print_table(&cfg, samples);
	if (failed)
		printf("\n%d run(s) failed (see stderr); the numbers above "
		       "count only the others.\n", failed);
	status = failed ? 1 : 0;
out_stop:
	env_stop(&env);
out_free:
	for (int p = 0; p < NR_PATHS; p++)
		free(samples[p]);
	return status;
}
