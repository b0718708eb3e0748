// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libkeel's consoles (lib/libkeel_console.c) against a fake keeld
 * (fake_keeld.h) that answers domain.open_console and then speaks
 * frames (lib/console_proto.h) as scripted, split across reads or glued
 * to the reply line, and records every byte the client sends after its
 * request. What is checked: the params
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
#include "fake_keeld.h"
#include "runner.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
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
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER },
		{ .accept = true, .read = true, .send = VIEWER },
		{ .accept = true, .read = true, .send = WRITER },
		{ .accept = true, .read = true, .send = WRITER },
	};
	struct keel_console_opts o = KEEL_CONSOLE_OPTS_INIT;
	struct keel_console *con = NULL;
	struct keel_conn *c;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_WRITER);
	ck_assert_int_ge(keel_console_fd(con), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);

	o.console = "virtio";
	o.read_only = true;
	o.history_lines = 0;
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_console_open(c, UUID, &o, &con), 0);
	ck_assert_int_eq(keel_console_role(con), KEEL_CONSOLE_VIEWER);
	keel_console_close(con);

	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.force = true;
	o.history_bytes = 1048576;
	con = open_console(fake_keeld_connect(&f), &o);
	keel_console_close(con);

	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.console = "serial";
	o.history_lines = 100;
	con = open_console(fake_keeld_connect(&f), &o);
	keel_console_close(con);
	fake_keeld_stop(&f);

	/* Each connection's first request: id 1. */
	fake_keeld_assert_request(&f, 0, 1, "domain.open_console",
		       "{\"name\":\"web\",\"mode\":\"write\"}");
	fake_keeld_assert_request(&f, 1, 1, "domain.open_console",
		       "{\"uuid\":\"" UUID "\",\"console\":\"virtio\","
		       "\"mode\":\"view\",\"history_lines\":0}");
	fake_keeld_assert_request(&f, 2, 1, "domain.open_console",
		       "{\"name\":\"web\",\"mode\":\"write\",\"force\":true,"
		       "\"history_bytes\":1048576}");
	fake_keeld_assert_request(&f, 3, 1, "domain.open_console",
		       "{\"name\":\"web\",\"console\":\"serial\","
		       "\"mode\":\"write\",\"history_lines\":100}");
	ck_assert_uint_eq(f.nr_req, 4);
	fake_keeld_free(&f);
}
END_TEST

/*
 * Refused locally (nothing sent), refused by keeld (the connection
 * stays usable), and an answer that is not what the API says (the
 * connection is closed: the stream may already follow).
 */
START_TEST(test_open_errors)
{
	static const struct fake_keeld_step steps[] = {
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
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);

	ck_assert_int_eq(keel_console_open(NULL, "web", NULL, &con), -1);
	ck_assert_int_eq(keel_console_open(c, "web", NULL, NULL), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_console_open(c, NULL, NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_console_open(c, "", NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	o.history_lines = 10;
	o.history_bytes = 10;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert(strstr(keel_last_error(c)->message, "not both"));
	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.history_lines = -2;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	o = (struct keel_console_opts)KEEL_CONSOLE_OPTS_INIT;
	o.read_only = true;
	o.force = true;
	ck_assert_int_eq(keel_console_open(c, "web", &o, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_LOCAL, "local");
	ck_assert_ptr_null(con);

	ck_assert_int_eq(keel_console_open(c, "nope", NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_NO_DOMAIN,
				"no-domain");
	ck_assert_str_eq(keel_last_error(c)->message,
			 "No domain is named \"nope\".");
	ck_assert_ptr_null(con);
	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_PERMISSION,
				"permission");
	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_INVALID_STATE,
		     "invalid-state");
	/* Still a connection that makes calls. */
	ck_assert_int_eq(keel_call(c, "host.info", NULL, &res), 0);
	json_object_put(res);

	ck_assert_int_eq(keel_console_open(c, "web", NULL, &con), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_PROTOCOL,
				"protocol");
	ck_assert_ptr_null(con);
	ck_assert_int_eq(keel_call(c, "host.info", NULL, &res), -1);
	fake_keeld_assert_error(keel_last_error(c), KEEL_E_CONNECTION,
				"connection");
	keel_close(c);
	fake_keeld_stop(&f);

	/* The local refusals sent nothing. */
	ck_assert_uint_eq(f.nr_req, 5);
	fake_keeld_assert_request(&f, 0, 1, "domain.open_console",
				  "{\"name\":\"nope\",\"mode\":\"write\"}");
	fake_keeld_free(&f);
}
END_TEST

/*
 * The stream's first bytes come glued to the reply line (they are in
 * libkeel's line buffer when the console takes over); later frames
 * come cut anywhere, headers included, and several in one read.
 */
START_TEST(test_frames_split_and_glued)
{
	static const struct fake_keeld_step steps[] = {
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
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
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
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	ck_assert_int_eq(keel_console_resize(con, 24, 80), -1);
	keel_console_close(con);
	fake_keeld_stop(&f);
	/* Nothing was sent after the END. */
	ck_assert_uint_eq(f.rx_len, 0);
	fake_keeld_free(&f);
}
END_TEST

/*
 * The reply, whole frames and the END in one send: all of it may sit
 * in libkeel's line buffer, and none of it may be lost. Then a frame of
 * the largest payload, most of it beyond what the line buffer read.
 */
START_TEST(test_frames_in_line_buffer)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER,
		  RAW("D\0\0\0\x03oneD\0\0\0\x03twoM\0\0\0\x08\0\0\0\0\0\0\0\x07") },
		{ .delay_ms = 30, .fill = 65536 },
		{ .delay_ms = 30, RAW("D\0\0\0\x01.E\0\0\0\0") },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake_keeld f;
	size_t got = 0;

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
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
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
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
	struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER, RAW("D\0\0\0\x02ok") },
		{ .delay_ms = 20, .raw = bad_frames[_i].bytes,
		  .raw_len = bad_frames[_i].len },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
	expect_data(con, "ok");
	ck_assert_int_eq(next_frame(con, &fr), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_PROTOCOL,
		     "protocol");
	ck_assert_msg(strstr(keel_console_last_error(con)->message,
			     bad_frames[_i].says),
		      "%s", keel_console_last_error(con)->message);
	/* Every later call fails with the same error; no crash. */
	ck_assert_int_eq(keel_console_read(con, &fr), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_PROTOCOL,
		     "protocol");
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	keel_console_close(con);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.rx_len, 0);
	fake_keeld_free(&f);
}
END_TEST

