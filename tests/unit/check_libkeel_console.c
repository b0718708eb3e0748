// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libkeel's consoles (lib/libkeel_console.c) against a fake keeld: a
 * thread on a UNIX socket in a temporary directory that answers
 * domain.open_console and then speaks frames (lib/console_proto.h) as scripted,
 * split across reads or glued to the reply line, and records every byte
 * the client sends after its request. What is checked: the params
 * domain.open_console sends, keeld's and local errors, frames however they are
 * cut, frames the protocol does not allow, a peer that goes away, and
 * the frames keel_console_write() and keel_console_resize() send.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "keel.h"
#include "runner.h"

/* One exchange of the fake keeld's script. */
struct step {
	bool accept;		/* hang up and take the next connection */
	bool read;		/* read one request line first */
	int delay_ms;		/* then wait this long */
	/* then, in one send, this text ("$ID": the request's id) ... */
	const char *send;
	/* ... these bytes ... */
	const char *raw;
	size_t raw_len;
	size_t fill;		/* ... and a DATA frame of this many 'x' */
	bool close;		/* then hang up */
};

/* Binary bytes from a string literal, NULs included. */
#define RAW(lit) .raw = (lit), .raw_len = sizeof(lit) - 1

#define MAX_REQUESTS 16

struct fake {
	char dir[64];
	char path[96];
	int listen_fd;
	pthread_t thread;
	const struct step *steps;
	size_t nr_steps;
	/* Read after fake_stop(): the requests, and the bytes after them. */
	struct json_object *req[MAX_REQUESTS];
	size_t nr_req;
	char *rx;
	size_t rx_len;
};

/* Read one line from @fd byte by byte (never past it), or NULL at EOF. */
static char *read_line(int fd)
{
	size_t len = 0, cap = 256;
	char *line = malloc(cap), ch;
	ssize_t n;

	while (line) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(line);
			return NULL;
		}
		if (len + 2 > cap) {
			char *p = realloc(line, cap *= 2);

			if (!p)
				free(line);
			line = p;
			if (!line)
				break;
		}
		line[len++] = ch;
		if (ch == '\n') {
			line[len] = '\0';
			return line;
		}
	}
	return NULL;
}

static void send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* @s's text ($ID replaced), raw bytes and filler frame, sent as one. */
static void send_step(int fd, const struct step *s, const char *id)
{
	size_t cap = 4096 + s->raw_len + s->fill + 5, len = 0;
	char *out = malloc(cap);
	const char *text = s->send, *p;

	ck_assert_ptr_nonnull(out);
	while (text && (p = strstr(text, "$ID"))) {
		memcpy(out + len, text, (size_t)(p - text));
		len += (size_t)(p - text);
		memcpy(out + len, id, strlen(id));
		len += strlen(id);
		text = p + 3;
	}
	if (text) {
		memcpy(out + len, text, strlen(text));
		len += strlen(text);
	}
	if (s->raw_len) {
		memcpy(out + len, s->raw, s->raw_len);
		len += s->raw_len;
	}
	if (s->fill) {
		out[len++] = 'D';
		out[len++] = (char)(s->fill >> 24);
		out[len++] = (char)(s->fill >> 16);
		out[len++] = (char)(s->fill >> 8);
		out[len++] = (char)s->fill;
		memset(out + len, 'x', s->fill);
		len += s->fill;
	}
	send_all(fd, out, len);
	free(out);
}

