// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv processes, from keeld's side (hv.h).
 *
 * A keel-hv is started as keeld's child in a session of its own, so
 * that a signal to keeld's process group or a closed terminal never
 * reaches it and, when keeld dies, it is simply reparented. keeld
 * watches every keel-hv through a pidfd: for its own children it also
 * reaps them and has the exit status; for adopted ones (after a keeld
 * restart) the status file DIR/exit.json that keel-hv writes says why
 * the VM ended. pidfds also make hv_kill() safe against pid reuse.
 *
 * The control socket client is asynchronous: requests carry an integer
 * id, answers are matched to them, and a "stopped" notification (the VM
 * ended but keel-hv lingers) is passed to hv_ops.stopped, any other to
 * hv_ops.notified.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "hv.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "jsonrpc_frame_ev.h"
#include "log.h"
#include "monotime.h"

#define HV_CONNECT_RETRY_MS 5

struct hv_call {
	int64_t id;
	hv_reply_fn cb;
	void *opaque;
	struct event *timer;
	int timeout_ms;			/* from when it is on the socket */
	struct hv *hv;
	struct hv_call *next;
};

struct hv {
	struct event_base *base;
	char *dir;
	pid_t pid;
	int pidfd;
	bool child;			/* ours to reap */
	struct event *pid_ev;
	const struct hv_ops *ops;
	void *opaque;

	int sock;			/* -1 until connected */
	struct bufferevent *bev;
	struct event *connect_ev;	/* retry timer */
	long long connect_deadline_ms;
	struct evbuffer *queued;	/* requests written before connecting */
	int64_t next_id;
	struct hv_call *calls;

	bool stopped_reported;		/* ops->stopped was called */
	int busy;			/* inside a callback */
	bool doomed;			/* hv_free() while busy */
};

static const char *const end_names[] = {
	[HV_END_POWEROFF] = "poweroff", [HV_END_REBOOT] = "reboot",
	[HV_END_CRASH] = "crash",	[HV_END_KILLED] = "killed",
	[HV_END_ERROR] = "error",	[HV_END_LOST] = "lost",
	[HV_END_SAVED] = HV_REASON_SAVED,
	[HV_END_MIGRATED] = HV_REASON_MIGRATED,
};

const char *hv_end_name(enum hv_end end)
{
	return (size_t)end < sizeof(end_names) / sizeof(end_names[0]) ?
		       end_names[end] :
		       "lost";
}

static int hv_end_parse(const char *s, enum hv_end *end)
{
	for (size_t i = 0; i < sizeof(end_names) / sizeof(end_names[0]); i++) {
		if (!strcmp(s, end_names[i])) {
			*end = (enum hv_end)i;
			return 0;
		}
	}
	return -EINVAL;
}

pid_t hv_pid(const struct hv *hv)
{
	return hv->pid;
}

int hv_proc_stat_parse(char *buf, struct hv_proc_stat *st)
{
	unsigned long long field[25] = { 0 };
	char *p, *end;
	int i;

	/* The command name may hold spaces and ')': skip to the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EINVAL;
	/* Fields after the name start at 3 (state, not a number). */
	p = strchr(p + 2, ' ');
	for (i = 4; i <= 24 && p; i++) {
		field[i] = strtoull(p + 1, &end, 10);
		p = strchr(end, ' ');
	}
	if (i <= 24)
		return -EINVAL;
	st->starttime = field[22];
	st->cpu_ticks = field[14] + field[15];	/* utime + stime */
	st->rss_pages = field[24];
	return 0;
}

int hv_proc_stat(pid_t pid, struct hv_proc_stat *st)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	return hv_proc_stat_parse(buf, st);
}

unsigned long long hv_starttime(pid_t pid)
{
	struct hv_proc_stat st;

	return hv_proc_stat(pid, &st) ? 0 : st.starttime;
}

