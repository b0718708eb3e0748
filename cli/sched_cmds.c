// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sched-credit: a domain's CPU weight and cap, as xl sched-credit shows
 * and sets them (docs/qos.md). Without -w and -c it prints xl's table
 * (Name ID Weight Cap) for one domain or every domain; with them it
 * changes the domain's values, live and in its configuration, and
 * prints nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keel.h"

/* xl's columns; ID is "-" for a domain that does not run. */
#define SCHED_FORMAT "%-33s %4s %6s %4s\n"

static void sched_row(const struct keel_sched *sc)
{
	char id[16] = "-", weight[16], cap[16];

	if (sc->id >= 0)
		snprintf(id, sizeof(id), "%d", sc->id);
	snprintf(weight, sizeof(weight), "%d", sc->weight);
	snprintf(cap, sizeof(cap), "%d", sc->cap);
	printf(SCHED_FORMAT, sc->name, id, weight, cap);
}

/* Every domain's row, in keel list's order. */
static int sched_table(struct cli *cli)
{
	struct keel_domain *list = NULL;
	struct keel_sched sc;
	size_t n = 0;
	int rc = CLI_OK;

	if (keel_domain_list(cli->conn, &list, &n))
		return cli_call_failed(cli);
	printf(SCHED_FORMAT, "Name", "ID", "Weight", "Cap");
	for (size_t i = 0; i < n; i++) {
		if (keel_domain_get_sched(cli->conn, list[i].uuid, &sc)) {
			/* Undefined meanwhile: the rest still print. */
			if (keel_last_error(cli->conn)->code ==
			    KEEL_E_NO_DOMAIN)
				continue;
			rc = cli_call_failed(cli);
			break;
		}
		sched_row(&sc);
	}
	free(list);
	return rc;
}

int cmd_sched_credit(struct cli *cli, const struct cli_args *args)
{
	const char *d = cli_optarg(args, 'd');
	struct keel_sched sc;
	char dom[256];
	int weight, cap, rc;

	rc = cli_number_opt(args, 'w', "weight", &weight);
	if (!rc)
		rc = cli_number_opt(args, 'c', "cap", &cap);
	if (rc)
		return rc;
	if (!d && (weight >= 0 || cap >= 0))
		return cli_usage(args->cmd,
				 "Name the domain to change with -d DOM.");
	rc = cli_connect(cli);
	if (rc)
		return rc;
	if (!d)
		return sched_table(cli);
	rc = cli_resolve(cli, d, dom, sizeof(dom));
	if (rc)
		return rc;
	if (weight >= 0 || cap >= 0)
		return keel_domain_set_sched(cli->conn, dom, weight, cap,
					     NULL) ?
			       cli_call_failed(cli) :
			       CLI_OK;
	if (keel_domain_get_sched(cli->conn, dom, &sc))
		return cli_call_failed(cli);
	printf(SCHED_FORMAT, "Name", "ID", "Weight", "Cap");
	sched_row(&sc);
	return CLI_OK;
}
