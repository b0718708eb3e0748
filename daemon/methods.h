/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_METHODS_H
#define KEEL_DAEMON_METHODS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "jsonrpc.h"

struct jschema;
struct keeld;
struct methods;

/*
 * Load schemas/keel.openrpc.json and schemas/domain.schema.json from
 * @schema_dir, compile every method's params schema, and check that the
 * method table and the OpenRPC document agree: the same methods, with
 * the same x-keel-access. Returns 0 and *@out, or -errno after logging
 * what is wrong (keeld then refuses to start).
 */
int methods_new(const char *schema_dir, struct methods **out);
void methods_free(struct methods *m);

/* The compiled domain configuration schema, owned by @m. */
const struct jschema *methods_config_schema(const struct methods *m);

/* What a connection may do; the ctx of methods_handle(). */
struct methods_caller {
	struct keeld *keeld;
	bool read_only;		/* connected to keeld-ro.sock */
	/*
	 * A TLS client's certificate subject, RFC 2253 form (malloc'd), or
	 * NULL on the UNIX sockets: migration.prepare hands it to keel-hv.
	 */
	char *peer_dn;
};

/*
 * A jsonrpc_handler_fn: @ctx is a struct methods_caller. Looks the
 * method up in the table, refuses read-write methods to read-only
 * callers (KEEL_E_PERMISSION), validates the params against the
 * schema (JSONRPC_INVALID_PARAMS with data {"field": POINTER}) and then
 * runs the handler.
 */
struct json_object *methods_handle(void *ctx, const struct jsonrpc_req *req);

#endif /* KEEL_DAEMON_METHODS_H */
