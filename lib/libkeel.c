// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel: the C client of keeld's JSON-RPC API (keel.h, libkeel(3)).
 *
 * One connection is one blocking UNIX stream socket carrying one JSON
 * value per line (lib/jsonrpc.h does the messages; this file moves the
 * bytes with recv/send and poll). One call is in flight at a time, so a
 * reply must carry the id of the request just sent; server
 * notifications that arrive meanwhile are queued as events and handed
 * out by keel_event_dispatch(). Nothing here is global but read-only
 * tables, so separate connections may be used from separate threads.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "keel.h"
#include "libkeel_internal.h"

#define KEEL_DEFAULT_SOCKET "/run/keel/keeld.sock"

/* The input buffer starts small and grows up to one whole line. */
#define CONN_BUF_MIN 4096

/* Most reads one keel_event_dispatch() makes before it delivers. */
#define EVENT_READS_MAX 64

/* An event received but not yet delivered: the notification's params. */
struct keel_queued {
	struct json_object *params;
	struct keel_queued *next;
};

struct keel_conn {
	int fd;
	/*
	 * Set once the stream cannot be trusted (EOF, a socket error, a
	 * line we could not frame or match to a request): every later call
	 * fails fast with KEEL_E_CONNECTION. The fd stays open until
	 * keel_close() so that a caller polling it never polls a number
	 * the process has reused; it is shut down, so it polls readable.
	 */
	bool broken;
	int64_t last_id;

	/* Received bytes not yet consumed: buf[start, start + len). */
	char *buf;
	size_t start, len, cap;

	struct keel_queued *queue_head, *queue_tail;
	size_t nr_queued;

	keel_event_fn event_fn;
	void *event_opaque;

	/* keel_last_error(); message and field point into the copies. */
	struct keel_error err;
	char *err_message;
	char *err_field;
};

static const struct keel_error no_conn_error = {
	.code = KEEL_E_LOCAL,
	.name = "local",
	.message = "There is no connection to keeld.",
	.field = NULL,
};

const char *keel_version(void)
{
	return PACKAGE_VERSION;
}

static const char *const state_names[] = {
	[KEEL_STATE_NOSTATE] = "nostate",
	[KEEL_STATE_RUNNING] = "running",
	[KEEL_STATE_BLOCKED] = "blocked",
	[KEEL_STATE_PAUSED] = "paused",
	[KEEL_STATE_SHUTDOWN] = "shutdown",
	[KEEL_STATE_SHUTOFF] = "shutoff",
	[KEEL_STATE_CRASHED] = "crashed",
	[KEEL_STATE_PMSUSPENDED] = "pmsuspended",
};

#define NR_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *keel_state_name(enum keel_domain_state state)
{
	if ((unsigned)state >= NR_STATES)
		return NULL;
	return state_names[state];
}

