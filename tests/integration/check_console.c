// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Consoles end to end (docs/console.md): a real keeld, real test guests
 * under keel-hv, clients speaking domain.open_console and then frames
 * on keeld's sockets. History for a late client, viewers and a writer
 * seeing the same bytes, writer takeover, the read-only socket, output
 * kept across `kill -9 keeld`, and a stalled viewer that stalls nobody.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console_proto.h"
#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define WAIT_MS 20000

static void create(const char *name, const char *guest)
{
	char line[2048];
	struct json_object *resp;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
		 "\"params\":{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\","
		 "\"memory\":64}}}",
		 name, harness_path(guest));
	resp = call(rw_sock, line);
	assert_ok(resp);
	json_object_put(resp);
}

/*
 * Open @name's console on @sock with the params @extra (JSON members
 * after name). Returns the answer; on success @c carries the stream.
 */
static struct json_object *open_console(struct harness_client *c,
					const char *sock, const char *name,
					const char *extra)
{
	char line[1024];

	ck_assert_int_eq(harness_client_open(c, sock, 0), 0);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"domain.open_console\","
		 "\"params\":{\"name\":\"%s\"%s%s}}",
		 name, extra ? "," : "", extra ? extra : "");
	return client_call(c, line);
}

static void attach(struct harness_client *c, const char *sock,
		   const char *name, const char *extra, const char *role)
{
	struct json_object *resp = open_console(c, sock, name, extra);

	ck_assert_msg(resp != NULL, "no answer to domain.open_console");
	assert_ok(resp);
	ck_assert_str_eq(str_at(resp, "/result/role"), role);
	json_object_put(resp);
}

struct frame {
	enum console_frame_type type;
	size_t len;
	uint8_t data[CONSOLE_MAX_PAYLOAD + 1];
};

/* The next frame; false on timeout or end of stream. */
static bool next_frame(struct harness_client *c, struct frame *f,
		       int timeout_ms)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];
	long len;

	if (harness_client_read(c, hdr, sizeof(hdr), timeout_ms))
		return false;
	len = console_frame_parse(hdr, &f->type);
	ck_assert_msg(len >= 0, "a malformed frame header");
	f->len = (size_t)len;
	ck_assert_int_eq(harness_client_read(c, f->data, f->len, timeout_ms),
			 0);
	f->data[f->len] = '\0';
	return true;
}

/*
 * Read DATA frames until @text has been seen (across frames); other
 * frames are skipped. What was read is copied to @seen (may be NULL).
 */
static void expect_output(struct harness_client *c, const char *text,
			  char *seen, size_t seen_size)
{
	static char acc[1 << 20];
	size_t n = 0;
	long long end = harness_now_ms() + WAIT_MS;
	struct frame *f = malloc(sizeof(*f));

	acc[0] = '\0';
	while (!strstr(acc, text)) {
		long long left = end - harness_now_ms();

		ck_assert_msg(left > 0 && next_frame(c, f, (int)left),
			      "\"%s\" never came; got: %.2000s", text, acc);
		if (f->type != CONSOLE_FRAME_DATA)
			continue;
		if (n + f->len >= sizeof(acc)) {
			/* Keep the tail: @text may straddle the cut. */
			memmove(acc, acc + n / 2, n - n / 2);
			n -= n / 2;
		}
		memcpy(acc + n, f->data, f->len);
		n += f->len;
		acc[n] = '\0';
	}
	if (seen)
		snprintf(seen, seen_size, "%s", acc);
	free(f);
}

static void send_input(struct harness_client *c, const char *s)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];

	console_frame_header(hdr, CONSOLE_FRAME_DATA, (uint32_t)strlen(s));
	ck_assert_int_eq(harness_client_send(c, (const char *)hdr, sizeof(hdr)),
			 0);
	ck_assert_int_eq(harness_client_send(c, s, strlen(s)), 0);
}

/* A late client gets the boot banner from the history. */
START_TEST(test_history_then_live)
{
	struct harness_client c;

	keeld_start();
	create("e", "tests/guests/echo.bin");
	usleep(300 * 1000);
	attach(&c, rw_sock, "e", NULL, "writer");
	expect_output(&c, "echo: type a line", NULL, 0);
	send_input(&c, "hi there\r");
	expect_output(&c, "echo: hi there", NULL, 0);
	harness_client_close(&c);
	keeld_stop();
}
END_TEST

