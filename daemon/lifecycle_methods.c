// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain.* methods that run domains: create, start, pause, unpause,
 * shutdown, reboot, destroy, config, stats, stats_all; and
 * events.subscribe. Each checks that the domain is in a state the
 * operation makes sense in, then hands it to lifecycle.c (stats.c for
 * the statistics) with a deferred reply (server.h): the answer comes
 * when keel-hv has done it, and the loop never waits.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "keeld.h"
#include "lifecycle.h"
#include "methods.h"
#include "migrate.h"
#include "registry.h"
#include "server.h"
#include "stats.h"

static bool bool_param(struct json_object *params, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) &&
	       json_object_get_boolean(v);
}

static struct json_object *out_of_memory(const struct jsonrpc_req *req)
{
	return method_error(req, KEEL_E_RESOURCE, NULL,
			    "keeld ran out of memory.");
}

static struct json_object *not_running(const struct jsonrpc_req *req,
				       const struct domain *dom,
				       const char *what)
{
	return method_error(req, KEEL_E_INVALID_STATE, NULL,
			    "Domain %s is %s (%s); %s.", dom->name,
			    domain_state_name(dom->state),
			    domain_reason_name(dom->reason), what);
}

/*
 * Running or paused by a user, or being shut down: a live guest. Not
 * while it migrates: only the migration's end may stop or pause it.
 */
static bool guest_alive(const struct domain *dom)
{
	if (!dom->run || migrate_busy(dom))
		return false;
	return dom->state == DOMAIN_RUNNING || dom->state == DOMAIN_SHUTDOWN ||
	       (dom->state == DOMAIN_PAUSED &&
		dom->reason == DOMAIN_REASON_USER);
}

struct json_object *domain_config(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params)
{
	struct json_object *resp = NULL, *live;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);

	if (!dom)
		return resp;
	live = lifecycle_live_config(dom);
	return jsonrpc_result(req->id, json_object_get(live ? live :
							      dom->config));
}

struct json_object *domain_create(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *config, *copy = NULL, *resp;
	const char *field = NULL;
	struct domain *dom;
	struct reply *r;
	int rc;

	json_object_object_get_ex(params, "config", &config);
	resp = domain_config_check(k, req, config);
	if (resp)
		return resp;
	if (json_object_deep_copy(config, &copy, NULL))
		return out_of_memory(req);
	rc = registry_add_transient(k->reg, copy, &dom, &field);
	if (rc == -EEXIST)
		return domain_exists_error(req, config, field);
	if (rc)
		return out_of_memory(req);
	r = server_defer(caller, req);
	if (!r) {
		registry_forget(k->reg, dom);
		return out_of_memory(req);
	}
	lifecycle_start(k, dom, bool_param(params, "paused"), r);
	return jsonrpc_deferred();
}

struct json_object *domain_start(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct json_object *resp = NULL;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);
	struct reply *r;

	if (!dom)
		return resp;
	if (dom->run)
		return not_running(req, dom, "it is started already");
	r = server_defer(caller, req);
	if (!r)
		return out_of_memory(req);
	lifecycle_start(caller->keeld, dom, bool_param(params, "paused"), r);
	return jsonrpc_deferred();
}

/* Look the domain up, check @ok, defer: the common head of the rest. */
static struct domain *prepare(struct methods_caller *caller,
			      const struct jsonrpc_req *req,
			      struct json_object *params,
			      bool (*ok)(const struct domain *dom),
			      const char *why_not, struct reply **r,
			      struct json_object **resp)
{
	struct domain *dom = domain_lookup(caller->keeld, req, params, resp);

	if (!dom)
		return NULL;
	if (!ok(dom)) {
		*resp = not_running(req, dom, why_not);
		return NULL;
	}
	*r = server_defer(caller, req);
	if (!*r) {
		*resp = out_of_memory(req);
		return NULL;
	}
	return dom;
}

static bool can_pause(const struct domain *dom)
{
	return dom->run && !migrate_busy(dom) &&
	       (dom->state == DOMAIN_RUNNING ||
			    dom->state == DOMAIN_SHUTDOWN);
}

static bool can_unpause(const struct domain *dom)
{
	return dom->run && dom->state == DOMAIN_PAUSED &&
	       dom->reason == DOMAIN_REASON_USER;
}

static bool has_process(const struct domain *dom)
{
	return dom->run != NULL;
}

static bool can_destroy(const struct domain *dom)
{
	return dom->run || lifecycle_restart_pending(dom);
}

struct json_object *domain_pause(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct json_object *resp = NULL;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, can_pause,
				     "only a running domain can be paused",
				     &r, &resp);

	if (!dom)
		return resp;
	lifecycle_pause(caller->keeld, dom, r);
	return jsonrpc_deferred();
}

struct json_object *domain_unpause(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct json_object *resp = NULL;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, can_unpause,
				     "only a domain paused by a user can be unpaused",
				     &r, &resp);

	if (!dom)
		return resp;
	lifecycle_unpause(caller->keeld, dom, r);
	return jsonrpc_deferred();
}

struct json_object *domain_shutdown(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params)
{
	struct json_object *resp = NULL, *v;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, guest_alive,
				     "only a running guest can be asked to shut down",
				     &r, &resp);
	/* Never forced unless asked: xl and libvirt do not destroy either. */
	int timeout = 0;

	if (!dom)
		return resp;
	if (json_object_object_get_ex(params, "timeout", &v))
		timeout = json_object_get_int(v);
	lifecycle_shutdown(caller->keeld, dom, timeout,
			   bool_param(params, "wait"), r);
	return jsonrpc_deferred();
}

struct json_object *domain_reboot(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params)
{
	struct json_object *resp = NULL;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, guest_alive,
				     "only a running guest can be rebooted",
				     &r, &resp);

	if (!dom)
		return resp;
	lifecycle_reboot(caller->keeld, dom, r);
	return jsonrpc_deferred();
}

struct json_object *domain_destroy(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct json_object *resp = NULL;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, can_destroy,
				     "there is nothing to destroy", &r, &resp);

	if (!dom)
		return resp;
	lifecycle_destroy(caller->keeld, dom, r);
	return jsonrpc_deferred();
}

struct json_object *domain_stats(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct json_object *resp = NULL;
	struct reply *r;
	struct domain *dom = prepare(caller, req, params, has_process,
				     "statistics exist only while it runs",
				     &r, &resp);

	if (!dom)
		return resp;
	stats_domain(caller->keeld, dom, r);
	return jsonrpc_deferred();
}

struct json_object *domain_stats_all(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct reply *r = server_defer(caller, req);

	(void)params;
	if (!r)
		return out_of_memory(req);
	stats_all(caller->keeld, r);
	return jsonrpc_deferred();
}

struct json_object *events_subscribe(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return out_of_memory(req);
	server_subscribe(caller);
	json_object_object_add(o, "subscribed", json_object_new_boolean(1));
	return jsonrpc_result(req->id, o);
}
