// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The destination of a live migration (docs/migration.md; man/keeld.8,
 * MIGRATION): migration.prepare, .finish, .abort and .status, called by
 * the source's keeld over TLS.
 *
 * prepare checks the configuration as a restore does (save_methods.c),
 * binds a listening socket from migration_ports, makes a one-time token
 * and starts keel-hv through the normal launch path with --incoming;
 * the domain is paused with reason "incoming". keel-hv's incoming-done
 * says the stream arrived whole (phase "received"); finish records
 * "committed" in state.json before keel-hv runs the guest, which is the
 * moment the domain moves. Anything else ends in "aborted": keel-hv is
 * killed and the domain forgotten, and the token is remembered so that
 * a source asking later gets an answer.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "keel.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "migrate.h"
#include "registry.h"
#include "run.h"
#include "save_methods.h"
#include "server.h"

/* An incoming migration, from prepare until its run ends. */
struct migration_in {
	struct keeld *k;
	struct domain_run *run;	/* NULL until the start succeeded */
	char token[MIGRATE_TOKEN_LEN + 1];
	enum migrate_phase phase;
	bool persistent;	/* the source's domain is: define it here */
	struct event *finish_wait; /* received, and no finish yet */
	struct reply *finish;	/* a finish waiting for the resume */
	char source[256];
};

static const char *const phase_names[] = {
	[MIGRATE_UNKNOWN] = "unknown",	   [MIGRATE_PREPARED] = "prepared",
	[MIGRATE_RECEIVED] = "received",   [MIGRATE_COMMITTED] = "committed",
	[MIGRATE_ABORTED] = "aborted",
};

const char *migrate_phase_name(enum migrate_phase phase)
{
	return (size_t)phase < sizeof(phase_names) / sizeof(phase_names[0]) ?
		       phase_names[phase] :
		       "unknown";
}

enum migrate_phase migrate_phase_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(phase_names) /
					       sizeof(phase_names[0]);
	     i++)
		if (!strcmp(phase_names[i], name))
			return (enum migrate_phase)i;
	return MIGRATE_UNKNOWN;
}

static void in_free(struct migration_in *mi)
{
	if (!mi)
		return;
	if (mi->run && mi->run->incoming == mi)
		mi->run->incoming = NULL;
	if (mi->finish_wait)
		event_free(mi->finish_wait);
	run_answer_error(mi->finish, KEEL_E_OPERATION_FAILED,
			 "The migrated domain ended before it ran here.");
	free(mi);
}

void migration_in_remember(struct keeld *k, const char *token,
			   enum migrate_phase phase)
{
	unsigned n = k->migrations_recent_next++ % MIGRATE_RECENT_TOKENS;
	struct migrate_recent *m = &k->migrations_recent[n];

	snprintf(m->token, sizeof(m->token), "%s", token);
	m->phase = phase;
}

/* The incoming migration with @token under way here, or NULL. */
static struct migration_in *in_find(struct keeld *k, const char *token)
{
	for (struct domain *d = registry_first(k->reg); d; d = d->next)
		if (d->run && d->run->incoming &&
		    !strcmp(d->run->incoming->token, token))
			return d->run->incoming;
	return NULL;
}

/* Where @token is: under way, remembered, or unknown. */
static enum migrate_phase in_phase(struct keeld *k, const char *token)
{
	struct migration_in *mi = in_find(k, token);

	if (mi)
		return mi->phase;
	/* The newest first: a token is remembered once, but be sure. */
	for (unsigned i = 1; i <= MIGRATE_RECENT_TOKENS; i++) {
		unsigned n = (k->migrations_recent_next - i) %
			     MIGRATE_RECENT_TOKENS;

		if (!strcmp(k->migrations_recent[n].token, token))
			return k->migrations_recent[n].phase;
	}
	return MIGRATE_UNKNOWN;
}