/* Finish @call with an error or a result; frees it. */
static void call_finish(struct hv *hv, struct hv_call *call,
			struct json_object *result, int code,
			const char *message)
{
	struct hv_call **pp;

	for (pp = &hv->calls; *pp; pp = &(*pp)->next) {
		if (*pp == call) {
			*pp = call->next;
			break;
		}
	}
	if (call->timer)
		event_free(call->timer);
	hv->busy++;
	call->cb(hv, result, code, message, call->opaque);
	hv->busy--;
	free(call);
}

static void fail_all_calls(struct hv *hv, int code, const char *message)
{
	while (hv->calls && !hv->doomed)
		call_finish(hv, hv->calls, NULL, code, message);
}

/*
 * What a call still waiting when keeld lets go of its keel-hv is told:
 * its client must get an answer, and nothing will come any more.
 */
#define HV_GONE_MESSAGE \
	"keeld stopped watching the domain's hypervisor process before it answered."

static void hv_destroy(struct hv *hv)
{
	/*
	 * Every pending call is finished, its callback called, before
	 * anything it could use goes: a callback may call hv_kill() or
	 * hv_free() (doomed already, so only noted) and free what it
	 * owns. hv_call() from inside one fails at once.
	 */
	hv->doomed = true;
	hv->busy++;
	while (hv->calls)
		call_finish(hv, hv->calls, NULL, KEEL_E_OPERATION_FAILED,
			    HV_GONE_MESSAGE);
	hv->busy--;
	if (hv->pid_ev)
		event_free(hv->pid_ev);
	if (hv->connect_ev)
		event_free(hv->connect_ev);
	if (hv->bev)
		bufferevent_free(hv->bev);
	else if (hv->sock >= 0)
		close(hv->sock);
	if (hv->queued)
		evbuffer_free(hv->queued);
	if (hv->pidfd >= 0)
		close(hv->pidfd);
	/* A child we no longer watch must not stay a zombie. */
	if (hv->child)
		waitpid(hv->pid, NULL, WNOHANG);
	free(hv->dir);
	free(hv);
}

void hv_free(struct hv *hv)
{
	if (!hv)
		return;
	if (hv->busy) {
		hv->doomed = true;
		return;
	}
	hv_destroy(hv);
}

/* After a callback: finish a hv_free() that came from inside it. */
static bool hv_gone(struct hv *hv)
{
	if (hv->busy || !hv->doomed)
		return false;
	hv_destroy(hv);
	return true;
}

static void report_stopped(struct hv *hv, enum hv_end end, const char *detail,
			   bool exited)
{
	hv->stopped_reported = true;
	hv->busy++;
	hv->ops->stopped(hv, end, detail, exited, hv->opaque);
	hv->busy--;
}

/* Answers and notifications from keel-hv. */
static void hv_line(struct hv *hv, const char *line, size_t len)
{
	struct json_object *msg = NULL, *v;
	struct jsonrpc_resp resp;
	struct hv_call *call;
	int64_t id;

	if (jsonrpc_parse_line(line, len, &msg) ||
	    jsonrpc_check_response(msg, &resp)) {
		log_warn("keel-hv %d sent a message that is not JSON-RPC; ignored.",
			 (int)hv->pid);
		json_object_put(msg);
		return;
	}
	if (resp.is_notification) {
		enum hv_end end = HV_END_LOST;
		const char *detail = NULL;

		if (!strcmp(resp.method, "stopped") && !hv->stopped_reported) {
			if (resp.params &&
			    json_object_object_get_ex(resp.params, "reason", &v))
				hv_end_parse(json_object_get_string(v), &end);
			if (resp.params &&
			    json_object_object_get_ex(resp.params, "detail", &v))
				detail = json_object_get_string(v);
			report_stopped(hv, end, detail, false);
		} else if (strcmp(resp.method, "stopped") && hv->ops->notified) {
			hv->busy++;
			hv->ops->notified(hv, resp.method, resp.params,
					  hv->opaque);
			hv->busy--;
		}
		json_object_put(msg);
		return;
	}
	if (!resp.id || !json_object_is_type(resp.id, json_type_int)) {
		json_object_put(msg);
		return;
	}
	id = json_object_get_int64(resp.id);
	for (call = hv->calls; call && call->id != id; call = call->next)
		;
	if (call) {
		if (resp.is_error)
			call_finish(hv, call, NULL, resp.code, resp.message);
		else
			call_finish(hv, call, resp.result, 0, NULL);
	}
	json_object_put(msg);
}

