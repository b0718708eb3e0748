// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commands that only look: list, info, domid, domname, uptime,
 * config. Tables are for people; --json prints what keeld
 * answered, so a field keeld adds shows up without a change here.
 *
 * A listing is one domain.list call whatever the number of domains
 * (docs/listing.md): everything a row shows is in keeld's summary,
 * which keeld answers from its own state, so neither many domains nor
 * a busy or stuck keel-hv can slow it down.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "commands.h"
#include "keel.h"
#include "xl_format.h"

#define DOM_BUF 256

/* --- reading keeld's JSON ----------------------------------------------- */

static const char *str_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* An integer member, or -1 when absent or null (a shut-off domain's id). */
static long long int_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

/* --- list ---------------------------------------------------------------- */

/* Running domains first, by id (as xl lists them), then the rest by name. */
static int summary_cmp(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	long long ix = int_member(x, "id"), iy = int_member(y, "id");

	if ((ix < 0) != (iy < 0))
		return ix < 0 ? 1 : -1;
	if (ix != iy)
		return ix < iy ? -1 : 1;
	return strcmp(str_member(x, "name"), str_member(y, "name"));
}

/* Does operand @dom (name, uuid or id) name the domain @s? */
static bool summary_matches(struct json_object *s, const char *dom)
{
	if (!strcmp(str_member(s, "name"), dom) ||
	    !strcasecmp(str_member(s, "uuid"), dom))
		return true;
	return cli_is_number(dom) && strlen(dom) < 10 &&
	       int_member(s, "id") == atoi(dom);
}

/* A number member (seconds, say), or -1 when absent or not a number. */
static double num_member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	     !json_object_is_type(v, json_type_int)))
		return -1;
	return json_object_get_double(v);
}

/*
 * keeld's domain list in one call (with each domain's configuration
 * when @with_config), sorted, or only the domains @args names (each
 * once, in the order given). Returns the number in *@out (an array the
 * caller frees; its elements belong to *@all, which the caller puts), 0
 * or CLI_FAIL if a named domain was not found (the others are still
 * returned) or the call failed (*@all NULL).
 */
static int select_domains(struct cli *cli, const struct cli_args *args,
			  bool with_config, struct json_object **all,
			  struct json_object ***out, size_t *n)
{
	struct json_object *params = NULL;
	size_t len;
	int rc = CLI_OK;

	*out = NULL;
	*n = 0;
	if (with_config) {
		params = json_object_new_object();
		json_object_object_add(params, "config",
				       json_object_new_boolean(true));
	}
	if (keel_call(cli->conn, "domain.list", params, all))
		return cli_call_failed(cli);
	if (!json_object_is_type(*all, json_type_array)) {
		cli_error("keeld's domain list is not a list.");
		return CLI_FAIL;
	}
	len = json_object_array_length(*all);
	*out = calloc(len + 1, sizeof(**out));
	if (!*out) {
		cli_error("Out of memory.");
		return CLI_FAIL;
	}
	if (!args->argc) {
		for (size_t i = 0; i < len; i++)
			(*out)[(*n)++] = json_object_array_get_idx(*all, i);
		qsort(*out, *n, sizeof(**out), summary_cmp);
		return CLI_OK;
	}
	for (int a = 0; a < args->argc; a++) {
		struct json_object *s = NULL;
		bool dup = false;

		for (size_t i = 0; i < len && !s; i++)
			if (summary_matches(json_object_array_get_idx(*all, i),
					    args->argv[a]))
				s = json_object_array_get_idx(*all, i);
		if (!s) {
			cli_error("No domain is named \"%s\".", args->argv[a]);
			rc = CLI_FAIL;
			continue;
		}
		for (size_t i = 0; i < *n; i++)
			dup |= (*out)[i] == s;
		if (!dup)
			(*out)[(*n)++] = s;
	}
	return rc;
}

/*
 * xl list's layout, column for column (xl_list.c): name, id, current
 * memory in MiB, vCPUs, the six state letters, CPU seconds. -v adds the
 * uuid, the shutdown reason code and the security label, which keel
 * does not have ("-").
 */
