// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's one method table, and the checks every request passes before
 * its handler runs: the method exists, the socket allows it, and its
 * params match schemas/keel.openrpc.json. The table and the schema must
 * agree method for method, or keeld does not start (STYLE.md, "One
 * table per surface").
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "jschema.h"
#include "keeld.h"
#include "log.h"
#include "methods.h"
#include "registry.h"

enum method_access {
	METHOD_READ_ONLY,
	METHOD_READ_WRITE,
};

static const struct method {
	const char *name;
	method_fn handler;
	enum method_access access;
} method_table[] = {
	{ "host.info", host_info, METHOD_READ_ONLY },
	{ "domain.list", domain_list, METHOD_READ_ONLY },
	{ "domain.info", domain_info, METHOD_READ_ONLY },
	{ "domain.define", domain_define, METHOD_READ_WRITE },
	{ "domain.undefine", domain_undefine, METHOD_READ_WRITE },
	{ "domain.rename", domain_rename, METHOD_READ_WRITE },
	{ "domain.autostart", domain_autostart, METHOD_READ_WRITE },
	{ "domain.config", domain_config, METHOD_READ_ONLY },
	{ "domain.create", domain_create, METHOD_READ_WRITE },
	{ "domain.start", domain_start, METHOD_READ_WRITE },
	{ "domain.pause", domain_pause, METHOD_READ_WRITE },
	{ "domain.unpause", domain_unpause, METHOD_READ_WRITE },
	{ "domain.shutdown", domain_shutdown, METHOD_READ_WRITE },
	{ "domain.reboot", domain_reboot, METHOD_READ_WRITE },
	{ "domain.destroy", domain_destroy, METHOD_READ_WRITE },
	{ "domain.trigger", domain_trigger, METHOD_READ_WRITE },
	{ "domain.sysrq", domain_sysrq, METHOD_READ_WRITE },
	{ "domain.button_press", domain_button_press, METHOD_READ_WRITE },
	{ "domain.dump_core", domain_dump_core, METHOD_READ_WRITE },
	{ "domain.save", domain_save, METHOD_READ_WRITE },
	{ "domain.restore", domain_restore, METHOD_READ_WRITE },
	{ "domain.stats", domain_stats, METHOD_READ_ONLY },
	{ "domain.stats_all", domain_stats_all, METHOD_READ_ONLY },
	{ "events.subscribe", events_subscribe, METHOD_READ_ONLY },
	{ "domain.open_console", domain_open_console, METHOD_READ_ONLY },
	{ "domain.set_memory", domain_set_memory, METHOD_READ_WRITE },
	{ "domain.set_maxmem", domain_set_maxmem, METHOD_READ_WRITE },
	{ "domain.blkdeviotune", domain_blkdeviotune, METHOD_READ_WRITE },
	{ "domain.domiftune", domain_domiftune, METHOD_READ_WRITE },
	{ "domain.vcpu_pin", domain_vcpu_pin, METHOD_READ_WRITE },
	{ "domain.vcpu_list", domain_vcpu_list, METHOD_READ_ONLY },
	{ "domain.get_sched", domain_get_sched, METHOD_READ_ONLY },
	{ "domain.set_sched", domain_set_sched, METHOD_READ_WRITE },
	{ "domain.set_vcpus", domain_set_vcpus, METHOD_READ_WRITE },
	{ "domain.block_attach", domain_block_attach, METHOD_READ_WRITE },
	{ "domain.block_detach", domain_block_detach, METHOD_READ_WRITE },
	{ "domain.network_attach", domain_network_attach, METHOD_READ_WRITE },
	{ "domain.network_detach", domain_network_detach, METHOD_READ_WRITE },
	{ "host.dmesg", host_dmesg, METHOD_READ_ONLY },
	{ "host.dmesg_clear", host_dmesg_clear, METHOD_READ_WRITE },
	{ "domain.config_update", domain_config_update, METHOD_READ_WRITE },
	{ "domain.migrate", domain_migrate, METHOD_READ_WRITE },
	{ "domain.migrate_cancel", domain_migrate_cancel, METHOD_READ_WRITE },
	{ "domain.migrate_set", domain_migrate_set, METHOD_READ_WRITE },
	{ "migration.prepare", migration_prepare, METHOD_READ_WRITE },
	{ "migration.finish", migration_finish, METHOD_READ_WRITE },
	{ "migration.abort", migration_abort, METHOD_READ_WRITE },
	{ "migration.status", migration_status, METHOD_READ_WRITE },
};

#define NR_METHODS (sizeof(method_table) / sizeof(method_table[0]))

struct methods {
	/* params schema of method_table[i]; compiled from the OpenRPC doc */
	struct jschema *params[NR_METHODS];
	struct jschema *config;
};

static const char *access_name(enum method_access access)
{
	return access == METHOD_READ_ONLY ? "read-only" : "read-write";
}

const struct jschema *methods_config_schema(const struct methods *m)
{
	return m->config;
}

void methods_free(struct methods *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < NR_METHODS; i++)
		jschema_free(m->params[i]);
	jschema_free(m->config);
	free(m);
}