static void record_rx(struct fake *f, int fd)
{
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		f->rx = realloc(f->rx, f->rx_len + (size_t)n);
		memcpy(f->rx + f->rx_len, buf, (size_t)n);
		f->rx_len += (size_t)n;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	char id[32] = "null", *line;
	int fd;

	fd = accept(f->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (size_t i = 0; i < f->nr_steps; i++) {
		const struct step *s = &f->steps[i];

		if (s->accept) {
			close(fd);
			fd = accept(f->listen_fd, NULL, NULL);
			if (fd < 0)
				return NULL;
		}
		if (s->read) {
			struct json_object *req, *v;

			line = read_line(fd);
			if (!line)
				goto out_close;
			req = json_tokener_parse(line);
			free(line);
			if (f->nr_req < MAX_REQUESTS)
				f->req[f->nr_req++] = req;
			else
				json_object_put(req);
			if (json_object_object_get_ex(req, "id", &v))
				snprintf(id, sizeof(id), "%s",
					 json_object_to_json_string(v));
		}
		if (s->delay_ms)
			usleep((useconds_t)s->delay_ms * 1000);
		if (s->send || s->raw_len || s->fill)
			send_step(fd, s, id);
		if (s->close)
			goto out_close;
	}
	/* Script done: record what else comes until the client leaves. */
	record_rx(f, fd);
out_close:
	close(fd);
	return NULL;
}

/* The running test's fake, so that a failed assertion leaves no directory. */
static struct fake *fake_current;

static void fake_remove_dir(void)
{
	if (!fake_current)
		return;
	unlink(fake_current->path);
	rmdir(fake_current->dir);
	fake_current = NULL;
}

static void fake_start(struct fake *f, const struct step *steps, size_t n)
{
	static bool registered;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (!registered && atexit(fake_remove_dir) == 0)
		registered = true;
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/check_libkeel_console.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/keeld.sock", f->dir);
	fake_current = f;
	memcpy(addr.sun_path, f->path, sizeof(f->path));
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->listen_fd, 0);
	ck_assert_int_eq(bind(f->listen_fd, (struct sockaddr *)&addr,
			      sizeof(addr)), 0);
	ck_assert_int_eq(listen(f->listen_fd, 4), 0);
	f->steps = steps;
	f->nr_steps = n;
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Wait for the fake to finish (the client must have closed) and clean up. */
static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	if (fake_current == f)
		fake_current = NULL;
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->nr_req; i++)
		json_object_put(f->req[i]);
	f->nr_req = 0;
	free(f->rx);
	f->rx = NULL;
}

static struct keel_conn *fake_connect(struct fake *f)
{
	struct keel_conn *c = NULL;
	char *err = NULL;

	ck_assert_msg(keel_connect(f->path, &c, &err) == 0, "connect: %s",
		      err ? err : "?");
	ck_assert_ptr_nonnull(c);
	return c;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Request @i was @method with @params (JSON text) and id @id. */
static void assert_request(const struct fake *f, size_t i, int id,
			   const char *method, const char *params)
{
	struct json_object *req, *v, *want;

	ck_assert_msg(i < f->nr_req, "request %zu was not sent (%zu were)", i,
		      f->nr_req);
	req = f->req[i];
	ck_assert_ptr_nonnull(req);
	ck_assert(json_object_object_get_ex(req, "method", &v));
	ck_assert_str_eq(json_object_get_string(v), method);
	ck_assert(json_object_object_get_ex(req, "id", &v));
	ck_assert_int_eq(json_object_get_int64(v), id);
	ck_assert(json_object_object_get_ex(req, "params", &v));
	want = json_tokener_parse(params);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(v, want), "%s: params %s, want %s",
		      method, json_object_to_json_string(v), params);
	json_object_put(want);
}

static void assert_error(const struct keel_error *e, int code,
			 const char *name)
{
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(e->code == code, "error %d (%s: %s), want %d", e->code,
		      e->name, e->message, code);
	ck_assert_str_eq(e->name, name);
	ck_assert_ptr_nonnull(e->message);
	ck_assert(strlen(e->message) > 0);
}

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
#define REPLY(result) "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":" result "}\n"
#define ERROR(body) "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"error\":" body "}\n"
#define WRITER REPLY("{\"role\":\"writer\"}")
#define VIEWER REPLY("{\"role\":\"viewer\"}")

/*
 * The next frame, waiting up to 5 s: keel_console_read() until it has
 * one, polling its fd in between. Returns its 1 or -1; fails on timeout.
 */