#define LIST_HEADER "Name                                        ID   Mem VCPUs\tState\tTime(s)"
#define LIST_HEADER_V "   UUID                            Reason-Code\tSecurity Label"
#define LIST_FORMAT "%-40s %5s %5s %5s     %s  %8s"

/*
 * One row of the table, from the summary alone. A member an older keeld
 * does not send shows as "-"; so do the id and the CPU time of a
 * shut-off domain, which xl would not list (docs/listing.md).
 */
static void list_row(struct json_object *s, bool verbose)
{
	char id[24] = "-", mem[24] = "-", vcpus[24] = "-", time[32] = "-";
	char flags[XL_FLAGS_LEN], code[16] = "-";
	long long v;
	double t;

	v = int_member(s, "id");
	if (v >= 0) {
		snprintf(id, sizeof(id), "%lld", v);
		t = num_member(s, "cpu_time");
		if (t >= 0)
			snprintf(time, sizeof(time), "%.1f", t);
	}
	v = int_member(s, "memory");
	if (v >= 0)
		snprintf(mem, sizeof(mem), "%lld", v);
	v = int_member(s, "vcpus");
	if (v >= 0)
		snprintf(vcpus, sizeof(vcpus), "%lld", v);
	xl_state_flags(str_member(s, "state"), str_member(s, "reason"), flags);
	printf(LIST_FORMAT, str_member(s, "name"), id, mem, vcpus, flags,
	       time);
	if (verbose) {
		int c = xl_reason_code(str_member(s, "state"),
				       str_member(s, "reason"));

		if (c >= 0)
			snprintf(code, sizeof(code), "%x", c);
		printf(" %-36s %8s %16s", str_member(s, "uuid"), code, "-");
	}
	putchar('\n');
}

/* xl list -l: libxl's names for what keel keeps (cli/xl_format.c). */
static int list_long(struct json_object **sel, size_t n)
{
	struct json_object *out = json_object_new_array();
	int rc = CLI_OK;

	for (size_t i = 0; out && i < n; i++) {
		struct json_object *e = xl_long_entry(sel[i]);

		if (!e) {
			rc = CLI_FAIL;
			break;
		}
		json_object_array_add(out, e);
	}
	if (!out || rc) {
		cli_error("Out of memory.");
		json_object_put(out);
		return CLI_FAIL;
	}
	cli_print_json(out);
	json_object_put(out);
	return CLI_OK;
}

int cmd_list(struct cli *cli, const struct cli_args *args)
{
	struct json_object *all = NULL, **sel = NULL, *out;
	bool names = cli_flag(args, CLI_OPT_NAME);
	bool json = cli_flag(args, CLI_OPT_JSON);
	bool lng = !names && !json && cli_flag(args, 'l');
	bool verbose = cli_flag(args, 'v');
	size_t n = 0;
	int rc;

	if (names && (json || cli_flag(args, 'l') || verbose))
		return cli_usage(args->cmd,
				 "--name prints only names; give it alone.");
	rc = cli_connect(cli);
	if (rc)
		return rc;
	/*
	 * -l's configurations come with the list: still one call. With
	 * --json, -l adds them to keel's own summaries.
	 */
	rc = select_domains(cli, args, cli_flag(args, 'l'), &all, &sel, &n);
	if (!all)
		return rc;
	if (names) {
		for (size_t i = 0; i < n; i++)
			puts(str_member(sel[i], "name"));
	} else if (lng) {
		if (list_long(sel, n))
			rc = CLI_FAIL;
	} else if (json) {
		out = json_object_new_array();
		for (size_t i = 0; i < n; i++)
			json_object_array_add(out, json_object_get(sel[i]));
		cli_print_json(out);
		json_object_put(out);
	} else {
		printf("%s%s\n", LIST_HEADER, verbose ? LIST_HEADER_V : "");
		for (size_t i = 0; i < n; i++)
			list_row(sel[i], verbose);
	}
	free(sel);
	json_object_put(all);
	return rc;
}

/* --- info ---------------------------------------------------------------- */

