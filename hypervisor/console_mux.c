// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Console multiplexing in keel-hv (docs/console.md): where a console's
 * output lives (a ring and a rotated log per console) and the console
 * socket that serves it, one writer and any number of viewers.
 *
 * The guest is never slowed by a client: output goes into the ring and
 * the log under the port's lock on the device's thread and only wakes
 * the I/O thread, which copies at most one frame per client at a time
 * out of the ring and writes it without blocking. A client keeps a read
 * position in the ring; when the ring overwrites what it has not been
 * sent, it skips to the oldest byte held and is told how many it lost
 * (MISSED). So what a client holds up is its socket buffer plus one
 * frame, and keel-hv's memory does not grow with slow clients.
 *
 * Lock order: a device's lock, then a port's lock. The I/O thread never
 * calls into a device with a port lock held.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "console_mux.h"
#include "console_proto.h"
#include "hv_error.h"
#include "jsonrpc.h"
#include "log.h"

#define CMUX_CHUNK (16 * 1024) /* output bytes per DATA frame */
#define CMUX_FRAMES_PER_TURN 4 /* per client per event loop turn */
#define CMUX_READS_PER_TURN 16
#define CMUX_INPUT_BUF 4096 /* guest input waiting for the device */
#define CMUX_LOG_STAGE 4096
#define CMUX_HELLO_MAX 4096
#define CMUX_MAX_CLIENTS 64
#define CMUX_END_MAX 1024 /* bytes of an END frame's sentence */
#define CMUX_FLUSH_MS 250 /* cmux_free()'s last delivery, in all */
#define CMUX_DEFAULT_HISTORY_LINES 24

static const char *const cmux_names[CMUX_NR_CONSOLES] = { "serial",
							   "virtio" };

struct cmux_port {
	struct cmux *mux;
	enum cmux_console which;
	pthread_mutex_t lock;

	/* Under @lock: written by the device's thread. */
	uint8_t *ring;
	size_t ring_size;
	uint64_t head; /* bytes ever written; the ring holds the last ones */
	int log_fd;
	char *log_path;
	uint64_t log_len; /* bytes in the current log file */
	uint64_t log_max; /* rotate before it would grow past this */
	uint8_t log_stage[CMUX_LOG_STAGE];
	size_t log_staged;
	bool log_broken; /* a write failed: logged once, then dropped */
	struct cmux_tap tap;
	bool wake_pending;

	/* I/O thread only. */
	struct event *wake_ev; /* output arrived */
	struct event *retry_ev; /* the device has room for input */
	struct cmux_guest guest;
	uint8_t in[CMUX_INPUT_BUF];
	size_t in_off, in_len;
	struct cmux_client *writer;
};

enum cmux_client_state {
	CMUX_HELLO, /* reading the request line */
	CMUX_STREAM, /* frames both ways */
	CMUX_CLOSING, /* close once the queued bytes are out */
};

struct cmux_client {
	struct cmux *mux;
	struct cmux_client *next;
	int fd;
	struct event *rd_ev, *wr_ev;
	bool rd_on, wr_on;
	enum cmux_client_state state;
	struct cmux_port *port; /* from the handshake on */
	bool writer;
	uint64_t pos; /* next output byte to send, as in port->head */
	uint64_t missed; /* lost bytes not yet reported */
	const char *role_note; /* a ROLE frame to send, or NULL */
	bool input_blocked; /* a writer waiting for input room */

	char hello[CMUX_HELLO_MAX + 1];
	size_t hello_len;

	/* The frame being read. */
	uint8_t rd_hdr[CONSOLE_FRAME_HEADER];
	size_t rd_hdr_len;
	enum console_frame_type rd_type;
	uint32_t rd_left; /* payload bytes still to read */
	uint8_t rd_ws[4]; /* a WINSIZE payload */
	size_t rd_ws_len;

	/* The one frame (or answer line) being written. */
	uint8_t out[CONSOLE_FRAME_HEADER + CMUX_CHUNK];
	size_t out_off, out_len;
};

