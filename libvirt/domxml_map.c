// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mapping of libvirt domain XML to keel's configuration (domxml.h,
 * domxml_parse()'s third step): map_domain() reads the tree that
 * dx_walk() let through (domxml.c) into the JSON model, member by
 * member, refusing a value that is not one and what keel cannot honour
 * in a combination; and the <cputune> conversions domxml.h exports.
 * The devices are domxml_devices.c's (map_devices()). The decisions (units, rounding, what is accepted and not kept) are in
 * docs/libvirt.md, "The mapping".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "cpumap.h"
#include "domxml.h"
#include "domxml_internal.h"
#include "iotune.h"

/* --- reading: small helpers of the mapping ------------------------------ */

/* Digits only (white space around them aside), without overflow. */
static bool dx_ull(const char *s, unsigned long long *v)
{
	*v = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		if (*v > (ULLONG_MAX - (unsigned)(*s - '0')) / 10)
			return false;
		*v = *v * 10 + (unsigned)(*s - '0');
	}
	while (isspace((unsigned char)*s))
		s++;
	return !*s;
}

/*
 * The number in @n's text (or, with @attr, in that attribute; absent:
 * *@set false), refused in words naming @n when it is not one.
 */
int dx_num(struct dx *d, xmlNode *n, const char *attr, unsigned long long *v,
	   bool *set)
{
	char *s;
	int rc = 0;

	*v = 0;
	if (set)
		*set = false;
	if (!n)
		return 0;
	s = attr ? dx_attr(d, n, attr, &rc) : dx_text(d, n);
	if (!s)
		return attr ? rc : -ENOMEM;
	if (!dx_ull(s, v))
		rc = attr ? dx_fail(d, DOMXML_ERR_XML_DETAIL,
				    "<%s %s='%.64s'> is not a whole number from 0 to %llu.",
				    dx_name(n), attr, s, ULLONG_MAX) :
			    dx_fail(d, DOMXML_ERR_XML_DETAIL,
				    "<%s> holds '%.64s', which is not a whole number from 0 to %llu.",
				    dx_name(n), s, ULLONG_MAX);
	else if (set)
		*set = true;
	free(s);
	return rc;
}

/* Add @v (a new object; put on failure) to @o as @key. */
int dx_add(struct dx *d, struct json_object *o, const char *key,
	   struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v)) {
		json_object_put(v);
		return dx_nomem(d);
	}
	return 0;
}

int dx_add_str(struct dx *d, struct json_object *o, const char *key,
	       const char *s)
{
	return dx_add(d, o, key, json_object_new_string(s));
}

int dx_add_int(struct dx *d, struct json_object *o, const char *key,
	       long long v)
{
	return dx_add(d, o, key, json_object_new_int64(v));
}

/* --- reading: the mapping ----------------------------------------------- */

static const char *const dx_fields[F_COUNT] = {
	"name", "uuid", "memory", "maxmem", "prefault", "vcpus", "maxvcpus",
	"cpus",
	"cpu_weight", "cap", "kernel", "ramdisk", "cmdline", "rng",
	"on_poweroff", "on_reboot", "on_crash", "disks", "nics",
};

/* f[@i] = @v (a new object, NULL when out of memory). */
int map_set(struct dx_map *m, enum dx_field i, struct json_object *v)
{
	if (!v)
		return dx_nomem(m->d);
	json_object_put(m->f[i]);
	m->f[i] = v;
	return 0;
}

static int map_set_text(struct dx_map *m, enum dx_field i, xmlNode *n,
			bool trim)
{
	char *s;
	int rc;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	rc = map_set(m, i, json_object_new_string(trim ? dx_trim(s) : s));
	free(s);
	return rc;
}

