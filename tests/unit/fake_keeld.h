/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_FAKE_KEELD_H
#define KEEL_TESTS_FAKE_KEELD_H

/*
 * A scripted keeld for libkeel's unit suites: a thread listening on a
 * UNIX socket in a temporary directory that plays a script of exchanges
 * (read a request, wait, send text, raw bytes or console frames, hang
 * up, take the next connection) and records what the client sent.
 * check_libkeel and check_libkeel_console both use it, so what "keeld
 * answered" means is the same in both.
 */

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

struct keel_conn;
struct keel_error;

/* One exchange of the script, done in the order of the fields. */
struct fake_keeld_step {
	bool accept;		/* hang up and take the next connection */
	bool read;		/* read one request line */
	int delay_ms;		/* then wait this long */
	/* then, in one send, this text ("$ID": the request's id) ... */
	const char *send;
	/* ... these bytes ... */
	const char *raw;
	size_t raw_len;
	size_t fill;		/* ... a console DATA frame of this many 'x' */
	size_t big;		/* ... a result line of exactly this many bytes */
	bool close;		/* then hang up */
};

/* Binary bytes from a string literal, NULs included. */
#define RAW(lit) .raw = (lit), .raw_len = sizeof(lit) - 1

/* A reply and an error line to the request just read, for .send. */
#define REPLY(result) "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":" result "}\n"
#define ERROR(body) "{\"jsonrpc\":\"2.0\",\"id\":$ID,\"error\":" body "}\n"

#define FAKE_KEELD_MAX_REQUESTS 64

struct fake_keeld {
	char dir[64];
	char path[96];		/* the socket to connect to */
	int listen_fd;
	pthread_t thread;
	const struct fake_keeld_step *steps;
	size_t nr_steps;
	/*
	 * Read after fake_keeld_stop(): the requests the steps read,
	 * parsed (NULL where a line was not JSON), and every byte the
	 * client sent after the script ended.
	 */
	struct json_object *req[FAKE_KEELD_MAX_REQUESTS];
	size_t nr_req;
	char *rx;
	size_t rx_len;
};

/*
 * Listen in a new temporary directory and play @steps (@n of them; the
 * array must outlive the fake) on the first connection. Fails the test
 * if anything cannot be set up. An atexit handler removes the directory
 * when a failed assertion ends the test first.
 */
void fake_keeld_start(struct fake_keeld *f,
		      const struct fake_keeld_step *steps, size_t n);

/* Wait for the script to end (the client must have closed), clean up. */
void fake_keeld_stop(struct fake_keeld *f);

/* Free what was recorded. */
void fake_keeld_free(struct fake_keeld *f);

/* keel_connect() to @f; fails the test if it does not succeed. */
struct keel_conn *fake_keeld_connect(struct fake_keeld *f);

/*
 * Assert that recorded request @i was a JSON-RPC 2.0 request with the
 * integer id @id for @method with @params (JSON text; NULL: the request
 * must have no params).
 */
void fake_keeld_assert_request(const struct fake_keeld *f, size_t i,
			       int id, const char *method,
			       const char *params);

/* Assert that @e is error @code named @name, with a message. */
void fake_keeld_assert_error(const struct keel_error *e, int code,
			     const char *name);

#endif /* KEEL_TESTS_FAKE_KEELD_H */
