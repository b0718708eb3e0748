/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_CGROUP_H
#define KEEL_DAEMON_CGROUP_H

/*
 * Control groups, the kernel side of keeld's resource policy
 * (docs/qos.md): which cgroup hierarchies the host has, one group per
 * domain under a parent group (PARENT/UUID in every hierarchy keel
 * uses), and the files that hold a domain's CPU weight, CPU cap and
 * memory limit. cgroup v2 when the unified hierarchy offers the cpu and
 * memory controllers, else cgroup v1 (cpu and memory hierarchies, with
 * cpuacct, cpuset and blkio joined when mounted).
 *
 * This file knows nothing of keeld's domains (cgroup_domain.c maps a
 * domain onto it), so that its unit test can run it on a directory of
 * ordinary files that stands in for the cgroup filesystem.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* keeld.conf's cgroups setting: what a host without cgroups gets. */
enum cgroup_policy {
	CGROUP_REQUIRED,	/* a domain that gets no group does not start */
	CGROUP_OPTIONAL,	/* it starts without one, with a warning */
	CGROUP_OFF,		/* keeld never uses cgroups */
};

enum cgroup_version {
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

/* xl's scheduler weight (sched-credit -w): range and default. */
#define CGROUP_WEIGHT_MIN 1
#define CGROUP_WEIGHT_MAX 65535
#define CGROUP_WEIGHT_DEFAULT 256

/* The CFS period keel's caps are quotas of, in microseconds. */
#define CGROUP_CPU_PERIOD_US 100000

/* What a domain's group enforces. */
struct cgroup_limits {
	unsigned weight;	/* 1..65535, xl's meaning */
	unsigned cap;		/* percent of one CPU; 0: none */
	uint64_t memory_bytes;	/* memory.max / limit_in_bytes; 0: none */
};

struct cgroup_host;

/*
 * Find the host's cgroups. @root: NULL to read the mounts from
 * @mountinfo (NULL: /proc/self/mountinfo), else a directory laid out
 * like /sys/fs/cgroup: cgroup v2 when it holds cgroup.controllers,
 * else cgroup v1 with one subdirectory per hierarchy named after its
 * controllers ("cpu,cpuacct", "memory", ...). @parent: the group,
 * relative to each hierarchy's root, that domains' groups go in
 * ("keel"; several levels allowed). Nothing is created or written.
 * Returns 0 and *@out; -ENOENT when no usable cgroups were found,
 * -errno otherwise, with a sentence in @why either way.
 */
int cgroup_host_open(const char *root, const char *mountinfo,
		     const char *parent, struct cgroup_host **out, char *why,
		     size_t size);

void cgroup_host_free(struct cgroup_host *h);

enum cgroup_version cgroup_host_version(const struct cgroup_host *h);

/*
 * Where @name's group is in the hierarchy of controller @ctrl ("cpu",
 * "memory", ...), written to @buf. Returns 0, -ENOENT when no
 * hierarchy has @ctrl, or -ENAMETOOLONG.
 */
int cgroup_path(const struct cgroup_host *h, const char *ctrl,
		const char *name, char *buf, size_t size);

/*
 * Make the group @name (and the parent, on first use) in every
 * hierarchy keel uses; one that exists is kept. On v2 the controllers
 * are enabled in each ancestor's cgroup.subtree_control; on v1 a new
 * cpuset group gets its parent's CPUs and memory nodes. Returns 0 or
 * -errno with a sentence in @why.
 */
int cgroup_create(struct cgroup_host *h, const char *name, char *why,
		  size_t size);

/*
 * Move process @pid (all its threads) into @name's group in every
 * hierarchy. Returns 0 or -errno with a sentence in @why.
 */
int cgroup_attach(struct cgroup_host *h, const char *name, pid_t pid,
		  char *why, size_t size);

/*
 * Write @l into @name's group: v2 cpu.weight, cpu.max, memory.max;
 * v1 cpu.shares, cpu.cfs_period_us, cpu.cfs_quota_us,
 * memory.limit_in_bytes. Returns 0 or -errno with a sentence in @why
 * (what was written before the failure stays written).
 */
int cgroup_apply(struct cgroup_host *h, const char *name,
		 const struct cgroup_limits *l, char *why, size_t size);

/*
 * Remove @name's group from every hierarchy. A group whose last
 * process has exited but is not reaped yet is still busy: tried again
 * for up to CGROUP_REMOVE_WAIT_MS. Returns 0 (also when there was
 * none) or the first -errno.
 */
#define CGROUP_REMOVE_WAIT_MS 500
/*
 * How often the CFS quota (the cap) held group @name back, and for how
 * long in all: cpu.stat's nr_throttled and throttled_usec (v2) or
 * throttled_time (v1, ns). Returns 0 or -errno.
 */
int cgroup_cpu_throttled(const struct cgroup_host *h, const char *name,
			 uint64_t *periods, uint64_t *ns);

/*
 * cpu.stat's text in @buf, as cgroup_cpu_throttled() reads it; @v2
 * for cgroup v2's names.
 */
int cgroup_cpu_stat_parse(const char *buf, bool v2, uint64_t *periods,
			  uint64_t *ns);

/*
 * How many processes of group @name the kernel's OOM killer killed
 * because the group reached its memory limit: memory.events' oom_kill
 * (v2) or memory.oom_control's (v1, Linux 4.13). Returns 0, -ENODATA
 * when the file has no such count, or -errno.
 */
int cgroup_oom_kills(const struct cgroup_host *h, const char *name,
		     uint64_t *kills);

int cgroup_remove(struct cgroup_host *h, const char *name);

/*
 * Remove every group under the parent for which @keep(@name, @opaque)
 * is false, that holds no process (it is busy then, and stays) and
 * that is at least CGROUP_SWEEP_MIN_AGE_S old: what domains that ended
 * while no keeld watched them left. Returns how many were removed.
 */
#define CGROUP_SWEEP_MIN_AGE_S 60
int cgroup_sweep(struct cgroup_host *h,
		 bool (*keep)(const char *name, void *opaque), void *opaque);

/* Rename @from's group to @to in every hierarchy. Returns 0 or -errno. */
int cgroup_rename(struct cgroup_host *h, const char *from, const char *to);

/* The mappings (docs/qos.md, "CPU weight and cap"). */
/* v2 cpu.weight for xl weight @w: 256 -> 100, linear, within 1..10000. */
unsigned cgroup_v2_weight(unsigned w);
/* v1 cpu.shares for xl weight @w: 256 -> 1024 (4 times). */
unsigned cgroup_v1_shares(unsigned w);
/* The quota in microseconds per CGROUP_CPU_PERIOD_US for @cap; -1: none. */
long long cgroup_cap_quota_us(unsigned cap);

#endif /* KEEL_DAEMON_CGROUP_H */