/* libvirt's 8-4-4-4-12 or 32 hex digits, as keel writes it. */
static int map_uuid(struct dx_map *m, xmlNode *n)
{
	char hex[33], out[37], *s;
	size_t i, j = 0;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	for (i = 0; s[i] && j < 32; i++)
		if (isxdigit((unsigned char)s[i]))
			hex[j++] = (char)tolower((unsigned char)s[i]);
	hex[j] = '\0';
	free(s);
	if (j != 32) /* the schema's pattern let nothing else through */
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<uuid> is not a UUID of 32 hex digits.");
	snprintf(out, sizeof(out), "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
		 hex + 12, hex + 16, hex + 20);
	return map_set(m, F_UUID, json_object_new_string(out));
}

/* libvirt's memory units; a number without one is in KiB. */
static const struct {
	const char *unit;
	unsigned long long bytes;
} dx_units[] = {
	{ "b", 1ULL }, { "bytes", 1ULL },
	{ "KB", 1000ULL }, { "k", 1ULL << 10 }, { "KiB", 1ULL << 10 },
	{ "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
	{ "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
	{ "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
};

/*
 * @n's size in MiB, rounded up to a whole MiB as libvirt's KVM driver
 * rounds guest memory (docs/libvirt.md, "Domain XML").
 */
static int map_mib(struct dx_map *m, xmlNode *n, long long *mib)
{
	unsigned long long v, mult = 0, bytes;
	char *unit;
	int rc = dx_num(m->d, n, NULL, &v, NULL);

	if (rc)
		return rc;
	unit = dx_attr(m->d, n, "unit", &rc);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(dx_units) / sizeof(dx_units[0]); i++)
		if (!strcmp(unit ? unit : "KiB", dx_units[i].unit))
			mult = dx_units[i].bytes;
	if (!mult)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s unit='%.64s'> is not a unit libvirt knows; use KiB, MiB or GiB.",
			     dx_name(n), unit);
	else if (v > ULLONG_MAX / mult)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s> of %llu %s is more memory than any host has.",
			     dx_name(n), v, unit ? unit : "KiB");
	free(unit);
	if (rc)
		return rc;
	bytes = v * mult;
	*mib = (long long)((bytes >> 20) + ((bytes & ((1ULL << 20) - 1)) != 0));
	return 0;
}

/*
 * <memory> is the most the domain can have (keel's maxmem),
 * <currentMemory> what it boots with (keel's memory); the difference is
 * the balloon's.
 */
static int map_memory(struct dx_map *m, xmlNode *root)
{
	xmlNode *max = dx_child(root, "memory", false);
	xmlNode *cur = dx_child(root, "currentMemory", false);
	long long mx, c;
	int rc;

	if (!max && cur)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<currentMemory> is given without <memory>, the most memory the domain can have; give both.");
	if (!max)
		return 0;
	rc = map_mib(m, max, &mx);
	if (!rc && cur)
		rc = map_mib(m, cur, &c);
	else
		c = mx;
	if (rc)
		return rc;
	if (c > mx)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<currentMemory> (%lld MiB) is more than <memory> (%lld MiB), the most memory the domain can have.",
			       c, mx);
	rc = map_set(m, F_MEMORY, json_object_new_int64(c));
	if (!rc && c < mx)
		rc = map_set(m, F_MAXMEM, json_object_new_int64(mx));
	return rc;
}

/*
 * <memoryBacking><allocation mode='immediate'/>: keel-hv backs all of
 * the guest's memory when it starts (prefault). mode='ondemand', no
 * mode or no <allocation> is libvirt's default and keel's: no prefault,
 * left out of the configuration as false is. dx_walk() refused every
 * other child and attribute.
 */
static int map_memory_backing(struct dx_map *m, xmlNode *root)
{
	xmlNode *alloc = dx_child(dx_child(root, "memoryBacking", false),
				  "allocation", false);
	char *mode;
	int rc;

	mode = dx_attr(m->d, alloc, "mode", &rc);
	if (!rc && mode && !strcmp(mode, "immediate"))
		rc = map_set(m, F_PREFAULT, json_object_new_boolean(true));
	free(mode);
	return rc;
}