void migration_in_abandon(struct domain_run *run)
{
	struct migration_in *mi = run->incoming;

	if (!mi)
		return;
	if (mi->phase == MIGRATE_COMMITTED) {
		/* A source may still ask, after a lost answer. */
		migration_in_remember(run->k, mi->token, MIGRATE_COMMITTED);
	} else if (mi->phase != MIGRATE_ABORTED) {
		migration_in_remember(run->k, mi->token, MIGRATE_ABORTED);
		log_warn("Domain %s: the incoming migration from %s is aborted: its keel-hv ended.",
			 run->dom->name, mi->source);
	}
	in_free(mi);
}

/* Kill @mi's keel-hv; its run's end forgets the domain and the token. */
static void in_abort(struct migration_in *mi, const char *why)
{
	struct domain_run *run = mi->run;

	log_warn("Domain %s: the incoming migration from %s is aborted: %s",
		 run->dom->name, mi->source, why);
	migration_in_remember(mi->k, mi->token, MIGRATE_ABORTED);
	mi->phase = MIGRATE_ABORTED;
	run->intent = INTENT_DESTROY;
	if (run->hv)
		hv_kill(run->hv);
}

void migration_in_started(struct domain_run *run)
{
	struct migration_in *mi = run->incoming;

	mi->run = run;
	mi->phase = MIGRATE_PREPARED;
	/* Until it is committed, its end is an abort: no on_* action. */
	run->intent = INTENT_DESTROY;
	run_save(run);
}

void migration_in_state_json(const struct domain_run *run,
			     struct json_object *o)
{
	const struct migration_in *mi = run->incoming;

	json_object_object_add(o, "phase", json_object_new_string(
				       migrate_phase_name(mi->phase)));
	json_object_object_add(o, "token", json_object_new_string(mi->token));
}

static void in_adopt_resumed(struct hv *hv, struct json_object *result,
			     int code, const char *message, void *opaque)
{
	struct domain_run *run = opaque;

	(void)hv;
	(void)result;
	if (code) {
		log_err("Domain %s: its keel-hv did not resume after its committed migration: %s",
			run->dom->name, message);
		return;
	}
	if (run->dom->state == DOMAIN_PAUSED) {
		run->dom->state = DOMAIN_RUNNING;
		run->dom->reason = DOMAIN_REASON_MIGRATED;
		run_save(run);
	}
}

void migration_in_adopted(struct domain_run *run, const char *phase,
			  const char *token)
{
	if (migrate_phase_parse(phase) == MIGRATE_COMMITTED) {
		struct migration_in *mi = calloc(1, sizeof(*mi));

		/* Committed: it is this host's, and runs; its record stays. */
		if (mi && token && strlen(token) == MIGRATE_TOKEN_LEN) {
			mi->k = run->k;
			mi->run = run;
			mi->phase = MIGRATE_COMMITTED;
			snprintf(mi->token, sizeof(mi->token), "%s", token);
			snprintf(mi->source, sizeof(mi->source), "a source");
			run->incoming = mi;
		} else {
			free(mi);
		}
		if (run->dom->reason == DOMAIN_REASON_INCOMING && run->hv)
			hv_call(run->hv, HV_CTL_RESUME, NULL,
				in_adopt_resumed, run);
		return;
	}
	log_warn("Domain %s was migrating in when keeld restarted, not committed; its keel-hv is killed.",
		 run->dom->name);
	if (token)
		migration_in_remember(run->k, token, MIGRATE_ABORTED);
	run->intent = INTENT_DESTROY;
	if (run->hv)
		hv_kill(run->hv);
}

static void in_finish_overdue(evutil_socket_t fd, short what, void *arg)
{
	struct migration_in *mi = arg;

	(void)fd;
	(void)what;
	in_abort(mi, "no migration.finish came within 60 s of the stream's end.");
}

static void in_commit(struct migration_in *mi);

void migration_in_received(struct domain_run *run)
{
	struct migration_in *mi = run->incoming;
	struct timeval tv = { MIGRATE_FINISH_WAIT_S, 0 };

	if (!mi || mi->phase != MIGRATE_PREPARED)
		return;
	mi->phase = MIGRATE_RECEIVED;
	run_save(run);
	log_info("Domain %s: the migration stream from %s arrived whole; %s.",
		 run->dom->name, mi->source,
		 mi->finish ? "its finish came already" :
			      "waiting for its finish");
	mi->finish_wait = evtimer_new(run->k->base, in_finish_overdue, mi);
	if (mi->finish_wait)
		evtimer_add(mi->finish_wait, &tv);
	if (mi->finish)
		in_commit(mi);
}