/* The state called @name, or -1 for a name keel does not define. */
static int state_from_name(const char *name)
{
	for (size_t i = 0; i < NR_STATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Errors */

static const char *local_error_name(int code)
{
	switch (code) {
	case 0:
		return "ok";
	case KEEL_E_CONNECTION:
		return "connection";
	case KEEL_E_PROTOCOL:
		return "protocol";
	case KEEL_E_LOCAL:
		return "local";
	default:
		return jsonrpc_error_name(code);
	}
}

static void error_clear(struct keel_conn *c)
{
	free(c->err_message);
	free(c->err_field);
	c->err_message = NULL;
	c->err_field = NULL;
	c->err.code = 0;
	c->err.name = local_error_name(0);
	c->err.message = "No error.";
	c->err.field = NULL;
}

/*
 * Record an error with @message (copied) and @field (copied, may be
 * NULL). When the copies cannot be made, the code survives and the
 * message says so: the caller still learns that the call failed.
 */
static void error_set(struct keel_conn *c, int code, const char *message,
		      const char *field)
{
	error_clear(c);
	c->err.code = code;
	c->err.name = local_error_name(code);
	if (!message)
		message = jsonrpc_error_message(code);
	c->err_message = strdup(message);
	c->err.message = c->err_message ? c->err_message : "Out of memory.";
	if (field) {
		c->err_field = strdup(field);
		c->err.field = c->err_field;
	}
}

static void error_fmt(struct keel_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_fmt(struct keel_conn *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_set(c, code, msg, NULL);
}

const struct keel_error *keel_last_error(const struct keel_conn *c)
{
	if (!c)
		return &no_conn_error;
	return &c->err;
}

/*
 * Stop using the stream: a later call would read the rest of a reply
 * it did not ask for. shutdown() rather than close() keeps the fd
 * number ours (see struct keel_conn) and makes it poll readable.
 */
static void conn_break(struct keel_conn *c)
{
	if (!c->broken)
		shutdown(c->fd, SHUT_RDWR);
	c->broken = true;
}

/* Connecting */

/*
 * The socket path @uri names, or NULL with @why filled: a bare path and
 * "unix:PATH" are UNIX sockets; nothing else is supported yet.
 */
static const char *uri_socket_path(const char *uri, char *why, size_t size)
{
	const char *path = uri;

	if (strncmp(uri, "tls://", 6) == 0) {
		snprintf(why, size,
			 "Cannot connect to keeld at %s: remote connections over TLS are not supported yet; use a local socket path.",
			 uri);
		return NULL;
	}
	if (strncmp(uri, "unix:", 5) == 0)
		path = uri + 5;
	else if (strstr(uri, "://")) {
		snprintf(why, size,
			 "Cannot connect to keeld at %s: unknown URI scheme; give a socket path or unix:PATH.",
			 uri);
		return NULL;
	}
	if (!*path) {
		snprintf(why, size,
			 "Cannot connect to keeld: the URI \"%s\" names no socket path.",
			 uri);
		return NULL;
	}
	return path;
}

/* A sentence saying why connect() to @path failed with @errnum. */
static void connect_error(const char *path, int errnum, char *why,
			  size_t size)
{
	char buf[128];
	const char *desc = strerror_r(errnum, buf, sizeof(buf));

	switch (errnum) {
	case ENOENT:
		snprintf(why, size,
			 "Cannot connect to keeld at %s: no such socket. Is keeld running? Set KEEL_URI or give another socket path if it listens elsewhere.",
			 path);
		break;
	case ECONNREFUSED:
		snprintf(why, size,
			 "Cannot connect to keeld at %s: nothing is listening on the socket. Is keeld running?",
			 path);
		break;
	case EACCES:
	case EPERM:
		snprintf(why, size,
			 "Cannot connect to keeld at %s: permission denied. Run as root or as a member of the socket's group, or use the read-only socket keeld-ro.sock for monitoring.",
			 path);
		break;
	case ENOTSOCK:
	case ENOTDIR:
		snprintf(why, size,
			 "Cannot connect to keeld at %s: the path is not a socket.",
			 path);
		break;
	default:
		snprintf(why, size, "Cannot connect to keeld at %s: %s.",
			 path, desc);
		break;
	}
}

static void set_err(char **err, const char *why)
{
	if (err)
		*err = strdup(why);
}

int keel_connect(const char *uri, struct keel_conn **out, char **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct keel_conn *c;
	const char *path;
	char why[512];
	int fd;

	if (err)
		*err = NULL;
	if (!out) {
		set_err(err, "keel_connect() was given nowhere to store the connection.");
		return -1;
	}
	*out = NULL;
	if (!uri || !*uri) {
		uri = getenv("KEEL_URI");
		if (!uri || !*uri)
			uri = KEEL_DEFAULT_SOCKET;
	}
	path = uri_socket_path(uri, why, sizeof(why));
	if (!path) {
		set_err(err, why);
		return -1;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, sizeof(why),
			 "Cannot connect to keeld at %s: a socket path may be at most %zu bytes long.",
			 path, sizeof(addr.sun_path) - 1);
		set_err(err, why);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		connect_error(path, errno, why, sizeof(why));
		set_err(err, why);
		return -1;
	}
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EINTR)
			continue;
		connect_error(path, errno, why, sizeof(why));
		set_err(err, why);
		goto out_close_fd;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, "Cannot connect to keeld: out of memory.");
		goto out_close_fd;
	}
	c->fd = fd;
	error_clear(c);
	*out = c;
	return 0;

out_close_fd:
	close(fd);
	return -1;
}

static void queue_free(struct keel_conn *c)
{
	struct keel_queued *q, *next;

	for (q = c->queue_head; q; q = next) {
		next = q->next;
		json_object_put(q->params);
		free(q);
	}
	c->queue_head = NULL;
	c->queue_tail = NULL;
	c->nr_queued = 0;
}

void keel_close(struct keel_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	queue_free(c);
	free(c->buf);
	error_clear(c);
	free(c);
}

/* Reading lines */

/* Milliseconds left until @deadline (CLOCK_MONOTONIC); -1 waits for ever. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	if (!deadline)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

static bool buf_has_line(const struct keel_conn *c)
{
	return c->len && memchr(c->buf + c->start, '\n', c->len);
}

/*
 * Make room to read into: move the unconsumed bytes to the front and
 * grow the buffer, but never beyond one line's limit. Returns the room
 * left, 0 when a whole JSONRPC_MAX_LINE is buffered without a newline,
 * or -ENOMEM.
 */
static ssize_t buf_room(struct keel_conn *c)
{
	size_t cap;
	char *p;

	if (c->start) {
		memmove(c->buf, c->buf + c->start, c->len);
		c->start = 0;
	}
	if (c->len < c->cap)
		return (ssize_t)(c->cap - c->len);
	if (c->cap >= JSONRPC_MAX_LINE)
		return 0;
	cap = c->cap ? c->cap * 2 : CONN_BUF_MIN;
	if (cap > JSONRPC_MAX_LINE)
		cap = JSONRPC_MAX_LINE;
	p = realloc(c->buf, cap);
	if (!p)
		return -ENOMEM;
	c->buf = p;
	c->cap = cap;
	return (ssize_t)(c->cap - c->len);
}

/*
 * Read what the socket has, waiting up to @timeout_ms (0: not at all,
 * -1: for ever) for the first byte. Returns the bytes read, 0 when
 * nothing came in time, or -errno: -EPIPE at end of stream, -EMSGSIZE
 * when the buffered line is longer than JSONRPC_MAX_LINE, -ENOMEM.
 * Sets the connection's error on failure.
 */
