/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_CPUMAP_H
#define KEEL_CPUMAP_H

/*
 * Sets of host CPUs, and the one reader of xl's CPU lists (xl.cfg(5),
 * cpus=): "2", "0-3,5,^1", "all", "all,^1". lib/xlcfg.c, keeld (the
 * domain's cpus, domain.vcpu_pin) and keel-hv (--cpus) all read them
 * here, so a list means the same and is refused in the same words
 * everywhere. xl's "node:"/"nodes:" items are understood and refused:
 * keel does no NUMA placement.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPUs a map can name: 0 to CPUMAP_MAX_CPUS - 1 (glibc's CPU_SETSIZE). */
#define CPUMAP_MAX_CPUS 1024

/* Room for any map as text ("0,2,4,...,1022" is the longest). */
#define CPUMAP_TEXT_MAX 4096

/* Room for any of cpumap_parse()'s and cpumap_check_host()'s sentences. */
#define CPUMAP_ERR_MAX 256

struct cpumap {
	uint64_t bits[CPUMAP_MAX_CPUS / 64];
};

void cpumap_zero(struct cpumap *m);
void cpumap_set(struct cpumap *m, unsigned cpu);
void cpumap_clear(struct cpumap *m, unsigned cpu);
bool cpumap_test(const struct cpumap *m, unsigned cpu);
unsigned cpumap_count(const struct cpumap *m);
bool cpumap_equal(const struct cpumap *a, const struct cpumap *b);
/* Is every CPU of @a in @b? */
bool cpumap_subset(const struct cpumap *a, const struct cpumap *b);

/*
 * Read the CPU list @s: items separated by commas, each a CPU number
 * ("3"), a range ("2-5") or "all" (every CPU of @all), and each may be
 * preceded by '^' to take those CPUs out again; items apply left to
 * right. Returns 0 and *@out, or -EINVAL with a sentence in @err
 * (CPUMAP_ERR_MAX bytes) saying what is wrong: not a list, a range
 * that runs backwards, a CPU above CPUMAP_MAX_CPUS - 1, NUMA nodes, or
 * a list that leaves no CPU at all.
 */
int cpumap_parse(const char *s, const struct cpumap *all, struct cpumap *out,
		 char *err);

/*
 * @m as the shortest CPU list ("0-3,5"; "" for an empty map) in @buf
 * (CPUMAP_TEXT_MAX bytes always suffice). Returns @buf.
 */
char *cpumap_format(const struct cpumap *m, char *buf, size_t size);

/*
 * The CPUs this process may run on (sched_getaffinity), which is what
 * keel calls the host's CPUs: a CPU that is offline, or outside the
 * cpuset keel runs in, is not one a vCPU can be pinned to. Returns 0
 * or -errno.
 */
int cpumap_host(struct cpumap *out);

/*
 * 0 if every CPU of @m is in @host, else -EINVAL with a sentence in
 * @err (CPUMAP_ERR_MAX bytes) naming the first one the host lacks.
 */
int cpumap_check_host(const struct cpumap *m, const struct cpumap *host,
		      char *err);

/*
 * @m as a cpu_set_t for sched_setaffinity() and
 * pthread_setaffinity_np() (@set points to one; void so that this
 * header needs no _GNU_SOURCE), and back.
 */
void cpumap_to_cpuset(const struct cpumap *m, void *set);
void cpumap_from_cpuset(const void *set, struct cpumap *m);

#endif /* KEEL_CPUMAP_H */
