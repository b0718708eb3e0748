// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel top: xentop for keel (man/keel.1). Every DELAY seconds one
 * domain.stats_all, whatever the number of domains; the rows and their
 * rates are cli/top.c's. On a terminal it redraws the screen and reads
 * xentop's keys, with nothing but termios and ANSI escapes (no curses:
 * one dependency fewer, and the screen is a list of lines anyway); with
 * -b, or when standard input or output is not a terminal, it prints the
 * samples one after another, and with --json one JSON object a line.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "keel.h"
#include "top.h"

#define TOP_DEFAULT_DELAY_MS 3000 /* xentop's */
#define TOP_MAX_DELAY_S 86400

/* What the user chose, on the command line and with the keys. */
struct top_view {
	int delay_ms;
	long iterations;	/* 0: until q or a signal */
	bool batch, json;
	bool nets, vcpus, vbds, repeat_header;
	enum top_sort sort;
	size_t first;		/* rows scrolled off the top (arrows) */
};

/* The last sample and its rows, kept to redraw after a key. */
struct top_state {
	struct json_object *prev, *cur;
	struct top_row *rows;
	int n;
};

static volatile sig_atomic_t top_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void on_winch(int sig)
{
	(void)sig; /* only to interrupt poll(): the next draw asks the size */
}

/* Seconds, with a fraction as top(1) takes them ("0.5"), into ms. */
static bool parse_delay(const char *s, int *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || *end || !(d >= 0.1) || d > TOP_MAX_DELAY_S)
		return false;
	*ms = (int)(d * 1000 + 0.5);
	return true;
}

static void wall_clock(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%H:%M:%S", &tm))
		snprintf(buf, size, "?");
}

/* --- one sample ------------------------------------------------------------ */

/* Ask keeld for a new sample; the old current one becomes prev. */
static int top_sample(struct cli *cli, struct top_state *st)
{
	struct json_object *s;

	if (keel_domain_stats_all(cli->conn, &s))
		return cli_call_failed(cli);
	json_object_put(st->prev);
	st->prev = st->cur;
	st->cur = s;
	free(st->rows);
	st->n = top_rows(st->prev, st->cur, &st->rows);
	if (st->n < 0) {
		st->rows = NULL;
		cli_error("Out of memory.");
		return CLI_FAIL;
	}
	return CLI_OK;
}

static void top_state_dispose(struct top_state *st)
{
	json_object_put(st->prev);
	json_object_put(st->cur);
	free(st->rows);
}

/* The whole screen's text (or one batch sample) into @f. */
static void top_print(FILE *f, const struct top_view *v,
		      struct top_state *st, size_t first)
{
	char now[16];

	top_sort(st->rows, (size_t)st->n, v->sort);
	wall_clock(now, sizeof(now));
	top_print_summary(f, st->cur, now, st->rows, (size_t)st->n);
	if (!v->repeat_header) {
		top_print_header(f);
		fputc('\n', f);
	}
	for (size_t i = first; i < (size_t)st->n; i++) {
		if (v->repeat_header) {
			top_print_header(f);
			fputc('\n', f);
		}
		top_print_row(f, &st->rows[i]);
		fputc('\n', f);
		if (v->vcpus)
			top_print_vcpus(f, &st->rows[i]);
		if (v->nets)
			top_print_nets(f, &st->rows[i]);
		if (v->vbds)
			top_print_vbds(f, &st->rows[i]);
	}
}

/* One JSON object a line: keeld's time and host, and the rows. */
static int top_print_json(const struct top_view *v, struct top_state *st)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array(), *host;

	if (!o || !list) {
		json_object_put(o);
		json_object_put(list);
		cli_error("Out of memory.");
		return CLI_FAIL;
	}
	top_sort(st->rows, (size_t)st->n, v->sort);
	json_object_object_get_ex(st->cur, "time_ns", &host);
	json_object_object_add(o, "time_ns", json_object_get(host));
	json_object_object_add(o, "time", json_object_new_int64(time(NULL)));
	json_object_object_get_ex(st->cur, "host", &host);
	json_object_object_add(o, "host", json_object_get(host));
	for (int i = 0; i < st->n; i++)
		json_object_array_add(list, top_row_json(&st->rows[i]));
	json_object_object_add(o, "domains", list);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return CLI_OK;
}

/* --- the terminal ---------------------------------------------------------- */

static struct termios saved_tio;

static int term_raw(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return -1;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t))
		return -1;
	fputs("\033[?25l", stdout); /* hide the cursor */
	return 0;
}

static void term_restore(void)
{
	fputs("\033[?25h\n", stdout);
	fflush(stdout);
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void term_size(int *rows, int *cols)
{
	struct winsize ws;

	*rows = 24;
	*cols = 80;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	}
}

static const char *status_line(const struct top_view *v)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "Delay %gs  Sort %s  [D]elay [N]etworks [V]CPUs v[B]ds "
		 "[R]epeat header [S]ort [Q]uit",
		 v->delay_ms / 1000.0, top_sort_name(v->sort));
	return buf;
}

/* Redraw: the text of top_print(), each line cut to the screen. */
static void term_draw(const struct top_view *v, struct top_state *st,
		      const char *prompt)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int rows, cols, y = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	top_print(f, v, st, v->first < (size_t)st->n ? v->first : 0);
	fclose(f);
	term_size(&rows, &cols);
	fputs("\033[H\033[J", stdout);
	for (line = strtok_r(text, "\n", &save); line && y < rows - 1;
	     line = strtok_r(NULL, "\n", &save), y++)
		printf("%.*s\n", cols, line);
	/* The bottom line: the delay asked for, or what the keys do. */
	printf("\033[%d;1H", rows);
	if (prompt)
		fputs(prompt, stdout);
	else
		printf("%.*s", cols, status_line(v));
	fflush(stdout);
	free(text);
}

