// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel console (and create -c): attach the terminal to a domain's
 * console through libkeel's console stream (docs/console.md). Input
 * goes to the domain when this client is the writer, output comes to
 * stdout, MISSED and ROLE changes are short bracketed notes on stderr.
 *
 * A terminal on stdin is put in raw mode, so that every key reaches the
 * guest, and restored on every way out: detaching on the escape
 * character, the end of the stream, an error, and SIGINT, SIGTERM or
 * SIGHUP. The signal handlers restore it themselves (tcsetattr() is
 * async-signal-safe), so that it is not left raw even while a write
 * blocks, and they are one-shot: a second signal kills keel the default
 * way, with the terminal already restored. They wake the poll loop
 * through a pipe.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "keel.h"

/* As in domain_cmds.c: room for any name, uuid or number. */
#define DOM_BUF 256

/* The most input read, and sent as one frame, at a time. */
#define CONSOLE_INPUT_MAX 4096

/*
 * The most frames handled before stdin and the signals get their turn:
 * a flood of output must not make the escape character wait.
 */
#define CONSOLE_FRAMES_PER_ROUND 64

/* What the signal handlers share with the loop; one attach at a time. */
static struct termios console_saved_tty;
static volatile sig_atomic_t console_tty_raw;
static volatile sig_atomic_t console_signal;
static volatile sig_atomic_t console_winch;
static int console_wake_fd = -1;

static void console_on_signal(int sig)
{
	int saved_errno = errno;
	char b = 0;
	ssize_t n;

	if (sig == SIGWINCH) {
		console_winch = 1;
	} else {
		if (console_tty_raw)
			tcsetattr(STDIN_FILENO, TCSANOW, &console_saved_tty);
		console_tty_raw = 0;
		console_signal = sig;
	}
	if (console_wake_fd >= 0) {
		n = write(console_wake_fd, &b, 1);
		(void)n;	/* full: the loop is woken already */
	}
	errno = saved_errno;
}

/* What a step of the loop says: go on, or why it is over. */
enum {
	CONSOLE_FAILED = -1,	/* s->error says why */
	CONSOLE_GO_ON = 0,
	CONSOLE_DETACH = 1,	/* the escape character, or a signal */
	CONSOLE_ENDED = 2,	/* the END frame */
};

/* One attached console. */
struct console_session {
	struct keel_console *con;
	const char *label;	/* the domain, as the user named it */
	const char *which;	/* "serial", "virtio"; NULL: keeld chose */
	int escape;		/* the byte that detaches; -1: none */
	bool tty;		/* stdin is a terminal: raw, window size */
	bool stdin_open;
	bool read_only;
	int wake[2];		/* the signal handlers' pipe */
	struct sigaction old_int, old_term, old_hup, old_winch, old_pipe;
	/* Why attaching failed, said once the terminal is restored. */
	char error[512];
};

/* A note on stderr: "[...]" on a line of its own, raw mode or not. */
static void console_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void console_note(const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (console_tty_raw)
		fprintf(stderr, "\r\n[%s]\r\n", msg);
	else
		fprintf(stderr, "[%s]\n", msg);
}

