// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.vcpu_pin and domain.vcpu_list: xl's vcpu-pin and vcpu-list
 * (man/keel.1). Pinning is thread affinity inside keel-hv (its
 * vcpu-pin control method); keeld checks the request first, so a
 * refused one changes nothing anywhere, and keeps the pinning in the
 * domain's configuration, both the definition (a domain started again
 * gets it) and the running one in state.json (a keeld restarted after
 * kill -9 reports it; keel-hv keeps the threads pinned meanwhile).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "handlers.h"
#include "hv_proto.h"
#include "keeld.h"
#include "lifecycle.h"
#include "methods.h"
#include "pinning.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* A vcpu-pin waiting for keel-hv. */
struct pin_op {
	struct keeld *k;
	struct reply *r;
	char uuid[DOMAIN_UUID_LEN + 1];
	int64_t vcpu;		/* -1: every vCPU */
	char *list;		/* the user's CPU list, for the configuration */
};

static void pin_op_free(struct pin_op *op)
{
	free(op->list);
	free(op);
}

/*
 * Keep the new pinning in @dom's configurations: the one it runs with
 * (state.json) and its definition. Returns 0, or -errno when the
 * definition cannot be written.
 */
static int pin_save(struct keeld *k, struct domain *dom, int64_t vcpu,
		    const char *list)
{
	struct json_object *live = lifecycle_live_config(dom), *v;
	bool failed;
	int rc;

	if (live) {
		v = pinning_updated(live, vcpu, list, &failed);
		if (failed)
			return -ENOMEM;
		if (v)
			json_object_object_add(live, "cpus", v);
		else
			json_object_object_del(live, "cpus");
		if (dom->run)
			run_save(dom->run);
	}
	v = pinning_updated(dom->config, vcpu, list, &failed);
	if (failed)
		return -ENOMEM;
	rc = registry_set_member(k->reg, dom, "cpus", v);
	return rc;
}

static void pin_answer(struct reply *r, struct domain *dom)
{
	struct json_object *o = json_object_new_object(), *cpus;
	struct json_object *live = lifecycle_live_config(dom);

	if (json_object_object_get_ex(live ? live : dom->config, "cpus",
				      &cpus))
		json_object_object_add(o, "cpus", json_object_get(cpus));
	else
		json_object_object_add(o, "cpus", json_object_new_string("all"));
	run_answer(r, o);
}

static void on_pinned(struct hv *hv, struct json_object *result, int code,
		      const char *message, void *opaque)
{
	struct pin_op *op = opaque;
	struct domain *dom = registry_find_uuid(op->k->reg, op->uuid);
	int rc;

	if (code) {
		run_answer_error(op->r, code, "%s", message);
	} else if (!dom) {
		run_answer_error(op->r, KEEL_E_NO_DOMAIN,
				 "The domain went away while it was pinned.");
	} else if ((rc = pin_save(op->k, dom, op->vcpu, op->list))) {
		run_answer_error(op->r, KEEL_E_OPERATION_FAILED,
				 "Domain %s's vCPUs are pinned, but its definition could not be saved (%s); pin them again once that is fixed.",
				 dom->name, strerror(-rc));
	} else {
		pin_answer(op->r, dom);
	}
	pin_op_free(op);
}

/* @params' vcpu: a number, or -1 for "all". */
static int64_t vcpu_param(struct json_object *params)
{
	struct json_object *v;

	json_object_object_get_ex(params, "vcpu", &v);
	return json_object_is_type(v, json_type_string) ?
		       -1 :
		       json_object_get_int64(v);
}