struct cmux {
	struct event_base *base;
	struct cmux_config cfg;
	struct cmux_port *ports[CMUX_NR_CONSOLES];
	struct evconnlistener *listener;
	char *path;
	struct cmux_client *clients;
	unsigned nr_clients;
	char *end_reason; /* set once the VM stopped */
};

static void cmux_client_pump(struct cmux_client *c);
static void cmux_client_free(struct cmux_client *c);

/* -- the ring and the log: device thread, port lock held ------------- */

static void cmux_ring_append(struct cmux_port *p, const uint8_t *buf,
			     size_t len)
{
	uint64_t head = p->head + len;

	if (len > p->ring_size) {
		buf += len - p->ring_size;
		len = p->ring_size;
	}
	while (len) {
		size_t at = (size_t)((head - len) % p->ring_size);
		size_t n = p->ring_size - at < len ? p->ring_size - at : len;

		memcpy(p->ring + at, buf, n);
		buf += n;
		len -= n;
	}
	p->head = head;
}

static uint64_t cmux_ring_oldest(const struct cmux_port *p)
{
	return p->head > p->ring_size ? p->head - p->ring_size : 0;
}

/* Copy @len bytes from absolute position @pos, which the ring holds. */
static void cmux_ring_copy(const struct cmux_port *p, uint64_t pos,
			   uint8_t *dst, size_t len)
{
	while (len) {
		size_t at = (size_t)(pos % p->ring_size);
		size_t n = p->ring_size - at < len ? p->ring_size - at : len;

		memcpy(dst, p->ring + at, n);
		dst += n;
		pos += n;
		len -= n;
	}
}

static uint8_t cmux_ring_byte(const struct cmux_port *p, uint64_t pos)
{
	return p->ring[pos % p->ring_size];
}

/*
 * Where history of @lines lines starts: just after the (@lines+1)-th
 * last newline, a newline ending the output not starting a line; the
 * oldest byte if the ring holds fewer lines.
 */
static uint64_t cmux_ring_lines(const struct cmux_port *p, uint64_t lines)
{
	uint64_t oldest = cmux_ring_oldest(p), pos = p->head;

	if (!lines)
		return p->head;
	if (pos > oldest && cmux_ring_byte(p, pos - 1) == '\n')
		pos--;
	while (pos > oldest) {
		if (cmux_ring_byte(p, pos - 1) == '\n' && !--lines)
			return pos;
		pos--;
	}
	return oldest;
}

static void cmux_log_rotate(struct cmux_port *p)
{
	size_t len = strlen(p->log_path) + 3;
	char from[len], to[len];

	close(p->log_fd);
	for (int i = CMUX_LOG_KEEP; i > 1; i--) {
		snprintf(from, len, "%s.%d", p->log_path, i - 1);
		snprintf(to, len, "%s.%d", p->log_path, i);
		rename(from, to);
	}
	snprintf(to, len, "%s.1", p->log_path);
	rename(p->log_path, to);
	p->log_fd = open(p->log_path,
			 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
			 0600);
	p->log_len = 0;
}

static void cmux_log_flush(struct cmux_port *p)
{
	size_t off = 0;

	if (p->log_fd < 0 || p->log_broken || !p->log_staged) {
		p->log_staged = 0;
		return;
	}
	if (p->log_len && p->log_len + p->log_staged > p->log_max)
		cmux_log_rotate(p);
	while (off < p->log_staged && p->log_fd >= 0) {
		ssize_t n = write(p->log_fd, p->log_stage + off,
				  p->log_staged - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s: cannot write the %s console log %s: %s; console output is no longer logged.",
				 __func__, cmux_names[p->which], p->log_path,
				 n < 0 ? strerror(errno) : "nothing written");
			p->log_broken = true;
			break;
		}
		off += (size_t)n;
		p->log_len += (uint64_t)n;
	}
	if (p->log_fd < 0 && !p->log_broken) {
		log_warn("%s: cannot reopen the %s console log %s after rotating it; console output is no longer logged.",
			 __func__, cmux_names[p->which], p->log_path);
		p->log_broken = true;
	}
	p->log_staged = 0;
}

