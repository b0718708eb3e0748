/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_SERVER_H
#define KEEL_VIRT_SERVER_H

/*
 * keel-virtd's server (docs/libvirt.md, "Process model"): the UNIX
 * sockets, the clients on the libevent loop, keepalive, and the pool
 * of workers that answer calls, each with its own libkeel connection.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

#include "virt_tls.h"

#define VIRT_SOCKET_DEFAULT "/run/libvirt/virtkeeld-sock"
#define VIRT_WORKERS_DEFAULT 4
#define VIRT_WORKERS_MAX 64
/* The URI keel-virtd answers to (docs/libvirt.md). */
#define VIRT_URI "keel:///system"
/*
 * Calls of one client being answered at once; past it keel-virtd reads
 * no more of that client until one is done.
 */
#define VIRT_CLIENT_MAX_CALLS 16
/*
 * Replies a client has not read yet: past this keel-virtd takes no more
 * of its calls until it reads (one reply may go past it).
 */
#define VIRT_CLIENT_MAX_OUTPUT (8 * 1024 * 1024)
/* Clients at once; more are closed as they come. */
#define VIRT_MAX_CLIENTS 1024
/* After accept() failed for want of descriptors, wait this long. */
#define VIRT_ACCEPT_PAUSE_MS 1000
/* libvirt's keepalive: a ping after 5 s of silence, 5 unanswered: gone. */
#define VIRT_KEEPALIVE_INTERVAL_S 5
#define VIRT_KEEPALIVE_COUNT 5

struct virt_options {
	const char *keeld;	/* libkeel URI; NULL: $KEEL_URI or keeld's socket */
	const char *socket;	/* the read-write socket */
	char *socket_ro;	/* socket + "-ro" */
	unsigned workers;
	char *hv_path;		/* keel-hv, the emulator of the capabilities */
	struct virt_tls_options tls;	/* the TLS port (virt_tls.c) */
};

struct virt_server;
struct virt_client;

/*
 * Listen on @o's sockets (made, with their directory, if missing; a
 * stale socket file is replaced, one a live server answers on is not)
 * and start the workers. @o is borrowed for the server's life.
 * Returns 0 and *@out, or -errno after logging why.
 */
int virt_server_new(struct event_base *base, const struct virt_options *o,
		    struct virt_server **out);

/*
 * Close every client and both sockets, remove the socket files, stop
 * the workers (waiting for the calls they are in). NULL is fine.
 */
void virt_server_free(struct virt_server *s);

/*
 * Serve @bev (taken, freed on failure: a TLS connection virt_tls.c let
 * in) as a client, read-only when @readonly. Returns 0 or -errno.
 */
int virt_server_adopt(struct virt_server *s, struct bufferevent *bev,
		      bool readonly);

/* For the handlers: the state of the connection a call came on. */
/* CONNECT_OPEN succeeded, read-only if @readonly (or by its socket). */
void virt_client_set_open(struct virt_client *c, bool readonly);
/* CONNECT_CLOSE: no more calls but the pre-open ones. */
void virt_client_set_closed(struct virt_client *c);
/* The client was told keepalive is supported (feature 10). */
void virt_client_enable_keepalive(struct virt_client *c);

/* For events and streams (virt_events.c, virt_stream.c): */
/* The server's event fan-out. */
struct virt_events *virt_client_events(struct virt_client *c);
/* The loop the client is on. */
struct event_base *virt_client_base(struct virt_client *c);
/* The client's lock (recursive): taken before any of those files'. */
void virt_client_lock(struct virt_client *c);
void virt_client_unlock(struct virt_client *c);
/* The client is closed (ask under its lock to rely on the answer). */
bool virt_client_closed(struct virt_client *c);
/* Queue the whole message @msg (taken); dropped once the client closed. */
void virt_client_send(struct virt_client *c, uint8_t *msg, size_t len);
/* More than VIRT_CLIENT_MAX_OUTPUT of its messages are unread. */
bool virt_client_backlogged(struct virt_client *c);
/*
 * Close the client soon, on the loop, saying @why (static): for the
 * loop's code in the middle of a walk over the clients' callbacks.
 */
void virt_client_drop(struct virt_client *c, const char *why);

#endif /* KEEL_VIRT_SERVER_H */