/* The index of @name in the OpenRPC "methods" array, or -1. */
static int doc_find_method(struct json_object *list, const char *name)
{
	size_t n = json_object_array_length(list);

	for (size_t i = 0; i < n; i++) {
		const char *s = json_member_string(
			json_object_array_get_idx(list, i), "name");

		if (s && !strcmp(s, name))
			return (int)i;
	}
	return -1;
}

static const struct method *table_find(const char *name)
{
	for (size_t i = 0; i < NR_METHODS; i++)
		if (!strcmp(method_table[i].name, name))
			return &method_table[i];
	return NULL;
}

/*
 * OpenRPC lists by-name params one by one; keeld receives them as one
 * object. Build that object's schema, referring back to each param's
 * own schema, so that jschema reports paths such as "/config/name".
 */
static struct json_object *params_schema(struct json_object *doc,
					 struct json_object *method,
					 int index, const char *name)
{
	struct json_object *params, *schema, *props, *required;
	size_t n;

	if (!json_object_object_get_ex(method, "params", &params) ||
	    !json_object_is_type(params, json_type_array)) {
		log_err("The schema's method %s has no \"params\" array.",
			name);
		return NULL;
	}
	schema = json_object_new_object();
	props = json_object_new_object();
	required = json_object_new_array();
	json_object_object_add(schema, "type", json_object_new_string("object"));
	json_object_object_add(schema, "additionalProperties",
			       json_object_new_boolean(0));
	json_object_object_add(schema, "properties", props);
	json_object_object_add(schema, "required", required);
	n = json_object_array_length(params);
	for (size_t j = 0; j < n; j++) {
		struct json_object *p = json_object_array_get_idx(params, j);
		struct json_object *ref, *req;
		const char *pname, *target = json_member_string(p, "$ref");
		char ptr[256];

		/* A Reference Object to components/contentDescriptors. */
		if (target && (target[0] != '#' ||
			       json_pointer_get(doc, target + 1, &p))) {
			log_err("The schema's method %s refers to %s, which is not in the document.",
				name, target);
			json_object_put(schema);
			return NULL;
		}
		pname = json_member_string(p, "name");
		if (!pname || !json_object_object_get_ex(p, "schema", NULL)) {
			log_err("The schema's method %s has a param without a name or a schema.",
				name);
			json_object_put(schema);
			return NULL;
		}
		if (target)
			snprintf(ptr, sizeof(ptr), "%s/schema", target);
		else
			snprintf(ptr, sizeof(ptr),
				 "#/methods/%d/params/%zu/schema", index, j);
		ref = json_object_new_object();
		json_object_object_add(ref, "$ref", json_object_new_string(ptr));
		json_object_object_add(props, pname, ref);
		if (json_object_object_get_ex(p, "required", &req) &&
		    json_object_get_boolean(req))
			json_object_array_add(required,
					      json_object_new_string(pname));
	}
	return schema;
}

