// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Statistics through libvirt's procedures (docs/libvirt.md, "Statistics
 * and tuning"): virsh domstats (CONNECT_GET_ALL_DOMAIN_STATS, for every
 * domain or a list), domblkstat and domifstat. Every figure is keeld's
 * DomainStats (docs/stats.md), renamed to libvirt's field names; keel
 * computes no rate and invents no counter it does not have.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_params.h"
#include "virt_state.h"

/*
 * virConnectGetAllDomainStatsFlags: the filters (the low eight bits,
 * virt_dom_matches()'s), and the rest.
 */
#define STATS_FILTERS 0xffu
/* keel never waits for a job to read its counters. */
#define STATS_NOWAIT (1u << 29)
/* keel's disks have no backing chain: their stats are the whole disk. */
#define STATS_BACKING (1u << 30)
#define STATS_ENFORCE (1u << 31)

/* virTypedParameterFlags: the remote client always sends it. */
#define PARAM_STRING_OKAY (1u << 2)

/* virDomainMemoryStatTags keel has: the balloon's size, keel-hv's RSS. */
#define MEM_STAT_ACTUAL_BALLOON 6
#define MEM_STAT_RSS 7

/* virVcpuState. */
#define VCPU_OFFLINE 0
#define VCPU_RUNNING 1

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A counter of keeld's answer; 0 when it does not have it. */
static unsigned long long jull(struct json_object *o, const char *key)
{
	long long v = json_object_get_int64(jget(o, key));

	return v > 0 ? (unsigned long long)v : 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) : "";
}

static size_t jlen(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_array) ?
		       json_object_array_length(v) : 0;
}

static struct json_object *jidx(struct json_object *o, const char *key,
				size_t i)
{
	return json_object_array_get_idx(jget(o, key), i);
}

static int fill_vcpus(struct virt_plist *l, const struct keel_domain *d,
		      struct json_object *st, struct json_object *config)
{
	long long max = json_object_get_int64(jget(config, "maxvcpus"));
	size_t i, n = jlen(st, "vcpus");
	int rc;

	rc = virt_plist_uint(l, (unsigned)d->vcpus, "vcpu.current");
	if (!rc)
		rc = virt_plist_uint(l, (unsigned)(max > 0 ? max : d->vcpus),
				     "vcpu.maximum");
	for (i = 0; i < n && !rc; i++) {
		struct json_object *v = jidx(st, "vcpus", i);
		const char *s = jstr(v, "state");
		int id = json_object_get_int(jget(v, "id"));
		bool on = !strcmp(s, "running") || !strcmp(s, "paused");

		rc = virt_plist_int(l, on ? VCPU_RUNNING : VCPU_OFFLINE,
				    "vcpu.%d.state", id);
		if (!rc)
			rc = virt_plist_ullong(l, jull(v, "time_ns"),
					       "vcpu.%d.time", id);
	}
	return rc;
}

/* libvirt's net.N.* for keeld's nics[] (rx: what the guest received). */
static int fill_nics(struct virt_plist *l, struct json_object *st)
{
	static const char *const keys[][2] = {
		{ "rx.bytes", "rx_bytes" }, { "rx.pkts", "rx_pkts" },
		{ "rx.errs", "rx_errs" },   { "rx.drop", "rx_drop" },
		{ "tx.bytes", "tx_bytes" }, { "tx.pkts", "tx_pkts" },
		{ "tx.errs", "tx_errs" },   { "tx.drop", "tx_drop" },
	};
	size_t i, k, n = jlen(st, "nics");
	int rc = virt_plist_uint(l, (unsigned)n, "net.count");

	for (i = 0; i < n && !rc; i++) {
		struct json_object *nic = jidx(st, "nics", i);
		const char *name = jstr(nic, "tap");

		rc = virt_plist_string(l, *name ? name : jstr(nic, "mac"),
				       "net.%zu.name", i);
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]) && !rc; k++)
			rc = virt_plist_ullong(l, jull(nic, keys[k][1]),
					       "net.%zu.%s", i, keys[k][0]);
	}
	return rc;
}

/*
 * libvirt's block.N.* for keeld's disks[] while the domain runs, or
 * only the names of the configuration's (@st NULL) when it does not.
 */
static int fill_disks(struct virt_plist *l, struct json_object *st,
		      struct json_object *config)
{
	static const char *const keys[][2] = {
		{ "rd.reqs", "rd_reqs" },   { "rd.bytes", "rd_bytes" },
		{ "rd.times", "rd_time_ns" }, { "wr.reqs", "wr_reqs" },
		{ "wr.bytes", "wr_bytes" }, { "wr.times", "wr_time_ns" },
		{ "fl.reqs", "fl_reqs" },   { "fl.times", "fl_time_ns" },
	};
	struct json_object *src = st ? st : config;
	size_t i, k, n = jlen(src, "disks");
	int rc = virt_plist_uint(l, (unsigned)n, "block.count");

