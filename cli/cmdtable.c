// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel's one command table (xl's xl_cmdtable.c): every command, its
 * options and its operands. Parsing, help and completion read it; adding
 * a command is a row here, its handler, man/keel.1 and a test.
 */
#include "config.h"

#include <string.h>

#include "commands.h"

#define OPT_JSON                                                 \
	{ CLI_OPT_JSON, "json", NULL, "Print JSON instead of text." }
#define OPT_END { 0, NULL, NULL, NULL }

static const struct cli_option no_options[] = { OPT_END };

static const struct cli_option create_options[] = {
	{ 'c', "console", NULL,
	  "Attach to the console after creating, from its first byte." },
	{ 'p', "paused", NULL, "Leave the domain paused after creating it." },
	{ 'n', "dry-run", NULL,
	  "Print the parsed configuration as JSON; do not contact keeld." },
	OPT_END,
};

static const struct cli_option start_options[] = {
	{ 'p', "paused", NULL, "Leave the domain paused after starting it." },
	OPT_END,
};

static const struct cli_option console_options[] = {
	{ 't', "type", "pv|serial|virtio",
	  "Which console: pv or virtio (hvc0) or serial (COM1)." },
	{ 'r', "read-only", NULL, "Only watch; never take the input." },
	{ 'f', "force", NULL,
	  "Take the input even if another client has it." },
	{ CLI_OPT_HISTORY, "history", "N",
	  "Replay the last N lines first (default 24)." },
	{ 'e', "escape", "CHAR",
	  "Detach on CHAR: a character, ^X or none." },
	OPT_END,
};

static const struct cli_option list_options[] = {
	{ 'l', "long", NULL,
	  "Print each domain's full information and configuration as JSON." },
	OPT_JSON,
	{ CLI_OPT_NAME, "name", NULL, "Print only the names, one a line." },
	OPT_END,
};

static const struct cli_option json_options[] = { OPT_JSON, OPT_END };

static const struct cli_option shutdown_options[] = {
	{ 'a', "all", NULL, "Shut down every running domain." },
	{ 'w', "wait", NULL, "Return only once the domain has stopped." },
	{ 't', "timeout", "SECONDS",
	  "Stop the domain by force after SECONDS (0: never; default 60)." },
	OPT_END,
};

const struct cli_command cli_commands[] = {
	{ "create", cmd_create, "FILE|-",
	  "Create and start a transient domain from a configuration file.",
	  create_options, 1, 1, "FILE" },
	{ "list", cmd_list, "[DOM...]", "List domains.", list_options, 0, -1,
	  "DOM" },
	{ "info", cmd_info, "", "Show information about the host.",
	  json_options, 0, 0, "" },
	{ "define", cmd_define, "FILE|-",
	  "Define a persistent domain from a configuration file.",
	  no_options, 1, 1, "FILE" },
	{ "undefine", cmd_undefine, "DOM",
	  "Remove a domain's persistent definition.", no_options, 1, 1,
	  "DOM" },
	{ "start", cmd_start, "DOM", "Start a defined domain.", start_options,
	  1, 1, "DOM" },
	{ "pause", cmd_pause, "DOM", "Pause a domain's vCPUs.", no_options, 1,
	  1, "DOM" },
	{ "unpause", cmd_unpause, "DOM", "Run a paused domain's vCPUs again.",
	  no_options, 1, 1, "DOM" },
	{ "shutdown", cmd_shutdown, "DOM",
	  "Ask a domain to shut down, and stop it by force after a timeout.",
	  shutdown_options, 0, 1, "DOM" },
	{ "reboot", cmd_reboot, "DOM", "Reboot a domain.", no_options, 1, 1,
	  "DOM" },
	{ "destroy", cmd_destroy, "DOM", "Stop a domain at once.", no_options,
	  1, 1, "DOM" },
	{ "rename", cmd_rename, "DOM NEWNAME", "Rename a shut-off domain.",
	  no_options, 2, 2, "DOM -" },
	{ "autostart", cmd_autostart, "DOM on|off",
	  "Start a domain, or not, when keeld starts.", no_options, 2, 2,
	  "DOM on|off" },
	{ "vcpu-set", cmd_vcpu_set, "DOM N",
	  "Set how many vCPUs a domain has online (up to its maxvcpus).",
	  no_options, 2, 2, "DOM -" },
	{ "domid", cmd_domid, "DOM", "Print a running domain's numeric id.",
	  no_options, 1, 1, "DOM" },
	{ "domname", cmd_domname, "ID",
	  "Print the name of the domain with a numeric id.", no_options, 1, 1,
	  "-" },
	{ "uptime", cmd_uptime, "[DOM...]",
	  "Show how long running domains have been up.", json_options, 0, -1,
	  "DOM" },
	{ "config", cmd_config, "DOM",
	  "Print a domain's configuration as JSON.", no_options, 1, 1, "DOM" },
	{ "console", cmd_console, "DOM",
	  "Attach to a domain's console: see its output, type its input.",
	  console_options, 1, 1, "DOM" },
	{ "events", cmd_events, "",
	  "Print domain events as they happen, until interrupted.",
	  json_options, 0, 0, "" },
	{ "help", cmd_help, "[CMD]",
	  "Show the commands, or one command's usage.", no_options, 0, 1,
	  "CMD" },
	{ "completion", cmd_completion, "bash",
	  "Print a shell completion script.", no_options, 1, 1, "bash" },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
};

const struct cli_command *cli_command_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