/* Check table against document; add each method's params schema to it. */
static int methods_check(struct json_object *doc, struct json_object *built)
{
	struct json_object *list;
	int rc = 0;

	if (!json_object_object_get_ex(doc, "methods", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		log_err("The OpenRPC document has no \"methods\" array.");
		return -EINVAL;
	}
	for (size_t i = 0; i < NR_METHODS; i++) {
		const struct method *m = &method_table[i];
		int idx = doc_find_method(list, m->name);
		struct json_object *dm, *schema;
		const char *access;

		if (idx < 0) {
			log_err("Method %s is in keeld's table but not in the OpenRPC document; add it to keel.openrpc.json.",
				m->name);
			rc = -EINVAL;
			continue;
		}
		dm = json_object_array_get_idx(list, (size_t)idx);
		access = json_member_string(dm, "x-keel-access");
		if (!access || strcmp(access, access_name(m->access))) {
			log_err("Method %s is %s in keeld's table but \"x-keel-access\" says %s in the OpenRPC document.",
				m->name, access_name(m->access),
				access ? access : "nothing");
			rc = -EINVAL;
			continue;
		}
		schema = params_schema(doc, dm, idx, m->name);
		if (!schema) {
			rc = -EINVAL;
			continue;
		}
		json_object_object_add(built, m->name, schema);
	}
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *name = json_member_string(
			json_object_array_get_idx(list, i), "name");

		if (!name || !table_find(name)) {
			log_err("Method %s is in the OpenRPC document but keeld does not implement it.",
				name ? name : "(without a name)");
			rc = -EINVAL;
		}
	}
	return rc;
}

static int load_doc(const char *dir, const char *file,
		    struct json_object **doc)
{
	char *path, *err = NULL;
	int rc;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	rc = jschema_load_file(path, doc, &err);
	if (rc)
		log_err("Cannot load the schema %s: %s", path,
			err ? err : strerror(-rc));
	free(err);
	free(path);
	return rc;
}

static int compile(struct json_object *doc, const char *ptr,
		   struct jschema **out)
{
	char *err = NULL;
	int rc = jschema_new(doc, ptr, out, &err);

	if (rc)
		log_err("The schema at %s cannot be used: %s", *ptr ? ptr : "/",
			err ? err : strerror(-rc));
	free(err);
	return rc;
}

int methods_new(const char *schema_dir, struct methods **out)
{
	struct json_object *api = NULL, *domain = NULL, *built;
	struct methods *m;
	int rc;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	rc = load_doc(schema_dir, "keel.openrpc.json", &api);
	if (!rc)
		rc = load_doc(schema_dir, "domain.schema.json", &domain);
	if (!rc)
		rc = compile(domain, "", &m->config);
	if (rc)
		goto out_free;
	built = json_object_new_object();
	json_object_object_add(api, "x-keel-params", built);
	rc = methods_check(api, built);
	for (size_t i = 0; !rc && i < NR_METHODS; i++) {
		char ptr[128];

		snprintf(ptr, sizeof(ptr), "/x-keel-params/%s",
			 method_table[i].name);
		rc = compile(api, ptr, &m->params[i]);
	}
out_free:
	json_object_put(api);
	json_object_put(domain);
	if (rc) {
		methods_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

struct json_object *method_error(const struct jsonrpc_req *req, int code,
				 const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field)
		return jsonrpc_error_field(req->id, code, msg, field);
	return jsonrpc_error(req->id, code, msg, NULL);
}

struct json_object *methods_handle(void *ctx, const struct jsonrpc_req *req)
{
	struct methods_caller *caller = ctx;
	struct methods *m = caller->keeld->methods;
	struct json_object *params = req->params, *resp;
	char *err_path = NULL, *err_msg = NULL;
	const struct method *method;
	int rc;

	method = table_find(req->method);
	if (!method)
		return method_error(req, JSONRPC_METHOD_NOT_FOUND, NULL,
				    "keeld has no method \"%s\".",
				    req->method);
	if (caller->read_only && method->access != METHOD_READ_ONLY)
		return method_error(req, KEEL_E_PERMISSION, NULL,
				    "%s changes the host and this connection is read-only (keeld-ro.sock, or a TLS client on tls_readonly_dn); use keeld.sock or a certificate on tls_allowed_dn.",
				    method->name);
	if (params && !json_object_is_type(params, json_type_object))
		return method_error(req, JSONRPC_INVALID_PARAMS, "",
				    "keel's methods take their params by name, as one object.");
	if (!params)
		params = json_object_new_object();
	else
		json_object_get(params);
	rc = jschema_validate(m->params[method - method_table], params,
			      &err_path, &err_msg);
	if (rc == -EINVAL)
		resp = method_error(req, JSONRPC_INVALID_PARAMS, err_path,
				    "The parameter %s %s.",
				    *err_path ? err_path : "object", err_msg);
	else if (rc)
		resp = method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	else
		resp = method->handler(caller, req, params);
	free(err_path);
	free(err_msg);
	json_object_put(params);
	return resp;
}
