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
	{ CLI_OPT_DRYRUN, "dryrun", NULL, "The same as -n (xl's spelling)." },
	{ 'q', "quiet", NULL,
	  "Do not print the configuration file's warnings." },
	{ 'F', "foreground", NULL,
	  "Return only once the domain is gone (through its restarts)." },
	{ 'e', "no-wait", NULL,
	  "Return once the domain is started (keel's default; xl's -e)." },
	{ 'V', "vncviewer", NULL,
	  "Refused: keel domains have no VNC display (xl's -V)." },
	OPT_END,
};

static const struct cli_option save_options[] = {
	{ 'c', "keep-running", NULL,
	  "Leave the domain running after the save (xl save -c)." },
	{ 'p', "paused", NULL, "Leave the domain paused after the save." },
	OPT_END,
};

static const struct cli_option restore_options[] = {
	{ 'p', "paused", NULL, "Leave the restored domain paused." },
	{ 'c', "console", NULL, "Attach to its console once it is restored." },
	OPT_END,
};

static const struct cli_option migrate_options[] = {
	{ 'l', "live", NULL,
	  "Copy memory while the domain runs (the default, as xl's)." },
	{ CLI_OPT_NO_LIVE, "no-live", NULL,
	  "Pause the domain first and copy its memory in one pass." },
	{ CLI_OPT_DOWNTIME, "downtime", "MS",
	  "The longest pause to aim for, in ms (default 300)." },
	{ CLI_OPT_BANDWIDTH, "bandwidth", "MIB/S",
	  "Send at most this many MiB a second (default: no limit)." },
	{ CLI_OPT_AUTO_CONVERGE, "auto-converge", NULL,
	  "Slow the vCPUs down when passes stop shrinking." },
	{ 't', "timeout", "S",
	  "After S seconds, do the --timeout-action (default: no limit)." },
	{ CLI_OPT_TIMEOUT_ACTION, "timeout-action", "cancel|force",
	  "At the timeout, give up (cancel, the default) or pause and copy." },
	{ CLI_OPT_CANCEL, "cancel", NULL,
	  "Cancel DOM's migration under way; it runs on here." },
	OPT_END,
};

static const struct cli_option start_options[] = {
	{ 'p', "paused", NULL, "Leave the domain paused after starting it." },
	OPT_END,
};

static const struct cli_option console_options[] = {
	{ 't', "type", "pv|serial|virtio",
	  "Which console: pv or virtio (hvc0) or serial (COM1)." },
	{ 'n', "num", "NUM",
	  "The console's number (xl's -n); a keel domain has only 0." },
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
	  "Print each domain's configuration as JSON in xl's (libxl's) names." },
	{ 'v', "verbose", NULL,
	  "Add the uuid, the shutdown reason code and the security label." },
	{ CLI_OPT_JSON, "json", NULL,
	  "Print keeld's summaries as JSON (keel's own names)." },
	{ CLI_OPT_NAME, "name", NULL, "Print only the names, one a line." },
	OPT_END,
};

static const struct cli_option json_options[] = { OPT_JSON, OPT_END };

static const struct cli_option info_options[] = {
	{ 'n', "numa", NULL, "Add the CPU topology and the NUMA nodes." },
	OPT_JSON,
	OPT_END,
};

static const struct cli_option dmesg_options[] = {
	{ 'c', "clear", NULL, "Clear the lines after printing them." },
	OPT_JSON,
	OPT_END,
};

static const struct cli_option uptime_options[] = {
	{ 's', "short", NULL,
	  "One uptime(1)-style line a domain: the time, up HH:MM, name (id)." },
	OPT_JSON,
	OPT_END,
};

static const struct cli_option shutdown_options[] = {
	{ 'a', "all", NULL, "Shut down every running domain." },
	{ 'w', "wait", NULL, "Return only once the domains have stopped." },
	{ 'F', "fallback", NULL,
	  "Accepted for xl: keel always uses the ACPI power button." },
	{ 't', "timeout", "SECONDS",
	  "Stop the domain by force after SECONDS (default: never)." },
	OPT_END,
};

static const struct cli_option reboot_options[] = {
	{ 'a', "all", NULL, "Reboot every running domain." },
	{ 'w', "wait", NULL, "Return only once the domains have gone down." },
	{ 'F', "fallback", NULL,
	  "Accepted for xl: keel always uses the ACPI power button." },
	OPT_END,
};

