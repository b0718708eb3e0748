// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading keeld's results (libkeel_results.h): one parser per shape of
 * result, each checking keeld's answer against the API
 * (schemas/keel.openrpc.json) before it fills keel.h's types, and
 * failing the call with KEEL_E_PROTOCOL otherwise.
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

/* The connection stays usable: the reply was read whole. */
int libkeel_bad_result(struct keel_conn *c, const char *method,
		       const char *what)
{
	libkeel_error_fmt(c, KEEL_E_PROTOCOL,
			  "keeld's answer to %s is not what the API says: %s.",
			  method, what);
	return -1;
}

/*
 * Copy the string member @key of @obj into @dst of @size bytes. Returns
 * 0, or -1 with a protocol error when it is missing, not a string or
 * too long.
 */
static int copy_str(struct keel_conn *c, const char *method,
		    struct json_object *obj, const char *key, char *dst,
		    size_t size)
{
	struct json_object *v;
	char what[96];
	int len;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not a string", key);
		return libkeel_bad_result(c, method, what);
	}
	len = json_object_get_string_len(v);
	if ((size_t)len >= size) {
		snprintf(what, sizeof(what),
			 "\"%s\" is longer than %zu characters", key, size - 1);
		return libkeel_bad_result(c, method, what);
	}
	memcpy(dst, json_object_get_string(v), (size_t)len + 1);
	return 0;
}

static int get_bool(struct keel_conn *c, const char *method,
		    struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not a boolean", key);
		return libkeel_bad_result(c, method, what);
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int get_int64(struct keel_conn *c, const char *method,
		     struct json_object *obj, const char *key, int64_t min,
		     int64_t max, int64_t *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int)) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not an integer", key);
		return libkeel_bad_result(c, method, what);
	}
	/* json-c saturates out-of-range integers; the bounds catch that. */
	*out = json_object_get_int64(v);
	if (*out < min || *out > max) {
		snprintf(what, sizeof(what), "\"%s\" is out of range", key);
		return libkeel_bad_result(c, method, what);
	}
	return 0;
}

/* A number (integer or not) from @min up, finite. */
static int get_number(struct keel_conn *c, const char *method,
		      struct json_object *obj, const char *key, double min,
		      double *out)
{
	struct json_object *v;
	char what[96];

	if (!json_object_object_get_ex(obj, key, &v) ||
	    (!json_object_is_type(v, json_type_double) &&
	     !json_object_is_type(v, json_type_int))) {
		snprintf(what, sizeof(what),
			 "\"%s\" is missing or not a number", key);
		return libkeel_bad_result(c, method, what);
	}
	*out = json_object_get_double(v);
	if (!isfinite(*out) || *out < min) {
		snprintf(what, sizeof(what), "\"%s\" is out of range", key);
		return libkeel_bad_result(c, method, what);
	}
	return 0;
}

static int require_object(struct keel_conn *c, const char *method,
			  struct json_object *res)
{
	if (!json_object_is_type(res, json_type_object))
		return libkeel_bad_result(c, method, "the result is not an object");
	return 0;
}

/* Fill @out from a DomainSummary @obj. Returns 0 or -1 (protocol error). */
static int domain_from_json(struct keel_conn *c, const char *method,
			    struct json_object *obj, struct keel_domain *out)
{
	struct keel_domain d = { .id = -1 };
	struct json_object *v;
	char state[16];
	int64_t id, mem, vcpus;
	int s;