static ssize_t conn_fill(struct keel_conn *c, int timeout_ms)
{
	struct timespec deadline, *dl = NULL;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t room, n;
	char desc[128];
	int rc;

	room = buf_room(c);
	if (room < 0) {
		error_set(c, KEEL_E_LOCAL,
			  "Out of memory while reading keeld's reply.", NULL);
		conn_break(c);
		return room;
	}
	/* Full, but of whole lines: the caller consumes them first. */
	if (room == 0 && buf_has_line(c))
		return 0;
	if (room == 0) {
		error_fmt(c, KEEL_E_PROTOCOL,
			  "keeld sent a message longer than the limit of %d bytes; the connection was closed.",
			  JSONRPC_MAX_LINE);
		conn_break(c);
		return -EMSGSIZE;
	}
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		dl = &deadline;
	}
	for (;;) {
		rc = poll(&pfd, 1, timeout_ms > 0 ? ms_left(dl) : timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			goto out_errno;
		if (rc == 0)
			return 0;
		n = recv(c->fd, c->buf + c->len, (size_t)room, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			return n;
		}
		if (n == 0) {
			error_set(c, KEEL_E_CONNECTION,
				  "keeld closed the connection.", NULL);
			conn_break(c);
			return -EPIPE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (timeout_ms == 0)
				return 0;
			continue;
		}
		goto out_errno;
	}

out_errno:
	rc = errno;
	error_fmt(c, KEEL_E_CONNECTION,
		  "Lost the connection to keeld: %s.",
		  strerror_r(rc, desc, sizeof(desc)));
	conn_break(c);
	return -rc;
}

/*
 * Take the next complete line out of the buffer, if there is one:
 * *@line points into the buffer (valid until the next read) and
 * *@len includes the newline. Returns true when a line was taken.
 */
static bool buf_take_line(struct keel_conn *c, const char **line,
			  size_t *len)
{
	char *p, *nl;

	if (!c->len)
		return false;
	p = c->buf + c->start;
	nl = memchr(p, '\n', c->len);
	if (!nl)
		return false;
	*line = p;
	*len = (size_t)(nl - p) + 1;
	c->start += *len;
	c->len -= *len;
	if (!c->len)
		c->start = 0;
	return true;
}

/* Events */

/*
 * Queue a server notification (@resp borrowed from its message). Only
 * "event" notifications with object params mean anything to this
 * version; others are ignored so that a newer keeld can add kinds.
 * Returns 0 or -ENOMEM.
 */
static int queue_notification(struct keel_conn *c,
			      const struct jsonrpc_resp *resp)
{
	struct keel_queued *q;

	if (strcmp(resp->method, "event") != 0 ||
	    !json_object_is_type(resp->params, json_type_object))
		return 0;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->params = json_object_get(resp->params);
	if (c->queue_tail)
		c->queue_tail->next = q;
	else
		c->queue_head = q;
	c->queue_tail = q;
	c->nr_queued++;
	return 0;
}

/*
 * Parse one received line into *@msg and check it into @resp. Returns
 * 0, or -1 with a protocol error set and the connection broken: a line
 * that is not a message cannot be matched to a request, so the stream
 * is out of step.
 */
static int conn_parse_line(struct keel_conn *c, const char *line, size_t len,
			   struct json_object **msg, struct jsonrpc_resp *resp)
{
	int rc;

	rc = jsonrpc_parse_line(line, len, msg);
	if (rc == -ENOMEM) {
		error_set(c, KEEL_E_LOCAL,
			  "Out of memory while reading keeld's reply.", NULL);
		conn_break(c);
		return -1;
	}
	if (rc < 0) {
		error_set(c, KEEL_E_PROTOCOL,
			  "keeld sent a line that is not valid JSON; the connection was closed.",
			  NULL);
		conn_break(c);
		return -1;
	}
	if (jsonrpc_is_batch(*msg) || jsonrpc_check_response(*msg, resp)) {
		error_set(c, KEEL_E_PROTOCOL,
			  "keeld sent a message that is not a JSON-RPC 2.0 response or notification; the connection was closed.",
			  NULL);
		json_object_put(*msg);
		*msg = NULL;
		conn_break(c);
		return -1;
	}
	return 0;
}

/*
 * Queue every event already complete in the buffer. No call is in
 * flight, so anything but a notification there is out of step.
 * Returns 0 or -1 with the error set.
 */
static int drain_buffered_events(struct keel_conn *c)
{
	struct jsonrpc_resp resp;
	struct json_object *msg;
	const char *line;
	size_t len;

	while (buf_take_line(c, &line, &len)) {
		if (conn_parse_line(c, line, len, &msg, &resp) < 0)
			return -1;
		if (!resp.is_notification) {
			json_object_put(msg);
			error_set(c, KEEL_E_PROTOCOL,
				  "keeld sent a reply to no request; the connection was closed.",
				  NULL);
			conn_break(c);
			return -1;
		}
		if (queue_notification(c, &resp) < 0) {
			json_object_put(msg);
			error_set(c, KEEL_E_LOCAL,
				  "Out of memory while queueing an event.",
				  NULL);
			return -1;
		}
		json_object_put(msg);
	}
	return 0;
}

/* Copy the string member @key of @obj into @dst, or "" when absent. */
static void event_str(struct json_object *obj, const char *key, char *dst,
		      size_t size)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(dst, size, "%s", json_object_get_string(v));
}

