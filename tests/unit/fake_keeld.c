// SPDX-License-Identifier: GPL-2.0-or-later
/* A scripted keeld on a UNIX socket, for libkeel's suites (fake_keeld.h). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "console_proto.h"
#include "fake_keeld.h"
#include "keel.h"

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

/* Send all of @buf; failures are the client's doing (it hung up). */
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

/* Append a result line of exactly @size bytes (newline included). */
static size_t put_big(char *out, const char *id, size_t size)
{
	int n = snprintf(out, size, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":\"",
			 id);

	memset(out + n, 'x', size - (size_t)n - 3);
	memcpy(out + size - 3, "\"}\n", 3);
	return size;
}

/* @s's text ($ID replaced), raw bytes, frame and big line, in one send. */
static void send_step(int fd, const struct fake_keeld_step *s,
		      const char *id)
{
	size_t cap = 4096 + s->raw_len + CONSOLE_FRAME_HEADER + s->fill +
		     s->big;
	const char *text = s->send, *p;
	char *out = malloc(cap);
	size_t len = 0;

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
		console_frame_header((uint8_t *)out + len, CONSOLE_FRAME_DATA,
				     (uint32_t)s->fill);
		len += CONSOLE_FRAME_HEADER;
		memset(out + len, 'x', s->fill);
		len += s->fill;
	}
	if (s->big)
		len += put_big(out + len, id, s->big);
	send_all(fd, out, len);
	free(out);
}

/* Record every byte that comes until the client leaves. */
static void record_rx(struct fake_keeld *f, int fd)
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
		if (!f->rx)
			return;
		memcpy(f->rx + f->rx_len, buf, (size_t)n);
		f->rx_len += (size_t)n;
	}
}

/* Read a request line into f->req; false when the client hung up. */
static bool read_request(struct fake_keeld *f, int fd, char id[32])
{
	struct json_object *req, *v;
	char *line = read_line(fd);

	if (!line)
		return false;
	req = json_tokener_parse(line);
	free(line);
	if (json_object_object_get_ex(req, "id", &v))
		snprintf(id, 32, "%s", json_object_to_json_string(v));
	if (f->nr_req < FAKE_KEELD_MAX_REQUESTS)
		f->req[f->nr_req++] = req;
	else
		json_object_put(req);
	return true;
}

static void *fake_main(void *arg)
{
	struct fake_keeld *f = arg;
	char id[32] = "null";
	int fd;

	fd = accept(f->listen_fd, NULL, NULL);
	if (fd < 0)
		return NULL;
	for (size_t i = 0; i < f->nr_steps; i++) {
		const struct fake_keeld_step *s = &f->steps[i];

		if (s->accept) {
			close(fd);
			fd = accept(f->listen_fd, NULL, NULL);
			if (fd < 0)
				return NULL;
		}
		if (s->read && !read_request(f, fd, id))
			goto out_close;
		if (s->delay_ms)
			usleep((useconds_t)s->delay_ms * 1000);
		if (s->send || s->raw_len || s->fill || s->big)
			send_step(fd, s, id);
		if (s->close)
			goto out_close;
	}
	record_rx(f, fd);
out_close:
	close(fd);
	return NULL;
}

/*
 * The fake of the running test, so that a failed assertion (Check then
 * exits the forked test process) does not leave its directory behind.
 */
static struct fake_keeld *fake_current;

static void fake_remove_dir(void)
{
	if (!fake_current)
		return;
	unlink(fake_current->path);
	rmdir(fake_current->dir);
	fake_current = NULL;
}

void fake_keeld_start(struct fake_keeld *f,
		      const struct fake_keeld_step *steps, size_t n)
{
	static bool registered;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (!registered && atexit(fake_remove_dir) == 0)
		registered = true;
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/fake_keeld.XXXXXX");
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

void fake_keeld_stop(struct fake_keeld *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	if (fake_current == f)
		fake_current = NULL;
}

void fake_keeld_free(struct fake_keeld *f)
{
	for (size_t i = 0; i < f->nr_req; i++)
		json_object_put(f->req[i]);
	f->nr_req = 0;
	free(f->rx);
	f->rx = NULL;
	f->rx_len = 0;
}

struct keel_conn *fake_keeld_connect(struct fake_keeld *f)
{
	struct keel_conn *c = NULL;
	char *err = NULL;

	ck_assert_msg(keel_connect(f->path, &c, &err) == 0, "connect: %s",
		      err ? err : "?");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(err);
	return c;
}

void fake_keeld_assert_request(const struct fake_keeld *f, size_t i,
			       int id, const char *method,
			       const char *params)
{
	struct json_object *req, *v, *want;

	ck_assert_msg(i < f->nr_req, "request %zu was not sent (%zu were)", i,
		      f->nr_req);
	req = f->req[i];
	ck_assert_ptr_nonnull(req);
	ck_assert(json_object_object_get_ex(req, "jsonrpc", &v));
	ck_assert_str_eq(json_object_get_string(v), "2.0");
	ck_assert(json_object_object_get_ex(req, "method", &v));
	ck_assert_str_eq(json_object_get_string(v), method);
	ck_assert(json_object_object_get_ex(req, "id", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int64(v), id);
	if (!params) {
		ck_assert_msg(!json_object_object_get_ex(req, "params", NULL),
			      "%s: unexpected params in %s", method,
			      json_object_to_json_string(req));
		return;
	}
	ck_assert(json_object_object_get_ex(req, "params", &v));
	want = json_tokener_parse(params);
	ck_assert_ptr_nonnull(want);
	ck_assert_msg(json_object_equal(v, want), "%s: params %s, want %s",
		      method, json_object_to_json_string(v), params);
	json_object_put(want);
}

void fake_keeld_assert_error(const struct keel_error *e, int code,
			     const char *name)
{
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(e->code == code, "error %d (%s: %s), want %d", e->code,
		      e->name, e->message, code);
	ck_assert_str_eq(e->name, name);
	ck_assert_ptr_nonnull(e->message);
	ck_assert(strlen(e->message) > 0);
}
