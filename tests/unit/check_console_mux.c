// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The console multiplexer (hypervisor/console_mux.c) without KVM: the
 * test plays the device (cmux_port_output(), a fake guest input) and
 * the clients (socketpairs), and turns the event loop by hand. Ring
 * wrap-around, history by bytes and lines, MISSED for a client that
 * does not read, writer and viewer roles with takeover, END, log
 * rotation, and hostile clients: bad frame types, oversized frames,
 * garbage and oversized requests.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console_mux.h"
#include "console_proto.h"
#include "runner.h"

#define RING 4096

static struct event_base *base;
static struct cmux *mux;
static struct cmux_port *port;

/* The fake guest: what it was typed, and how much it takes per call. */
static uint8_t typed[65536];
static size_t typed_len;
static size_t take_max;
static unsigned last_rows, last_cols, winsize_calls;

static size_t guest_input(void *opaque, const uint8_t *buf, size_t len)
{
	if (len > take_max)
		len = take_max;
	if (len > sizeof(typed) - typed_len)
		len = sizeof(typed) - typed_len;
	memcpy(typed + typed_len, buf, len);
	typed_len += len;
	return len;
}

static void guest_winsize(void *opaque, unsigned rows, unsigned cols)
{
	last_rows = rows;
	last_cols = cols;
	winsize_calls++;
}

static const struct cmux_guest guest = {
	.input = guest_input,
	.winsize = guest_winsize,
};

static void mux_setup(size_t ring, const char *log, uint64_t log_size)
{
	struct cmux_config cfg = { .ring_size = ring, .log_size = log_size };

	ck_assert_int_eq(cmux_new(base, &cfg, &mux), 0);
	ck_assert_int_eq(cmux_add_port(mux, CMUX_SERIAL, log, &guest, &port),
			 0);
}

static void setup(void)
{
	evthread_use_pthreads();
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	typed_len = 0;
	take_max = SIZE_MAX;
	winsize_calls = last_rows = last_cols = 0;
	mux_setup(RING, NULL, 1 << 20);
}

static void teardown(void)
{
	cmux_free(mux);
	event_base_free(base);
}