/* A CPU list as lib/cpumap.c reads it (xl's, which is libvirt's). */
static int map_cpulist(struct dx_map *m, xmlNode *n, const char *s)
{
	char err[CPUMAP_ERR_MAX];
	struct cpumap any, out;

	memset(&any, 0xff, sizeof(any));
	if (cpumap_parse(s, &any, &out, err))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "In <%s cpuset='%.64s'>: %s", dx_name(n), s, err);
	return 0;
}

/* <vcpu current='ONLINE' cpuset='LIST'>ALL</vcpu> */
static int map_vcpu(struct dx_map *m, xmlNode *root, char **cpuset)
{
	xmlNode *n = dx_child(root, "vcpu", false);
	unsigned long long all, cur;
	bool has_cur;
	int rc;

	m->vcpus = m->maxvcpus = 1;
	*cpuset = NULL;
	if (!n)
		return 0;
	rc = dx_num(m->d, n, NULL, &all, NULL);
	if (!rc)
		rc = dx_num(m->d, n, "current", &cur, &has_cur);
	if (rc)
		return rc;
	if (all < 1 || all > DOMXML_MAX_VCPUS)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<vcpu> is %llu; keel gives a domain 1 to %d vCPUs.",
			       all, DOMXML_MAX_VCPUS);
	if (has_cur && (cur < 1 || cur > all))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<vcpu current='%llu'> must be from 1 to the domain's %llu vCPUs.",
			       cur, all);
	m->maxvcpus = (long long)all;
	m->vcpus = has_cur ? (long long)cur : m->maxvcpus;
	rc = map_set(m, F_VCPUS, json_object_new_int64(m->vcpus));
	if (!rc && m->vcpus < m->maxvcpus)
		rc = map_set(m, F_MAXVCPUS, json_object_new_int64(m->maxvcpus));
	if (rc)
		return rc;
	*cpuset = dx_attr(m->d, n, "cpuset", &rc);
	if (!rc && *cpuset)
		rc = map_cpulist(m, n, *cpuset);
	return rc;
}

/*
 * keel's cpus: a list for every vCPU (<vcpu cpuset>), or one per vCPU
 * (<vcpupin>); a vCPU without a vcpupin takes cpuset, or every CPU.
 */
static int map_pins(struct dx_map *m, xmlNode *tune, const char *cpuset)
{
	char *pins[DOMXML_MAX_VCPUS] = { NULL };
	struct json_object *arr = NULL;
	long long n = 0, i;
	int rc = 0;

	for (xmlNode *c = tune ? tune->children : NULL; c && !rc; c = c->next) {
		unsigned long long v;
		char *set;

		if (c->type != XML_ELEMENT_NODE || strcmp(dx_name(c), "vcpupin"))
			continue;
		rc = dx_num(m->d, c, "vcpu", &v, NULL);
		if (rc)
			break;
		if (v >= (unsigned long long)m->maxvcpus) {
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<vcpupin vcpu='%llu'> names a vCPU the domain does not have: it has %lld, from 0.",
				     v, m->maxvcpus);
			break;
		}
		if (pins[v]) {
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "vCPU %llu has two <vcpupin> elements; give one.",
				     v);
			break;
		}
		set = dx_attr(m->d, c, "cpuset", &rc);
		if (!rc && !set)
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<vcpupin vcpu='%llu'> has no cpuset.", v);
		if (!rc)
			rc = map_cpulist(m, c, set);
		pins[v] = set;
		if (!rc && (long long)v >= n)
			n = (long long)v + 1;
	}
	if (!rc && !n && cpuset)
		rc = map_set(m, F_CPUS, json_object_new_string(cpuset));
	/* with a cpuset, every vCPU is pinned; without, those up to the last pin */
	if (!rc && n && cpuset)
		n = m->maxvcpus;
	/*
	 * and not past the last that is pinned at all: a vCPU past the end
	 * of keel's array is not pinned, as one pinned to "all" is not
	 */
	while (!rc && n &&
	       !strcmp(pins[n - 1] ? pins[n - 1] : cpuset ? cpuset : "all",
		       "all"))
		n--;
	if (!rc && n) {
		arr = json_object_new_array();
		for (i = 0; arr && i < n; i++) {
			const char *s = pins[i] ? pins[i] :
					cpuset	? cpuset :
						  "all";
			struct json_object *item = json_object_new_string(s);

			if (!item || json_object_array_add(arr, item)) {
				json_object_put(item);
				break;
			}
		}
		rc = arr && i == n ? map_set(m, F_CPUS, arr) :
				     (json_object_put(arr), dx_nomem(m->d));
	}
	for (i = 0; i < DOMXML_MAX_VCPUS; i++)
		free(pins[i]);
	return rc;
}

