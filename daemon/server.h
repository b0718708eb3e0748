/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_SERVER_H
#define KEEL_DAEMON_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "jsonrpc.h"
#include "admit.h"

struct bufferevent;
struct keeld;
struct methods_caller;
struct reply;
struct server;

/*
 * Most bytes of responses a client may leave unread. Past it the client
 * is disconnected, so that one that stops reading costs bounded memory
 * and never holds up the others. Clients other than root on keeld.sock
 * are also held to a shared budget (admit.h): while it is spent, one
 * that leaves more than 64 KiB unread is disconnected too.
 */
#define SERVER_MAX_OUTPUT (4 * 1024 * 1024)

/*
 * Listen on RUN_DIR/keeld.sock (mode 0660, owned by the configured
 * group; uid 0, keeld's own uid and the group's members only) and
 * RUN_DIR/keeld-ro.sock (mode 0666, read-only methods) on @k->base,
 * admitting clients within @k->admit (which must outlive the server).
 * Root's connections on keeld.sock get @k->base's first event priority,
 * everyone else's its last. Stale sockets are replaced: the caller holds
 * the pid file lock. Returns 0 and *@out, or -errno after logging why.
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
 * still in its input, no callbacks set, at the client's event
 * priority, owned by the caller. The connection's place in the limits
 * moves to *@slot, charged nothing: the caller admit_leave()s it when
 * it closes the stream. NULL when the client has gone (then @resp is
 * dropped and *@slot is not touched).
 */
struct bufferevent *reply_send_stream(struct reply *r,
				      struct json_object *resp,
				      struct client_slot *slot);

/*
 * Would @bytes more buffered for @caller's client fit in the clients'
 * budget (always, for root on keeld.sock)?
 */
bool server_fits(struct methods_caller *caller, size_t bytes);

/* Send @caller's connection every event from now on. */
void server_subscribe(struct methods_caller *caller);

/* Send @msg (borrowed) to every subscribed connection. */
void server_broadcast(struct server *srv, struct json_object *msg);

#endif /* KEEL_DAEMON_SERVER_H */
