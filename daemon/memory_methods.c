// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain's memory: domain.set_memory (xl mem-set) and
 * domain.set_maxmem (xl mem-max), and the balloon's current size that
 * domain.list reports (docs/memory.md, keeld(8)).
 *
 * Guest RAM is fixed when keel-hv starts: it is the domain's maxmem
 * when that is above memory, and then a virtio balloon holds back the
 * difference. So while a domain runs, set_memory moves the balloon's
 * target between the floor and the live maxmem, and set_maxmem moves
 * the live maxmem (what set_memory may reach, and what the memory
 * cgroup allows) within that RAM. Both also change the definition, so
 * that the next boot starts with the new values, as xl's do.
 *
 * A change to a running domain first asks keel-hv's status (its RAM
 * and whether it has a balloon: keel-hv is the one that knows what it
 * was started with, across keeld restarts too), then checks, then
 * moves the balloon; the answer comes when keel-hv has done it, and
 * the loop never waits.
 *
 * The balloon's actual size is cached in the domain's run: keel-hv
 * sends balloon-changed to keeld's subscribed connection whenever the
 * guest moves it, so a listing of any number of domains reads memory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_domain.h"
#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "memory.h"
#include "methods.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* --- The checks: pure, so that unit tests reach every refusal -------- */

/* @want within the schema's memory range; else false and why. */
static bool in_range(const char *what, int64_t want, char *why, size_t size)
{
	if (want >= KEEL_MEMORY_MIN_MIB && want <= KEEL_MEMORY_MAX_MIB)
		return true;
	snprintf(why, size,
		 "A domain's %s must be from %d MiB to %lld MiB; %lld MiB is not.",
		 what, KEEL_MEMORY_MIN_MIB, (long long)KEEL_MEMORY_MAX_MIB,
		 (long long)want);
	return false;
}

int memory_check_set(const struct memory_limits *l, const char *name,
		     int64_t want, char *why, size_t size)
{
	if (!in_range("memory", want, why, size))
		return JSONRPC_INVALID_PARAMS;
	if (l->ram_mib && !l->balloon && want != l->memory_mib) {
		snprintf(why, size,
			 "Domain %s has no balloon, so its memory stays %lld MiB while it runs; define a maxmem above memory (keel.cfg(5)) and start it again to change its memory live.",
			 name, (long long)l->memory_mib);
		return KEEL_E_INVALID_STATE;
	}
	if (l->maxmem_mib && want > l->maxmem_mib) {
		snprintf(why, size,
			 "%lld MiB is above domain %s's maxmem of %lld MiB; raise maxmem first (keel mem-max).",
			 (long long)want, name, (long long)l->maxmem_mib);
		return JSONRPC_INVALID_PARAMS;
	}
	return 0;
}

int memory_check_max(const struct memory_limits *l, const char *name,
		     int64_t want, char *why, size_t size)
{
	if (!in_range("maxmem", want, why, size))
		return JSONRPC_INVALID_PARAMS;
	if (want < l->memory_mib) {
		snprintf(why, size,
			 "Domain %s's memory is %lld MiB and maxmem cannot be below it; lower its memory first (keel mem-set).",
			 name, (long long)l->memory_mib);
		return JSONRPC_INVALID_PARAMS;
	}
	if (l->ram_mib && want > l->ram_mib) {
		snprintf(why, size,
			 "Domain %s runs with %lld MiB of guest RAM, fixed when it started, so its maxmem can be at most that while it runs; shut it off to raise maxmem to %lld MiB.",
			 name, (long long)l->ram_mib, (long long)want);
		return KEEL_E_INVALID_STATE;
	}
	return 0;
}

/* --- The balloon's size, as keel-hv tells it ------------------------- */

/* {target_mib, actual_mib} from keel-hv into @run's cache. */
static void memory_note_balloon(struct domain_run *run,
				struct json_object *balloon)
{
	int64_t target = config_int(balloon, "target_mib", -1);
	int64_t actual = config_int(balloon, "actual_mib", -1);

	if (target < 0 || actual < 0)
		return;
	run->balloon_known = true;
	run->balloon_target_mib = target;
	run->balloon_actual_mib = actual;
}

int64_t memory_current_mib(const struct domain *dom)
{
	struct json_object *config = dom->run ? dom->run->config : dom->config;

	if (dom->run && dom->run->balloon_known)
		return dom->run->balloon_actual_mib;
	return config_int(config, "memory", DOMAIN_DEFAULT_MEMORY_MIB);
}