/*
 * keel-hv's control socket is readable: handle every whole line. A line
 * over JSONRPC_MAX_LINE ends the connection as a socket error would
 * (jsonrpc_frame.h): what follows it cannot be trusted to be framed.
 */
static void hv_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct hv *hv = arg;
	ssize_t n = 0;
	char *line;

	hv->busy++;
	while (!hv->doomed && (n = jsonrpc_frame_next_ev(NULL, in)) > 0) {
		line = (char *)evbuffer_pullup(in, n);
		if (line)
			hv_line(hv, line, (size_t)n);
		evbuffer_drain(in, (size_t)n);
	}
	hv->busy--;
	if (hv_gone(hv))
		return;
	if (n < 0) {
		log_warn("keel-hv %d sent a line longer than %d bytes; closing its control connection.",
			 (int)hv->pid, JSONRPC_MAX_LINE);
		bufferevent_trigger_event(bev, BEV_EVENT_ERROR, 0);
	}
}

static void hv_sock_event(struct bufferevent *bev, short what, void *arg)
{
	struct hv *hv = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/*
	 * keel-hv closed the socket: it is exiting. The pidfd says when it
	 * is gone; calls still waiting cannot be answered any more.
	 */
	bufferevent_free(hv->bev);
	hv->bev = NULL;
	hv->sock = -1;
	hv->busy++;
	fail_all_calls(hv, KEEL_E_OPERATION_FAILED,
		       "The domain's hypervisor process closed its control socket.");
	hv->busy--;
	hv_gone(hv);
}

static void hv_try_connect(evutil_socket_t fd, short what, void *arg);

/*
 * Start @call's answer time (HV_CALL_TIMEOUT_MS unless hv_call_timeout()
 * said otherwise) once it is on the socket: a call made before keel-hv's
 * control socket exists (start_domain's first status) waits for the
 * socket under HV_CONNECT_TIMEOUT_MS instead.
 */
static void hv_call_arm(struct hv_call *call)
{
	struct timeval tv = { call->timeout_ms / 1000,
			      (call->timeout_ms % 1000) * 1000 };

	evtimer_add(call->timer, &tv);
}

static int hv_connect_now(struct hv *hv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sock;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
			     "%s/" HV_RUN_CONTROL, hv->dir) >=
	    sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	/* A UNIX connect does not block on a listening socket. */
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun))) {
		int rc = -errno;

		close(sock);
		return rc;
	}
	evutil_make_socket_nonblocking(sock);
	hv->bev = bufferevent_socket_new(hv->base, sock, BEV_OPT_CLOSE_ON_FREE);
	if (!hv->bev) {
		close(sock);
		return -ENOMEM;
	}
	hv->sock = sock;
	bufferevent_setcb(hv->bev, hv_read, NULL, hv_sock_event, hv);
	bufferevent_enable(hv->bev, EV_READ | EV_WRITE);
	evbuffer_add_buffer(bufferevent_get_output(hv->bev), hv->queued);
	/* Calls made before now: their answer time starts here. */
	for (struct hv_call *call = hv->calls; call; call = call->next)
		hv_call_arm(call);
	return 0;
}

static void hv_try_connect(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { 0, HV_CONNECT_RETRY_MS * 1000 };
	struct hv *hv = arg;
	int rc = hv_connect_now(hv);

	if (!rc)
		return;
	if ((rc == -ENOENT || rc == -ECONNREFUSED) &&
	    monotime_ms() < hv->connect_deadline_ms) {
		evtimer_add(hv->connect_ev, &tv);
		return;
	}
	log_warn("Cannot connect to %s/" HV_RUN_CONTROL ": %s.", hv->dir,
		 strerror(-rc));
	hv->busy++;
	fail_all_calls(hv, KEEL_E_OPERATION_FAILED,
		       "keeld cannot reach the domain's hypervisor process.");
	hv->busy--;
	hv_gone(hv);
}