static void console_fail(struct console_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void console_fail(struct console_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

/*
 * keel console -t's names, as xl console -t spells them, and keeld's
 * name for each console: xl's pv console of a PV guest is keel's
 * virtio console (hvc0); "virtio" stays accepted as it is.
 */
static const struct {
	const char *type;	/* -t TYPE */
	const char *console;	/* domain.open_console's "console" */
} console_types[] = {
	{ "pv", "virtio" },
	{ "serial", "serial" },
	{ "virtio", "virtio" },
};

/* keeld's name for the console -t @type names, or NULL for none. */
static const char *console_type(const char *type)
{
	for (size_t i = 0; i < sizeof(console_types) / sizeof(console_types[0]);
	     i++)
		if (!strcmp(type, console_types[i].type))
			return console_types[i].console;
	return NULL;
}

/*
 * The escape character @arg names: one character, ^X (a control
 * character; ^? is DEL) or "none" (-1). Returns false when it names
 * none of these.
 */
static bool console_parse_escape(const char *arg, int *out)
{
	if (!strcmp(arg, "none")) {
		*out = -1;
		return true;
	}
	if (strlen(arg) == 1) {
		*out = (unsigned char)arg[0];
		return true;
	}
	if (strlen(arg) == 2 && arg[0] == '^') {
		int c = toupper((unsigned char)arg[1]);

		if (c == '?') {
			*out = 0x7f;
			return true;
		}
		if (c >= '@' && c <= '_') {
			*out = c & 0x1f;
			return true;
		}
	}
	return false;
}

/* @escape as the user would type it: "^]", "~". */
static void console_escape_name(int escape, char *buf, size_t size)
{
	if (escape < 0x20)
		snprintf(buf, size, "^%c", escape + '@');
	else if (escape == 0x7f)
		snprintf(buf, size, "^?");
	else
		snprintf(buf, size, "%c", escape);
}

/* --- the terminal and the signals ------------------------------------ */

/* Raw mode on a terminal stdin; nothing to do for a pipe or a file. */
static void console_tty_enter(struct console_session *s)
{
	struct termios raw;

	s->tty = isatty(STDIN_FILENO) &&
		 tcgetattr(STDIN_FILENO, &console_saved_tty) == 0;
	if (!s->tty)
		return;
	raw = console_saved_tty;
	cfmakeraw(&raw);
	console_tty_raw = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		console_tty_raw = 0;
}

/* Idempotent, and harmless after a signal handler restored it first. */
static void console_tty_leave(struct console_session *s)
{
	if (!s->tty)
		return;
	console_tty_raw = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &console_saved_tty);
}

static int console_signals_install(struct console_session *s)
{
	struct sigaction sa, ign;

	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		console_fail(s, "Cannot attach to the console: %s.",
			     strerror(errno));
		return -1;
	}
	console_wake_fd = s->wake[1];
	console_signal = 0;
	console_winch = 0;

	/* No SA_RESTART: a signal must cut a blocking write short. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = console_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &s->old_winch);
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, &s->old_int);
	sigaction(SIGTERM, &sa, &s->old_term);
	sigaction(SIGHUP, &sa, &s->old_hup);
	/* A closed stdout is an error to report, not a death in raw mode. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &s->old_pipe);
	return 0;
}

static void console_signals_restore(struct console_session *s)
{
	if (s->wake[0] < 0)
		return;
	sigaction(SIGINT, &s->old_int, NULL);
	sigaction(SIGTERM, &s->old_term, NULL);
	sigaction(SIGHUP, &s->old_hup, NULL);
	sigaction(SIGWINCH, &s->old_winch, NULL);
	sigaction(SIGPIPE, &s->old_pipe, NULL);
	console_wake_fd = -1;
	close(s->wake[0]);
	close(s->wake[1]);
	s->wake[0] = s->wake[1] = -1;
}

/* --- the stream ------------------------------------------------------- */

/*
 * The terminal's size to keel-hv, when there is one and we type.
 * Returns GO_ON or FAILED.
 */
static int console_send_size(struct console_session *s)
{
	struct winsize ws;

	if (!s->tty || s->read_only ||
	    keel_console_role(s->con) != KEEL_CONSOLE_WRITER)
		return CONSOLE_GO_ON;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 || !ws.ws_row ||
	    !ws.ws_col)
		return CONSOLE_GO_ON;
	if (keel_console_resize(s->con, ws.ws_row, ws.ws_col) < 0) {
		console_fail(s, "%s", keel_console_last_error(s->con)->message);
		return CONSOLE_FAILED;
	}
	return CONSOLE_GO_ON;
}

/*
 * All of @len bytes to stdout, waiting when it is non-blocking and full.
 * Returns GO_ON or FAILED.
 */
static int console_output(struct console_session *s, const char *data,
			  size_t len)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(STDOUT_FILENO, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0) {
			console_fail(s, "Cannot write the console's output: %s.",
				     strerror(errno));
			return CONSOLE_FAILED;
		}
		data += n;
		len -= (size_t)n;
	}
	return CONSOLE_GO_ON;
}