static int next_frame(struct keel_console *con, struct keel_console_frame *f)
{
	struct pollfd pfd = { .fd = keel_console_fd(con), .events = POLLIN };
	int rc;

	for (;;) {
		rc = keel_console_read(con, f);
		if (rc != 0)
			return rc;
		ck_assert_msg(poll(&pfd, 1, 5000) == 1,
			      "no frame came within 5 s");
	}
}

/* The next frame is DATA with exactly @want. */
static void expect_data(struct keel_console *con, const char *want)
{
	struct keel_console_frame f;

	ck_assert_int_eq(next_frame(con, &f), 1);
	ck_assert_int_eq(f.kind, KEEL_CONSOLE_DATA);
	ck_assert_uint_eq(f.len, strlen(want));
	ck_assert(memcmp(f.data, want, f.len) == 0);
}

static struct keel_console *open_console(struct keel_conn *c,
					 const struct keel_console_opts *o)
{
	struct keel_console *con = NULL;
	int rc = keel_console_open(c, "web", o, &con);

	ck_assert_msg(rc == 0, "domain.open_console: %s",
		      keel_last_error(c)->message);
	ck_assert_ptr_nonnull(con);
	return con;
}

/* What each set of options sends, and the role answered. */
START_TEST(test_open_requests)
{
	static const struct step steps[] = {
		{ .read = true, .send = WRITER },
		{ .accept = true, .read = true, .send = VIEWER },
		{ .accept = true, .read = true, .send = WRITER },
		{ .accept = true, .read = true, .send = WRITER },
	};
	struct keel_console_opts o = KEEL_CONSOLE_OPTS_INIT;
	struct keel_console *con = NULL;
	struct keel_conn *c;
	struct fake f;

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_WRITER);
	ck_assert_int_ge(keel_console_fd(con), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);

	o.console = "virtio";
	o.read_only = true;
	o.history_lines = 0;
	c = fake_connect(&f);
	ck_assert_int_eq(keel_console_open(c, UUID, &o, &con), 0);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_VIEWER);
	keel_console_close(con);

	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.force = true;
	o.history_bytes = 1048576;
	con = open_console(fake_connect(&f), &o);
	keel_console_close(con);

	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.console = "serial";
	o.history_lines = 100;
	con = open_console(fake_connect(&f), &o);
	keel_console_close(con);
	fake_stop(&f);

	/* Each connection's first request: id 1. */
	assert_request(&f, 0, 1, "domain.open_console",
		       "{\"name\":\"web\",\"mode\":\"write\"}");
	assert_request(&f, 1, 1, "domain.open_console",
		       "{\"uuid\":\"" UUID "\",\"console\":\"virtio\","
		       "\"mode\":\"view\",\"history_lines\":0}");
	assert_request(&f, 2, 1, "domain.open_console",
		       "{\"name\":\"web\",\"mode\":\"write\",\"force\":true,"
		       "\"history_bytes\":1048576}");
	assert_request(&f, 3, 1, "domain.open_console",
		       "{\"name\":\"web\",\"console\":\"serial\","
		       "\"mode\":\"write\",\"history_lines\":100}");
	ck_assert_uint_eq(f.nr_req, 4);
	fake_free(&f);
}
END_TEST

/*
 * Refused locally (nothing sent), refused by keeld (the connection
 * stays usable), and an answer that is not what the API says (the
 * connection is closed: the stream may already follow).
 */
