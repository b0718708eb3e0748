// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The source of a live migration (docs/migration.md; man/keeld.8,
 * MIGRATION), started and steered by domain.migrate,
 * domain.migrate_cancel and domain.migrate_set (migrate_methods.c).
 * keel-hv streams the domain to the destination's keel-hv itself;
 * keeld asks the destination's keeld to prepare (a peer connection,
 * peer.h), tells its keel-hv where to send, follows the passes, and
 * decides how it ends, by the rule that exactly one copy runs: the
 * source ends only once the destination's migration.finish answered,
 * and runs on after any failure before finish was sent. A finish that
 * got no answer leaves the source paused while keeld asks
 * migration.status every second.
 *
 * The domain keeps its state (running; paused once keel-hv stopped and
 * copied) with the reason "migrating" (docs/listing.md), and its
 * state.json records the migration's phase, destination and token so
 * that a keeld restarted meanwhile settles it the same way (adopt.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

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
#include "monotime.h"
#include "peer.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* How long migration.prepare may take: keel-hv starts there. */
#define MIGRATE_PREPARE_MS 60000

/* How long keel-hv may take to connect and hear the destination's OK. */
#define MIGRATE_CONNECT_MS 60000

/* Where a migration is, from the source's side. */
enum out_phase {
	OUT_PREPARE,	/* migration.prepare asked */
	OUT_SENDING,	/* keel-hv connects and sends; the guest runs */
	OUT_DONE,	/* keel-hv stopped and copied: the source is paused */
	OUT_FINISH,	/* migration.finish sent: only its answer decides */
};

static const char *const out_phase_names[] = {
	[OUT_PREPARE] = "prepare",
	[OUT_SENDING] = "sending",
	[OUT_DONE] = "done",
	[OUT_FINISH] = "finish",
};

/* A domain.migrate under way (the run points at it while it is). */
struct migrate_out {
	struct keeld *k;
	struct domain_run *run;
	struct reply *r;
	struct peer *peer;
	enum out_phase phase;
	char name[96];
	char host[256];
	unsigned port;
	char token[MIGRATE_TOKEN_LEN + 1];
	bool live, auto_converge, cancelled;
	int64_t downtime_ms, bandwidth_mib;
	int timeout_s;
	bool timeout_force;
	enum domain_state old_state;	/* to show again if it runs on */
	enum domain_reason old_reason;
	struct event *timeout;		/* timeout_s */
	struct event *poll;		/* migration.status, after a lost finish */
	long long begun_ms;
	struct json_object *done;	/* migrate-done's params (owned) */
	long long done_ms;	/* when they came */
	long long downtime_ms_total;	/* pause to running there; 0 unknown */
	bool resume_after_adopt;	/* adopted: keel-hv may wait paused */
};

static void out_free(struct migrate_out *mo)
{
	if (mo->run && mo->run->migrate == mo)
		mo->run->migrate = NULL;
	if (mo->timeout)
		event_free(mo->timeout);
	if (mo->poll)
		event_free(mo->poll);
	peer_free(mo->peer);
	json_object_put(mo->done);
	free(mo);
}

bool migrate_busy(const struct domain *dom)
{
	return dom->run && (dom->run->migrate || migration_in_busy(dom->run));
}

struct json_object *migrate_state_json(const struct domain_run *run)
{
	struct json_object *o;

	if (!run->migrate && !run->incoming)
		return NULL;
	o = json_object_new_object();
	if (!o)
		return NULL;
	if (run->migrate) {
		/* Going away again: that is the migration that matters now. */
		const struct migrate_out *mo = run->migrate;

		json_object_object_add(o, "direction",
				       json_object_new_string("out"));
		json_object_object_add(o, "phase", json_object_new_string(
				       out_phase_names[mo->phase]));
		json_object_object_add(o, "host",
				       json_object_new_string(mo->host));
		json_object_object_add(o, "port",
				       json_object_new_int((int)mo->port));
		json_object_object_add(o, "token",
				       json_object_new_string(mo->token));
		return o;
	}
	json_object_object_add(o, "direction", json_object_new_string("in"));
	migration_in_state_json(run, o);
	return o;
}

/* Tell the run's clients and its state file where the migration is. */
static void out_phase_set(struct migrate_out *mo, enum out_phase phase)
{
	mo->phase = phase;
	if (mo->run)
		run_save(mo->run);
}

/* --- Ending: the migration failed, the source runs on ------------------ */

/* The best-effort migration.abort is answered: its connection goes. */
static void out_abort_answered(struct peer *p, struct json_object *result,
			       int code, const char *message, bool transport,
			       void *opaque)
{
	(void)result;
	(void)opaque;
	(void)transport;
	if (code)
		log_info("keeld at %s did not abort its side of a migration: %s",
			 peer_host(p), message);
	peer_free(p);
}

/* keel-hv's answer to what keeld asked on its own: only a refusal is news. */
static void out_hv_answered(struct hv *hv, struct json_object *result,
			    int code, const char *message, void *opaque)
{
	(void)hv;
	(void)result;
	if (code)
		log_err("Domain %s: its keel-hv refused what its migration asked: %s",
			(const char *)opaque, message);
	free(opaque);
}

/* A resume out_fail() asked for, and the state to show once it ran. */
struct out_resume {
	struct keeld *k;
	enum domain_reason reason;
	char name[];
};

/*
 * keel-hv runs the guest again. Shown as running here, not when asked:
 * a keeld that adopted this keel-hv asked its status first, and that
 * answer ("paused", from before the resume) comes in between.
 */
static void out_resumed(struct hv *hv, struct json_object *result, int code,
			const char *message, void *opaque)
{
	struct out_resume *o = opaque;
	struct domain *dom = registry_find_name(o->k->reg, o->name);

	(void)hv;
	(void)result;
	if (code)
		log_err("Domain %s: its keel-hv did not resume after the failed migration: %s",
			o->name, message);
	else if (dom && dom->run && dom->state == DOMAIN_PAUSED) {
		dom->state = DOMAIN_RUNNING;
		dom->reason = o->reason;
		run_save(dom->run);
	}
	free(o);
}

/*
 * The migration failed in @what before finish was sent (or finish was
 * refused): the destination forgets it, the source runs as before, the
 * caller hears why. Frees @mo.
 */
static void out_fail(struct migrate_out *mo, const char *what,
		     const char *why)
{
	struct domain_run *run = mo->run;
	struct json_object *p;

	if (mo->token[0] && mo->peer) {
		p = json_object_new_object();
		if (p)
			json_object_object_add(p, "token",
					       json_object_new_string(mo->token));
		/* The connection now belongs to the abort. */
		peer_call(mo->peer, "migration.abort", p, 0,
			  out_abort_answered, NULL);
		mo->peer = NULL;
	}
	/* keel-hv resumed on its own before DONE; after it, keeld says. */
	if (run && run->hv && mo->phase >= OUT_DONE &&
	    mo->old_state == DOMAIN_RUNNING) {
		size_t len = strlen(mo->name) + 1;
		struct out_resume *o = malloc(sizeof(*o) + len);

		if (o) {
			o->k = mo->k;
			o->reason = mo->old_reason;
			memcpy(o->name, mo->name, len);
			hv_call(run->hv, HV_CTL_RESUME, NULL, out_resumed, o);
		} else {
			hv_call(run->hv, HV_CTL_RESUME, NULL, out_hv_answered,
				strdup(mo->name));
		}
	}
	if (run) {
		run->dom->state = mo->old_state;
		run->dom->reason = mo->old_reason;
		run->migrate = NULL;
		run_save(run);
	}
	log_warn("Domain %s was not migrated to %s: %s failed: %s",
		 mo->name, mo->host, what, why);
	run_answer_error(mo->r, KEEL_E_OPERATION_FAILED,
			 "Domain %s was not migrated to %s: %s failed: %s It runs on here.",
			 mo->name, mo->host, what, why);
	mo->r = NULL;
	out_free(mo);
}

void migrate_abandon(struct domain_run *run)
{
	struct migrate_out *mo = run->migrate;

	if (!mo)
		return;
	mo->run = NULL;
	run->migrate = NULL;
	run_answer_error(mo->r, KEEL_E_OPERATION_FAILED,
			 "Domain %s ended during its migration to %s, or keeld is shutting down.",
			 mo->name, mo->host);
	mo->r = NULL;
	out_free(mo);
}

/* --- Ending: the destination runs it ---------------------------------- */

/* The answer: what keel-hv's migrate-done said, and how long it took. */
static struct json_object *out_result(const struct migrate_out *mo)
{
	struct json_object *o = json_object_new_object(), *v;
	static const char *const keys[] = { "sent", "rounds", "stream_ms" };

	if (!o)
		return NULL;
	json_object_object_add(o, "host", json_object_new_string(mo->host));
	json_object_object_add(o, "downtime_ms",
			       json_object_new_int64(mo->downtime_ms_total > 0 ?
							     mo->downtime_ms_total :
							     0));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(
			o, keys[i],
			mo->done && json_object_object_get_ex(mo->done,
							      keys[i], &v) ?
				json_object_get(v) :
				json_object_new_int(0));
	json_object_object_add(o, "ms", json_object_new_int64(
					       monotime_ms() - mo->begun_ms));
	return o;
}

/* keel-hv answered the stop that ends the source; it exits with 6. */
static void out_stopped(struct hv *hv, struct json_object *result, int code,
			const char *message, void *opaque)
{
	struct domain_run *run = opaque;

	(void)result;
	if (!code || code == KEEL_E_OPERATION_FAILED)
		return;	/* answered, or gone already: its end follows */
	/* It must not run on: the domain runs on the destination. */
	log_err("Domain %s: its keel-hv did not stop after the migration (%s); killing it.",
		run->dom->name, message);
	run->intent = INTENT_DESTROY;
	hv_kill(hv);
}

/*
 * The destination committed: the domain is there. The source's keel-hv
 * ends (its run's end answers the caller), and a persistent domain's
 * definition moves with it. Frees @mo.
 */
static void out_commit(struct migrate_out *mo)
{
	struct domain_run *run = mo->run;
	struct domain *dom = run->dom;
	struct json_object *p, *v;

	/*
	 * The downtime a user means: keel-hv's pause to its DONE, then the
	 * finish until the destination answered that the guest runs.
	 */
	if (mo->done && json_object_object_get_ex(mo->done, "downtime_ms", &v))
		mo->downtime_ms_total = json_object_get_int64(v) +
					monotime_ms() - mo->done_ms;
	log_info("Domain %s migrated to %s in %lld ms, paused %lld ms.",
		 mo->name, mo->host, monotime_ms() - mo->begun_ms,
		 mo->downtime_ms_total);
	if (dom->persistent) {
		if (registry_make_transient(mo->k->reg, dom))
			log_err("Domain %s runs on %s now, but its definition here could not be removed; undefine it.",
				mo->name, mo->host);
		else
			lifecycle_emit(mo->k, dom, "undefined", "migrated");
	}
	run->migrate = NULL;
	if (!run->hv) {
		run_answer(mo->r, out_result(mo));
	} else {
		run_add_waiter_result(run, mo->r, out_result(mo));
		p = json_object_new_object();
		if (p)
			json_object_object_add(p, "reason",
					       json_object_new_string(
						       HV_REASON_MIGRATED));
		hv_call(run->hv, HV_CTL_STOP, p, out_stopped, run);
	}
	mo->r = NULL;
	out_free(mo);
}

/* --- Phase 6: a finish without an answer -------------------------------- */

static void out_poll_later(struct migrate_out *mo);

static void out_status_answered(struct peer *p, struct json_object *result,
				int code, const char *message, bool transport,
				void *opaque)
{
	struct migrate_out *mo = opaque;
	enum migrate_phase phase;
	char why[600];

	(void)p;
	(void)transport;
	if (code) {
		log_info("Domain %s stays paused: keeld at %s did not say how its migration ended (%s); asking again.",
			 mo->name, mo->host, message);
		/* The connection may be gone: a new one for the next ask. */
		peer_free(mo->peer);
		mo->peer = NULL;
		out_poll_later(mo);
		return;
	}
	phase = migrate_phase_parse(json_member_string(result, "phase"));
	if (phase == MIGRATE_COMMITTED) {
		out_commit(mo);
		return;
	}
	if (phase == MIGRATE_ABORTED || phase == MIGRATE_UNKNOWN) {
		snprintf(why, sizeof(why),
			 "keeld at %s says the migration is %s.", mo->host,
			 migrate_phase_name(phase));
		/* Nothing to abort there any more. */
		mo->token[0] = '\0';
		out_fail(mo, "the finish", why);
		return;
	}
	out_poll_later(mo);
}

static void out_poll(evutil_socket_t fd, short what, void *arg)
{
	struct migrate_out *mo = arg;
	struct json_object *p;
	char why[512];

	(void)fd;
	(void)what;
	if (!mo->peer &&
	    peer_new(mo->k, mo->host, mo->port, &mo->peer, why, sizeof(why))) {
		log_warn("Domain %s stays paused: %s", mo->name, why);
		out_poll_later(mo);
		return;
	}
	p = json_object_new_object();
	if (p)
		json_object_object_add(p, "token",
				       json_object_new_string(mo->token));
	peer_call(mo->peer, "migration.status", p, MIGRATE_STATUS_POLL_MS * 5,
		  out_status_answered, mo);
}

static void out_poll_later(struct migrate_out *mo)
{
	struct timeval tv = { 0, MIGRATE_STATUS_POLL_MS * 1000 };

	if (!mo->poll)
		mo->poll = evtimer_new(mo->k->base, out_poll, mo);
	if (mo->poll)
		evtimer_add(mo->poll, &tv);
	else
		log_err("Domain %s stays paused: keeld ran out of memory asking keeld at %s how the migration ended.",
			mo->name, mo->host);
}

/* --- Phase 5: finish --------------------------------------------------- */

static void out_finished(struct peer *p, struct json_object *result,
			 int code, const char *message, bool transport,
			 void *opaque)
{
	struct migrate_out *mo = opaque;

	(void)p;
	(void)result;
	if (!code) {
		out_commit(mo);
		return;
	}
	if (transport) {
		/* It may have committed: only its own word decides. */
		log_warn("Domain %s stays paused: migration.finish to keeld at %s got no answer (%s); asking migration.status every second.",
			 mo->name, mo->host, message);
		peer_free(mo->peer);
		mo->peer = NULL;
		out_poll_later(mo);
		return;
	}
	out_fail(mo, "the finish", message);
}

/* keel-hv's migrate-done: the stream went whole, or it failed. */
static void out_done(struct migrate_out *mo, struct json_object *params)
{
	struct domain_run *run = mo->run;
	struct json_object *v, *p;
	char why[512];

	if (mo->phase != OUT_SENDING)
		return;
	if (mo->timeout)
		evtimer_del(mo->timeout);
	if (!json_object_object_get_ex(params, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		const char *e = json_member_string(params, "error");

		if (mo->cancelled || (e && !strcmp(e, "cancelled")))
			snprintf(why, sizeof(why), "it was cancelled%s.",
				 mo->timeout_s && !mo->cancelled ?
					 " (timeout_s passed)" :
					 "");
		else
			snprintf(why, sizeof(why), "%s",
				 e ? e : "keel-hv did not say why.");
		out_fail(mo, "sending the domain", why);
		return;
	}
	json_object_put(mo->done);
	mo->done = json_object_get(params);
	mo->done_ms = monotime_ms();
	run->dom->state = DOMAIN_PAUSED;
	out_phase_set(mo, OUT_FINISH);
	p = json_object_new_object();
	if (p)
		json_object_object_add(p, "token",
				       json_object_new_string(mo->token));
	peer_call(mo->peer, "migration.finish", p, 0, out_finished, mo);
}

/* A "progress" event for a pass keel-hv finished. */
static void out_progress(struct migrate_out *mo, struct json_object *params)
{
	static const char *const keys[] = { "round", "sent", "remaining",
					    "dirty_rate",
					    "expected_downtime_ms" };
	struct json_object *ev, *v;
	int64_t sent = 0, remaining = 0;

	if (!mo->run)
		return;
	ev = lifecycle_event_params(mo->run->dom, "progress", "progress",
				    "migrate");
	if (!ev)
		return;
	if (json_object_object_get_ex(params, "sent", &v))
		sent = json_object_get_int64(v);
	if (json_object_object_get_ex(params, "remaining", &v))
		remaining = json_object_get_int64(v);
	json_object_object_add(ev, "job", json_object_new_string("migrate"));
	json_object_object_add(ev, "done", json_object_new_int64(sent));
	json_object_object_add(ev, "total",
			       json_object_new_int64(sent + remaining));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(params, keys[i], &v) &&
		    json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) >= 0)
			json_object_object_add(ev, keys[i], json_object_get(v));
	lifecycle_broadcast(mo->k, ev);
}