static struct json_object *out_of_memory(const struct jsonrpc_req *req)
{
	return method_error(req, KEEL_E_RESOURCE, NULL,
			    "keeld ran out of memory.");
}

/*
 * Bind a listening TCP socket on the address of keeld's first TLS
 * listener (the wildcard when it has none) at the first free port of
 * migration_ports. Returns the socket and *@port, or -errno with the
 * sentence in @why.
 */
static int in_listen(struct keeld *k, unsigned *port, char *why, size_t size)
{
	const struct keeld_conf *conf = &k->conf;
	const char *host = conf->nr_listen ? conf->listen[0] : NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	int err = EADDRINUSE;

	for (unsigned p = conf->migration_port_min;
	     p <= conf->migration_port_max; p++) {
		struct addrinfo *ai;
		char serv[16];
		int fd, one = 1, rc;

		snprintf(serv, sizeof(serv), "%u", p);
		rc = getaddrinfo(host, serv, &hints, &ai);
		if (rc) {
			snprintf(why, size,
				 "cannot use the listen address %s for the migration: %s",
				 host ? host : "(any)", gai_strerror(rc));
			return -EINVAL;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			freeaddrinfo(ai);
			break;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1)) {
			freeaddrinfo(ai);
			*port = p;
			return fd;
		}
		err = errno;
		close(fd);
		freeaddrinfo(ai);
		if (err != EADDRINUSE)
			break;
	}
	snprintf(why, size,
		 "no port of migration_ports %u-%u is free for the migration (%s); widen migration_ports in keeld.conf or wait for other migrations to end",
		 conf->migration_port_min, conf->migration_port_max,
		 strerror(err));
	return -err;
}

