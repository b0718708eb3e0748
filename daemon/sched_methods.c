// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.get_sched and domain.set_sched: a domain's CPU weight and cap,
 * xl sched-credit's -w and -c (docs/qos.md). The values are the
 * configuration's cpu_weight and cap; set_sched changes them in the
 * running domain's cgroup and in its configuration at once, so that
 * they hold after a keeld restart and at the next start. A change that
 * cannot be made in full is not made at all.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_domain.h"
#include "handlers.h"
#include "keeld.h"
#include "lifecycle.h"
#include "methods.h"
#include "registry.h"
#include "run.h"

/* What @dom runs with, else its definition. */
static struct json_object *sched_config(const struct domain *dom)
{
	struct json_object *live = lifecycle_live_config(dom);

	return live ? live : dom->config;
}

/* {name, uuid, id, weight, cap}: the Sched object of the schema. */
static struct json_object *sched_result(const struct jsonrpc_req *req,
					const struct domain *dom)
{
	struct json_object *config = sched_config(dom);
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(dom->name));
	json_object_object_add(o, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(o, "id", dom->id < 0 ? NULL :
					json_object_new_int(dom->id));
	json_object_object_add(o, "weight",
			       json_object_new_int64(config_int(
				       config, "cpu_weight",
				       CGROUP_WEIGHT_DEFAULT)));
	json_object_object_add(o, "cap", json_object_new_int64(config_int(
						  config, "cap", 0)));
	return jsonrpc_result(req->id, o);
}

struct json_object *domain_get_sched(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct json_object *resp = NULL;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);

	if (!dom)
		return resp;
	return sched_result(req, dom);
}

/*
 * The error for a cap @cap that @config's vCPUs cannot use, or NULL: a
 * cap above 100 per vCPU would never bind (xl refuses it too).
 */
static struct json_object *check_cap(const struct jsonrpc_req *req,
				     const struct domain *dom,
				     struct json_object *config, int64_t cap)
{
	int64_t vcpus = config_int(config, "vcpus", DOMAIN_DEFAULT_VCPUS);

	if (cap <= 100 * vcpus)
		return NULL;
	return method_error(req, JSONRPC_INVALID_PARAMS, "/cap",
			    "The cap %lld%% is more than domain %s's %lld vCPU%s can use (at most %lld%%, 100 per vCPU; 0 for no cap).",
			    (long long)cap, dom->name, (long long)vcpus,
			    vcpus == 1 ? "" : "s", (long long)(100 * vcpus));
}

/* Each member of @members in @config back to its value in @before. */
static void members_restore(struct json_object *config,
			    struct json_object *before,
			    struct json_object *members)
{
	struct json_object *old;

	json_object_object_foreach(members, key, value) {
		(void)value;
		if (json_object_object_get_ex(before, key, &old))
			json_object_object_add(config, key,
					       json_object_get(old));
		else
			json_object_object_del(config, key);
	}
}

/*
 * Put @members' values (cpu_weight, cap) into the running @dom's live
 * configuration and its cgroup. Returns 0, or -errno with both as in
 * @before (the live configuration before).
 */
static int sched_apply_live(struct keeld *k, struct domain *dom,
			    struct json_object *members,
			    struct json_object *before)
{
	struct json_object *live = dom->run->config;
	int rc;

	json_object_object_foreach(members, key, value)
		json_object_object_add(live, key, json_object_get(value));
	rc = cgroup_domain_apply(k, dom);
	if (rc) {
		members_restore(live, before, members);
		cgroup_domain_apply(k, dom);
	}
	return rc;
}

/* @dom runs without a group: live changes cannot be made. */
static struct json_object *no_group(const struct jsonrpc_req *req,
				    struct keeld *k, const struct domain *dom)
{
	return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
			    "Domain %s runs without a cgroup (%s), so its CPU weight and cap cannot change while it runs; nothing was changed.",
			    dom->name,
			    k->cgroup_why[0] ? k->cgroup_why :
					       "keeld could not make one");
}

struct json_object *domain_set_sched(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *members, *weight = NULL, *cap = NULL;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	struct json_object *before = NULL;
	int rc;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, "weight", &weight);
	json_object_object_get_ex(params, "cap", &cap);
	if (!weight && !cap)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/weight",
				    "Give a weight, a cap or both to change.");
	if (cap && ((resp = check_cap(req, dom, sched_config(dom),
				      json_object_get_int64(cap))) ||
		    (resp = check_cap(req, dom, dom->config,
				      json_object_get_int64(cap)))))
		return resp;
	if (dom->run && !dom->run->in_cgroup)
		return no_group(req, k, dom);
	members = json_object_new_object();
	if (!members)
		return NULL;
	if (weight)
		json_object_object_add(members, "cpu_weight",
				       json_object_get(weight));
	if (cap)
		json_object_object_add(members, "cap", json_object_get(cap));
	if (dom->run && json_object_deep_copy(dom->run->config, &before, NULL)) {
		json_object_put(members);
		return NULL;
	}
	if (dom->run) {
		rc = sched_apply_live(k, dom, members, before);
		if (rc) {
			json_object_put(members);
			json_object_put(before);
			return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
					    "Domain %s's cgroup could not be changed (%s; keeld's log says more); nothing was changed.",
					    dom->name, strerror(-rc));
		}
	}
	/* The definition: what the next start, and a restart, use. */
	rc = registry_set_members(k->reg, dom, members);
	if (rc) {
		if (dom->run) {
			members_restore(dom->run->config, before, members);
			cgroup_domain_apply(k, dom);
		}
		json_object_put(members);
		json_object_put(before);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Domain %s's definition could not be saved (%s); nothing was changed.",
				    dom->name, strerror(-rc));
	}
	json_object_put(before);
	json_object_put(members);
	if (dom->run)
		run_save(dom->run);
	return sched_result(req, dom);
}
