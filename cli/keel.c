// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel(1): global options, the per-command option parser driven by the
 * command table, `keel help`, and what every handler shares (the
 * connection, error messages, naming a domain).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keel.h"

/* The narrowest option column in `keel help CMD`, for -h, --help. */
#define HELP_MIN_WIDTH 10

/* `keel help`'s column of command names: "config-update" fits. */
#define HELP_NAME_WIDTH 13

/* parse_command() printed the command's help: exit successfully. */
#define PARSE_HELP (-1)

/* --- what handlers share ------------------------------------------------ */

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("keel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "keel %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'keel help %s' for its usage.\n", cmd->name);
	return CLI_USAGE;
}

int cli_connect(struct cli *cli)
{
	char *err = NULL;

	if (cli->conn)
		return 0;
	if (keel_connect(cli->uri, &cli->conn, &err)) {
		cli_error("%s", err ? err : "Cannot connect to keeld.");
		free(err);
		cli->conn = NULL;
		return CLI_FAIL;
	}
	return 0;
}

int cli_call_failed(struct cli *cli)
{
	const struct keel_error *e = keel_last_error(cli->conn);

	cli_error("%s", e && e->message ? e->message :
					  "The call to keeld failed.");
	return CLI_FAIL;
}

bool cli_is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

int cli_number_opt(const struct cli_args *args, int key, const char *what,
		      int *out)
{
	const char *v = cli_optarg(args, key);

	*out = -1;
	if (!v)
		return 0;
	if (!cli_is_number(v) || strlen(v) > 9)
		return cli_usage(args->cmd,
				 "The %s must be a whole number, not \"%s\".",
				 what, v);
	*out = atoi(v);
	return 0;
}

int cli_resolve(struct cli *cli, const char *dom, char *out, size_t size)
{
	struct keel_domain *list = NULL;
	const char *found = NULL;
	size_t n = 0;
	int rc;

	if (strlen(dom) >= size) {
		cli_error("No domain is named \"%.*s...\": the name is too long.",
			  KEEL_NAME_MAX, dom);
		return CLI_FAIL;
	}
	if (!cli_is_number(dom)) {
		snprintf(out, size, "%s", dom);
		return 0;
	}
	rc = cli_connect(cli);
	if (rc)
		return rc;
	if (keel_domain_list(cli->conn, &list, &n))
		return cli_call_failed(cli);
	/* An id names the running domain; a name of digits comes second. */
	for (size_t i = 0; i < n && !found; i++)
		if (list[i].id >= 0 && list[i].id == atoi(dom) &&
		    strlen(dom) < 10)
			found = list[i].uuid;
	for (size_t i = 0; i < n && !found; i++)
		if (!strcmp(list[i].name, dom))
			found = list[i].uuid;
	if (found)
		snprintf(out, size, "%s", found);
	else
		cli_error("No running domain has the id %s.", dom);
	free(list);
	return found ? 0 : CLI_FAIL;
}

void cli_print_json(struct json_object *o)
{
	const int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			  JSON_C_TO_STRING_NOSLASHESCAPE;

	puts(json_object_to_json_string_ext(o, flags));
}

static int option_index(const struct cli_command *cmd, int key)
{
	for (int i = 0; cmd->options[i].key; i++)
		if (cmd->options[i].key == key)
			return i;
	return -1;
}

bool cli_flag(const struct cli_args *args, int key)
{
	int i = option_index(args->cmd, key);

	return i >= 0 && args->set[i];
}

const char *cli_optarg(const struct cli_args *args, int key)
{
	int i = option_index(args->cmd, key);

	return i >= 0 && args->set[i] ? args->val[i] : NULL;
}

/* --- help ---------------------------------------------------------------- */

void cli_print_synopsis(FILE *f, const struct cli_command *cmd)
{
	fprintf(f, "keel %s", cmd->name);
	for (const struct cli_option *o = cmd->options; o->key; o++) {
		if (o->key < 256)
			fprintf(f, " [-%c", o->key);
		else
			fprintf(f, " [--%s", o->long_name);
		fprintf(f, "%s%s]", o->arg ? " " : "", o->arg ? o->arg : "");
	}
	if (*cmd->operands)
		fprintf(f, " %s", cmd->operands);
	fputc('\n', f);
}

static void print_general_help(FILE *f)
{
	fputs("Usage: keel [-c URI] [--pki-dir DIR] COMMAND [ARGS...]\n"
	      "       keel -h|--help | --version\n\n"
	      "Manage keel domains through keeld. -c URI (or $KEEL_URI) names keeld's\n"
	      "socket; the default is /run/keel/keeld.sock. A remote keeld is\n"
	      "tls://HOST[:PORT], with the certificates in --pki-dir DIR (or\n"
	      "$KEEL_PKI_DIR; the default is /etc/pki/keel).\n\n"
	      "Commands:\n",
	      f);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(f, "  %-*s %s\n", HELP_NAME_WIDTH, c->name,
			c->summary);
	fputs("\nRun 'keel help COMMAND' for a command's options.\n", f);
}

