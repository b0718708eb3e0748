/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_LIBVIRT_DOMXML_H
#define KEEL_LIBVIRT_DOMXML_H

/*
 * libvirt domain XML <-> keel's domain configuration (the JSON object of
 * schemas/domain.schema.json), for keel-virtd (docs/libvirt.md). The
 * subset keel knows is checked against schemas/libvirt-domain.rng; an
 * element or attribute keel cannot honour is refused naming it, never
 * dropped.
 */

#include <json-c/json.h>

#include "keel.h"

/* libvirt's error codes that domxml_parse() sets (virErrorNumber). */
#define DOMXML_ERR_INTERNAL 1		/* VIR_ERR_INTERNAL_ERROR */
#define DOMXML_ERR_XML 27		/* VIR_ERR_XML_ERROR */
#define DOMXML_ERR_UNSUPPORTED 67	/* VIR_ERR_CONFIG_UNSUPPORTED */
#define DOMXML_ERR_XML_DETAIL 35	/* VIR_ERR_XML_DETAIL */

/* Flags of domxml_format(): libvirt's VIR_DOMAIN_XML_INACTIVE. */
#define DOMXML_INACTIVE (1u << 1)

/*
 * Read @xml (a NUL-terminated <domain type='kvm'> document, untrusted)
 * with the RelaxNG schema in @schema_dir (NULL: the installed one).
 * Returns a new configuration object (the caller puts it), or NULL with
 * *@code one of DOMXML_ERR_* and *@msg a whole sentence the caller
 * frees, naming the element or attribute at fault.
 */
struct json_object *domxml_parse(const char *xml, const char *schema_dir,
				 int *code, char **msg);

/*
 * @config (borrowed) as libvirt domain XML, with @dom's live facts (id,
 * current memory) unless @dom is NULL or @flags has DOMXML_INACTIVE.
 * Returns a string the caller frees, or NULL (out of memory). What it
 * writes, domxml_parse() reads back to the same configuration.
 */
char *domxml_format(struct json_object *config, const struct keel_domain *dom,
		    unsigned flags);

/*
 * <cputune> ⇄ keel's cpu_weight and cap (docs/libvirt.md, "The
 * mapping"), shared with keel-virtd's scheduler parameters. <shares> is
 * weight × 4; a quota over a period is a cap in percent of one host
 * CPU, for each of @vcpus vCPUs (1: the whole domain).
 */
#define DOMXML_PERIOD_US 100000ULL	/* the kernel's CFS period */
#define DOMXML_QUOTA_MAX 17592186044415LL	/* libvirt's largest */

/* 0 and *@weight, or -ERANGE for shares keel's weight cannot hold. */
int domxml_shares_to_weight(unsigned long long shares, long long *weight);
long long domxml_weight_to_shares(long long weight);
/*
 * 0 and *@cap (0: none, for a quota of 0 or less), -EDOM for a period
 * outside libvirt's 1000-1000000, -ERANGE for a quota past its largest.
 */
int domxml_quota_to_cap(long long quota, unsigned long long period,
			long long vcpus, long long *cap);
/* The quota of @cap over @period for each of @vcpus; -1 (none) for 0. */
long long domxml_cap_to_quota(long long cap, unsigned long long period,
			      long long vcpus);

#endif /* KEEL_LIBVIRT_DOMXML_H */