/* The process is gone: reap it, find out why, tell the owner. */
static void hv_pid_ready(evutil_socket_t fd, short what, void *arg)
{
	struct hv *hv = arg;
	enum hv_end end = HV_END_LOST;
	char *detail = NULL;
	int status;

	event_del(hv->pid_ev);
	if (hv_read_exit(hv->dir, &end, &detail) && hv->child &&
	    waitpid(hv->pid, &status, WNOHANG) == hv->pid) {
		hv->child = false;
		if (WIFEXITED(status)) {
			static const enum hv_end by_status[] = {
				[HV_EXIT_POWEROFF] = HV_END_POWEROFF,
				[HV_EXIT_ERROR] = HV_END_ERROR,
				[HV_EXIT_REBOOT] = HV_END_REBOOT,
				[HV_EXIT_CRASH] = HV_END_CRASH,
				[HV_EXIT_KILLED] = HV_END_KILLED,
				[HV_EXIT_SAVED] = HV_END_SAVED,
				[HV_EXIT_MIGRATED] = HV_END_MIGRATED,
			};
			int code = WEXITSTATUS(status);

			end = code <= HV_EXIT_MIGRATED ? by_status[code] :
						      HV_END_ERROR;
		} else {
			int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			const char *abbrev = sig ? sigabbrev_np(sig) : NULL;

			end = HV_END_LOST;
			/* Without a status file: at least what ended it. */
			if (sig &&
			    asprintf(&detail, "keel-hv was killed by signal %d (SIG%s).",
				     sig, abbrev ? abbrev : "?") < 0)
				detail = NULL;
		}
	}
	if (hv->child && waitpid(hv->pid, &status, WNOHANG) == hv->pid)
		hv->child = false;
	hv->busy++;
	fail_all_calls(hv, KEEL_E_OPERATION_FAILED,
		       "The domain's hypervisor process has exited.");
	if (!hv->doomed) {
		if (hv->stopped_reported) {
			hv->ops->exited(hv, hv->opaque);
		} else {
			hv->stopped_reported = true;
			hv->ops->stopped(hv, end, detail, true, hv->opaque);
		}
	}
	hv->busy--;
	free(detail);
	hv_gone(hv);
}

static struct hv *hv_alloc(struct event_base *base, const char *dir,
			   const struct hv_ops *ops, void *opaque)
{
	struct hv *hv = calloc(1, sizeof(*hv));

	if (!hv)
		return NULL;
	hv->base = base;
	hv->pidfd = -1;
	hv->sock = -1;
	hv->ops = ops;
	hv->opaque = opaque;
	hv->next_id = 1;
	hv->dir = strdup(dir);
	hv->queued = evbuffer_new();
	hv->connect_ev = evtimer_new(base, hv_try_connect, hv);
	if (!hv->dir || !hv->queued || !hv->connect_ev) {
		hv_destroy(hv);
		return NULL;
	}
	return hv;
}

/* Watch the pidfd and start connecting, for @connect_ms at most. */
static int hv_watch(struct hv *hv, int connect_ms)
{
	struct timeval now = { 0, 0 };

	hv->pid_ev = event_new(hv->base, hv->pidfd, EV_READ, hv_pid_ready, hv);
	if (!hv->pid_ev || event_add(hv->pid_ev, NULL))
		return -ENOMEM;
	hv->connect_deadline_ms = monotime_ms() + connect_ms;
	evtimer_add(hv->connect_ev, &now);
	return 0;
}

/*
 * The child, between fork() and exec(): only async-signal-safe calls
 * (keeld is single-threaded, so strerror() is safe enough). Waits for
 * the parent's go on @gate, puts the passed descriptors in place as 3,
 * 4, ... and runs keel-hv.
 */
