// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel's typed calls (keel.h): calls[] has one row per method, the
 * parser that checks keeld's result against the API
 * (schemas/keel.openrpc.json) and turns it into keel.h's types. A
 * typed call checks its arguments, builds its params and hands both to
 * typed_call(); adding a method is a row, its parser if the result has
 * a new shape, and a function of a few lines. A result of the wrong
 * shape fails the call with KEEL_E_PROTOCOL and leaves the connection
 * usable: the reply was read whole, so the stream is still in step.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "libkeel_internal.h"
#include "libkeel_results.h"

/* Domain states */

static const char *const state_names[] = {
	[KEEL_STATE_NOSTATE] = "nostate",
	[KEEL_STATE_RUNNING] = "running",
	[KEEL_STATE_BLOCKED] = "blocked",
	[KEEL_STATE_PAUSED] = "paused",
	[KEEL_STATE_SHUTDOWN] = "shutdown",
	[KEEL_STATE_SHUTOFF] = "shutoff",
	[KEEL_STATE_CRASHED] = "crashed",
	[KEEL_STATE_PMSUSPENDED] = "pmsuspended",
};

#define NR_STATES (sizeof(state_names) / sizeof(state_names[0]))

const char *keel_state_name(enum keel_domain_state state)
{
	if ((unsigned)state >= NR_STATES)
		return NULL;
	return state_names[state];
}

int libkeel_state_from_name(const char *name)
{
	for (size_t i = 0; i < NR_STATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Building params */

/* A uuid's shape: 8-4-4-4-12 hex digits, in any case. */
static bool looks_like_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != KEEL_UUID_LEN)
		return false;
	for (i = 0; i < KEEL_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return false;
		}
	}
	return true;
}

int libkeel_add_member(struct json_object *obj, const char *key,
		       struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

struct json_object *libkeel_dom_params(struct keel_conn *c, const char *dom)
{
	struct json_object *p;

	if (!dom || !*dom) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "No domain was given: name it by its name or its uuid.",
				  NULL);
		return NULL;
	}
	p = json_object_new_object();
	if (!p || libkeel_add_member(p, looks_like_uuid(dom) ? "uuid" : "name",
				     json_object_new_string(dom)) < 0) {
		json_object_put(p);
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while building a request.",
				  NULL);
		return NULL;
	}
	return p;
}

static int params_nomem(struct keel_conn *c, struct json_object *params)
{
	json_object_put(params);
	libkeel_error_set(c, KEEL_E_LOCAL,
			  "Out of memory while building a request.", NULL);
	return -1;
}

static int bad_flags(struct keel_conn *c, const char *func, unsigned flags)
{
	libkeel_error_fmt(c, KEEL_E_LOCAL,
			  "%s() was given flags 0x%x that this version of libkeel does not know.",
			  func, flags);
	return -1;
}

/*
 * New params {"config": @config} (borrowed) or NULL with the error set.
 */
static struct json_object *config_params(struct keel_conn *c,
					 struct json_object *config)
{
	struct json_object *p;

	if (!json_object_is_type(config, json_type_object)) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "The domain configuration must be a JSON object.",
				  "/config");
		return NULL;
	}
	p = json_object_new_object();
	if (!p ||
	    libkeel_add_member(p, "config", json_object_get(config)) < 0) {
		params_nomem(c, p);
		return NULL;
	}
	return p;
}

/* The table */

enum call {
	CALL_HOST_INFO,
	CALL_DOMAIN_LIST,
	CALL_DOMAIN_INFO,
	CALL_DOMAIN_CONFIG,
	CALL_DOMAIN_DEFINE,
	CALL_DOMAIN_CREATE,
	CALL_DOMAIN_UNDEFINE,
	CALL_DOMAIN_START,
	CALL_DOMAIN_PAUSE,
	CALL_DOMAIN_UNPAUSE,
	CALL_DOMAIN_SHUTDOWN,
	CALL_DOMAIN_REBOOT,
	CALL_DOMAIN_DESTROY,
	CALL_DOMAIN_TRIGGER,
	CALL_DOMAIN_SYSRQ,
	CALL_DOMAIN_BUTTON_PRESS,
	CALL_DOMAIN_DUMP_CORE,
	CALL_DOMAIN_RENAME,
	CALL_DOMAIN_AUTOSTART,
	CALL_DOMAIN_STATS,
	CALL_EVENTS_SUBSCRIBE,
	CALL_DOMAIN_GET_SCHED,
	CALL_DOMAIN_SET_SCHED,
	CALL_DOMAIN_SET_MEMORY,
	CALL_DOMAIN_SET_MAXMEM,
	CALL_DOMAIN_STATS_ALL,
	CALL_DOMAIN_BLKDEVIOTUNE,
	CALL_DOMAIN_DOMIFTUNE,
	CALL_DOMAIN_VCPU_PIN,
	CALL_DOMAIN_VCPU_LIST,
	CALL_DOMAIN_SET_VCPUS,
	CALL_DOMAIN_BLOCK_ATTACH,
	CALL_DOMAIN_BLOCK_DETACH,
	CALL_DOMAIN_NETWORK_ATTACH,
	CALL_DOMAIN_NETWORK_DETACH,
	CALL_HOST_DMESG,
	CALL_HOST_DMESG_CLEAR,
	CALL_DOMAIN_CONFIG_UPDATE,
};

