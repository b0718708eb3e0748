// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The source's methods of a live migration (docs/migration.md;
 * man/keeld.8, MIGRATION): domain.migrate, domain.migrate_cancel and
 * domain.migrate_set. They check the domain and read the params;
 * the migration itself, from the destination's prepare to its end, is
 * migration_out.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "keel.h"
#include "keeld.h"
#include "methods.h"
#include "migrate.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* --- The methods -------------------------------------------------------- */

static int64_t int_param(struct json_object *params, const char *key,
			 int64_t dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) ?
		       json_object_get_int64(v) :
		       dflt;
}

static bool bool_param(struct json_object *params, const char *key,
		       bool dflt)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) ?
		       json_object_get_boolean(v) :
		       dflt;
}

/* The domain a migration method names, with one under way; or *@resp. */
static struct domain *migrating_domain(struct keeld *k,
				       const struct jsonrpc_req *req,
				       struct json_object *params,
				       struct json_object **resp)
{
	struct domain *dom = domain_lookup(k, req, params, resp);

	if (dom && (!dom->run || !dom->run->migrate)) {
		*resp = method_error(req, KEEL_E_INVALID_STATE, NULL,
				     "Domain %s is not being migrated.",
				     dom->name);
		return NULL;
	}
	return dom;
}

struct json_object *domain_migrate(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	const char *host = json_member_string(params, "host");
	const char *action = json_member_string(params, "timeout_action");
	struct migration_out_opts opts;
	struct migrate_out *mo;
	char why[512];
	int rc;

	if (!dom)
		return resp;
	if (!dom->run || !dom->run->hv || dom->run->starting ||
	    migration_in_busy(dom->run) ||
	    !(dom->state == DOMAIN_RUNNING ||
	      (dom->state == DOMAIN_PAUSED &&
	       dom->reason == DOMAIN_REASON_USER)))
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is %s (%s); only a running or paused domain can be migrated.",
				    dom->name, domain_state_name(dom->state),
				    domain_reason_name(dom->reason));
	if (dom->run->migrate || dom->run->save)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is being %s already; wait for that to end.",
				    dom->name,
				    dom->run->migrate ? "migrated" : "saved");
	opts.host = host;
	opts.port = (unsigned)int_param(params, "port", CONF_TLS_PORT);
	opts.live = bool_param(params, "live", true);
	opts.limits.downtime_ms = int_param(params, "downtime_ms", 300);
	opts.limits.bandwidth_mib = int_param(params, "bandwidth_mib", 0);
	opts.limits.auto_converge = bool_param(params, "auto_converge", false);
	opts.timeout_s = (int)int_param(params, "timeout_s", 0);
	opts.timeout_force = action && !strcmp(action, "force");
	mo = migration_out_new(k, dom, &opts);
	if (!mo)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	rc = migration_out_start(mo, dom, caller, req, why, sizeof(why));
	if (rc == -ENOMEM)
		return method_error(req, KEEL_E_RESOURCE, NULL, "%s", why);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Domain %s was not migrated: %s", dom->name,
				    why);
	return jsonrpc_deferred();
}

/* keel-hv's answer to a migrate-cancel or migrate-set, for the caller. */
static void out_forwarded(struct hv *hv, struct json_object *result,
			  int code, const char *message, void *opaque)
{
	struct reply *r = opaque;

	(void)hv;
	(void)result;
	if (code)
		run_answer_error(r, code, "%s", message);
	else
		run_answer(r, json_object_new_object());
}

struct json_object *domain_migrate_cancel(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params)
{
	struct json_object *resp = NULL;
	struct domain *dom = migrating_domain(caller->keeld, req, params,
					      &resp);
	struct migrate_out *mo;
	struct reply *r;

	if (!dom)
		return resp;
	mo = dom->run->migrate;
	if (migration_out_copied(mo))
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s cannot be cancelled any more: it has been copied to %s, which decides now.",
				    dom->name, migration_out_host(mo));
	migration_out_cancel(mo);
	if (migration_out_preparing(mo))
		return jsonrpc_result(req->id, json_object_new_object());
	r = server_defer(caller, req);
	if (!r)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	hv_call(dom->run->hv, HV_CTL_MIGRATE_CANCEL, NULL, out_forwarded, r);
	return jsonrpc_deferred();
}

struct json_object *domain_migrate_set(struct methods_caller *caller,
				       const struct jsonrpc_req *req,
				       struct json_object *params)
{
	static const char *const keys[] = { "downtime_ms", "bandwidth_mib",
					    "auto_converge" };
	struct json_object *resp = NULL, *p, *v;
	struct domain *dom = migrating_domain(caller->keeld, req, params,
					      &resp);
	struct migration_out_limits limits;
	struct migrate_out *mo;
	struct reply *r;

	if (!dom)
		return resp;
	mo = dom->run->migrate;
	/* Remembered for a migrate not sent yet, and passed on to one sent. */
	migration_out_get_limits(mo, &limits);
	limits.downtime_ms = int_param(params, "downtime_ms",
				       limits.downtime_ms);
	limits.bandwidth_mib = int_param(params, "bandwidth_mib",
					 limits.bandwidth_mib);
	limits.auto_converge = bool_param(params, "auto_converge",
					  limits.auto_converge);
	migration_out_set_limits(mo, &limits);
	if (migration_out_preparing(mo))
		return jsonrpc_result(req->id, json_object_new_object());
	if (migration_out_copied(mo))
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s has been copied to %s already; its limits no longer matter.",
				    dom->name, migration_out_host(mo));
	p = json_object_new_object();
	r = p ? server_defer(caller, req) : NULL;
	if (!r) {
		json_object_put(p);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(params, keys[i], &v))
			json_object_object_add(p, keys[i], json_object_get(v));
	hv_call(dom->run->hv, HV_CTL_MIGRATE_SET, p, out_forwarded, r);
	return jsonrpc_deferred();
}