/* One "key                    : value" line, as xl info prints them. */
static void info_line(const char *key, struct json_object *val)
{
	printf("%-23s: %s\n", key,
	       !val ? "" :
	       json_object_is_type(val, json_type_string) ?
		      json_object_get_string(val) :
		      json_object_to_json_string(val));
}

/*
 * xl info's names, in its order, for keeld's members: what xl prints
 * that means something on KVM (man/keel.1). keel_version stands where
 * xl has xen_version.
 */
static const struct {
	const char *xl, *keeld;
} info_fields[] = {
	{ "host", "hostname" },
	{ "release", "release" },
	{ "version", "kernel_version" },
	{ "machine", "machine" },
	{ "nr_cpus", "nr_cpus" },
	{ "nr_nodes", "nr_nodes" },
	{ "cores_per_socket", "cores_per_socket" },
	{ "threads_per_core", "threads_per_core" },
	{ "cpu_mhz", "cpu_mhz" },
	{ "hw_caps", "hw_caps" },
	{ "virt_caps", "virt_caps" },
	{ "total_memory", "memory_mib" },
	{ "free_memory", "free_memory_mib" },
	{ "keel_version", "version" },
	{ "nr_domains", "nr_domains" },
};

/* xl info -n: the CPU and node tables. */
static void info_numa(struct json_object *info)
{
	struct json_object *cpus = NULL, *nodes = NULL;

	json_object_object_get_ex(info, "cpu_topology", &cpus);
	json_object_object_get_ex(info, "numa_info", &nodes);
	printf("%-23s:\n", "cpu_topology");
	printf("cpu:    core    socket     node\n");
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);

		printf("%3lld:    %4lld     %4lld     %4lld\n",
		       int_member(c, "cpu"), int_member(c, "core"),
		       int_member(c, "socket"), int_member(c, "node"));
	}
	printf("%-23s:\n", "numa_info");
	printf("node:    memsize    memfree    distances\n");
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		struct json_object *n = json_object_array_get_idx(nodes, i);
		struct json_object *d = NULL;

		printf("%4lld:    %7lld    %7lld    ", int_member(n, "node"),
		       int_member(n, "memsize_mib"),
		       int_member(n, "memfree_mib"));
		json_object_object_get_ex(n, "distances", &d);
		for (size_t j = 0; j < json_object_array_length(d); j++)
			printf("%s%lld", j ? "," : "",
			       (long long)json_object_get_int64(
				       json_object_array_get_idx(d, j)));
		putchar('\n');
	}
}

int cmd_info(struct cli *cli, const struct cli_args *args)
{
	struct json_object *info = NULL, *params = NULL, *v;
	bool numa = cli_flag(args, 'n');
	int rc = cli_connect(cli);

	if (rc)
		return rc;
	if (numa) {
		params = json_object_new_object();
		json_object_object_add(params, "numa",
				       json_object_new_boolean(true));
	}
	if (keel_call(cli->conn, "host.info", params, &info))
		return cli_call_failed(cli);
	if (cli_flag(args, CLI_OPT_JSON) ||
	    !json_object_is_type(info, json_type_object)) {
		cli_print_json(info);
		json_object_put(info);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(info_fields) / sizeof(info_fields[0]);
	     i++)
		/* What an older keeld does not send is left out. */
		if (json_object_object_get_ex(info, info_fields[i].keeld, &v))
			info_line(info_fields[i].xl, v);
	if (numa)
		info_numa(info);
	json_object_put(info);
	return CLI_OK;
}

/* --- domid, domname ------------------------------------------------------ */

int cmd_domid(struct cli *cli, const struct cli_args *args)
{
	struct keel_domain d;
	char dom[DOM_BUF];
	int rc = cli_connect(cli);

	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	if (keel_domain_info(cli->conn, dom, &d, NULL))
		return cli_call_failed(cli);
	if (d.id < 0) {
		cli_error("Domain %s is not running, so it has no id.", d.name);
		return CLI_FAIL;
	}
	printf("%d\n", d.id);
	return CLI_OK;
}

