// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * save and restore (xl's; keel(1)): a domain's whole state into a file
 * on keeld's host and back. FILE is made absolute from this directory,
 * which is what a user of a local keeld means; whether it exists is
 * keeld's to say, on its own host. On a terminal a
 * progress bar goes to stderr: a child process with its own connection
 * subscribes to events before the call and draws keeld's "progress"
 * events, since the call itself blocks until the work is done.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "keel.h"

#define SAVE_DOM_BUF 256
/* How long the call waits for the progress bar's subscription. */
#define SAVE_BAR_READY_MS 2000
#define SAVE_BAR_WIDTH 30

/* FILE as an absolute path into @out; CLI_OK or a CLI_* failure. */
static int save_abs_path(const struct cli_command *cmd, const char *file,
			 char *out, size_t size)
{
	char cwd[PATH_MAX];

	if (!file[0])
		return cli_usage(cmd, "Give the file's name.");
	if (file[0] == '/') {
		snprintf(out, size, "%s", file);
		return CLI_OK;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		cli_error("Cannot tell the current directory to make %s absolute; give an absolute path.",
			  file);
		return CLI_FAIL;
	}
	if ((size_t)snprintf(out, size, "%s/%s", cwd, file) >= size) {
		cli_error("The path %s/%s is too long.", cwd, file);
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* What the progress bar's child draws, and for which domain. */
struct save_bar {
	const char *job;	/* "save", "restore" */
	const char *dom;	/* a name or uuid; NULL: any (restore) */
	const char *label;	/* "Saving web", "Restoring" */
	pid_t pid;		/* the child; 0 when there is no bar */
};

static void save_bar_draw(const struct save_bar *b, long long done,
			  long long total)
{
	int pct = total > 0 ? (int)(done * 100 / total) : 0;
	int fill;
	char bar[SAVE_BAR_WIDTH + 1];

	if (pct > 100)
		pct = 100;
	fill = pct * SAVE_BAR_WIDTH / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '-', (size_t)(SAVE_BAR_WIDTH - fill));
	bar[SAVE_BAR_WIDTH] = '\0';
	fprintf(stderr, "\r%s: [%s] %3d%%  %.1f/%.1f MiB\033[K", b->label, bar,
		pct, (double)done / 1048576.0, (double)total / 1048576.0);
	fflush(stderr);
}

static void save_bar_event(struct keel_conn *c, const struct keel_event *ev,
			   void *opaque)
{
	const struct save_bar *b = opaque;

	(void)c;
	if (strcmp(ev->type, "progress") || strcmp(ev->job, b->job) ||
	    ev->done < 0 || ev->total < 0)
		return;
	if (b->dom && strcmp(b->dom, ev->domain.name) &&
	    strcasecmp(b->dom, ev->domain.uuid))
		return;
	save_bar_draw(b, ev->done, ev->total);
}

/* The child: subscribe, say so on @ready, draw until killed. */
static void __attribute__((noreturn))
save_bar_child(const struct cli *cli, struct save_bar *b, int ready)
{
	struct keel_conn *c = NULL;
	char *err = NULL;

	if (keel_connect(cli->uri, &c, &err))
		_exit(1);
	keel_set_event_callback(c, save_bar_event, b);
	if (keel_events_subscribe(c))
		_exit(1);
	if (write(ready, "", 1) != 1)
		_exit(1);
	close(ready);
	while (keel_event_wait(c, -1) >= 0)
		;
	_exit(0);
}

/*
 * Start the bar when stderr is a terminal; without one (or when the
 * bar cannot start) the command is silent, as keel is in scripts.
 */
static void save_bar_start(const struct cli *cli, struct save_bar *b)
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
		save_bar_child(cli, b, p[1]);
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
	if (poll(&pfd, 1, SAVE_BAR_READY_MS) != 1 || read(p[0], &c, 1) != 1) {
		kill(b->pid, SIGKILL);
		waitpid(b->pid, NULL, 0);
		b->pid = 0;
	}
	close(p[0]);
}

static void save_bar_stop(struct save_bar *b)
{
	if (!b->pid)
		return;
	kill(b->pid, SIGTERM);
	waitpid(b->pid, NULL, 0);
	b->pid = 0;
	fputs("\r\033[K", stderr);
	fflush(stderr);
}

int cmd_save(struct cli *cli, const struct cli_args *args)
{
	char dom[SAVE_DOM_BUF], path[PATH_MAX * 2], label[SAVE_DOM_BUF + 16];
	struct save_bar bar = { .job = "save", .dom = dom, .label = label };
	unsigned flags = 0;
	int rc, failed;

	rc = save_abs_path(args->cmd, args->argv[1], path, sizeof(path));
	if (rc)
		return rc;
	rc = cli_connect(cli);
	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	if (cli_flag(args, 'c'))
		flags |= KEEL_SAVE_KEEP_RUNNING;
	if (cli_flag(args, 'p'))
		flags |= KEEL_SAVE_PAUSED;
	snprintf(label, sizeof(label), "Saving %s", dom);
	save_bar_start(cli, &bar);
	failed = keel_domain_save(cli->conn, dom, path, flags, NULL);
	save_bar_stop(&bar);
	return failed ? cli_call_failed(cli) : CLI_OK;
}

int cmd_restore(struct cli *cli, const struct cli_args *args)
{
	struct save_bar bar = { .job = "restore", .label = "Restoring" };
	char path[PATH_MAX * 2];
	struct keel_domain d;
	unsigned flags = 0;
	int rc, failed;

	rc = save_abs_path(args->cmd, args->argv[0], path, sizeof(path));
	if (rc)
		return rc;
	rc = cli_connect(cli);
	if (rc)
		return rc;
	if (cli_flag(args, 'p'))
		flags |= KEEL_RESTORE_PAUSED;
	save_bar_start(cli, &bar);
	failed = keel_domain_restore(cli->conn, path, flags, &d);
	save_bar_stop(&bar);
	if (failed)
		return cli_call_failed(cli);
	if (cli_flag(args, 'c')) {
		struct keel_console_opts copts = KEEL_CONSOLE_OPTS_INIT;

		return cli_console_attach(cli, d.uuid, d.name, &copts,
					  CLI_CONSOLE_ESCAPE);
	}
	return CLI_OK;
}