static const struct call_row {
	const char *method;
	libkeel_result_fn parse;
} calls[] = {
	[CALL_HOST_INFO] = { "host.info", libkeel_result_host },
	[CALL_DOMAIN_LIST] = { "domain.list", libkeel_result_list },
	[CALL_DOMAIN_INFO] = { "domain.info", libkeel_result_info },
	[CALL_DOMAIN_CONFIG] = { "domain.config", libkeel_result_object },
	[CALL_DOMAIN_DEFINE] = { "domain.define", libkeel_result_summary },
	[CALL_DOMAIN_CREATE] = { "domain.create", libkeel_result_summary },
	[CALL_DOMAIN_UNDEFINE] = { "domain.undefine", libkeel_result_object },
	[CALL_DOMAIN_START] = { "domain.start", libkeel_result_summary },
	[CALL_DOMAIN_PAUSE] = { "domain.pause", libkeel_result_summary },
	[CALL_DOMAIN_UNPAUSE] = { "domain.unpause", libkeel_result_summary },
	[CALL_DOMAIN_SHUTDOWN] = { "domain.shutdown", libkeel_result_summary },
	[CALL_DOMAIN_REBOOT] = { "domain.reboot", libkeel_result_summary },
	[CALL_DOMAIN_DESTROY] = { "domain.destroy", libkeel_result_summary },
	[CALL_DOMAIN_TRIGGER] = { "domain.trigger", libkeel_result_object },
	[CALL_DOMAIN_SYSRQ] = { "domain.sysrq", libkeel_result_object },
	[CALL_DOMAIN_BUTTON_PRESS] = { "domain.button_press", libkeel_result_object },
	[CALL_DOMAIN_DUMP_CORE] = { "domain.dump_core", libkeel_result_object },
	[CALL_DOMAIN_RENAME] = { "domain.rename", libkeel_result_summary },
	[CALL_DOMAIN_AUTOSTART] = { "domain.autostart", libkeel_result_summary },
	[CALL_DOMAIN_STATS] = { "domain.stats", libkeel_result_object },
	[CALL_EVENTS_SUBSCRIBE] = { "events.subscribe", libkeel_result_subscribed },
	[CALL_DOMAIN_GET_SCHED] = { "domain.get_sched", libkeel_result_sched },
	[CALL_DOMAIN_SET_SCHED] = { "domain.set_sched", libkeel_result_sched },
	[CALL_DOMAIN_SET_MEMORY] = { "domain.set_memory", libkeel_result_summary },
	[CALL_DOMAIN_SET_MAXMEM] = { "domain.set_maxmem", libkeel_result_summary },
	[CALL_DOMAIN_STATS_ALL] = { "domain.stats_all", libkeel_result_object },
	[CALL_DOMAIN_BLKDEVIOTUNE] = { "domain.blkdeviotune", libkeel_result_object },
	[CALL_DOMAIN_DOMIFTUNE] = { "domain.domiftune", libkeel_result_object },
	[CALL_DOMAIN_VCPU_PIN] = { "domain.vcpu_pin", libkeel_result_object },
	[CALL_DOMAIN_VCPU_LIST] = { "domain.vcpu_list", libkeel_result_vcpus },
	[CALL_DOMAIN_SET_VCPUS] = { "domain.set_vcpus", libkeel_result_object },
	[CALL_DOMAIN_BLOCK_ATTACH] = { "domain.block_attach", libkeel_result_object },
	[CALL_DOMAIN_BLOCK_DETACH] = { "domain.block_detach", libkeel_result_object },
	[CALL_DOMAIN_NETWORK_ATTACH] = { "domain.network_attach", libkeel_result_object },
	[CALL_DOMAIN_NETWORK_DETACH] = { "domain.network_detach", libkeel_result_object },
	[CALL_HOST_DMESG] = { "host.dmesg", libkeel_result_dmesg },
	[CALL_HOST_DMESG_CLEAR] = { "host.dmesg_clear", libkeel_result_cleared },
	[CALL_DOMAIN_CONFIG_UPDATE] = { "domain.config_update", libkeel_result_summary },
};

