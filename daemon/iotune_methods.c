// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.blkdeviotune and domain.domiftune, named after virsh's: read or
 * change one disk's or one NIC's I/O limits (lib/iotune.h, docs/qos.md).
 * A change is the limits in force with the given ones replaced; on a
 * running domain keel-hv applies it first (its "iotune" control method,
 * answered asynchronously as domain.stats is), then keeld keeps it in
 * the running configuration (state.json, so a restarted keeld knows it)
 * and, for a persistent domain, in its definition. Without changes the
 * answer is the limits in force: keel-hv's word while it runs, the
 * definition's otherwise.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "hv.h"
#include "hv_cmdline.h"
#include "iotune.h"
#include "keeld.h"
#include "lifecycle.h"
#include "methods.h"
#include "registry.h"
#include "run.h"
#include "server.h"

/* libvirt's domiftune units: average and peak in KiB/s, burst in KiB. */
#define KIB 1024

/* One request on its way through keel-hv: what to do once it answers. */
struct iotune_op {
	struct keeld *k;
	struct reply *r;
	char uuid[DOMAIN_UUID_LEN + 1];
	enum iotune_kind kind;
	size_t index; /* in the configuration's "disks" or "nics" */
	bool change;
	struct iotune want;
	char *name; /* the device as the user named it, for the answer */
};

static const char *list_name(enum iotune_kind kind)
{
	return kind == IOTUNE_DISK ? "disks" : "nics";
}

/* Device @index of @kind in @config, or NULL. */
static struct json_object *config_device(struct json_object *config,
					 enum iotune_kind kind, size_t index)
{
	struct json_object *list;

	if (!config || !json_object_object_get_ex(config, list_name(kind),
						  &list) ||
	    index >= json_object_array_length(list))
		return NULL;
	return json_object_array_get_idx(list, index);
}

/*
 * Which device @id names: its index from 0, or for a disk its vdev or
 * path, for a NIC its MAC address (any case) or tap. -1 when none.
 */
static long find_device(struct json_object *config, enum iotune_kind kind,
			struct json_object *id)
{
	const char *s = json_object_get_string(id);
	struct json_object *dev;

	if (json_object_is_type(id, json_type_int)) {
		int64_t i = json_object_get_int64(id);

		return config_device(config, kind, (size_t)i) && i >= 0 ?
			       (long)i :
			       -1;
	}
	for (size_t i = 0; (dev = config_device(config, kind, i)); i++) {
		const char *a = json_member_string(dev, kind == IOTUNE_DISK ?
								"vdev" :
								"mac");
		const char *b = json_member_string(dev, kind == IOTUNE_DISK ?
								"path" :
								"tap");

		if ((a && !strcasecmp(a, s)) || (b && !strcmp(b, s)))
			return (long)i;
	}
	return -1;
}

/* The limits device @dev's configuration gives it. */
static int config_limits(struct json_object *dev, enum iotune_kind kind,
			 struct iotune *t)
{
	struct json_object *v;
	char err[256];

	memset(t, 0, sizeof(*t));
	if (kind == IOTUNE_NIC)
		return hv_config_nic_iotune(dev, t);
	if (json_object_object_get_ex(dev, "iotune", &v))
		return iotune_from_json(kind, v, t, err, sizeof(err));
	return 0;
}

/*
 * Write @t into device @index of @config: its "iotune" (left out when
 * nothing is limited), and for a NIC without xl's "rate", whose limit
 * @t carries now as tx_bytes_sec.
 */
static int config_store(struct json_object *config, enum iotune_kind kind,
			size_t index, const struct iotune *t)
{
	struct json_object *dev = config_device(config, kind, index), *o;

	if (!dev)
		return 0;
	json_object_object_del(dev, "iotune");
	json_object_object_del(dev, "rate");
	if (!iotune_any(t))
		return 0;
	o = iotune_to_json(kind, t, false);
	if (!o || json_object_object_add(dev, "iotune", o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/* libvirt's {average, peak, burst} for bucket @b of @t. */
static struct json_object *bandwidth(const struct iotune *t,
				     enum iotune_bucket b)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "average",
			       json_object_new_int64(
				       (int64_t)(t->rate[b] / KIB)));
	json_object_object_add(o, "peak", json_object_new_int64(0));
	json_object_object_add(o, "burst",
			       json_object_new_int64(
				       (int64_t)(t->burst[b] / KIB)));
	return o;
}

static struct json_object *answer(const struct iotune_op *op,
				  const struct iotune *t)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, op->kind == IOTUNE_DISK ? "disk" : "nic",
			       json_object_new_string(op->name));
	json_object_object_add(o, "limits", iotune_to_json(op->kind, t, true));
	if (op->kind == IOTUNE_NIC) {
		json_object_object_add(o, "inbound",
				       bandwidth(t, IOTUNE_RX_BYTES));
		json_object_object_add(o, "outbound",
				       bandwidth(t, IOTUNE_TX_BYTES));
	}
	return o;
}