/* Turn the event loop until nothing is left to do. */
static void spin(void)
{
	for (int i = 0; i < 64; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void output(const char *s)
{
	cmux_port_output(port, (const uint8_t *)s, strlen(s));
}

/* The test's end of a client connection, and what it has read. */
struct client {
	int fd;
	uint8_t *buf;
	size_t len, cap, off; /* off: parsed so far */
	bool eof;
};

static void client_read(struct client *c)
{
	for (;;) {
		ssize_t n;

		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 262144;
			c->buf = realloc(c->buf, c->cap);
			ck_assert_ptr_nonnull(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len,
			 MSG_DONTWAIT);
		/* A reset (we had unread bytes) is the end as well. */
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			c->eof = true;
		if (n <= 0)
			return;
		c->len += (size_t)n;
	}
}

/* Spin and read until the server has nothing more for @c. */
static void client_drain(struct client *c)
{
	size_t before;

	do {
		before = c->len;
		spin();
		client_read(c);
	} while (c->len != before);
}

static void client_send(struct client *c, const void *buf, size_t len)
{
	ck_assert_int_eq(send(c->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void client_frame(struct client *c, enum console_frame_type type,
			 const void *payload, size_t len)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];

	console_frame_header(hdr, type, (uint32_t)len);
	client_send(c, hdr, sizeof(hdr));
	if (len)
		client_send(c, payload, len);
}

/* Connect, send @request and return the answer line (malloc'd). */
static char *client_open(struct client *c, const char *request)
{
	int sv[2];
	uint8_t *nl;
	char *line;

	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv), 0);
	ck_assert_int_eq(cmux_accept_fd(mux, sv[0]), 0);
	c->fd = sv[1];
	client_send(c, request, strlen(request));
	client_drain(c);
	nl = memchr(c->buf, '\n', c->len);
	ck_assert_msg(nl != NULL, "no answer line to %s", request);
	line = strndup((char *)c->buf, (size_t)(nl - c->buf));
	c->off = (size_t)(nl - c->buf) + 1;
	return line;
}

static void client_close(struct client *c)
{
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

/* The next frame @c read; false if it has no whole frame yet. */
static bool client_frame_next(struct client *c, enum console_frame_type *type,
			      const uint8_t **payload, size_t *len)
{
	long n;

	if (c->len - c->off < CONSOLE_FRAME_HEADER)
		return false;
	n = console_frame_parse(c->buf + c->off, type);
	ck_assert_int_ge(n, 0);
	if (c->len - c->off < CONSOLE_FRAME_HEADER + (size_t)n)
		return false;
	*payload = c->buf + c->off + CONSOLE_FRAME_HEADER;
	*len = (size_t)n;
	c->off += CONSOLE_FRAME_HEADER + (size_t)n;
	return true;
}

/*
 * Everything @c was sent since the answer: DATA concatenated into @data
 * (NUL-terminated), MISSED summed, the last ROLE and END payloads.
 */
struct seen {
	char *data;
	size_t data_len;
	uint64_t missed;
	unsigned nr_missed;
	char role[16];
	char end[128];
	bool ended;
};

static void client_collect(struct client *c, struct seen *s)
{
	enum console_frame_type type;
	const uint8_t *p;
	size_t len;

	memset(s, 0, sizeof(*s));
	s->data = calloc(1, c->len + 1);
	ck_assert_ptr_nonnull(s->data);
	while (client_frame_next(c, &type, &p, &len)) {
		ck_assert_msg(!s->ended, "a frame after END");
		switch (type) {
		case CONSOLE_FRAME_DATA:
			memcpy(s->data + s->data_len, p, len);
			s->data_len += len;
			break;
		case CONSOLE_FRAME_MISSED:
			ck_assert_uint_eq(len, 8);
			for (int i = 0; i < 8; i++)
				s->missed = s->missed << 8 | p[i];
			s->nr_missed++;
			break;
		case CONSOLE_FRAME_ROLE:
			ck_assert_uint_lt(len, sizeof(s->role));
			memcpy(s->role, p, len);
			s->role[len] = '\0';
			break;
		case CONSOLE_FRAME_END:
			ck_assert_uint_lt(len, sizeof(s->end));
			memcpy(s->end, p, len);
			s->end[len] = '\0';
			s->ended = true;
			break;
		default:
			ck_abort_msg("frame type %c to a client", type);
		}
	}
}

static void seen_dispose(struct seen *s)
{
	free(s->data);
}

/* 30 numbered lines as a guest prints them. */
static void output_lines(void)
{
	char line[32];

	for (int i = 1; i <= 30; i++) {
		snprintf(line, sizeof(line), "line %02d\r\n", i);
		output(line);
	}
}

START_TEST(test_history_lines)
{
	struct client c;
	struct seen s;
	char *a;

	output_lines();
	a = client_open(&c, "{\"console\":\"serial\",\"mode\":\"view\"}\n");
	ck_assert_str_eq(a, "{\"ok\":true,\"role\":\"viewer\"}");
	free(a);
	client_collect(&c, &s);
	/* The default: a screenful, 24 lines. */
	ck_assert_msg(!strncmp(s.data, "line 07\r\n", 9), "got %s", s.data);
	ck_assert_uint_eq(s.data_len, 24 * 9);
	seen_dispose(&s);
	client_close(&c);

	a = client_open(&c, "{\"history_lines\":2}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_str_eq(s.data, "line 29\r\nline 30\r\n");
	seen_dispose(&s);
	client_close(&c);

	/* A prompt without a newline is the last line. */
	output("login: ");
	a = client_open(&c, "{\"history_lines\":1}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_str_eq(s.data, "login: ");
	seen_dispose(&s);
	client_close(&c);

	/* More lines than held: everything. */
	a = client_open(&c, "{\"history_lines\":1000}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_uint_eq(s.data_len, 30 * 9 + 7);
	seen_dispose(&s);

	/* Then live output follows. */
	output("root\r\n");
	client_drain(&c);
	client_collect(&c, &s);
	ck_assert_str_eq(s.data, "root\r\n");
	seen_dispose(&s);
	client_close(&c);
}
END_TEST

START_TEST(test_history_bytes_and_wrap)
{
	uint8_t big[3 * RING + 123];
	struct client c;
	struct seen s;
	char *a;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
	/* In pieces that straddle the end of the ring. */
	for (size_t off = 0; off < sizeof(big); off += 1000)
		cmux_port_output(port, big + off,
				 sizeof(big) - off < 1000 ? sizeof(big) - off :
							    1000);
	a = client_open(&c, "{\"history_bytes\":10}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_uint_eq(s.data_len, 10);
	ck_assert(!memcmp(s.data, big + sizeof(big) - 10, 10));
	seen_dispose(&s);
	client_close(&c);

	/* Asking for more than the ring holds gives the ring, no MISSED. */
	a = client_open(&c, "{\"history_bytes\":100000}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_uint_eq(s.data_len, RING);
	ck_assert_uint_eq(s.nr_missed, 0);
	ck_assert(!memcmp(s.data, big + sizeof(big) - RING, RING));
	seen_dispose(&s);
	client_close(&c);

	/* One write larger than the ring keeps its tail. */
	cmux_port_output(port, big, sizeof(big));
	a = client_open(&c, "{\"history_bytes\":0}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert_uint_eq(s.data_len, 0);
	seen_dispose(&s);
	client_close(&c);
	a = client_open(&c, "{\"history_bytes\":4096}\n");
	free(a);
	client_collect(&c, &s);
	ck_assert(!memcmp(s.data, big + sizeof(big) - RING, RING));
	seen_dispose(&s);
	client_close(&c);
}
END_TEST

/*
 * A viewer that does not read while 2 MiB go by: the output path never
 * waits, a reading viewer gets every byte, and the stalled one gets
 * MISSED with the exact count of what it lost, its data resuming at
 * the right place.
 */
START_TEST(test_missed)
{
	static uint8_t chunk[1000];
	const size_t total = 2 * 1024 * 1024;
	struct client slow, fast;
	struct seen s;
	uint64_t pos = 0;
	size_t fast_bytes = 0;
	char *a;

	a = client_open(&slow, "{\"history_lines\":0}\n");
	free(a);
	a = client_open(&fast, "{\"history_lines\":0}\n");
	free(a);
	for (size_t done = 0; done < total; done += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (uint8_t)((done + i) % 251);
		cmux_port_output(port, chunk, sizeof(chunk));
		spin();
		client_read(&fast);
	}
	client_drain(&fast);
	client_collect(&fast, &s);
	ck_assert_uint_eq(s.nr_missed, 0);
	fast_bytes = s.data_len;
	seen_dispose(&s);
	ck_assert_uint_eq(fast_bytes, (total + sizeof(chunk) - 1) /
					      sizeof(chunk) * sizeof(chunk));

	client_drain(&slow);
	client_collect(&slow, &s);
	ck_assert_uint_ge(s.nr_missed, 1);
	ck_assert_uint_eq(s.data_len + s.missed, fast_bytes);
	seen_dispose(&s);
	/* Walk the frames again: each DATA byte is where it should be. */
	slow.off = 0;
	{
		char *nl = memchr(slow.buf, '\n', slow.len);
		enum console_frame_type type;
		const uint8_t *p;
		size_t len;

		slow.off = (size_t)(nl - (char *)slow.buf) + 1;
		while (client_frame_next(&slow, &type, &p, &len)) {
			if (type == CONSOLE_FRAME_MISSED) {
				uint64_t m = 0;

				for (int i = 0; i < 8; i++)
					m = m << 8 | p[i];
				pos += m;
				continue;
			}
			for (size_t i = 0; i < len; i++, pos++)
				ck_assert_uint_eq(p[i], pos % 251);
		}
	}
	ck_assert_uint_eq(pos, fast_bytes);
	client_close(&slow);
	client_close(&fast);
}
END_TEST

START_TEST(test_roles_and_takeover)
{
	struct client w1, w2, v, refused;
	struct seen s;
	char *a;

	a = client_open(&w1, "{\"mode\":\"write\",\"history_lines\":0}\n");
	ck_assert_str_eq(a, "{\"ok\":true,\"role\":\"writer\"}");
	free(a);
	a = client_open(&v, "{\"mode\":\"view\",\"history_lines\":0}\n");
	free(a);

	client_frame(&w1, CONSOLE_FRAME_DATA, "ls\r", 3);
	client_frame(&v, CONSOLE_FRAME_DATA, "rm\r", 3);
	spin();
	ck_assert_uint_eq(typed_len, 3);
	ck_assert(!memcmp(typed, "ls\r", 3));

	a = client_open(&refused, "{\"mode\":\"write\"}\n");
	ck_assert_msg(strstr(a, "\"ok\":false") && strstr(a, "writer"),
		      "second writer: %s", a);
	free(a);
	client_drain(&refused);
	ck_assert(refused.eof);
	client_close(&refused);

	a = client_open(&w2, "{\"mode\":\"write\",\"force\":true,"
			     "\"history_lines\":0}\n");
	ck_assert_str_eq(a, "{\"ok\":true,\"role\":\"writer\"}");
	free(a);
	client_drain(&w1);
	client_collect(&w1, &s);
	ck_assert_str_eq(s.role, "viewer");
	seen_dispose(&s);

	client_frame(&w1, CONSOLE_FRAME_DATA, "old", 3);
	client_frame(&w2, CONSOLE_FRAME_DATA, "new", 3);
	spin();
	ck_assert_uint_eq(typed_len, 6);
	ck_assert(!memcmp(typed + 3, "new", 3));

	/* Everybody sees the same output. */
	output("same bytes\r\n");
	client_drain(&w1);
	client_drain(&w2);
	client_drain(&v);
	client_collect(&w2, &s);
	ck_assert_str_eq(s.data, "same bytes\r\n");
	seen_dispose(&s);
	client_collect(&v, &s);
	ck_assert_str_eq(s.data, "same bytes\r\n");
	seen_dispose(&s);

	/* The writer leaves: a new one needs no force. */
	client_close(&w2);
	spin();
	a = client_open(&w2, "{\"mode\":\"write\"}\n");
	ck_assert_str_eq(a, "{\"ok\":true,\"role\":\"writer\"}");
	free(a);
	client_close(&w2);
	client_close(&w1);
	client_close(&v);
}
END_TEST

/* The device takes 2 bytes at a time; the rest waits for rx_ready. */
START_TEST(test_input_retry)
{
	struct client w;
	char *a;

	take_max = 2;
	a = client_open(&w, "{\"mode\":\"write\"}\n");
	free(a);
	client_frame(&w, CONSOLE_FRAME_DATA, "0123456789", 10);
	spin();
	ck_assert_uint_eq(typed_len, 2);
	for (int i = 0; i < 10 && typed_len < 10; i++) {
		cmux_port_rx_ready(port);
		spin();
	}
	ck_assert_uint_eq(typed_len, 10);
	ck_assert(!memcmp(typed, "0123456789", 10));
	client_close(&w);
}
END_TEST

/* A guest that reads nothing: the writer is not read, memory is bounded. */
START_TEST(test_input_backpressure)
{
	static uint8_t lots[60000];
	struct client w;
	char *a;

	take_max = 0;
	a = client_open(&w, "{\"mode\":\"write\"}\n");
	free(a);
	memset(lots, 'x', sizeof(lots));
	client_frame(&w, CONSOLE_FRAME_DATA, lots, sizeof(lots));
	spin();
	ck_assert_uint_eq(cmux_port_input_room(port), 0);
	take_max = SIZE_MAX;
	for (int i = 0; i < 100 && typed_len < sizeof(lots); i++) {
		cmux_port_rx_ready(port);
		spin();
	}
	ck_assert_uint_eq(typed_len, sizeof(lots));
	client_close(&w);
}
END_TEST

START_TEST(test_winsize)
{
	const uint8_t ws[4] = { 0, 50, 0, 132 };
	struct client w, v;
	char *a;

	a = client_open(&w, "{\"mode\":\"write\"}\n");
	free(a);
	a = client_open(&v, "{}\n");
	free(a);
	client_frame(&v, CONSOLE_FRAME_WINSIZE, ws, 4);
	spin();
	ck_assert_uint_eq(winsize_calls, 0);
	client_frame(&w, CONSOLE_FRAME_WINSIZE, ws, 4);
	spin();
	ck_assert_uint_eq(winsize_calls, 1);
	ck_assert_uint_eq(last_rows, 50);
	ck_assert_uint_eq(last_cols, 132);
	/* The wrong length ends the connection. */
	client_frame(&w, CONSOLE_FRAME_WINSIZE, ws, 3);
	client_drain(&w);
	ck_assert(w.eof);
	client_close(&w);
	client_close(&v);
}
END_TEST

static void expect_closed_after(const char *request, const void *frame,
				size_t len)
{
	struct client c;
	char *a = client_open(&c, request);

	ck_assert_msg(strstr(a, "\"ok\":true"), "answer: %s", a);
	free(a);
	client_send(&c, frame, len);
	client_drain(&c);
	ck_assert_msg(c.eof, "still connected after a hostile frame");
	client_close(&c);
}

START_TEST(test_hostile_frames)
{
	const uint8_t bad_type[] = { 'X', 0, 0, 0, 1, 'a' };
	const uint8_t too_long[] = { 'D', 0, 1, 0, 1 }; /* 64 KiB + 1 */
	const uint8_t huge[] = { 'D', 0xff, 0xff, 0xff, 0xff };
	const uint8_t end_from_client[] = { 'E', 0, 0, 0, 0 };
	const uint8_t missed_from_client[] = { 'M', 0, 0, 0, 8 };

	expect_closed_after("{\"mode\":\"write\"}\n", bad_type,
			    sizeof(bad_type));
	expect_closed_after("{}\n", too_long, sizeof(too_long));
	expect_closed_after("{\"mode\":\"write\"}\n", huge, sizeof(huge));
	expect_closed_after("{}\n", end_from_client, sizeof(end_from_client));
	expect_closed_after("{}\n", missed_from_client,
			    sizeof(missed_from_client));
	ck_assert_uint_eq(typed_len, 0);
}
END_TEST

static void expect_refused(const char *request, const char *words)
{
	struct client c;
	char *a = client_open(&c, request);

	ck_assert_msg(strstr(a, "\"ok\":false") && strstr(a, words),
		      "%s answered %s", request, a);
	free(a);
	client_drain(&c);
	ck_assert_msg(c.eof, "%s: not closed", request);
	client_close(&c);
}

START_TEST(test_hostile_requests)
{
	static char longline[6000];
	struct client c;
	char *a;

	expect_refused("not json at all\n", "JSON");
	expect_refused("[1,2]\n", "JSON");
	expect_refused("{\"console\":\"virtio\"}\n", "virtio");
	expect_refused("{\"console\":\"ttyS9\"}\n", "console");
	expect_refused("{\"console\":7}\n", "console");
	expect_refused("{\"mode\":\"admin\"}\n", "mode");
	expect_refused("{\"force\":\"yes\"}\n", "force");
	expect_refused("{\"history_lines\":-1}\n", "history");
	expect_refused("{\"history_bytes\":\"10\"}\n", "history");
	expect_refused("{\"history_lines\":1,\"history_bytes\":1}\n",
		       "not both");
	expect_refused("{\"a\":1}{\n", "JSON");
	memset(longline, ' ', sizeof(longline));
	longline[sizeof(longline) - 1] = '\0';
	expect_refused(longline, "longer");

	/* A request in pieces is fine; frames right behind it are kept. */
	memset(&c, 0, sizeof(c));
	{
		int sv[2];
		uint8_t hdr[CONSOLE_FRAME_HEADER];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(cmux_accept_fd(mux, sv[0]), 0);
		c.fd = sv[1];
		client_send(&c, "{\"mode\":", 8);
		spin();
		console_frame_header(hdr, CONSOLE_FRAME_DATA, 2);
		client_send(&c, "\"write\"}\n", 9);
		client_send(&c, hdr, sizeof(hdr));
		client_send(&c, "hi", 2);
		client_drain(&c);
		a = strndup((char *)c.buf, c.len);
		ck_assert_msg(strstr(a, "\"role\":\"writer\""), "%s", a);
		free(a);
		ck_assert_uint_eq(typed_len, 2);
		client_close(&c);
	}
	/* A client that hangs up mid-request leaves nothing behind. */
	{
		int sv[2];

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(cmux_accept_fd(mux, sv[0]), 0);
		ck_assert_int_eq(write(sv[1], "{\"mo", 4), 4);
		close(sv[1]);
		spin();
	}
}
END_TEST

START_TEST(test_end)
{
	struct client c, late;
	struct seen s;
	char *a;

	a = client_open(&c, "{\"history_lines\":0}\n");
	free(a);
	output("Power down.\r\n");
	cmux_vm_stopped(mux, "The guest powered off.");
	cmux_vm_stopped(mux, "A second reason is ignored.");
	client_drain(&c);
	client_collect(&c, &s);
	ck_assert_str_eq(s.data, "Power down.\r\n");
	ck_assert(s.ended);
	ck_assert_str_eq(s.end, "The guest powered off.");
	ck_assert(c.eof);
	seen_dispose(&s);
	client_close(&c);

	/* Attaching afterwards still gives the history, then END. */
	a = client_open(&late, "{\"history_lines\":5}\n");
	ck_assert_str_eq(a, "{\"ok\":true,\"role\":\"viewer\"}");
	free(a);
	client_drain(&late);
	client_collect(&late, &s);
	ck_assert_str_eq(s.data, "Power down.\r\n");
	ck_assert_str_eq(s.end, "The guest powered off.");
	seen_dispose(&s);
	client_close(&late);
}
END_TEST

/* cmux_free() delivers what is owed and END, then closes. */
START_TEST(test_end_at_exit)
{
	struct client c;
	struct seen s;
	char *a;

	a = client_open(&c, "{\"history_lines\":0}\n");
	free(a);
	output("bye\r\n");
	cmux_free(mux);
	mux = NULL;
	client_read(&c);
	client_collect(&c, &s);
	ck_assert_str_eq(s.data, "bye\r\n");
	ck_assert_str_eq(s.end, "keel-hv is exiting.");
	seen_dispose(&s);
	client_read(&c);
	ck_assert(c.eof);
	client_close(&c);
}
END_TEST

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, cap);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

#define LOG_TOTAL 40000 /* 2500 lines of 16 bytes */

START_TEST(test_log_rotation)
{
	char dir[] = "/tmp/check-cmux-XXXXXX";
	char log[64], name[80];
	static char all[LOG_TOTAL + 1], got[LOG_TOTAL];
	size_t got_len = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/console.log", dir);
	cmux_free(mux);
	mux_setup(RING, log, 4096);
	for (size_t i = 0; i < LOG_TOTAL; i += 16) {
		snprintf(all + i, 17, "chatty %06zu\r\n", i / 16);
		cmux_port_output(port, (uint8_t *)all + i, 16);
		if (i % 1024 == 0)
			spin();
	}
	spin();
	ck_assert_int_le(file_size(log), 4096);
	for (int i = 3; i >= 1; i--) {
		snprintf(name, sizeof(name), "%s.%d", log, i);
		ck_assert_msg(file_size(name) > 0 && file_size(name) <= 4096,
			      "%s: %lld bytes", name,
			      (long long)file_size(name));
		got_len += read_file(name, got + got_len,
				     sizeof(got) - got_len);
	}
	snprintf(name, sizeof(name), "%s.4", log);
	ck_assert_int_eq(file_size(name), -1);
	got_len += read_file(log, got + got_len, sizeof(got) - got_len);
	/* The four files are the last bytes of the output, in order. */
	ck_assert(got_len > 3 * 4096 / 2);
	ck_assert(!memcmp(got, all + LOG_TOTAL - got_len, got_len));
	cmux_free(mux);
	mux = NULL;
	for (int i = 3; i >= 1; i--) {
		snprintf(name, sizeof(name), "%s.%d", log, i);
		unlink(name);
	}
	unlink(log);
	rmdir(dir);
}
END_TEST

START_TEST(test_log_paths)
{
	char *p = cmux_log_path("/run/keel/web/console.log", CMUX_VIRTIO);

	ck_assert_str_eq(p, "/run/keel/web/console-virtio.log");
	free(p);
	p = cmux_log_path("/run/keel/web/console.log", CMUX_SERIAL);
	ck_assert_str_eq(p, "/run/keel/web/console.log");
	free(p);
	p = cmux_log_path("/tmp/out", CMUX_VIRTIO);
	ck_assert_str_eq(p, "/tmp/out-virtio");
	free(p);
}
END_TEST

START_TEST(test_unwritable_log)
{
	struct cmux_config cfg = { .ring_size = RING, .log_size = 4096 };
	struct cmux_port *p2;

	ck_assert_int_eq(cmux_add_port(mux, CMUX_VIRTIO,
				       "/nonexistent/dir/console.log", &guest,
				       &p2),
			 -ENOENT);
	ck_assert_int_eq(cmux_add_port(mux, CMUX_SERIAL, NULL, &guest, &p2),
			 -EINVAL);
	cfg.ring_size = 100;
	ck_assert_int_eq(cmux_new(base, &cfg, &(struct cmux *){ NULL }),
			 -EINVAL);
}
END_TEST

START_TEST(test_socket)
{
	char dir[] = "/tmp/check-cmux-XXXXXX";
	char path[64];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/console.sock", dir);
	ck_assert_int_eq(cmux_listen(mux, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	cmux_free(mux);
	mux = NULL;
	ck_assert_int_ne(access(path, F_OK), 0);
	rmdir(dir);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("console_mux");
	TCase *tc = tcase_create("console_mux");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_history_lines);
	tcase_add_test(tc, test_history_bytes_and_wrap);
	tcase_add_test(tc, test_missed);
	tcase_add_test(tc, test_roles_and_takeover);
	tcase_add_test(tc, test_input_retry);
	tcase_add_test(tc, test_input_backpressure);
	tcase_add_test(tc, test_winsize);
	tcase_add_test(tc, test_hostile_frames);
	tcase_add_test(tc, test_hostile_requests);
	tcase_add_test(tc, test_end);
	tcase_add_test(tc, test_end_at_exit);
	tcase_add_test(tc, test_log_rotation);
	tcase_add_test(tc, test_log_paths);
	tcase_add_test(tc, test_unwritable_log);
	tcase_add_test(tc, test_socket);
	suite_add_tcase(s, tc);
	return s;
}
