/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_LIBKEEL_INTERNAL_H
#define KEEL_LIBKEEL_INTERNAL_H

/*
 * What the files of libkeel share with each other and with nobody else:
 * libkeel.c (the connection: connect, send and receive, the error
 * state), libkeel_tls.c (tls:// connections), libkeel_events.c (the
 * event queue), libkeel_calls.c (the typed calls) with
 * libkeel_results.c (their results' parsers), libkeel_console.c
 * (console streams), libkeel_save.c and libkeel_migrate.c. The names
 * do not start with keel_, so the shared library does not export them
 * (lib/local.mk).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "jsonrpc_frame.h"
#include "keel.h"

/* An event received but not yet delivered: the notification's params. */
struct keel_queued {
	struct json_object *params;
	struct keel_queued *next;
};

struct libkeel_tls;

struct keel_conn {
	int fd;
	/* tls://: the TLS connection @fd is bridged to (libkeel_tls.c). */
	struct libkeel_tls *tls;
	/*
	 * Set once the stream cannot be trusted (EOF, a socket error, a
	 * line we could not frame or match to a request): every later call
	 * fails fast with KEEL_E_CONNECTION. The fd stays open until
	 * keel_close() so that a caller polling it never polls a number
	 * the process has reused; it is shut down, so it polls readable.
	 */
	bool broken;
	int64_t last_id;

	/* Received bytes not yet consumed: buf[start, start + len). */
	char *buf;
	size_t start, len, cap;
	/* How far the line at buf + start was searched for its end. */
	struct jsonrpc_frame frame;

	/* Events received, not yet delivered (libkeel_events.c). */
	struct keel_queued *queue_head, *queue_tail;
	size_t nr_queued;

	keel_event_fn event_fn;
	void *event_opaque;

	/* keel_last_error(); message and field point into the copies. */
	struct keel_error err;
	char *err_message;
	char *err_field;
};

/* --- TLS connections (libkeel_tls.c) ---------------------------------- */

/*
 * Connect to keeld at @hostport (what follows "tls://") with the PKI
 * directory @pki_dir (NULL: $KEEL_PKI_DIR or /etc/pki/keel). Returns 0,
 * *@fd (a blocking socket carrying the plain JSON-RPC lines, the
 * caller's to close) and *@out; or -errno with a sentence in @why.
 */
int libkeel_tls_connect(const char *hostport, const char *pki_dir, int *fd,
			struct libkeel_tls **out, char *why, size_t size);

/*
 * libkeel_tls_connect() without the pump: the caller reads and writes
 * the connection itself through libkeel_tls_chan() (tls_pump.h), on one
 * thread at a time. keel-hv's migration stream goes this way, with a
 * send buffer of TLS_BULK_SOCKBUF and its records gathered in
 * TLS_CHAN_WRITE_BUF (tls_chan_buffer()).
 */
int libkeel_tls_connect_direct(const char *hostport, const char *pki_dir,
			       struct libkeel_tls **out, char *why,
			       size_t size);

struct tls_chan;

/* The connection libkeel_tls_connect_direct() made. */
struct tls_chan *libkeel_tls_chan(struct libkeel_tls *t);

/*
 * After closing the fd (if there is one): end the TLS connection and
 * free it. NULL is fine.
 */
void libkeel_tls_free(struct libkeel_tls *t);

/* --- The error state (libkeel.c) ---------------------------------------- */

/* Clear @c's error, as every public call does first. */
void libkeel_error_clear(struct keel_conn *c);

/*
 * Record an error on @c for keel_last_error(): @message (NULL: the
 * code's default) and @field (may be NULL) are copied.
 */
void libkeel_error_set(struct keel_conn *c, int code, const char *message,
		       const char *field);

/* libkeel_error_set() with a printf-style message. */
void libkeel_error_fmt(struct keel_conn *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Shut the socket down (it polls readable, every later call fails);
 * the fd stays open until keel_close().
 */
void libkeel_conn_break(struct keel_conn *c);

/* --- Receiving (libkeel.c) ------------------------------------------------ */

/* @deadline = now + @timeout_ms on CLOCK_MONOTONIC (@timeout_ms > 0). */
void libkeel_deadline(struct timespec *deadline, int timeout_ms);

/* Milliseconds left until @deadline; -1 (for ever) when it is NULL. */
int libkeel_ms_left(const struct timespec *deadline);

/*
 * Read what the socket has, waiting up to @timeout_ms (0: not at all,
 * -1: for ever) for the first byte. Returns the bytes read, 0 when
 * nothing came in time (or a whole line is buffered already), or
 * -errno with the error set and the connection broken: -EPIPE at end
 * of stream, -E2BIG when the buffered line is over JSONRPC_MAX_LINE,
 * -ENOMEM.
 */
ssize_t libkeel_fill(struct keel_conn *c, int timeout_ms);

/* True when a whole line is buffered. */
bool libkeel_has_line(const struct keel_conn *c);

/*
 * Take the next whole line out of the buffer: *@line points into it
 * (valid until the next read) and *@len includes the newline. Returns
 * true when a line was taken.
 */
bool libkeel_take_line(struct keel_conn *c, const char **line, size_t *len);

/*
 * Parse one received line into *@msg (the caller's) and check it into
 * @resp. Returns 0, or -1 with a protocol error set and the connection
 * broken: a line that is not a message cannot be matched to a request,
 * so the stream is out of step.
 */
int libkeel_parse_line(struct keel_conn *c, const char *line, size_t len,
		       struct json_object **msg, struct jsonrpc_resp *resp);

/*
 * Hand over @c's input buffer: the bytes received after the last reply
 * line, which belong to whatever the connection carries now (a console
 * stream). *@buf (malloc'd, the caller's; NULL when @c never read)
 * holds *@len such bytes from its start, and has room for *@cap. @c
 * then has no buffer and must not make calls any more.
 */
void libkeel_take_input(struct keel_conn *c, char **buf, size_t *len,
			size_t *cap);

/* --- Events (libkeel_events.c) --------------------------------------------- */

/*
 * Queue a server notification (@resp borrowed from its message). Only
 * "event" notifications with object params mean anything to this
 * version; others are ignored so that a newer keeld can add kinds.
 * Returns 0 or -ENOMEM.
 */
int libkeel_queue_notification(struct keel_conn *c,
			       const struct jsonrpc_resp *resp);

/* Drop every queued event. */
void libkeel_queue_free(struct keel_conn *c);

/* --- Typed calls (libkeel_calls.c) ----------------------------------------- */

/* The state called @name, or -1 for a name keel does not define. */
int libkeel_state_from_name(const char *name);

/*
 * New params {"name": @dom} or {"uuid": @dom}, or NULL with the error
 * set (no domain given, or out of memory).
 */
struct json_object *libkeel_dom_params(struct keel_conn *c, const char *dom);

/*
 * Add @val (taken over; NULL reads as out of memory) as @key of @obj.
 * Returns 0 or -ENOMEM.
 */
int libkeel_add_member(struct json_object *obj, const char *key,
		       struct json_object *val);

#endif /* KEEL_LIBKEEL_INTERNAL_H */
