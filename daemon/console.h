/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_CONSOLE_H
#define KEEL_DAEMON_CONSOLE_H

/*
 * domain.open_console: keeld's relay between a client connection and a
 * domain's keel-hv console socket (docs/console.md). After the
 * handshake, frames are copied both ways unchanged with bounded
 * buffers: a client that does not read stops keeld reading keel-hv for
 * it, and keel-hv then counts what that client missed.
 */

struct keeld;

/* Close every relay (keeld is exiting). */
void console_relays_free(struct keeld *k);

#endif /* KEEL_DAEMON_CONSOLE_H */
