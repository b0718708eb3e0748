// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tuning through libvirt's procedures (docs/libvirt.md, "Statistics and
 * tuning"): memory and a disk's and a NIC's I/O limits here, and the
 * checks every tuning procedure makes, which virt_tune_cpu.c's vCPUs,
 * pinning and scheduler use too. Each is one libkeel call after the
 * domain is looked up. keeld changes a running domain and its
 * definition together (xl's way), so libvirt's --live and --config are
 * checked against what keel does, never ignored.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_params.h"

/* virDomainMemoryModFlags. */
#define MEM_MAXIMUM (1u << 2)

/*
 * May a change with libvirt's @flags (live, config, both; 0 the current
 * state) go to @d? keel changes a running domain live and in its
 * definition at once: --live gets both, --config alone on a running
 * domain cannot be done, --live on a shut-off domain makes no sense.
 */
static int tune_affect(struct virt_call *call, const struct keel_domain *d,
		       unsigned flags, const char *what)
{
	bool running = d->id >= 0;

	if (flags & AFFECT_LIVE && !running)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running, so its %s cannot change live; drop --live.",
				       d->name, what);
	if (running && (flags & AFFECT_ALL) == AFFECT_CONFIG)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel changes a running domain's %s live and in its definition together, not in its definition alone; give --live (or --current), or shut %s off first.",
				       what, d->name);
	if (running && flags & AFFECT_CONFIG && !d->persistent)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is transient: it has no definition to change (--config).",
				       d->name);
	return 0;
}

/*
 * May a reading with @flags go to @d? One of live and config; --live of
 * a shut-off domain has nothing to read. --config of a running domain
 * reads the configuration it runs with, which keel's changes keep equal
 * to its definition (as dumpxml --inactive does; docs/libvirt.md).
 */
static int read_affect(struct virt_call *call, const struct keel_domain *d,
		       unsigned flags, const char *what)
{
	if ((flags & AFFECT_ALL) == AFFECT_ALL)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Read the live %s or the definition's, not both.",
				       what);
	if (flags & AFFECT_LIVE && d->id < 0)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running, so it has no live %s.",
				       d->name, what);
	return 0;
}

/*
 * @dom's summary and (when @config) configuration, after @flags' check
 * for a change, or for a reading (@read).
 */
int virt_tune_dom(struct virt_call *call, const vx_dom *dom, unsigned flags,
		  unsigned allowed, bool read, const char *what,
		  struct keel_domain *d, struct json_object **config)
{
	if (virt_call_check_flags(call, flags, allowed) ||
	    virt_dom_get(call, dom, d, config))
		return -1;
	if (read ? read_affect(call, d, flags, what) :
		   tune_affect(call, d, flags, what)) {
		if (config) {
			json_object_put(*config);
			*config = NULL;
		}
		return -1;
	}
	return 0;
}

long long virt_tune_cfg_ll(struct json_object *config, const char *key,
			   long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(config, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

/* A field's value as a number, or an error naming it. */
int virt_tune_param_num(struct virt_call *call, const vx_param *p,
			long long *v)
{
	if (virt_param_ll(p, v))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Parameter %s must be a whole number.",
				       p->field);
	return 0;
}

/* The fields of @known that @p (@n) may name, each once. */
int virt_tune_params_check(struct virt_call *call, const vx_param *p, u_int n,
			   const char *const *known, const char *what)
{
	char list[512] = "";
	const vx_param *bad;
	bool dup;
	size_t k;

	if (!virt_params_check(p, n, known, &bad, &dup))
		return 0;
	if (dup)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Parameter %s is given twice.",
				       bad->field);
	for (k = 0; known[k]; k++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s%s", k ? ", " : "", known[k]);
	return virt_call_error(call, VIR_ERR_INVALID_ARG,
			       "keel has no %s parameter %s; it has %s.", what,
			       bad->field, list);
}

/* --- memory ----------------------------------------------------------- */

/* KiB as keel's MiB, rounded up as domain XML's <memory> is. */
static int set_memory(struct virt_call *call, const vx_dom *dom,
		      unsigned long long kib, unsigned flags)
{
	long long mib = (long long)((kib + 1023) / 1024);
	bool max = flags & MEM_MAXIMUM;
	struct keel_domain d;
	int rc;

	if (virt_tune_dom(call, dom, flags, AFFECT_ALL | MEM_MAXIMUM, false,
			  max ? "maximum memory" : "memory", &d, NULL))
		return -1;
	if (kib > (unsigned long long)LLONG_MAX / 2 || !kib)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "%llu KiB is not a memory size keel can give a domain.",
				       kib);
	rc = max ? keel_domain_set_maxmem(*call->keel, d.uuid, mib, NULL) :
		   keel_domain_set_memory(*call->keel, d.uuid, mib, NULL);
	return rc ? virt_call_keel_error(call) : 0;
}

