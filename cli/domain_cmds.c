// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The commands that define domains and change their state: create,
 * define, undefine, start, pause, unpause, shutdown, reboot, destroy,
 * rename, autostart, config-update. Like xl they print nothing when
 * they succeed; a failure prints keeld's sentence after "keel: " and
 * exits 1.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "hv_proto.h"
#include "keel.h"

/*
 * Room for any name, uuid or number keeld could know, and then some: a
 * longer operand is refused by cli_resolve() rather than cut short.
 */
#define DOM_BUF 256

/*
 * create -c asks for this much history: more than keel-hv's ring holds
 * (--console-ring, 1 MiB by default), so that it sends all it has and
 * the boot is seen from its first byte.
 */
#define CREATE_CONSOLE_HISTORY (1L << 30)

/* What create -F waits for: the domain's "stopped" events. */
struct create_wait {
	const char *uuid;
	bool stopped;
};

static void create_wait_event(struct keel_conn *c, const struct keel_event *ev,
			      void *opaque)
{
	struct create_wait *w = opaque;

	(void)c;
	if (w->uuid && !strcmp(ev->domain.uuid, w->uuid) &&
	    !strcmp(ev->event, "stopped"))
		w->stopped = true;
}

/*
 * create -F: return once domain @uuid is gone, as xl's -F stays until
 * the domain dies. A stop that keeld follows with a restart (on_reboot
 * and the like) or keeps the domain for (preserve) is not the end; the
 * end is a stop after which keeld no longer knows the domain. The
 * events were subscribed to before the create, so none is missed.
 */
static int create_wait(struct cli *cli, struct create_wait *w)
{
	struct keel_domain d;
	int n;

	for (;;) {
		n = keel_event_pending(cli->conn) ?
			    keel_event_dispatch(cli->conn) :
			    keel_event_wait(cli->conn, -1);
		if (n < 0) {
			cli_error("The connection to keeld was lost while waiting for domain %s to end.",
				  w->uuid);
			return CLI_FAIL;
		}
		if (!w->stopped)
			continue;
		w->stopped = false;
		if (keel_domain_info(cli->conn, w->uuid, &d, NULL) == 0)
			continue;
		if (keel_last_error(cli->conn)->code == KEEL_E_NO_DOMAIN)
			return CLI_OK;
		return cli_call_failed(cli);
	}
}

int cmd_create(struct cli *cli, const struct cli_args *args)
{
	struct keel_console_opts copts = KEEL_CONSOLE_OPTS_INIT;
	struct json_object *config = NULL;
	struct create_wait wait = { 0 };
	bool fg = cli_flag(args, 'F');
	struct keel_domain d;
	unsigned flags = 0;
	int rc;

	/* xl's overrides are KEY=VALUE; anything else is a slip */
	for (int i = 1; i < args->argc; i++)
		if (!strchr(args->argv[i], '='))
			return cli_usage(args->cmd,
					 "Unexpected argument \"%s\". After FILE come only KEY=VALUE overrides.",
					 args->argv[i]);
	if (cli_flag(args, 'V'))
		return cli_usage(args->cmd,
				 "-V is refused: keel domains have no VNC display; use -c, or keel console, for the guest's console.");
	if (fg && cli_flag(args, 'e'))
		return cli_usage(args->cmd,
				 "-F waits for the domain to end and -e says not to; give one of them.");
	rc = cli_config_read(args->argv[0], args->argv + 1,
			     (size_t)args->argc - 1, cli_flag(args, 'q'),
			     &config);
	if (rc)
		return rc;
	if (cli_flag(args, 'n') || cli_flag(args, CLI_OPT_DRYRUN)) {
		cli_print_json(config);
		goto out_put;
	}
	rc = cli_connect(cli);
	if (rc)
		goto out_put;
	if (fg) {
		keel_set_event_callback(cli->conn, create_wait_event, &wait);
		if (keel_events_subscribe(cli->conn)) {
			rc = cli_call_failed(cli);
			goto out_put;
		}
	}
	if (cli_flag(args, 'p'))
		flags |= KEEL_START_PAUSED;
	if (keel_domain_create(cli->conn, config, flags, &d)) {
		rc = cli_call_failed(cli);
		goto out_put;
	}
	wait.uuid = d.uuid;
	if (cli_flag(args, 'c')) {
		copts.history_bytes = CREATE_CONSOLE_HISTORY;
		rc = cli_console_attach(cli, d.uuid, d.name, &copts,
					CLI_CONSOLE_ESCAPE);
	}
	if (!rc && fg)
		rc = create_wait(cli, &wait);
out_put:
	json_object_put(config);
	return rc;
}

int cmd_define(struct cli *cli, const struct cli_args *args)
{
	struct json_object *config = NULL;
	int rc = cli_config_load(args->argv[0], &config);

	if (rc)
		return rc;
	rc = cli_connect(cli);
	if (!rc && keel_domain_define(cli->conn, config, NULL))
		rc = cli_call_failed(cli);
	json_object_put(config);
	return rc;
}