static void cmux_log_append(struct cmux_port *p, const uint8_t *buf,
			    size_t len)
{
	if (p->log_fd < 0 || p->log_broken)
		return;
	while (len) {
		size_t n = CMUX_LOG_STAGE - p->log_staged;

		if (n > len)
			n = len;
		memcpy(p->log_stage + p->log_staged, buf, n);
		p->log_staged += n;
		buf += n;
		len -= n;
		if (p->log_staged == CMUX_LOG_STAGE)
			cmux_log_flush(p);
	}
}

void cmux_port_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct cmux_port *p = opaque;
	struct cmux_tap tap;
	bool wake;

	if (!len)
		return;
	pthread_mutex_lock(&p->lock);
	cmux_ring_append(p, buf, len);
	cmux_log_append(p, buf, len);
	tap = p->tap;
	wake = !p->wake_pending;
	p->wake_pending = true;
	pthread_mutex_unlock(&p->lock);
	/* The device's lock still keeps the tap's output in order. */
	if (tap.output)
		tap.output(tap.opaque, buf, len);
	if (wake)
		event_active(p->wake_ev, EV_READ, 0);
}

void cmux_port_set_tap(struct cmux_port *port, const struct cmux_tap *tap)
{
	pthread_mutex_lock(&port->lock);
	if (tap)
		port->tap = *tap;
	else
		memset(&port->tap, 0, sizeof(port->tap));
	pthread_mutex_unlock(&port->lock);
}

/* I/O thread: flush the log's stage and serve the port's clients. */
static void cmux_port_wake(evutil_socket_t fd, short what, void *arg)
{
	struct cmux_port *p = arg;
	struct cmux_client *c, *next;

	pthread_mutex_lock(&p->lock);
	p->wake_pending = false;
	cmux_log_flush(p);
	pthread_mutex_unlock(&p->lock);
	for (c = p->mux->clients; c; c = next) {
		next = c->next;
		/* One waiting for its socket is served when it drains. */
		if (c->port == p && c->state == CMUX_STREAM && !c->wr_on)
			cmux_client_pump(c);
	}
}

/* -- input to the guest: I/O thread ---------------------------------- */

size_t cmux_port_input_room(const struct cmux_port *port)
{
	return CMUX_INPUT_BUF - (port->in_len - port->in_off);
}

static void cmux_client_want_read(struct cmux_client *c, bool on)
{
	if (on == c->rd_on)
		return;
	if (on)
		event_add(c->rd_ev, NULL);
	else
		event_del(c->rd_ev);
	c->rd_on = on;
}

static void cmux_port_push(struct cmux_port *p)
{
	bool was_full = cmux_port_input_room(p) == 0;

	if (p->in_off < p->in_len) {
		if (p->guest.input)
			p->in_off += p->guest.input(p->guest.opaque,
						    p->in + p->in_off,
						    p->in_len - p->in_off);
		else
			p->in_off = p->in_len; /* nowhere to go */
	}
	if (p->in_off == p->in_len)
		p->in_off = p->in_len = 0;
	if (!was_full || !cmux_port_input_room(p))
		return;
	if (p->writer && p->writer->input_blocked) {
		p->writer->input_blocked = false;
		cmux_client_want_read(p->writer, true);
	}
	if (p->tap.input_room)
		p->tap.input_room(p->tap.opaque);
}

size_t cmux_port_input(struct cmux_port *port, const uint8_t *buf,
		       size_t len)
{
	size_t room = cmux_port_input_room(port);

	if (len > room)
		len = room;
	if (!len)
		return 0;
	if (port->in_off) {
		memmove(port->in, port->in + port->in_off,
			port->in_len - port->in_off);
		port->in_len -= port->in_off;
		port->in_off = 0;
	}
	memcpy(port->in + port->in_len, buf, len);
	port->in_len += len;
	cmux_port_push(port);
	return len;
}

static void cmux_port_retry(evutil_socket_t fd, short what, void *arg)
{
	cmux_port_push(arg);
}

