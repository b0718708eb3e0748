// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Domains and their cgroups (cgroup_domain.h). A domain's group is
 * named by its uuid, which domain.rename leaves alone, so a restarted
 * keeld finds it from the domain alone.
 *
 * The order at a start (launch.c): the group is made and filled before
 * the fork; keeld moves its child into it while the child waits at its
 * gate (hv.c), before keel-hv is executed. So keel-hv starts inside the
 * group and no guest instruction runs outside it, and a failure is
 * keeld's to report, in a sentence, with nothing started.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_domain.h"
#include "hv_proto.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "registry.h"
#include "run.h"

void cgroup_domain_init(struct keeld *k)
{
	const struct keeld_conf *c = &k->conf;
	int rc;

	k->cgroups = NULL;
	if (c->cgroups == CGROUP_OFF) {
		snprintf(k->cgroup_why, sizeof(k->cgroup_why),
			 "keeld.conf says cgroups = off");
		log_info("Domains run without cgroups (cgroups = off).");
		return;
	}
	rc = cgroup_host_open(c->cgroup_root, NULL, c->cgroup_parent,
			      &k->cgroups, k->cgroup_why,
			      sizeof(k->cgroup_why));
	if (rc) {
		if (!k->cgroup_why[0])
			snprintf(k->cgroup_why, sizeof(k->cgroup_why), "%s",
				 strerror(-rc));
		if (c->cgroups == CGROUP_REQUIRED)
			log_err("Domains cannot start: %s; keeld.conf requires a cgroup for each (set cgroups = optional to run them without resource policy).",
				k->cgroup_why);
		else
			log_warn("Domains run without cgroups: %s.",
				 k->cgroup_why);
		return;
	}
	log_info("Domains get cgroup v%d groups under %s (cgroups = %s).",
		 (int)cgroup_host_version(k->cgroups), c->cgroup_parent,
		 c->cgroups == CGROUP_REQUIRED ? "required" : "optional");
}

void cgroup_domain_dispose(struct keeld *k)
{
	cgroup_host_free(k->cgroups);
	k->cgroups = NULL;
}

void cgroup_domain_limits(struct json_object *config, struct cgroup_limits *l)
{
	uint64_t guest = (uint64_t)config_memory_mib(config) << 20;

	l->weight = (unsigned)config_int(config, "cpu_weight",
					 CGROUP_WEIGHT_DEFAULT);
	l->cap = (unsigned)config_int(config, "cap", 0);
	l->memory_bytes = guest + ((uint64_t)HV_MEM_OVERHEAD_MIB << 20) +
			  guest / HV_MEM_PAGE_TABLE_DIV;
}

/* Make @run's group and write its limits: 0 or -errno with @why. */
static int group_make(struct domain_run *run, char *why, size_t size)
{
	struct cgroup_host *h = run->k->cgroups;
	struct cgroup_limits l;
	int rc;

	cgroup_domain_limits(run->config, &l);
	rc = cgroup_create(h, run->dom->uuid, why, size);
	if (!rc)
		rc = cgroup_apply(h, run->dom->uuid, &l, why, size);
	return rc;
}

int cgroup_domain_prepare(struct domain_run *run, char *why, size_t size)
{
	struct keeld *k = run->k;
	char detail[512] = "";
	int rc;

	run->in_cgroup = false;
	if (k->conf.cgroups == CGROUP_OFF)
		return 0;
	if (!k->cgroups) {
		snprintf(detail, sizeof(detail), "%s", k->cgroup_why);
		rc = -ENOENT;
	} else {
		rc = group_make(run, detail, sizeof(detail));
		if (!rc) {
			run->in_cgroup = true;
			return 0;
		}
		cgroup_remove(k->cgroups, run->dom->uuid);
	}
	if (k->conf.cgroups == CGROUP_OPTIONAL) {
		log_warn("Domain %s runs without a cgroup, so without its CPU weight, cap and memory limit: %s.",
			 run->dom->name, detail);
		return 0;
	}
	snprintf(why, size,
		 "keeld cannot give it a cgroup (%s); fix that, or set cgroups = optional in keeld.conf to run domains without resource policy (keeld(8), CGROUPS)",
		 detail);
	return rc;
}

/*
 * Count the group's OOM kills from here on: a group left behind by an
 * earlier run (one keeld could not remove) keeps its count.
 */
