/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONSOLE_STDIO_H
#define KEEL_HV_CONSOLE_STDIO_H

#include <stdbool.h>

#include "console_mux.h"

struct event;
struct event_base;

/* COM1 on keel-hv's standard input and output (--console stdio). */
struct console_stdio {
	struct cmux_port *port;
	struct event *in_ev; /* stdin readable; NULL: no input */
	bool in_eof;
	bool tty;
	void (*escape)(void *opaque);
	void *opaque;
};

/*
 * Tap @port: its output goes to standard output, standard input to the
 * guest through the port's input queue. On a terminal, the terminal is
 * put in raw mode (restored by console_stdio_detach() and at exit) and
 * Ctrl-] calls @escape(@opaque) instead of reaching the guest. A
 * standard input that cannot be polled (/dev/null, a file) gives the
 * guest no input. @con is zeroed by the caller. Returns 0 or -ENOMEM.
 */
int console_stdio_attach(struct console_stdio *con, struct event_base *base,
			 struct cmux_port *port, void (*escape)(void *opaque),
			 void *opaque);

/* Untap the port and restore the terminal. Idempotent; zeroed is fine. */
void console_stdio_detach(struct console_stdio *con);

#endif /* KEEL_HV_CONSOLE_STDIO_H */
