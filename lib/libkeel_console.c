// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel's consoles (keel.h, libkeel(3), docs/console.md): domain.open_console
 * on a connection, then the frames of lib/console_proto.h on the same
 * socket. The console takes over the connection: its socket, its error
 * (keel_console_last_error() is the connection's) and the bytes it had
 * already received after the reply line, which are the stream's first.
 *
 * Reads are non-blocking (one recv with MSG_DONTWAIT when the buffer
 * holds no whole frame), so a caller's poll loop stays in charge;
 * writes block until the socket took every byte.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "console_proto.h"
#include "keel.h"
#include "libkeel_internal.h"

/* The buffer holds at least one whole frame. */
#define CONSOLE_FRAME_MAX (CONSOLE_FRAME_HEADER + CONSOLE_MAX_PAYLOAD)

/* The longest END sentence kept; a longer one is cut. */
#define CONSOLE_TEXT_MAX 1023

struct keel_console {
	struct keel_conn *conn;	/* owned: the socket and the error */
	int fd;
	enum keel_console_role role;
	/*
	 * Set once END was delivered or the stream broke: every later
	 * read or write fails. A broken stream keeps the error it broke
	 * with.
	 */
	bool ended;
	bool broken;

	/* Received bytes not yet consumed: buf[start, start + len). */
	char *buf;
	size_t start, len, cap;

	/* The END frame's sentence, NUL-terminated. */
	char text[CONSOLE_TEXT_MAX + 1];
};

static void con_error(struct keel_console *con, int code, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void con_error(struct keel_console *con, int code, const char *fmt,
		      ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	libkeel_error_set(con->conn, code, msg, NULL);
}

/*
 * The stream cannot go on: keep the error just set for every later
 * call, and shut the socket down so that keel-hv's side sees it too.
 */
static int con_break(struct keel_console *con)
{
	con->broken = true;
	con->ended = true;
	libkeel_conn_break(con->conn);
	return -1;
}

/*
 * Fail a call on a stream that ended: the error it broke with, or one
 * saying that it ended.
 */
static int con_ended(struct keel_console *con)
{
	if (!con->broken)
		con_error(con, KEEL_E_CONNECTION,
			  "The console stream has ended; open the console again.");
	return -1;
}

/* Opening */

/*
 * Check @o and build domain.open_console's params for @dom. Returns them, or
 * NULL with @c's error set.
 */
static struct json_object *open_params(struct keel_conn *c, const char *dom,
				       const struct keel_console_opts *o)
{
	const char *mode = o->read_only ? "view" : "write";
	int64_t lines = o->history_lines, bytes = o->history_bytes;
	struct json_object *p;
	int rc = 0;

	if (o->history_lines < -1 || o->history_bytes < -1) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "The console history must be 0 or more lines or bytes, or -1 to leave it to keel-hv.",
				  NULL);
		return NULL;
	}
	if (o->history_lines >= 0 && o->history_bytes >= 0) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Give the console history in lines or in bytes, not both.",
				  NULL);
		return NULL;
	}
	if (o->force && o->read_only) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "A read-only console cannot force its way to the input: give read_only or force, not both.",
				  NULL);
		return NULL;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return NULL;
	/* keeld checks the values: the schema is the one truth. */
	if (o->console)
		rc = libkeel_add_member(p, "console",
					json_object_new_string(o->console));
	if (!rc)
		rc = libkeel_add_member(p, "mode",
					json_object_new_string(mode));
	if (!rc && o->force)
		rc = libkeel_add_member(p, "force",
					json_object_new_boolean(true));
	if (!rc && o->history_lines >= 0)
		rc = libkeel_add_member(p, "history_lines",
					json_object_new_int64(lines));
	if (!rc && o->history_bytes >= 0)
		rc = libkeel_add_member(p, "history_bytes",
					json_object_new_int64(bytes));
	if (rc) {
		json_object_put(p);
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while building a request.",
				  NULL);
		return NULL;
	}
	return p;
}

/* The role domain.open_console answered in @res, or -1. */
static int role_from_result(struct json_object *res)
{
	struct json_object *v;
	const char *s;

	if (!json_object_is_type(res, json_type_object) ||
	    !json_object_object_get_ex(res, "role", &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if (!strcmp(s, "writer"))
		return KEEL_CONSOLE_WRITER;
	if (!strcmp(s, "viewer"))
		return KEEL_CONSOLE_VIEWER;
	return -1;
}

int keel_console_open(struct keel_conn *c, const char *dom,
		      const struct keel_console_opts *o,
		      struct keel_console **out)
{
	static const struct keel_console_opts defaults = KEEL_CONSOLE_OPTS_INIT;
	struct json_object *params, *res = NULL;
	struct keel_console *con;
	int role;

	if (out)
		*out = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!out) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "keel_console_open() was given nowhere to store the console.",
				  NULL);
		return -1;
	}
	params = open_params(c, dom, o ? o : &defaults);
	if (!params)
		return -1;
	con = calloc(1, sizeof(*con));
	if (!con) {
		json_object_put(params);
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while opening the console.",
				  NULL);
		return -1;
	}
	if (keel_call(c, "domain.open_console", params, &res) < 0)
		goto out_free_con;
	role = role_from_result(res);
	json_object_put(res);
	if (role < 0) {
		/* keeld said yes, so the stream follows: no more calls. */
		libkeel_error_set(c, KEEL_E_PROTOCOL,
				  "keeld's answer to domain.open_console is not what the API says: \"role\" is missing or not writer or viewer; the connection was closed.",
				  NULL);
		libkeel_conn_break(c);
		goto out_free_con;
	}
	con->conn = c;
	con->fd = keel_event_fd(c);
	con->role = (enum keel_console_role)role;
	libkeel_take_input(c, &con->buf, &con->len, &con->cap);
	*out = con;
	return 0;