/*
 * Make the call @id with @params (consumed; NULL for none) and parse
 * its result into @out with the row's parser. Returns 0 or -1 with the
 * error set.
 */
static int typed_call(struct keel_conn *c, enum call id,
		      struct json_object *params, void *out)
{
	const struct call_row *row = &calls[id];
	struct json_object *res;
	int rc;

	if (keel_call(c, row->method, params, &res) < 0)
		return -1;
	rc = row->parse(c, row->method, res, out);
	json_object_put(res);
	return rc;
}

/* A call that takes nothing but the domain. */
static int domain_call(struct keel_conn *c, enum call id, const char *dom,
		       void *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	return typed_call(c, id, p, out);
}

/* The calls */

int keel_host_info(struct keel_conn *c, struct keel_host_info *out)
{
	return typed_call(c, CALL_HOST_INFO, NULL, out);
}

/*
 * domain.list, with the configurations when @configs is not NULL: the
 * summaries into a new array, the configurations into a new JSON array
 * in the same order.
 */
static int list_call(struct keel_conn *c, const char *func,
		     struct keel_domain **list, size_t *n,
		     struct json_object **configs)
{
	struct list_out o = { .configs_wanted = configs != NULL };
	struct json_object *params = NULL;

	if (list)
		*list = NULL;
	if (n)
		*n = 0;
	if (configs)
		*configs = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!list || !n) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "%s() was given nowhere to store the list.",
				  func);
		return -1;
	}
	if (configs) {
		params = json_object_new_object();
		if (!params ||
		    libkeel_add_member(params, "config",
				       json_object_new_boolean(true)) < 0)
			return params_nomem(c, params);
	}
	if (typed_call(c, CALL_DOMAIN_LIST, params, &o) < 0)
		return -1;
	*list = o.doms;
	*n = o.n;
	if (configs)
		*configs = o.configs;
	return 0;
}

int keel_domain_list(struct keel_conn *c, struct keel_domain **list, size_t *n)
{
	return list_call(c, __func__, list, n, NULL);
}

int keel_domain_list_info(struct keel_conn *c, struct keel_domain **list,
			  size_t *n, struct json_object **configs)
{
	return list_call(c, __func__, list, n, configs);
}

int keel_domain_info(struct keel_conn *c, const char *dom,
		     struct keel_domain *out, struct json_object **config)
{
	struct info_out o = { .dom = out, .config = config };

	if (config)
		*config = NULL;
	return domain_call(c, CALL_DOMAIN_INFO, dom, &o);
}

int keel_domain_config(struct keel_conn *c, const char *dom,
		       struct json_object **config)
{
	if (config)
		*config = NULL;
	return domain_call(c, CALL_DOMAIN_CONFIG, dom, config);
}

int keel_domain_define(struct keel_conn *c, struct json_object *config,
		       struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = config_params(c, config);
	if (!p)
		return -1;
	return typed_call(c, CALL_DOMAIN_DEFINE, p, out);
}

