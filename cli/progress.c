// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The progress bar of keel save, restore and migrate (progress.h): a
 * child process that subscribes on a connection of its own and redraws
 * one line of stderr for each "progress" event of its job.
 */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keel.h"
#include "progress.h"

/* How long the call waits for the child's subscription. */
#define PROGRESS_READY_MS 2000
#define PROGRESS_WIDTH 30
#define PROGRESS_WIDTH_DETAIL 12

static void progress_draw(const struct progress_bar *b,
			  const struct keel_event *ev)
{
	long long done = ev->done, total = ev->total;
	int pct = total > 0 ? (int)(done * 100 / total) : 0;
	/* A detail line is longer: its bar is shorter, to fit 80 columns. */
	int width = b->detail ? PROGRESS_WIDTH_DETAIL : PROGRESS_WIDTH;
	char bar[PROGRESS_WIDTH + 1], text[160];
	int fill;

	if (pct > 100)
		pct = 100;
	fill = pct * width / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '-', (size_t)(width - fill));
	bar[width] = '\0';
	if (b->detail)
		b->detail(ev, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%.1f/%.1f MiB",
			 (double)done / 1048576.0, (double)total / 1048576.0);
	fprintf(stderr, "\r%s: [%s] %3d%%  %s\033[K", b->label, bar, pct,
		text);
	fflush(stderr);
}

static void progress_event(struct keel_conn *c, const struct keel_event *ev,
			   void *opaque)
{
	const struct progress_bar *b = opaque;

	(void)c;
	if (strcmp(ev->type, "progress") || strcmp(ev->job, b->job) ||
	    ev->done < 0 || ev->total < 0)
		return;
	if (b->dom && strcmp(b->dom, ev->domain.name) &&
	    strcasecmp(b->dom, ev->domain.uuid))
		return;
	progress_draw(b, ev);
}

/* The child: subscribe, say so on @ready, draw until killed. */
static void __attribute__((noreturn))
progress_child(const struct cli *cli, struct progress_bar *b, int ready)
{
	struct keel_conn *c = NULL;
	char *err = NULL;

	if (keel_connect(cli->uri, &c, &err))
		_exit(1);
	keel_set_event_callback(c, progress_event, b);
	if (keel_events_subscribe(c))
		_exit(1);
	if (write(ready, "", 1) != 1)
		_exit(1);
	close(ready);
	while (keel_event_wait(c, -1) >= 0)
		;
	_exit(0);
}

void progress_bar_start(const struct cli *cli, struct progress_bar *b)
{
	struct pollfd pfd;
	int p[2];
	char c;

	b->pid = 0;
	if (!isatty(STDERR_FILENO) || pipe(p))
		return;
	fflush(stderr);
	b->pid = fork();
	if (b->pid == 0) {
		close(p[0]);
		progress_child(cli, b, p[1]);
	}
	close(p[1]);
	if (b->pid < 0) {
		b->pid = 0;
		close(p[0]);
		return;
	}
	/* The call goes out once the child listens, or without it. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, PROGRESS_READY_MS) != 1 || read(p[0], &c, 1) != 1) {
		kill(b->pid, SIGKILL);
		waitpid(b->pid, NULL, 0);
		b->pid = 0;
	}
	close(p[0]);
}

void progress_bar_stop(struct progress_bar *b)
{
	if (!b->pid)
		return;
	kill(b->pid, SIGTERM);
	waitpid(b->pid, NULL, 0);
	b->pid = 0;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}
