// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CPU tuning through libvirt's procedures (docs/libvirt.md, "Statistics
 * and tuning"): a domain's vCPUs, their pinning, the host's CPU map and
 * the scheduler's CPU shares and quota. Each is one libkeel call after
 * the domain is looked up and virt_tune.c's checks of --live and
 * --config.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"
#include "domxml.h"
#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_params.h"

/* virDomainVcpuFlags. */
#define VCPU_MAXIMUM (1u << 2)
#define VCPU_GUEST (1u << 3)
/* keel's vCPUs are always ACPI hot-pluggable. */
#define VCPU_HOTPLUGGABLE (1u << 4)

/* virVcpuState. */
#define VCPU_OFFLINE 0
#define VCPU_RUNNING 1
#define VCPU_BLOCKED 2

#define SCHED_NPARAMS 5

/* --- vCPUs ------------------------------------------------------------ */

static int set_vcpus(struct virt_call *call, const vx_dom *dom,
		     unsigned nvcpus, unsigned flags)
{
	struct keel_domain d;

	if (flags & VCPU_MAXIMUM)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel's maximum of vCPUs is fixed by the definition's <vcpu>: change it with virsh edit or define (--maximum).");
	if (flags & VCPU_GUEST)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel has no guest agent to offline vCPUs inside the guest (--guest).");
	if (virt_tune_dom(call, dom, flags, AFFECT_ALL | VCPU_HOTPLUGGABLE,
			  false, "vCPUs", &d, NULL))
		return -1;
	if (nvcpus < 1 || nvcpus > INT_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "A domain needs at least one vCPU, not %u.",
				       nvcpus);
	if (keel_domain_set_vcpus(*call->keel, d.uuid, (int)nvcpus, NULL))
		return virt_call_keel_error(call);
	return 0;
}

int virt_h_set_vcpus(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_vcpus_args *a = args;

	/* as libvirt's drivers: the running domain's vCPUs */
	return set_vcpus(call, &a->dom, a->nvcpus, AFFECT_LIVE);
}

int virt_h_set_vcpus_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_vcpus_flags_args *a = args;

	return set_vcpus(call, &a->dom, a->nvcpus, a->flags);
}

static int max_vcpus(struct json_object *config, const struct keel_domain *d)
{
	long long max = virt_tune_cfg_ll(config, "maxvcpus", 0);

	return max > 0 ? (int)max : d->vcpus;
}

int virt_h_get_vcpus_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct json_object *config = NULL;
	struct keel_domain d;

	if (a->flags & VCPU_GUEST)
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel has no guest agent to ask the guest its vCPUs (--guest).");
	if (virt_call_check_flags(call, a->flags, AFFECT_ALL | VCPU_MAXIMUM) ||
	    virt_dom_get(call, &a->dom, &d, &config))
		return -1;
	if ((a->flags & AFFECT_ALL) == AFFECT_ALL) {
		json_object_put(config);
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Ask for the live count or the definition's, not both.");
	}
	if (a->flags & AFFECT_LIVE && d.id < 0) {
		json_object_put(config);
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running.", d.name);
	}
	((struct vx_int_ret *)ret)->value =
		a->flags & VCPU_MAXIMUM ? max_vcpus(config, &d) : d.vcpus;
	json_object_put(config);
	return 0;
}

int virt_h_get_dom_max_vcpus(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct json_object *config = NULL;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, &config))
		return -1;
	((struct vx_int_ret *)ret)->value = max_vcpus(config, &d);
	json_object_put(config);
	return 0;
}

/* An xl CPU list (keel's affinity, "all") as libvirt's bitmap. */
static int cpus_to_map(const char *list, const struct cpumap *host,
		       unsigned char *map, int maplen)
{
	char err[CPUMAP_ERR_MAX];
	struct cpumap m;
	int c;

	if (cpumap_parse(list && *list ? list : "all", host, &m, err))
		return -EINVAL;
	for (c = 0; c < maplen * 8 && c < CPUMAP_MAX_CPUS; c++)
		if (cpumap_test(&m, (unsigned)c))
			map[c / 8] |= (unsigned char)(1u << (c % 8));
	return 0;
}

/* The room a client asks for: @n maps of @maplen bytes. */
static int maps_room(struct virt_call *call, int n, int maplen)
{
	if (n < 0 || maplen <= 0 || maplen > VX_CPUMAP_MAX ||
	    (long long)n * maplen > VX_CPUMAPS_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "%d maps of %d bytes are outside libvirt's limits.",
				       n, maplen);
	return 0;
}

