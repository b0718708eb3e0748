// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel: the C client of keeld's JSON-RPC API (keel.h, libkeel(3)).
 * This file is the connection: connecting, the error state, and the
 * bytes and messages of one call (libkeel_events.c queues and delivers
 * events; libkeel_calls.c has the typed calls).
 *
 * One connection is one blocking UNIX stream socket carrying one JSON
 * value per line (lib/jsonrpc.h does the messages, lib/jsonrpc_frame.h
 * the lines; this file moves the bytes with recv/send and poll). One
 * call is in flight at a time, so a reply must carry the id of the
 * request just sent; server notifications that arrive meanwhile are
 * queued as events and handed out by keel_event_dispatch(). Nothing
 * here is global but read-only tables, so separate connections may be
 * used from separate threads.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
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
#include "jsonrpc_frame.h"
#include "keel.h"
#include "libkeel_internal.h"

#define KEEL_DEFAULT_SOCKET "/run/keel/keeld.sock"

/* The input buffer starts small and grows up to one whole line. */
#define CONN_BUF_MIN 4096

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

void libkeel_error_clear(struct keel_conn *c)
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
 * When the copies cannot be made, the code survives and the message
 * says so: the caller still learns that the call failed.
 */
void libkeel_error_set(struct keel_conn *c, int code, const char *message,
		       const char *field)
{
	libkeel_error_clear(c);
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

void libkeel_error_fmt(struct keel_conn *c, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	libkeel_error_set(c, code, msg, NULL);
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
void libkeel_conn_break(struct keel_conn *c)
{
	if (!c->broken)
		shutdown(c->fd, SHUT_RDWR);
	c->broken = true;
}

/* Connecting */
/*
 * The socket path @uri names, or NULL with @why filled: a bare path and
 * "unix:PATH" are UNIX sockets (tls:// is keel_connect_pki()'s).
 */
static const char *uri_socket_path(const char *uri, char *why, size_t size)
{
	const char *path = uri;

	if (strncmp(uri, "unix:", 5) == 0)
		path = uri + 5;
	else if (strstr(uri, "://")) {
		snprintf(why, size,
			 "Cannot connect to keeld at %s: unknown URI scheme; give a socket path, unix:PATH or tls://HOST[:PORT].",
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
static void connect_error(const char *path, int errnum, char *why, size_t size)
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
		snprintf(why, size, "Cannot connect to keeld at %s: %s.", path,
			 desc);
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
	return keel_connect_pki(uri, NULL, out, err);
}

int keel_connect_pki(const char *uri, const char *pki_dir,
		     struct keel_conn **out, char **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct libkeel_tls *tls = NULL;
	struct keel_conn *c;
	const char *path;
	char why[1024];
	int fd;

	if (err)
		*err = NULL;
	if (!out) {
		set_err(err,
			"keel_connect() was given nowhere to store the connection.");
		return -1;
	}
	*out = NULL;
	if (!uri || !*uri) {
		uri = getenv("KEEL_URI");
		if (!uri || !*uri)
			uri = KEEL_DEFAULT_SOCKET;
	}
	if (!strncmp(uri, "tls://", 6)) {
		if (libkeel_tls_connect(uri + 6, pki_dir, &fd, &tls, why,
					sizeof(why))) {
			set_err(err, why);
			return -1;
		}
		goto out_conn;
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

out_conn:
	c = calloc(1, sizeof(*c));
	if (!c) {
		set_err(err, "Cannot connect to keeld: out of memory.");
		goto out_close_fd;
	}
	c->fd = fd;
	c->tls = tls;
	libkeel_error_clear(c);
	*out = c;
	return 0;

out_close_fd:
	close(fd);
	libkeel_tls_free(tls);
	return -1;
}

void keel_close(struct keel_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	libkeel_tls_free(c->tls);
	libkeel_queue_free(c);
	free(c->buf);
	libkeel_error_clear(c);
	free(c);
}

/* Receiving */

void libkeel_deadline(struct timespec *deadline, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += timeout_ms / 1000;
	deadline->tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

int libkeel_ms_left(const struct timespec *deadline)
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

bool libkeel_has_line(const struct keel_conn *c)
{
	return jsonrpc_frame_next(NULL, c->buf + c->start, c->len) > 0;
}

/*
 * Make room to read into: move the unconsumed bytes to the front and
 * grow the buffer, up to JSONRPC_MAX_LINE, which is all one line may
 * take. Returns the room left (never 0 while the buffer holds less than
 * a line's limit) or -ENOMEM.
 */
static ssize_t buf_room(struct keel_conn *c)
{
	size_t cap;
	char *p;

	if (c->start) {
		memmove(c->buf, c->buf + c->start, c->len);
		c->start = 0;
	}
	if (c->len < c->cap || c->cap >= JSONRPC_MAX_LINE)
		return (ssize_t)(c->cap - c->len);
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

ssize_t libkeel_fill(struct keel_conn *c, int timeout_ms)
{
	struct timespec deadline, *dl = NULL;
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t room, n;
	char desc[128];
	int rc;

	n = jsonrpc_frame_next(&c->frame, c->buf + c->start, c->len);
	/* A whole line is there: the caller takes it first. */
	if (n > 0)
		return 0;
	if (n < 0) {
		libkeel_error_fmt(c, KEEL_E_PROTOCOL,
				  "keeld sent a message longer than the limit of %d bytes; the connection was closed.",
				  JSONRPC_MAX_LINE);
		libkeel_conn_break(c);
		return n;
	}
	room = buf_room(c);
	if (room <= 0) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while reading keeld's reply.",
				  NULL);
		libkeel_conn_break(c);
		return -ENOMEM;
	}
	if (timeout_ms > 0) {
		libkeel_deadline(&deadline, timeout_ms);
		dl = &deadline;
	}
	for (;;) {
		rc = poll(&pfd, 1,
			  timeout_ms > 0 ? libkeel_ms_left(dl) : timeout_ms);
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
			libkeel_error_set(c, KEEL_E_CONNECTION,
					  "keeld closed the connection.", NULL);
			libkeel_conn_break(c);
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
	libkeel_error_fmt(c, KEEL_E_CONNECTION,
			  "Lost the connection to keeld: %s.",
			  strerror_r(rc, desc, sizeof(desc)));
	libkeel_conn_break(c);
	return -rc;
}

bool libkeel_take_line(struct keel_conn *c, const char **line, size_t *len)
{
	ssize_t n = jsonrpc_frame_next(&c->frame, c->buf + c->start, c->len);

	if (n <= 0)
		return false;
	*line = c->buf + c->start;
	*len = (size_t)n;
	c->start += *len;
	c->len -= *len;
	if (!c->len)
		c->start = 0;
	return true;
}

int libkeel_parse_line(struct keel_conn *c, const char *line, size_t len,
		       struct json_object **msg, struct jsonrpc_resp *resp)
{
	int rc;

	rc = jsonrpc_parse_line(line, len, msg);
	if (rc == -ENOMEM) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while reading keeld's reply.",
				  NULL);
		libkeel_conn_break(c);
		return -1;
	}
	if (rc < 0) {
		libkeel_error_set(c, KEEL_E_PROTOCOL,
				  "keeld sent a line that is not valid JSON; the connection was closed.",
				  NULL);
		libkeel_conn_break(c);
		return -1;
	}
	if (jsonrpc_is_batch(*msg) || jsonrpc_check_response(*msg, resp)) {
		libkeel_error_set(c, KEEL_E_PROTOCOL,
				  "keeld sent a message that is not a JSON-RPC 2.0 response or notification; the connection was closed.",
				  NULL);
		json_object_put(*msg);
		*msg = NULL;
		libkeel_conn_break(c);
		return -1;
	}
	return 0;
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
				libkeel_error_set(c, KEEL_E_CONNECTION,
						  "keeld closed the connection.",
						  NULL);
			else
				libkeel_error_fmt(c, KEEL_E_CONNECTION,
						  "Lost the connection to keeld: %s.",
						  strerror_r(errnum, desc,
							     sizeof(desc)));
			libkeel_conn_break(c);
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
	libkeel_error_set(c, resp->code, resp->message, field);
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
		while (!libkeel_take_line(c, &line, &len)) {
			rc = (int)libkeel_fill(c, -1);
			if (rc == -EPIPE)
				libkeel_error_set(c, KEEL_E_CONNECTION,
						  "keeld closed the connection before it answered.",
						  NULL);
			if (rc < 0)
				return -1;
		}
		if (libkeel_parse_line(c, line, len, &msg, &resp) < 0)
			return -1;
		if (!resp.is_notification)
			break;
		if (libkeel_queue_notification(c, &resp) < 0) {
			libkeel_error_set(c, KEEL_E_LOCAL,
					  "Out of memory while queueing an event.",
					  NULL);
			libkeel_conn_break(c);
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
			libkeel_error_fmt(c, KEEL_E_PROTOCOL,
					  "keeld answered request %s while request %lld was waiting; the connection was closed.",
					  json_object_to_json_string(resp.id),
					  (long long)id);
		libkeel_conn_break(c);
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
	libkeel_error_clear(c);
	if (!method || !*method) {
		json_object_put(params);
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "No method was given to call.", NULL);
		return -1;
	}
	if (c->broken) {
		json_object_put(params);
		libkeel_error_set(c, KEEL_E_CONNECTION,
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
			libkeel_error_fmt(c, KEEL_E_LOCAL,
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
	libkeel_error_set(c, KEEL_E_LOCAL,
			  "Out of memory while building a request.", NULL);
	return -1;
}

/* Handing the stream over (libkeel_console.c) */

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
	c->frame = (struct jsonrpc_frame)JSONRPC_FRAME_INIT;
}
