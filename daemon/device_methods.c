// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disks and NICs attached to and detached from a domain (xl's
 * block-attach, block-detach, network-attach and network-detach):
 * domain.block_attach, domain.block_detach, domain.network_attach and
 * domain.network_detach.
 *
 * The configuration's Nth disk is keel-hv's vblkN and its Nth NIC vnetN,
 * at boot and after every change (keel-hv renumbers when a device goes,
 * docs/hypervisor.md, "PCI hot-plug"): an attach appends to the list, a
 * detach takes the entry out. On a running domain keel-hv plugs first
 * and the configuration (the running one, its state file, and the
 * definition of a persistent domain) changes only once it has; a detach
 * asks keel-hv, which asks the guest, and the device leaves the
 * configuration when keel-hv says device-removed, whether or not a
 * client still waits for it then. A domain that is not running only has
 * its definition changed. Every change is checked as a whole new
 * configuration would be (domain_config_check()), so a bad disk or NIC
 * is refused before anything changes.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "device_methods.h"
#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "keel.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "nic.h"
#include "registry.h"
#include "run.h"
#include "server.h"

#define DETACH_TIMEOUT_DEFAULT 30 /* seconds, when the client says none */

/* A disk or a NIC: what differs between the two. */
struct kind {
	const char *list; /* "disks" */
	const char *param; /* "disk" */
	const char *key; /* how a detach finds one again: "vdev", "mac" */
	const char *alt; /* ... or "path", "tap" */
	const char *prefix; /* keel-hv's names: "vblk" */
	const char *opt; /* device-add's member, keel-hv's option: "disk" */
	const char *what; /* "disk", "network interface" */
};

static const struct kind disk_kind = { "disks", "disk", "vdev", "path",
				       "vblk", HV_OPT_DISK, "disk" };
static const struct kind nic_kind = { "nics", "nic", "mac", "tap", "vnet",
				      HV_OPT_NET, "network interface" };

/* An attach or detach waiting for keel-hv (and, for a detach, the guest). */
struct device_op {
	struct keeld *k;
	struct reply *r;
	const struct kind *kind;
	char uuid[DOMAIN_UUID_LEN + 1];
	struct json_object *item; /* the disk or NIC, owned */
	struct json_object *def_item; /* as the definition keeps it, owned */
	struct timeval patience; /* a detach's */
	struct event *timer; /* a detach's patience */
	struct device_op *next; /* detaches waiting for device-removed */
};

/* Detaches waiting for the guest, of every domain of this keeld. */
static struct device_op *waiting;

/*
 * keeld.8, EVENTS: @item of @kind was plugged into (@added) or
 * unplugged from running @dom; the device named as a detach names it,
 * a disk by its vdev, a NIC by its MAC.
 */
static void device_event(struct keeld *k, const struct domain *dom,
			 const struct kind *kind, struct json_object *item,
			 bool added)
{
	struct json_object *params = lifecycle_event_params(
		dom, "device", added ? "device_added" : "device_removed",
		kind->param);
	const char *name = json_member_string(item, kind->key);

	if (params)
		json_object_object_add(params, "device",
				       json_object_new_string(name ? name : ""));
	lifecycle_broadcast(k, params);
}

static void op_free(struct device_op *op)
{
	if (!op)
		return;
	if (op->timer)
		event_free(op->timer);
	json_object_put(op->item);
	json_object_put(op->def_item);
	free(op);
}

static void op_unlink(struct device_op *op)
{
	for (struct device_op **pp = &waiting; *pp; pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			return;
		}
	}
}

/* The configuration @dom runs with, else the one it is defined with. */
static struct json_object *current_config(const struct domain *dom)
{
	return dom->run ? dom->run->config : dom->config;
}

static struct json_object *config_list(struct json_object *config,
				       const struct kind *kind)
{
	struct json_object *list;

	return json_object_object_get_ex(config, kind->list, &list) &&
			       json_object_is_type(list, json_type_array) ?
		       list :
		       NULL;
}

/* Do @a and @b name the same device by @kind's key or, failing that, alt? */
static bool same_device(const struct kind *kind, struct json_object *a,
			struct json_object *b)
{
	const char *ka = json_member_string(a, kind->key);
	const char *kb = json_member_string(b, kind->key);
	const char *aa = json_member_string(a, kind->alt);
	const char *ab = json_member_string(b, kind->alt);