int virt_h_get_vcpus(struct virt_call *call, void *args, void *ret)
{
	struct vx_get_vcpus_args *a = args;
	struct vx_get_vcpus_ret *r = ret;
	struct keel_vcpu *v = NULL;
	struct keel_domain d;
	struct cpumap host;
	size_t i, n = 0;

	if (a->maxinfo < 0 || a->maxinfo > VX_VCPUINFO_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "maxinfo %d is outside libvirt's limit.",
				       a->maxinfo);
	if (a->maplen && maps_room(call, a->maxinfo, a->maplen))
		return -1;
	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	if (d.id < 0)
		return virt_call_error(call, VIR_ERR_OPERATION_INVALID,
				       "Domain %s is not running.", d.name);
	if (keel_domain_vcpu_list(*call->keel, d.uuid, &v, &n))
		return virt_call_keel_error(call);
	if (n > (size_t)a->maxinfo)
		n = (size_t)a->maxinfo;
	if (cpumap_host(&host))
		cpumap_zero(&host);
	r->info.info_val = n ? calloc(n, sizeof(vx_vcpu_info)) : NULL;
	if (n && a->maplen)
		r->cpumaps.cpumaps_val = calloc(n, (size_t)a->maplen);
	if (n && (!r->info.info_val || (a->maplen && !r->cpumaps.cpumaps_val))) {
		free(v);
		return virt_call_nomem(call);
	}
	for (i = 0; i < n; i++) {
		vx_vcpu_info *o = &r->info.info_val[i];

		o->number = (unsigned)v[i].vcpu;
		o->state = !strcmp(v[i].state, "offline") ? VCPU_OFFLINE :
			   !strcmp(v[i].state, "blocked") ? VCPU_BLOCKED :
							     VCPU_RUNNING;
		o->cpu_time = (unsigned long long)(v[i].time * 1e9);
		o->cpu = v[i].cpu;
		if (a->maplen)
			cpus_to_map(v[i].affinity, &host,
				    (unsigned char *)r->cpumaps.cpumaps_val +
					    i * (size_t)a->maplen,
				    a->maplen);
	}
	r->info.info_len = (u_int)n;
	r->cpumaps.cpumaps_len = (u_int)(n * (size_t)a->maplen);
	free(v);
	return 0;
}

/*
 * virsh and python3-libvirt size their cpumaps by the host's CPUs
 * (virNodeGetCPUMap; python has no fallback). keel's host CPUs are
 * those keel-virtd, beside keeld, may run on, as keeld's pinning checks.
 */
int virt_h_node_get_cpu_map(struct virt_call *call, void *args, void *ret)
{
	struct vx_cpu_map_args *a = args;
	struct vx_cpu_map_ret *r = ret;
	struct cpumap host;
	int c, n = 0;

	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (cpumap_host(&host))
		return virt_call_error(call, VIR_ERR_SYSTEM_ERROR,
				       "keel-virtd cannot read this host's CPUs.");
	for (c = 0; c < CPUMAP_MAX_CPUS; c++)
		if (cpumap_test(&host, (unsigned)c))
			n = c + 1;
	if (a->need_map) {
		r->cpumap.cpumap_val = calloc(1, (size_t)(n + 7) / 8);
		if (!r->cpumap.cpumap_val)
			return virt_call_nomem(call);
		r->cpumap.cpumap_len = (u_int)(n + 7) / 8;
		cpus_to_map("all", &host,
			    (unsigned char *)r->cpumap.cpumap_val,
			    (n + 7) / 8);
	}
	if (a->need_online)
		r->online = cpumap_count(&host);
	r->ret = n;
	return 0;
}

/* vCPU @i's CPU list in keel's "cpus" setting (a string, or one each). */
static const char *pin_of(struct json_object *config, int i)
{
	struct json_object *cpus;

	if (!json_object_object_get_ex(config, "cpus", &cpus))
		return "all";
	if (json_object_is_type(cpus, json_type_string))
		return json_object_get_string(cpus);
	if (json_object_is_type(cpus, json_type_array) &&
	    (size_t)i < json_object_array_length(cpus))
		return json_object_get_string(
			json_object_array_get_idx(cpus, (size_t)i));
	return "all";
}