/*
 * keel's cap is one limit for the whole domain, in percent of a host
 * CPU: <global_quota>/<global_period> is exactly that; libvirt's
 * per-vCPU <quota>/<period> becomes the same share of every online vCPU
 * together. A quota of 0 or less is no limit, as in libvirt.
 */
static int map_cap(struct dx_map *m, xmlNode *tune)
{
	xmlNode *q = dx_child(tune, "quota", false);
	xmlNode *gq = dx_child(tune, "global_quota", false);
	xmlNode *qn = gq ? gq : q;
	xmlNode *pn = dx_child(tune, gq ? "global_period" : "period", false);
	unsigned long long period = DOMXML_PERIOD_US;
	long long signed_quota, cap;
	char *s, *t, *end;
	int rc;

	if (q && gq)
		return dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
			       "keel does not support both <quota> and <global_quota> in <cputune>: keel has one CPU cap for the whole domain; give one of them.");
	if (!qn)
		return 0;
	s = dx_text(m->d, qn);
	if (!s)
		return -ENOMEM;
	t = dx_trim(s);
	errno = 0;
	signed_quota = strtoll(t, &end, 10);
	rc = errno || end == t || *end ?
		     dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s> is not a whole number of microseconds.",
			     dx_name(qn)) :
		     0;
	free(s);
	if (!rc && pn)
		rc = dx_num(m->d, pn, NULL, &period, NULL);
	if (rc || signed_quota <= 0)
		return rc;
	rc = domxml_quota_to_cap(signed_quota, period,
				 gq ? 1 : (long long)m->vcpus, &cap);
	if (rc == -EDOM)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> is %llu; libvirt's period is from 1000 to 1000000 microseconds.",
			       dx_name(pn), period);
	if (rc)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> is %lld, more than libvirt's largest quota, 17592186044415.",
			       dx_name(qn), signed_quota);
	return map_set(m, F_CAP, json_object_new_int64(cap));
}

int domxml_quota_to_cap(long long quota, unsigned long long period,
			long long vcpus, long long *cap)
{
	unsigned long long c;

	if (period < 1000 || period > 1000000)
		return -EDOM;
	if (quota > DOMXML_QUOTA_MAX)
		return -ERANGE;
	if (quota <= 0) {
		*cap = 0;
		return 0;
	}
	c = (unsigned long long)quota * 100 * (unsigned long long)vcpus;
	c = (c + period / 2) / period;
	*cap = c ? (long long)c : 1;
	return 0;
}

long long domxml_cap_to_quota(long long cap, unsigned long long period,
			      long long vcpus)
{
	if (cap <= 0)
		return -1;
	return cap * (long long)period / 100 / (vcpus > 0 ? vcpus : 1);
}

int domxml_shares_to_weight(unsigned long long shares, long long *weight)
{
	unsigned long long w = (shares + 2) / 4;

	if (shares < 1 || w > 65535)
		return -ERANGE;
	*weight = w ? (long long)w : 1;
	return 0;
}

long long domxml_weight_to_shares(long long weight)
{
	return weight * 4;
}

/* <shares> is cgroup v1's cpu.shares, which is keel's weight × 4. */
static int map_cputune(struct dx_map *m, xmlNode *root, const char *cpuset)
{
	xmlNode *tune = dx_child(root, "cputune", false);
	unsigned long long shares;
	bool set;
	int rc = dx_num(m->d, dx_child(tune, "shares", false), NULL, &shares,
			&set);

	if (!rc && set) {
		long long w;

		if (domxml_shares_to_weight(shares, &w))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "<shares> is %llu; keel's weight is <shares>/4, so give 4 to 262140.",
				       shares);
		rc = map_set(m, F_CPU_WEIGHT, json_object_new_int64(w));
	}
	if (!rc)
		rc = map_pins(m, tune, cpuset);
	if (!rc && tune)
		rc = map_cap(m, tune);
	return rc;
}

