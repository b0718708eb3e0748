/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_CGROUP_DOMAIN_H
#define KEEL_DAEMON_CGROUP_DOMAIN_H

/*
 * A running domain's cgroup (docs/qos.md): made before its keel-hv runs
 * guest code, found again when keeld re-adopts the domain, filled from
 * the configuration the domain runs with, removed when the domain
 * ends. cgroup.c does the file work; this is where keeld's domains and
 * keeld.conf's cgroups policy meet it.
 */

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "cgroup.h"

#include <stdint.h>

struct domain;
struct domain_run;
struct keeld;

/*
 * Find the host's cgroups as keeld.conf says (cgroups, cgroup_parent,
 * cgroup_root), at keeld's start. Never fails keeld: a host without
 * cgroups is logged, and each domain start then fails or goes on
 * without as the cgroups setting says.
 */
void cgroup_domain_init(struct keeld *k);
void cgroup_domain_dispose(struct keeld *k);

/*
 * The limits @config asks for: cpu_weight (default 256), cap (default
 * 0) and the memory limit, maxmem (or memory) plus HV_MEM_OVERHEAD_MIB
 * plus 1/HV_MEM_PAGE_TABLE_DIV of it (lib/hv_proto.h).
 */
void cgroup_domain_limits(struct json_object *config,
			  struct cgroup_limits *l);

/*
 * Before @run's keel-hv is forked: make its group and write its limits.
 * Returns 0 (also when the domain goes without a group, as keeld.conf
 * allows; logged), or -errno with the sentence for the user in @why.
 */
int cgroup_domain_prepare(struct domain_run *run, char *why, size_t size);

/*
 * @pid, @run's keel-hv that has not run yet, joins the group made by
 * cgroup_domain_prepare(). Returns 0 or -errno with a sentence in @why.
 */
int cgroup_domain_enter(struct domain_run *run, pid_t pid, char *why,
			size_t size);

/*
 * keeld re-adopted @run's running keel-hv: find or make its group again,
 * put the process in it (where it already is, normally) and write the
 * limits of its configuration again. Failures are logged: the domain
 * runs on either way.
 */
void cgroup_domain_adopt(struct domain_run *run);

/* @run's keel-hv is gone: remove its group. */
void cgroup_domain_end(struct domain_run *run);

/*
 * After re-adoption: remove the groups of domains that do not run any
 * more (they ended while no keeld watched, and their run directory was
 * lost); groups that still hold a process stay.
 */
void cgroup_domain_sweep(struct keeld *k);

/*
 * @run now belongs to the domain with the uuid @to (rename-restart
 * kept it under a new name): its group follows from @from.
 */
void cgroup_domain_renamed(struct domain_run *run, const char *from,
			   const char *to);

/*
 * Write every limit of @dom's current configuration (what it runs with)
 * into its group again: for whoever changes that configuration live
 * (domain.set_sched, mem-max). Returns 0; -ESRCH when @dom does not run
 * or has no group (cgroups = optional or off); -errno with the sentence
 * logged otherwise.
 */
int cgroup_domain_apply(struct keeld *k, struct domain *dom);

/*
 * The CPU cap's throttling of @run's group (cgroup_cpu_throttled()), for
 * domain.stats. Returns 0; -ESRCH when it has no group; -errno.
 */
int cgroup_domain_throttled(const struct domain_run *run, uint64_t *periods,
			    uint64_t *ns);

/*
 * The OOM kills in @run's group (cgroup_oom_kills()) since its keel-hv
 * entered it: what a keel-hv that vanished without a word died of.
 * Returns 0; -ESRCH when it has no group; -errno.
 */
int cgroup_domain_oom_kills(const struct domain_run *run, uint64_t *kills);

#endif /* KEEL_DAEMON_CGROUP_DOMAIN_H */