/* A new token and the pipe keel-hv reads it from (its read end). */
static int in_token(char token[MIGRATE_TOKEN_LEN + 1])
{
	unsigned char b[MIGRATE_TOKEN_LEN / 2];
	char line[MIGRATE_TOKEN_LEN + 2];
	int p[2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(token + 2 * i, 3, "%02x", b[i]);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	snprintf(line, sizeof(line), "%s\n", token);
	/* 33 bytes fit any pipe's buffer: this never blocks. */
	if (write(p[1], line, strlen(line)) != (ssize_t)strlen(line)) {
		int err = errno ? errno : EIO;

		close(p[0]);
		close(p[1]);
		return -err;
	}
	close(p[1]);
	return p[0];
}

/*
 * The domain that comes in: the definition it came from when that is
 * here and shut off, else a new transient one (defined at finish).
 * NULL and *@resp when there is a clash.
 */
static struct domain *in_domain(struct keeld *k, const struct jsonrpc_req *req,
				struct json_object *config,
				struct json_object **resp)
{
	struct json_object *copy = NULL;
	struct domain *dom = restore_into_definition(k, config);
	const char *field = NULL;
	int rc;

	*resp = NULL;
	if (dom)
		return dom;
	*resp = restore_in_use(k, req, config, "The migration");
	if (*resp)
		return NULL;
	if (json_object_deep_copy(config, &copy, NULL)) {
		*resp = out_of_memory(req);
		return NULL;
	}
	rc = registry_add_transient(k->reg, copy, &dom, &field);
	if (rc == -EEXIST)
		*resp = domain_exists_error(req, config, field);
	else if (rc)
		*resp = out_of_memory(req);
	return rc ? NULL : dom;
}

struct json_object *migration_prepare(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *config = NULL, *v, *resp, *result;
	struct launch_incoming li = { .listen_fd = -1, .token_fd = -1 };
	struct migration_in *mi;
	char uuid[DOMAIN_UUID_LEN + 1], why[512];
	struct domain *dom;
	struct reply *r;
	unsigned port = 0;
	int rc;

	json_object_object_get_ex(params, "config", &v);
	resp = domain_config_check(k, req, v);
	if (resp)
		return resp;
	mi = calloc(1, sizeof(*mi));
	result = json_object_new_object();
	if (!mi || !result || json_object_deep_copy(v, &config, NULL)) {
		resp = out_of_memory(req);
		goto out_free;
	}
	mi->k = k;
	mi->persistent = json_object_object_get_ex(params, "persistent", &v) &&
			 json_object_get_boolean(v);
	/* A host never named says "(none)", the kernel's default: the DN. */
	if (json_object_object_get_ex(params, "source", &v) &&
	    json_object_get_string_len(v) &&
	    strcmp(json_object_get_string(v), "(none)"))
		snprintf(mi->source, sizeof(mi->source), "%s",
			 json_object_get_string(v));
	else
		snprintf(mi->source, sizeof(mi->source), "%s",
			 caller->peer_dn ? caller->peer_dn : "a local client");
	restore_forget_taps(config);
	dom = in_domain(k, req, config, &resp);
	if (!dom)
		goto out_free;
	snprintf(uuid, sizeof(uuid), "%s", dom->uuid);
	li.listen_fd = in_listen(k, &port, why, sizeof(why));
	if (li.listen_fd < 0) {
		resp = method_error(req, KEEL_E_RESOURCE, NULL,
				    "Domain %s cannot migrate here: %s.",
				    dom->name, why);
		goto out_forget;
	}
	rc = in_token(mi->token);
	if (rc < 0) {
		resp = method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Cannot make the migration's token: %s.",
				    strerror(-rc));
		goto out_forget;
	}
	li.token_fd = rc;
	r = server_defer(caller, req);
	if (!r) {
		resp = out_of_memory(req);
		goto out_forget;
	}
	json_object_object_add(result, "port", json_object_new_int((int)port));
	json_object_object_add(result, "token",
			       json_object_new_string(mi->token));
	li.peer_dn = caller->peer_dn;
	li.incoming = mi;
	li.result = result;
	log_info("Domain %s: preparing an incoming migration from %s on port %u.",
		 dom->name, mi->source, port);
	start_domain_incoming(k, dom, &li, config, r);
	/* keel-hv has its own copies; keeld's close here (keeld.8). */
	close(li.listen_fd);
	close(li.token_fd);
	dom = registry_find_uuid(k->reg, uuid);
	if (!dom || !dom->run || dom->run->incoming != mi) {
		/* The start failed and answered: the caller's again. */
		free(mi);
		json_object_put(result);
	} else {
		mi->run = dom->run;
		mi->phase = MIGRATE_PREPARED;
		run_save(dom->run);
	}
	return jsonrpc_deferred();

out_forget:
	if (li.listen_fd >= 0)
		close(li.listen_fd);
	if (!dom->persistent && !dom->run)
		registry_forget(k->reg, dom);
out_free:
	json_object_put(config);
	json_object_put(result);
	free(mi);
	return resp;
}

/* The params' token (the schema requires it). */
static const char *token_param(struct json_object *params)
{
	const char *token = json_member_string(params, "token");

	return token ? token : "";
}

static struct json_object *running_result(void)
{
	struct json_object *o = json_object_new_object();

	if (o)
		json_object_object_add(o, "state",
				       json_object_new_string("running"));
	return o;
}