int virt_h_get_vcpu_pin_info(struct virt_call *call, void *args, void *ret)
{
	struct vx_vcpu_pin_info_args *a = args;
	struct vx_vcpu_pin_info_ret *r = ret;
	struct json_object *config = NULL;
	struct keel_domain d;
	struct cpumap host;
	int i, n;

	if (maps_room(call, a->ncpumaps, a->maplen) ||
	    virt_tune_dom(call, &a->dom, a->flags, AFFECT_ALL, true,
			  "vCPU pinning", &d, &config))
		return -1;
	n = max_vcpus(config, &d);
	if (n > a->ncpumaps)
		n = a->ncpumaps;
	if (cpumap_host(&host)) {
		json_object_put(config);
		return virt_call_error(call, VIR_ERR_SYSTEM_ERROR,
				       "keel-virtd cannot read this host's CPUs.");
	}
	r->cpumaps.cpumaps_val = n ? calloc((size_t)n, (size_t)a->maplen) :
				     NULL;
	if (n && !r->cpumaps.cpumaps_val) {
		json_object_put(config);
		return virt_call_nomem(call);
	}
	for (i = 0; i < n; i++)
		if (cpus_to_map(pin_of(config, i), &host,
				(unsigned char *)r->cpumaps.cpumaps_val +
					(size_t)i * (size_t)a->maplen,
				a->maplen)) {
			json_object_put(config);
			return virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
					       "Domain %s's vCPU %d is pinned to \"%s\", which keel-virtd cannot read.",
					       d.name, i, pin_of(config, i));
		}
	r->cpumaps.cpumaps_len = (u_int)n * (u_int)a->maplen;
	r->num = n;
	json_object_put(config);
	return 0;
}

static int pin_vcpu(struct virt_call *call, const vx_dom *dom, unsigned vcpu,
		    const char *map, u_int len, unsigned flags)
{
	char list[CPUMAP_TEXT_MAX];
	struct keel_domain d;
	struct cpumap m;
	u_int c;

	if (virt_tune_dom(call, dom, flags, AFFECT_ALL, false, "vCPU pinning",
			  &d, NULL))
		return -1;
	cpumap_zero(&m);
	for (c = 0; c < len * 8; c++)
		if (map[c / 8] & (1 << (c % 8))) {
			if (c >= CPUMAP_MAX_CPUS)
				return virt_call_error(call, VIR_ERR_INVALID_ARG,
						       "CPU %u is past keel's largest, %d.",
						       c, CPUMAP_MAX_CPUS - 1);
			cpumap_set(&m, c);
		}
	if (!cpumap_count(&m))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "A vCPU must be left at least one host CPU to run on.");
	if (vcpu > INT_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "Domain %s has no vCPU %u.", d.name, vcpu);
	cpumap_format(&m, list, sizeof(list));
	if (keel_domain_vcpu_pin(*call->keel, d.uuid, (int)vcpu, list, NULL))
		return virt_call_keel_error(call);
	return 0;
}

int virt_h_pin_vcpu(struct virt_call *call, void *args, void *ret)
{
	struct vx_pin_vcpu_args *a = args;

	/* as libvirt's drivers: the running domain's pinning */
	return pin_vcpu(call, &a->dom, a->vcpu, a->cpumap.cpumap_val,
			a->cpumap.cpumap_len, AFFECT_LIVE);
}

int virt_h_pin_vcpu_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_pin_vcpu_flags_args *a = args;

	return pin_vcpu(call, &a->dom, a->vcpu, a->cpumap.cpumap_val,
			a->cpumap.cpumap_len, a->flags);
}

/* --- the scheduler ---------------------------------------------------- */

static const char *const sched_fields[] = {
	"cpu_shares", "vcpu_period", "vcpu_quota", "global_period",
	"global_quota", NULL,
};

int virt_h_get_sched_type(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct vx_sched_type_ret *r = ret;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	r->type = strdup("posix");
	if (!r->type)
		return virt_call_nomem(call);
	r->nparams = SCHED_NPARAMS;
	return 0;
}

int virt_sched_fill(struct virt_plist *l, int weight, int cap, int vcpus)
{
	int rc = virt_plist_ullong(l, (unsigned long long)
				   domxml_weight_to_shares(weight),
				   "cpu_shares");

	rc = rc ? rc : virt_plist_ullong(l, DOMXML_PERIOD_US, "vcpu_period");
	rc = rc ? rc : virt_plist_llong(l, domxml_cap_to_quota(cap,
					DOMXML_PERIOD_US, vcpus),
					"vcpu_quota");
	rc = rc ? rc : virt_plist_ullong(l, DOMXML_PERIOD_US, "global_period");
	rc = rc ? rc : virt_plist_llong(l, domxml_cap_to_quota(cap,
					DOMXML_PERIOD_US, 1),
					"global_quota");
	return rc;
}

