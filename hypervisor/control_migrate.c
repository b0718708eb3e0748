// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's live-migration methods, the source side
 * (lib/hv_proto.h, HV_CTL_MIGRATE; docs/migration.md; man/keel-hv.8):
 * migrate, migrate-set, migrate-cancel, and the migrate-progress and
 * migrate-done notifications. migrate_send.c does the migration; this
 * file checks params, tells subscribers, and once the destination said
 * DONE leaves the VM paused for stop {"reason": "migrated"} or resume.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "control_internal.h"
#include "jsonrpc.h"
#include "keel.h"
#include "log.h"
#include "migrate_send.h"
#include "vm.h"
#include "vmm.h"

#define MIGRATE_TOKEN_MAX 128
#define MIGRATE_HOST_MAX 253

/* An integer member of @o from @min to @max, or its default; false if bad. */
static bool migrate_get_u64(struct json_object *o, const char *key,
			    uint64_t min, uint64_t max, uint64_t *v)
{
	struct json_object *j;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &j))
		return true;
	n = json_object_get_int64(j);
	if (!json_object_is_type(j, json_type_int) || n < 0 ||
	    (uint64_t)n < min || (uint64_t)n > max)
		return false;
	*v = (uint64_t)n;
	return true;
}

static bool migrate_get_bool(struct json_object *o, const char *key, bool *v)
{
	struct json_object *j;

	if (!json_object_object_get_ex(o, key, &j))
		return true;
	if (!json_object_is_type(j, json_type_boolean))
		return false;
	*v = json_object_get_boolean(j);
	return true;
}

/* A string member, or NULL when absent; false if not a string. */
static bool migrate_get_str(struct json_object *o, const char *key,
			    const char **v)
{
	struct json_object *j;

	*v = NULL;
	if (!json_object_object_get_ex(o, key, &j))
		return true;
	if (!json_object_is_type(j, json_type_string))
		return false;
	*v = json_object_get_string(j);
	return true;
}

static bool migrate_token_ok(const char *t)
{
	size_t n = strlen(t);

	return n >= 1 && n <= MIGRATE_TOKEN_MAX &&
	       strspn(t, "0123456789abcdefABCDEF") == n;
}

/* Letters, digits and the punctuation of names and IPv4/IPv6 addresses. */
static bool migrate_host_ok(const char *h)
{
	size_t n = strlen(h);

	return n >= 1 && n <= MIGRATE_HOST_MAX &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789.-:") == n;
}

static int migrate_parse(struct json_object *params, struct migrate_params *p,
			 const char **msg)
{
	static const char *const allowed[] = {
		"host", "port", "server_name", "token", "pki_dir", "config",
		"downtime_ms", "bandwidth_mib", "auto_converge", "live", NULL
	};
	struct json_object *config;
	const char *server_name;
	uint64_t port = 0;

	*p = (struct migrate_params){ .downtime_ms = 300, .live = true };
	if (!params || !control_params_only(params, allowed) ||
	    !json_object_object_get_ex(params, "port", NULL) ||
	    !migrate_get_str(params, "host", &p->host) || !p->host ||
	    !migrate_get_str(params, "token", &p->token) || !p->token ||
	    !json_object_object_get_ex(params, "config", &config)) {
		*msg = "migrate takes {\"host\", \"port\", \"token\", \"config\": {...}} and optionally \"server_name\", \"pki_dir\", \"downtime_ms\", \"bandwidth_mib\", \"auto_converge\", \"live\".";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!migrate_host_ok(p->host)) {
		*msg = "migrate's host must be a host name or an IP address.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!migrate_get_u64(params, "port", 1, 65535, &port)) {
		*msg = "migrate's port must be an integer from 1 to 65535.";
		return JSONRPC_INVALID_PARAMS;
	}
	p->port = (unsigned)port;
	if (!migrate_token_ok(p->token)) {
		*msg = "migrate's token must be the hexadecimal token migration.prepare returned.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!migrate_get_str(params, "server_name", &server_name)) {
		*msg = "migrate's server_name must be a string.";
		return JSONRPC_INVALID_PARAMS;
	}
	/* libkeel_tls_connect() checks the certificate against host. */
	if (server_name && strcmp(server_name, p->host)) {
		*msg = "keel-hv checks the destination's certificate against host; a different server_name is not supported yet.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!migrate_get_str(params, "pki_dir", &p->pki_dir) ||
	    (p->pki_dir && p->pki_dir[0] != '/')) {
		*msg = "migrate's pki_dir must be an absolute directory name.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!json_object_is_type(config, json_type_object)) {
		*msg = "migrate's config must be the domain's configuration, an object.";
		return JSONRPC_INVALID_PARAMS;
	}
	p->config = config;
	if (!migrate_get_u64(params, "downtime_ms", 1, 3600000,
			     &p->downtime_ms) ||
	    !migrate_get_u64(params, "bandwidth_mib", 0, 1 << 20,
			     &p->bandwidth_mib) ||
	    !migrate_get_bool(params, "auto_converge", &p->auto_converge) ||
	    !migrate_get_bool(params, "live", &p->live)) {
		*msg = "downtime_ms must be 1 to 3600000, bandwidth_mib 0 (no limit) to 1048576, auto_converge and live true or false.";
		return JSONRPC_INVALID_PARAMS;
	}
	return 0;
}

/* To every subscribed connection; @now: on the socket before returning. */
static void migrate_notify(struct control *ctl, const char *method,
			   struct json_object *params, bool now)
{
	struct json_object *note = jsonrpc_request(method, params, NULL);

	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next) {
		if (!c->subscribed)
			continue;
		if (now)
			control_send_now(c, note);
		else
			control_send(c, note);
	}
	json_object_put(note);
}