static const struct cli_option top_options[] = {
	{ 'b', "batch", NULL,
	  "Print samples one after another instead of redrawing a screen." },
	{ 'd', "delay", "SECS", "Seconds between samples (default 3)." },
	{ 'i', "iterations", "N", "Stop after N samples." },
	{ 'n', "networks", NULL, "Show each network interface's counters." },
	{ 'v', "vcpus", NULL, "Show each vCPU's time." },
	{ 'x', "vbds", NULL, "Show each disk's counters." },
	{ 'r', "repeat-header", NULL, "Print the header before each domain." },
	{ CLI_OPT_JSON, "json", NULL,
	  "Print one JSON object a line per sample (batch mode)." },
	OPT_END,
};

#define OPT_LIMIT(i, name, what)                                   \
	{ CLI_OPT_IOTUNE + (i), name, "N", what }

static const struct cli_option blkdeviotune_options[] = {
	OPT_LIMIT(0, "total-bytes-sec", "Bytes per second, reads and writes."),
	OPT_LIMIT(1, "read-bytes-sec", "Bytes read per second."),
	OPT_LIMIT(2, "write-bytes-sec", "Bytes written per second."),
	OPT_LIMIT(3, "total-iops-sec", "Requests per second, both kinds."),
	OPT_LIMIT(4, "read-iops-sec", "Read requests per second."),
	OPT_LIMIT(5, "write-iops-sec", "Write requests per second."),
	OPT_LIMIT(6, "total-bytes-sec-max", "Burst of total-bytes-sec, bytes."),
	OPT_LIMIT(7, "read-bytes-sec-max", "Burst of read-bytes-sec, bytes."),
	OPT_LIMIT(8, "write-bytes-sec-max", "Burst of write-bytes-sec, bytes."),
	OPT_LIMIT(9, "total-iops-sec-max", "Burst of total-iops-sec."),
	OPT_LIMIT(10, "read-iops-sec-max", "Burst of read-iops-sec."),
	OPT_LIMIT(11, "write-iops-sec-max", "Burst of write-iops-sec."),
	OPT_JSON,
	OPT_END,
};

static const struct cli_option domiftune_options[] = {
	{ CLI_OPT_INBOUND, "inbound", "AVG[,PEAK[,BURST]]",
	  "Incoming traffic: KiB/s, peak 0, burst in KiB (0: no limit)." },
	{ CLI_OPT_OUTBOUND, "outbound", "AVG[,PEAK[,BURST]]",
	  "Outgoing traffic: KiB/s, peak 0, burst in KiB (0: no limit)." },
	OPT_JSON,
	OPT_END,
};

static const struct cli_option detach_options[] = {
	{ 't', "timeout", "SECONDS",
	  "Wait SECONDS for the guest to let go (default 30)." },
	OPT_END,
};

static const struct cli_option sched_credit_options[] = {
	{ 'd', "domain", "DOM", "The domain to show or change." },
	{ 'w', "weight", "WEIGHT",
	  "Set the weight, 1 to 65535, relative to other domains." },
	{ 'c', "cap", "CAP",
	  "Set the cap, in percent of one CPU (0: no cap)." },
	OPT_END,
};