static int map_os(struct dx_map *m, xmlNode *root)
{
	xmlNode *os = dx_child(root, "os", false);
	xmlNode *kernel = dx_child(os, "kernel", false);
	int rc;

	if (!kernel)
		return dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
			       "keel does not support a domain without <kernel> in <os>: keel boots a Linux kernel directly, with no firmware to boot a disk.");
	rc = map_set_text(m, F_KERNEL, kernel, false);
	if (!rc)
		rc = map_set_text(m, F_RAMDISK, dx_child(os, "initrd", false),
				  false);
	if (!rc)
		rc = map_set_text(m, F_CMDLINE, dx_child(os, "cmdline", false),
				  false);
	return rc;
}

/* Is @o's member @key a string equal to @s? */
/* The name rules of schemas/domain.schema.json, in words. */
static int map_name(struct dx_map *m, xmlNode *n)
{
	char *s;
	size_t i;
	int rc = 0;

	if (!n)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "The domain has no <name>; every domain needs one.");
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			break;
	if (s[i] || !i || i > 64 || s[0] == '-')
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<name>%.80s</name> is not a domain name: 1 to 64 letters, digits, '_', '.' or '-', not starting with '-'.",
			     s);
	if (!rc)
		rc = map_set(m, F_NAME, json_object_new_string(s));
	free(s);
	return rc;
}

/* keel's actions (schemas/domain.schema.json), which are libvirt's. */
static int map_action(struct dx_map *m, enum dx_field f, xmlNode *n)
{
	static const char *const ok[] = {
		"destroy", "restart", "preserve", "rename-restart",
		"coredump-destroy", "coredump-restart",
	};
	char *s, *t;
	int rc = -1;

	if (!n)
		return 0;
	s = dx_text(m->d, n);
	if (!s)
		return -ENOMEM;
	t = dx_trim(s);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]) && rc; i++)
		if (!strcmp(t, ok[i]))
			rc = map_set(m, f, json_object_new_string(t));
	if (rc == -1)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s>%.64s</%s> is not an action keel knows; use destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart.",
			     dx_fields[f], t, dx_fields[f]);
	free(s);
	return rc;
}

int map_domain(struct dx *d, xmlNode *root, struct json_object **out)
{
	static const char *const actions[] = { "on_poweroff", "on_reboot",
					       "on_crash" };
	struct dx_map m = { .d = d };
	struct json_object *cfg = NULL;
	char *cpuset = NULL;
	int rc, i;

	rc = map_name(&m, dx_child(root, "name", false));
	if (!rc)
		rc = map_uuid(&m, dx_child(root, "uuid", false));
	if (!rc)
		rc = map_memory(&m, root);
	if (!rc)
		rc = map_memory_backing(&m, root);
	if (!rc)
		rc = map_vcpu(&m, root, &cpuset);
	if (!rc)
		rc = map_cputune(&m, root, cpuset);
	free(cpuset);
	if (!rc)
		rc = map_os(&m, root);
	for (i = 0; i < 3 && !rc; i++)
		rc = map_action(&m, F_ON_POWEROFF + i,
				dx_child(root, actions[i], false));
	if (!rc)
		rc = map_devices(&m, root);
	if (!rc) {
		cfg = json_object_new_object();
		if (!cfg)
			rc = dx_nomem(d);
	}
	for (i = 0; i < F_COUNT; i++) {
		if (!rc && m.f[i]) {
			rc = dx_add(d, cfg, dx_fields[i], m.f[i]);
			m.f[i] = NULL;
		}
		json_object_put(m.f[i]);
	}
	if (rc) {
		json_object_put(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}
