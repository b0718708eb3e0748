// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel dmesg: keeld's recent log lines, as `xl dmesg` prints the
 * hypervisor's; -c then clears the lines it printed (only those: one
 * logged in between stays for the next reader).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "keel.h"

/* "2026-12-05T01:02:03.456Z warning: Domain web ..." */
static void dmesg_print_line(const struct keel_dmesg_line *l)
{
	time_t secs = (time_t)l->time;
	char when[32] = "-";
	struct tm tm;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03ldZ %s: %s\n", when,
	       (long)((l->time - (double)secs) * 1000), l->level, l->message);
}

/* --json: the lines as host.dmesg gives them. */
static void dmesg_print_json(const struct keel_dmesg_line *l, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "seq",
				       json_object_new_uint64(l[i].seq));
		json_object_object_add(o, "time",
				       json_object_new_double(l[i].time));
		json_object_object_add(o, "level",
				       json_object_new_string(l[i].level));
		json_object_object_add(o, "message",
				       json_object_new_string(l[i].message));
		json_object_array_add(arr, o);
	}
	cli_print_json(arr);
	json_object_put(arr);
}

int cmd_dmesg(struct cli *cli, const struct cli_args *args)
{
	struct keel_dmesg_line *lines = NULL;
	size_t n;
	unsigned long long last;
	int rc = cli_connect(cli);

	if (rc)
		return rc;
	if (keel_host_dmesg(cli->conn, &lines, &n))
		return cli_call_failed(cli);
	if (cli_flag(args, CLI_OPT_JSON))
		dmesg_print_json(lines, n);
	else
		for (size_t i = 0; i < n; i++)
			dmesg_print_line(&lines[i]);
	last = n ? lines[n - 1].seq : 0;
	free(lines);
	if (!cli_flag(args, 'c') || !n)
		return CLI_OK;
	if (keel_host_dmesg_clear(cli->conn, last, NULL))
		return cli_call_failed(cli);
	return CLI_OK;
}