static const char *event_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(obj, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

/*
 * Fill @ev from an Event object (borrowed). Lenient: a member missing
 * or of the wrong type reads as "" (or -1, NOSTATE, 0), so that an
 * event is never lost to a detail; ev->raw has everything.
 */
static void event_from_json(struct keel_event *ev, struct json_object *params)
{
	struct json_object *dom = NULL, *v;
	int state;

	memset(ev, 0, sizeof(*ev));
	ev->raw = params;
	ev->type = event_member(params, "type");
	ev->event = event_member(params, "event");
	ev->detail = event_member(params, "detail");
	ev->domain.id = -1;
	if (json_object_object_get_ex(params, "domain", &dom) &&
	    json_object_is_type(dom, json_type_object)) {
		event_str(dom, "name", ev->domain.name,
			  sizeof(ev->domain.name));
		event_str(dom, "uuid", ev->domain.uuid,
			  sizeof(ev->domain.uuid));
		if (json_object_object_get_ex(dom, "id", &v) &&
		    json_object_is_type(v, json_type_int)) {
			int64_t id = json_object_get_int64(v);

			if (id >= 0 && id <= INT_MAX)
				ev->domain.id = (int)id;
		}
	}
	state = state_from_name(event_member(params, "state"));
	ev->domain.state = state < 0 ? KEEL_STATE_NOSTATE :
				       (enum keel_domain_state)state;
	event_str(params, "reason", ev->domain.reason,
		  sizeof(ev->domain.reason));
	if (json_object_object_get_ex(params, "timestamp", &v) &&
	    (json_object_is_type(v, json_type_double) ||
	     json_object_is_type(v, json_type_int)))
		ev->timestamp = json_object_get_double(v);
}

/*
 * Deliver the events queued now (not those a callback's own calls
 * queue meanwhile: they wait for the next dispatch, so a callback that
 * makes calls cannot keep us here for ever). Without a callback they
 * are dropped. Returns the number delivered.
 */
static int deliver_events(struct keel_conn *c)
{
	size_t todo = c->nr_queued;
	struct keel_queued *q;
	struct keel_event ev;
	int n = 0;

	while (todo-- && (q = c->queue_head)) {
		c->queue_head = q->next;
		if (!c->queue_head)
			c->queue_tail = NULL;
		c->nr_queued--;
		if (c->event_fn) {
			event_from_json(&ev, q->params);
			c->event_fn(c, &ev, c->event_opaque);
		}
		json_object_put(q->params);
		free(q);
		if (n < INT_MAX)
			n++;
	}
	return n;
}

void keel_set_event_callback(struct keel_conn *c, keel_event_fn fn,
			     void *opaque)
{
	if (!c)
		return;
	c->event_fn = fn;
	c->event_opaque = opaque;
}

int keel_event_fd(const struct keel_conn *c)
{
	return c ? c->fd : -1;
}

bool keel_event_pending(const struct keel_conn *c)
{
	return c && (c->queue_head || buf_has_line(c));
}

/*
 * One round of keel_event_wait(): read for up to @timeout_ms, queue
 * what is complete, deliver. Returns the number delivered or -1.
 */
static int event_round(struct keel_conn *c, int timeout_ms)
{
	ssize_t rc = 0;
	int reads, n;

	if (!c->queue_head && !buf_has_line(c) && !c->broken)
		rc = conn_fill(c, timeout_ms);
	/*
	 * Then take what else is already there, queueing as we go to make
	 * room; bounded, so that a flood of events cannot keep the caller
	 * here (the fd stays readable for the rest).
	 */
	for (reads = 0; rc > 0 && reads < EVENT_READS_MAX; reads++) {
		if (drain_buffered_events(c) < 0) {
			rc = -1;
			break;
		}
		rc = conn_fill(c, 0);
	}
	if (rc >= 0 && drain_buffered_events(c) < 0)
		rc = -1;
	n = deliver_events(c);
	if (n > 0)
		return n;
	if (rc < 0 || c->broken) {
		if (!c->err.code)
			error_set(c, KEEL_E_CONNECTION,
				  "The connection to keeld is closed; connect again.",
				  NULL);
		return -1;
	}
	return 0;
}

int keel_event_dispatch(struct keel_conn *c)
{
	if (!c)
		return -1;
	error_clear(c);
	return event_round(c, 0);
}

int keel_event_wait(struct keel_conn *c, int timeout_ms)
{
	struct timespec deadline;
	int n, left = timeout_ms;

	if (!c)
		return -1;
	error_clear(c);
	if (timeout_ms > 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	/*
	 * Bytes can arrive that complete no event (half a line, or a
	 * notification this version ignores): keep waiting out the time.
	 */
	for (;;) {
		n = event_round(c, left < 0 ? -1 : left);
		if (n != 0)
			return n;
		if (timeout_ms == 0)
			return 0;
		if (timeout_ms > 0) {
			left = ms_left(&deadline);
			if (left == 0)
				return 0;
		}
	}
}

/* Calls */

static int send_all(struct keel_conn *c, const char *data, size_t len)
{
	char desc[128];
	ssize_t n;

	while (len) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int errnum = errno;

			if (errnum == EPIPE || errnum == ECONNRESET)
				error_set(c, KEEL_E_CONNECTION,
					  "keeld closed the connection.",
					  NULL);
			else
				error_fmt(c, KEEL_E_CONNECTION,
					  "Lost the connection to keeld: %s.",
					  strerror_r(errnum, desc,
						     sizeof(desc)));
			conn_break(c);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Record keeld's error response @resp as the connection's error. */
static void error_from_keeld(struct keel_conn *c,
			     const struct jsonrpc_resp *resp)
{
	struct json_object *v;
	const char *field = NULL;

	if (json_object_is_type(resp->data, json_type_object) &&
	    json_object_object_get_ex(resp->data, "field", &v) &&
	    json_object_is_type(v, json_type_string))
		field = json_object_get_string(v);
	error_set(c, resp->code, resp->message, field);
}

/*
 * Wait for the reply to request @id and set *@result to a new reference
 * to its result (NULL for JSON null). Events met on the way are queued.
 * Returns 0, or -1 with the error set.
 */
static int wait_reply(struct keel_conn *c, int64_t id,
		      struct json_object **result)
{
	struct jsonrpc_resp resp;
	struct json_object *msg;
	const char *line;
	size_t len;
	int rc;

	for (;;) {
		while (!buf_take_line(c, &line, &len)) {
			rc = (int)conn_fill(c, -1);
			if (rc == -EPIPE)
				error_set(c, KEEL_E_CONNECTION,
					  "keeld closed the connection before it answered.",
					  NULL);
			if (rc < 0)
				return -1;
		}
		if (conn_parse_line(c, line, len, &msg, &resp) < 0)
			return -1;
		if (!resp.is_notification)
			break;
		if (queue_notification(c, &resp) < 0) {
			error_set(c, KEEL_E_LOCAL,
				  "Out of memory while queueing an event.",
				  NULL);
			conn_break(c);
			goto out_put_msg;
		}
		json_object_put(msg);
	}

	if (!json_object_is_type(resp.id, json_type_int) ||
	    json_object_get_int64(resp.id) != id) {
		/* keeld answers id null when it could not read the request. */
		if (resp.is_error && !resp.id)
			error_from_keeld(c, &resp);
		else
			error_fmt(c, KEEL_E_PROTOCOL,
				  "keeld answered request %s while request %lld was waiting; the connection was closed.",
				  json_object_to_json_string(resp.id),
				  (long long)id);
		conn_break(c);
		goto out_put_msg;
	}
	if (resp.is_error) {
		error_from_keeld(c, &resp);
		goto out_put_msg;
	}
	*result = json_object_get(resp.result);
	json_object_put(msg);
	return 0;

out_put_msg:
	json_object_put(msg);
	return -1;
}

int keel_call(struct keel_conn *c, const char *method,
	      struct json_object *params, struct json_object **result)
{
	struct json_object *req, *id, *res = NULL;
	char *line;
	size_t len;
	int rc;

	if (result)
		*result = NULL;
	if (!c) {
		json_object_put(params);
		return -1;
	}
	error_clear(c);
	if (!method || !*method) {
		json_object_put(params);
		error_set(c, KEEL_E_LOCAL, "No method was given to call.",
			  NULL);
		return -1;
	}
	if (c->broken) {
		json_object_put(params);
		error_set(c, KEEL_E_CONNECTION,
			  "The connection to keeld is closed; connect again.",
			  NULL);
		return -1;
	}

	id = json_object_new_int64(++c->last_id);
	if (!id) {
		json_object_put(params);
		goto out_nomem;
	}
	req = jsonrpc_request(method, params, id);
	if (!req)
		goto out_nomem;
	line = jsonrpc_to_line(req, &len);
	rc = errno;
	json_object_put(req);
	if (!line) {
		if (rc == EMSGSIZE) {
			error_fmt(c, KEEL_E_LOCAL,
				  "The %s request is longer than the limit of %d bytes.",
				  method, JSONRPC_MAX_LINE);
			return -1;
		}
		goto out_nomem;
	}
	rc = send_all(c, line, len);
	free(line);
	if (rc < 0)
		return -1;

	if (wait_reply(c, c->last_id, &res) < 0)
		return -1;
	if (result)
		*result = res;
	else
		json_object_put(res);
	return 0;

out_nomem:
	error_set(c, KEEL_E_LOCAL, "Out of memory while building a request.",
		  NULL);
	return -1;
}

/* Typed calls */

/*
 * Fail the call with a protocol error about @method's result: keeld
 * answered, but not with what the API says. The connection stays
 * usable.
 */
static int bad_result(struct keel_conn *c, const char *method,
		      const char *what)
{
	error_fmt(c, KEEL_E_PROTOCOL,
		  "keeld's answer to %s is not what the API says: %s.",
		  method, what);
	return -1;
}

/* A uuid's shape: 8-4-4-4-12 hex digits, in any case. */
static bool looks_like_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != KEEL_UUID_LEN)
		return false;
	for (i = 0; i < KEEL_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return false;
		}
	}
	return true;
}