START_TEST(test_open_errors)
{
	static const struct step steps[] = {
		{ .read = true,
		  .send = ERROR("{\"code\":-32001,\"message\":\"No domain is named \\\"nope\\\".\"}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32005,\"message\":\"The read-only socket only allows mode view.\"}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32003,\"message\":\"Another client is the writer; use force to take over.\"}") },
		{ .read = true, .send = REPLY("{\"any\":1}") },
		{ .read = true, .send = REPLY("{\"role\":\"king\"}") },
	};
	struct keel_console_opts o = KEEL_CONSOLE_OPTS_INIT;
	struct keel_console *con = NULL;
	struct json_object *res = NULL;
	struct keel_conn *c;
	struct fake f;

	fake_start(&f, steps, N(steps));
	c = fake_connect(&f);

	ck_assert_int_eq(keel_console_open(NULL, "web", NULL, &con), -1);
	ck_assert_int_eq(keel_console_open(c, "web", NULL, NULL), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_console_open(c, NULL, NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_console_open(c, "", NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	o.history_lines = 10;
	o.history_bytes = 10;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert(strstr(keel_last_error(c)->message, "not both"));
	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.history_lines = -2;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.read_only = true;
	o.force = true;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_ptr_null(con);

	ck_assert_int_eq(keel_console_open(c, "nope", NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_NO_DOMAIN, "no-domain");
	ck_assert_str_eq(keel_last_error(c)->message,
			 "No domain is named \"nope\".");
	ck_assert_ptr_null(con);
	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_PERMISSION, "permission");
	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_INVALID_STATE,
		     "invalid-state");
	/* Still a connection that makes calls. */
	ck_assert_int_eq(keel_call(c, "host.info", NULL, &res), 0);
	json_object_put(res);

	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	assert_error(keel_last_error(c), KEEL_E_PROTOCOL, "protocol");
	ck_assert_ptr_null(con);
	ck_assert_int_eq(keel_call(c, "host.info", NULL, &res), -1);
	assert_error(keel_last_error(c), KEEL_E_CONNECTION, "connection");
	keel_close(c);
	fake_stop(&f);

	/* The local refusals sent nothing. */
	ck_assert_uint_eq(f.nr_req, 5);
	assert_request(&f, 0, 1, "domain.open_console", "{\"name\":\"nope\",\"mode\":\"write\"}");
	fake_free(&f);
}
END_TEST

/*
 * The stream's first bytes come glued to the reply line (they are in
 * libkeel's line buffer when the console takes over); later frames
 * come cut anywhere, headers included, and several in one read.
 */
START_TEST(test_frames_split_and_glued)
{
	static const struct step steps[] = {
		{ .read = true, .send = WRITER, RAW("D\0\0\0\x05hel") },
		{ .delay_ms = 30, RAW("lo") },
		{ .delay_ms = 30, RAW("D") },
		{ .delay_ms = 30, RAW("\0\0") },
		{ .delay_ms = 30, RAW("\0\x06") },
		{ .delay_ms = 30, RAW(" world") },
		{ .delay_ms = 30, RAW("D\0\0\0\x01!D\0\0\0\0D\0\0\0\x02\r\nM\0\0\0\x08\0\0\0\x01\0\0\0\x02") },
		{ .delay_ms = 30, RAW("R\0\0\0\x06viewerR\0\0\0\x06wri") },
		{ .delay_ms = 30, RAW("terE\0\0\0\x13The domain\nstopped.") },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake f;

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	expect_data(con, "hello");
	expect_data(con, " world");
	expect_data(con, "!");
	/* The empty DATA frame carries nothing: skipped. */
	expect_data(con, "\r\n");

	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_MISSED);
	ck_assert_uint_eq(fr.missed, 0x100000002ULL);

	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_ROLE);
	ck_assert_int_eq(fr.role, KEEL_CONSOLE_VIEWER);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_VIEWER);
	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_ROLE);
	ck_assert_int_eq(fr.role, KEEL_CONSOLE_WRITER);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_WRITER);

	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_END);
	/* Control characters read as spaces: the CLI prints it. */
	ck_assert_str_eq(fr.data, "The domain stopped.");
	ck_assert_uint_eq(fr.len, strlen("The domain stopped."));

	/* Over: reads and writes fail, saying so. */
	ck_assert_int_eq(keel_console_read(con, &fr), -1);
	assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	ck_assert_int_eq(keel_console_resize(con, 24, 80), -1);
	keel_console_close(con);
	fake_stop(&f);
	/* Nothing was sent after the END. */
	ck_assert_uint_eq(f.rx_len, 0);
	fake_free(&f);
}
END_TEST

/*
 * The reply, whole frames and the END in one send: all of it may sit
 * in libkeel's line buffer, and none of it may be lost. Then a frame of
 * the largest payload, most of it beyond what the line buffer read.
 */
