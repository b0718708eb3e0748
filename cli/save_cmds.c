// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * save and restore (xl's; keel(1)): a domain's whole state into a file
 * on keeld's host and back. FILE is made absolute from this directory,
 * which is what a user of a local keeld means; whether it exists is
 * keeld's to say, on its own host. On a terminal a
 * progress bar goes to stderr (progress.h).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "keel.h"
#include "progress.h"

#define SAVE_DOM_BUF 256

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

int cmd_save(struct cli *cli, const struct cli_args *args)
{
	char dom[SAVE_DOM_BUF], path[PATH_MAX * 2], label[SAVE_DOM_BUF + 16];
	struct progress_bar bar = { .job = "save", .dom = dom, .label = label };
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
	progress_bar_start(cli, &bar);
	failed = keel_domain_save(cli->conn, dom, path, flags, NULL);
	progress_bar_stop(&bar);
	return failed ? cli_call_failed(cli) : CLI_OK;
}

int cmd_restore(struct cli *cli, const struct cli_args *args)
{
	struct progress_bar bar = { .job = "restore", .label = "Restoring" };
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
	progress_bar_start(cli, &bar);
	failed = keel_domain_restore(cli->conn, path, flags, &d);
	progress_bar_stop(&bar);
	if (failed)
		return cli_call_failed(cli);
	if (cli_flag(args, 'c')) {
		struct keel_console_opts copts = KEEL_CONSOLE_OPTS_INIT;

		return cli_console_attach(cli, d.uuid, d.name, &copts,
					  CLI_CONSOLE_ESCAPE);
	}
	return CLI_OK;
}
