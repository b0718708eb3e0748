/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_CONN_H
#define KEEL_DAEMON_CONN_H

/*
 * A client connection of keeld's, shared by the two halves of the
 * server: server.c (the connection: its socket, buffers, turns, limits
 * and lines) and answer.c (what it is answered: requests handled,
 * batches over several turns, deferred answers put in place). Private
 * to them; server.h is the interface the rest of keeld uses.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <event2/util.h>
#include <json-c/json.h>

#include "admit.h"
#include "jsonrpc.h"
#include "jsonrpc_frame.h"
#include "methods.h"

struct event;
struct evbuffer;
struct listeners;

struct conn {
	struct server *srv;
	evutil_socket_t fd;	/* -1 once handed to a lingering close */
	struct event *rev;	/* pending while requests are read */
	struct event *wev;	/* pending while @out waits for the socket */
	struct event *idle;	/* read-only clients: the idle timeout */
	struct evbuffer *in, *out;
	struct methods_caller caller;
	struct client_slot slot;
	struct jsonrpc_frame frame;	/* how far a partial line was searched */
	struct json_object *batch; /* a batch answered over several turns */
	struct json_object *batch_resp; /* its answers so far */
	size_t batch_next;	/* the index of its next request */
	size_t batch_cost;	/* what its parsed requests take, roughly */
	size_t line_out;	/* answers the current line made, in bytes */
	size_t turn_out;	/* answers made in this turn, in bytes */
	long long active_ms;	/* when its last complete line came */
	bool closing;		/* flush the output, then close */
	bool eof;		/* the client will send nothing more */
	bool serving;		/* in conn_serve(): write once at its end */
	bool doomed;		/* conn_serve() frees it when it returns */
	bool subscribed;	/* events.subscribe was called */
	bool backlog;		/* complete lines wait for its next turn */
	bool paused;		/* waits for its share of keeld's time */
	struct reply *holder;	/* reads no requests until it is answered */
	struct pending *pendings; /* lines still owed an answer */
	struct reply *line_replies; /* deferred while dispatching a line */
	struct conn *prev, *next;
};

/*
 * The answer to one line while parts of it are deferred: the lone
 * marker of a single request, or the batch array holding a marker per
 * deferred request. Sent when the last marker is replaced.
 */
struct pending {
	struct conn *conn;	/* NULL once the client has gone */
	struct json_object *resp;
	unsigned outstanding;
	struct pending *prev, *next; /* in conn->pendings */
};

/* One deferred request (server.h). */
struct reply {
	struct pending *pending; /* NULL: nobody to answer (notification) */
	struct json_object *id;
	size_t index;		/* in the batch array, or REPLY_WHOLE */
	bool mapped;		/* the line's dispatch has finished */
	bool notification;
	struct json_object *early; /* answered before it was mapped */
	struct reply *line_next;
};

#define REPLY_WHOLE ((size_t)-1)

/*
 * Most bytes one recv() takes. More than a typical request, so that a
 * pipelining client's requests come in a few wakeups, not one each. A
 * little less than 16 KiB: what a client's buffer keeps of it goes in
 * a block of a power of two with libevent's header, and 16 KiB of data
 * would take 32.
 */
#define CONN_READ_SIZE (16 * 1024 - 128)

/*
 * Most bytes of answers conn_serve() gathers before it writes them: a
 * pipelining client's answers then go out in few writes, without keeld
 * holding (and the allocator growing and trimming the heap for) many.
 * Also the most a client's turn makes before the others get theirs.
 */
#define CONN_WRITE_BATCH (64 * 1024)

/*
 * Most time a client's turn takes before the others get theirs, give
 * or take one request: a batch of 256 requests can take tens of
 * milliseconds, and is answered over several turns.
 */
#define CONN_TURN_US 1000

/*
 * What a client may always have buffered, whatever the budget says: a
 * request of this size still gets through while others hold the budget,
 * and a client that is reading keeps up to this much of answers.
 */
#define CONN_SMALL_INPUT 4096
#define CONN_SMALL_OUTPUT (64 * 1024)

struct server {
	struct keeld *keeld;
	struct admit *admit;
	struct listeners *listeners;
	struct conn *conns;
	struct event *resume;	/* serves the paused clients again */
	int prio_root, prio_other;	/* event priorities */
	char scratch[CONN_READ_SIZE];	/* each recv() lands here first */
};

/*
 * Parsed JSON takes up to this many times the bytes of its text (an
 * object per value, a hash table per object): a batch of 256 small
 * requests, 19 KB of text, is 520 KB of json-c objects.
 */
#define PARSED_COST 32

/* --- server.c ----------------------------------------------------------- */

/*
 * Close @c (or, while conn_serve() runs on it, mark it to be closed
 * when it returns).
 */
void conn_free(struct conn *c);

/*
 * Count what @c's buffers hold now. Returns false when the clients'
 * budget is spent (never for root on keeld.sock).
 */
bool conn_account(struct conn *c);

/* Read @c's requests again (unless it waits for its share of time). */
void conn_read_start(struct conn *c);

/*
 * Queue @msg (owned) for @c and, unless conn_serve() gathers its
 * answers, write it. Returns false when @c was dropped because it is
 * not reading its responses; @c is freed then.
 */
bool conn_send(struct conn *c, struct json_object *msg);

/* Answer what @c has sent, then write all the answers at once. */
void conn_serve(struct conn *c);

/* --- answer.c ----------------------------------------------------------- */

/* Forget @p's connection: its answer, when complete, is dropped. */
void pending_unlink(struct pending *p);

/*
 * The deferred requests of the line being answered will not be mapped
 * into an answer: drop their answers, now or when they come.
 */
void conn_drop_line_replies(struct conn *c);

/* Forget the batch under way, if any. */
void conn_batch_drop(struct conn *c);

/*
 * The jsonrpc_handler_fn for @ctx, a struct conn: methods_handle(),
 * within the limits on a line's answers.
 */
struct json_object *conn_handle(void *ctx, const struct jsonrpc_req *req);

/*
 * If @line is a batch keel would answer request by request, take it as
 * @c's batch under way; false for anything else.
 */
bool conn_batch_start(struct conn *c, const char *line, size_t len);

/*
 * Answer requests of @c's batch under way until it is done (true), or
 * the turn is over at @turn_end or @c is closing (false).
 */
bool conn_batch_step(struct conn *c, long long turn_end);

/* The answer to @c's finished batch (NULL: only notifications). */
struct json_object *conn_batch_finish(struct conn *c);

/*
 * After a line's dispatch: put the line's deferred replies in place in
 * @resp (owned), and return what to send now, or NULL when something
 * in it is still owed.
 */
struct json_object *conn_map_replies(struct conn *c, struct json_object *resp);

#endif /* KEEL_DAEMON_CONN_H */