const struct cli_command cli_commands[] = {
	{ "create", cmd_create, "FILE|- [KEY=VALUE...]",
	  "Create and start a transient domain from a configuration file.",
	  create_options, 1, -1, "FILE -" },
	{ "list", cmd_list, "[DOM...]", "List domains.", list_options, 0, -1,
	  "DOM" },
	{ "info", cmd_info, "", "Show information about the host.",
	  info_options, 0, 0, "" },
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
	  "Ask a domain to shut down; -t stops it by force after a while.",
	  shutdown_options, 0, 1, "DOM" },
	{ "reboot", cmd_reboot, "DOM",
	  "Ask a domain to reboot; its on_reboot then applies.",
	  reboot_options, 0, 1, "DOM" },
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
	{ "sysrq", cmd_sysrq, "DOM KEY",
	  "Send magic SysRq KEY to a domain on its serial console.",
	  no_options, 2, 2, "DOM -" },
	{ "trigger", cmd_trigger, "DOM nmi|reset|power|s3resume [VCPU]",
	  "Send a domain an NMI, a hard reset or a power button press.",
	  no_options, 2, 3, "DOM nmi|reset|power|s3resume -" },
	{ "button-press", cmd_button_press, "DOM power|sleep",
	  "Press a domain's ACPI power button.", no_options, 2, 2,
	  "DOM power|sleep" },
	{ "dump-core", cmd_dump_core, "DOM FILE",
	  "Write a core file of a domain's memory and vCPUs (ELF).",
	  no_options, 2, 2, "DOM FILE" },
	{ "save", cmd_save, "DOM FILE",
	  "Save a domain's whole state into a new file; it then stops.",
	  save_options, 2, 2, "DOM FILE" },
	{ "restore", cmd_restore, "FILE",
	  "Create and run a domain again from a file keel save wrote.",
	  restore_options, 1, 1, "FILE" },
	{ "migrate", cmd_migrate, "DOM HOST[:PORT]",
	  "Move a running domain to the keeld on another host, live.",
	  migrate_options, 1, 2, "DOM HOST" },
	{ "domid", cmd_domid, "DOM", "Print a running domain's numeric id.",
	  no_options, 1, 1, "DOM" },
	{ "domname", cmd_domname, "ID",
	  "Print the name of the domain with a numeric id.", no_options, 1, 1,
	  "-" },
	{ "uptime", cmd_uptime, "[DOM...]",
	  "Show how long running domains have been up.", uptime_options, 0, -1,
	  "DOM" },
	{ "config", cmd_config, "DOM",
	  "Print a domain's configuration as JSON.", no_options, 1, 1, "DOM" },
	{ "mem-set", cmd_mem_set, "DOM SIZE",
	  "Set a domain's memory: its balloon's target and the next boot's.",
	  no_options, 2, 2, "DOM -" },
	{ "mem-max", cmd_mem_max, "DOM SIZE",
	  "Set the most memory a domain may be given (its maxmem).",
	  no_options, 2, 2, "DOM -" },
	{ "vcpu-pin", cmd_vcpu_pin, "DOM VCPU|all CPUS",
	  "Pin a vCPU, or all, to host CPUs, live and in the configuration.",
	  no_options, 3, 3, "DOM - -" },
	{ "vcpu-list", cmd_vcpu_list, "[DOM...]",
	  "List running domains' vCPUs: host CPU, state, time, affinity.",
	  json_options, 0, -1, "DOM" },
	{ "console", cmd_console, "DOM",
	  "Attach to a domain's console: see its output, type its input.",
	  console_options, 1, 1, "DOM" },
	{ "events", cmd_events, "",
	  "Print domain events as they happen, until interrupted.",
	  json_options, 0, 0, "" },
	{ "top", cmd_top, "",
	  "Show domains' CPU, memory, network and disk use, like xentop.",
	  top_options, 0, 0, "" },
	{ "blkdeviotune", cmd_blkdeviotune, "DOM DISK",
	  "Show or change a disk's I/O limits.", blkdeviotune_options, 2, 2,
	  "DOM -" },
	{ "domiftune", cmd_domiftune, "DOM NIC",
	  "Show or change a network interface's I/O limits.",
	  domiftune_options, 2, 2, "DOM -" },
	{ "block-attach", cmd_block_attach, "DOM DISKSPEC",
	  "Attach a disk to a domain, live if it runs (xl's disk spec).",
	  no_options, 2, 2, "DOM -" },
	{ "block-detach", cmd_block_detach, "DOM DISK",
	  "Detach a disk from a domain once the guest lets it go.",
	  detach_options, 2, 2, "DOM -" },
	{ "block-list", cmd_block_list, "DOM", "List a domain's disks.",
	  json_options, 1, 1, "DOM" },
	{ "network-attach", cmd_network_attach, "DOM [VIFSPEC]",
	  "Attach a network interface to a domain, live if it runs.",
	  no_options, 1, 2, "DOM -" },
	{ "network-detach", cmd_network_detach, "DOM MAC|TAP|INDEX",
	  "Detach a network interface once the guest lets it go.",
	  detach_options, 2, 2, "DOM -" },
	{ "network-list", cmd_network_list, "DOM",
	  "List a domain's network interfaces.", json_options, 1, 1, "DOM" },
	{ "sched-credit", cmd_sched_credit, "",
	  "Show or set domains' CPU weight and cap.", sched_credit_options,
	  0, 0, "" },
	{ "dmesg", cmd_dmesg, "",
	  "Show keeld's recent log lines, as xl dmesg shows Xen's.",
	  dmesg_options, 0, 0, "" },
	{ "config-update", cmd_config_update, "DOM FILE|-",
	  "Replace the configuration a domain starts with next time.",
	  no_options, 2, 2, "DOM FILE" },
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