static void op_free(struct iotune_op *op)
{
	free(op->name);
	free(op);
}

/*
 * Keep @op->want in the domain's configurations: the running one (and
 * its state.json) and, for a persistent domain, the definition.
 */
static int keep(struct iotune_op *op, struct domain *dom)
{
	struct json_object *copy = NULL, *list = NULL;
	int rc = 0;

	if (dom->run && dom->run->config) {
		rc = config_store(dom->run->config, op->kind, op->index,
				  &op->want);
		if (!rc)
			run_save(dom->run);
	}
	if (rc || !dom->persistent)
		return rc;
	if (json_object_deep_copy(dom->config, &copy, NULL))
		return -ENOMEM;
	rc = config_store(copy, op->kind, op->index, &op->want);
	if (!rc && json_object_object_get_ex(copy, list_name(op->kind), &list))
		rc = registry_set_member(op->k->reg, dom, list_name(op->kind),
					 json_object_get(list));
	json_object_put(copy);
	return rc;
}

/* keel-hv's answer to "iotune": the limits now in force. */
static void on_hv_iotune(struct hv *hv, struct json_object *result, int code,
			 const char *message, void *opaque)
{
	struct iotune_op *op = opaque;
	struct domain *dom = registry_find_uuid(op->k->reg, op->uuid);
	struct json_object *limits;
	struct iotune got = { 0 };
	char err[256];
	int rc;

	if (code) {
		run_answer_error(op->r, code, "keel-hv did not apply the limits: %s",
				 message);
		goto out;
	}
	if (!json_object_object_get_ex(result, "limits", &limits) ||
	    iotune_from_json(op->kind, limits, &got, err, sizeof(err))) {
		run_answer_error(op->r, KEEL_E_OPERATION_FAILED,
				 "keel-hv answered iotune with something other than limits.");
		goto out;
	}
	if (op->change && dom) {
		rc = keep(op, dom);
		if (rc) {
			run_answer_error(op->r, KEEL_E_OPERATION_FAILED,
					 "The limits are in force, but keeld could not keep them in domain %s's configuration: %s.",
					 dom->name, strerror(-rc));
			goto out;
		}
	}
	run_answer(op->r, answer(op, &got));
out:
	op_free(op);
}

/* A whole number param from 0 to @max, in *@out times @unit. */
static bool limit_param(struct json_object *o, const char *key,
			uint64_t unit, uint64_t *out)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, key, &v))
		return true;
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > IOTUNE_VALUE_MAX / unit)
		return false;
	*out = (uint64_t)n * unit;
	return true;
}

/*
 * domiftune's "inbound"/"outbound" @bw into the rx/tx bytes buckets
 * (@rate's): average and burst kept, in KiB; keel's buckets have no
 * peak rate, so a peak is refused rather than dropped.
 */
static struct json_object *apply_bandwidth(const struct jsonrpc_req *req,
					   struct json_object *bw,
					   const char *what,
					   enum iotune_bucket rate,
					   struct iotune *t)
{
	const char *field = *what == 'i' ? "/inbound" : "/outbound";
	struct json_object *v;

	if (json_object_object_get_ex(bw, "peak", &v) &&
	    json_object_get_int64(v) != 0)
		return method_error(req, JSONRPC_INVALID_PARAMS, field,
				    "keel's network limits have no peak rate: give %s's average and burst, with peak 0 or left out.",
				    what);
	if (!limit_param(bw, "average", KIB, &t->rate[rate]) ||
	    !limit_param(bw, "burst", KIB, &t->burst[rate]))
		return method_error(req, JSONRPC_INVALID_PARAMS, field,
				    "%s's average (KiB/s) and burst (KiB) must be whole numbers from 0 (no limit) to %llu.",
				    what,
				    (unsigned long long)(IOTUNE_VALUE_MAX / KIB));
	return NULL;
}

/* The requested changes on top of @t; NULL, or the error response. */
static struct json_object *apply_changes(const struct jsonrpc_req *req,
					 struct json_object *params,
					 enum iotune_kind kind,
					 struct iotune *t, bool *change)
{
	struct json_object *v, *resp;
	char err[300];