static void __attribute__((noreturn))
hv_child(const struct hv_spawn_args *a, int gate, int null_fd, int con_fd,
	 int log_fd)
{
	int first_free = 3 + (int)a->nr_fds, tmp[64];
	const char *why;
	sigset_t none;
	char go;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/* EOF instead of a go: keeld failed, or died, before committing. */
	if (read(gate, &go, 1) != 1)
		_exit(127);
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(con_fd, STDOUT_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		_exit(127);
	/* Out of the way first, so that no dup2() hits a source. */
	for (size_t i = 0; i < a->nr_fds; i++) {
		tmp[i] = fcntl(a->fds[i], F_DUPFD_CLOEXEC, first_free);
		if (tmp[i] < 0)
			_exit(127);
	}
	for (size_t i = 0; i < a->nr_fds; i++)
		if (dup2(tmp[i], 3 + (int)i) < 0)
			_exit(127);
	close_range((unsigned)first_free, ~0U, 0);
	execv(a->argv[0], a->argv);
	why = strerror(errno);
	dprintf(STDERR_FILENO, "Cannot run the hypervisor %s: %s.\n",
		a->argv[0], why);
	_exit(127);
}

int hv_spawn(struct event_base *base, const struct hv_spawn_args *a,
	     const struct hv_ops *ops, void *opaque, struct hv **out)
{
	int null_fd, con_fd = -1, log_fd, gate[2] = { -1, -1 }, rc = 0;
	struct hv *hv;
	pid_t pid;

	if (a->nr_fds > 64)
		return -E2BIG;
	hv = hv_alloc(base, a->dir, ops, opaque);
	if (!hv)
		return -ENOMEM;
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	log_fd = open(a->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		      0600);
	/* The console has its own log (--console-log): stdout is spare. */
	if (log_fd >= 0)
		con_fd = fcntl(log_fd, F_DUPFD_CLOEXEC, 0);
	if (null_fd < 0 || con_fd < 0 || log_fd < 0 || pipe2(gate, O_CLOEXEC)) {
		rc = -errno;
		goto out_close;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out_close;
	}
	if (pid == 0) {
		close(gate[1]);
		hv_child(a, gate[0], null_fd, con_fd, log_fd);
	}
	hv->pid = pid;
	hv->child = true;
	/* Our child cannot be reaped by anyone else: no race here. */
	hv->pidfd = pidfd_open(pid, 0);
	if (hv->pidfd < 0)
		rc = -errno;
	if (!rc && a->commit)
		rc = a->commit(pid, opaque);
	if (!rc)
		rc = hv_watch(hv, a->connect_timeout_ms > 0 ?
					  a->connect_timeout_ms :
					  HV_CONNECT_TIMEOUT_MS);
	/* The go, or (closing without it) the end of a child that ran nothing. */
	if (!rc && write(gate[1], "", 1) != 1)
		rc = -errno;
	if (rc) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		hv->child = false;
	}
out_close:
	if (gate[0] >= 0)
		close(gate[0]);
	if (gate[1] >= 0)
		close(gate[1]);
	if (null_fd >= 0)
		close(null_fd);
	if (con_fd >= 0)
		close(con_fd);
	if (log_fd >= 0)
		close(log_fd);
	if (rc) {
		hv_destroy(hv);
		return rc;
	}
	*out = hv;
	return 0;
}

int hv_adopt(struct event_base *base, const char *dir, pid_t pid,
	     unsigned long long starttime, const struct hv_ops *ops,
	     void *opaque, struct hv **out)
{
	struct hv *hv;
	int rc;

	if (pid <= 0)
		return -ESRCH;
	hv = hv_alloc(base, dir, ops, opaque);
	if (!hv)
		return -ENOMEM;
	hv->pid = pid;
	hv->pidfd = pidfd_open(pid, 0);
	/* Checked after the pidfd is held, so the pid cannot be reused. */
	if (hv->pidfd < 0 || hv_starttime(pid) != starttime) {
		hv_destroy(hv);
		return -ESRCH;
	}
	rc = hv_watch(hv, HV_CONNECT_TIMEOUT_MS);
	if (rc) {
		hv_destroy(hv);
		return rc;
	}
	*out = hv;
	return 0;
}

