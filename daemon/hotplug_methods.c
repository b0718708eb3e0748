// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.set_vcpus: how many vCPUs a domain has online, up to its
 * maxvcpus (xl's vcpu-set). On a running domain keel-hv plugs or unplugs
 * them through ACPI (its control method vcpu-set, man/keel-hv.8) and the
 * answer waits for keel-hv, never for the guest; the count is then kept
 * as "vcpus" in the configuration the domain runs with (state.json) and
 * in its definition, so the next start has it too. A domain that is not
 * running only has its definition changed. A count outside 1..maxvcpus,
 * or a domain whose VM has stopped but is kept (preserve), is refused
 * before anything changes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* A vcpu-set on its way through keel-hv. */
struct set_vcpus {
	struct keeld *k;
	struct reply *r;
	char uuid[DOMAIN_UUID_LEN + 1]; /* looked up again: it may be gone */
	int64_t vcpus, maxvcpus;
};

/* The configuration @dom runs with, else the one it is defined with. */
static struct json_object *current_config(const struct domain *dom)
{
	return dom->run ? dom->run->config : dom->config;
}

static int64_t config_vcpus(struct json_object *config)
{
	return config_int(config, "vcpus", DOMAIN_DEFAULT_VCPUS);
}

static int64_t config_maxvcpus(struct json_object *config)
{
	return config_int(config, "maxvcpus", config_vcpus(config));
}

/*
 * Keep @vcpus in what @dom runs with (and its state file) and in its
 * definition. Returns 0, or -errno when the definition could not be
 * written (logged by the registry).
 */
static int set_vcpus_keep(struct keeld *k, struct domain *dom, int64_t vcpus)
{
	if (dom->run) {
		json_object_object_add(dom->run->config, "vcpus",
				       json_object_new_int64(vcpus));
		run_save(dom->run);
	}
	return registry_set_member(k->reg, dom, "vcpus",
				   json_object_new_int64(vcpus));
}

/*
 * {"vcpus", "maxvcpus", "online"}: the answer; "online" is what keel-hv
 * has present now, left out (@online < 0) for a domain not running.
 */
static struct json_object *set_vcpus_result(int64_t vcpus, int64_t maxvcpus,
					    int64_t online)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "vcpus", json_object_new_int64(vcpus));
	json_object_object_add(o, "maxvcpus", json_object_new_int64(maxvcpus));
	if (online >= 0)
		json_object_object_add(o, "online",
				       json_object_new_int64(online));
	return o;
}

/* keel-hv has done it: keep the count and answer. */
static void set_vcpus_done(struct set_vcpus *s, struct domain *dom,
			   int64_t online)
{
	struct json_object *res;

	if (set_vcpus_keep(s->k, dom, s->vcpus)) {
		run_answer_error(s->r, KEEL_E_OPERATION_FAILED,
				 "Domain %s now has %lld vCPUs, but its definition could not be saved; keeld's log says why.",
				 dom->name, (long long)s->vcpus);
		return;
	}
	res = set_vcpus_result(s->vcpus, s->maxvcpus, online);
	if (!res) {
		run_answer_error(s->r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		return;
	}
	log_info("Domain %s: %lld vCPUs asked for, %lld online now.",
		 dom->name, (long long)s->vcpus, (long long)online);
	run_answer(s->r, res);
}

/* keel-hv answered vcpu-set. */
static void on_vcpu_set(struct hv *hv, struct json_object *result, int code,
			const char *message, void *opaque)
{
	struct set_vcpus *s = opaque;
	struct domain *dom = registry_find_uuid(s->k->reg, s->uuid);

	(void)hv;
	if (code)
		run_answer_error(s->r, code, "%s", message);
	else if (!dom)
		run_answer_error(s->r, KEEL_E_NO_DOMAIN,
				 "The domain went away while its vCPUs were set.");
	else
		set_vcpus_done(s, dom, config_int(result, "vcpus", s->vcpus));
	free(s);
}

/* The live half: ask keel-hv, answer when it has. */
static void set_vcpus_live(struct set_vcpus *s, struct domain *dom)
{
	struct json_object *p = json_object_new_object();

	if (!p) {
		run_answer_error(s->r, KEEL_E_RESOURCE,
				 "keeld ran out of memory.");
		free(s);
		return;
	}
	json_object_object_add(p, "online", json_object_new_int64(s->vcpus));
	hv_call(dom->run->hv, HV_CTL_VCPU_SET, p, on_vcpu_set, s);
}

/* Refuse a count the domain cannot have; NULL when @vcpus is fine. */
static struct json_object *check_count(const struct jsonrpc_req *req,
				       const struct domain *dom, int64_t vcpus,
				       int64_t maxvcpus)
{
	if (vcpus < KEEL_VCPUS_MIN)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/vcpus",
				    "A domain needs at least %d vCPU; %lld were asked for.",
				    KEEL_VCPUS_MIN, (long long)vcpus);
	if (vcpus > maxvcpus)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/vcpus",
				    "Domain %s can have at most %lld vCPUs (its maxvcpus); %lld were asked for. Raise maxvcpus in its configuration and restart it to go higher.",
				    dom->name, (long long)maxvcpus,
				    (long long)vcpus);
	return NULL;
}

/* A domain that is not running: only its definition changes. */
static struct json_object *set_vcpus_offline(struct keeld *k,
					     const struct jsonrpc_req *req,
					     struct domain *dom, int64_t vcpus,
					     int64_t maxvcpus)
{
	struct json_object *res;

	if (set_vcpus_keep(k, dom, vcpus))
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition of domain %s could not be saved; keeld's log says why.",
				    dom->name);
	res = set_vcpus_result(vcpus, maxvcpus, -1);
	if (!res)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	return jsonrpc_result(req->id, res);
}

struct json_object *domain_set_vcpus(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	struct set_vcpus *s;
	int64_t vcpus, maxvcpus;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, "vcpus", &v);
	vcpus = json_object_get_int64(v);
	maxvcpus = config_maxvcpus(current_config(dom));
	resp = check_count(req, dom, vcpus, maxvcpus);
	if (resp)
		return resp;
	if (!dom->run)
		return set_vcpus_offline(k, req, dom, vcpus, maxvcpus);
	if (!dom->run->hv)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is stopping; set its vCPUs once it has stopped or started again.",
				    dom->name);
	/* Kept after its end (preserve): keel-hv serves no vcpu-set. */
	if (dom->run->lingering)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is %s (%s) and its VM has stopped; destroy it before setting its vCPUs.",
				    dom->name, domain_state_name(dom->state),
				    domain_reason_name(dom->reason));
	s = calloc(1, sizeof(*s));
	if (!s)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	s->k = k;
	s->vcpus = vcpus;
	s->maxvcpus = maxvcpus;
	memcpy(s->uuid, dom->uuid, sizeof(s->uuid));
	s->r = server_defer(caller, req);
	if (!s->r) {
		free(s);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	set_vcpus_live(s, dom);
	return jsonrpc_deferred();
}
