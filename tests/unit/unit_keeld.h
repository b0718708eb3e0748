/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_UNIT_KEELD_H
#define KEEL_TESTS_UNIT_KEELD_H

/*
 * keeld's modules put together in the test's own process, as main.c
 * puts them together (conf, methods, registry, event base, admit,
 * server, lifecycle), on a temporary run, state and log directory; and
 * a client of its sockets that runs keeld's event loop while it waits
 * for an answer. For the unit suites of the daemon modules that only
 * make sense behind a socket (server.c, answer.c, listener.c,
 * console.c, launch.c, lifecycle.c and the method files): no child
 * keeld, no threads, everything on one event loop the test drives.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "keeld.h"

struct unit_keeld {
	struct keeld k;
	char dir[64];
	char rw_sock[128], ro_sock[128];
};

/*
 * The unchecked fixture of every suite that uses unit_keeld_start(): a
 * directory for the suite's tests, removed with whatever a failed test
 * left in it.
 */
void unit_keeld_suite_setup(void);
void unit_keeld_suite_teardown(void);

/*
 * Start keeld's modules with keeld.conf's defaults, then @conf_text
 * (keeld.conf lines; NULL: none), in a new directory of the suite's: the
 * schemas are the source tree's, the hypervisor /bin/false unless
 * @conf_text says otherwise. Fails the test if anything does not start.
 */
void unit_keeld_start(struct unit_keeld *u, const char *conf_text);

/* Take it all down again and remove the directory. */
void unit_keeld_stop(struct unit_keeld *u);

/*
 * keeld's end and its next start on the same directories, as after
 * kill -9 keeld: every module down (the keel-hv processes run on),
 * @between called (NULL: nothing; e.g. to remove a state file), then up
 * again and lifecycle_recover(), as main.c does.
 */
void unit_keeld_restart(struct unit_keeld *u,
			void (*between)(struct unit_keeld *u));

/* A path under the test's directory (static buffer, four in turn). */
const char *unit_keeld_path(const struct unit_keeld *u, const char *name);

/*
 * Run keeld's event loop for @ms milliseconds (what a test does while
 * it waits for something that takes time, e.g. a process to end).
 */
void unit_keeld_run(struct unit_keeld *u, int ms);

/* A client connection of the test (non-blocking socket). */
struct unit_client {
	struct unit_keeld *u;
	int fd;
	char *in;		/* bytes received, not yet taken as lines */
	size_t in_len;
	char *out;		/* bytes still to send */
	size_t out_len;
	bool eof;
};

/* Connect to @sock (keeld.sock or keeld-ro.sock of @u). */
void unit_client_open(struct unit_client *c, struct unit_keeld *u,
		      const char *sock);
void unit_client_close(struct unit_client *c);

/* Queue @len bytes to send; they go while keeld's loop runs. */
void unit_client_send(struct unit_client *c, const char *buf, size_t len);

/*
 * Run keeld's loop until a whole line came (returned, parsed; owned),
 * the connection was closed (NULL), or 5 s passed (the test fails).
 * A line that is not JSON fails the test.
 */
struct json_object *unit_client_read(struct unit_client *c);

/*
 * Run keeld's loop until @n bytes came (a console stream's, after the
 * line that answered domain.open_console), assert they are @want, and
 * take them. Fails the test if the connection closes first, or after 5 s.
 */
void unit_client_expect(struct unit_client *c, const void *want, size_t n);

/* True if nothing comes (no line, no close) while the loop runs @ms. */
bool unit_client_quiet(struct unit_client *c, int ms);

/* Send @line and a newline, and read the one line that answers it. */
struct json_object *unit_client_call(struct unit_client *c, const char *line);

/*
 * A request for @method with @params (JSON text; NULL: none) and the
 * id 7, sent on a fresh connection to @sock; returns the answer (owned).
 * Fails the test if keeld closes the connection without one.
 */
struct json_object *unit_keeld_call(struct unit_keeld *u, const char *sock,
				    const char *method, const char *params);

/* The value at JSON pointer @ptr in @o, or NULL. */
struct json_object *unit_at(struct json_object *o, const char *ptr);
/* The string at @ptr, or "(missing)". */
const char *unit_str(struct json_object *o, const char *ptr);
/* The error code of the answer @resp, or 0. */
int unit_code(struct json_object *resp);

/*
 * Assert that @resp (owned: it is freed) is the error @code, with
 * data.field @field unless that is NULL and a message that contains
 * @words unless that is NULL.
 */
void unit_assert_error(struct json_object *resp, int code, const char *field,
		       const char *words);

/* Assert that @resp is a result; returns it (still owned by the caller). */
struct json_object *unit_assert_ok(struct json_object *resp);

#endif /* KEEL_TESTS_UNIT_KEELD_H */
