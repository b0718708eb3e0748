/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_LISTENER_H
#define KEEL_DAEMON_LISTENER_H

/*
 * keeld's two listening sockets and who gets in (keeld.8, SOCKETS and
 * LIMITS): RUN_DIR/keeld.sock for root, keeld's user and the configured
 * group, RUN_DIR/keeld-ro.sock for anyone, each client within the
 * limits of admit.h. A client that is not let in gets one JSON-RPC
 * error line and a lingering close. When accept() fails (keeld is out
 * of descriptors) both sockets stop accepting for a while; and they
 * take a few connections at a time, so that a storm of them does not
 * keep the event loop from the clients already in. With `listen`
 * addresses, TLS clients come in too (tls.h), to the same @on_client.
 */

#include <stdbool.h>

#include <event2/util.h>

#include "admit.h"

struct keeld;
struct listeners;

/*
 * A client let in on @fd (owned), from keeld-ro.sock if @read_only,
 * holding the place @slot (copied); @peer_dn: a TLS client's subject
 * (RFC 2253, copied), NULL on the UNIX sockets. Returns 0, or -errno
 * when it could not be taken in: then the listeners close @fd and give
 * the place back.
 */
typedef int (*listeners_client_fn)(void *arg, evutil_socket_t fd,
				   bool read_only,
				   const struct client_slot *slot,
				   const char *peer_dn);

/*
 * Create both sockets (replacing stale ones: the caller holds the pid
 * file lock) and listen on @k->base, handing each client let in to
 * @on_client(@arg, ...). Internal events run at @prio. Returns 0 and
 * *@out, or -errno after logging why.
 */
int listeners_new(struct keeld *k, int prio, listeners_client_fn on_client,
		  void *arg, struct listeners **out);

/* Stop listening, unlink the sockets, close lingering connections. */
void listeners_free(struct listeners *ls);

/*
 * Close @fd (owned) once what was written to it has gone: stop
 * writing, then read and discard what the client still sends until it
 * closes too, two seconds pass or 64 KiB came. Closing at once could make the
 * client's own send() fail with EPIPE before it reads the answer that
 * says why. At most max_lingering (admit.h) at a time; past that @fd is
 * closed at once.
 */
void listeners_linger(struct listeners *ls, evutil_socket_t fd);

#endif /* KEEL_DAEMON_LISTENER_H */