	for (i = 0; i < n && !rc; i++) {
		struct json_object *disk = jidx(src, "disks", i);

		rc = virt_plist_string(l, jstr(disk, "vdev"), "block.%zu.name",
				       i);
		if (!rc)
			rc = virt_plist_string(l, jstr(disk, "path"),
					       "block.%zu.path", i);
		for (k = 0; st && k < sizeof(keys) / sizeof(keys[0]) && !rc;
		     k++)
			rc = virt_plist_ullong(l, jull(disk, keys[k][1]),
					       "block.%zu.%s", i, keys[k][0]);
	}
	return rc;
}

int virt_stats_fill(struct virt_plist *l, const struct keel_domain *d,
		    struct json_object *st, struct json_object *config,
		    unsigned groups)
{
	struct json_object *mem = jget(st, "memory");
	int rc = 0;

	if (groups & VIRT_STATS_STATE) {
		rc = virt_plist_int(l, d->state, "state.state");
		if (!rc)
			rc = virt_plist_int(l,
					    virt_state_reason(d->state,
							      d->reason),
					    "state.reason");
	}
	if (!rc && groups & VIRT_STATS_CPU_TOTAL && st)
		rc = virt_plist_ullong(l, jull(jget(st, "cpu"), "time_ns"),
				       "cpu.time");
	if (!rc && groups & VIRT_STATS_BALLOON) {
		long long maxmem = json_object_get_int64(jget(config, "maxmem"));
		unsigned long long cur = (unsigned long long)d->memory_mib * 1024;
		unsigned long long max = (unsigned long long)(maxmem > 0 ?
			maxmem : d->memory_mib) * 1024;

		if (st) {
			cur = jull(mem, "current_kib");
			max = jull(mem, "maximum_kib");
		}
		rc = virt_plist_ullong(l, cur, "balloon.current");
		if (!rc)
			rc = virt_plist_ullong(l, max, "balloon.maximum");
		if (!rc && st)
			rc = virt_plist_ullong(l, jull(mem, "rss_kib"),
					       "balloon.rss");
	}
	if (!rc && groups & VIRT_STATS_VCPU)
		rc = fill_vcpus(l, d, st, config);
	if (!rc && groups & VIRT_STATS_INTERFACE && st)
		rc = fill_nics(l, st);
	if (!rc && groups & VIRT_STATS_BLOCK)
		rc = fill_disks(l, st, config);
	return rc;
}

/* One record: @d's name, and the groups asked for. */
static int record_fill(struct virt_call *call, struct vx_stats_record *r,
		       const struct keel_domain *d, struct json_object *st,
		       struct json_object *config, unsigned groups)
{
	struct virt_plist l = { 0 };
	int rc;

	if (virt_dom_fill(call, &r->dom, d))
		return -1;
	rc = virt_stats_fill(&l, d, st, config, groups);
	if (rc) {
		virt_plist_dispose(&l);
		return virt_call_nomem(call);
	}
	if (l.len > VX_STATS_PARAMS_MAX) {
		virt_plist_dispose(&l);
		return virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				       "Domain %s has more statistics than libvirt's protocol carries (%d).",
				       d->name, VX_STATS_PARAMS_MAX);
	}
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

/* keeld's stats_all entry for the domain of @uuid, or NULL. */
static struct json_object *stats_of(struct json_object *all, const char *uuid)
{
	size_t i, n = jlen(all, "domains");

	for (i = 0; i < n; i++) {
		struct json_object *s = jidx(all, "domains", i);

		if (!strcmp(jstr(s, "uuid"), uuid))
			return s;
	}
	return NULL;
}

/* Every domain keeld has that @flags lets through. */
static int stats_every(struct virt_call *call, unsigned flags,
		       unsigned groups, struct vx_all_stats_ret *r)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct json_object *configs = NULL, *all = NULL;
	struct keel_domain *list = NULL;
	size_t i, n = 0;
	u_int count = 0;
	int rc = -1;

	if (!kc)
		return -1;
	if (keel_domain_list_info(kc, &list, &n, &configs) ||
	    (groups & ~VIRT_STATS_STATE && keel_domain_stats_all(kc, &all))) {
		virt_call_keel_error(call);
		goto out;
	}
	if (n > VX_DOMAIN_LIST_MAX) {
		virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				"keel has %zu domains, more than libvirt's protocol can list (%d).",
				n, VX_DOMAIN_LIST_MAX);
		goto out;
	}
	r->records.records_val = n ? calloc(n, sizeof(vx_stats_record)) :
				     NULL;
	if (n && !r->records.records_val) {
		virt_call_nomem(call);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!virt_dom_matches(&list[i], flags & STATS_FILTERS))
			continue;
		/* counted first, so xdr_free() frees what a failure left */
		r->records.records_len = ++count;
		if (record_fill(call, &r->records.records_val[count - 1],
				&list[i],
				list[i].id >= 0 ? stats_of(all, list[i].uuid) :
						  NULL,
				json_object_array_get_idx(configs, i), groups))
			goto out;
	}
	rc = 0;