/* One frame. Returns GO_ON, ENDED or FAILED. */
static int console_frame(struct console_session *s,
			 const struct keel_console_frame *f)
{
	switch (f->kind) {
	case KEEL_CONSOLE_DATA:
		return console_output(s, f->data, f->len);
	case KEEL_CONSOLE_MISSED:
		console_note("missed %llu bytes of output", f->missed);
		return CONSOLE_GO_ON;
	case KEEL_CONSOLE_ROLE:
		if (f->role == KEEL_CONSOLE_WRITER) {
			console_note("you are the writer now");
			return console_send_size(s);
		}
		console_note("another client took the input; you are a viewer now");
		return CONSOLE_GO_ON;
	case KEEL_CONSOLE_END:
		console_note("console closed: %s",
			     f->len ? f->data : "the stream ended");
		return CONSOLE_ENDED;
	}
	return CONSOLE_GO_ON;
}

/*
 * Handle the frames that are there, at most a round's worth; *@more
 * says whether more may be waiting in libkeel's buffer. Returns as
 * console_frame().
 */
static int console_read_output(struct console_session *s, bool *more)
{
	struct keel_console_frame f;
	int rc;

	*more = false;
	for (int i = 0; i < CONSOLE_FRAMES_PER_ROUND; i++) {
		rc = keel_console_read(s->con, &f);
		if (rc == 0)
			return CONSOLE_GO_ON;
		if (rc < 0) {
			console_fail(s, "%s",
				     keel_console_last_error(s->con)->message);
			return CONSOLE_FAILED;
		}
		rc = console_frame(s, &f);
		if (rc != CONSOLE_GO_ON)
			return rc;
	}
	*more = true;
	return CONSOLE_GO_ON;
}

/* Input. Returns GO_ON, DETACH (the escape character) or FAILED. */
static int console_read_input(struct console_session *s)
{
	char buf[CONSOLE_INPUT_MAX], *esc = NULL;
	size_t len;
	ssize_t n;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return CONSOLE_GO_ON;
	if (n <= 0) {
		/* The end of a pipe: keep showing the output. */
		s->stdin_open = false;
		return CONSOLE_GO_ON;
	}
	len = (size_t)n;
	if (s->escape >= 0)
		esc = memchr(buf, s->escape, len);
	if (esc)
		len = (size_t)(esc - buf);
	/* A viewer's input would be dropped by keel-hv anyway. */
	if (len && !s->read_only &&
	    keel_console_role(s->con) == KEEL_CONSOLE_WRITER &&
	    keel_console_write(s->con, buf, len) < 0) {
		console_fail(s, "%s", keel_console_last_error(s->con)->message);
		return CONSOLE_FAILED;
	}
	return esc ? CONSOLE_DETACH : CONSOLE_GO_ON;
}

/* The signals that came. Returns GO_ON, DETACH or FAILED. */
static int console_on_wake(struct console_session *s)
{
	char buf[64];

	while (read(s->wake[0], buf, sizeof(buf)) > 0)
		;
	if (console_signal)
		return CONSOLE_DETACH;
	if (console_winch) {
		console_winch = 0;
		return console_send_size(s);
	}
	return CONSOLE_GO_ON;
}

/* Wait for output, input or a signal and handle it, until done. */
static int console_loop(struct console_session *s)
{
	struct pollfd pfd[3];
	/* The first frames may have come with keeld's answer: read first. */
	bool more = true;
	int rc = CONSOLE_GO_ON, n;

	while (rc == CONSOLE_GO_ON) {
		pfd[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = keel_console_fd(s->con),
					  .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = s->stdin_open ? STDIN_FILENO :
								 -1,
					  .events = POLLIN };
		if (console_signal)
			return CONSOLE_DETACH;
		n = poll(pfd, 3, more ? 0 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			console_fail(s, "Cannot wait for the console: %s.",
				     strerror(errno));
			return CONSOLE_FAILED;
		}
		if (pfd[0].revents)
			rc = console_on_wake(s);
		if (rc == CONSOLE_GO_ON && (pfd[1].revents || more))
			rc = console_read_output(s, &more);
		if (rc != CONSOLE_GO_ON)
			break;
		if (pfd[2].revents & POLLNVAL)
			s->stdin_open = false;
		else if (pfd[2].revents)
			rc = console_read_input(s);
	}
	return rc;
}

