// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel's live migration calls (keel.h, docs/migration.md):
 * domain.migrate, domain.migrate_cancel and domain.migrate_set. Like a
 * save, domain.migrate blocks until keeld answers, which is when the
 * domain runs on the destination or runs on here after a failure; its
 * progress comes as events (job "migrate") on a connection that
 * subscribed, and another connection may cancel or retune it meanwhile.
 */
#include "config.h"

#include <json-c/json.h>

#include "keel.h"
#include "libkeel_internal.h"
#include "libkeel_results.h"

static int migrate_nomem(struct keel_conn *c, struct json_object *p)
{
	json_object_put(p);
	libkeel_error_set(c, KEEL_E_LOCAL, "Out of memory.", NULL);
	return -1;
}

/* Add @key: @val to @p unless @val is keeld's default @dflt. */
static int migrate_add_int(struct json_object *p, const char *key,
			   long long val, long long dflt)
{
	if (val == dflt)
		return 0;
	return libkeel_add_member(p, key, json_object_new_int64(val));
}

/* The params of domain.migrate from @opts; NULL with the error set. */
static struct json_object *migrate_params(struct keel_conn *c,
					  const char *dom, const char *host,
					  const struct keel_migrate_opts *o)
{
	struct json_object *p;

	if (!host || !host[0]) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "keel_domain_migrate() needs the destination host's name or address.",
				  NULL);
		return NULL;
	}
	if (o->port > 65535) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "keel_domain_migrate(): the port %u is not a TCP port (1-65535).",
				  o->port);
		return NULL;
	}
	if (o->timeout_action != KEEL_MIGRATE_TIMEOUT_CANCEL &&
	    o->timeout_action != KEEL_MIGRATE_TIMEOUT_FORCE) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "keel_domain_migrate() does not know the timeout action %d.",
				  (int)o->timeout_action);
		return NULL;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return NULL;
	if (libkeel_add_member(p, "host", json_object_new_string(host)) < 0 ||
	    migrate_add_int(p, "port", o->port, 0) < 0 ||
	    (o->offline &&
	     libkeel_add_member(p, "live", json_object_new_boolean(false)) <
		     0) ||
	    migrate_add_int(p, "downtime_ms", o->downtime_ms, 0) < 0 ||
	    migrate_add_int(p, "bandwidth_mib", o->bandwidth_mib, 0) < 0 ||
	    (o->auto_converge &&
	     libkeel_add_member(p, "auto_converge",
				json_object_new_boolean(true)) < 0) ||
	    migrate_add_int(p, "timeout_s", o->timeout_s, 0) < 0 ||
	    (o->timeout_action == KEEL_MIGRATE_TIMEOUT_FORCE &&
	     libkeel_add_member(p, "timeout_action",
				json_object_new_string("force")) < 0)) {
		migrate_nomem(c, p);
		return NULL;
	}
	return p;
}

int keel_domain_migrate(struct keel_conn *c, const char *dom,
			const char *host, const struct keel_migrate_opts *opts,
			struct json_object **result)
{
	static const struct keel_migrate_opts defaults =
		KEEL_MIGRATE_OPTS_INIT;
	struct json_object *p, *res = NULL;

	if (result)
		*result = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = migrate_params(c, dom, host, opts ? opts : &defaults);
	if (!p)
		return -1;
	if (keel_call(c, "domain.migrate", p, &res) < 0)
		return -1;
	if (libkeel_result_object(c, "domain.migrate", res, result) < 0) {
		json_object_put(res);
		return -1;
	}
	json_object_put(res);
	return 0;
}

int keel_domain_migrate_cancel(struct keel_conn *c, const char *dom)
{
	struct json_object *p, *res = NULL;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (keel_call(c, "domain.migrate_cancel", p, &res) < 0)
		return -1;
	json_object_put(res);
	return 0;
}

int keel_domain_migrate_set(struct keel_conn *c, const char *dom,
			    const struct keel_migrate_tune *tune)
{
	struct json_object *p, *res = NULL;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!tune || (tune->downtime_ms < 0 && tune->bandwidth_mib < 0 &&
		      tune->auto_converge < 0)) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "keel_domain_migrate_set() needs at least one limit to change.",
				  NULL);
		return -1;
	}
	if (tune->downtime_ms == 0 || tune->auto_converge > 1) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "keel_domain_migrate_set(): the downtime must be at least 1 ms and auto_converge 0 or 1.",
				  NULL);
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (migrate_add_int(p, "downtime_ms", tune->downtime_ms, -1) < 0 ||
	    migrate_add_int(p, "bandwidth_mib", tune->bandwidth_mib, -1) < 0 ||
	    (tune->auto_converge >= 0 &&
	     libkeel_add_member(p, "auto_converge",
				json_object_new_boolean(tune->auto_converge)) <
		     0))
		return migrate_nomem(c, p);
	if (keel_call(c, "domain.migrate_set", p, &res) < 0)
		return -1;
	json_object_put(res);
	return 0;
}