void cmux_port_rx_ready(void *opaque)
{
	struct cmux_port *p = opaque;

	event_active(p->retry_ev, EV_READ, 0);
}

/* -- clients: I/O thread --------------------------------------------- */

static void cmux_client_want_write(struct cmux_client *c, bool on)
{
	if (on == c->wr_on)
		return;
	if (on)
		event_add(c->wr_ev, NULL);
	else
		event_del(c->wr_ev);
	c->wr_on = on;
}

static void cmux_client_frame(struct cmux_client *c,
			      enum console_frame_type type, const void *data,
			      size_t len)
{
	console_frame_header(c->out, type, (uint32_t)len);
	memcpy(c->out + CONSOLE_FRAME_HEADER, data, len);
	c->out_off = 0;
	c->out_len = CONSOLE_FRAME_HEADER + len;
}

/*
 * Queue the client's next frame: a role change, lost bytes, output,
 * and once the VM stopped and all output went out, END. Returns false
 * when there is nothing to send.
 */
static bool cmux_client_next_frame(struct cmux_client *c)
{
	struct cmux_port *p = c->port;
	uint8_t *payload = c->out + CONSOLE_FRAME_HEADER;
	uint64_t avail;
	size_t n;

	if (c->state != CMUX_STREAM)
		return false;
	if (c->role_note) {
		cmux_client_frame(c, CONSOLE_FRAME_ROLE, c->role_note,
				  strlen(c->role_note));
		c->role_note = NULL;
		return true;
	}
	pthread_mutex_lock(&p->lock);
	if (c->pos < cmux_ring_oldest(p)) {
		c->missed += cmux_ring_oldest(p) - c->pos;
		c->pos = cmux_ring_oldest(p);
	}
	avail = p->head - c->pos;
	n = avail > CMUX_CHUNK ? CMUX_CHUNK : (size_t)avail;
	if (!c->missed && n) {
		cmux_ring_copy(p, c->pos, payload, n);
		c->pos += n;
	}
	pthread_mutex_unlock(&p->lock);
	if (c->missed) {
		uint8_t be[8];

		for (int i = 0; i < 8; i++)
			be[i] = (uint8_t)(c->missed >> (56 - 8 * i));
		cmux_client_frame(c, CONSOLE_FRAME_MISSED, be, sizeof(be));
		c->missed = 0;
		return true;
	}
	if (n) {
		console_frame_header(c->out, CONSOLE_FRAME_DATA, (uint32_t)n);
		c->out_off = 0;
		c->out_len = CONSOLE_FRAME_HEADER + n;
		return true;
	}
	if (c->mux->end_reason) {
		n = strlen(c->mux->end_reason);
		cmux_client_frame(c, CONSOLE_FRAME_END, c->mux->end_reason,
				  n > CMUX_END_MAX ? CMUX_END_MAX : n);
		c->state = CMUX_CLOSING;
		return true;
	}
	return false;
}

/*
 * Write what the client is owed, at most a few frames a turn so that
 * one fast client cannot hold up the others; frees it on a write error
 * or once a closing client's last bytes are out.
 */
static void cmux_client_pump(struct cmux_client *c)
{
	int frames = 0;

	for (;;) {
		ssize_t n;

		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			if (c->state == CMUX_CLOSING) {
				cmux_client_free(c);
				return;
			}
			if (frames == CMUX_FRAMES_PER_TURN) {
				cmux_client_want_write(c, true);
				return;
			}
			if (!cmux_client_next_frame(c)) {
				cmux_client_want_write(c, false);
				return;
			}
			frames++;
		}
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			cmux_client_want_write(c, true);
			return;
		}
		if (n <= 0) {
			cmux_client_free(c);
			return;
		}
		c->out_off += (size_t)n;
	}
}

static void cmux_client_writable(evutil_socket_t fd, short what, void *arg)
{
	cmux_client_pump(arg);
}