/*
 * A console opened while the domain's keel-hv is still starting (keeld
 * restarting it after a reboot, or `keel console` right after `keel
 * start`) waits for keel-hv's socket instead of failing with ENOENT.
 */
START_TEST(test_open_while_starting)
{
	struct harness_client starter, c;
	char line[2048];
	struct json_object *resp;

	keeld_start();
	ck_assert_int_eq(harness_client_open(&starter, rw_sock, 0), 0);
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
		 "\"params\":{\"config\":{\"name\":\"s\",\"kernel\":\"%s\","
		 "\"memory\":64}}}\n",
		 harness_path("tests/guests/echo.bin"));
	/* Not waiting for the answer: the console is asked for at once. */
	ck_assert_int_eq(harness_client_send(&starter, line, strlen(line)), 0);
	do {
		resp = open_console(&c, rw_sock, "s", NULL);
		ck_assert_msg(resp != NULL, "no answer to domain.open_console");
		if (json_object_object_get_ex(resp, "result", NULL))
			break;
		/* Before keeld has registered the domain, it does not exist. */
		ck_assert_int_eq(code_of(resp), -32001);
		json_object_put(resp);
		harness_client_close(&c);
		usleep(1000);
	} while (1);
	ck_assert_str_eq(str_at(resp, "/result/role"), "writer");
	json_object_put(resp);
	expect_output(&c, "echo: type a line", NULL, 0);
	harness_client_close(&c);
	harness_client_close(&starter);
	keeld_stop();
}
END_TEST

/* Two viewers and the writer see the same bytes; viewers cannot type. */
START_TEST(test_viewers_and_writer)
{
	struct harness_client w, v1, v2;

	keeld_start();
	create("e", "tests/guests/echo.bin");
	attach(&w, rw_sock, "e", NULL, "writer");
	attach(&v1, rw_sock, "e", "\"mode\":\"view\"", "viewer");
	attach(&v2, ro_sock, "e", NULL, "viewer");
	send_input(&v1, "from viewer\r");
	send_input(&w, "one\r");
	expect_output(&w, "echo: one", NULL, 0);
	expect_output(&v1, "echo: one", NULL, 0);
	expect_output(&v2, "echo: one", NULL, 0);
	send_input(&w, "two\r");
	{
		char a[4096], b[4096];

		expect_output(&v1, "echo: two", a, sizeof(a));
		expect_output(&v2, "echo: two", b, sizeof(b));
		ck_assert_msg(!strstr(a, "from viewer") && !strstr(b, "from viewer"),
			      "a viewer's input reached the guest");
	}
	harness_client_close(&w);
	harness_client_close(&v1);
	harness_client_close(&v2);
	keeld_stop();
}
END_TEST

START_TEST(test_takeover_and_readonly)
{
	struct harness_client w1, w2, ro;
	struct json_object *resp;
	struct frame *f = malloc(sizeof(*f));
	bool demoted = false;

	keeld_start();
	create("e", "tests/guests/echo.bin");
	attach(&w1, rw_sock, "e", NULL, "writer");
	/* A second writer is refused... */
	resp = open_console(&w2, rw_sock, "e", "\"mode\":\"write\"");
	ck_assert_msg(code_of(resp) == -32003, "got %s",
		      json_object_to_json_string(resp));
	json_object_put(resp);
	harness_client_close(&w2);
	/* ...the read-only socket cannot ask to write... */
	resp = open_console(&ro, ro_sock, "e", "\"mode\":\"write\"");
	assert_error(resp, -32005, "/mode");
	json_object_put(resp);
	harness_client_close(&ro);
	/* ...and force takes the role over; the old writer is told. */
	attach(&w2, rw_sock, "e", "\"mode\":\"write\",\"force\":true",
	       "writer");
	for (long long end = harness_now_ms() + WAIT_MS;
	     !demoted && harness_now_ms() < end;) {
		if (!next_frame(&w1, f, 1000))
			continue;
		if (f->type == CONSOLE_FRAME_ROLE)
			demoted = !strcmp((char *)f->data, "viewer");
	}
	ck_assert_msg(demoted, "the old writer was not told it is a viewer");
	send_input(&w1, "ignored\r");
	send_input(&w2, "taken\r");
	expect_output(&w1, "echo: taken", NULL, 0);
	free(f);
	harness_client_close(&w1);
	harness_client_close(&w2);
	keeld_stop();
}
END_TEST