int virt_h_set_max_memory(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_memory_args *a = args;

	return set_memory(call, &a->dom, a->memory, MEM_MAXIMUM);
}

int virt_h_set_memory(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_memory_args *a = args;

	/* as libvirt's drivers: the running domain's memory */
	return set_memory(call, &a->dom, a->memory, AFFECT_LIVE);
}

int virt_h_set_memory_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_memory_flags_args *a = args;

	return set_memory(call, &a->dom, a->memory, a->flags);
}

/* --- a disk's and a NIC's limits --------------------------------------- */

/* libvirt's blkdeviotune fields: keel's DiskIotune by the same names. */
static const char *const iotune_fields[] = {
	"total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
	"total_iops_sec", "read_iops_sec", "write_iops_sec",
	"total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
	"total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max",
	NULL,
};

#define IOTUNE_NPARAMS 12

int virt_h_get_block_io_tune(struct virt_call *call, void *args, void *ret)
{
	struct vx_get_iotune_args *a = args;
	struct vx_params_ret *r = ret;
	struct json_object *out = NULL, *limits = NULL;
	struct virt_plist l = { 0 };
	struct keel_domain d;
	size_t k;
	int rc = 0;

	/* virsh asks how many there are naming no disk */
	if (!a->disk && a->nparams == 0 &&
	    !virt_call_check_flags(call, a->flags,
				   AFFECT_ALL | PARAM_STRING_OKAY)) {
		r->nparams = IOTUNE_NPARAMS;
		return 0;
	}
	if (!a->disk)
		return call->message ? -1 :
		       virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Name the disk: its target (vda) or its source path.");
	if (virt_tune_dom(call, &a->dom, a->flags,
			  AFFECT_ALL | PARAM_STRING_OKAY, true, "I/O limits",
			  &d, NULL))
		return -1;
	if (keel_domain_blkdeviotune(*call->keel, d.uuid, *a->disk, NULL, &out))
		return virt_call_keel_error(call);
	if (a->nparams == 0) {
		json_object_put(out);
		r->nparams = IOTUNE_NPARAMS;
		return 0;
	}
	json_object_object_get_ex(out, "limits", &limits);
	for (k = 0; iotune_fields[k] && !rc; k++)
		rc = virt_plist_ullong(
			&l,
			(unsigned long long)virt_tune_cfg_ll(limits,
							     iotune_fields[k],
							     0),
			"%s", iotune_fields[k]);
	json_object_put(out);
	if (rc) {
		virt_plist_dispose(&l);
		return virt_call_nomem(call);
	}
	virt_plist_truncate(&l, a->nparams);
	r->nparams = (int)l.len;
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

/* @p's fields, all non-negative numbers, into the object @o by name. */
static int params_json(struct virt_call *call, const vx_param *p, u_int n,
		       struct json_object *o, const char *prefix)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	long long v;
	u_int i;

	for (i = 0; i < n; i++) {
		if (plen && strncmp(p[i].field, prefix, plen))
			continue;
		if (virt_tune_param_num(call, &p[i], &v))
			return -1;
		if (v < 0)
			return virt_call_error(call, VIR_ERR_INVALID_ARG,
					       "Parameter %s is %lld; a limit is 0 (none) or more.",
					       p[i].field, v);
		if (json_object_object_add(o, p[i].field + plen,
					   json_object_new_int64(v)))
			return virt_call_nomem(call);
	}
	return 0;
}

