// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The methods that act inside a running guest through its keel-hv
 * (xl's trigger, sysrq, button-press and dump-core; man/keel.1):
 * domain.trigger, domain.sysrq, domain.button_press, domain.dump_core.
 * keeld checks the domain's state and what keel does not offer (S3, a
 * sleep button), then hands the request to keel-hv's control socket
 * (man/keel-hv.8) and answers with keel-hv's word; nothing is kept, so
 * there is nothing to undo.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "keeld.h"
#include "methods.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* A request on its way through keel-hv: what to answer with. */
struct trigger_call {
	struct reply *r;
	struct json_object *result; /* owned; keel-hv's result is added */
};

/* Can the guest be reached: running, shutting down or paused by a user? */
static bool trigger_guest_alive(const struct domain *dom)
{
	if (!dom->run || !dom->run->hv)
		return false;
	return dom->state == DOMAIN_RUNNING || dom->state == DOMAIN_SHUTDOWN ||
	       (dom->state == DOMAIN_PAUSED &&
		dom->reason == DOMAIN_REASON_USER);
}

/* keel-hv answered: its error as it said it, else our result. */
static void trigger_answered(struct hv *hv, struct json_object *result,
			     int code, const char *message, void *opaque)
{
	struct trigger_call *t = opaque;
	struct json_object *v;

	(void)hv;
	if (code) {
		run_answer_error(t->r, code, "%s", message);
		json_object_put(t->result);
	} else {
		/* dump-core says how many bytes it wrote. */
		if (json_object_object_get_ex(result, "bytes", &v))
			json_object_object_add(t->result, "bytes",
					       json_object_get(v));
		run_answer(t->r, t->result);
	}
	free(t);
}

/*
 * Send @method with @params (owned; NULL is out of memory when
 * @params_wanted, else none) to @dom's keel-hv and answer @req with
 * @result (owned) once it has done it.
 */
static struct json_object *trigger_forward(struct methods_caller *caller,
					   const struct jsonrpc_req *req,
					   struct domain *dom,
					   const char *method,
					   struct json_object *params,
					   bool params_wanted,
					   struct json_object *result)
{
	struct trigger_call *t = calloc(1, sizeof(*t));

	if (!t || !result || (params_wanted && !params) ||
	    !(t->r = server_defer(caller, req))) {
		free(t);
		json_object_put(params);
		json_object_put(result);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	t->result = result;
	json_object_object_add(result, "name",
			       json_object_new_string(dom->name));
	hv_call(dom->run->hv, method, params, trigger_answered, t);
	return jsonrpc_deferred();
}

/* The domain of @params, if its guest can be reached; else *@resp. */
static struct domain *trigger_domain(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params,
				     const char *what,
				     struct json_object **resp)
{
	struct domain *dom = domain_lookup(caller->keeld, req, params, resp);

	if (dom && !trigger_guest_alive(dom)) {
		*resp = method_error(req, KEEL_E_INVALID_STATE, NULL,
				     "Domain %s is not running; %s reaches only a running guest.",
				     dom->name, what);
		return NULL;
	}
	return dom;
}

static const char *trigger_string(struct json_object *params,
				  const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

/* keel offers no S3: there is never a sleeping guest to wake. */
static struct json_object *trigger_no_s3(const struct jsonrpc_req *req,
					 const struct domain *dom)
{
	return method_error(req, KEEL_E_INVALID_STATE, "/trigger",
			    "Domain %s cannot be asleep: keel's machine has no S3 (its ACPI tables offer only S5, power off), so there is nothing to resume.",
			    dom->name);
}

struct json_object *domain_trigger(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct json_object *resp = NULL, *p = NULL, *v, *res;
	struct domain *dom = trigger_domain(caller, req, params, "a trigger",
					    &resp);
	const char *trigger = trigger_string(params, "trigger");
	const char *method;
	bool has_vcpu = json_object_object_get_ex(params, "vcpu", &v);

	if (!dom)
		return resp;
	if (!strcmp(trigger, "s3resume"))
		return trigger_no_s3(req, dom);
	if (has_vcpu && strcmp(trigger, "nmi"))
		return method_error(req, JSONRPC_INVALID_PARAMS, "/vcpu",
				    "Only the nmi trigger goes to one vCPU; %s acts on the whole machine.",
				    trigger);
	if (!strcmp(trigger, "nmi")) {
		method = HV_CTL_NMI;
		if (has_vcpu) {
			p = json_object_new_object();
			if (p)
				json_object_object_add(p, "vcpu",
						       json_object_get(v));
		}
	} else if (!strcmp(trigger, "reset")) {
		method = HV_CTL_RESET;
	} else {
		method = HV_CTL_POWER_BUTTON; /* "power" */
	}
	res = json_object_new_object();
	if (res)
		json_object_object_add(res, "trigger",
				       json_object_new_string(trigger));
	return trigger_forward(caller, req, dom, method, p, has_vcpu, res);
}

struct json_object *domain_sysrq(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct json_object *resp = NULL, *p, *res;
	struct domain *dom = trigger_domain(caller, req, params, "a SysRq",
					    &resp);
	const char *key = trigger_string(params, "key");

	if (!dom)
		return resp;
	p = json_object_new_object();
	res = json_object_new_object();
	if (p)
		json_object_object_add(p, "key", json_object_new_string(key));
	if (res)
		json_object_object_add(res, "key",
				       json_object_new_string(key));
	return trigger_forward(caller, req, dom, HV_CTL_SYSRQ, p, true, res);
}

struct json_object *domain_button_press(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params)
{
	struct json_object *resp = NULL, *res;
	struct domain *dom = trigger_domain(caller, req, params,
					    "a button press", &resp);
	const char *button = trigger_string(params, "button");

	if (!dom)
		return resp;
	if (!strcmp(button, "sleep"))
		return method_error(req, KEEL_E_INVALID_STATE, "/button",
				    "Domain %s has no sleep button: keel's machine has no S3 to sleep in, only the power button.",
				    dom->name);
	res = json_object_new_object();
	if (res)
		json_object_object_add(res, "button",
				       json_object_new_string(button));
	return trigger_forward(caller, req, dom, HV_CTL_POWER_BUTTON, NULL,
			       false, res);
}

/*
 * A core can be written whenever keel-hv holds the guest's memory: while
 * it runs or is paused, and after a crash or power-off it was kept for
 * (preserve), which is when one is wanted most.
 */
struct json_object *domain_dump_core(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct json_object *resp = NULL, *p, *res;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);
	const char *path = trigger_string(params, "path");

	if (!dom)
		return resp;
	if (!dom->run || !dom->run->hv)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s has no memory to dump: it is not running, nor kept after it stopped.",
				    dom->name);
	p = json_object_new_object();
	res = json_object_new_object();
	if (p)
		json_object_object_add(p, "path", json_object_new_string(path));
	if (res)
		json_object_object_add(res, "path",
				       json_object_new_string(path));
	return trigger_forward(caller, req, dom, HV_CTL_DUMP_CORE, p, true,
			       res);
}