/* What the guest printed stays in keel-hv through a keeld crash. */
START_TEST(test_survives_keeld_kill)
{
	struct harness_client c;

	keeld_start();
	create("e", "tests/guests/echo.bin");
	attach(&c, rw_sock, "e", NULL, "writer");
	send_input(&c, "before the crash\r");
	expect_output(&c, "echo: before the crash", NULL, 0);
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	harness_client_close(&c);

	keeld_start();
	attach(&c, rw_sock, "e", "\"history_lines\":100", "writer");
	expect_output(&c, "echo: before the crash", NULL, 0);
	harness_client_close(&c);
	keeld_stop();
}
END_TEST

/*
 * Read @c's output for @ms milliseconds; the highest chatty line number
 * in it (-1 if none). Lines cut by a frame boundary are skipped.
 */
static long chatty_max(struct harness_client *c, int ms)
{
	static char acc[1 << 20];
	struct frame *f = malloc(sizeof(*f));
	long long end = harness_now_ms() + ms;
	size_t n = 0;
	long max = -1;

	while (harness_now_ms() < end) {
		char *p, *q, *nl;

		if (!next_frame(c, f, 200) || f->type != CONSOLE_FRAME_DATA)
			continue;
		if (n + f->len >= sizeof(acc))
			n = 0;
		memcpy(acc + n, f->data, f->len);
		n += f->len;
		acc[n] = '\0';
		/* Whole lines only; keep the tail for the next frame. */
		for (p = acc; (nl = strchr(p, '\n')); p = nl + 1) {
			q = strstr(p, "chatty ");
			if (q && q < nl) {
				long v = strtol(q + 7, NULL, 10);

				if (v > max)
					max = v;
			}
		}
		n = strlen(p);
		memmove(acc, p, n + 1);
	}
	free(f);
	return max;
}

/*
 * A viewer that never reads stalls neither the guest nor another
 * viewer. (That it is told what it missed once it falls behind the
 * ring is checked where the ring is small enough to overrun quickly:
 * check_hv_guests and check_console_mux.)
 */
START_TEST(test_stalled_viewer)
{
	struct harness_client slow, fast;
	struct frame *f = malloc(sizeof(*f));
	long first, later;

	keeld_start();
	create("talk", "tests/guests/chatty.bin");
	attach(&slow, rw_sock, "talk", "\"mode\":\"view\",\"history_bytes\":0",
	       "viewer");
	attach(&fast, rw_sock, "talk", "\"mode\":\"view\",\"history_bytes\":0",
	       "viewer");
	first = chatty_max(&fast, 1500);
	ck_assert_int_ge(first, 0);
	later = chatty_max(&fast, 3000);
	ck_assert_msg(later > first, "the guest or the viewer stopped: line %ld, then %ld",
		      first, later);
	/* The stalled one still gets a coherent stream when it reads. */
	ck_assert(next_frame(&slow, f, WAIT_MS));
	ck_assert(f->type == CONSOLE_FRAME_DATA ||
		  f->type == CONSOLE_FRAME_MISSED);
	ck_assert_int_ge(chatty_max(&slow, 1500), 0);
	free(f);
	harness_client_close(&slow);
	harness_client_close(&fast);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = keeld_tcase("console", 120);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	tcase_add_test(tc, test_history_then_live);
	tcase_add_test(tc, test_open_while_starting);
	tcase_add_test(tc, test_viewers_and_writer);
	tcase_add_test(tc, test_takeover_and_readonly);
	tcase_add_test(tc, test_survives_keeld_kill);
	tcase_add_test(tc, test_stalled_viewer);
	suite_add_tcase(s, tc);
	return s;
}