	if (require_object(c, method, obj) < 0 ||
	    copy_str(c, method, obj, "name", d.name, sizeof(d.name)) < 0 ||
	    copy_str(c, method, obj, "uuid", d.uuid, sizeof(d.uuid)) < 0 ||
	    copy_str(c, method, obj, "state", state, sizeof(state)) < 0 ||
	    copy_str(c, method, obj, "reason", d.reason,
		     sizeof(d.reason)) < 0 ||
	    get_bool(c, method, obj, "persistent", &d.persistent) < 0 ||
	    get_bool(c, method, obj, "autostart", &d.autostart) < 0 ||
	    get_int64(c, method, obj, "memory", 0, INT64_MAX, &mem) < 0 ||
	    get_int64(c, method, obj, "vcpus", 0, INT_MAX, &vcpus) < 0 ||
	    get_number(c, method, obj, "cpu_time", 0, &d.cpu_time) < 0)
		return -1;
	d.memory_mib = mem;
	d.vcpus = (int)vcpus;
	if (!json_object_object_get_ex(obj, "id", &v))
		return libkeel_bad_result(c, method, "\"id\" is missing");
	if (v) {
		if (get_int64(c, method, obj, "id", 0, INT_MAX, &id) < 0)
			return -1;
		d.id = (int)id;
	}
	s = libkeel_state_from_name(state);
	if (s < 0)
		return libkeel_bad_result(c, method, "\"state\" is not a known state");
	d.state = (enum keel_domain_state)s;
	if (out)
		*out = d;
	return 0;
}


/* A DomainSummary into struct keel_domain *@out (may be NULL). */
int libkeel_result_summary(struct keel_conn *c, const char *method,
			  struct json_object *res, void *out)
{
	return domain_from_json(c, method, res, out);
}

/*
 * Any object, a new reference to it into struct json_object **@out (may
 * be NULL: only checked). keel.h hands these on as JSON.
 */
int libkeel_result_object(struct keel_conn *c, const char *method,
			 struct json_object *res, void *out)
{
	struct json_object **obj = out;

	if (require_object(c, method, res) < 0)
		return -1;
	if (obj)
		*obj = json_object_get(res);
	return 0;
}

/* HostInfo into struct keel_host_info *@out (may be NULL). */
int libkeel_result_host(struct keel_conn *c, const char *method,
		       struct json_object *res, void *out)
{
	struct keel_host_info h = { .nr_cpus = 0 };
	int64_t cpus, mem, doms;

	if (require_object(c, method, res) < 0 ||
	    copy_str(c, method, res, "hostname", h.hostname,
		     sizeof(h.hostname)) < 0 ||
	    copy_str(c, method, res, "version", h.version,
		     sizeof(h.version)) < 0 ||
	    get_int64(c, method, res, "nr_cpus", 0, INT_MAX, &cpus) < 0 ||
	    get_int64(c, method, res, "memory_mib", 0, INT64_MAX, &mem) < 0 ||
	    get_int64(c, method, res, "nr_domains", 0, INT_MAX, &doms) < 0)
		return -1;
	h.nr_cpus = (int)cpus;
	h.memory_mib = mem;
	h.nr_domains = (int)doms;
	if (out)
		*(struct keel_host_info *)out = h;
	return 0;
}


/* The object @obj's "config" is, or NULL with a protocol error. */
static struct json_object *config_member(struct keel_conn *c,
					 const char *method,
					 struct json_object *obj,
					 const char *what)
{
	struct json_object *cfg;

	if (!json_object_object_get_ex(obj, "config", &cfg) ||
	    !json_object_is_type(cfg, json_type_object)) {
		libkeel_bad_result(c, method, what);
		return NULL;
	}
	return cfg;
}

int libkeel_result_info(struct keel_conn *c, const char *method,
		       struct json_object *res, void *out)
{
	struct info_out *o = out;
	struct keel_domain d;
	struct json_object *cfg;

	if (domain_from_json(c, method, res, &d) < 0)
		return -1;
	cfg = config_member(c, method, res,
			    "\"config\" is missing or not an object");
	if (!cfg)
		return -1;
	if (o->dom)
		*o->dom = d;
	if (o->config)
		*o->config = json_object_get(cfg);
	return 0;
}


int libkeel_result_list(struct keel_conn *c, const char *method,
		       struct json_object *res, void *out)
{
	struct list_out *o = out;
	struct json_object *cfgs = NULL, *cfg;
	struct keel_domain *doms;
	size_t i, count;