/* keel-hv answered the resume that runs the migrated guest. */
static void in_resumed(struct hv *hv, struct json_object *result, int code,
		       const char *message, void *opaque)
{
	struct migration_in *mi = opaque;
	struct domain_run *run = mi->run;
	struct domain *dom = run->dom;
	struct reply *r = mi->finish;

	(void)hv;
	(void)result;
	mi->finish = NULL;
	if (code) {
		/* Committed all the same: the source will not run it. */
		log_err("Domain %s: its keel-hv did not resume after the migration: %s",
			dom->name, message);
		run_answer_error(r, KEEL_E_OPERATION_FAILED,
				 "Domain %s came in but did not resume here: %s",
				 dom->name, message);
		return;
	}
	dom->state = DOMAIN_RUNNING;
	dom->reason = DOMAIN_REASON_MIGRATED;
	run->intent = INTENT_NONE;
	run->restoring = false;
	if (mi->persistent && !dom->persistent &&
	    registry_make_persistent(run->k->reg, dom))
		log_err("Domain %s runs here now but its definition could not be written; it is transient.",
			dom->name);
	run_save(run);
	log_info("Domain %s migrated in from %s and runs.", dom->name,
		 mi->source);
	lifecycle_emit(run->k, dom, "started", "migrated");
	run_answer(r, running_result());
	/*
	 * The run keeps @mi, committed, and state.json its record, for as
	 * long as it runs: a source that lost this answer, asking even
	 * after a keeld restart, must hear "committed".
	 */
}

/*
 * The commit of a received stream, mi->finish waiting (phase 5): on
 * disk before the guest runs here, then the resume, which answers the
 * finish. A state.json that cannot be written refuses the finish and
 * leaves the migration received.
 */
static void in_commit(struct migration_in *mi)
{
	struct domain_run *run = mi->run;
	struct reply *r;
	int rc;

	mi->phase = MIGRATE_COMMITTED;
	rc = run_save(run);
	if (rc) {
		mi->phase = MIGRATE_RECEIVED;
		r = mi->finish;
		mi->finish = NULL;
		run_answer_error(r, KEEL_E_OPERATION_FAILED,
				 "Domain %s cannot be committed here: its state.json cannot be written (%s).",
				 run->dom->name, strerror(-rc));
		return;
	}
	if (mi->finish_wait)
		evtimer_del(mi->finish_wait);
	hv_call(run->hv, HV_CTL_RESUME, NULL, in_resumed, mi);
}

bool migration_in_busy(const struct domain_run *run)
{
	return run->incoming && run->incoming->phase != MIGRATE_COMMITTED;
}

struct json_object *migration_finish(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct keeld *k = caller->keeld;
	const char *token = token_param(params);
	struct migration_in *mi = in_find(k, token);
	enum migrate_phase phase = in_phase(k, token);
	struct domain_run *run;

	if (phase == MIGRATE_COMMITTED && !(mi && mi->finish))
		return jsonrpc_result(req->id, running_result());
	if (!mi || phase == MIGRATE_ABORTED)
		return method_error(req, KEEL_E_INVALID_STATE, "/token",
				    "No migration with this token can finish here: it is %s.",
				    migrate_phase_name(phase));
	run = mi->run;
	if (mi->finish)
		return method_error(req, KEEL_E_INVALID_STATE, "/token",
				    "Domain %s is finishing its migration already; ask migration.status.",
				    run->dom->name);
	mi->finish = server_defer(caller, req);
	/*
	 * The source heard DONE from this keel-hv, which tells this keeld
	 * right after: a finish can come first. It waits for the stream's
	 * end (migration_in_received()), or is refused if the run ends.
	 */
	if (phase == MIGRATE_PREPARED) {
		log_info("Domain %s: the finish came before keel-hv said the stream arrived; it waits for that.",
			 run->dom->name);
		return jsonrpc_deferred();
	}
	in_commit(mi);
	return jsonrpc_deferred();
}

struct json_object *migration_abort(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params)
{
	struct keeld *k = caller->keeld;
	const char *token = token_param(params);
	struct migration_in *mi = in_find(k, token);
	enum migrate_phase phase = in_phase(k, token);

	if (phase == MIGRATE_COMMITTED)
		return method_error(req, KEEL_E_INVALID_STATE, "/token",
				    "The migration with this token is committed: the domain runs here and cannot be aborted.");
	if (mi && phase != MIGRATE_ABORTED)
		in_abort(mi, "the source asked for it.");
	return jsonrpc_result(req->id, json_object_new_object());
}

struct json_object *migration_status(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return out_of_memory(req);
	json_object_object_add(o, "phase",
			       json_object_new_string(migrate_phase_name(
				       in_phase(caller->keeld,
						token_param(params)))));
	return jsonrpc_result(req->id, o);
}