static void on_subscribed(struct hv *hv, struct json_object *result,
			  int code, const char *message, void *opaque)
{
	struct domain_run *run = opaque;
	struct json_object *balloon;

	/* A keel-hv from before subscribe: the target stands in. */
	if (code) {
		log_info("Domain %s: keel-hv does not report balloon changes (%s).",
			 run->dom->name, message);
		return;
	}
	if (json_object_object_get_ex(result, "balloon", &balloon))
		memory_note_balloon(run, balloon);
}

void memory_watch(struct domain_run *run)
{
	if (run->hv)
		hv_call(run->hv, HV_CTL_SUBSCRIBE, NULL, on_subscribed, run);
}

void memory_notified(struct domain_run *run, const char *method,
		     struct json_object *params)
{
	if (!strcmp(method, HV_CTL_BALLOON_CHANGED) && params)
		memory_note_balloon(run, params);
}

/* --- domain.set_memory and domain.set_maxmem ------------------------ */

/* One change, from the request to keel-hv's answers. */
struct memory_op {
	struct domain_run *run;
	struct reply *r;
	const char *key;	/* "memory" (set_memory) or "maxmem" */
	const char *param;	/* "memory_mib" or "maxmem_mib" */
	int64_t want;		/* MiB */
};

static bool is_set_memory(const struct memory_op *op)
{
	return !strcmp(op->key, "memory");
}

/* Why @dom's definition could not get its new @key: a sentence. */
static void persist_failed(char *buf, size_t size, const struct domain *dom,
			   const char *key, int rc, bool live)
{
	snprintf(buf, size,
		 "%sdomain %s's definition could not be saved (%s), so it would boot with its old %s.",
		 live ? "The change applies now, but " : "", dom->name,
		 strerror(-rc), key);
}

static void memory_op_fail(struct memory_op *op, int code,
			   const char *message)
{
	run_answer_error(op->r, code, "%s", message);
	free(op);
}

/* The running domain takes @op->want as @op->key; then its definition. */
static void memory_op_done(struct memory_op *op)
{
	struct domain_run *run = op->run;
	struct json_object *before = NULL;
	char why[512];
	int rc;

	json_object_object_get_ex(run->config, op->key, &before);
	json_object_get(before);
	json_object_object_add(run->config, op->key,
			       json_object_new_int64(op->want));
	/* maxmem bounds the domain's memory cgroup (cgroup_domain.h). */
	rc = is_set_memory(op) ? 0 : cgroup_domain_apply(run->k, run->dom);
	if (rc && rc != -ESRCH) {
		if (before)
			json_object_object_add(run->config, op->key, before);
		else
			json_object_object_del(run->config, op->key);
		cgroup_domain_apply(run->k, run->dom);
		memory_op_fail(op, KEEL_E_OPERATION_FAILED,
			       "keeld could not set the domain's memory cgroup to the new maxmem; nothing was changed (keeld's log says why).");
		return;
	}
	json_object_put(before);
	run_save(run);
	log_info("Domain %s: %s set to %lld MiB.", run->dom->name, op->key,
		 (long long)op->want);
	rc = registry_set_member(run->k->reg, run->dom, op->key,
				 json_object_new_int64(op->want));
	if (rc) {
		persist_failed(why, sizeof(why), run->dom, op->key, rc, true);
		run_answer_error(op->r, KEEL_E_OPERATION_FAILED, "%s", why);
	} else {
		run_answer(op->r, domain_summary(run->dom));
	}
	free(op);
}

/* @op's value is refused: -32602 with data.field naming its param. */
static void memory_op_refuse(struct memory_op *op, const char *why)
{
	char field[32];

	snprintf(field, sizeof(field), "/%s", op->param);
	reply_send(op->r, jsonrpc_error_field(reply_id(op->r),
					      JSONRPC_INVALID_PARAMS, why,
					      field));
	free(op);
}

static void on_balloon_set(struct hv *hv, struct json_object *result,
			   int code, const char *message, void *opaque)
{
	struct memory_op *op = opaque;

	if (code) {
		memory_op_fail(op, code, message);
		return;
	}
	memory_note_balloon(op->run, result);
	memory_op_done(op);
}

/*
 * The live limits of @run from its keel-hv's status: its RAM
 * ("maxmem", in bytes; a keel-hv from before that member reported its
 * RAM as "memory") and whether it has a balloon.
 */
static void live_limits(const struct domain_run *run,
			struct json_object *status, struct memory_limits *l)
{
	struct json_object *v;
	int64_t ram = config_int(status, "maxmem",
				 config_int(status, "memory", 0));