static int add_member(struct json_object *obj, const char *key,
		      struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/*
 * New params {"name": @dom} or {"uuid": @dom}, or NULL with the error
 * set (no domain given, or out of memory).
 */
static struct json_object *dom_params(struct keel_conn *c, const char *dom)
{
	struct json_object *p;

	if (!dom || !*dom) {
		error_set(c, KEEL_E_LOCAL,
			  "No domain was given: name it by its name or its uuid.",
			  NULL);
		return NULL;
	}
	p = json_object_new_object();
	if (!p || add_member(p, looks_like_uuid(dom) ? "uuid" : "name",
			     json_object_new_string(dom)) < 0) {
		json_object_put(p);
		error_set(c, KEEL_E_LOCAL,
			  "Out of memory while building a request.", NULL);
		return NULL;
	}
	return p;
}

static int params_nomem(struct keel_conn *c, struct json_object *params)
{
	json_object_put(params);
	error_set(c, KEEL_E_LOCAL, "Out of memory while building a request.",
		  NULL);
	return -1;
}

static int bad_flags(struct keel_conn *c, const char *func, unsigned flags)
{
	error_fmt(c, KEEL_E_LOCAL,
		  "%s() was given flags 0x%x that this version of libkeel does not know.",
		  func, flags);
	return -1;
}

/*
 * Copy the string member @key of @obj into @dst of @size bytes. Returns
 * 0, or -1 with a protocol error when it is missing, not a string or
 * too long.
 */
static int copy_str(struct keel_conn *c, const char *method,
		    struct json_object *obj, const char *key, char *dst,
		    size_t size)
{
	struct json_object *v;
	char what[96];
	int len;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(what, sizeof(what), "\"%s\" is missing or not a string",
			 key);
		return bad_result(c, method, what);
	}
	len = json_object_get_string_len(v);
	if ((size_t)len >= size) {
		snprintf(what, sizeof(what),
			 "\"%s\" is longer than %zu characters", key, size - 1);
		return bad_result(c, method, what);
	}
	memcpy(dst, json_object_get_string(v), (size_t)len + 1);
	return 0;
}