/* Connect and turn operand @i into a name or uuid in @dom. */
static int dom_arg(struct cli *cli, const struct cli_args *args, int i,
		   char *dom)
{
	int rc = cli_connect(cli);

	return rc ? rc : cli_resolve(cli, args->argv[i], dom, DOM_BUF);
}

int cmd_undefine(struct cli *cli, const struct cli_args *args)
{
	char dom[DOM_BUF];
	int rc = dom_arg(cli, args, 0, dom);

	if (rc)
		return rc;
	return keel_domain_undefine(cli->conn, dom) ? cli_call_failed(cli) :
						      CLI_OK;
}

int cmd_start(struct cli *cli, const struct cli_args *args)
{
	unsigned flags = cli_flag(args, 'p') ? KEEL_START_PAUSED : 0;
	char dom[DOM_BUF];
	int rc = dom_arg(cli, args, 0, dom);

	if (rc)
		return rc;
	return keel_domain_start(cli->conn, dom, flags, NULL) ?
		       cli_call_failed(cli) :
		       CLI_OK;
}

typedef int (*dom_op)(struct keel_conn *c, const char *dom,
		      struct keel_domain *out);

/* The commands whose only operand is the domain. */
static int simple_op(struct cli *cli, const struct cli_args *args, dom_op op)
{
	char dom[DOM_BUF];
	int rc = dom_arg(cli, args, 0, dom);

	if (rc)
		return rc;
	return op(cli->conn, dom, NULL) ? cli_call_failed(cli) : CLI_OK;
}

int cmd_pause(struct cli *cli, const struct cli_args *args)
{
	return simple_op(cli, args, keel_domain_pause);
}

int cmd_unpause(struct cli *cli, const struct cli_args *args)
{
	return simple_op(cli, args, keel_domain_unpause);
}

int cmd_destroy(struct cli *cli, const struct cli_args *args)
{
	return simple_op(cli, args, keel_domain_destroy);
}

/*
 * shutdown and reboot, as xl has them: one domain or -a for every one
 * that runs, -w to return only once each has gone down, -F accepted.
 * xl's -F falls back to the ACPI power button for a guest without PV
 * drivers; keel has no other way to ask, so the power button is what
 * both always press (keel.1).
 */
struct power_op {
	const char *verb;	/* "shut down", "reboot": for messages */
	bool reboot;
	int timeout;		/* shutdown's -t; 0: never forced */
	/* -w: the uuids asked and not yet seen going down */
	char (*waiting)[KEEL_UUID_LEN + 1];
	size_t nr_waiting;
};

/*
 * A lifecycle event: a domain that stopped (whatever on_* then does)
 * or stopped and was kept (preserve) has gone down, which is what -w
 * waits for, as xl waits for the old domain's death.
 */
static void power_on_event(struct keel_conn *c, const struct keel_event *ev,
			   void *opaque)
{
	struct power_op *op = opaque;

	if (!ev->event || (strcmp(ev->event, "stopped") &&
			   strcmp(ev->event, "shutdown") &&
			   strcmp(ev->event, "crashed")))
		return;
	for (size_t i = 0; i < op->nr_waiting; i++) {
		if (strcmp(op->waiting[i], ev->domain.uuid))
			continue;
		op->waiting[i][0] = '\0';
	}
}

static bool power_pending(const struct power_op *op)
{
	for (size_t i = 0; i < op->nr_waiting; i++)
		if (op->waiting[i][0])
			return true;
	return false;
}

/* -w: dispatch events until every domain asked has gone down. */
static int power_wait(struct cli *cli, struct power_op *op)
{
	struct pollfd pfd = { keel_event_fd(cli->conn), POLLIN, 0 };

	while (power_pending(op)) {
		if (!keel_event_pending(cli->conn) && poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_error("Cannot wait for the domains: %s.",
				  strerror(errno));
			return CLI_FAIL;
		}
		if (keel_event_dispatch(cli->conn) < 0) {
			cli_error("The connection to keeld was lost before the domains had gone down.");
			return CLI_FAIL;
		}
	}
	return CLI_OK;
}

/* Ask @dom (a name or uuid) to go down; with -w, remember to wait. */
static int power_one(struct cli *cli, struct power_op *op, const char *dom)
{
	struct keel_domain d;
	int rc;

	if (op->reboot)
		rc = keel_domain_reboot(cli->conn, dom, &d);
	else
		rc = keel_domain_shutdown(cli->conn, dom, op->timeout, 0, &d);
	if (rc)
		return cli_call_failed(cli);
	if (op->waiting)
		snprintf(op->waiting[op->nr_waiting++], KEEL_UUID_LEN + 1,
			 "%s", d.uuid);
	return CLI_OK;
}

static int power_cmd(struct cli *cli, const struct cli_args *args,
		     struct power_op *op)
{
	struct keel_domain *list = NULL;
	bool all = cli_flag(args, 'a');
	char dom[DOM_BUF];
	size_t n = 1;
	int rc;