static void hv_call_expired(evutil_socket_t fd, short what, void *arg)
{
	struct hv_call *call = arg;
	struct hv *hv = call->hv;

	call_finish(hv, call, NULL, KEEL_E_TIMEOUT,
		    "The domain's hypervisor process did not answer in time.");
	hv_gone(hv);
}

void hv_call(struct hv *hv, const char *method, struct json_object *params,
	     hv_reply_fn cb, void *opaque)
{
	hv_call_timeout(hv, method, params, HV_CALL_TIMEOUT_MS, cb, opaque);
}

void hv_call_timeout(struct hv *hv, const char *method,
		     struct json_object *params, int timeout_ms,
		     hv_reply_fn cb, void *opaque)
{
	struct hv_call *call = calloc(1, sizeof(*call));
	struct json_object *req;
	struct evbuffer *out;
	size_t len;
	char *line;

	if (hv->doomed) {
		/* hv_free() came first: nobody will read an answer. */
		free(call);
		json_object_put(params);
		cb(hv, NULL, KEEL_E_OPERATION_FAILED, HV_GONE_MESSAGE, opaque);
		return;
	}
	if (!call) {
		json_object_put(params);
		cb(hv, NULL, KEEL_E_RESOURCE, "keeld ran out of memory.",
		   opaque);
		return;
	}
	call->id = hv->next_id++;
	call->cb = cb;
	call->opaque = opaque;
	call->hv = hv;
	call->timeout_ms = timeout_ms > 0 ? timeout_ms : HV_CALL_TIMEOUT_MS;
	call->timer = evtimer_new(hv->base, hv_call_expired, call);
	req = jsonrpc_request(method, params, json_object_new_int64(call->id));
	line = req ? jsonrpc_to_line(req, &len) : NULL;
	json_object_put(req);
	if (!line || !call->timer) {
		free(line);
		if (call->timer)
			event_free(call->timer);
		free(call);
		cb(hv, NULL, KEEL_E_RESOURCE, "keeld ran out of memory.",
		   opaque);
		return;
	}
	out = hv->bev ? bufferevent_get_output(hv->bev) : hv->queued;
	evbuffer_add(out, line, len);
	free(line);
	if (hv->bev)
		hv_call_arm(call);
	call->next = hv->calls;
	hv->calls = call;
}

void hv_kill(struct hv *hv)
{
	if (hv->pidfd >= 0 && pidfd_send_signal(hv->pidfd, SIGKILL, NULL, 0) &&
	    errno != ESRCH)
		log_warn("Cannot kill keel-hv %d: %s.", (int)hv->pid,
			 strerror(errno));
}

int hv_read_exit(const char *dir, enum hv_end *end, char **detail)
{
	struct json_object *o, *v;
	char path[4096];
	int rc = -ENOENT;

	*detail = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/" HV_RUN_STATUS, dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	o = json_object_from_file(path);
	if (!o)
		return -ENOENT;
	if (json_object_object_get_ex(o, "reason", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    !hv_end_parse(json_object_get_string(v), end)) {
		rc = 0;
		if (json_object_object_get_ex(o, "detail", &v) &&
		    json_object_is_type(v, json_type_string))
			*detail = strdup(json_object_get_string(v));
	}
	json_object_put(o);
	return rc;
}

char *hv_last_log_line(const char *path, off_t from)
{
	char buf[4096], *start, *end, *p;
	ssize_t n;
	off_t size;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size = lseek(fd, 0, SEEK_END);
	if (size - from > (off_t)sizeof(buf) - 1)
		from = size - (off_t)sizeof(buf) + 1;
	n = size > from ? pread(fd, buf, (size_t)(size - from), from) : 0;
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	/* "1796399465.625 keel-hv: error: " is for the log, not for users. */
	p = strstr(start, " keel-hv: ");
	if (p && strspn(start, "0123456789.") == (size_t)(p - start)) {
		start = p + strlen(" keel-hv: ");
		if (!strncmp(start, "error: ", 7))
			start += 7;
		else if (!strncmp(start, "warning: ", 9))
			start += 9;
	}
	for (p = start; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return *start ? strdup(start) : NULL;
}
