// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xl's device commands: block-attach, block-detach, block-list,
 * network-attach, network-detach and network-list. A DISKSPEC or
 * VIFSPEC is read by the same xl.cfg reader as a configuration file's
 * disk and vif items, so the words are the same in both places; the
 * lists are the domain's configuration (what it runs with, else its
 * definition), whose Nth disk and NIC are keel-hv's vblkN and vnetN.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keel.h"
#include "xl_format.h"
#include "xlcfg.h"

#define DOM_BUF 256

static int dom_arg(struct cli *cli, const struct cli_args *args, char *dom)
{
	int rc = cli_connect(cli);

	return rc ? rc : cli_resolve(cli, args->argv[0], dom, DOM_BUF);
}

/*
 * @spec as one item of the xl.cfg list @key ("disk", "vif"): a new JSON
 * object in *@out, or CLI_USAGE after saying why. The reader takes only
 * whole configurations, hence the name and kernel around the item.
 */
static int spec_parse(const struct cli_command *cmd, const char *key,
		      const char *list, const char *spec,
		      struct json_object **out)
{
	struct json_object *config = NULL, *items;
	char *buf = NULL, *err = NULL;
	int rc = CLI_USAGE;

	*out = NULL;
	if (strchr(spec, '\'') || strchr(spec, '\n'))
		return cli_usage(cmd, "A %s specification cannot contain a quote or a newline.",
				 key);
	if (asprintf(&buf, "%s = [ '%s' ]\nname = \"x\"\nkernel = \"/x\"\n",
		     key, spec) < 0) {
		cli_error("Out of memory.");
		return CLI_FAIL;
	}
	if (xlcfg_parse_buf(buf, strlen(buf), cmd->name, &config, &err)) {
		cli_usage(cmd, "%s", err ? err : "Out of memory.");
	} else if (!json_object_object_get_ex(config, list, &items) ||
		   json_object_array_length(items) != 1) {
		cli_usage(cmd, "\"%s\" is no %s specification.", spec, key);
	} else {
		*out = json_object_get(json_object_array_get_idx(items, 0));
		rc = CLI_OK;
	}
	json_object_put(config);
	free(err);
	free(buf);
	return rc;
}

/* block-attach DOM DISKSPEC: xl's, e.g. "/srv/d.img,raw,xvdb,rw". */
int cmd_block_attach(struct cli *cli, const struct cli_args *args)
{
	struct json_object *disk, *res = NULL;
	char dom[DOM_BUF];
	int rc;

	rc = spec_parse(args->cmd, "disk", "disks", args->argv[1], &disk);
	if (rc)
		return rc;
	rc = dom_arg(cli, args, dom);
	if (!rc && keel_domain_block_attach(cli->conn, dom, disk, &res))
		rc = cli_call_failed(cli);
	json_object_put(disk);
	json_object_put(res);
	return rc;
}

/* network-attach DOM [VIFSPEC]: xl's, e.g. "mac=00:16:3e:01:02:03,bridge=br0". */
int cmd_network_attach(struct cli *cli, const struct cli_args *args)
{
	struct json_object *nic, *res = NULL;
	char dom[DOM_BUF];
	int rc;

	if (args->argc > 1 && args->argv[1][0]) {
		rc = spec_parse(args->cmd, "vif", "nics", args->argv[1], &nic);
		if (rc)
			return rc;
	} else {
		nic = json_object_new_object();
		if (!nic) {
			cli_error("Out of memory.");
			return CLI_FAIL;
		}
	}
	rc = dom_arg(cli, args, dom);
	if (!rc && keel_domain_network_attach(cli->conn, dom, nic, &res))
		rc = cli_call_failed(cli);
	json_object_put(nic);
	json_object_put(res);
	return rc;
}

/* The -t SECONDS of a detach: 0 for keeld's default, -1 if bad. */
static int detach_timeout(const struct cli_args *args)
{
	const char *t = cli_optarg(args, 't');
	long v;

	if (!t)
		return 0;
	v = cli_is_number(t) ? strtol(t, NULL, 10) : -1;
	return v >= 1 && v <= 3600 ? (int)v : -1;
}

static int detach(struct cli *cli, const struct cli_args *args, bool nic)
{
	struct json_object *res = NULL;
	int timeout = detach_timeout(args);
	char dom[DOM_BUF];
	int rc;

	if (timeout < 0)
		return cli_usage(args->cmd, "Give -t the seconds to wait for the guest, 1 to 3600, not \"%s\".",
				 cli_optarg(args, 't'));
	rc = dom_arg(cli, args, dom);
	if (rc)
		return rc;
	if (nic ? keel_domain_network_detach(cli->conn, dom, args->argv[1],
					     timeout, &res) :
		  keel_domain_block_detach(cli->conn, dom, args->argv[1],
					   timeout, &res))
		return cli_call_failed(cli);
	json_object_put(res);
	return CLI_OK;
}

int cmd_block_detach(struct cli *cli, const struct cli_args *args)
{
	return detach(cli, args, false);
}

int cmd_network_detach(struct cli *cli, const struct cli_args *args)
{
	return detach(cli, args, true);
}

/*
 * block-list and network-list: one domain's list from its configuration
 * (what it runs with, else its definition), in xl's columns
 * (xl_format.h); --json, the configuration's list as it is.
 */
static int list(struct cli *cli, const struct cli_args *args, bool nic)
{
	struct json_object *config = NULL, *items, *v;
	struct keel_domain d;
	char dom[DOM_BUF], line[1024];
	size_t n;
	int rc = dom_arg(cli, args, dom);

	if (rc)
		return rc;
	if (keel_domain_info(cli->conn, dom, &d, &config))
		return cli_call_failed(cli);
	if (!json_object_object_get_ex(config, nic ? "nics" : "disks", &items))
		items = NULL;
	n = items ? json_object_array_length(items) : 0;
	if (cli_flag(args, CLI_OPT_JSON)) {
		v = items ? json_object_get(items) : json_object_new_array();
		cli_print_json(v);
		json_object_put(v);
		json_object_put(config);
		return CLI_OK;
	}
	if (nic)
		xl_network_list_header(line, sizeof(line));
	else
		xl_block_list_header(line, sizeof(line));
	puts(line);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(items, i);

		if (nic)
			xl_network_list_line(line, sizeof(line), i, item, d.id);
		else
			xl_block_list_line(line, sizeof(line), item, d.id);
		puts(line);
	}
	json_object_put(config);
	return CLI_OK;
}

int cmd_block_list(struct cli *cli, const struct cli_args *args)
{
	return list(cli, args, false);
}

int cmd_network_list(struct cli *cli, const struct cli_args *args)
{
	return list(cli, args, true);
}
