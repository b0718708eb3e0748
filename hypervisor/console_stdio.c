// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's --console stdio: a tap on COM1's port in the console
 * multiplexer, so that its output and input take the same path as the
 * console socket's (ring, log, input queue with its retry), with the
 * terminal in raw mode and Ctrl-] to quit.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console_stdio.h"
#include "log.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
#define CONSOLE_BUF 256

static struct termios console_stdio_saved;
static bool console_stdio_raw;

static void console_stdio_restore_tty(void)
{
	if (console_stdio_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &console_stdio_saved);
		console_stdio_raw = false;
	}
}

/*
 * Raw input, so that keys reach the guest one by one and Ctrl-C is the
 * guest's; output processing stays on so that our own log lines end
 * properly.
 */
static void console_stdio_raw_tty(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &console_stdio_saved) < 0)
		return;
	raw = console_stdio_saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
		console_stdio_raw = true;
		atexit(console_stdio_restore_tty);
	}
}

/* The tap's output: vCPU thread, UART lock held. */
static void console_stdio_output(void *opaque, const uint8_t *buf,
				 size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* stdout gone: the guest talks to nobody */
		buf += n;
		len -= (size_t)n;
	}
}

/* The port's input queue has room again: read stdin again. */
static void console_stdio_input_room(void *opaque)
{
	struct console_stdio *con = opaque;

	if (con->in_ev && !con->in_eof)
		event_add(con->in_ev, NULL);
}

static void console_stdio_input(evutil_socket_t fd, short what, void *arg)
{
	struct console_stdio *con = arg;
	size_t room = cmux_port_input_room(con->port);
	uint8_t buf[CONSOLE_BUF], *esc;
	size_t len;
	ssize_t n;

	if (!room) {
		/* Typed faster than the guest reads: wait for the queue. */
		event_del(con->in_ev);
		return;
	}
	n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: the guest keeps running without it. */
		con->in_eof = true;
		event_del(con->in_ev);
		return;
	}
	len = (size_t)n;
	esc = con->tty ? memchr(buf, CONSOLE_ESCAPE, len) : NULL;
	if (esc)
		len = (size_t)(esc - buf);
	cmux_port_input(con->port, buf, len);
	if (esc) {
		log_info("Ctrl-] pressed: stopping the VM.");
		con->escape(con->opaque);
	}
}

int console_stdio_attach(struct console_stdio *con, struct event_base *base,
			 struct cmux_port *port, void (*escape)(void *opaque),
			 void *opaque)
{
	const struct cmux_tap tap = {
		.output = console_stdio_output,
		.input_room = console_stdio_input_room,
		.opaque = con,
	};

	con->port = port;
	con->escape = escape;
	con->opaque = opaque;
	cmux_port_set_tap(port, &tap);
	con->in_ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
			       console_stdio_input, con);
	if (!con->in_ev)
		return -ENOMEM;
	if (event_add(con->in_ev, NULL) < 0) {
		/* /dev/null or a regular file: epoll refuses them. */
		log_debug("Standard input cannot be polled; the guest gets no console input.");
		event_free(con->in_ev);
		con->in_ev = NULL;
		return 0;
	}
	con->tty = isatty(STDIN_FILENO);
	if (con->tty)
		console_stdio_raw_tty();
	return 0;
}

void console_stdio_detach(struct console_stdio *con)
{
	console_stdio_restore_tty();
	if (con->port)
		cmux_port_set_tap(con->port, NULL);
	if (con->in_ev)
		event_free(con->in_ev);
	con->in_ev = NULL;
}