static int get_bool(struct keel_conn *c, const char *method,
		    struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not a boolean", key);
		return bad_result(c, method, what);
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_int64(struct keel_conn *c, const char *method,
		     struct json_object *obj, const char *key,
		     int64_t min, int64_t max, int64_t *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not an integer", key);
		return bad_result(c, method, what);
	}
	/* json-c saturates out-of-range integers; the bounds catch that. */
	*out = json_object_get_int64(v);
	if (*out < min || *out > max) {
		snprintf(what, sizeof(what), "\"%s\" is out of range", key);
		return bad_result(c, method, what);
	}
	return 0;
}

/* A number (integer or not) from @min up, finite. */
static int get_number(struct keel_conn *c, const char *method,
		      struct json_object *obj, const char *key, double min,
		      double *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	     !json_object_is_type(v, json_type_int))) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not a number", key);
		return bad_result(c, method, what);
	}
	*out = json_object_get_double(v);
	if (!isfinite(*out) || *out < min) {
		snprintf(what, sizeof(what), "\"%s\" is out of range", key);
		return bad_result(c, method, what);
	}
	return 0;
}

static int require_object(struct keel_conn *c, const char *method,
			  struct json_object *res)
{
	if (!json_object_is_type(res, json_type_object))
		return bad_result(c, method, "the result is not an object");
	return 0;
}

/* Fill @out from a DomainSummary @obj. Returns 0 or -1 (protocol error). */
static int domain_from_json(struct keel_conn *c, const char *method,
			    struct json_object *obj, struct keel_domain *out)
{
	struct keel_domain d = { .id = -1 };
	struct json_object *v;
	char state[16];
	int64_t id, mem, vcpus;
	int s;

	if (require_object(c, method, obj) < 0 ||
	    copy_str(c, method, obj, "name", d.name, sizeof(d.name)) < 0 ||
	    copy_str(c, method, obj, "uuid", d.uuid, sizeof(d.uuid)) < 0 ||
	    copy_str(c, method, obj, "state", state, sizeof(state)) < 0 ||
	    copy_str(c, method, obj, "reason", d.reason,
		     sizeof(d.reason)) < 0 ||
	    get_bool(c, method, obj, "persistent", &d.persistent) < 0 ||
	    get_bool(c, method, obj, "autostart", &d.autostart) < 0 ||
	    get_int64(c, method, obj, "memory", 0, INT64_MAX, &mem) < 0 ||
	    get_int64(c, method, obj, "vcpus", 0, INT_MAX, &vcpus) < 0 ||
	    get_number(c, method, obj, "cpu_time", 0, &d.cpu_time) < 0)
		return -1;
	d.memory_mib = mem;
	d.vcpus = (int)vcpus;
	if (!json_object_object_get_ex(obj, "id", &v))
		return bad_result(c, method, "\"id\" is missing");
	if (v) {
		if (get_int64(c, method, obj, "id", 0, INT_MAX, &id) < 0)
			return -1;
		d.id = (int)id;
	}
	s = state_from_name(state);
	if (s < 0)
		return bad_result(c, method, "\"state\" is not a known state");
	d.state = (enum keel_domain_state)s;
	if (out)
		*out = d;
	return 0;
}

/*
 * A call whose result is a DomainSummary (@out may be NULL). Consumes
 * @params (NULL for none).
 */
static int domain_call(struct keel_conn *c, const char *method,
		       struct json_object *params, struct keel_domain *out)
{
	struct json_object *res;
	int rc;

	if (keel_call(c, method, params, &res) < 0)
		return -1;
	rc = domain_from_json(c, method, res, out);
	json_object_put(res);
	return rc;
}

/*
 * A call whose result is an object, handed to the caller in *@out (NULL
 * if not wanted). Consumes @params (NULL for none).
 */
static int object_call(struct keel_conn *c, const char *method,
		       struct json_object *params, struct json_object **out)
{
	struct json_object *res;

	if (out)
		*out = NULL;
	if (keel_call(c, method, params, &res) < 0)
		return -1;
	if (require_object(c, method, res) < 0) {
		json_object_put(res);
		return -1;
	}
	if (out)
		*out = res;
	else
		json_object_put(res);
	return 0;
}

