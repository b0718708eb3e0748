/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_PEER_H
#define KEEL_DAEMON_PEER_H

/*
 * keeld as a client of another keeld (docs/migration.md): JSON-RPC over
 * TLS 1.3 on keeld's event loop, no thread and nothing that blocks.
 * keeld presents clientcert.pem and private/clientkey.pem from its
 * pki_dir and checks the other keeld's certificate against cacert.pem
 * and the host as the user gave it (docs/remote.md), as libkeel does.
 */

#include <stdbool.h>

#include <json-c/json.h>

struct keeld;
struct peer;

/* How long connecting and the TLS handshake may take, in all. */
#define PEER_CONNECT_MS 15000

/* How long a call waits for its answer unless the caller says. */
#define PEER_CALL_MS 30000

/*
 * The answer to a peer_call(): @result (borrowed) when the other keeld
 * answered with one; else @code and @message (a sentence), and
 * @transport: true when no answer came (the connection failed, was
 * refused or closed, or the call timed out), false when the other keeld
 * answered with an error. Migration tells the two apart: after
 * migration.finish, only an error answer means it was refused.
 */
typedef void (*peer_reply_fn)(struct peer *p, struct json_object *result,
			      int code, const char *message, bool transport,
			      void *opaque);

/*
 * Start connecting to the keeld at @host (a name or an address, as the
 * user gave it: the certificate must name it) and @port, with @k's
 * PKI directory. Calls made meanwhile wait for the handshake. Returns 0
 * and *@out, or -errno with a sentence in @why (the PKI directory's
 * files cannot be loaded).
 */
int peer_new(struct keeld *k, const char *host, unsigned port,
	     struct peer **out, char *why, size_t size);

/*
 * Call @method with @params (owned, may be NULL) and wait at most
 * @timeout_ms (0: PEER_CALL_MS) for its answer. @cb is called exactly
 * once, from the event loop (never from inside peer_call()), unless
 * peer_free() comes first: then it is not called at all.
 */
void peer_call(struct peer *p, const char *method, struct json_object *params,
	       int timeout_ms, peer_reply_fn cb, void *opaque);

/* The host and port @p was made for. */
const char *peer_host(const struct peer *p);
unsigned peer_port(const struct peer *p);

/*
 * Close the connection and forget the calls under way without calling
 * their callbacks. NULL is fine; not from inside one of @p's callbacks
 * for another call than the one being answered (that one is done).
 */
void peer_free(struct peer *p);

#endif /* KEEL_DAEMON_PEER_H */