	if (!json_object_is_type(res, json_type_array))
		return libkeel_bad_result(c, method, "the result is not an array");
	count = json_object_array_length(res);
	/* One more so that an empty list is a valid pointer too. */
	doms = calloc(count + 1, sizeof(*doms));
	if (o->configs_wanted)
		cfgs = json_object_new_array();
	if (!doms || (o->configs_wanted && !cfgs))
		goto out_nomem;
	for (i = 0; i < count; i++) {
		struct json_object *d = json_object_array_get_idx(res, i);

		if (domain_from_json(c, method, d, &doms[i]) < 0)
			goto out_free;
		if (!o->configs_wanted)
			continue;
		cfg = config_member(c, method, d,
				    "a domain's \"config\" is missing or not an object");
		if (!cfg)
			goto out_free;
		if (json_object_array_add(cfgs, json_object_get(cfg)) < 0) {
			json_object_put(cfg);
			goto out_nomem;
		}
	}
	o->doms = doms;
	o->n = count;
	o->configs = cfgs;
	return 0;

out_nomem:
	libkeel_error_set(c, KEEL_E_LOCAL,
			  "Out of memory while reading the domain list.", NULL);
out_free:
	json_object_put(cfgs);
	free(doms);
	return -1;
}

/* {"subscribed": true}: events.subscribe. @out is not used. */
int libkeel_result_subscribed(struct keel_conn *c, const char *method,
			     struct json_object *res, void *out)
{
	bool subscribed = false;

	(void)out;
	if (require_object(c, method, res) < 0 ||
	    get_bool(c, method, res, "subscribed", &subscribed) < 0)
		return -1;
	if (!subscribed)
		return libkeel_bad_result(c, method,
				  "keeld did not confirm the subscription");
	return 0;
}

/* A VcpuInfo into @out; tid and cpu may be null (offline: -1). */
static int vcpu_from_json(struct keel_conn *c, const char *method,
			  struct json_object *obj, struct keel_vcpu *out)
{
	static const char *const nullable[] = { "tid", "cpu" };
	int *dst[] = { &out->tid, &out->cpu };
	struct json_object *v;
	int64_t id, vcpu, n;

	if (require_object(c, method, obj) < 0 ||
	    copy_str(c, method, obj, "name", out->name,
		     sizeof(out->name)) < 0 ||
	    copy_str(c, method, obj, "uuid", out->uuid,
		     sizeof(out->uuid)) < 0 ||
	    copy_str(c, method, obj, "state", out->state,
		     sizeof(out->state)) < 0 ||
	    copy_str(c, method, obj, "affinity", out->affinity,
		     sizeof(out->affinity)) < 0 ||
	    get_int64(c, method, obj, "id", 0, INT_MAX, &id) < 0 ||
	    get_int64(c, method, obj, "vcpu", 0, INT_MAX, &vcpu) < 0 ||
	    get_number(c, method, obj, "time", 0, &out->time) < 0)
		return -1;
	out->id = (int)id;
	out->vcpu = (int)vcpu;
	for (size_t i = 0; i < 2; i++) {
		*dst[i] = -1;
		if (!json_object_object_get_ex(obj, nullable[i], &v))
			return libkeel_bad_result(c, method, "\"tid\" or \"cpu\" is missing");
		if (!v)
			continue;
		if (get_int64(c, method, obj, nullable[i], 0, INT_MAX, &n) < 0)
			return -1;
		*dst[i] = (int)n;
	}
	return 0;
}


int libkeel_result_vcpus(struct keel_conn *c, const char *method,
			struct json_object *res, void *out)
{
	struct vcpu_array *o = out;
	size_t n;
	struct keel_vcpu *v;

	if (!json_object_is_type(res, json_type_array))
		return libkeel_bad_result(c, method, "the result is not an array");
	n = json_object_array_length(res);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while reading the vCPU list.",
				  NULL);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (vcpu_from_json(c, method, json_object_array_get_idx(res, i),
				   &v[i]) < 0) {
			free(v);
			return -1;
		}
	}
	o->v = v;
	o->n = n;
	return 0;
}

/* Sched into struct keel_sched *@out (may be NULL). */
int libkeel_result_sched(struct keel_conn *c, const char *method,
			struct json_object *res, void *out)
{
	struct keel_sched sc = { .id = -1 };
	struct json_object *v;
	int64_t weight, cap, id;

