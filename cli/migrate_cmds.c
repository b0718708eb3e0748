// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel migrate (xl migrate with libvirt's knobs; keel(1),
 * docs/migration.md): move a running domain to the keeld on another
 * host while it runs, and cancel that. The call blocks until the domain
 * runs there or, after a failure, runs on here. On a terminal the
 * progress bar (progress.h) shows each pass; Ctrl-C asks keeld to
 * cancel, on a connection of its own, and the command then waits for
 * the migration's answer, so that it never returns while the domain's
 * fate is open.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "keel.h"
#include "progress.h"

#define MIGRATE_DOM_BUF 256
#define MIGRATE_HOST_BUF 256

/* The number at @key of the event's params, or -1. */
static long long migrate_ev_number(const struct keel_event *ev,
				   const char *key)
{
	struct json_object *v;

	if (!ev->raw || !json_object_object_get_ex(ev->raw, key, &v) ||
	    (!json_object_is_type(v, json_type_int) &&
	     !json_object_is_type(v, json_type_double)))
		return -1;
	return json_object_get_int64(v);
}

/* The bar's text after the bar: the pass, as keel-hv measured it. */
static void migrate_bar_detail(const struct keel_event *ev, char *buf,
			       size_t size)
{
	long long round = migrate_ev_number(ev, "round");
	long long sent = migrate_ev_number(ev, "sent");
	long long left = migrate_ev_number(ev, "remaining");
	long long rate = migrate_ev_number(ev, "dirty_rate");
	long long down = migrate_ev_number(ev, "expected_downtime_ms");

	/* "#3 sent 60M left 4.0M dirty 10M/s ~100ms": 80 columns in all. */
	snprintf(buf, size, "#%lld sent %.0fM left %.1fM dirty %.0fM/s ~%lldms",
		 round > 0 ? round : 0, sent > 0 ? sent / 1048576.0 : 0.0,
		 left > 0 ? left / 1048576.0 : 0.0,
		 rate > 0 ? rate / 1048576.0 : 0.0, down > 0 ? down : 0);
}

/*
 * HOST[:PORT] into @host and *@port (0: keeld's default). An IPv6
 * address takes brackets when a port follows ("[::1]:16515"); without
 * them, an operand with more than one ':' is an address without port.
 */