void migrate_notified(struct domain_run *run, const char *method,
		      struct json_object *params)
{
	if (!strcmp(method, HV_CTL_INCOMING_DONE)) {
		migration_in_received(run);
		return;
	}
	if (!run->migrate || !params ||
	    !json_object_is_type(params, json_type_object))
		return;
	if (!strcmp(method, HV_CTL_MIGRATE_PROGRESS))
		out_progress(run->migrate, params);
	else if (!strcmp(method, HV_CTL_MIGRATE_DONE))
		out_done(run->migrate, params);
}

/* --- Phases 2-3: keel-hv sends ----------------------------------------- */

static void out_timed_out(evutil_socket_t fd, short what, void *arg)
{
	struct migrate_out *mo = arg;
	struct json_object *p = NULL;

	(void)fd;
	(void)what;
	if (mo->phase != OUT_SENDING || !mo->run || !mo->run->hv)
		return;
	log_warn("Domain %s: its migration to %s did not end within %d s; %s.",
		 mo->name, mo->host, mo->timeout_s,
		 mo->timeout_force ? "stopping and copying now" : "cancelling it");
	if (mo->timeout_force) {
		p = json_object_new_object();
		if (p)
			json_object_object_add(p, "force",
					       json_object_new_boolean(1));
		hv_call(mo->run->hv, HV_CTL_MIGRATE_SET, p, out_hv_answered,
			strdup(mo->name));
	} else {
		hv_call(mo->run->hv, HV_CTL_MIGRATE_CANCEL, NULL, out_hv_answered,
			strdup(mo->name));
	}
}