/* The "-t, --timeout SECONDS" part of an option's help line. */
static void option_left(char *left, size_t size, const struct cli_option *o)
{
	if (o->key < 256)
		snprintf(left, size, "-%c%s%s%s%s", o->key,
			 o->long_name ? ", --" : "",
			 o->long_name ? o->long_name : "", o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(left, size, "    --%s%s%s", o->long_name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_option_help(FILE *f, const struct cli_option *o, int width)
{
	char left[64];

	option_left(left, sizeof(left), o);
	fprintf(f, "  %-*s  %s\n", width, left, o->help);
}

static void print_command_help(FILE *f, const struct cli_command *cmd)
{
	static const struct cli_option help = { 'h', "help", NULL,
						"Show this help." };
	char left[64];
	int width = HELP_MIN_WIDTH;

	for (const struct cli_option *o = cmd->options; o->key; o++) {
		option_left(left, sizeof(left), o);
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	fputs("Usage: ", f);
	cli_print_synopsis(f, cmd);
	fprintf(f, "\n%s\n\nOptions:\n", cmd->summary);
	for (const struct cli_option *o = cmd->options; o->key; o++)
		print_option_help(f, o, width);
	print_option_help(f, &help, width);
}

int cmd_help(struct cli *cli, const struct cli_args *args)
{
	const struct cli_command *cmd;

	if (!args->argc) {
		print_general_help(stdout);
		return CLI_OK;
	}
	cmd = cli_command_find(args->argv[0]);
	if (!cmd)
		return cli_usage(args->cmd, "There is no command \"%s\".",
				 args->argv[0]);
	print_command_help(stdout, cmd);
	return CLI_OK;
}

/* --- parsing ------------------------------------------------------------- */

/*
 * Parse @argv (argv[0] is the command's name) against @cmd's options and
 * operand count into @args. Returns 0, PARSE_HELP when --help was asked
 * for and printed, or CLI_USAGE after saying what is wrong.
 */
static int parse_command(const struct cli_command *cmd, int argc, char **argv,
			 struct cli_args *args)
{
	struct option longopts[CLI_MAX_OPTIONS + 2];
	char optstring[2 * CLI_MAX_OPTIONS + 4] = ":h";
	size_t nlong = 0, nshort = strlen(optstring);
	int c;

	memset(args, 0, sizeof(*args));
	args->cmd = cmd;
	for (const struct cli_option *o = cmd->options; o->key; o++) {
		if (o->long_name)
			longopts[nlong++] = (struct option){
				o->long_name,
				o->arg ? required_argument : no_argument, NULL,
				o->key
			};
		if (o->key < 256) {
			optstring[nshort++] = (char)o->key;
			if (o->arg)
				optstring[nshort++] = ':';
		}
	}
	optstring[nshort] = '\0';
	longopts[nlong++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[nlong] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0;	/* glibc: start afresh, the global options used it */
	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		int i;

		if (c == 'h') {
			print_command_help(stdout, cmd);
			return PARSE_HELP;
		}
		if (c == ':')
			return cli_usage(cmd, "The option %s needs an argument.",
					 argv[optind - 1]);
		i = c == '?' ? -1 : option_index(cmd, c);
		if (i < 0 && !strncmp(argv[optind - 1], "--", 2))
			return cli_usage(cmd, "There is no option %s.",
					 argv[optind - 1]);
		if (i < 0)
			return cli_usage(cmd, "There is no option -%c.",
					 optopt);
		args->set[i] = true;
		args->val[i] = optarg;
	}
	args->argc = argc - optind;
	args->argv = argv + optind;
	if (args->argc < cmd->min_args)
		return cli_usage(cmd, "Too few arguments; it takes %s.",
				 cmd->operands);
	if (cmd->max_args >= 0 && args->argc > cmd->max_args)
		return cli_usage(cmd, "Unexpected argument \"%s\".",
				 args->argv[cmd->max_args]);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option global_long[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "pki-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd;
	struct cli cli = { NULL, NULL };
	struct cli_args args;
	int c, rc;

	opterr = 0;
	/* "+": stop at the command; what follows is the command's. */
	while ((c = getopt_long(argc, argv, "+:c:h", global_long, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli.uri = optarg;
			break;
		case 'P':
			/* libkeel reads it for tls:// (keel_connect()). */
			if (setenv("KEEL_PKI_DIR", optarg, 1)) {
				fprintf(stderr, "keel: %s.\n", strerror(errno));
				return CLI_FAIL;
			}
			break;
		case 'h':
			print_general_help(stdout);
			return CLI_OK;
		case 'V':
			printf("keel %s (libkeel %s)\n", PACKAGE_VERSION,
			       keel_version());
			return CLI_OK;
		case ':':
			fprintf(stderr,
				"keel: The option %s needs an argument.\nRun 'keel help' for the usage.\n",
				argv[optind - 1]);
			return CLI_USAGE;
		default:
			fprintf(stderr,
				"keel: There is no option %s.\nRun 'keel help' for the usage.\n",
				argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("keel: No command given.\nRun 'keel help' for the list of commands.\n",
		      stderr);
		return CLI_USAGE;
	}
	cmd = cli_command_find(argv[optind]);
	if (!cmd) {
		fprintf(stderr,
			"keel: There is no command \"%s\".\nRun 'keel help' for the list of commands.\n",
			argv[optind]);
		/* xl's status for a command it does not have: 1, not 2. */
		return CLI_FAIL;
	}
	rc = parse_command(cmd, argc - optind, argv + optind, &args);
	if (rc)
		return rc == PARSE_HELP ? CLI_OK : rc;
	rc = cmd->fn(&cli, &args);
	keel_close(cli.conn);
	if (fflush(stdout) && !rc) {
		cli_error("Cannot write the output.");
		rc = CLI_FAIL;
	}
	return rc;
}