struct json_object *domain_vcpu_pin(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *live, *hv_params, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	char err[CPUMAP_ERR_MAX], text[CPUMAP_TEXT_MAX];
	int64_t vcpu = vcpu_param(params), nr;
	struct cpumap host, m;
	struct pin_op *op;
	const char *list;
	int rc;

	if (!dom)
		return resp;
	live = lifecycle_live_config(dom);
	nr = pinning_nr_vcpus(live ? live : dom->config);
	if (vcpu >= nr)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/vcpu",
				    "Domain %s has %lld vCPUs, numbered 0 to %lld; it has no vCPU %lld.",
				    dom->name, (long long)nr,
				    (long long)nr - 1, (long long)vcpu);
	json_object_object_get_ex(params, "cpus", &v);
	list = json_object_get_string(v);
	if (cpumap_host(&host))
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "keeld cannot read the host's CPUs: %s.",
				    strerror(errno));
	if (cpumap_parse(list, &host, &m, err) ||
	    cpumap_check_host(&m, &host, err))
		return method_error(req, JSONRPC_INVALID_PARAMS, "/cpus", "%s",
				    err);
	if (!dom->run || !dom->run->hv) {
		/* Shut off: the definition, for its next start. */
		rc = pin_save(k, dom, vcpu, list);
		if (rc)
			return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
					    "The definition could not be saved: %s.",
					    strerror(-rc));
		resp = json_object_new_object();
		json_object_object_get_ex(dom->config, "cpus", &v);
		json_object_object_add(resp, "cpus",
				       v ? json_object_get(v) :
					   json_object_new_string("all"));
		return jsonrpc_result(req->id, resp);
	}
	op = calloc(1, sizeof(*op));
	hv_params = json_object_new_object();
	if (!op || !hv_params || !(op->list = strdup(list)) ||
	    !(op->r = server_defer(caller, req))) {
		json_object_put(hv_params);
		if (op)
			pin_op_free(op);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	op->k = k;
	op->vcpu = vcpu;
	memcpy(op->uuid, dom->uuid, sizeof(op->uuid));
	if (vcpu >= 0)
		json_object_object_add(hv_params, "vcpu",
				       json_object_new_int64(vcpu));
	json_object_object_add(hv_params, "cpus",
			       json_object_new_string(cpumap_format(
				       &m, text, sizeof(text))));
	hv_call(dom->run->hv, HV_CTL_VCPU_PIN, hv_params, on_pinned, op);
	return jsonrpc_deferred();
}

/* --- domain.vcpu_list ----------------------------------------------------- */

/* One domain's part of a vcpu_list: its identity and keel-hv's answer. */
struct list_slot {
	struct list_op *op;
	char *name;
	char uuid[DOMAIN_UUID_LEN + 1];
	int id;
	struct json_object *vcpus;	/* keel-hv's, or NULL */
	int code;			/* keel-hv's error, or 0 */
	char message[256];
};

/* A vcpu_list: a call per running domain, answered when all are back. */
struct list_op {
	struct reply *r;
	bool one;			/* a domain was named: errors are its */
	size_t n, pending;
	struct list_slot slots[];
};

/* keel-hv's affinity as xl shows it: "all" when it is every host CPU. */
static struct json_object *affinity_value(const char *text,
					  const struct cpumap *host)
{
	char err[CPUMAP_ERR_MAX];
	struct cpumap m;

	if (text && !cpumap_parse(text, host, &m, err) &&
	    cpumap_subset(host, &m))
		return json_object_new_string("all");
	return json_object_new_string(text ? text : "");
}

/* Each vCPU of @s as a row of the result, added to @rows. */
static void list_rows(const struct list_slot *s, const struct cpumap *host,
		      struct json_object *rows)
{
	static const char *const copied[] = { "tid", "cpu", "state", "time" };

	for (size_t i = 0; i < json_object_array_length(s->vcpus); i++) {
		struct json_object *v = json_object_array_get_idx(s->vcpus, i);
		struct json_object *row = json_object_new_object(), *m;

		if (!row)
			return;
		json_object_object_add(row, "name", json_object_new_string(
						    s->name ? s->name : ""));
		json_object_object_add(row, "uuid",
				       json_object_new_string(s->uuid));
		json_object_object_add(row, "id", json_object_new_int(s->id));
		json_object_object_get_ex(v, "id", &m);
		json_object_object_add(row, "vcpu", json_object_get(m));
		for (size_t j = 0; j < sizeof(copied) / sizeof(copied[0]); j++) {
			m = NULL;
			json_object_object_get_ex(v, copied[j], &m);
			json_object_object_add(row, copied[j],
					       json_object_get(m));
		}
		json_object_object_get_ex(v, "affinity", &m);
		json_object_object_add(row, "affinity",
				       affinity_value(json_object_get_string(m),
						      host));
		json_object_array_add(rows, row);
	}
}

