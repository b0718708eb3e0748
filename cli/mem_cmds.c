// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mem-set and mem-max: a domain's memory and maxmem, with xl's sizes
 * (mem_size.h). Like xl they print nothing when they succeed; a failure
 * prints keeld's sentence after "keel: " and exits 1.
 */
#include "config.h"

#include <stdio.h>

#include "commands.h"
#include "keel.h"
#include "mem_size.h"

/* Room for any name, uuid or id, as domain_cmds.c's DOM_BUF. */
#define MEM_DOM_BUF 256

typedef int (*mem_call_fn)(struct keel_conn *c, const char *dom,
			   long long mib, struct keel_domain *out);

/* `keel CMD DOM SIZE`: SIZE checked before keeld is asked anything. */
static int mem_command(struct cli *cli, const struct cli_args *args,
		       mem_call_fn call)
{
	char dom[MEM_DOM_BUF], why[256];
	long long mib;
	int rc;

	if (mem_size_parse(args->argv[1], &mib, why, sizeof(why)))
		return cli_usage(args->cmd, "%s", why);
	rc = cli_connect(cli);
	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	return call(cli->conn, dom, mib, NULL) ? cli_call_failed(cli) : CLI_OK;
}

int cmd_mem_set(struct cli *cli, const struct cli_args *args)
{
	return mem_command(cli, args, keel_domain_set_memory);
}

int cmd_mem_max(struct cli *cli, const struct cli_args *args)
{
	return mem_command(cli, args, keel_domain_set_maxmem);
}
