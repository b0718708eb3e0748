// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysrq, trigger, button-press and dump-core: xl's commands that act
 * inside a running guest, carried out by its keel-hv (keel(1)). Quiet on
 * success, as xl is; what keel does not offer (S3, a sleep button) is
 * refused by keeld in its own words, so that every client hears the
 * same sentence.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "hv_proto.h"
#include "keel.h"

#define TRIGGER_DOM_BUF 256

/* Connect and turn operand 0 into a name or uuid in @dom. */
static int trigger_dom(struct cli *cli, const struct cli_args *args,
		       char *dom)
{
	int rc = cli_connect(cli);

	return rc ? rc : cli_resolve(cli, args->argv[0], dom,
				     TRIGGER_DOM_BUF);
}

static bool trigger_one_of(const char *word, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (!strcmp(word, words[i]))
			return true;
	return false;
}

int cmd_sysrq(struct cli *cli, const struct cli_args *args)
{
	const char *key = args->argv[1];
	char dom[TRIGGER_DOM_BUF];
	int rc;

	if (strlen(key) != 1 || !((key[0] >= '0' && key[0] <= '9') ||
				  (key[0] >= 'a' && key[0] <= 'z')))
		return cli_usage(args->cmd,
				 "Give one SysRq key, 0-9 or a-z, not \"%s\".",
				 key);
	rc = trigger_dom(cli, args, dom);
	if (rc)
		return rc;
	if (keel_domain_sysrq(cli->conn, dom, key, NULL))
		return cli_call_failed(cli);
	return CLI_OK;
}

int cmd_trigger(struct cli *cli, const struct cli_args *args)
{
	static const char *const triggers[] = { "nmi", "reset", "power",
						"s3resume", NULL };
	const char *what = args->argv[1];
	char dom[TRIGGER_DOM_BUF];
	long vcpu = -1;
	int rc;

	if (!trigger_one_of(what, triggers))
		return cli_usage(args->cmd,
				 "Say nmi, reset, power or s3resume, not \"%s\" (keel has no init or sleep trigger).",
				 what);
	if (args->argc > 2) {
		if (!cli_is_number(args->argv[2]) ||
		    (vcpu = strtol(args->argv[2], NULL, 10)) >=
			    KEEL_VCPUS_MAX)
			return cli_usage(args->cmd,
					 "Give the vCPU as a number from 0 to %d, not \"%s\".",
					 KEEL_VCPUS_MAX - 1, args->argv[2]);
		if (strcmp(what, "nmi"))
			return cli_usage(args->cmd,
					 "Only nmi goes to one vCPU; %s acts on the whole machine.",
					 what);
	}
	rc = trigger_dom(cli, args, dom);
	if (rc)
		return rc;
	if (keel_domain_trigger(cli->conn, dom, what, (int)vcpu, NULL))
		return cli_call_failed(cli);
	return CLI_OK;
}

int cmd_button_press(struct cli *cli, const struct cli_args *args)
{
	static const char *const buttons[] = { "power", "sleep", NULL };
	const char *button = args->argv[1];
	char dom[TRIGGER_DOM_BUF];
	int rc;

	if (!trigger_one_of(button, buttons))
		return cli_usage(args->cmd, "Say power or sleep, not \"%s\".",
				 button);
	rc = trigger_dom(cli, args, dom);
	if (rc)
		return rc;
	if (keel_domain_button_press(cli->conn, dom, button, NULL))
		return cli_call_failed(cli);
	return CLI_OK;
}

/*
 * keel-hv writes the file on keeld's host; a relative FILE is taken
 * from this directory, which is where a user of a local keeld means.
 */
int cmd_dump_core(struct cli *cli, const struct cli_args *args)
{
	const char *file = args->argv[1];
	char dom[TRIGGER_DOM_BUF], cwd[PATH_MAX], path[PATH_MAX * 2];
	int rc;

	if (!file[0])
		return cli_usage(args->cmd, "Give the core file's name.");
	if (file[0] == '/') {
		snprintf(path, sizeof(path), "%s", file);
	} else if (getcwd(cwd, sizeof(cwd))) {
		snprintf(path, sizeof(path), "%s/%s", cwd, file);
	} else {
		cli_error("Cannot tell the current directory to make %s absolute; give an absolute path.",
			  file);
		return CLI_FAIL;
	}
	rc = trigger_dom(cli, args, dom);
	if (rc)
		return rc;
	if (keel_domain_dump_core(cli->conn, dom, path, NULL))
		return cli_call_failed(cli);
	return CLI_OK;
}