int cli_console_attach(struct cli *cli, const char *dom, const char *label,
		       const struct keel_console_opts *o, int escape)
{
	struct console_session s = {
		.label = label,
		.which = o->console,
		.escape = escape,
		.stdin_open = true,
		.read_only = o->read_only,
		.wake = { -1, -1 },
	};
	char esc[8];
	int rc;

	if (keel_console_open(cli->conn, dom, o, &s.con) < 0)
		return cli_call_failed(cli);
	cli->conn = NULL;	/* the console's now */

	if (console_signals_install(&s) < 0) {
		rc = CONSOLE_FAILED;
		goto out_close;
	}
	if (isatty(STDIN_FILENO)) {
		console_escape_name(escape, esc, sizeof(esc));
		fprintf(stderr, "[Connected to %s's %s%sconsole as %s%s%s%s]\n",
			label, s.which ? s.which : "", s.which ? " " : "",
			keel_console_role(s.con) == KEEL_CONSOLE_WRITER ?
				"the writer" : "a viewer",
			escape >= 0 ? "; " : "", escape >= 0 ? esc : "",
			escape >= 0 ? " detaches" : "");
	}
	console_tty_enter(&s);
	rc = console_send_size(&s);
	if (rc == CONSOLE_GO_ON)
		rc = console_loop(&s);
	if (rc == CONSOLE_DETACH && s.tty && !console_signal)
		console_note("detached");
	console_tty_leave(&s);
	console_signals_restore(&s);

out_close:
	keel_console_close(s.con);
	if (rc == CONSOLE_FAILED) {
		cli_error("%s", s.error[0] ? s.error : "The console failed.");
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cmd_console(struct cli *cli, const struct cli_args *args)
{
	struct keel_console_opts o = KEEL_CONSOLE_OPTS_INIT;
	const char *type = cli_optarg(args, 't');
	const char *history = cli_optarg(args, CLI_OPT_HISTORY);
	const char *esc = cli_optarg(args, 'e');
	const char *num = cli_optarg(args, 'n');
	int escape = CLI_CONSOLE_ESCAPE, rc;
	char dom[DOM_BUF];

	/* Without -t, keeld picks the guest's own console; ask for none. */
	if (type && !console_type(type))
		return cli_usage(args->cmd,
				 "The console is pv, serial or virtio, not \"%s\".",
				 type);
	o.console = type ? console_type(type) : NULL;
	o.read_only = cli_flag(args, 'r');
	o.force = cli_flag(args, 'f');
	if (o.read_only && o.force)
		return cli_usage(args->cmd,
				 "Give --read-only or --force, not both.");
	if (history) {
		/* keeld checks the upper bound: the schema is the one truth. */
		if (!cli_is_number(history) || strlen(history) > 9)
			return cli_usage(args->cmd,
					 "The history is a number of lines, not \"%s\".",
					 history);
		o.history_lines = atol(history);
	}
	if (num && (!cli_is_number(num) || strlen(num) > 9))
		return cli_usage(args->cmd,
				 "The console number is a number from 0, not \"%s\".",
				 num);
	if (num && atol(num) != 0) {
		/* xl numbers a domain's consoles of a type from 0. */
		cli_error("A keel domain has one console of each type, number 0; it has no console %s.",
			  num);
		return CLI_FAIL;
	}
	if (esc && !console_parse_escape(esc, &escape))
		return cli_usage(args->cmd,
				 "The escape character is one character, ^X or none, not \"%s\".",
				 esc);
	rc = cli_connect(cli);
	if (rc)
		return rc;
	rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	return cli_console_attach(cli, dom, args->argv[0], &o, escape);
}