/*
 * Every keel-hv has answered: the rows of those that could, or, when
 * one domain was named, its keel-hv's error.
 */
static void list_finish(struct list_op *op)
{
	struct json_object *rows;
	struct cpumap host;

	if (op->one && op->slots[0].code) {
		run_answer_error(op->r, op->slots[0].code, "%s",
				 op->slots[0].message);
	} else {
		if (cpumap_host(&host))
			cpumap_zero(&host);
		rows = json_object_new_array();
		for (size_t i = 0; rows && i < op->n; i++)
			if (op->slots[i].vcpus)
				list_rows(&op->slots[i], &host, rows);
		if (rows)
			run_answer(op->r, rows);
		else
			run_answer_error(op->r, KEEL_E_RESOURCE,
					 "keeld ran out of memory.");
	}
	for (size_t i = 0; i < op->n; i++) {
		free(op->slots[i].name);
		json_object_put(op->slots[i].vcpus);
	}
	free(op);
}

static void on_vcpus(struct hv *hv, struct json_object *result, int code,
		     const char *message, void *opaque)
{
	struct list_slot *s = opaque;
	struct json_object *v;

	s->code = code;
	if (code)
		snprintf(s->message, sizeof(s->message), "%s", message);
	else if (json_object_object_get_ex(result, "vcpus", &v) &&
		 json_object_is_type(v, json_type_array))
		s->vcpus = json_object_get(v);
	if (--s->op->pending == 0)
		list_finish(s->op);
}

/* Does @dom have a keel-hv to ask? */
static bool has_threads(const struct domain *dom)
{
	return dom->run && dom->run->hv && !dom->run->lingering;
}

struct json_object *domain_vcpu_list(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *v;
	struct domain *one = NULL;
	struct list_op *op;
	size_t n = 0;

	if (json_object_object_get_ex(params, "name", &v) ||
	    json_object_object_get_ex(params, "uuid", &v)) {
		one = domain_lookup(k, req, params, &resp);
		if (!one)
			return resp;
		if (!has_threads(one))
			return method_error(req, KEEL_E_INVALID_STATE, NULL,
					    "Domain %s is %s; its vCPUs exist only while it runs.",
					    one->name,
					    domain_state_name(one->state));
		n = 1;
	} else {
		for (struct domain *d = registry_first(k->reg); d; d = d->next)
			n += has_threads(d);
	}
	if (!n)
		return jsonrpc_result(req->id, json_object_new_array());
	op = calloc(1, sizeof(*op) + n * sizeof(op->slots[0]));
	if (!op || !(op->r = server_defer(caller, req))) {
		free(op);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	op->one = one != NULL;
	for (struct domain *d = one ? one : registry_first(k->reg);
	     d && op->n < n; d = one ? NULL : d->next) {
		struct list_slot *s = &op->slots[op->n];

		if (!has_threads(d))
			continue;
		s->op = op;
		s->name = strdup(d->name);
		memcpy(s->uuid, d->uuid, sizeof(s->uuid));
		s->id = d->id;
		op->n++;
	}
	/*
	 * One more than the calls, until they are all made: a call that
	 * fails at once answers at once, and must not finish the op.
	 */
	op->pending = op->n + 1;
	for (size_t i = 0; i < op->n; i++) {
		struct domain *d = registry_find_uuid(k->reg,
						      op->slots[i].uuid);

		hv_call(d->run->hv, HV_CTL_VCPUS, NULL, on_vcpus,
			&op->slots[i]);
	}
	if (--op->pending == 0)
		list_finish(op);
	return jsonrpc_deferred();
}