	l->ram_mib = ram >> 20;
	l->balloon = json_object_object_get_ex(status, "balloon", &v);
	l->memory_mib = config_int(run->config, "memory",
				   DOMAIN_DEFAULT_MEMORY_MIB);
	l->maxmem_mib = config_int(run->config, "maxmem", l->ram_mib);
	if (l->maxmem_mib > l->ram_mib)
		l->maxmem_mib = l->ram_mib;
	if (l->balloon && run->balloon_known)
		l->memory_mib = run->balloon_target_mib;
}

static void on_status(struct hv *hv, struct json_object *result, int code,
		      const char *message, void *opaque)
{
	struct memory_op *op = opaque;
	struct memory_limits l;
	struct json_object *params;
	char why[512];

	if (code) {
		memory_op_fail(op, code, message);
		return;
	}
	live_limits(op->run, result, &l);
	code = is_set_memory(op) ?
		       memory_check_set(&l, op->run->dom->name, op->want, why,
					sizeof(why)) :
		       memory_check_max(&l, op->run->dom->name, op->want, why,
					sizeof(why));
	if (code == JSONRPC_INVALID_PARAMS) {
		memory_op_refuse(op, why);
		return;
	}
	if (code) {
		memory_op_fail(op, code, why);
		return;
	}
	if (!is_set_memory(op) || !l.balloon) {
		memory_op_done(op);
		return;
	}
	params = json_object_new_object();
	json_object_object_add(params, "target_mib",
			       json_object_new_int64(op->want));
	hv_call(hv, HV_CTL_BALLOON, params, on_balloon_set, op);
}

/* The domain's VM runs (or is paused, or shutting down): change it live. */
static bool memory_live(const struct domain *dom)
{
	return dom->run && dom->run->hv && !dom->run->lingering;
}

/* A shut-off domain: only its definition changes, checked against itself. */
static struct json_object *memory_define(struct keeld *k,
					 const struct jsonrpc_req *req,
					 struct domain *dom, const char *key,
					 const char *param, int64_t want)
{
	struct memory_limits l = {
		.memory_mib = config_int(dom->config, "memory",
					 DOMAIN_DEFAULT_MEMORY_MIB),
		.maxmem_mib = config_int(dom->config, "maxmem", 0),
	};
	char why[512], field[32];
	int code = !strcmp(key, "memory") ?
			   memory_check_set(&l, dom->name, want, why,
					    sizeof(why)) :
			   memory_check_max(&l, dom->name, want, why,
					    sizeof(why));

	snprintf(field, sizeof(field), "/%s", param);
	if (code)
		return method_error(req, code,
				    code == JSONRPC_INVALID_PARAMS ? field :
								     NULL,
				    "%s", why);
	code = registry_set_member(k->reg, dom, key, json_object_new_int64(want));
	if (code) {
		persist_failed(why, sizeof(why), dom, key, code, false);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL, "%s",
				    why);
	}
	log_info("Domain %s: %s defined as %lld MiB.", dom->name, key,
		 (long long)want);
	return jsonrpc_result(req->id, domain_summary(dom));
}

/* domain.set_memory and domain.set_maxmem: @key's new value is @param. */
static struct json_object *memory_method(struct methods_caller *caller,
					 const struct jsonrpc_req *req,
					 struct json_object *params,
					 const char *key, const char *param)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	struct memory_op *op;
	struct reply *r;
	int64_t want;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, param, &v);
	want = json_object_get_int64(v);
	if (dom->run && !memory_live(dom))
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is %s (%s) and its VM has stopped; destroy it before changing its %s.",
				    dom->name, domain_state_name(dom->state),
				    domain_reason_name(dom->reason), key);
	if (!dom->run)
		return memory_define(k, req, dom, key, param, want);
	op = calloc(1, sizeof(*op));
	r = op ? server_defer(caller, req) : NULL;
	if (!r) {
		free(op);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	op->run = dom->run;
	op->r = r;
	op->key = key;
	op->param = param;
	op->want = want;
	hv_call(dom->run->hv, HV_CTL_STATUS, NULL, on_status, op);
	return jsonrpc_deferred();
}

struct json_object *domain_set_memory(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params)
{
	return memory_method(caller, req, params, "memory", "memory_mib");
}

struct json_object *domain_set_maxmem(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params)
{
	return memory_method(caller, req, params, "maxmem", "maxmem_mib");
}
