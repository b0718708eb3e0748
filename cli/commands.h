/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_CLI_COMMANDS_H
#define KEEL_CLI_COMMANDS_H

/*
 * keel(1), the command line: one table of commands (cli/cmdtable.c), each
 * row with its handler, its options and its operands. The argument
 * parser, `keel help`, `--help` and `keel completion bash` are all
 * generated from that table, so a command cannot have an option that its
 * help or its completion does not know about.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

struct keel_conn;

/* Exit statuses (man/keel.1, EXIT STATUS). */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1,	/* the command failed: keeld said no, a bad file */
	CLI_USAGE = 2,	/* the command line itself is wrong */
};

/* Keys of long-only options; short options use their letter. */
enum {
	CLI_OPT_JSON = 256,
	CLI_OPT_NAME,
	CLI_OPT_HISTORY,
	CLI_OPT_DRYRUN,		/* create --dryrun, xl's spelling of -n */
	/*
	 * blkdeviotune's limits, CLI_OPT_IOTUNE + i: the option's long
	 * name with '_' for '-' is the limit's key (cli/iotune_cmds.c).
	 */
	CLI_OPT_IOTUNE = 0x1000,
	CLI_OPT_INBOUND = 0x1100,
	CLI_OPT_OUTBOUND,
	/* keel migrate's (cli/migrate_cmds.c) */
	CLI_OPT_NO_LIVE = 0x1200,
	CLI_OPT_DOWNTIME,
	CLI_OPT_BANDWIDTH,
	CLI_OPT_AUTO_CONVERGE,
	CLI_OPT_TIMEOUT_ACTION,
	CLI_OPT_CANCEL,
};

/* One option of one command. */
struct cli_option {
	int key;		/* the short letter, or a CLI_OPT_* */
	const char *long_name;	/* without "--"; NULL: short only */
	const char *arg;	/* its argument's name in usage; NULL: a flag */
	const char *help;	/* one line */
};

#define CLI_MAX_OPTIONS 16

/* A command line after its options were parsed against the table. */
struct cli_args {
	const struct cli_command *cmd;
	int argc;		/* the operands left after the options */
	char **argv;
	/* Indexed like cmd->options: */
	bool set[CLI_MAX_OPTIONS];
	const char *val[CLI_MAX_OPTIONS];
};

/* What a run of keel shares between its steps. */
struct cli {
	const char *uri;	/* -c URI; NULL: libkeel's default */
	struct keel_conn *conn;	/* NULL until a command needs keeld */
};

typedef int (*cli_fn)(struct cli *cli, const struct cli_args *args);

struct cli_command {
	const char *name;
	cli_fn fn;
	/* The operands, as the SYNOPSIS spells them ("DOM NEWNAME"). */
	const char *operands;
	const char *summary;	/* one line for `keel help` */
	/* Terminated by a zero key; at most CLI_MAX_OPTIONS. */
	const struct cli_option *options;
	int min_args, max_args;	/* operand count; max -1: no limit */
	/*
	 * What each operand is, for shell completion: space-separated
	 * words, one per position, the last repeating when max_args is -1.
	 * DOM: a domain name; FILE: a file; CMD: a command; HOST: a host
	 * name; "a|b": one of these words; "-": nothing to offer.
	 */
	const char *complete;
};

/* The table, in the order `keel help` lists it; ends with a NULL name. */
extern const struct cli_command cli_commands[];

const struct cli_command *cli_command_find(const char *name);

/* Print `keel CMD`'s synopsis line (options then operands) to @f. */
void cli_print_synopsis(FILE *f, const struct cli_command *cmd);

/* Was option @key given?  Its argument, or NULL. */
bool cli_flag(const struct cli_args *args, int key);
const char *cli_optarg(const struct cli_args *args, int key);

/*
 * "keel CMD: <message>" and a hint to run `keel help CMD` on stderr;
 * returns CLI_USAGE for the handler to return.
 */
int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "keel: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Connect to keeld unless connected already. Returns 0, or prints why
 * not and returns CLI_FAIL.
 */
int cli_connect(struct cli *cli);

/* Print the error of the call that just failed; returns CLI_FAIL. */
int cli_call_failed(struct cli *cli);

/*
 * Turn @dom (a name, a uuid or a running domain's numeric id) into what
 * libkeel takes: a name or a uuid, written to @out. Only an id needs a
 * call to keeld. Returns 0, or prints why not and returns CLI_FAIL.
 */
int cli_resolve(struct cli *cli, const char *dom, char *out, size_t size);

/* True if @s is a non-empty string of decimal digits. */
bool cli_is_number(const char *s);

/*
 * The number option @key into *@out (-1 when not given). Ranges are
 * keeld's to check, in its words; this only refuses what is not a
 * whole number below a billion, naming it @what. Returns 0 or
 * CLI_USAGE (said on stderr).
 */
int cli_number_opt(const struct cli_args *args, int key, const char *what,
		   int *out);

/* Print @o as indented JSON and a newline; it stays the caller's. */
void cli_print_json(struct json_object *o);