int keel_host_info(struct keel_conn *c, struct keel_host_info *out)
{
	static const char method[] = "host.info";
	struct keel_host_info h = { .nr_cpus = 0 };
	struct json_object *res;
	int64_t v;
	int rc = -1;

	if (object_call(c, method, NULL, &res) < 0)
		return -1;
	if (copy_str(c, method, res, "hostname", h.hostname,
		     sizeof(h.hostname)) < 0 ||
	    copy_str(c, method, res, "version", h.version,
		     sizeof(h.version)) < 0)
		goto out_put_res;
	if (get_int64(c, method, res, "nr_cpus", 0, INT_MAX, &v) < 0)
		goto out_put_res;
	h.nr_cpus = (int)v;
	if (get_int64(c, method, res, "memory_mib", 0, INT64_MAX, &v) < 0)
		goto out_put_res;
	h.memory_mib = v;
	if (get_int64(c, method, res, "nr_domains", 0, INT_MAX, &v) < 0)
		goto out_put_res;
	h.nr_domains = (int)v;
	if (out)
		*out = h;
	rc = 0;

out_put_res:
	json_object_put(res);
	return rc;
}

/*
 * domain.list, with the configurations when @configs is not NULL: the
 * summaries into a new array, the configurations into a new JSON array
 * in the same order.
 */
static int list_call(struct keel_conn *c, const char *func,
		     struct keel_domain **list, size_t *n,
		     struct json_object **configs)
{
	static const char method[] = "domain.list";
	struct json_object *params = NULL, *res, *cfgs = NULL, *cfg;
	struct keel_domain *doms = NULL;
	size_t i, count;

	if (list)
		*list = NULL;
	if (n)
		*n = 0;
	if (configs)
		*configs = NULL;
	if (!c)
		return -1;
	error_clear(c);
	if (!list || !n) {
		error_fmt(c, KEEL_E_LOCAL,
			  "%s() was given nowhere to store the list.", func);
		return -1;
	}
	if (configs) {
		params = json_object_new_object();
		if (!params || add_member(params, "config",
					  json_object_new_boolean(true)) < 0)
			return params_nomem(c, params);
	}
	if (keel_call(c, method, params, &res) < 0)
		return -1;
	if (!json_object_is_type(res, json_type_array)) {
		json_object_put(res);
		return bad_result(c, method, "the result is not an array");
	}
	count = json_object_array_length(res);
	/* One more so that an empty list is a valid pointer too. */
	doms = calloc(count + 1, sizeof(*doms));
	if (configs)
		cfgs = json_object_new_array();
	if (!doms || (configs && !cfgs))
		goto out_nomem;
	for (i = 0; i < count; i++) {
		struct json_object *o = json_object_array_get_idx(res, i);

		if (domain_from_json(c, method, o, &doms[i]) < 0)
			goto out_free;
		if (!configs)
			continue;
		if (!json_object_object_get_ex(o, "config", &cfg) ||
		    !json_object_is_type(cfg, json_type_object)) {
			bad_result(c, method,
				   "a domain's \"config\" is missing or not an object");
			goto out_free;
		}
		if (json_object_array_add(cfgs, json_object_get(cfg)) < 0) {
			json_object_put(cfg);
			goto out_nomem;
		}
	}
	json_object_put(res);
	*list = doms;
	*n = count;
	if (configs)
		*configs = cfgs;
	return 0;

out_nomem:
	error_set(c, KEEL_E_LOCAL,
		  "Out of memory while reading the domain list.", NULL);
out_free:
	json_object_put(cfgs);
	free(doms);
	json_object_put(res);
	return -1;
}

int keel_domain_list(struct keel_conn *c, struct keel_domain **list,
		     size_t *n)
{
	return list_call(c, __func__, list, n, NULL);
}

int keel_domain_list_info(struct keel_conn *c, struct keel_domain **list,
			  size_t *n, struct json_object **configs)
{
	return list_call(c, __func__, list, n, configs);
}

int keel_domain_info(struct keel_conn *c, const char *dom,
		     struct keel_domain *out, struct json_object **config)
{
	static const char method[] = "domain.info";
	struct json_object *params, *res, *cfg;
	int rc = -1;

	if (config)
		*config = NULL;
	if (!c)
		return -1;
	error_clear(c);
	params = dom_params(c, dom);
	if (!params || object_call(c, method, params, &res) < 0)
		return -1;
	if (domain_from_json(c, method, res, out) < 0)
		goto out_put_res;
	if (!json_object_object_get_ex(res, "config", &cfg) ||
	    !json_object_is_type(cfg, json_type_object)) {
		bad_result(c, method, "\"config\" is missing or not an object");
		goto out_put_res;
	}
	if (config)
		*config = json_object_get(cfg);
	rc = 0;

out_put_res:
	json_object_put(res);
	return rc;
}

/* The calls that take the domain and answer an object. */
static int domain_object(struct keel_conn *c, const char *method,
			 const char *dom, struct json_object **out)
{
	struct json_object *params;

	if (out)
		*out = NULL;
	if (!c)
		return -1;
	error_clear(c);
	params = dom_params(c, dom);
	if (!params)
		return -1;
	return object_call(c, method, params, out);
}

int keel_domain_config(struct keel_conn *c, const char *dom,
		       struct json_object **config)
{
	return domain_object(c, "domain.config", dom, config);
}

/*
 * New params {"config": @config} (borrowed) or NULL with the error set.
 */
static struct json_object *config_params(struct keel_conn *c,
					 struct json_object *config)
{
	struct json_object *p;

	if (!json_object_is_type(config, json_type_object)) {
		error_set(c, KEEL_E_LOCAL,
			  "The domain configuration must be a JSON object.",
			  "/config");
		return NULL;
	}
	p = json_object_new_object();
	if (!p || add_member(p, "config", json_object_get(config)) < 0) {
		params_nomem(c, p);
		return NULL;
	}
	return p;
}