int virt_h_set_block_io_tune(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_dev_params_args *a = args;
	struct json_object *changes, *limits;
	struct keel_domain d;
	int rc;

	if (virt_tune_params_check(call, a->params.params_val,
				   a->params.params_len, iotune_fields,
				   "block I/O tuning") ||
	    virt_tune_dom(call, &a->dom, a->flags, AFFECT_ALL, false,
			  "I/O limits", &d, NULL))
		return -1;
	changes = json_object_new_object();
	limits = json_object_new_object();
	if (!changes || !limits ||
	    json_object_object_add(changes, "limits", limits)) {
		json_object_put(changes);
		json_object_put(limits);
		return virt_call_nomem(call);
	}
	rc = params_json(call, a->params.params_val, a->params.params_len,
			 limits, NULL);
	if (!rc && keel_domain_blkdeviotune(*call->keel, d.uuid, a->dev,
					    changes, NULL))
		rc = virt_call_keel_error(call);
	json_object_put(changes);
	return rc;
}

/* libvirt's domiftune fields; keel has no floor (a guarantee). */
static const char *const iftune_fields[] = {
	"inbound.average", "inbound.peak", "inbound.burst", "inbound.floor",
	"outbound.average", "outbound.peak", "outbound.burst", NULL,
};

#define IFTUNE_NPARAMS 6

int virt_h_get_interface_params(struct virt_call *call, void *args,
				void *ret)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	static const char *const keys[] = { "average", "peak", "burst" };
	struct vx_dev_params_args *a = args;
	struct vx_params_ret *r = ret;
	struct json_object *out = NULL, *dir;
	struct virt_plist l = { 0 };
	struct keel_domain d;
	size_t i, k;
	int rc = 0;

	if (virt_tune_dom(call, &a->dom, a->flags,
			  AFFECT_ALL | PARAM_STRING_OKAY, true,
			  "interface limits", &d, NULL))
		return -1;
	if (keel_domain_domiftune(*call->keel, d.uuid, a->dev, NULL, &out))
		return virt_call_keel_error(call);
	if (a->nparams == 0) {
		json_object_put(out);
		r->nparams = IFTUNE_NPARAMS;
		return 0;
	}
	for (i = 0; i < 2 && !rc; i++) {
		json_object_object_get_ex(out, dirs[i], &dir);
		for (k = 0; k < 3 && !rc; k++) {
			long long v = virt_tune_cfg_ll(dir, keys[k], 0);

			rc = v < 0 || v > UINT_MAX ? -ERANGE :
			     virt_plist_uint(&l, (unsigned)v, "%s.%s",
					     dirs[i], keys[k]);
		}
	}
	json_object_put(out);
	if (rc) {
		virt_plist_dispose(&l);
		return rc == -ERANGE ?
			       virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
					       "The limit of interface %s is past what libvirt can carry (4 TiB/s).",
					       a->dev) :
			       virt_call_nomem(call);
	}
	virt_plist_truncate(&l, a->nparams);
	r->nparams = (int)l.len;
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

int virt_h_set_interface_params(struct virt_call *call, void *args,
				void *ret)
{
	struct vx_set_dev_params_args *a = args;
	const vx_param *p = a->params.params_val, *floor;
	u_int n = a->params.params_len;
	struct json_object *changes, *in, *out;
	struct keel_domain d;
	long long v;
	int rc;

	if (virt_tune_params_check(call, p, n, iftune_fields,
				   "interface tuning"))
		return -1;
	floor = virt_param_find(p, n, "inbound.floor");
	if (floor && virt_tune_param_num(call, floor, &v))
		return -1;
	if (floor && v)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel's NIC limits have no guaranteed floor (inbound.floor).");
	if (virt_tune_dom(call, &a->dom, a->flags, AFFECT_ALL, false,
			  "interface limits", &d, NULL))
		return -1;
	changes = json_object_new_object();
	in = json_object_new_object();
	out = json_object_new_object();
	if (!changes || !in || !out) {
		json_object_put(changes);
		json_object_put(in);
		json_object_put(out);
		return virt_call_nomem(call);
	}
	rc = params_json(call, p, n, in, "inbound.");
	if (!rc)
		rc = params_json(call, p, n, out, "outbound.");
	json_object_object_del(in, "floor");
	if (!rc && json_object_object_length(in))
		json_object_object_add(changes, "inbound", json_object_get(in));
	if (!rc && json_object_object_length(out))
		json_object_object_add(changes, "outbound",
				       json_object_get(out));
	if (!rc && keel_domain_domiftune(*call->keel, d.uuid, a->dev, changes,
					 NULL))
		rc = virt_call_keel_error(call);
	json_object_put(in);
	json_object_put(out);
	json_object_put(changes);
	return rc;
}
