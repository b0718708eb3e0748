// SPDX-License-Identifier: GPL-2.0-or-later
/* Methods about the host itself: host.info. */
#include "config.h"

#include <limits.h>
#include <unistd.h>

#include "handlers.h"
#include "keeld.h"
#include "methods.h"
#include "registry.h"

struct json_object *host_info(struct methods_caller *caller,
			      const struct jsonrpc_req *req,
			      struct json_object *params)
{
	struct keeld *k = caller->keeld;
	char host[HOST_NAME_MAX + 1] = "";
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
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
	return jsonrpc_result(req->id, o);
}
