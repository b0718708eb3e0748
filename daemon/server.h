/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_SERVER_H
#define KEEL_DAEMON_SERVER_H

struct keeld;
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

#endif /* KEEL_DAEMON_SERVER_H */