int cmd_domname(struct cli *cli, const struct cli_args *args)
{
	struct keel_domain *list = NULL;
	const char *id = args->argv[0];
	size_t n = 0;
	int rc;

	if (!cli_is_number(id) || strlen(id) >= 10)
		return cli_usage(args->cmd,
				 "\"%s\" is not a domain id; ids are numbers.",
				 id);
	rc = cli_connect(cli);
	if (rc)
		return rc;
	if (keel_domain_list(cli->conn, &list, &n))
		return cli_call_failed(cli);
	rc = CLI_FAIL;
	for (size_t i = 0; i < n && rc; i++) {
		if (list[i].id >= 0 && list[i].id == atoi(id)) {
			puts(list[i].name);
			rc = CLI_OK;
		}
	}
	if (rc)
		cli_error("No running domain has the id %s.", id);
	free(list);
	return rc;
}

/* --- uptime -------------------------------------------------------------- */

/*
 * Seconds the running domain @summary describes has run, or -1 when
 * keeld does not say. The summary's "uptime" when keeld puts one there
 * (then the whole listing is one call); from a keeld whose summaries
 * lack it, domain.info's, which keeld also answers from its own state,
 * never from keel-hv (man/keel.1, BUGS).
 */
static double domain_uptime(struct cli *cli, struct json_object *summary)
{
	struct json_object *o = NULL, *p;
	double up = num_member(summary, "uptime");

	if (up >= 0)
		return up;
	p = json_object_new_object();
	json_object_object_add(p, "uuid",
			       json_object_new_string(str_member(summary,
								 "uuid")));
	if (!keel_call(cli->conn, "domain.info", p, &o))
		up = num_member(o, "uptime");
	json_object_put(o);
	return up;
}

int cmd_uptime(struct cli *cli, const struct cli_args *args)
{
	struct json_object *all = NULL, **sel = NULL, *out = NULL;
	bool json = cli_flag(args, CLI_OPT_JSON);
	bool is_short = cli_flag(args, 's');
	time_t t = time(NULL);
	char now[16] = "";
	struct tm tm;
	size_t n = 0;
	int rc;

	if (localtime_r(&t, &tm))
		strftime(now, sizeof(now), "%H:%M:%S", &tm);
	if (is_short && json)
		return cli_usage(args->cmd, "Give -s or --json, not both.");
	rc = cli_connect(cli);
	if (rc)
		return rc;
	rc = select_domains(cli, args, false, &all, &sel, &n);
	if (!all)
		return rc;
	if (json)
		out = json_object_new_array();
	else if (!is_short)
		printf("%-33s %4s %s\n", "Name", "ID", "Up-time");
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = sel[i], *o;
		const char *name = str_member(s, "name");
		char text[64];
		double up;

		if (int_member(s, "id") < 0) {
			/* Only a domain asked for by name is worth a word. */
			if (args->argc) {
				cli_error("Domain %s is not running.", name);
				rc = CLI_FAIL;
			}
			continue;
		}
		up = domain_uptime(cli, s);
		if (is_short) {
			/* xl uptime -s: uptime(1)'s line, one per domain. */
			xl_format_uptime(text, sizeof(text), up, 1);
			printf(" %s up %s, %s (%lld)\n", now, text, name,
			       int_member(s, "id"));
			continue;
		}
		if (!json) {
			xl_format_uptime(text, sizeof(text), up, 0);
			printf("%-33s %4lld %s\n", name, int_member(s, "id"),
			       text);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "uuid",
				       json_object_new_string(str_member(s,
									 "uuid")));
		json_object_object_add(o, "id",
				       json_object_new_int64(int_member(s,
									"id")));
		json_object_object_add(o, "uptime",
				       up < 0 ? NULL :
						json_object_new_double(up));
		json_object_array_add(out, o);
	}
	if (json)
		cli_print_json(out);
	json_object_put(out);
	free(sel);
	json_object_put(all);
	return rc;
}

/* --- config -------------------------------------------------------------- */

int cmd_config(struct cli *cli, const struct cli_args *args)
{
	struct json_object *config = NULL;
	char dom[DOM_BUF];
	int rc = cli_connect(cli);

	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	if (keel_domain_config(cli->conn, dom, &config))
		return cli_call_failed(cli);
	cli_print_json(config);
	json_object_put(config);
	return CLI_OK;
}