/* A key, or an arrow as 'A' (up) / 'B' (down) with *@arrow set. */
static int term_key(bool *arrow)
{
	unsigned char c, seq[2];
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	*arrow = false;
	if (read(STDIN_FILENO, &c, 1) != 1)
		return -1;
	if (c != 0x1b)
		return c;
	/* A lone Esc quits; an arrow is Esc [ A within a moment. */
	if (poll(&p, 1, 50) != 1 || read(STDIN_FILENO, seq, 1) != 1 ||
	    seq[0] != '[' || read(STDIN_FILENO, seq + 1, 1) != 1)
		return 0x1b;
	*arrow = true;
	return seq[1];
}

/* The d key: read a new delay on the bottom line. */
static void term_ask_delay(struct top_view *v, struct top_state *st)
{
	char buf[16] = "", prompt[64];
	size_t n = 0;
	bool arrow;
	int c;

	for (;;) {
		snprintf(prompt, sizeof(prompt), "Delay in seconds: %s", buf);
		term_draw(v, st, prompt);
		c = term_key(&arrow);
		if (c < 0 || c == 0x1b || top_stop)
			return;
		if (c == '\n' || c == '\r')
			break;
		if ((c == 0x7f || c == '\b') && n)
			buf[--n] = '\0';
		else if (!arrow && n + 1 < sizeof(buf) &&
			 ((c >= '0' && c <= '9') || c == '.'))
			buf[n++] = (char)c, buf[n] = '\0';
	}
	parse_delay(buf, &v->delay_ms);
}

/*
 * Keys until the delay has passed (true), or q/Esc/a signal (false).
 * A key that changes the view redraws the same sample at once.
 */
static bool term_wait(struct top_view *v, struct top_state *st)
{
	struct timespec t0, t1;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	bool arrow;
	int left = v->delay_ms, c;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0 && !top_stop) {
		int ready = poll(&p, 1, left);

		if (ready < 0 && errno == EINTR && !top_stop)
			term_draw(v, st, NULL);	/* SIGWINCH: a new size */
		if (ready == 1) {
			c = term_key(&arrow);
			if (c < 0 || c == 0x1b || c == 'q' || c == 'Q')
				return false;
			if (arrow && c == 'A' && v->first)
				v->first--;
			else if (arrow && c == 'B' && v->first + 1 < (size_t)st->n)
				v->first++;
			else if (!arrow)
				switch (c | 0x20) {
				case 'd': term_ask_delay(v, st); break;
				case 'n': v->nets = !v->nets; break;
				case 'v': v->vcpus = !v->vcpus; break;
				case 'b': case 'x': v->vbds = !v->vbds; break;
				case 'r':
					v->repeat_header = !v->repeat_header;
					break;
				case 's':
					v->sort = (v->sort + 1) % TOP_NR_SORTS;
					break;
				}
			term_draw(v, st, NULL);
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = v->delay_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
					   (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return !top_stop;
}

/* --- the loop -------------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (!top_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int top_loop(struct cli *cli, struct top_view *v, bool screen)
{
	struct top_state st = { 0 };
	int rc = CLI_OK;

	for (long i = 0; !v->iterations || i < v->iterations; i++) {
		if (i && screen && !term_wait(v, &st))
			break;
		if (i && !screen)
			sleep_ms(v->delay_ms);
		if (top_stop)
			break;
		rc = top_sample(cli, &st);
		if (rc)
			break;
		if (screen)
			term_draw(v, &st, NULL);
		else if (v->json)
			rc = top_print_json(v, &st);
		else
			top_print(stdout, v, &st, 0);
		if (rc || fflush(stdout))
			break;
	}
	top_state_dispose(&st);
	return rc;
}

int cmd_top(struct cli *cli, const struct cli_args *args)
{
	struct top_view v = { .delay_ms = TOP_DEFAULT_DELAY_MS };
	const char *d = cli_optarg(args, 'd'), *it = cli_optarg(args, 'i');
	struct sigaction sa = { .sa_handler = on_stop_signal };
	bool screen;
	int rc;

	if (d && !parse_delay(d, &v.delay_ms))
		return cli_usage(args->cmd,
				 "The delay is a number of seconds from 0.1 to %d, not \"%s\".",
				 TOP_MAX_DELAY_S, d);
	if (it && (!cli_is_number(it) || strlen(it) > 9 || atol(it) < 1))
		return cli_usage(args->cmd,
				 "The number of iterations is a whole number from 1, not \"%s\".",
				 it);
	v.iterations = it ? atol(it) : 0;
	v.batch = cli_flag(args, 'b');
	v.json = cli_flag(args, CLI_OPT_JSON);
	v.nets = cli_flag(args, 'n');
	v.vcpus = cli_flag(args, 'v');
	v.vbds = cli_flag(args, 'x');
	v.repeat_header = cli_flag(args, 'r');
	screen = !v.batch && !v.json && isatty(STDIN_FILENO) &&
		 isatty(STDOUT_FILENO);
	rc = cli_connect(cli);
	if (rc)
		return rc;
	/* No SA_RESTART: a signal must end a wait in poll() or nanosleep(). */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	if (screen && term_raw())
		screen = false;
	rc = top_loop(cli, &v, screen);
	if (screen)
		term_restore();
	return rc;
}