	*change = false;
	if (kind == IOTUNE_NIC &&
	    json_object_object_get_ex(params, "inbound", &v)) {
		resp = apply_bandwidth(req, v, "inbound", IOTUNE_RX_BYTES, t);
		if (resp)
			return resp;
		*change = true;
	}
	if (kind == IOTUNE_NIC &&
	    json_object_object_get_ex(params, "outbound", &v)) {
		resp = apply_bandwidth(req, v, "outbound", IOTUNE_TX_BYTES, t);
		if (resp)
			return resp;
		*change = true;
	}
	if (json_object_object_get_ex(params, "limits", &v)) {
		if (iotune_from_json(kind, v, t, err, sizeof(err)))
			return method_error(req, JSONRPC_INVALID_PARAMS,
					    "/limits", "%s", err);
		*change = true;
	}
	return NULL;
}

/* Both methods: find the device, work out the limits, apply or report. */
static struct json_object *iotune_method(struct methods_caller *caller,
					 const struct jsonrpc_req *req,
					 struct json_object *params,
					 enum iotune_kind kind)
{
	const char *member = kind == IOTUNE_DISK ? "disk" : "nic";
	struct json_object *resp = NULL, *config, *id, *o;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);
	struct iotune_op *op;
	long index;
	char device[32];

	if (!dom)
		return resp;
	config = lifecycle_live_config(dom);
	if (!config)
		config = dom->config;
	json_object_object_get_ex(params, member, &id);
	index = find_device(config, kind, id);
	if (index < 0)
		return method_error(req, JSONRPC_INVALID_PARAMS,
				    kind == IOTUNE_DISK ? "/disk" : "/nic",
				    "Domain %s has no %s '%s'; name it by %s, or by its place in the list from 0 (keel blkdeviotune and keel domiftune list them).",
				    dom->name,
				    kind == IOTUNE_DISK ? "disk" :
							  "network interface",
				    json_object_get_string(id),
				    kind == IOTUNE_DISK ? "its vdev or path" :
							  "its MAC address or tap");
	op = calloc(1, sizeof(*op));
	if (!op || !(op->name = strdup(json_object_get_string(id))))
		goto out_enomem;
	op->k = caller->keeld;
	op->kind = kind;
	op->index = (size_t)index;
	memcpy(op->uuid, dom->uuid, sizeof(op->uuid));
	if (config_limits(config_device(config, kind, op->index), kind,
			  &op->want)) {
		op_free(op);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Domain %s's configuration has I/O limits keel cannot read; redefine it.",
				    dom->name);
	}
	resp = apply_changes(req, params, kind, &op->want, &op->change);
	if (resp) {
		op_free(op);
		return resp;
	}
	if (dom->run) {
		if (!dom->run->hv) {
			op_free(op);
			return method_error(req, KEEL_E_INVALID_STATE, NULL,
					    "Domain %s has no hypervisor process any more; try again once it has stopped.",
					    dom->name);
		}
		op->r = server_defer(caller, req);
		if (!op->r)
			goto out_enomem;
		o = json_object_new_object();
		if (!o) {
			run_answer_error(op->r, KEEL_E_RESOURCE,
					 "keeld ran out of memory.");
			op_free(op);
			return jsonrpc_deferred();
		}
		snprintf(device, sizeof(device), "%s%ld",
			 kind == IOTUNE_DISK ? "vblk" : "vnet", index);
		json_object_object_add(o, "device",
				       json_object_new_string(device));
		if (op->change)
			json_object_object_add(o, "limits",
					       iotune_to_json(kind, &op->want,
							      false));
		hv_call(dom->run->hv, HV_CTL_IOTUNE, o, on_hv_iotune, op);
		return jsonrpc_deferred();
	}
	if (op->change && keep(op, dom)) {
		op_free(op);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "keeld could not save domain %s's definition; nothing was changed.",
				    dom->name);
	}
	resp = jsonrpc_result(req->id, answer(op, &op->want));
	op_free(op);
	return resp;

out_enomem:
	if (op)
		op_free(op);
	return method_error(req, KEEL_E_RESOURCE, NULL,
			    "keeld ran out of memory.");
}

struct json_object *domain_blkdeviotune(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params)
{
	return iotune_method(caller, req, params, IOTUNE_DISK);
}

struct json_object *domain_domiftune(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	return iotune_method(caller, req, params, IOTUNE_NIC);
}