START_TEST(test_frames_in_line_buffer)
{
	static const struct step steps[] = {
		{ .read = true, .send = WRITER,
		  RAW("D\0\0\0\x03oneD\0\0\0\x03twoM\0\0\0\x08\0\0\0\0\0\0\0\x07") },
		{ .delay_ms = 30, .fill = 65536 },
		{ .delay_ms = 30, RAW("D\0\0\0\x01.E\0\0\0\0") },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake f;
	size_t got = 0;

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	expect_data(con, "one");
	expect_data(con, "two");
	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_MISSED);
	ck_assert_uint_eq(fr.missed, 7);
	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_DATA);
	ck_assert_uint_eq(fr.len, 65536);
	for (size_t i = 0; i < fr.len; i++)
		got += fr.data[i] == 'x';
	ck_assert_uint_eq(got, 65536);
	expect_data(con, ".");
	ck_assert_int_eq(next_frame(con, &fr), 1);
	ck_assert_int_eq(fr.kind, KEEL_CONSOLE_END);
	ck_assert_str_eq(fr.data, "");
	keel_console_close(con);
	fake_stop(&f);
	fake_free(&f);
}
END_TEST

/* Frames the protocol does not allow, after a good one. */
static const struct {
	const char *bytes;
	size_t len;
	const char *says;
} bad_frames[] = {
#define BAD(lit, says) { lit, sizeof(lit) - 1, says }
	BAD("X\0\0\0\x01" "a", "unknown type 0x58"),
	BAD("\0\0\0\0\0", "unknown type 0x00"),
	BAD("D\0\x01\0\x01", "65537 bytes"),
	BAD("D\xff\xff\xff\xff", "more than the limit"),
	BAD("M\0\0\0\x07\0\0\0\0\0\0\x01", "not what the protocol says"),
	BAD("R\0\0\0\x04king", "not what the protocol says"),
	BAD("W\0\0\0\x04\0\x18\0\x50", "WINSIZE"),
#undef BAD
};