	if (ka && kb)
		return !strcasecmp(ka, kb);
	return aa && ab && !strcmp(aa, ab);
}

/*
 * Which entry of @config's list @id names: its index from 0, its key
 * (vdev, MAC; any case) or its alt (path, tap). -1 if none.
 */
static long find_device(struct json_object *config, const struct kind *kind,
			struct json_object *id)
{
	struct json_object *list = config_list(config, kind);
	size_t n = list ? json_object_array_length(list) : 0;
	const char *s = json_object_get_string(id);

	if (json_object_is_type(id, json_type_int)) {
		int64_t i = json_object_get_int64(id);

		return i >= 0 && (size_t)i < n ? (long)i : -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(list, i);
		const char *a = json_member_string(d, kind->key);
		const char *b = json_member_string(d, kind->alt);

		if ((a && !strcasecmp(a, s)) || (b && !strcmp(b, s)))
			return (long)i;
	}
	return -1;
}

/*
 * @config's list with @item appended (@item borrowed) or, if @item is
 * NULL, without the entry that is the same device as @gone, or if none
 * is (a NIC the definition gives no MAC or tap), without entry
 * @gone_index: a new array, or NULL if out of memory.
 */
static struct json_object *list_changed(struct json_object *config,
					const struct kind *kind,
					struct json_object *item,
					struct json_object *gone,
					long gone_index)
{
	struct json_object *list = config_list(config, kind);
	size_t n = list ? json_object_array_length(list) : 0;
	struct json_object *out = json_object_new_array();
	long drop = -1;

	if (!out)
		return NULL;
	for (size_t i = 0; gone && i < n && drop < 0; i++)
		if (same_device(kind, json_object_array_get_idx(list, i),
				gone))
			drop = (long)i;
	if (gone && drop < 0)
		drop = gone_index;
	for (size_t i = 0; i < n; i++)
		if ((long)i != drop)
			json_object_array_add(out, json_object_get(
				json_object_array_get_idx(list, i)));
	if (item)
		json_object_array_add(out, json_object_get(item));
	return out;
}

/*
 * Put the change in @dom's running configuration (and state file) and,
 * for a persistent domain, in its definition: @item appended (@def_item
 * to the definition: the NIC as the user gave it, without the tap keeld
 * named for this run), or the entry that is @gone's device (entry
 * @gone_index of the running configuration) taken out. Returns 0 or
 * -errno (the definition could not be written; the registry logged
 * why).
 */
static int keep(struct keeld *k, struct domain *dom, const struct kind *kind,
		struct json_object *item, struct json_object *def_item,
		struct json_object *gone, long gone_index)
{
	struct json_object *list;

	if (dom->run && dom->run->config) {
		list = list_changed(dom->run->config, kind, item, gone,
				    gone_index);
		if (!list)
			return -ENOMEM;
		json_object_object_add(dom->run->config, kind->list, list);
		run_save(dom->run);
	}
	if (!dom->persistent)
		return 0;
	list = list_changed(dom->config, kind, def_item, gone, gone_index);
	if (!list)
		return -ENOMEM;
	return registry_set_member(k->reg, dom, kind->list, list);
}

/* {"disk": {...}} or {"nic": {...}}: the answer of all four. */
static struct json_object *op_result(const struct kind *kind,
				     struct json_object *item, bool attached)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, kind->param, json_object_get(item));
	json_object_object_add(o, attached ? "attached" : "detached",
			       json_object_new_boolean(1));
	return o;
}

