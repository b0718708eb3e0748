/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_SERVER_H
#define KEEL_DAEMON_SERVER_H

#include <json-c/json.h>

#include "jsonrpc.h"

struct bufferevent;
struct keeld;
struct methods_caller;
struct reply;
struct server;

/*
 * Most bytes of responses a client may leave unread. Past it the client
 * is disconnected, so that one that stops reading costs bounded memory
 * and never holds up the others.
 */
#define SERVER_MAX_OUTPUT (4 * 1024 * 1024)

/*
 * Listen on RUN_DIR/keeld.sock (mode 0660, owned by the configured
 * group; uid 0, keeld's own uid and the group's members only) and
 * RUN_DIR/keeld-ro.sock (mode 0666, read-only methods) on @k->base.
 * Stale sockets are replaced: the caller holds the pid file lock.
 * Returns 0 and *@out, or -errno after logging why.
 */
int server_new(struct keeld *k, struct server **out);

/* Close every connection and both listeners; unlink the sockets. */
void server_free(struct server *srv);

/*
 * Deferred answers. A handler that cannot answer at once (it waits for
 * keel-hv, or for a guest to shut down) calls server_defer() and
 * returns jsonrpc_deferred(); later, from the event loop, it calls
 * reply_send() exactly once with the response, built with
 * reply_id(). The connection keeps serving other requests meanwhile
 * (JSON-RPC matches answers by id); a batch is sent when its last
 * deferred member is answered. If the client has gone, the answer is
 * dropped. Returns NULL when out of memory.
 */
struct reply *server_defer(struct methods_caller *caller,
			   const struct jsonrpc_req *req);
struct json_object *reply_id(const struct reply *r);
/* @resp owned; NULL is answered as an internal error. Frees @r. */
void reply_send(struct reply *r, struct json_object *resp);

/*
 * Read no more requests from @caller's connection until @r is answered
 * (its bytes may be something else, e.g. a console stream).
 * reply_send() releases it; reply_send_stream() hands it over.
 */
void server_hold(struct methods_caller *caller, struct reply *r);

/*
 * Answer @r (held, not part of a batch) with @resp and take its
 * connection out of the server: returns its bufferevent, with @resp
 * queued in its output and whatever the client sent after the request
 * still in its input, no callbacks set, owned by the caller. NULL when
 * the client has gone (then @resp is dropped).
 */
struct bufferevent *reply_send_stream(struct reply *r,
				      struct json_object *resp);

/* Send @caller's connection every event from now on. */
void server_subscribe(struct methods_caller *caller);

/* Send @msg (borrowed) to every subscribed connection. */
void server_broadcast(struct server *srv, struct json_object *msg);

#endif /* KEEL_DAEMON_SERVER_H */