static void migrate_progress(void *opaque, const struct migrate_progress *p)
{
	struct control *ctl = opaque;
	struct json_object *o = json_object_new_object();

	if (!o)
		return;
	json_object_object_add(o, "round", json_object_new_uint64(p->round));
	json_object_object_add(o, "sent", json_object_new_uint64(p->sent));
	json_object_object_add(o, "remaining",
			       json_object_new_uint64(p->remaining));
	json_object_object_add(o, "dirty_rate",
			       json_object_new_uint64(p->dirty_rate));
	json_object_object_add(o, "expected_downtime_ms",
			       json_object_new_uint64(p->expected_downtime_ms));
	json_object_object_add(o, "throttle",
			       json_object_new_int((int)p->throttle));
	migrate_notify(ctl, HV_CTL_MIGRATE_PROGRESS, o, false);
}

static void migrate_done(void *opaque, const struct migrate_result *r)
{
	struct control *ctl = opaque;
	struct json_object *o = json_object_new_object();

	if (o && r->ok) {
		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "sent",
				       json_object_new_uint64(r->sent));
		json_object_object_add(o, "rounds",
				       json_object_new_uint64(r->rounds));
		json_object_object_add(o, "downtime_ms",
				       json_object_new_uint64(r->downtime_ms));
		json_object_object_add(o, "stream_ms",
				       json_object_new_uint64(r->stream_ms));
	} else if (o) {
		json_object_object_add(o, "ok", json_object_new_boolean(0));
		json_object_object_add(o, "error",
				       json_object_new_string(r->error));
	}
	/*
	 * keeld's finish waits for this note, and the guest is paused
	 * meanwhile: it goes out before migrate_free() winds up.
	 */
	if (o)
		migrate_notify(ctl, HV_CTL_MIGRATE_DONE, o, true);
	/* The destination has the VM: it waits here, paused, for keeld. */
	if (r->ok)
		ctl->paused_end = VM_EXIT_MIGRATED;
	migrate_free(ctl->migrate);
	ctl->migrate = NULL;
	ctl->migrate_conn = NULL;
}

int control_migrate(struct control *ctl, struct json_object *params,
		    struct json_object **result, const char **msg)
{
	static const struct migrate_ops ops = {
		.progress = migrate_progress,
		.done = migrate_done,
	};
	static char why[SAVE_WHY_MAX];
	struct migrate_params p;
	int code;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (ctl->migrate) {
		*msg = "A migration is already under way.";
		return KEEL_E_INVALID_STATE;
	}
	if (ctl->paused_end == VM_EXIT_MIGRATED) {
		*msg = "The VM has migrated already; stop it with reason migrated, or resume it.";
		return KEEL_E_INVALID_STATE;
	}
	code = migrate_parse(params, &p, msg);
	if (code)
		return code;
	log_info("control: migrating to %s port %u (%s)", p.host, p.port,
		 p.live ? "live" : "paused");
	if (migrate_start(ctl->vm, &p, &ops, ctl, &ctl->migrate, why)) {
		log_err("control: migration to %s failed: %s", p.host, why);
		*msg = why;
		return KEEL_E_OPERATION_FAILED;
	}
	ctl->migrate_conn = ctl->caller;
	ctl->paused_end = VM_EXIT_NONE;
	*result = json_object_new_object();
	return 0;
}

int control_migrate_set(struct control *ctl, struct json_object *params,
			struct json_object **result, const char **msg)
{
	static const char *const allowed[] = { "downtime_ms", "bandwidth_mib",
					       "auto_converge", "force", NULL };
	uint64_t downtime = 0, bw = UINT64_MAX;
	int ac = -1;
	bool b = false, force = false, has_ac;

	if (!ctl->migrate) {
		*msg = "No migration is under way.";
		return KEEL_E_INVALID_STATE;
	}
	has_ac = params && json_object_object_get_ex(params, "auto_converge",
						     NULL);
	if (!control_params_only(params, allowed) ||
	    (params && !json_object_is_type(params, json_type_object)) ||
	    (params && (!migrate_get_u64(params, "downtime_ms", 1, 3600000,
					 &downtime) ||
			!migrate_get_u64(params, "bandwidth_mib", 0, 1 << 20,
					 &bw) ||
			!migrate_get_bool(params, "auto_converge", &b) ||
			!migrate_get_bool(params, "force", &force)))) {
		*msg = "migrate-set takes {\"downtime_ms\": 1 to 3600000, \"bandwidth_mib\": 0 (no limit) to 1048576, \"auto_converge\": true|false, \"force\": true|false}.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (has_ac)
		ac = b;
	if (downtime)
		migrate_set_downtime(ctl->migrate, downtime);
	if (bw != UINT64_MAX)
		migrate_set_bandwidth(ctl->migrate, bw);
	if (ac >= 0)
		migrate_set_auto_converge(ctl->migrate, ac);
	if (force)
		migrate_force(ctl->migrate);
	*result = control_ok();
	return 0;
}

int control_migrate_cancel(struct control *ctl, struct json_object *params,
			   struct json_object **result, const char **msg)
{
	if (!ctl->migrate) {
		*msg = ctl->paused_end == VM_EXIT_MIGRATED ?
			       "The migration is done: the destination has the VM. keeld decides whether it ends here (stop with reason migrated) or runs on (resume)." :
			       "No migration is under way.";
		return KEEL_E_INVALID_STATE;
	}
	migrate_cancel(ctl->migrate);
	*result = control_ok();
	return 0;
}

void control_migrate_conn_closed(struct control *ctl,
				 struct control_conn *c)
{
	if (!ctl->migrate || ctl->migrate_conn != c)
		return;
	log_warn("control: the connection that started the migration closed; cancelling it");
	ctl->migrate_conn = NULL;
	migrate_cancel(ctl->migrate);
}