/* keel-hv's words for @item: "PATH[,ro]" or "tap=NAME,mac=MAC". */
static int hv_spec(const struct kind *kind, struct json_object *item,
		   char *buf, size_t size)
{
	struct json_object *v;
	bool ro;
	int n;

	if (kind == &disk_kind) {
		ro = json_object_object_get_ex(item, "readonly", &v) &&
		     json_object_get_boolean(v);
		n = snprintf(buf, size, "%s%s",
			     json_member_string(item, "path"), ro ? ",ro" : "");
	} else {
		n = snprintf(buf, size, "tap=%s,mac=%s",
			     json_member_string(item, "tap"),
			     json_member_string(item, "mac"));
	}
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* keel-hv answered device-add. */
static void on_device_add(struct hv *hv, struct json_object *result, int code,
			  const char *message, void *opaque)
{
	struct device_op *op = opaque;
	struct domain *dom = registry_find_uuid(op->k->reg, op->uuid);
	struct json_object *res, *one;
	char why[320] = "";
	int rc;

	(void)hv;
	if (code) {
		run_answer_error(op->r, code, "keel-hv did not attach the %s: %s",
				 op->kind->what, message);
		goto out;
	}
	if (!dom) {
		run_answer_error(op->r, KEEL_E_NO_DOMAIN,
				 "The domain went away while the %s was attached.",
				 op->kind->what);
		goto out;
	}
	if (op->kind == &nic_kind) {
		/* xl's vif-bridge: the tap joins its bridge once it exists. */
		one = json_object_new_object();
		if (one) {
			json_object_object_add(one, "nics",
					       json_object_new_array());
			json_object_array_add(config_list(one, &nic_kind),
					      json_object_get(op->item));
			if (!nic_attach_bridges(one, why, sizeof(why)))
				why[0] = 0;
			json_object_put(one);
		}
	}
	rc = keep(op->k, dom, op->kind, op->item, op->def_item, NULL, -1);
	if (rc) {
		run_answer_error(op->r, KEEL_E_OPERATION_FAILED,
				 "The %s is attached to domain %s, but keeld could not keep it in the domain's configuration: %s.",
				 op->kind->what, dom->name, strerror(-rc));
		goto out;
	}
	log_info("Domain %s: %s %s attached as %s.", dom->name, op->kind->what,
		 json_member_string(op->item, op->kind->alt),
		 json_member_string(result, "device"));
	device_event(op->k, dom, op->kind, op->item, true);
	/* The guest has it and so does the configuration: say what failed. */
	if (why[0]) {
		run_answer_error(op->r, KEEL_E_OPERATION_FAILED,
				 "The network interface is attached to domain %s, but keeld %s.",
				 dom->name, why);
		goto out;
	}
	res = op_result(op->kind, op->item, true);
	if (res)
		run_answer(op->r, res);
	else
		run_answer_error(op->r, KEEL_E_RESOURCE, "keeld ran out of memory.");
out:
	op_free(op);
}

/*
 * A NIC attached to running @dom: a MAC as keeld picks them at start
 * (nic_assign()) if it has none, and without a tap, keelID.M as at
 * start, M the lowest number no NIC of the domain uses (a detach can
 * leave keelID.2 as the second NIC, so the place will not do). Returns
 * 0 or -ENOMEM.
 */
static int nic_fill(struct domain *dom, struct json_object *nic,
		    const char *bridge)
{
	struct json_object *one = json_object_new_object();
	struct json_object *list = config_list(current_config(dom), &nic_kind);
	bool had_tap = json_member_string(nic, "tap") != NULL;
	char name[32];

	if (!one)
		return -ENOMEM;
	json_object_object_add(one, "nics", json_object_new_array());
	json_object_array_add(config_list(one, &nic_kind),
			      json_object_get(nic));
	nic_assign(one, dom->id);
	/* An empty vif joins keeld.conf's default bridge, as at start. */
	nic_default_bridge(one, bridge);
	json_object_put(one);
	if (had_tap)
		return 0;
	for (unsigned m = 0; m < 100; m++) {
		bool used = false;

		snprintf(name, sizeof(name), "keel%d.%u", dom->id % 100000000,
			 m);
		for (size_t i = 0; list && i < json_object_array_length(list);
		     i++) {
			const char *t = json_member_string(
				json_object_array_get_idx(list, i), "tap");

			used |= t && !strcmp(t, name);
		}
		if (!used)
			break;
	}
	json_object_object_add(nic, "tap", json_object_new_string(name));
	return 0;
}

/* block_attach and network_attach. */
static struct json_object *attach(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params,
				  const struct kind *kind)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *item, *def_item = NULL;
	struct json_object *config = NULL, *p, *res;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	struct device_op *op;
	char spec[4200];
	int rc;

	if (!dom)
		return resp;
	if (dom->run && !dom->run->hv)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is stopping; attach the %s once it has stopped or started again.",
				    dom->name, kind->what);
	if (!dom->run && !dom->persistent)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is not running.", dom->name);
	json_object_object_get_ex(params, kind->param, &p);
	item = NULL;
	if (json_object_deep_copy(p, &item, NULL) ||
	    json_object_deep_copy(p, &def_item, NULL) ||
	    (dom->run && kind == &nic_kind &&
	     nic_fill(dom, item, k->conf.default_bridge))) {
		json_object_put(item);
		json_object_put(def_item);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	/* The definition keeps the MAC keeld chose: the guest's stays. */
	if (kind == &nic_kind && json_member_string(item, "mac"))
		json_object_object_add(
			def_item, "mac",
			json_object_new_string(json_member_string(item, "mac")));
	/* The configuration it would make, checked as a whole. */
	if (json_object_deep_copy(current_config(dom), &config, NULL)) {
		json_object_put(item);
		json_object_put(def_item);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	json_object_object_add(config, kind->list,
			       list_changed(config, kind, item, NULL, -1));
	resp = domain_config_check(k, req, config);
	json_object_put(config);
	if (resp) {
		json_object_put(item);
		json_object_put(def_item);
		return resp;
	}
	if (!dom->run) {
		/* Defined, not running: tap and MAC are chosen at start. */
		rc = keep(k, dom, kind, item, def_item, NULL, -1);
		res = rc ? NULL : op_result(kind, item, true);
		json_object_put(item);
		json_object_put(def_item);
		if (rc)
			return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
					    "The definition of domain %s could not be saved; keeld's log says why.",
					    dom->name);
		return res ? jsonrpc_result(req->id, res) : NULL;
	}
	if (hv_spec(kind, item, spec, sizeof(spec))) {
		json_object_put(item);
		json_object_put(def_item);
		return method_error(req, JSONRPC_INVALID_PARAMS, NULL,
				    "The %s's path is too long.", kind->what);
	}
	op = calloc(1, sizeof(*op));
	p = json_object_new_object();
	if (!op || !p) {
		free(op);
		json_object_put(p);
		json_object_put(item);
		json_object_put(def_item);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	op->k = k;
	op->kind = kind;
	op->item = item;
	op->def_item = def_item;
	memcpy(op->uuid, dom->uuid, sizeof(op->uuid));
	op->r = server_defer(caller, req);
	if (!op->r) {
		op_free(op);
		json_object_put(p);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	json_object_object_add(p, kind->opt, json_object_new_string(spec));
	hv_call(dom->run->hv, HV_CTL_DEVICE_ADD, p, on_device_add, op);
	return jsonrpc_deferred();
}

struct json_object *domain_block_attach(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params)
{
	return attach(caller, req, params, &disk_kind);
}

struct json_object *domain_network_attach(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params)
{
	return attach(caller, req, params, &nic_kind);
}

/* The guest did not let go in time: the request stands, the client goes. */
static void on_detach_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct device_op *op = arg;

	op_unlink(op);
	run_answer_error(op->r, KEEL_E_TIMEOUT,
			 "The guest has not released the %s %s yet; it leaves the domain's configuration when the guest does.",
			 op->kind->what,
			 json_member_string(op->item, op->kind->key) ?
				 json_member_string(op->item, op->kind->key) :
				 json_member_string(op->item, op->kind->alt));
	op_free(op);
}

/* keel-hv answered device-del: now the guest's turn. */
static void on_device_del(struct hv *hv, struct json_object *result, int code,
			  const char *message, void *opaque)
{
	struct device_op *op = opaque;

	(void)hv;
	(void)result;
	if (code) {
		run_answer_error(op->r, code, "keel-hv did not detach the %s: %s",
				 op->kind->what, message);
		op_free(op);
		return;
	}
	/* keel-hv answers before any eject: device-removed comes after. */
	evtimer_add(op->timer, &op->patience);
	op->next = waiting;
	waiting = op;
}

/* block_detach and network_detach. */
static struct json_object *detach(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params,
				  const struct kind *kind)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *id, *v, *item, *p, *res;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	struct timeval tv = { DETACH_TIMEOUT_DEFAULT, 0 };
	struct device_op *op;
	char field[16];
	char name[32];
	long i;
	int rc;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, kind->param, &id);
	if (json_object_object_get_ex(params, "timeout", &v))
		tv.tv_sec = (time_t)json_object_get_int64(v);
	i = find_device(current_config(dom), kind, id);
	snprintf(field, sizeof(field), "/%s", kind->param);
	if (i < 0)
		return method_error(req, JSONRPC_INVALID_PARAMS, field,
				    "Domain %s has no %s %s.", dom->name,
				    kind->what, json_object_get_string(id));
	item = json_object_get(json_object_array_get_idx(
		config_list(current_config(dom), kind), (size_t)i));
	if (!dom->run) {
		rc = keep(k, dom, kind, NULL, NULL, item, i);
		res = rc ? NULL : op_result(kind, item, false);
		json_object_put(item);
		if (rc)
			return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
					    "The definition of domain %s could not be saved; keeld's log says why.",
					    dom->name);
		return res ? jsonrpc_result(req->id, res) : NULL;
	}
	if (!dom->run->hv) {
		json_object_put(item);
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is stopping; detach the %s once it has stopped or started again.",
				    dom->name, kind->what);
	}
	op = calloc(1, sizeof(*op));
	p = json_object_new_object();
	if (op) {
		op->k = k;
		op->kind = kind;
		op->item = item;
		item = NULL;
		op->patience = tv;
		memcpy(op->uuid, dom->uuid, sizeof(op->uuid));
		op->timer = evtimer_new(k->base, on_detach_timeout, op);
	}
	if (!op || !p || !op->timer ||
	    !(op->r = server_defer(caller, req))) {
		op_free(op);
		json_object_put(p);
		json_object_put(item);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	snprintf(name, sizeof(name), "%s%ld", kind->prefix, i);
	json_object_object_add(p, "device", json_object_new_string(name));
	hv_call(dom->run->hv, HV_CTL_DEVICE_DEL, p, on_device_del, op);
	return jsonrpc_deferred();
}