int keel_domain_create(struct keel_conn *c, struct json_object *config,
		       unsigned flags, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (flags & ~KEEL_START_PAUSED)
		return bad_flags(c, __func__, flags);
	p = config_params(c, config);
	if (!p)
		return -1;
	if ((flags & KEEL_START_PAUSED) &&
	    libkeel_add_member(p, "paused", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_CREATE, p, out);
}

int keel_domain_undefine(struct keel_conn *c, const char *dom)
{
	return domain_call(c, CALL_DOMAIN_UNDEFINE, dom, NULL);
}

int keel_domain_start(struct keel_conn *c, const char *dom, unsigned flags,
		      struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (flags & ~KEEL_START_PAUSED)
		return bad_flags(c, __func__, flags);
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if ((flags & KEEL_START_PAUSED) &&
	    libkeel_add_member(p, "paused", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_START, p, out);
}

int keel_domain_pause(struct keel_conn *c, const char *dom,
		      struct keel_domain *out)
{
	return domain_call(c, CALL_DOMAIN_PAUSE, dom, out);
}

int keel_domain_unpause(struct keel_conn *c, const char *dom,
			struct keel_domain *out)
{
	return domain_call(c, CALL_DOMAIN_UNPAUSE, dom, out);
}

int keel_domain_shutdown(struct keel_conn *c, const char *dom, int timeout_s,
			 unsigned flags, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (flags & ~KEEL_SHUTDOWN_WAIT)
		return bad_flags(c, __func__, flags);
	if (timeout_s < -1) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "The shutdown timeout %d is not valid: give seconds, 0 to wait for ever, or -1 for keeld's default.",
				  timeout_s);
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	/* keeld checks the upper bound: the schema is the one truth. */
	if (timeout_s >= 0 &&
	    libkeel_add_member(p, "timeout",
			       json_object_new_int(timeout_s)) < 0)
		return params_nomem(c, p);
	if ((flags & KEEL_SHUTDOWN_WAIT) &&
	    libkeel_add_member(p, "wait", json_object_new_boolean(true)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_SHUTDOWN, p, out);
}

int keel_domain_reboot(struct keel_conn *c, const char *dom,
		       struct keel_domain *out)
{
	return domain_call(c, CALL_DOMAIN_REBOOT, dom, out);
}

int keel_domain_destroy(struct keel_conn *c, const char *dom,
			struct keel_domain *out)
{
	return domain_call(c, CALL_DOMAIN_DESTROY, dom, out);
}

int keel_domain_rename(struct keel_conn *c, const char *dom,
		       const char *new_name, struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!new_name || !*new_name) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "No new name was given for the domain.",
				  "/new_name");
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, "new_name",
			       json_object_new_string(new_name)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_RENAME, p, out);
}

int keel_domain_autostart(struct keel_conn *c, const char *dom, bool enabled,
			  struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, "enabled",
			       json_object_new_boolean(enabled)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_AUTOSTART, p, out);
}

/* A call that takes the domain and one integer: {name|uuid, @member: @n}. */
static int int_call(struct keel_conn *c, enum call id, const char *dom,
		    const char *member, long long n, void *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, member, json_object_new_int64(n)) < 0)
		return params_nomem(c, p);
	return typed_call(c, id, p, out);
}

int keel_domain_set_memory(struct keel_conn *c, const char *dom,
			   long long memory_mib, struct keel_domain *out)
{
	return int_call(c, CALL_DOMAIN_SET_MEMORY, dom, "memory_mib",
			memory_mib, out);
}

int keel_domain_set_maxmem(struct keel_conn *c, const char *dom,
			   long long maxmem_mib, struct keel_domain *out)
{
	return int_call(c, CALL_DOMAIN_SET_MAXMEM, dom, "maxmem_mib",
			maxmem_mib, out);
}

int keel_domain_stats(struct keel_conn *c, const char *dom,
		      struct json_object **stats)
{
	if (stats)
		*stats = NULL;
	return domain_call(c, CALL_DOMAIN_STATS, dom, stats);
}

int keel_domain_stats_all(struct keel_conn *c, struct json_object **stats)
{
	if (stats)
		*stats = NULL;
	return typed_call(c, CALL_DOMAIN_STATS_ALL, NULL, stats);
}

/*
 * blkdeviotune and domiftune: @device under @member, as a number when
 * it is all digits (an index); @changes' members (borrowed) beside it.
 */
static int iotune_call(struct keel_conn *c, enum call id, const char *dom,
		       const char *member, const char *device,
		       struct json_object *changes, struct json_object **out)
{
	struct json_object *p, *v;
	size_t len = device ? strlen(device) : 0;

	if (out)
		*out = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!len) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "No %s was given: name it, or give its place in the list from 0.",
				  !strcmp(member, "disk") ? "disk" :
							    "network interface");
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (strspn(device, "0123456789") == len && len < 10)
		v = json_object_new_int64(strtoll(device, NULL, 10));
	else
		v = json_object_new_string(device);
	if (libkeel_add_member(p, member, v) < 0)
		return params_nomem(c, p);
	if (changes && json_object_is_type(changes, json_type_object)) {
		json_object_object_foreach(changes, key, val) {
			if (libkeel_add_member(p, key, json_object_get(val)) < 0)
				return params_nomem(c, p);
		}
	}
	return typed_call(c, id, p, out);
}