/*
 * Read the domain configuration FILE at @path ("-": standard input),
 * xl.cfg or JSON, into *@config (the caller puts it), and check it
 * against keel's domain schema as keeld will. Returns 0, or says why
 * not on stderr and returns CLI_FAIL. cli/config_file.c
 */
int cli_config_load(const char *path, struct json_object **config);

/*
 * As cli_config_load(), with xl's KEY=VALUE @overrides read after the
 * file (lib/xlcfg.h); @quiet leaves the reader's warnings unprinted.
 */
int cli_config_read(const char *path, char *const *overrides,
		    size_t noverrides, bool quiet, struct json_object **config);

/* Handlers: cli/device_cmds.c */
int cmd_block_attach(struct cli *cli, const struct cli_args *args);
int cmd_block_detach(struct cli *cli, const struct cli_args *args);
int cmd_block_list(struct cli *cli, const struct cli_args *args);
int cmd_network_attach(struct cli *cli, const struct cli_args *args);
int cmd_network_detach(struct cli *cli, const struct cli_args *args);
int cmd_network_list(struct cli *cli, const struct cli_args *args);

/* Handlers: cli/iotune_cmds.c */
int cmd_blkdeviotune(struct cli *cli, const struct cli_args *args);
int cmd_domiftune(struct cli *cli, const struct cli_args *args);

/* Handlers: cli/domain_cmds.c */
int cmd_create(struct cli *cli, const struct cli_args *args);
int cmd_define(struct cli *cli, const struct cli_args *args);
int cmd_undefine(struct cli *cli, const struct cli_args *args);
int cmd_start(struct cli *cli, const struct cli_args *args);
int cmd_pause(struct cli *cli, const struct cli_args *args);
int cmd_unpause(struct cli *cli, const struct cli_args *args);
int cmd_shutdown(struct cli *cli, const struct cli_args *args);
int cmd_reboot(struct cli *cli, const struct cli_args *args);
int cmd_destroy(struct cli *cli, const struct cli_args *args);
int cmd_rename(struct cli *cli, const struct cli_args *args);
int cmd_autostart(struct cli *cli, const struct cli_args *args);
int cmd_vcpu_set(struct cli *cli, const struct cli_args *args);
/* Handlers: cli/migrate_cmds.c */
int cmd_migrate(struct cli *cli, const struct cli_args *args);

/* Handlers: cli/trigger_cmds.c */
int cmd_sysrq(struct cli *cli, const struct cli_args *args);
int cmd_trigger(struct cli *cli, const struct cli_args *args);
int cmd_button_press(struct cli *cli, const struct cli_args *args);
int cmd_dump_core(struct cli *cli, const struct cli_args *args);

/* cli/save_cmds.c */
int cmd_save(struct cli *cli, const struct cli_args *args);
int cmd_restore(struct cli *cli, const struct cli_args *args);

/* cli/list_cmds.c */
int cmd_list(struct cli *cli, const struct cli_args *args);
int cmd_info(struct cli *cli, const struct cli_args *args);
int cmd_domid(struct cli *cli, const struct cli_args *args);
int cmd_domname(struct cli *cli, const struct cli_args *args);
int cmd_uptime(struct cli *cli, const struct cli_args *args);
int cmd_config(struct cli *cli, const struct cli_args *args);

/* cli/mem_cmds.c */
int cmd_mem_set(struct cli *cli, const struct cli_args *args);
int cmd_mem_max(struct cli *cli, const struct cli_args *args);
/* cli/vcpu_cmds.c */
int cmd_vcpu_pin(struct cli *cli, const struct cli_args *args);
int cmd_vcpu_list(struct cli *cli, const struct cli_args *args);

/* cli/event_cmds.c */
int cmd_events(struct cli *cli, const struct cli_args *args);

/* cli/top_cmds.c */
int cmd_top(struct cli *cli, const struct cli_args *args);

/* cli/console_cmds.c */
int cmd_console(struct cli *cli, const struct cli_args *args);

struct keel_console_opts;

/* The default escape character: Ctrl-], as telnet, virsh and xl have it. */
#define CLI_CONSOLE_ESCAPE 0x1d

/*
 * Attach to @dom's console (a name or a uuid; @label names it in
 * messages) with @o and detach on the byte @escape (-1: none). The
 * console takes over cli->conn, which is NULL afterwards. Returns a
 * CLI_* status, the reason said on stderr.
 */
int cli_console_attach(struct cli *cli, const char *dom, const char *label,
		       const struct keel_console_opts *o, int escape);

/* cli/host_cmds.c */
int cmd_dmesg(struct cli *cli, const struct cli_args *args);

/* cli/domain_cmds.c, xl config-update */
int cmd_config_update(struct cli *cli, const struct cli_args *args);

/* cli/sched_cmds.c */
int cmd_sched_credit(struct cli *cli, const struct cli_args *args);

/* cli/keel.c */
int cmd_help(struct cli *cli, const struct cli_args *args);

/* cli/completion.c */
int cmd_completion(struct cli *cli, const struct cli_args *args);

#endif /* KEEL_CLI_COMMANDS_H */
