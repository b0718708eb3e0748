// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel vcpu-pin and keel vcpu-list: xl's commands of the same names
 * (man/keel.1), over domain.vcpu_pin and domain.vcpu_list. keel has
 * only hard affinity (pinning), so vcpu-list's last column is xl's
 * "Affinity (Hard / Soft)" without the soft half.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "keel.h"

int cmd_vcpu_pin(struct cli *cli, const struct cli_args *args)
{
	const char *vcpu = args->argv[1];
	struct json_object *setting = NULL;
	char dom[KEEL_NAME_MAX + KEEL_UUID_LEN + 2];
	int rc, n = -1;

	if (strcmp(vcpu, "all")) {
		if (!cli_is_number(vcpu) || strlen(vcpu) > 4)
			return cli_usage(args->cmd,
					 "'%s' is not a vCPU: give its number (from 0) or all.",
					 vcpu);
		n = atoi(vcpu);
	}
	rc = cli_connect(cli);
	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	if (keel_domain_vcpu_pin(cli->conn, dom, n, args->argv[2],
				 &setting) < 0)
		return cli_call_failed(cli);
	json_object_put(setting);
	return CLI_OK;
}

/* One row, in xl vcpu-list's columns. */
static void print_vcpu(const struct keel_vcpu *v)
{
	bool online = v->tid >= 0;
	char cpu[16];

	snprintf(cpu, sizeof(cpu), "%d", v->cpu);
	printf("%-32s %5d %5d %5s   %c%c%c  %9.1f  %s\n", v->name, v->id,
	       v->vcpu, online ? cpu : "-",
	       !strcmp(v->state, "running") ? 'r' : '-',
	       !strcmp(v->state, "blocked") ? 'b' : '-',
	       !strcmp(v->state, "paused") || !online ? 'p' : '-', v->time,
	       v->affinity);
}

static struct json_object *vcpu_json(const struct keel_vcpu *v)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(v->name));
	json_object_object_add(o, "uuid", json_object_new_string(v->uuid));
	json_object_object_add(o, "id", json_object_new_int(v->id));
	json_object_object_add(o, "vcpu", json_object_new_int(v->vcpu));
	json_object_object_add(o, "tid",
			       v->tid < 0 ? NULL : json_object_new_int(v->tid));
	json_object_object_add(o, "cpu",
			       v->cpu < 0 ? NULL : json_object_new_int(v->cpu));
	json_object_object_add(o, "state", json_object_new_string(v->state));
	json_object_object_add(o, "time", json_object_new_double(v->time));
	json_object_object_add(o, "affinity",
			       json_object_new_string(v->affinity));
	return o;
}

/* The vCPUs of @dom (NULL: every running domain) printed or added. */
static int list_one(struct cli *cli, const char *dom, struct json_object *out)
{
	struct keel_vcpu *v;
	size_t n;

	if (keel_domain_vcpu_list(cli->conn, dom, &v, &n) < 0)
		return cli_call_failed(cli);
	for (size_t i = 0; i < n; i++) {
		if (out)
			json_object_array_add(out, vcpu_json(&v[i]));
		else
			print_vcpu(&v[i]);
	}
	free(v);
	return CLI_OK;
}

int cmd_vcpu_list(struct cli *cli, const struct cli_args *args)
{
	struct json_object *out = NULL;
	char dom[KEEL_NAME_MAX + KEEL_UUID_LEN + 2];
	int rc = cli_connect(cli), one;

	if (rc)
		return rc;
	if (cli_flag(args, CLI_OPT_JSON))
		out = json_object_new_array();
	else
		printf("%-32s %5s %5s %5s %5s  %9s  %s\n", "Name", "ID", "VCPU",
		       "CPU", "State", "Time(s)", "Affinity");
	if (!args->argc)
		rc = list_one(cli, NULL, out);
	for (int i = 0; i < args->argc; i++) {
		one = cli_resolve(cli, args->argv[i], dom, sizeof(dom));
		if (!one)
			one = list_one(cli, dom, out);
		if (one)
			rc = one;
	}
	if (out)
		cli_print_json(out);
	json_object_put(out);
	return rc;
}