static int get_sched(struct virt_call *call, const vx_dom *dom, int nparams,
		     unsigned flags, struct vx_sched_params_ret *r)
{
	struct virt_plist l = { 0 };
	struct keel_domain d;
	struct keel_sched s;

	if (virt_tune_dom(call, dom, flags, AFFECT_ALL | PARAM_STRING_OKAY,
			  true, "scheduler parameters", &d, NULL))
		return -1;
	if (keel_domain_get_sched(*call->keel, d.uuid, &s))
		return virt_call_keel_error(call);
	if (virt_sched_fill(&l, s.weight, s.cap, d.vcpus)) {
		virt_plist_dispose(&l);
		return virt_call_nomem(call);
	}
	virt_plist_truncate(&l, nparams < 0 ? 0 : nparams);
	virt_plist_move(&l, &r->params.params_val, &r->params.params_len);
	return 0;
}

int virt_h_get_sched(struct virt_call *call, void *args, void *ret)
{
	struct vx_get_sched_args *a = args;

	return get_sched(call, &a->dom, a->nparams, 0, ret);
}

int virt_h_get_sched_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_get_sched_flags_args *a = args;

	return get_sched(call, &a->dom, a->nparams, a->flags, ret);
}

/*
 * @p (@n) as keel's weight and cap (-1: unchanged) for a domain of
 * @vcpus, by domain XML's <cputune> mapping. Returns 0 or -1 after
 * virt_call_error().
 */
int virt_sched_parse(struct virt_call *call, const vx_param *p, u_int n,
		     int vcpus, int *weight, int *cap)
{
	const vx_param *shares, *vq, *vp, *gq, *gp, *q, *per;
	long long v, c, period = (long long)DOMXML_PERIOD_US;
	int rc;

	*weight = *cap = -1;
	if (virt_tune_params_check(call, p, n, sched_fields, "scheduler"))
		return -1;
	shares = virt_param_find(p, n, "cpu_shares");
	vq = virt_param_find(p, n, "vcpu_quota");
	vp = virt_param_find(p, n, "vcpu_period");
	gq = virt_param_find(p, n, "global_quota");
	gp = virt_param_find(p, n, "global_period");
	if ((vq || vp) && (gq || gp))
		return virt_call_error(call, VIR_ERR_NO_SUPPORT,
				       "keel has one CPU cap for the whole domain: give vcpu_quota or global_quota, not both kinds.");
	if (shares) {
		if (virt_tune_param_num(call, shares, &v))
			return -1;
		if (v < 0 || domxml_shares_to_weight((unsigned long long)v, &c))
			return virt_call_error(call, VIR_ERR_INVALID_ARG,
					       "cpu_shares is %lld; keel's weight is cpu_shares/4, so give 4 to 262140.",
					       v);
		*weight = (int)c;
	}
	q = vq ? vq : gq;
	per = vq || vp ? vp : gp;
	if (per && virt_tune_param_num(call, per, &period))
		return -1;
	if (!q) {
		if (per && period != (long long)DOMXML_PERIOD_US)
			return virt_call_error(call, VIR_ERR_NO_SUPPORT,
					       "keel's CPU period is the kernel's 100000 microseconds; to set a cap, give %s with %s.",
					       vp ? "vcpu_quota" : "global_quota",
					       per->field);
		return 0;
	}
	if (virt_tune_param_num(call, q, &v))
		return -1;
	rc = period < 0 ? -EDOM :
			  domxml_quota_to_cap(v, (unsigned long long)period,
					      vq ? vcpus : 1, &c);
	if (rc == -EDOM)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "%s is %lld; libvirt's period is from 1000 to 1000000 microseconds.",
				       per->field, period);
	if (rc || c > INT_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "%s is %lld, more than libvirt's largest quota, 17592186044415.",
				       q->field, v);
	*cap = (int)c;
	return 0;
}

static int set_sched(struct virt_call *call, const vx_dom *dom,
		     const vx_param *p, u_int n, unsigned flags)
{
	struct keel_domain d;
	int weight, cap;

	if (virt_tune_dom(call, dom, flags, AFFECT_ALL, false,
			  "scheduler parameters", &d, NULL) ||
	    virt_sched_parse(call, p, n, d.vcpus, &weight, &cap))
		return -1;
	if (weight < 0 && cap < 0)
		return 0;
	if (keel_domain_set_sched(*call->keel, d.uuid, weight, cap, NULL))
		return virt_call_keel_error(call);
	return 0;
}

int virt_h_set_sched(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_sched_args *a = args;

	return set_sched(call, &a->dom, a->params.params_val,
			 a->params.params_len, 0);
}

int virt_h_set_sched_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_sched_flags_args *a = args;

	return set_sched(call, &a->dom, a->params.params_val,
			 a->params.params_len, a->flags);
}
