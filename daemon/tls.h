/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_TLS_H
#define KEEL_DAEMON_TLS_H

/*
 * keeld over TLS (keeld.8, TLS; docs/remote.md): the TCP addresses of
 * keeld.conf's `listen` lines, TLS 1.3 only, mutual X.509 with the PKI
 * directory's CA. A client whose certificate chains to the CA and whose
 * subject is on an allow-list is taken in like a client of keeld.sock
 * (tls_allowed_dn) or keeld-ro.sock (tls_readonly_dn), within the same
 * limits (admit.h): TLS is ended here and the JSON-RPC lines go to
 * server.c over a socket pair, so the framing, the limits and the
 * console streams are the same code. Every TLS client counts as the
 * one user KEELD_TLS_UID for max_clients_per_uid. A handshake takes no
 * client's place and at most tls_handshake_timeout seconds; a client
 * that sends and receives nothing for tls_idle_timeout is closed.
 */

#include "listener.h"

struct keeld;
struct tls_server;

/* The uid TLS clients are counted as (no local user has it). */
#define KEELD_TLS_UID ((uid_t)-2)

/* Most TLS handshakes under way at once; more are closed at once. */
#define TLS_MAX_HANDSHAKES 64

/*
 * Load the server's certificate, key and CA from @k->conf.pki_dir and
 * listen on every address of @k->conf.listen, handing each client let in
 * to @on_client(@arg, ...) at event priority @prio. Nothing to listen
 * on: 0 and *@out NULL. Returns 0 and *@out, or -errno after logging
 * why (a key readable by group or others is -EPERM).
 */
int tls_server_new(struct keeld *k, int prio, listeners_client_fn on_client,
		   void *arg, struct tls_server **out);

/* Stop listening and close every TLS connection. NULL is fine. */
void tls_server_free(struct tls_server *ts);

#endif /* KEEL_DAEMON_TLS_H */