	if (require_object(c, method, res) < 0 ||
	    copy_str(c, method, res, "name", sc.name, sizeof(sc.name)) < 0 ||
	    copy_str(c, method, res, "uuid", sc.uuid, sizeof(sc.uuid)) < 0 ||
	    get_int64(c, method, res, "weight", 1, 65535, &weight) < 0 ||
	    get_int64(c, method, res, "cap", 0, INT_MAX, &cap) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "id", &v))
		return libkeel_bad_result(c, method, "\"id\" is missing");
	if (v) {
		if (get_int64(c, method, res, "id", 0, INT_MAX, &id) < 0)
			return -1;
		sc.id = (int)id;
	}
	sc.weight = (int)weight;
	sc.cap = (int)cap;
	if (out)
		*(struct keel_sched *)out = sc;
	return 0;
}


/* One line of host.dmesg's "lines", its message not yet copied. */
static int dmesg_line(struct keel_conn *c, const char *method,
		      struct json_object *l, struct keel_dmesg_line *out,
		      size_t *message_len)
{
	struct json_object *v;
	int64_t seq;

	if (!json_object_is_type(l, json_type_object))
		return libkeel_bad_result(c, method, "a line is not an object");
	if (get_int64(c, method, l, "seq", 1, INT64_MAX, &seq) < 0 ||
	    get_number(c, method, l, "time", 0, &out->time) < 0 ||
	    copy_str(c, method, l, "level", out->level,
		     sizeof(out->level)) < 0)
		return -1;
	if (strcmp(out->level, "error") && strcmp(out->level, "warning") &&
	    strcmp(out->level, "info") && strcmp(out->level, "debug"))
		return libkeel_bad_result(c, method,
					  "a line's \"level\" is not error, warning, info or debug");
	if (!json_object_object_get_ex(l, "message", &v) ||
	    !json_object_is_type(v, json_type_string))
		return libkeel_bad_result(c, method,
					  "\"message\" is missing or not a string");
	out->seq = (unsigned long long)seq;
	*message_len = (size_t)json_object_get_string_len(v);
	return 0;
}

/*
 * {"lines": [...]} into struct dmesg_array *@out: the array and, after
 * it in the same block, the messages, so that one free() frees all.
 */
int libkeel_result_dmesg(struct keel_conn *c, const char *method,
			 struct json_object *res, void *out)
{
	struct dmesg_array *o = out;
	struct json_object *lines;
	struct keel_dmesg_line *l;
	size_t n, i, len = 0, bytes;
	char *text;

	if (require_object(c, method, res) < 0)
		return -1;
	if (!json_object_object_get_ex(res, "lines", &lines) ||
	    !json_object_is_type(lines, json_type_array))
		return libkeel_bad_result(c, method,
					  "\"lines\" is missing or not an array");
	n = json_object_array_length(lines);
	bytes = (n ? n : 1) * sizeof(*l);
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_object_get(
			json_object_array_get_idx(lines, i), "message");

		bytes += (size_t)json_object_get_string_len(m) + 1;
	}
	l = calloc(1, bytes);
	if (!l) {
		libkeel_error_set(c, KEEL_E_LOCAL,
				  "Out of memory while reading keeld's log lines.",
				  NULL);
		return -1;
	}
	text = (char *)(l + (n ? n : 1));
	for (i = 0; i < n; i++) {
		struct json_object *li = json_object_array_get_idx(lines, i);

		if (dmesg_line(c, method, li, &l[i], &len) < 0) {
			free(l);
			return -1;
		}
		memcpy(text, json_object_get_string(
				     json_object_object_get(li, "message")),
		       len + 1);
		l[i].message = text;
		text += len + 1;
	}
	o->lines = l;
	o->n = n;
	return 0;
}

/* {"cleared": N} into unsigned long long *@out (may be NULL). */
int libkeel_result_cleared(struct keel_conn *c, const char *method,
			   struct json_object *res, void *out)
{
	int64_t n;

	if (require_object(c, method, res) < 0 ||
	    get_int64(c, method, res, "cleared", 0, INT64_MAX, &n) < 0)
		return -1;
	if (out)
		*(unsigned long long *)out = (unsigned long long)n;
	return 0;
}