/* Answer the request with a line, then stream (or close on an error). */
static void cmux_client_answer(struct cmux_client *c, const char *error)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	int len;

	json_object_object_add(o, "ok", json_object_new_boolean(!error));
	if (error)
		json_object_object_add(o, "error",
				       json_object_new_string(error));
	else
		json_object_object_add(o, "role",
				       json_object_new_string(
					       c->writer ? "writer" :
							   "viewer"));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	len = snprintf((char *)c->out, sizeof(c->out), "%s\n", s ? s : "");
	json_object_put(o);
	c->out_off = 0;
	c->out_len = len > 0 ? (size_t)len : 0;
	c->state = error ? CMUX_CLOSING : CMUX_STREAM;
	cmux_client_pump(c);
}

/* A non-negative integer member, or -1 when @o has no such member. */
static int cmux_get_count(struct json_object *req, const char *key,
			  int64_t *out, const char **error)
{
	struct json_object *v;

	*out = -1;
	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0) {
		*error = "history_lines and history_bytes must be whole numbers of zero or more.";
		return -EINVAL;
	}
	*out = json_object_get_int64(v);
	return 0;
}

/* A string member that must be @a (the default) or @b. */
static int cmux_get_choice(struct json_object *req, const char *key,
			   const char *a, const char *b, bool *is_b)
{
	struct json_object *v;
	const char *s;

	*is_b = false;
	if (!json_object_object_get_ex(req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (!strcmp(s, b))
		*is_b = true;
	else if (strcmp(s, a))
		return -EINVAL;
	return 0;
}

/*
 * Take the client's request line: pick its console, role and history.
 * Returns NULL, or a sentence for the client saying what is wrong.
 */
static const char *cmux_client_request(struct cmux_client *c,
				       const char *line, size_t len)
{
	struct json_object *req = NULL, *v;
	const char *error = NULL;
	bool virtio, write, force = false;
	int64_t lines, bytes;
	struct cmux_port *p;

	if (jsonrpc_parse_line(line, len, &req) ||
	    !json_object_is_type(req, json_type_object)) {
		error = "The console request is not a JSON object.";
		goto out;
	}
	if (cmux_get_choice(req, "console", "serial", "virtio", &virtio)) {
		error = "console must be \"serial\" or \"virtio\".";
		goto out;
	}
	if (cmux_get_choice(req, "mode", "view", "write", &write)) {
		error = "mode must be \"view\" or \"write\".";
		goto out;
	}
	if (json_object_object_get_ex(req, "force", &v)) {
		if (!json_object_is_type(v, json_type_boolean)) {
			error = "force must be true or false.";
			goto out;
		}
		force = json_object_get_boolean(v);
	}
	if (cmux_get_count(req, "history_lines", &lines, &error) ||
	    cmux_get_count(req, "history_bytes", &bytes, &error))
		goto out;
	if (lines >= 0 && bytes >= 0) {
		error = "Give history_lines or history_bytes, not both.";
		goto out;
	}
	p = c->mux->ports[virtio ? CMUX_VIRTIO : CMUX_SERIAL];
	if (!p) {
		error = virtio ? "This domain has no virtio console." :
				 "This domain has no serial console.";
		goto out;
	}
	if (write && p->writer && !force) {
		error = "The console already has a writer; ask with force to take it over, or attach as a viewer.";
		goto out;
	}
	c->port = p;
	if (write) {
		if (p->writer) {
			p->writer->writer = false;
			p->writer->role_note = "viewer";
			p->writer->input_blocked = false;
			cmux_client_want_read(p->writer, true);
			cmux_client_pump(p->writer);
		}
		p->writer = c;
		c->writer = true;
	}
	pthread_mutex_lock(&p->lock);
	if (bytes >= 0)
		c->pos = (uint64_t)bytes >= p->head - cmux_ring_oldest(p) ?
				 cmux_ring_oldest(p) :
				 p->head - (uint64_t)bytes;
	else
		c->pos = cmux_ring_lines(p, lines >= 0 ?
						    (uint64_t)lines :
						    CMUX_DEFAULT_HISTORY_LINES);
	pthread_mutex_unlock(&p->lock);
out:
	json_object_put(req);
	return error;
}

/*
 * Read the request line. Bytes are peeked and only those up to its
 * newline consumed, so frames sent right behind it are left for
 * cmux_client_read_frames().
 */
static void cmux_client_hello(struct cmux_client *c)
{
	size_t room = CMUX_HELLO_MAX - c->hello_len;
	ssize_t n = recv(c->fd, c->hello + c->hello_len, room,
			 MSG_PEEK | MSG_DONTWAIT);
	char *nl;
	size_t take;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		cmux_client_free(c);
		return;
	}
	nl = memchr(c->hello + c->hello_len, '\n', (size_t)n);
	take = nl ? (size_t)(nl - (c->hello + c->hello_len)) + 1 : (size_t)n;
	if (recv(c->fd, c->hello + c->hello_len, take, MSG_DONTWAIT) !=
	    (ssize_t)take) {
		cmux_client_free(c);
		return;
	}
	c->hello_len += take;
	if (!nl) {
		if (c->hello_len == CMUX_HELLO_MAX) {
			cmux_client_want_read(c, false);
			cmux_client_answer(c, "The console request is longer than 4 KiB.");
		}
		return;
	}
	c->hello[c->hello_len - 1] = '\0';
	cmux_client_answer(c, cmux_client_request(c, c->hello,
						  c->hello_len - 1));
}

/* A complete WINSIZE payload from the client. */
static void cmux_client_winsize(struct cmux_client *c)
{
	struct cmux_port *p = c->port;
	unsigned rows = (unsigned)c->rd_ws[0] << 8 | c->rd_ws[1];
	unsigned cols = (unsigned)c->rd_ws[2] << 8 | c->rd_ws[3];

	if (c->writer && p->guest.winsize)
		p->guest.winsize(p->guest.opaque, rows, cols);
}

/*
 * Read frames: the writer's DATA goes to the guest as fast as the
 * device takes it (the client is not read while the input queue is
 * full), a viewer's is dropped; WINSIZE from the writer sets the size.
 * Anything else a client may not send ends its connection. Returns
 * false when the client was freed.
 */
static bool cmux_client_read_frames(struct cmux_client *c)
{
	for (int turn = 0; turn < CMUX_READS_PER_TURN; turn++) {
		uint8_t buf[CMUX_INPUT_BUF];
		size_t want;
		ssize_t n;

		if (c->rd_hdr_len < CONSOLE_FRAME_HEADER) {
			n = recv(c->fd, c->rd_hdr + c->rd_hdr_len,
				 CONSOLE_FRAME_HEADER - c->rd_hdr_len,
				 MSG_DONTWAIT);
		} else {
			want = c->rd_left < sizeof(buf) ? c->rd_left :
							  sizeof(buf);
			if (c->rd_type == CONSOLE_FRAME_DATA && c->writer) {
				size_t room = cmux_port_input_room(c->port);

				if (!room) {
					c->input_blocked = true;
					cmux_client_want_read(c, false);
					return true;
				}
				if (want > room)
					want = room;
			}
			n = recv(c->fd, buf, want, MSG_DONTWAIT);
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0)
			goto out_free;
		if (c->rd_hdr_len < CONSOLE_FRAME_HEADER) {
			long len;

			c->rd_hdr_len += (size_t)n;
			if (c->rd_hdr_len < CONSOLE_FRAME_HEADER)
				continue;
			len = console_frame_parse(c->rd_hdr, &c->rd_type);
			if (len < 0 ||
			    (c->rd_type != CONSOLE_FRAME_DATA &&
			     c->rd_type != CONSOLE_FRAME_WINSIZE) ||
			    (c->rd_type == CONSOLE_FRAME_WINSIZE && len != 4)) {
				log_debug("%s: closing a console client that sent a frame it may not send (type 0x%02x).",
					  __func__, c->rd_hdr[0]);
				goto out_free;
			}
			c->rd_left = (uint32_t)len;
			c->rd_ws_len = 0;
		} else if (c->rd_type == CONSOLE_FRAME_WINSIZE) {
			memcpy(c->rd_ws + c->rd_ws_len, buf, (size_t)n);
			c->rd_ws_len += (size_t)n;
			c->rd_left -= (uint32_t)n;
		} else {
			if (c->writer)
				cmux_port_input(c->port, buf, (size_t)n);
			c->rd_left -= (uint32_t)n;
		}
		if (c->rd_left == 0) {
			if (c->rd_type == CONSOLE_FRAME_WINSIZE)
				cmux_client_winsize(c);
			c->rd_hdr_len = 0;
		}
	}
	return true;
out_free:
	cmux_client_free(c);
	return false;
}

static void cmux_client_readable(evutil_socket_t fd, short what, void *arg)
{
	struct cmux_client *c = arg;

	switch (c->state) {
	case CMUX_HELLO:
		cmux_client_hello(c);
		break;
	case CMUX_STREAM:
		cmux_client_read_frames(c);
		break;
	case CMUX_CLOSING:
		/* Not listening any more; wait for the last bytes to go. */
		cmux_client_want_read(c, false);
		break;
	}
}

static void cmux_client_free(struct cmux_client *c)
{
	struct cmux_client **pp;

	for (pp = &c->mux->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->mux->nr_clients--;
			break;
		}
	}
	if (c->port && c->port->writer == c)
		c->port->writer = NULL;
	if (c->rd_ev)
		event_free(c->rd_ev);
	if (c->wr_ev)
		event_free(c->wr_ev);
	close(c->fd);
	free(c);
}

