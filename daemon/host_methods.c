// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Methods about the host itself: host.info (xl info, with the machine's
 * topology from hostinfo.c) and host.dmesg / host.dmesg_clear (xl dmesg:
 * keeld's recent log lines, from log.c's ring).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "handlers.h"
#include "hostinfo.h"
#include "keeld.h"
#include "kvm_host.h"
#include "log.h"
#include "methods.h"
#include "registry.h"

static bool bool_param(struct json_object *params, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) &&
	       json_object_get_boolean(v);
}

struct json_object *host_info(struct methods_caller *caller,
			      const struct jsonrpc_req *req,
			      struct json_object *params)
{
	struct keeld *k = caller->keeld;
	char host[HOST_NAME_MAX + 1] = "";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	const char *modules = getenv(KVM_HOST_MODULE_DIR_ENV);
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	gethostname(host, sizeof(host) - 1);
	json_object_object_add(o, "hostname", json_object_new_string(host));
	json_object_object_add(o, "version",
			       json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(o, "nr_cpus",
			       json_object_new_int(cpus > 0 ? (int)cpus : 1));
	json_object_object_add(o, "memory_mib",
			       json_object_new_int64(
				       pages > 0 && page > 0 ?
					       (int64_t)pages * page >> 20 : 0));
	json_object_object_add(o, "nr_domains",
			       json_object_new_int64(
				       (int64_t)registry_count(k->reg)));
	if (hostinfo_add(o, "", modules && *modules ? modules :
						      KVM_HOST_MODULE_DIR,
			 bool_param(params, "numa"))) {
		json_object_put(o);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	return jsonrpc_result(req->id, o);
}

struct json_object *host_dmesg(struct methods_caller *caller,
			       const struct jsonrpc_req *req,
			       struct json_object *params)
{
	struct json_object *o, *lines;
	struct log_ring_entry *e;
	size_t n;

	(void)caller;
	(void)params;
	if (log_ring_read(&e, &n))
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	o = json_object_new_object();
	lines = json_object_new_array();
	if (!o || !lines) {
		json_object_put(o);
		json_object_put(lines);
		log_ring_free(e, n);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *l = json_object_new_object();

		if (!l)
			break;
		json_object_object_add(l, "seq",
				       json_object_new_uint64(e[i].seq));
		json_object_object_add(l, "time",
				       json_object_new_double(e[i].time));
		json_object_object_add(l, "level",
				       json_object_new_string(
					       log_level_name(e[i].level)));
		json_object_object_add(l, "message",
				       json_object_new_string(e[i].message));
		json_object_array_add(lines, l);
	}
	log_ring_free(e, n);
	json_object_object_add(o, "lines", lines);
	return jsonrpc_result(req->id, o);
}

struct json_object *host_dmesg_clear(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	struct json_object *o = json_object_new_object(), *v;
	/* No "upto": everything there is now. */
	unsigned long long upto = ~0ULL;
	size_t gone;

	(void)caller;
	if (!o)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	if (json_object_object_get_ex(params, "upto", &v))
		upto = json_object_get_uint64(v);
	gone = log_ring_clear(upto);
	json_object_object_add(o, "cleared",
			       json_object_new_uint64((uint64_t)gone));
	return jsonrpc_result(req->id, o);
}