out_free_con:
	free(con);
	return -1;
}

void keel_console_close(struct keel_console *con)
{
	if (!con)
		return;
	keel_close(con->conn);
	free(con->buf);
	free(con);
}

const struct keel_error *keel_console_last_error(const struct keel_console *con)
{
	return keel_last_error(con ? con->conn : NULL);
}

int keel_console_fd(const struct keel_console *con)
{
	return con ? con->fd : -1;
}

enum keel_console_role keel_console_role(const struct keel_console *con)
{
	return con ? con->role : KEEL_CONSOLE_VIEWER;
}

/* Reading */

/*
 * Receive what the socket has now, after making room for a whole
 * frame. Returns the bytes read, 0 when there were none, or -1 with
 * the stream broken (EOF, a socket error, out of memory).
 */
static ssize_t con_fill(struct keel_console *con)
{
	char desc[128];
	ssize_t n;

	if (con->start) {
		memmove(con->buf, con->buf + con->start, con->len);
		con->start = 0;
	}
	if (con->cap < CONSOLE_FRAME_MAX) {
		char *p = realloc(con->buf, CONSOLE_FRAME_MAX);

		if (!p) {
			con_error(con, KEEL_E_LOCAL,
				  "Out of memory while reading the console.");
			return con_break(con);
		}
		con->buf = p;
		con->cap = CONSOLE_FRAME_MAX;
	}
	/* A whole frame always fits: the caller took the complete ones. */
	do {
		n = recv(con->fd, con->buf + con->len, con->cap - con->len,
			 MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		con->len += (size_t)n;
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n == 0 || errno == ECONNRESET)
		con_error(con, KEEL_E_CONNECTION,
			  "keeld closed the console stream without saying why; attach again if the domain still runs.");
	else
		con_error(con, KEEL_E_CONNECTION,
			  "Lost the console stream: %s.",
			  strerror_r(errno, desc, sizeof(desc)));
	return con_break(con);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Copy the END sentence, each control character read as a space. */
static void con_set_text(struct keel_console *con, const char *p, size_t len)
{
	if (len > CONSOLE_TEXT_MAX)
		len = CONSOLE_TEXT_MAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		con->text[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	con->text[len] = '\0';
}

/*
 * Fill @f from the frame of @type with @len payload bytes at @p. Returns
 * 1, 0 for a frame that carries nothing to deliver (empty DATA), or -1
 * with the stream broken (a payload the protocol does not allow).
 */
static int con_frame(struct keel_console *con, enum console_frame_type type,
		     const char *p, size_t len, struct keel_console_frame *f)
{
	memset(f, 0, sizeof(*f));
	switch (type) {
	case CONSOLE_FRAME_DATA:
		if (!len)
			return 0;
		f->kind = KEEL_CONSOLE_DATA;
		f->data = p;
		f->len = len;
		return 1;
	case CONSOLE_FRAME_MISSED:
		if (len != 8)
			break;
		f->kind = KEEL_CONSOLE_MISSED;
		f->missed = be64((const uint8_t *)p);
		return 1;
	case CONSOLE_FRAME_ROLE:
		if (len == 6 && !memcmp(p, "writer", 6))
			con->role = KEEL_CONSOLE_WRITER;
		else if (len == 6 && !memcmp(p, "viewer", 6))
			con->role = KEEL_CONSOLE_VIEWER;
		else
			break;
		f->kind = KEEL_CONSOLE_ROLE;
		f->role = con->role;
		return 1;
	case CONSOLE_FRAME_END:
		con_set_text(con, p, len);
		con->ended = true;
		f->kind = KEEL_CONSOLE_END;
		f->data = con->text;
		f->len = strlen(con->text);
		return 1;
	case CONSOLE_FRAME_WINSIZE:
		con_error(con, KEEL_E_PROTOCOL,
			  "keeld sent a WINSIZE console frame, which only clients send; the console was closed.");
		return con_break(con);
	}
	con_error(con, KEEL_E_PROTOCOL,
		  "keeld sent a console frame '%c' whose %zu-byte payload is not what the protocol says; the console was closed.",
		  (char)type, len);
	return con_break(con);
}

/*
 * Deliver the next whole frame in the buffer. Returns 1, 0 when there
 * is none, or -1 with the stream broken.
 */
static int con_take_frame(struct keel_console *con,
			  struct keel_console_frame *f)
{
	enum console_frame_type type;
	const uint8_t *hdr;
	long plen;
	int rc;

	while (!con->ended && con->len >= CONSOLE_FRAME_HEADER) {
		hdr = (const uint8_t *)con->buf + con->start;
		plen = console_frame_parse(hdr, &type);
		if (plen < 0) {
			uint32_t len = (uint32_t)hdr[1] << 24 |
				       (uint32_t)hdr[2] << 16 |
				       (uint32_t)hdr[3] << 8 | hdr[4];

			if (len > CONSOLE_MAX_PAYLOAD)
				con_error(con, KEEL_E_PROTOCOL,
					  "keeld sent a console frame of %lu bytes, more than the limit of %d; the console was closed.",
					  (unsigned long)len,
					  CONSOLE_MAX_PAYLOAD);
			else
				con_error(con, KEEL_E_PROTOCOL,
					  "keeld sent a console frame of unknown type 0x%02x; the console was closed.",
					  hdr[0]);
			return con_break(con);
		}
		if (con->len < CONSOLE_FRAME_HEADER + (size_t)plen)
			return 0;
		con->start += CONSOLE_FRAME_HEADER + (size_t)plen;
		con->len -= CONSOLE_FRAME_HEADER + (size_t)plen;
		/* The payload stays put until the next call compacts. */
		rc = con_frame(con, type,
			       (const char *)hdr + CONSOLE_FRAME_HEADER,
			       (size_t)plen, f);
		if (rc)
			return rc;
	}
	return 0;
}

int keel_console_read(struct keel_console *con, struct keel_console_frame *f)
{
	ssize_t n;
	int rc;

	if (!con)
		return -1;
	if (con->ended)
		return con_ended(con);
	libkeel_error_clear(con->conn);
	if (!f) {
		con_error(con, KEEL_E_LOCAL,
			  "keel_console_read() was given nowhere to store the frame.");
		return -1;
	}
	for (;;) {
		rc = con_take_frame(con, f);
		if (rc)
			return rc;
		n = con_fill(con);
		if (n <= 0)
			return (int)n;
	}
}

/* Writing */

/* Send one frame of @type with @len (at most CONSOLE_MAX_PAYLOAD) bytes. */
static int con_send_frame(struct keel_console *con,
			  enum console_frame_type type, const void *payload,
			  size_t len)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];
	struct iovec iov[2] = {
		{ .iov_base = hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = (void *)payload, .iov_len = len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	char desc[128];
	ssize_t n;

	console_frame_header(hdr, type, (uint32_t)len);
	while (msg.msg_iovlen) {
		n = sendmsg(con->fd, &msg, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EPIPE || errno == ECONNRESET)
				con_error(con, KEEL_E_CONNECTION,
					  "keeld closed the console stream.");
			else
				con_error(con, KEEL_E_CONNECTION,
					  "Lost the console stream: %s.",
					  strerror_r(errno, desc,
						     sizeof(desc)));
			return con_break(con);
		}
		/* A short send: skip what went, keep the rest. */
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			struct iovec *v = msg.msg_iov;

			v->iov_base = (char *)v->iov_base + n;
			v->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int keel_console_write(struct keel_console *con, const void *buf, size_t len)
{
	const char *p = buf;
	size_t chunk;

	if (!con)
		return -1;
	if (con->ended)
		return con_ended(con);
	libkeel_error_clear(con->conn);
	if (!buf && len) {
		con_error(con, KEEL_E_LOCAL,
			  "keel_console_write() was given no bytes to send.");
		return -1;
	}
	while (len) {
		chunk = len < CONSOLE_MAX_PAYLOAD ? len : CONSOLE_MAX_PAYLOAD;
		if (con_send_frame(con, CONSOLE_FRAME_DATA, p, chunk) < 0)
			return -1;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int keel_console_resize(struct keel_console *con, unsigned rows,
			unsigned cols)
{
	uint8_t size[4];

	if (!con)
		return -1;
	if (con->ended)
		return con_ended(con);
	libkeel_error_clear(con->conn);
	if (!rows || !cols || rows > UINT16_MAX || cols > UINT16_MAX) {
		con_error(con, KEEL_E_LOCAL,
			  "A console of %u rows and %u columns cannot be: each must be 1 to 65535.",
			  rows, cols);
		return -1;
	}
	size[0] = (uint8_t)(rows >> 8);
	size[1] = (uint8_t)rows;
	size[2] = (uint8_t)(cols >> 8);
	size[3] = (uint8_t)cols;
	return con_send_frame(con, CONSOLE_FRAME_WINSIZE, size, sizeof(size));
}