	if (all && args->argc)
		return cli_usage(args->cmd,
				 "Name a domain or give -a, not both.");
	if (!all && !args->argc)
		return cli_usage(args->cmd,
				 "Name the domain to %s, or give -a for all of them.",
				 op->verb);
	rc = cli_connect(cli);
	if (rc)
		return rc;
	if (all && keel_domain_list(cli->conn, &list, &n))
		return cli_call_failed(cli);
	if (!all) {
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
		if (rc)
			return rc;
	}
	if (cli_flag(args, 'w')) {
		/* Subscribed first, so that no end can come unseen. */
		op->waiting = calloc(n ? n : 1, sizeof(*op->waiting));
		if (!op->waiting) {
			cli_error("Out of memory.");
			free(list);
			return CLI_FAIL;
		}
		keel_set_event_callback(cli->conn, power_on_event, op);
		if (keel_events_subscribe(cli->conn)) {
			rc = cli_call_failed(cli);
			goto out_free;
		}
	}
	if (!all) {
		rc = power_one(cli, op, dom);
	} else {
		/*
		 * Every domain that has a keel-hv, all asked before any is
		 * waited for (xl -a -w); one that refuses does not stop the
		 * others.
		 */
		for (size_t i = 0; i < n; i++)
			if (list[i].id >= 0 &&
			    power_one(cli, op, list[i].uuid))
				rc = CLI_FAIL;
	}
	if (op->waiting && power_wait(cli, op))
		rc = CLI_FAIL;
out_free:
	free(op->waiting);
	free(list);
	return rc;
}

int cmd_shutdown(struct cli *cli, const struct cli_args *args)
{
	struct power_op op = { .verb = "shut down" };
	const char *t = cli_optarg(args, 't');

	if (t) {
		/* keeld's limit: schemas/keel.openrpc.json, domain.shutdown */
		if (!cli_is_number(t) || strlen(t) > 5 || atoi(t) > 86400)
			return cli_usage(args->cmd,
					 "The timeout must be a number of seconds from 0 to 86400, not \"%s\".",
					 t);
		op.timeout = atoi(t);
	}
	return power_cmd(cli, args, &op);
}

int cmd_reboot(struct cli *cli, const struct cli_args *args)
{
	struct power_op op = { .verb = "reboot", .reboot = true };

	return power_cmd(cli, args, &op);
}

/*
 * xl config-update: FILE (xl.cfg or JSON, "-" standard input) becomes
 * what DOM starts with next time. The file is read and checked before
 * keeld is asked, as for define.
 */
int cmd_config_update(struct cli *cli, const struct cli_args *args)
{
	struct json_object *config = NULL;
	char dom[DOM_BUF];
	int rc = cli_config_load(args->argv[1], &config);

	if (rc)
		return rc;
	rc = dom_arg(cli, args, 0, dom);
	if (rc) {
		json_object_put(config);
		return rc;
	}
	rc = keel_domain_config_update(cli->conn, dom, config, NULL);
	json_object_put(config);
	return rc ? cli_call_failed(cli) : CLI_OK;
}

int cmd_rename(struct cli *cli, const struct cli_args *args)
{
	char dom[DOM_BUF];
	int rc = dom_arg(cli, args, 0, dom);

	if (rc)
		return rc;
	return keel_domain_rename(cli->conn, dom, args->argv[1], NULL) ?
		       cli_call_failed(cli) :
		       CLI_OK;
}

/*
 * xl's vcpu-set: a plain count (xl also takes a bitmap; keel plugs the
 * lowest-numbered vCPUs, so a count says it all). Quiet on success, as
 * xl is, except when the guest has yet to eject vCPUs it was asked to
 * give back.
 */
int cmd_vcpu_set(struct cli *cli, const struct cli_args *args)
{
	const char *n = args->argv[1];
	struct json_object *res, *v;
	char dom[DOM_BUF], *end;
	long vcpus;
	int rc;

	vcpus = strtol(n, &end, 10);
	if (end == n || *end || vcpus < KEEL_VCPUS_MIN ||
	    vcpus > KEEL_VCPUS_MAX)
		return cli_usage(args->cmd,
				 "Give the vCPU count as a number from %d to %d, not \"%s\".",
				 KEEL_VCPUS_MIN, KEEL_VCPUS_MAX, n);
	rc = dom_arg(cli, args, 0, dom);
	if (rc)
		return rc;
	if (keel_domain_set_vcpus(cli->conn, dom, (int)vcpus, &res))
		return cli_call_failed(cli);
	if (json_object_object_get_ex(res, "online", &v) &&
	    json_object_get_int64(v) > vcpus)
		fprintf(stderr,
			"keel: Domain %s has %lld vCPUs online until the guest ejects the ones it was asked to give back.\n",
			args->argv[0], (long long)json_object_get_int64(v));
	json_object_put(res);
	return CLI_OK;
}

int cmd_autostart(struct cli *cli, const struct cli_args *args)
{
	const char *v = args->argv[1];
	char dom[DOM_BUF];
	int rc;

	if (strcmp(v, "on") && strcmp(v, "off"))
		return cli_usage(args->cmd, "Say on or off, not \"%s\".", v);
	rc = dom_arg(cli, args, 0, dom);
	if (rc)
		return rc;
	return keel_domain_autostart(cli->conn, dom, !strcmp(v, "on"), NULL) ?
		       cli_call_failed(cli) :
		       CLI_OK;
}