static int migrate_split_host(const struct cli_command *cmd, const char *arg,
			      char *host, size_t size, unsigned *port)
{
	const char *colon = NULL, *end;
	size_t len;

	*port = 0;
	if (arg[0] == '[') {
		end = strchr(arg, ']');
		if (!end || end == arg + 1 || (end[1] && end[1] != ':'))
			return cli_usage(cmd,
					 "\"%s\" is not HOST[:PORT]: write an IPv6 address as [ADDRESS] or [ADDRESS]:PORT.",
					 arg);
		arg++;
		len = (size_t)(end - arg);
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strchr(arg, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		len = colon ? (size_t)(colon - arg) : strlen(arg);
	}
	if (!len)
		return cli_usage(cmd, "\"%s\" names no host; give HOST[:PORT].",
				 arg);
	if (len >= size)
		return cli_usage(cmd, "The host name \"%.40s...\" is too long.",
				 arg);
	memcpy(host, arg, len);
	host[len] = '\0';
	if (!colon)
		return CLI_OK;
	if (!cli_is_number(colon + 1) || strlen(colon + 1) > 5 ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		return cli_usage(cmd,
				 "The port \"%s\" is not a TCP port (1-65535).",
				 colon + 1);
	*port = (unsigned)atoi(colon + 1);
	return CLI_OK;
}

/* keel migrate's options into @o; CLI_OK or CLI_USAGE. */
static int migrate_read_opts(const struct cli_args *args,
			     struct keel_migrate_opts *o)
{
	const struct cli_command *cmd = args->cmd;
	const char *action = cli_optarg(args, CLI_OPT_TIMEOUT_ACTION);
	int downtime, bandwidth, timeout, rc;

	if (cli_flag(args, 'l') && cli_flag(args, CLI_OPT_NO_LIVE))
		return cli_usage(cmd,
				 "Give --live or --no-live, not both.");
	rc = cli_number_opt(args, CLI_OPT_DOWNTIME, "downtime", &downtime);
	if (!rc)
		rc = cli_number_opt(args, CLI_OPT_BANDWIDTH, "bandwidth",
				    &bandwidth);
	if (!rc)
		rc = cli_number_opt(args, 't', "timeout", &timeout);
	if (rc)
		return rc;
	if (downtime == 0)
		return cli_usage(cmd,
				 "The downtime must be at least 1 ms; a guest cannot move without any pause.");
	if (timeout == 0)
		return cli_usage(cmd,
				 "The timeout must be at least 1 s; leave --timeout out for none.");
	if (action && timeout < 0)
		return cli_usage(cmd,
				 "--timeout-action says what happens at the --timeout: give --timeout S too.");
	if (action && strcmp(action, "cancel") && strcmp(action, "force"))
		return cli_usage(cmd,
				 "The timeout action is cancel or force, not \"%s\".",
				 action);
	o->offline = cli_flag(args, CLI_OPT_NO_LIVE);
	o->downtime_ms = downtime > 0 ? (unsigned)downtime : 0;
	o->bandwidth_mib = bandwidth > 0 ? (unsigned)bandwidth : 0;
	o->auto_converge = cli_flag(args, CLI_OPT_AUTO_CONVERGE);
	o->timeout_s = timeout > 0 ? (unsigned)timeout : 0;
	o->timeout_action = action && !strcmp(action, "force") ?
				    KEEL_MIGRATE_TIMEOUT_FORCE :
				    KEEL_MIGRATE_TIMEOUT_CANCEL;
	return CLI_OK;
}

/*
 * Ctrl-C during the call. SIGINT is blocked in every thread (and in the
 * bar's child, which inherits the mask); this thread takes it with
 * sigwait() and asks keeld to cancel, while the main thread's call
 * carries on until keeld answers it.
 */
struct migrate_interrupt {
	const struct cli *cli;
	const char *dom;
	pthread_t thread;
	sigset_t old_mask;
	bool running;		/* the thread was started */
	atomic_bool done;	/* the call returned: the thread just ends */
};

static void *migrate_interrupt_main(void *opaque)
{
	struct migrate_interrupt *mi = opaque;
	bool asked = false;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	while (!sigwait(&set, &sig) && !atomic_load(&mi->done)) {
		struct keel_conn *c = NULL;
		char *err = NULL;

		if (asked) {
			fprintf(stderr,
				"\nkeel: The cancel was sent; waiting for keeld to say where %s runs.\n",
				mi->dom);
			continue;
		}
		asked = true;
		fprintf(stderr, "\nkeel: Cancelling the migration of %s...\n",
			mi->dom);
		if (keel_connect(mi->cli->uri, &c, &err)) {
			cli_error("Cannot reach keeld to cancel the migration: %s",
				  err ? err : "no reason given.");
			free(err);
			asked = false;
			continue;
		}
		if (keel_domain_migrate_cancel(c, mi->dom)) {
			const struct keel_error *e = keel_last_error(c);

			cli_error("keeld did not cancel: %s",
				  e && e->message ? e->message :
						    "no reason given.");
		}
		keel_close(c);
	}
	return NULL;
}

/* Block SIGINT and start the thread that takes it; 0 or -errno. */
static int migrate_interrupt_start(struct migrate_interrupt *mi)
{
	sigset_t set;
	int rc;

	atomic_init(&mi->done, false);
	mi->running = false;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	rc = pthread_sigmask(SIG_BLOCK, &set, &mi->old_mask);
	if (rc)
		return -rc;
	rc = pthread_create(&mi->thread, NULL, migrate_interrupt_main, mi);
	if (rc) {
		pthread_sigmask(SIG_SETMASK, &mi->old_mask, NULL);
		return -rc;
	}
	mi->running = true;
	return 0;
}

/* End the thread, drop a Ctrl-C that came too late, unblock SIGINT. */
static void migrate_interrupt_stop(struct migrate_interrupt *mi)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	if (!mi->running)
		return;
	atomic_store(&mi->done, true);
	pthread_kill(mi->thread, SIGINT);
	pthread_join(mi->thread, NULL);
	mi->running = false;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	while (sigtimedwait(&set, NULL, &zero) == SIGINT)
		;
	pthread_sigmask(SIG_SETMASK, &mi->old_mask, NULL);
}

/* keel migrate --cancel DOM */
static int migrate_cancel(struct cli *cli, const struct cli_args *args)
{
	char dom[MIGRATE_DOM_BUF];
	int rc;

	if (args->argc != 1)
		return cli_usage(args->cmd,
				 "--cancel takes the domain only: keel migrate --cancel DOM.");
	for (const struct cli_option *o = args->cmd->options; o->key; o++)
		if (o->key != CLI_OPT_CANCEL && cli_flag(args, o->key))
			return cli_usage(args->cmd,
					 "--cancel takes no other option, not --%s.",
					 o->long_name);
	rc = cli_connect(cli);
	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	if (keel_domain_migrate_cancel(cli->conn, dom))
		return cli_call_failed(cli);
	return CLI_OK;
}

/* What the migration took, on a terminal; scripts get silence. */
static void migrate_report(const char *dom, const char *host,
			   struct json_object *res)
{
	struct json_object *v;
	long long sent = -1, rounds = -1, ms = -1, down = -1, stream = -1;

	if (!isatty(STDOUT_FILENO) || !res)
		return;
	if (json_object_object_get_ex(res, "sent", &v))
		sent = json_object_get_int64(v);
	if (json_object_object_get_ex(res, "rounds", &v))
		rounds = json_object_get_int64(v);
	if (json_object_object_get_ex(res, "ms", &v))
		ms = json_object_get_int64(v);
	if (json_object_object_get_ex(res, "downtime_ms", &v))
		down = json_object_get_int64(v);
	if (json_object_object_get_ex(res, "stream_ms", &v))
		stream = json_object_get_int64(v);
	printf("Migrated %s to %s: %.1f MiB in %lld passes, %.1f s, paused %lld ms",
	       dom, host, sent / 1048576.0, rounds, ms / 1000.0, down);
	if (stream > 0)
		printf("; stream %.1f MiB/s", sent / 1048576.0 / (stream / 1000.0));
	printf(".\n");
}

int cmd_migrate(struct cli *cli, const struct cli_args *args)
{
	struct keel_migrate_opts o = KEEL_MIGRATE_OPTS_INIT;
	char dom[MIGRATE_DOM_BUF], host[MIGRATE_HOST_BUF];
	char label[MIGRATE_DOM_BUF + 16];
	struct progress_bar bar = { .job = "migrate",
				    .dom = dom,
				    .label = label,
				    .detail = migrate_bar_detail };
	struct migrate_interrupt mi = { .cli = cli, .dom = dom };
	struct json_object *res = NULL;
	int rc, failed;

	if (cli_flag(args, CLI_OPT_CANCEL))
		return migrate_cancel(cli, args);
	if (args->argc != 2)
		return cli_usage(args->cmd,
				 "Give the domain and the destination: keel migrate DOM HOST[:PORT].");
	rc = migrate_read_opts(args, &o);
	if (!rc)
		rc = migrate_split_host(args->cmd, args->argv[1], host,
					sizeof(host), &o.port);
	if (rc)
		return rc;
	rc = cli_connect(cli);
	if (!rc)
		rc = cli_resolve(cli, args->argv[0], dom, sizeof(dom));
	if (rc)
		return rc;
	snprintf(label, sizeof(label), "Migrating %s", dom);
	rc = migrate_interrupt_start(&mi);
	if (rc)
		cli_error("Ctrl-C will not cancel this migration (%s); use keel migrate --cancel %s from another shell.",
			  strerror(-rc), dom);
	progress_bar_start(cli, &bar);
	failed = keel_domain_migrate(cli->conn, dom, host, &o, &res);
	progress_bar_stop(&bar);
	migrate_interrupt_stop(&mi);
	if (failed)
		return cli_call_failed(cli);
	migrate_report(dom, host, res);
	json_object_put(res);
	return CLI_OK;
}