out:
	json_object_put(all);
	json_object_put(configs);
	free(list);
	return rc;
}

/* The domains @doms (@n) named, in their order. */
static int stats_list(struct virt_call *call, const vx_dom *doms, u_int n,
		      unsigned groups, struct vx_all_stats_ret *r)
{
	u_int i;

	r->records.records_val = calloc(n, sizeof(vx_stats_record));
	if (!r->records.records_val)
		return virt_call_nomem(call);
	for (i = 0; i < n; i++) {
		struct json_object *config = NULL, *st = NULL;
		struct keel_domain d;
		int rc;

		if (virt_dom_get(call, &doms[i], &d, &config))
			return -1;
		if (d.id >= 0 && groups & ~VIRT_STATS_STATE &&
		    keel_domain_stats(*call->keel, d.uuid, &st)) {
			json_object_put(config);
			return virt_call_keel_error(call);
		}
		/* counted first, so xdr_free() frees what a failure left */
		r->records.records_len = i + 1;
		rc = record_fill(call, &r->records.records_val[i], &d, st,
				 config, groups);
		json_object_put(st);
		json_object_put(config);
		if (rc)
			return -1;
	}
	return 0;
}

int virt_h_get_all_stats(struct virt_call *call, void *args, void *ret)
{
	struct vx_all_stats_args *a = args;
	unsigned groups = a->stats ? a->stats : VIRT_STATS_ALL;

	if (virt_call_check_flags(call, a->flags,
				  STATS_FILTERS | STATS_NOWAIT |
					  STATS_BACKING | STATS_ENFORCE))
		return -1;
	if (a->flags & STATS_ENFORCE && groups & ~VIRT_STATS_ALL)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel has no statistics of the groups %#x; it has state, cpu-total, balloon, vcpu, interface and block.",
				       groups & ~VIRT_STATS_ALL);
	groups &= VIRT_STATS_ALL;
	if (!a->doms.doms_len)
		return stats_every(call, a->flags & STATS_FILTERS, groups, ret);
	if (a->flags & STATS_FILTERS)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The filter flags %#x choose among every domain; a list of domains takes none.",
				       a->flags & STATS_FILTERS);
	return stats_list(call, a->doms.doms_val, a->doms.doms_len, groups,
			  ret);
}

/*
 * A running domain's sample (the caller puts *@st); keeld refuses one
 * that is not running (VIR_ERR_OPERATION_INVALID).
 */
static int dom_sample(struct virt_call *call, const vx_dom *dom,
		      struct json_object **st)
{
	struct keel_domain d;

	if (virt_dom_get(call, dom, &d, NULL))
		return -1;
	if (d.id < 0)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running.", d.name);
	if (keel_domain_stats(*call->keel, d.uuid, st))
		return virt_call_keel_error(call);
	return 0;
}

/* The disk @path names (vdev or path), summed over all for "". */
struct blk_sum {
	long long rd_req, rd_bytes, wr_req, wr_bytes, fl_req;
	long long rd_ns, wr_ns, fl_ns, errs;
};

static int blk_find(struct virt_call *call, const vx_dom *dom,
		    const char *path, struct blk_sum *s)
{
	struct json_object *st = NULL;
	size_t i, n;
	bool found = false;

	if (dom_sample(call, dom, &st))
		return -1;
	memset(s, 0, sizeof(*s));
	n = jlen(st, "disks");
	for (i = 0; i < n; i++) {
		struct json_object *disk = jidx(st, "disks", i);

		if (*path && strcmp(path, jstr(disk, "vdev")) &&
		    strcmp(path, jstr(disk, "path")))
			continue;
		found = true;
		s->rd_req += (long long)jull(disk, "rd_reqs");
		s->rd_bytes += (long long)jull(disk, "rd_bytes");
		s->wr_req += (long long)jull(disk, "wr_reqs");
		s->wr_bytes += (long long)jull(disk, "wr_bytes");
		s->fl_req += (long long)jull(disk, "fl_reqs");
		s->rd_ns += (long long)jull(disk, "rd_time_ns");
		s->wr_ns += (long long)jull(disk, "wr_time_ns");
		s->fl_ns += (long long)jull(disk, "fl_time_ns");
		s->errs += (long long)jull(disk, "errors");
	}
	json_object_put(st);
	if (!found && *path)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The domain has no disk %s: give its target (vda) or its source path.",
				       path);
	return 0;
}