/*
 * keel-hv answered migrate: it reached the destination, or not. @opaque
 * is the run, not the migration: keel-hv's thread may have sent
 * migrate-done first, and the migration may be over and freed already.
 */
static void out_sending(struct hv *hv, struct json_object *result, int code,
			const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct migrate_out *mo = run->migrate;
	struct timeval tv = { 0, 0 };

	(void)hv;
	(void)result;
	if (!mo || mo->phase != OUT_SENDING)
		return;	/* migrate-done came first */
	if (code) {
		out_fail(mo, "connecting to the destination", message);
		return;
	}
	tv.tv_sec = mo->timeout_s;
	if (mo->cancelled) {
		hv_call(mo->run->hv, HV_CTL_MIGRATE_CANCEL, NULL, out_hv_answered,
			strdup(mo->name));
		return;
	}
	if (mo->timeout_s) {
		mo->timeout = evtimer_new(mo->k->base, out_timed_out, mo);
		if (mo->timeout)
			evtimer_add(mo->timeout, &tv);
	}
}

/* The destination prepared (or not): tell keel-hv where to send. */
static void out_prepared(struct peer *p, struct json_object *result, int code,
			 const char *message, bool transport, void *opaque)
{
	struct migrate_out *mo = opaque;
	struct json_object *args, *config = NULL, *v;
	const char *token;

	(void)p;
	(void)transport;
	if (code) {
		out_fail(mo, "the destination's prepare", message);
		return;
	}
	token = json_member_string(result, "token");
	if (!json_object_object_get_ex(result, "port", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) < 1 || json_object_get_int(v) > 65535 ||
	    !token || strlen(token) != MIGRATE_TOKEN_LEN ||
	    strspn(token, "0123456789abcdef") != MIGRATE_TOKEN_LEN) {
		out_fail(mo, "the destination's prepare",
			 "its answer has no valid port and token.");
		return;
	}
	snprintf(mo->token, sizeof(mo->token), "%s", token);
	if (mo->cancelled || !mo->run || !mo->run->hv) {
		out_fail(mo, "the migration", "it was cancelled.");
		return;
	}
	args = json_object_new_object();
	if (!args ||
	    json_object_deep_copy(mo->run->config, &config, NULL)) {
		json_object_put(args);
		out_fail(mo, "the migration", "keeld ran out of memory.");
		return;
	}
	json_object_object_add(args, "host", json_object_new_string(mo->host));
	json_object_object_add(args, "port", json_object_get(v));
	json_object_object_add(args, "server_name",
			       json_object_new_string(mo->host));
	json_object_object_add(args, "token", json_object_new_string(token));
	json_object_object_add(args, "pki_dir",
			       json_object_new_string(mo->k->conf.pki_dir));
	json_object_object_add(args, "config", config);
	json_object_object_add(args, "downtime_ms",
			       json_object_new_int64(mo->downtime_ms));
	json_object_object_add(args, "bandwidth_mib",
			       json_object_new_int64(mo->bandwidth_mib));
	json_object_object_add(args, "auto_converge",
			       json_object_new_boolean(mo->auto_converge));
	json_object_object_add(args, "live", json_object_new_boolean(mo->live));
	out_phase_set(mo, OUT_SENDING);
	hv_call_timeout(mo->run->hv, HV_CTL_MIGRATE, args, MIGRATE_CONNECT_MS,
			out_sending, mo->run);
}

