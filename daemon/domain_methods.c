// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain.* methods that manage definitions: list, info, define,
 * undefine, rename (of a running domain too), autostart. Their params have passed the OpenRPC
 * schema already; what is checked here is what a schema cannot say
 * (uniqueness, memory <= maxmem, which domain is meant).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers.h"
#include "jschema.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "pinning.h"
#include "registry.h"
#include "run.h"

/*
 * The domain @params name by "name" or by "uuid" (exactly one). Returns
 * it, or NULL with *@resp set to the error response.
 */
struct domain *domain_lookup(struct keeld *k,
				    const struct jsonrpc_req *req,
				    struct json_object *params,
				    struct json_object **resp)
{
	struct json_object *name = NULL, *uuid = NULL;
	struct domain *dom;

	json_object_object_get_ex(params, "name", &name);
	json_object_object_get_ex(params, "uuid", &uuid);
	if (!name == !uuid) {
		*resp = method_error(req, JSONRPC_INVALID_PARAMS,
				     name ? "/uuid" : "/name",
				     name ? "Name the domain by \"name\" or by \"uuid\", not both." :
					    "Name the domain: give its \"name\" or its \"uuid\".");
		return NULL;
	}
	if (name) {
		dom = registry_find_name(k->reg, json_object_get_string(name));
		if (!dom)
			*resp = method_error(req, KEEL_E_NO_DOMAIN, "/name",
					     "No domain is named \"%s\".",
					     json_object_get_string(name));
	} else {
		dom = registry_find_uuid(k->reg, json_object_get_string(uuid));
		if (!dom)
			*resp = method_error(req, KEEL_E_NO_DOMAIN, "/uuid",
					     "No domain has the uuid %s.",
					     json_object_get_string(uuid));
	}
	return dom;
}

struct json_object *domain_list(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *list = json_object_new_array(), *v;
	bool with_config = json_object_object_get_ex(params, "config", &v) &&
			   json_object_get_boolean(v);

	if (!list)
		return NULL;
	for (struct domain *d = registry_first(k->reg); d; d = d->next) {
		struct json_object *o = domain_summary(d);
		struct json_object *live = lifecycle_live_config(d);

		if (o && with_config)
			json_object_object_add(o, "config",
					       json_object_get(live ? live :
								      d->config));
		json_object_array_add(list, o);
	}
	return jsonrpc_result(req->id, list);
}

struct json_object *domain_info(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *o;
	struct domain *dom = domain_lookup(k, req, params, &resp);

	if (!dom)
		return resp;
	o = domain_summary(dom);
	if (!o)
		return NULL;
	/* What it runs with while it runs, as users of a running VM ask. */
	json_object_object_add(o, "config",
			       json_object_get(lifecycle_live_config(dom) ?
						       lifecycle_live_config(dom) :
						       dom->config));
	return jsonrpc_result(req->id, o);
}

static bool int_member(struct json_object *o, const char *key, int64_t *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(o, key, &m))
		return false;
	*v = json_object_get_int64(m);
	return true;
}

/*
 * The error for the first item of @config's array @list whose string
 * member @key repeats an earlier one (case-insensitively), or NULL.
 */
static struct json_object *check_unique(const struct jsonrpc_req *req,
					struct json_object *config,
					const char *list, const char *key,
					const char *what)
{
	struct json_object *items;
	size_t n;

	if (!json_object_object_get_ex(config, list, &items))
		return NULL;
	n = json_object_array_length(items);
	for (size_t i = 1; i < n; i++) {
		const char *s = json_member_string(
			json_object_array_get_idx(items, i), key);

		for (size_t j = 0; s && j < i; j++) {
			const char *t = json_member_string(
				json_object_array_get_idx(items, j), key);
			char field[64];

			if (!t || strcasecmp(s, t))
				continue;
			snprintf(field, sizeof(field), "/config/%s/%zu/%s",
				 list, i, key);
			return method_error(req, JSONRPC_INVALID_PARAMS, field,
					    "%s %s is given twice (%s %zu and %zu); each must be unique.",
					    what, s, list, j, i);
		}
	}
	return NULL;
}

/* A multicast MAC (the first byte odd) is no address for a NIC. */
static struct json_object *check_macs(const struct jsonrpc_req *req,
				      struct json_object *config)
{
	struct json_object *nics;

	if (!json_object_object_get_ex(config, "nics", &nics))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(nics); i++) {
		const char *mac = json_member_string(
			json_object_array_get_idx(nics, i), "mac");
		char field[64];

		if (!mac || !(strtoul(mac, NULL, 16) & 1))
			continue;
		snprintf(field, sizeof(field), "/config/nics/%zu/mac", i);
		return method_error(req, JSONRPC_INVALID_PARAMS, field,
				    "The MAC address %s is a multicast address (its first byte is odd); a NIC needs a unicast one.",
				    mac);
	}
	return NULL;
}