START_TEST(test_bad_frames)
{
	struct step steps[] = {
		{ .read = true, .send = WRITER, RAW("D\0\0\0\x02ok") },
		{ .delay_ms = 20, .raw = bad_frames[_i].bytes,
		  .raw_len = bad_frames[_i].len },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake f;

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	expect_data(con, "ok");
	ck_assert_int_eq(next_frame(con, &fr), -1);
	assert_error(keel_console_last_error(con), KEEL_E_PROTOCOL,
		     "protocol");
	ck_assert_msg(strstr(keel_console_last_error(con)->message,
			     bad_frames[_i].says),
		      "%s", keel_console_last_error(con)->message);
	/* Every later call fails with the same error; no crash. */
	ck_assert_int_eq(keel_console_read(con, &fr), -1);
	assert_error(keel_console_last_error(con), KEEL_E_PROTOCOL,
		     "protocol");
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	keel_console_close(con);
	fake_stop(&f);
	ck_assert_uint_eq(f.rx_len, 0);
	fake_free(&f);
}
END_TEST

/* keeld goes away: in the middle of a frame, or between frames. */
START_TEST(test_peer_closes)
{
	struct step steps[] = {
		{ .read = true, .send = WRITER, RAW("D\0\0\0\x02ok") },
		{ .delay_ms = 20, .raw = _i ? "D\0\0\0\x10" "abc" : NULL,
		  .raw_len = _i ? 8 : 0, .close = true },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake f;

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	expect_data(con, "ok");
	ck_assert_int_eq(next_frame(con, &fr), -1);
	assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	ck_assert(strstr(keel_console_last_error(con)->message, "closed"));
	/* No SIGPIPE: MSG_NOSIGNAL, and the stream is known to be over. */
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	keel_console_close(con);
	fake_stop(&f);
	fake_free(&f);
}
END_TEST

/* What keel_console_write() and keel_console_resize() put on the wire. */
START_TEST(test_write)
{
	static const struct step steps[] = {
		{ .read = true, .send = WRITER },
	};
	static const char want_head[] = "D\0\0\0\x05hello"
					"W\0\0\0\x04\0\x18\0\x50"
					"W\0\0\0\x04\xff\xff\x01\0";
	struct keel_console *con;
	struct fake f;
	char *big = malloc(70000);
	int small = 4096;
	size_t off;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 70000; i++)
		big[i] = (char)('a' + i % 26);
	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	/* A small send buffer: the big write goes out in many pieces. */
	setsockopt(keel_console_fd(con), SOL_SOCKET, SO_SNDBUF, &small,
		   sizeof(small));
	ck_assert_int_eq(keel_console_write(con, "hello", 5), 0);
	ck_assert_int_eq(keel_console_write(con, "", 0), 0);
	ck_assert_int_eq(keel_console_resize(con, 24, 80), 0);
	ck_assert_int_eq(keel_console_resize(con, 65535, 256), 0);
	ck_assert_int_eq(keel_console_resize(con, 0, 80), -1);
	assert_error(keel_console_last_error(con), KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_console_resize(con, 24, 65536), -1);
	ck_assert_int_eq(keel_console_write(con, NULL, 3), -1);
	assert_error(keel_console_last_error(con), KEEL_E_LOCAL, "local");
	/* Local refusals leave the stream usable. */
	ck_assert_int_eq(keel_console_write(con, big, 70000), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);
	fake_stop(&f);

	ck_assert_uint_eq(f.rx_len, sizeof(want_head) - 1 + 5 + 65536 + 5 +
					    (70000 - 65536));
	ck_assert(memcmp(f.rx, want_head, sizeof(want_head) - 1) == 0);
	off = sizeof(want_head) - 1;
	ck_assert(memcmp(f.rx + off, "D\0\x01\0\0", 5) == 0);
	ck_assert(memcmp(f.rx + off + 5, big, 65536) == 0);
	off += 5 + 65536;
	ck_assert(memcmp(f.rx + off, "D\0\0\x11\x70", 5) == 0);
	ck_assert(memcmp(f.rx + off + 5, big + 65536, 70000 - 65536) == 0);
	free(big);
	fake_free(&f);
}
END_TEST

START_TEST(test_null_and_bad_args)
{
	static const struct step steps[] = {
		{ .read = true, .send = WRITER },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake f;

	keel_console_close(NULL);
	ck_assert_int_eq(keel_console_fd(NULL), -1);
	ck_assert_int_eq(keel_console_read(NULL, NULL), -1);
	ck_assert_int_eq(keel_console_write(NULL, "x", 1), -1);
	ck_assert_int_eq(keel_console_resize(NULL, 24, 80), -1);
	ck_assert_int_eq(keel_console_role(NULL), KEEL_CONSOLE_VIEWER);
	ck_assert_ptr_nonnull(keel_console_last_error(NULL));
	ck_assert_ptr_nonnull(keel_console_last_error(NULL)->message);

	fake_start(&f, steps, N(steps));
	con = open_console(fake_connect(&f), NULL);
	ck_assert_int_eq(keel_console_read(con, NULL), -1);
	assert_error(keel_console_last_error(con), KEEL_E_LOCAL, "local");
	/* Nothing has come: 0, and the console is still fine. */
	ck_assert_int_eq(keel_console_read(con, &fr), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);
	fake_stop(&f);
	fake_free(&f);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("libkeel_console");
	TCase *open = tcase_create("open");
	TCase *frames = tcase_create("frames");
	TCase *write = tcase_create("write");

	tcase_add_test(open, test_open_requests);
	tcase_add_test(open, test_open_errors);
	tcase_add_test(open, test_null_and_bad_args);
	suite_add_tcase(s, open);

	tcase_add_test(frames, test_frames_split_and_glued);
	tcase_add_test(frames, test_frames_in_line_buffer);
	tcase_add_loop_test(frames, test_bad_frames, 0, (int)N(bad_frames));
	tcase_add_loop_test(frames, test_peer_closes, 0, 2);
	suite_add_tcase(s, frames);

	tcase_add_test(write, test_write);
	suite_add_tcase(s, write);
	return s;
}