static void oom_baseline(struct domain_run *run)
{
	if (cgroup_oom_kills(run->k->cgroups, run->dom->uuid,
			     &run->oom_kills0))
		run->oom_kills0 = 0;
}

int cgroup_domain_enter(struct domain_run *run, pid_t pid, char *why,
			size_t size)
{
	char detail[400] = "";
	int rc;

	if (!run->in_cgroup)
		return 0;
	rc = cgroup_attach(run->k->cgroups, run->dom->uuid, pid, detail,
			   sizeof(detail));
	if (rc)
		snprintf(why, size, "keeld cannot put it in its cgroup: %s",
			 detail);
	else
		oom_baseline(run);
	return rc;
}

void cgroup_domain_adopt(struct domain_run *run)
{
	struct keeld *k = run->k;
	char why[512] = "";
	int rc;

	run->in_cgroup = false;
	if (!k->cgroups) {
		if (k->conf.cgroups != CGROUP_OFF)
			log_warn("Domain %s is re-adopted without its cgroup: %s.",
				 run->dom->name, k->cgroup_why);
		return;
	}
	rc = group_make(run, why, sizeof(why));
	if (!rc)
		rc = cgroup_attach(k->cgroups, run->dom->uuid, run->pid, why,
				   sizeof(why));
	if (rc) {
		log_warn("Domain %s is re-adopted without its cgroup's limits: %s.",
			 run->dom->name, why);
		return;
	}
	run->in_cgroup = true;
	oom_baseline(run);
}

void cgroup_domain_end(struct domain_run *run)
{
	bool was_in = run->in_cgroup;
	int rc;

	/*
	 * Also when this keeld did not put it there: a domain that ended
	 * while keeld was away leaves the group the last keeld made.
	 */
	run->in_cgroup = false;
	if (!run->k->cgroups)
		return;
	rc = cgroup_remove(run->k->cgroups, run->dom->uuid);
	if (rc && (was_in || rc != -ENOENT))
		log_warn("Domain %s: cannot remove its cgroup %s/%s: %s.",
			 run->dom->name, run->k->conf.cgroup_parent,
			 run->dom->uuid, strerror(-rc));
}

/* cgroup_sweep()'s test: does a domain run with the uuid @name? */
static bool group_in_use(const char *name, void *opaque)
{
	struct keeld *k = opaque;
	struct domain *dom = registry_find_uuid(k->reg, name);

	return dom && dom->run;
}

void cgroup_domain_sweep(struct keeld *k)
{
	int n;

	if (!k->cgroups)
		return;
	n = cgroup_sweep(k->cgroups, group_in_use, k);
	if (n > 0)
		log_info("Removed %d cgroup%s of domains that no longer run.",
			 n, n == 1 ? "" : "s");
}

void cgroup_domain_renamed(struct domain_run *run, const char *from,
			   const char *to)
{
	int rc;

	if (!run->in_cgroup)
		return;
	rc = cgroup_rename(run->k->cgroups, from, to);
	if (rc)
		log_warn("Domain %s: cannot rename its cgroup %s to %s: %s; the restarted domain shares it.",
			 run->dom->name, from, to, strerror(-rc));
}

int cgroup_domain_apply(struct keeld *k, struct domain *dom)
{
	struct cgroup_limits l;
	char why[512] = "";
	int rc;

	if (!dom->run || !dom->run->in_cgroup || !k->cgroups)
		return -ESRCH;
	cgroup_domain_limits(dom->run->config, &l);
	rc = cgroup_apply(k->cgroups, dom->uuid, &l, why, sizeof(why));
	if (rc)
		log_warn("Domain %s: cannot apply its limits: %s.", dom->name,
			 why);
	return rc;
}

int cgroup_domain_oom_kills(const struct domain_run *run, uint64_t *kills)
{
	int rc;

	*kills = 0;
	if (!run->in_cgroup || !run->k->cgroups)
		return -ESRCH;
	rc = cgroup_oom_kills(run->k->cgroups, run->dom->uuid, kills);
	*kills = !rc && *kills > run->oom_kills0 ? *kills - run->oom_kills0 :
						   0;
	return rc;
}

int cgroup_domain_throttled(const struct domain_run *run, uint64_t *periods,
			    uint64_t *ns)
{
	*periods = *ns = 0;
	if (!run->in_cgroup || !run->k->cgroups)
		return -ESRCH;
	return cgroup_cpu_throttled(run->k->cgroups, run->dom->uuid, periods,
				    ns);
}