int virt_h_block_stats(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_path_args *a = args;
	struct vx_block_stats_ret *r = ret;
	struct blk_sum s;

	if (blk_find(call, &a->dom, a->path, &s))
		return -1;
	r->rd_req = s.rd_req;
	r->rd_bytes = s.rd_bytes;
	r->wr_req = s.wr_req;
	r->wr_bytes = s.wr_bytes;
	r->errs = s.errs;
	return 0;
}

/* libvirt's VIR_DOMAIN_BLOCK_STATS_* fields, which keel all has. */
#define BLOCK_STATS_NPARAMS 9

int virt_h_block_stats_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dev_params_args *a = args;
	struct vx_params_ret *r = ret;
	struct virt_plist l = { 0 };
	struct blk_sum s;
	int rc;

	if (virt_call_check_flags(call, a->flags, PARAM_STRING_OKAY) ||
	    blk_find(call, &a->dom, a->dev, &s))
		return -1;
	if (a->nparams == 0) {
		r->nparams = BLOCK_STATS_NPARAMS;
		return 0;
	}
	rc = virt_plist_llong(&l, s.rd_req, "rd_operations");
	rc = rc ? rc : virt_plist_llong(&l, s.rd_bytes, "rd_bytes");
	rc = rc ? rc : virt_plist_llong(&l, s.wr_req, "wr_operations");
	rc = rc ? rc : virt_plist_llong(&l, s.wr_bytes, "wr_bytes");
	rc = rc ? rc : virt_plist_llong(&l, s.fl_req, "flush_operations");
	rc = rc ? rc : virt_plist_llong(&l, s.rd_ns, "rd_total_times");
	rc = rc ? rc : virt_plist_llong(&l, s.wr_ns, "wr_total_times");
	rc = rc ? rc : virt_plist_llong(&l, s.fl_ns, "flush_total_times");
	rc = rc ? rc : virt_plist_llong(&l, s.errs, "errs");
	if (rc) {
		virt_plist_dispose(&l);
		return virt_call_nomem(call);
	}
	virt_plist_truncate(&l, a->nparams);
	r->nparams = (int)l.len;
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

int virt_h_interface_stats(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_path_args *a = args;
	struct vx_interface_stats_ret *r = ret;
	struct json_object *st = NULL, *nic = NULL;
	size_t i, n;

	if (dom_sample(call, &a->dom, &st))
		return -1;
	n = jlen(st, "nics");
	for (i = 0; i < n && !nic; i++) {
		struct json_object *c = jidx(st, "nics", i);

		if (!strcmp(a->path, jstr(c, "tap")) ||
		    !strcasecmp(a->path, jstr(c, "mac")))
			nic = c;
	}
	if (!nic) {
		json_object_put(st);
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The domain has no interface %s: give its target device (its tap) or its MAC address.",
				       a->path);
	}
	r->rx_bytes = (long long)jull(nic, "rx_bytes");
	r->rx_packets = (long long)jull(nic, "rx_pkts");
	r->rx_errs = (long long)jull(nic, "rx_errs");
	r->rx_drop = (long long)jull(nic, "rx_drop");
	r->tx_bytes = (long long)jull(nic, "tx_bytes");
	r->tx_packets = (long long)jull(nic, "tx_pkts");
	r->tx_errs = (long long)jull(nic, "tx_errs");
	r->tx_drop = (long long)jull(nic, "tx_drop");
	json_object_put(st);
	return 0;
}

/* virsh dommemstat: what keel knows of the guest's memory from outside. */
int virt_h_memory_stats(struct virt_call *call, void *args, void *ret)
{
	struct vx_memory_stats_args *a = args;
	struct vx_memory_stats_ret *r = ret;
	struct json_object *st = NULL, *mem;
	unsigned n = a->max_stats < 2 ? a->max_stats : 2;

	if (virt_call_check_flags(call, a->flags, 0) ||
	    dom_sample(call, &a->dom, &st))
		return -1;
	mem = jget(st, "memory");
	r->stats.stats_val = n ? calloc(n, sizeof(vx_memory_stat)) : NULL;
	if (n && !r->stats.stats_val) {
		json_object_put(st);
		return virt_call_nomem(call);
	}
	r->stats.stats_len = n;
	if (n > 0) {
		r->stats.stats_val[0].tag = MEM_STAT_ACTUAL_BALLOON;
		r->stats.stats_val[0].val = jull(mem, "current_kib");
	}
	if (n > 1) {
		r->stats.stats_val[1].tag = MEM_STAT_RSS;
		r->stats.stats_val[1].val = jull(mem, "rss_kib");
	}
	json_object_put(st);
	return 0;
}
