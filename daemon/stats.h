/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_STATS_H
#define KEEL_DAEMON_STATS_H

/*
 * domain.stats and domain.stats_all: one sample of a running domain's
 * counters, in the shape xentop and virsh domstats need
 * (schemas/keel.openrpc.json, DomainStats; keeld(8)). keel-hv gives
 * what only it knows (per-vCPU, per-disk and per-NIC counters, the
 * balloon); keeld adds what it reads itself from /proc (the process's
 * CPU time and resident memory) and what it knows of the host, and
 * stamps the sample with CLOCK_MONOTONIC so that a client can divide
 * the difference of two samples by the time between them.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

struct domain;
struct keeld;
struct reply;

/* What keeld reads of a keel-hv itself, at one moment. */
struct stats_sample {
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	uint64_t cpu_ns;	/* user + system, every thread */
	uint64_t rss_kib;	/* resident memory */
	/* The cap's throttling, from the domain's cgroup (cpu.stat). */
	bool throttle;		/* read: the domain has a group */
	uint64_t throttled_periods, throttled_ns;
};

/*
 * Fill @s for the keel-hv @pid started at @starttime (/proc's clock
 * ticks; another process with a reused pid is refused): 0, or -errno
 * with the counters left 0 and the time set.
 */
int stats_sample_read(pid_t pid, unsigned long long starttime,
		      struct stats_sample *s);

/*
 * Build one DomainStats (a new object, NULL when out of memory) from
 * @summary (the domain's name, uuid, id, state and reason, copied, and
 * its memory in MiB), the @config it runs with, keeld's @s, and @hv:
 * keel-hv's answer to its control socket's stats (NULL when it gave
 * none; @error then says why, and the vcpus, disks and nics are left
 * out). A pure function of its arguments: nothing is read.
 */
struct json_object *stats_build(struct json_object *summary,
				struct json_object *config,
				const struct stats_sample *s,
				struct json_object *hv, const char *error);

/* What the host has, for the denominators: {"cpus", "memory_kib"}. */
struct json_object *stats_host(void);

/*
 * Answer @r with the DomainStats of @dom (it has a keel-hv), or with
 * keel-hv's error.
 */
void stats_domain(struct keeld *k, struct domain *dom, struct reply *r);

/*
 * Answer @r with {"time_ns", "host", "domains": [DomainStats...]} for
 * every domain that has a keel-hv, asking them all at once. A keel-hv
 * that has not answered within STATS_ALL_WAIT_MS is listed with keeld's
 * own figures and an "error".
 */
#define STATS_ALL_WAIT_MS 2000
void stats_all(struct keeld *k, struct reply *r);

#endif /* KEEL_DAEMON_STATS_H */