/* --- Phase 1: prepare --------------------------------------------------- */

struct migrate_out *migration_out_new(struct keeld *k,
				      const struct domain *dom,
				      const struct migration_out_opts *opts)
{
	struct migrate_out *mo = calloc(1, sizeof(*mo));

	if (!mo)
		return NULL;
	mo->k = k;
	snprintf(mo->name, sizeof(mo->name), "%s", dom->name);
	snprintf(mo->host, sizeof(mo->host), "%s", opts->host);
	mo->port = opts->port;
	mo->live = opts->live;
	mo->downtime_ms = opts->limits.downtime_ms;
	mo->bandwidth_mib = opts->limits.bandwidth_mib;
	mo->auto_converge = opts->limits.auto_converge;
	mo->timeout_s = opts->timeout_s;
	mo->timeout_force = opts->timeout_force;
	mo->begun_ms = monotime_ms();
	return mo;
}

int migration_out_start(struct migrate_out *mo, struct domain *dom,
			struct methods_caller *caller,
			const struct jsonrpc_req *req, char *why, size_t size)
{
	struct json_object *p, *config = NULL;
	char self[256];
	int rc;

	rc = peer_new(mo->k, mo->host, mo->port, &mo->peer, why, size);
	if (rc) {
		out_free(mo);
		return rc;
	}
	p = json_object_new_object();
	mo->r = server_defer(caller, req);
	if (!mo->r) {
		/* Nothing to answer through: the caller answers. */
		json_object_put(p);
		out_free(mo);
		snprintf(why, size, "keeld ran out of memory.");
		return -ENOMEM;
	}
	if (!p || json_object_deep_copy(dom->run->config, &config, NULL)) {
		json_object_put(p);
		run_answer_error(mo->r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		mo->r = NULL;
		out_free(mo);
		return 0;
	}
	if (gethostname(self, sizeof(self)))
		snprintf(self, sizeof(self), "localhost");
	self[sizeof(self) - 1] = '\0';
	json_object_object_add(p, "config", config);
	json_object_object_add(p, "persistent",
			       json_object_new_boolean(dom->persistent));
	json_object_object_add(p, "source", json_object_new_string(self));
	mo->run = dom->run;
	mo->old_state = dom->state;
	mo->old_reason = dom->reason;
	dom->reason = DOMAIN_REASON_MIGRATING;
	dom->run->migrate = mo;
	out_phase_set(mo, OUT_PREPARE);
	log_info("Domain %s: migrating to %s port %u.", dom->name, mo->host,
		 mo->port);
	/* The destination's keel-hv backs a prefaulted domain's RAM first. */
	peer_call(mo->peer, "migration.prepare", p,
		  MIGRATE_PREPARE_MS + config_prefault_ms(dom->run->config),
		  out_prepared, mo);
	return 0;
}

/* --- What domain.migrate_cancel and domain.migrate_set see and change --- */

bool migration_out_preparing(const struct migrate_out *mo)
{
	return mo->phase == OUT_PREPARE;
}

bool migration_out_copied(const struct migrate_out *mo)
{
	return mo->phase >= OUT_DONE;
}

const char *migration_out_host(const struct migrate_out *mo)
{
	return mo->host;
}

void migration_out_cancel(struct migrate_out *mo)
{
	mo->cancelled = true;
}

void migration_out_get_limits(const struct migrate_out *mo,
			      struct migration_out_limits *limits)
{
	limits->downtime_ms = mo->downtime_ms;
	limits->bandwidth_mib = mo->bandwidth_mib;
	limits->auto_converge = mo->auto_converge;
}

void migration_out_set_limits(struct migrate_out *mo,
			      const struct migration_out_limits *limits)
{
	mo->downtime_ms = limits->downtime_ms;
	mo->bandwidth_mib = limits->bandwidth_mib;
	mo->auto_converge = limits->auto_converge;
}

/* --- Phase 7: keeld restarted mid-migration ----------------------------- */

void migrate_adopted(struct domain_run *run, struct json_object *record)
{
	const char *dir = json_member_string(record, "direction");
	const char *phase = json_member_string(record, "phase");
	const char *host = json_member_string(record, "host");
	const char *token = json_member_string(record, "token");
	struct migrate_out *mo;

	if (!record || !dir)
		return;
	if (!strcmp(dir, "in")) {
		migration_in_adopted(run, phase, token);
		return;
	}
	if (strcmp(dir, "out") || !host)
		return;
	mo = calloc(1, sizeof(*mo));
	if (!mo) {
		log_err("Domain %s: keeld ran out of memory settling its migration to %s; resume or destroy it by hand.",
			run->dom->name, host);
		return;
	}
	mo->k = run->k;
	mo->run = run;
	snprintf(mo->name, sizeof(mo->name), "%s", run->dom->name);
	snprintf(mo->host, sizeof(mo->host), "%s", host);
	snprintf(mo->token, sizeof(mo->token), "%s", token ? token : "");
	mo->port = (unsigned)config_int(record, "port", CONF_TLS_PORT);
	mo->old_state = DOMAIN_RUNNING;
	mo->old_reason = DOMAIN_REASON_UNPAUSED;
	mo->begun_ms = monotime_ms();
	run->migrate = mo;
	if (phase && !strcmp(phase, out_phase_names[OUT_FINISH])) {
		/* Only the destination's word decides (phase 6). */
		mo->phase = OUT_FINISH;
		log_warn("Domain %s was being migrated to %s when keeld restarted; it stays paused until keeld at %s says how it ended.",
			 mo->name, mo->host, mo->host);
		out_poll_later(mo);
		return;
	}
	/*
	 * Before finish was sent: keel-hv cancelled on its own (before
	 * DONE) or waits paused (after): it runs on here.
	 */
	mo->phase = phase && !strcmp(phase, out_phase_names[OUT_DONE]) ?
			    OUT_DONE :
			    OUT_SENDING;
	if (mo->phase == OUT_SENDING && mo->token[0])
		mo->phase = OUT_DONE;	/* a resume is harmless when it runs */
	if (peer_new(run->k, mo->host, mo->port, &mo->peer, NULL, 0))
		mo->peer = NULL;
	out_fail(mo, "the migration", "keeld restarted during it.");
}