int keel_domain_define(struct keel_conn *c, struct json_object *config,
		       struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	p = config_params(c, config);
	if (!p)
		return -1;
	return domain_call(c, "domain.define", p, out);
}

int keel_domain_create(struct keel_conn *c, struct json_object *config,
		       unsigned flags, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	if (flags & ~KEEL_START_PAUSED)
		return bad_flags(c, __func__, flags);
	p = config_params(c, config);
	if (!p)
		return -1;
	if ((flags & KEEL_START_PAUSED) &&
	    add_member(p, "paused", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return domain_call(c, "domain.create", p, out);
}

int keel_domain_undefine(struct keel_conn *c, const char *dom)
{
	return domain_object(c, "domain.undefine", dom, NULL);
}

int keel_domain_start(struct keel_conn *c, const char *dom, unsigned flags,
		      struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	if (flags & ~KEEL_START_PAUSED)
		return bad_flags(c, __func__, flags);
	p = dom_params(c, dom);
	if (!p)
		return -1;
	if ((flags & KEEL_START_PAUSED) &&
	    add_member(p, "paused", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return domain_call(c, "domain.start", p, out);
}

/* The lifecycle calls that take nothing but the domain. */
static int domain_simple(struct keel_conn *c, const char *method,
			 const char *dom, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	p = dom_params(c, dom);
	if (!p)
		return -1;
	return domain_call(c, method, p, out);
}

int keel_domain_pause(struct keel_conn *c, const char *dom,
		      struct keel_domain *out)
{
	return domain_simple(c, "domain.pause", dom, out);
}

int keel_domain_unpause(struct keel_conn *c, const char *dom,
			struct keel_domain *out)
{
	return domain_simple(c, "domain.unpause", dom, out);
}

int keel_domain_shutdown(struct keel_conn *c, const char *dom, int timeout_s,
			 unsigned flags, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	if (flags & ~KEEL_SHUTDOWN_WAIT)
		return bad_flags(c, __func__, flags);
	if (timeout_s < -1) {
		error_fmt(c, KEEL_E_LOCAL,
			  "The shutdown timeout %d is not valid: give seconds, 0 to wait for ever, or -1 for keeld's default.",
			  timeout_s);
		return -1;
	}
	p = dom_params(c, dom);
	if (!p)
		return -1;
	/* keeld checks the upper bound: the schema is the one truth. */
	if (timeout_s >= 0 &&
	    add_member(p, "timeout", json_object_new_int(timeout_s)) < 0)
		return params_nomem(c, p);
	if ((flags & KEEL_SHUTDOWN_WAIT) &&
	    add_member(p, "wait", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return domain_call(c, "domain.shutdown", p, out);
}

int keel_domain_reboot(struct keel_conn *c, const char *dom,
		       struct keel_domain *out)
{
	return domain_simple(c, "domain.reboot", dom, out);
}

int keel_domain_destroy(struct keel_conn *c, const char *dom,
			struct keel_domain *out)
{
	return domain_simple(c, "domain.destroy", dom, out);
}

int keel_domain_rename(struct keel_conn *c, const char *dom,
		       const char *new_name, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	if (!new_name || !*new_name) {
		error_set(c, KEEL_E_LOCAL,
			  "No new name was given for the domain.",
			  "/new_name");
		return -1;
	}
	p = dom_params(c, dom);
	if (!p)
		return -1;
	if (add_member(p, "new_name", json_object_new_string(new_name)) < 0)
		return params_nomem(c, p);
	return domain_call(c, "domain.rename", p, out);
}

int keel_domain_autostart(struct keel_conn *c, const char *dom, bool enabled,
			  struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	error_clear(c);
	p = dom_params(c, dom);
	if (!p)
		return -1;
	if (add_member(p, "enabled", json_object_new_boolean(enabled)) < 0)
		return params_nomem(c, p);
	return domain_call(c, "domain.autostart", p, out);
}

int keel_domain_stats(struct keel_conn *c, const char *dom,
		      struct json_object **stats)
{
	return domain_object(c, "domain.stats", dom, stats);
}

int keel_events_subscribe(struct keel_conn *c)
{
	static const char method[] = "events.subscribe";
	struct json_object *res;
	bool subscribed = false;
	int rc;

	if (object_call(c, method, NULL, &res) < 0)
		return -1;
	rc = get_bool(c, method, res, "subscribed", &subscribed);
	json_object_put(res);
	if (rc < 0)
		return -1;
	if (!subscribed)
		return bad_result(c, method,
				  "keeld did not confirm the subscription");
	return 0;
}

/* Shared with the rest of libkeel (libkeel_internal.h) */

void libkeel_error_clear(struct keel_conn *c)
{
	error_clear(c);
}

void libkeel_error_set(struct keel_conn *c, int code, const char *message,
		       const char *field)
{
	error_set(c, code, message, field);
}

struct json_object *libkeel_dom_params(struct keel_conn *c, const char *dom)
{
	return dom_params(c, dom);
}

int libkeel_add_member(struct json_object *obj, const char *key,
		       struct json_object *val)
{
	return add_member(obj, key, val);
}

void libkeel_conn_break(struct keel_conn *c)
{
	conn_break(c);
}

void libkeel_take_input(struct keel_conn *c, char **buf, size_t *len,
			size_t *cap)
{
	if (c->start && c->len)
		memmove(c->buf, c->buf + c->start, c->len);
	*buf = c->buf;
	*len = c->len;
	*cap = c->cap;
	c->buf = NULL;
	c->start = 0;
	c->len = 0;
	c->cap = 0;
}
