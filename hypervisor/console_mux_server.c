// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console socket (docs/console.md): clients of the multiplexer's
 * ports, one writer and any number of viewers per console, speaking
 * the frames of lib/console_proto.h after a one-line JSON request.
 *
 * A client is served from the port's ring: the I/O thread copies at
 * most one frame per client at a time out of the ring and writes it
 * without blocking. A client keeps a read position in the ring; when
 * the ring overwrites what it has not been sent, it skips to the oldest
 * byte held and is told how many it lost (MISSED). So what a client
 * holds up is its socket buffer plus one frame, and keel-hv's memory
 * does not grow with slow clients.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
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
#include "console_mux_internal.h"
#include "hv_error.h"
#include "jsonrpc.h"
#include "log.h"
#include "monotime.h"

static void cmux_client_free(struct cmux_client *c);

void cmux_client_want_read(struct cmux_client *c, bool on)
{
	if (on == c->rd_on)
		return;
	if (on)
		event_add(c->rd_ev, NULL);
	else
		event_del(c->rd_ev);
	c->rd_on = on;
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
void cmux_client_pump(struct cmux_client *c)
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

/*
 * The event loop will not run again: write each client what it is owed
 * and END, waiting for room until a shared deadline.
 */
static void cmux_flush_clients(struct cmux *mux)
{
	long long deadline = monotime_ms() + CMUX_FLUSH_MS;

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
			left = deadline - monotime_ms();
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				break;
		}
	}
}

void cmux_server_close(struct cmux *mux)
{
	cmux_flush_clients(mux);
	while (mux->clients)
		cmux_client_free(mux->clients);
	if (mux->listener) {
		evconnlistener_free(mux->listener);
		unlink(mux->path);
	}
	free(mux->path);
	mux->listener = NULL;
	mux->path = NULL;
}
