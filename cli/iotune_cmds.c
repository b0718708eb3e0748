// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel blkdeviotune and keel domiftune (man/keel.1): a disk's and a
 * network interface's I/O limits, shown or changed live, with virsh's
 * command and option names. The work is keeld's (domain.blkdeviotune,
 * domain.domiftune); this file turns options into their params and the
 * answer into virsh's "key: value" lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keel.h"

/* Room for a domain's name or uuid, as domain_cmds.c has. */
#define DOM_BUF 256

static int connect_dom(struct cli *cli, const struct cli_args *args,
		       char *dom)
{
	int rc = cli_connect(cli);

	return rc ? rc : cli_resolve(cli, args->argv[0], dom, DOM_BUF);
}

/* Print each member of @o as "PREFIXkey: value", names padded to @width. */
static void print_members(struct json_object *o, const char *prefix,
			  int width)
{
	char name[64];

	json_object_object_foreach(o, key, val) {
		snprintf(name, sizeof(name), "%s%s", prefix, key);
		printf("%-*s: %s\n", width, name, json_object_get_string(val));
	}
}

/*
 * Call @fn with @changes (NULL: only read) and print its answer: the
 * JSON with --json, else virsh's lines.
 */
static int iotune_run(struct cli *cli, const struct cli_args *args,
		      int (*fn)(struct keel_conn *, const char *,
				const char *, struct json_object *,
				struct json_object **),
		      struct json_object *changes)
{
	struct json_object *out = NULL, *v;
	char dom[DOM_BUF];
	int rc = connect_dom(cli, args, dom);

	if (rc)
		return rc;
	if (fn(cli->conn, dom, args->argv[1], changes, &out))
		return cli_call_failed(cli);
	if (cli_flag(args, CLI_OPT_JSON)) {
		cli_print_json(out);
	} else {
		if (json_object_object_get_ex(out, "inbound", &v))
			print_members(v, "inbound.", 16);
		if (json_object_object_get_ex(out, "outbound", &v))
			print_members(v, "outbound.", 16);
		if (json_object_object_get_ex(out, "limits", &v))
			print_members(v, "", 20);
	}
	json_object_put(out);
	return CLI_OK;
}

/* A whole number of digits only, as a JSON integer; NULL if not. */
static struct json_object *number(const char *s)
{
	if (!cli_is_number(s) || strlen(s) > 16)
		return NULL;
	return json_object_new_int64(strtoll(s, NULL, 10));
}

int cmd_blkdeviotune(struct cli *cli, const struct cli_args *args)
{
	const struct cli_option *o = args->cmd->options;
	struct json_object *limits = json_object_new_object(), *changes;
	int rc;

	for (int i = 0; o[i].key; i++) {
		struct json_object *n;
		char key[64];

		if (o[i].key < CLI_OPT_IOTUNE || !args->set[i])
			continue;
		n = number(args->val[i]);
		if (!n) {
			json_object_put(limits);
			return cli_usage(args->cmd,
					 "--%s takes a whole number (0: no limit), not \"%s\".",
					 o[i].long_name, args->val[i]);
		}
		snprintf(key, sizeof(key), "%s", o[i].long_name);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		json_object_object_add(limits, key, n);
	}
	changes = NULL;
	if (json_object_object_length(limits)) {
		changes = json_object_new_object();
		json_object_object_add(changes, "limits",
				       json_object_get(limits));
	}
	json_object_put(limits);
	rc = iotune_run(cli, args, keel_domain_blkdeviotune, changes);
	json_object_put(changes);
	return rc;
}

/* virsh's AVG[,PEAK[,BURST]] into {average, peak, burst}; NULL if bad. */
static struct json_object *bandwidth_arg(const char *s)
{
	static const char *const names[] = { "average", "peak", "burst" };
	struct json_object *o = json_object_new_object();
	char *copy = strdup(s), *field = copy, *comma;
	int i = 0;

	for (; field && i < 3; i++, field = comma ? comma + 1 : NULL) {
		struct json_object *n;

		comma = strchr(field, ',');
		if (comma)
			*comma = '\0';
		if (!*field && i > 0)
			continue; /* "AVG,,BURST": no peak */
		n = number(field);
		if (!n)
			goto bad;
		json_object_object_add(o, names[i], n);
	}
	if (field)
		goto bad; /* a fourth field: virsh's floor, which keel lacks */
	free(copy);
	return o;
bad:
	free(copy);
	json_object_put(o);
	return NULL;
}

int cmd_domiftune(struct cli *cli, const struct cli_args *args)
{
	static const struct {
		int key;
		const char *name;
	} dirs[] = { { CLI_OPT_INBOUND, "inbound" },
		     { CLI_OPT_OUTBOUND, "outbound" } };
	struct json_object *changes = NULL;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		const char *v = cli_optarg(args, dirs[i].key);
		struct json_object *bw;

		if (!v)
			continue;
		bw = bandwidth_arg(v);
		if (!bw) {
			json_object_put(changes);
			return cli_usage(args->cmd,
					 "--%s takes AVERAGE[,PEAK[,BURST]], whole numbers in KiB/s and KiB, not \"%s\".",
					 dirs[i].name, v);
		}
		if (!changes)
			changes = json_object_new_object();
		json_object_object_add(changes, dirs[i].name, bw);
	}
	rc = iotune_run(cli, args, keel_domain_domiftune, changes);
	json_object_put(changes);
	return rc;
}