int cmux_accept_fd(struct cmux *mux, int fd)
{
	struct cmux_client *c;

	if (mux->nr_clients >= CMUX_MAX_CLIENTS) {
		log_warn("%s: refusing a console client: %d are attached already.",
			 __func__, CMUX_MAX_CLIENTS);
		close(fd);
		return -EMFILE;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->mux = mux;
	c->fd = fd;
	c->state = CMUX_HELLO;
	evutil_make_socket_nonblocking(fd);
	c->rd_ev = event_new(mux->base, fd, EV_READ | EV_PERSIST,
			     cmux_client_readable, c);
	c->wr_ev = event_new(mux->base, fd, EV_WRITE | EV_PERSIST,
			     cmux_client_writable, c);
	c->next = mux->clients;
	mux->clients = c;
	mux->nr_clients++;
	if (!c->rd_ev || !c->wr_ev) {
		cmux_client_free(c);
		return -ENOMEM;
	}
	cmux_client_want_read(c, true);
	return 0;
}

static void cmux_on_accept(struct evconnlistener *l, evutil_socket_t fd,
			   struct sockaddr *sa, int socklen, void *arg)
{
	cmux_accept_fd(arg, fd);
}

/* -- the multiplexer -------------------------------------------------- */

int cmux_new(struct event_base *base, const struct cmux_config *cfg,
	     struct cmux **out)
{
	struct cmux *mux;

	if (cfg->ring_size < CMUX_MIN_SIZE || cfg->ring_size > CMUX_MAX_RING ||
	    cfg->log_size < CMUX_MIN_SIZE)
		return -EINVAL;
	mux = calloc(1, sizeof(*mux));
	if (!mux)
		return -ENOMEM;
	mux->base = base;
	mux->cfg = *cfg;
	*out = mux;
	return 0;
}

char *cmux_log_path(const char *path, enum cmux_console which)
{
	size_t len = strlen(path);
	char *s;

	if (which == CMUX_SERIAL)
		return strdup(path);
	/* DIR/console.log -> DIR/console-virtio.log, as docs/console.md. */
	if (len >= 4 && !strcmp(path + len - 4, ".log")) {
		if (asprintf(&s, "%.*s-virtio.log", (int)(len - 4), path) < 0)
			return NULL;
		return s;
	}
	if (asprintf(&s, "%s-virtio", path) < 0)
		return NULL;
	return s;
}

static void cmux_port_free(struct cmux_port *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	cmux_log_flush(p);
	pthread_mutex_unlock(&p->lock);
	if (p->log_fd >= 0)
		close(p->log_fd);
	if (p->wake_ev)
		event_free(p->wake_ev);
	if (p->retry_ev)
		event_free(p->retry_ev);
	pthread_mutex_destroy(&p->lock);
	free(p->log_path);
	free(p->ring);
	free(p);
}

int cmux_add_port(struct cmux *mux, enum cmux_console which,
		  const char *log_path, const struct cmux_guest *guest,
		  struct cmux_port **out)
{
	struct cmux_port *p;
	struct stat st;
	int rc = -ENOMEM;

	if (which >= CMUX_NR_CONSOLES || mux->ports[which])
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	p->mux = mux;
	p->which = which;
	p->log_fd = -1;
	p->ring_size = mux->cfg.ring_size;
	p->log_max = mux->cfg.log_size;
	p->ring = malloc(p->ring_size);
	p->wake_ev = event_new(mux->base, -1, 0, cmux_port_wake, p);
	p->retry_ev = event_new(mux->base, -1, 0, cmux_port_retry, p);
	if (guest)
		p->guest = *guest;
	if (!p->ring || !p->wake_ev || !p->retry_ev)
		goto out_free;
	if (log_path) {
		p->log_path = strdup(log_path);
		if (!p->log_path)
			goto out_free;
		p->log_fd = open(log_path,
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
				 0600);
		if (p->log_fd < 0 || fstat(p->log_fd, &st) < 0) {
			rc = -errno;
			hv_error("Cannot open the %s console log %s: %s.",
				 cmux_names[which], log_path, strerror(-rc));
			goto out_free;
		}
		p->log_len = (uint64_t)st.st_size;
	}
	mux->ports[which] = p;
	*out = p;
	return 0;
out_free:
	cmux_port_free(p);
	return rc;
}

int cmux_listen(struct cmux *mux, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int rc;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		hv_error("The console socket path %s is too long.", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	mux->path = strdup(path);
	if (!mux->path)
		return -ENOMEM;
	unlink(path);
	old_mask = umask(0177);
	errno = 0;
	mux->listener = evconnlistener_new_bind(
		mux->base, cmux_on_accept, mux,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (!mux->listener) {
		rc = errno ? -errno : -ENOMEM;
		hv_error("Cannot listen on the console socket %s: %s.", path,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

void cmux_vm_stopped(struct cmux *mux, const char *why)
{
	struct cmux_client *c, *next;

	if (!mux || mux->end_reason)
		return;
	mux->end_reason = strdup(why);
	if (!mux->end_reason)
		return;
	for (c = mux->clients; c; c = next) {
		next = c->next;
		if (c->state == CMUX_STREAM && !c->wr_on)
			cmux_client_pump(c);
	}
}

static long long cmux_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The event loop will not run again: write each client what it is owed
 * and END, waiting for room until a shared deadline.
 */
static void cmux_flush_clients(struct cmux *mux)
{
	long long deadline = cmux_now_ms() + CMUX_FLUSH_MS;

	for (struct cmux_client *c = mux->clients; c; c = c->next) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

		for (;;) {
			long long left;
			ssize_t n;

			if (c->out_off == c->out_len &&
			    !cmux_client_next_frame(c))
				break;
			n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				c->out_off += (size_t)n;
				continue;
			}
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				break;
			left = deadline - cmux_now_ms();
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				break;
		}
	}
}

void cmux_free(struct cmux *mux)
{
	if (!mux)
		return;
	if (!mux->end_reason)
		mux->end_reason = strdup("keel-hv is exiting.");
	cmux_flush_clients(mux);
	while (mux->clients)
		cmux_client_free(mux->clients);
	if (mux->listener) {
		evconnlistener_free(mux->listener);
		unlink(mux->path);
	}
	for (int i = 0; i < CMUX_NR_CONSOLES; i++)
		cmux_port_free(mux->ports[i]);
	free(mux->end_reason);
	free(mux->path);
	free(mux);
}