int keel_domain_blkdeviotune(struct keel_conn *c, const char *dom,
			     const char *disk, struct json_object *changes,
			     struct json_object **out)
{
	return iotune_call(c, CALL_DOMAIN_BLKDEVIOTUNE, dom, "disk", disk,
			   changes, out);
}

int keel_domain_domiftune(struct keel_conn *c, const char *dom,
			  const char *nic, struct json_object *changes,
			  struct json_object **out)
{
	return iotune_call(c, CALL_DOMAIN_DOMIFTUNE, dom, "nic", nic, changes,
			   out);
}

/*
 * A call on @dom with one string member @member = @value and, when
 * @extra is not NULL, the integer member @extra = @n.
 */
static int string_call(struct keel_conn *c, enum call id, const char *dom,
		       const char *member, const char *value,
		       const char *extra, long long n,
		       struct json_object **result)
{
	struct json_object *p;

	if (result)
		*result = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!value) {
		libkeel_error_fmt(c, KEEL_E_LOCAL, "%s needs a %s.",
				  calls[id].method, member);
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, member, json_object_new_string(value)) < 0 ||
	    (extra &&
	     libkeel_add_member(p, extra, json_object_new_int64(n)) < 0))
		return params_nomem(c, p);
	return typed_call(c, id, p, result);
}

int keel_domain_trigger(struct keel_conn *c, const char *dom,
			const char *trigger, int vcpu,
			struct json_object **result)
{
	return string_call(c, CALL_DOMAIN_TRIGGER, dom, "trigger", trigger,
			   vcpu >= 0 ? "vcpu" : NULL, vcpu, result);
}

int keel_domain_sysrq(struct keel_conn *c, const char *dom, const char *key,
		      struct json_object **result)
{
	return string_call(c, CALL_DOMAIN_SYSRQ, dom, "key", key, NULL, 0,
			   result);
}

int keel_domain_button_press(struct keel_conn *c, const char *dom,
			     const char *button, struct json_object **result)
{
	return string_call(c, CALL_DOMAIN_BUTTON_PRESS, dom, "button", button,
			   NULL, 0, result);
}

int keel_domain_dump_core(struct keel_conn *c, const char *dom,
			  const char *path, struct json_object **result)
{
	return string_call(c, CALL_DOMAIN_DUMP_CORE, dom, "path", path, NULL,
			   0, result);
}

int keel_domain_set_vcpus(struct keel_conn *c, const char *dom, int vcpus,
			   struct json_object **result)
{
	if (result)
		*result = NULL;
	return int_call(c, CALL_DOMAIN_SET_VCPUS, dom, "vcpus", vcpus, result);
}

/* An attach: @device (borrowed) under @member. */
static int attach_call(struct keel_conn *c, enum call id, const char *dom,
		       const char *member, struct json_object *device,
		       struct json_object **result)
{
	struct json_object *p;

	if (result)
		*result = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!device || !json_object_is_type(device, json_type_object)) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "The %s to attach must be a JSON object.",
				  member);
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, member, json_object_get(device)) < 0)
		return params_nomem(c, p);
	return typed_call(c, id, p, result);
}

/* A detach: @device as iotune_call() names it, and the guest's time. */
static int detach_call(struct keel_conn *c, enum call id, const char *dom,
		       const char *member, const char *device, int timeout_s,
		       struct json_object **result)
{
	struct json_object *changes = NULL;
	int rc;

	if (timeout_s > 0) {
		changes = json_object_new_object();
		if (!changes || json_object_object_add(
					changes, "timeout",
					json_object_new_int(timeout_s))) {
			json_object_put(changes);
			libkeel_error_fmt(c, KEEL_E_LOCAL,
					  "libkeel ran out of memory.");
			return -1;
		}
	}
	rc = iotune_call(c, id, dom, member, device, changes, result);
	json_object_put(changes);
	return rc;
}

int keel_domain_block_attach(struct keel_conn *c, const char *dom,
			     struct json_object *disk,
			     struct json_object **result)
{
	return attach_call(c, CALL_DOMAIN_BLOCK_ATTACH, dom, "disk", disk,
			   result);
}

int keel_domain_block_detach(struct keel_conn *c, const char *dom,
			     const char *disk, int timeout_s,
			     struct json_object **result)
{
	return detach_call(c, CALL_DOMAIN_BLOCK_DETACH, dom, "disk", disk,
			   timeout_s, result);
}

int keel_domain_network_attach(struct keel_conn *c, const char *dom,
			       struct json_object *nic,
			       struct json_object **result)
{
	return attach_call(c, CALL_DOMAIN_NETWORK_ATTACH, dom, "nic", nic,
			   result);
}

