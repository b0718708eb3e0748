// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel dmesg: keeld's recent log lines, as `xl dmesg` prints the
 * hypervisor's; -c then clears the lines it printed (only those: one
 * logged in between stays for the next reader).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "keel.h"

/* "2026-12-05T01:02:03.456Z warning: Domain web ..." */
static void dmesg_print_line(struct json_object *l)
{
	struct json_object *v;
	double t = json_object_object_get_ex(l, "time", &v) ?
			   json_object_get_double(v) :
			   0;
	time_t secs = (time_t)t;
	char when[32] = "-";
	struct tm tm;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03ldZ %s: %s\n", when, (long)((t - (double)secs) * 1000),
	       json_object_get_string(json_object_object_get(l, "level")),
	       json_object_get_string(json_object_object_get(l, "message")));
}

int cmd_dmesg(struct cli *cli, const struct cli_args *args)
{
	struct json_object *res = NULL, *lines = NULL, *p, *v;
	uint64_t last = 0;
	size_t n;
	int rc = cli_connect(cli);

	if (rc)
		return rc;
	if (keel_call(cli->conn, "host.dmesg", NULL, &res))
		return cli_call_failed(cli);
	if (!json_object_object_get_ex(res, "lines", &lines) ||
	    !json_object_is_type(lines, json_type_array)) {
		cli_error("keeld's answer to host.dmesg has no lines.");
		json_object_put(res);
		return CLI_FAIL;
	}
	n = json_object_array_length(lines);
	if (cli_flag(args, CLI_OPT_JSON))
		cli_print_json(lines);
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_array_get_idx(lines, i);

		if (!cli_flag(args, CLI_OPT_JSON))
			dmesg_print_line(l);
		if (json_object_object_get_ex(l, "seq", &v))
			last = json_object_get_uint64(v);
	}
	json_object_put(res);
	if (!cli_flag(args, 'c') || !n)
		return CLI_OK;
	p = json_object_new_object();
	json_object_object_add(p, "upto", json_object_new_uint64(last));
	if (keel_call(cli->conn, "host.dmesg_clear", p, &res))
		return cli_call_failed(cli);
	json_object_put(res);
	return CLI_OK;
}