/* cpus against this host's CPUs (pinning.h). */
static struct json_object *check_pinning(const struct jsonrpc_req *req,
					 struct json_object *config)
{
	char err[PINNING_ERR_MAX], field[PINNING_FIELD_MAX + 8];

	if (!pinning_check(config, err, field + 7))
		return NULL;
	memcpy(field, "/config", 7);
	return method_error(req, JSONRPC_INVALID_PARAMS, field, "%s", err);
}

/* Checks across members, which the schema cannot express. */
static struct json_object *config_check(const struct jsonrpc_req *req,
					struct json_object *config)
{
	struct json_object *resp;
	int64_t a, b;

	if ((resp = check_unique(req, config, "disks", "vdev", "The disk")) ||
	    (resp = check_unique(req, config, "nics", "mac",
				 "The MAC address")) ||
	    (resp = check_unique(req, config, "nics", "tap",
				 "The tap device")) ||
	    (resp = check_macs(req, config)))
		return resp;

	if ((resp = check_pinning(req, config)))
		return resp;
	if (int_member(config, "memory", &a) &&
	    int_member(config, "maxmem", &b) && b < a)
		return method_error(req, JSONRPC_INVALID_PARAMS,
				    "/config/maxmem",
				    "maxmem (%lld MiB) must be at least memory (%lld MiB).",
				    (long long)b, (long long)a);
	if (int_member(config, "vcpus", &a) &&
	    int_member(config, "maxvcpus", &b) && b < a)
		return method_error(req, JSONRPC_INVALID_PARAMS,
				    "/config/maxvcpus",
				    "maxvcpus (%lld) must be at least vcpus (%lld).",
				    (long long)b, (long long)a);
	/* A cap above 100 per vCPU could never bind (xl refuses it too). */
	if (!int_member(config, "vcpus", &a))
		a = 1;
	if (int_member(config, "cap", &b) && b > 100 * a)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/config/cap",
				    "The cap %lld%% is more than %lld vCPU%s can use (at most 100 per vCPU; 0 for no cap).",
				    (long long)b, (long long)a, a == 1 ? "" : "s");
	return NULL;
}

struct json_object *domain_config_check(struct keeld *k,
					const struct jsonrpc_req *req,
					struct json_object *config)
{
	char *err_path = NULL, *err_msg = NULL;
	struct json_object *resp;
	int rc;

	rc = jschema_validate(methods_config_schema(k->methods), config,
			      &err_path, &err_msg);
	if (rc == -EINVAL) {
		char field_buf[512];

		snprintf(field_buf, sizeof(field_buf), "/config%s", err_path);
		resp = method_error(req, JSONRPC_INVALID_PARAMS, field_buf,
				    "The domain configuration's %s %s.",
				    *err_path ? err_path : "value", err_msg);
		free(err_path);
		free(err_msg);
		return resp;
	}
	if (rc)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	return config_check(req, config);
}

struct json_object *domain_exists_error(const struct jsonrpc_req *req,
					struct json_object *config,
					const char *field)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(config, field + 1, &v);
	return method_error(req, KEEL_E_DOMAIN_EXISTS,
			    !strcmp(field, "/name") ? "/config/name" :
						      "/config/uuid",
			    "A domain with the %s \"%s\" already exists; choose another or undefine it first.",
			    field + 1, json_object_get_string(v));
}

struct json_object *domain_define(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *config, *copy = NULL, *resp;
	const char *field = NULL;
	struct domain *dom;
	int rc;

	json_object_object_get_ex(params, "config", &config);
	resp = domain_config_check(k, req, config);
	if (resp)
		return resp;
	/* The registry keeps and edits its own copy, not the request's. */
	if (json_object_deep_copy(config, &copy, NULL))
		return NULL;
	rc = registry_define(k->reg, copy, &dom, &field);
	if (rc == -EEXIST)
		return domain_exists_error(req, config, field);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition could not be saved: %s.",
				    strerror(-rc));
	lifecycle_emit(k, dom, "defined", "added");
	return jsonrpc_result(req->id, domain_summary(dom));
}

struct json_object *domain_undefine(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	int rc;

	if (!dom)
		return resp;
	if (!dom->persistent)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is transient: it has no definition to remove.",
				    dom->name);
	/*
	 * The definition goes first; the event only once that is done. A
	 * running domain stays, as a transient one (as in libvirt).
	 */
	rc = registry_make_transient(k->reg, dom);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition could not be removed: %s.",
				    strerror(-rc));
	lifecycle_emit(k, dom, "undefined", "removed");
	if (!dom->run) {
		lifecycle_cancel_restart(dom);
		registry_forget(k->reg, dom);
	}
	return jsonrpc_result(req->id, json_object_new_object());
}