/* keeld goes away: in the middle of a frame, or between frames. */
START_TEST(test_peer_closes)
{
	struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER, RAW("D\0\0\0\x02ok") },
		{ .delay_ms = 20, .raw = _i ? "D\0\0\0\x10" "abc" : NULL,
		  .raw_len = _i ? 8 : 0, .close = true },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
	expect_data(con, "ok");
	ck_assert_int_eq(next_frame(con, &fr), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	ck_assert(strstr(keel_console_last_error(con)->message, "closed"));
	/* No SIGPIPE: MSG_NOSIGNAL, and the stream is known to be over. */
	ck_assert_int_eq(keel_console_write(con, "x", 1), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_CONNECTION,
		     "connection");
	keel_console_close(con);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/* What keel_console_write() and keel_console_resize() put on the wire. */
START_TEST(test_write)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER },
	};
	static const char want_head[] = "D\0\0\0\x05hello"
					"W\0\0\0\x04\0\x18\0\x50"
					"W\0\0\0\x04\xff\xff\x01\0";
	struct keel_console *con;
	struct fake_keeld f;
	char *big = malloc(70000);
	int small = 4096;
	size_t off;

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < 70000; i++)
		big[i] = (char)('a' + i % 26);
	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
	/* A small send buffer: the big write goes out in many pieces. */
	setsockopt(keel_console_fd(con), SOL_SOCKET, SO_SNDBUF, &small,
		   sizeof(small));
	ck_assert_int_eq(keel_console_write(con, "hello", 5), 0);
	ck_assert_int_eq(keel_console_write(con, "", 0), 0);
	ck_assert_int_eq(keel_console_resize(con, 24, 80), 0);
	ck_assert_int_eq(keel_console_resize(con, 65535, 256), 0);
	ck_assert_int_eq(keel_console_resize(con, 0, 80), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_LOCAL,
				"local");
	ck_assert_int_eq(keel_console_resize(con, 24, 65536), -1);
	ck_assert_int_eq(keel_console_write(con, NULL, 3), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_LOCAL,
				"local");
	/* Local refusals leave the stream usable. */
	ck_assert_int_eq(keel_console_write(con, big, 70000), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);
	fake_keeld_stop(&f);

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
	fake_keeld_free(&f);
}
END_TEST

START_TEST(test_null_and_bad_args)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = WRITER },
	};
	struct keel_console_frame fr;
	struct keel_console *con;
	struct fake_keeld f;

	keel_console_close(NULL);
	ck_assert_int_eq(keel_console_fd(NULL), -1);
	ck_assert_int_eq(keel_console_read(NULL, NULL), -1);
	ck_assert_int_eq(keel_console_write(NULL, "x", 1), -1);
	ck_assert_int_eq(keel_console_resize(NULL, 24, 80), -1);
	ck_assert_int_eq(keel_console_role(NULL), KEEL_CONSOLE_VIEWER);
	ck_assert_ptr_nonnull(keel_console_last_error(NULL));
	ck_assert_ptr_nonnull(keel_console_last_error(NULL)->message);

	fake_keeld_start(&f, steps, N(steps));
	con = open_console(fake_keeld_connect(&f), NULL);
	ck_assert_int_eq(keel_console_read(con, NULL), -1);
	fake_keeld_assert_error(keel_console_last_error(con), KEEL_E_LOCAL,
				"local");
	/* Nothing has come: 0, and the console is still fine. */
	ck_assert_int_eq(keel_console_read(con, &fr), 0);
	ck_assert_int_eq(keel_console_last_error(con)->code, 0);
	keel_console_close(con);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
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