struct json_object *domain_block_detach(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params)
{
	return detach(caller, req, params, &disk_kind);
}

struct json_object *domain_network_detach(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params)
{
	return detach(caller, req, params, &nic_kind);
}

void device_notified(struct domain_run *run, const char *method,
		     struct json_object *params)
{
	const char *id = json_member_string(params, "device");
	const struct kind *kind;
	struct json_object *list, *item;
	struct domain *dom = run->dom;
	char *end;
	unsigned long n;

	if (strcmp(method, HV_CTL_DEVICE_REMOVED) || !id || !run->config)
		return;
	if (!strncmp(id, disk_kind.prefix, 4))
		kind = &disk_kind;
	else if (!strncmp(id, nic_kind.prefix, 4))
		kind = &nic_kind;
	else
		return;
	n = strtoul(id + 4, &end, 10);
	list = config_list(run->config, kind);
	if (*end || !list || n >= json_object_array_length(list)) {
		log_warn("Domain %s: keel-hv removed %s, which its configuration does not have.",
			 dom->name, id);
		return;
	}
	item = json_object_get(json_object_array_get_idx(list, n));
	if (keep(run->k, dom, kind, NULL, NULL, item, (long)n))
		log_err("Domain %s: the %s %s is gone, but its definition could not be saved.",
			dom->name, kind->what,
			json_member_string(item, kind->alt));
	log_info("Domain %s: %s %s detached.", dom->name, kind->what,
		 json_member_string(item, kind->alt));
	device_event(run->k, dom, kind, item, false);
	for (struct device_op *op = waiting, *next; op; op = next) {
		struct json_object *res;

		next = op->next;
		if (op->kind != kind || strcmp(op->uuid, dom->uuid) ||
		    !same_device(kind, op->item, item))
			continue;
		op_unlink(op);
		res = op_result(kind, op->item, false);
		if (res)
			run_answer(op->r, res);
		else
			run_answer_error(op->r, KEEL_E_RESOURCE,
					 "keeld ran out of memory.");
		op_free(op);
	}
	json_object_put(item);
}