/*
 * Give @dom's run, if it has one, the name @name in its running
 * configuration and its state file. Returns 0 or -errno (nothing
 * changed then). keel-hv keeps the name it was started with for its
 * own log lines until the next start.
 */
static int rename_run(struct domain *dom, const char *name)
{
	struct domain_run *run = dom->run;
	struct json_object *old = NULL, *v;
	int rc;

	if (!run || !run->config)
		return 0;
	if (json_object_object_get_ex(run->config, "name", &v))
		old = json_object_get(v);
	json_object_object_add(run->config, "name",
			       json_object_new_string(name));
	rc = run_save(run);
	if (rc && old)
		json_object_object_add(run->config, "name",
				       json_object_get(old));
	json_object_put(old);
	return rc;
}

struct json_object *domain_rename(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	const char *new_name;
	char *old_name;
	int rc;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, "new_name", &v);
	new_name = json_object_get_string(v);
	if (registry_find_name(k->reg, new_name) &&
	    registry_find_name(k->reg, new_name) != dom)
		return method_error(req, KEEL_E_DOMAIN_EXISTS, "/new_name",
				    "A domain named \"%s\" already exists.",
				    new_name);
	/*
	 * A running domain too, as xl allows: its running configuration
	 * and state file first, so that a keeld restarted at any point
	 * finds the name the definition has or the one it had.
	 */
	rc = rename_run(dom, new_name);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The running domain's state could not be saved: %s.",
				    strerror(-rc));
	old_name = strdup(dom->name);
	rc = old_name ? registry_rename(k->reg, dom, new_name) : -ENOMEM;
	if (rc && old_name)
		rename_run(dom, old_name);
	free(old_name);
	if (rc == -EEXIST)
		return method_error(req, KEEL_E_DOMAIN_EXISTS, "/new_name",
				    "A domain named \"%s\" already exists.",
				    new_name);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition could not be saved: %s.",
				    strerror(-rc));
	lifecycle_emit(k, dom, "defined", "renamed");
	return jsonrpc_result(req->id, domain_summary(dom));
}

struct json_object *domain_autostart(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	int rc;

	if (!dom)
		return resp;
	if (!dom->persistent)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is transient; define it to have it start with keeld.",
				    dom->name);
	json_object_object_get_ex(params, "enabled", &v);
	rc = registry_set_autostart(k->reg, dom, json_object_get_boolean(v));
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition could not be saved: %s.",
				    strerror(-rc));
	return jsonrpc_result(req->id, domain_summary(dom));
}

/*
 * xl config-update: the configuration @dom starts with next time (its
 * next start, or the restart of a reboot), replaced whole; the running
 * guest does not change. The new one must keep the domain's name (that
 * is rename's) and uuid, and passes every check a define does.
 */
struct json_object *domain_config_update(struct methods_caller *caller,
					 const struct jsonrpc_req *req,
					 struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *config, *members;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	const char *name, *uuid;
	int rc;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, "config", &config);
	name = json_member_string(config, "name");
	uuid = json_member_string(config, "uuid");
	if (name && strcmp(name, dom->name))
		return method_error(req, JSONRPC_INVALID_PARAMS, "/config/name",
				    "The configuration names the domain \"%s\", not %s; rename the domain first if that is meant.",
				    name, dom->name);
	if (uuid && strcasecmp(uuid, dom->uuid))
		return method_error(req, JSONRPC_INVALID_PARAMS, "/config/uuid",
				    "The configuration's uuid %s is not domain %s's (%s); a domain keeps its uuid.",
				    uuid, dom->name, dom->uuid);
	resp = domain_config_check(k, req, config);
	if (resp)
		return resp;
	/* Every member of the new one, and null for each one it drops. */
	members = json_object_new_object();
	if (!members)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	json_object_object_foreach(dom->config, key, old) {
		(void)old;
		if (strcmp(key, "name") && strcmp(key, "uuid") &&
		    !json_object_object_get_ex(config, key, NULL))
			json_object_object_add(members, key, NULL);
	}
	json_object_object_foreach(config, key2, value) {
		struct json_object *copy = NULL;

		if (!strcmp(key2, "name") || !strcmp(key2, "uuid"))
			continue;
		if (json_object_deep_copy(value, &copy, NULL)) {
			json_object_put(members);
			return method_error(req, KEEL_E_RESOURCE, NULL,
					    "keeld ran out of memory.");
		}
		json_object_object_add(members, key2, copy);
	}
	rc = registry_set_members(k->reg, dom, members);
	json_object_put(members);
	if (rc)
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The definition could not be saved: %s.",
				    strerror(-rc));
	log_info("Domain %s: its configuration for the next start was replaced.",
		 dom->name);
	lifecycle_emit(k, dom, "defined", "updated");
	return jsonrpc_result(req->id, domain_summary(dom));
}