int keel_domain_network_detach(struct keel_conn *c, const char *dom,
			       const char *nic, int timeout_s,
			       struct json_object **result)
{
	return detach_call(c, CALL_DOMAIN_NETWORK_DETACH, dom, "nic", nic,
			   timeout_s, result);
}

int keel_events_subscribe(struct keel_conn *c)
{
	return typed_call(c, CALL_EVENTS_SUBSCRIBE, NULL, NULL);
}

int keel_domain_get_sched(struct keel_conn *c, const char *dom,
			  struct keel_sched *out)
{
	return domain_call(c, CALL_DOMAIN_GET_SCHED, dom, out);
}

int keel_domain_set_sched(struct keel_conn *c, const char *dom, int weight,
			  int cap, struct keel_sched *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (weight < 0 && cap < 0) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Give a weight, a cap or both to change.",
				  NULL);
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	/* keeld checks the ranges: the schema is the one truth. */
	if (weight >= 0 &&
	    libkeel_add_member(p, "weight", json_object_new_int(weight)) < 0)
		return params_nomem(c, p);
	if (cap >= 0 &&
	    libkeel_add_member(p, "cap", json_object_new_int(cap)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_SET_SCHED, p, out);
}

int keel_domain_vcpu_pin(struct keel_conn *c, const char *dom, int vcpu,
			 const char *cpus, struct json_object **setting)
{
	struct json_object *p, *res = NULL, *v;
	int rc;

	if (setting)
		*setting = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!cpus || !*cpus) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "No host CPUs were given to pin the vCPU to.",
				  "/cpus");
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, "vcpu",
			       vcpu < 0 ? json_object_new_string("all") :
					  json_object_new_int(vcpu)) < 0 ||
	    libkeel_add_member(p, "cpus", json_object_new_string(cpus)) < 0)
		return params_nomem(c, p);
	rc = typed_call(c, CALL_DOMAIN_VCPU_PIN, p, &res);
	if (rc < 0)
		return -1;
	if (!json_object_object_get_ex(res, "cpus", &v)) {
		json_object_put(res);
		return libkeel_bad_result(c, "domain.vcpu_pin", "\"cpus\" is missing");
	}
	if (setting)
		*setting = json_object_get(v);
	json_object_put(res);
	return 0;
}

int keel_domain_vcpu_list(struct keel_conn *c, const char *dom,
			  struct keel_vcpu **out, size_t *n)
{
	struct vcpu_array a = { 0 };
	struct json_object *p;

	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	p = dom ? libkeel_dom_params(c, dom) : json_object_new_object();
	if (!p)
		return dom ? -1 : params_nomem(c, NULL);
	if (typed_call(c, CALL_DOMAIN_VCPU_LIST, p, &a) < 0)
		return -1;
	if (out)
		*out = a.v;
	else
		free(a.v);
	if (n)
		*n = a.n;
	return 0;
}

int keel_host_dmesg(struct keel_conn *c, struct keel_dmesg_line **lines,
		    size_t *n)
{
	struct dmesg_array a = { NULL, 0 };

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!lines || !n) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "keel_host_dmesg() needs somewhere to put the lines.",
				  NULL);
		return -1;
	}
	if (typed_call(c, CALL_HOST_DMESG, NULL, &a) < 0)
		return -1;
	*lines = a.lines;
	*n = a.n;
	return 0;
}

int keel_host_dmesg_clear(struct keel_conn *c, unsigned long long upto,
			  unsigned long long *cleared)
{
	struct json_object *p = NULL;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (upto > INT64_MAX) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "host.dmesg_clear's upto is at most %lld.",
				  (long long)INT64_MAX);
		return -1;
	}
	if (upto) {
		p = json_object_new_object();
		if (!p || libkeel_add_member(p, "upto",
					     json_object_new_int64(
						     (int64_t)upto)) < 0)
			return params_nomem(c, p);
	}
	return typed_call(c, CALL_HOST_DMESG_CLEAR, p, cleared);
}

int keel_domain_config_update(struct keel_conn *c, const char *dom,
			      struct json_object *config,
			      struct keel_domain *out)
{
	struct json_object *p;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (!json_object_is_type(config, json_type_object)) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "The domain configuration must be a JSON object.",
				  "/config");
		return -1;
	}
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, "config", json_object_get(config)) < 0)
		return params_nomem(c, p);
	return typed_call(c, CALL_DOMAIN_CONFIG_UPDATE, p, out);
}
