// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host CPU sets and xl's CPU lists (cpumap.h). The grammar is xl.cfg(5)'s
 * for cpus=, minus NUMA nodes, which keel cannot honour and so refuses
 * by name rather than as a typo.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpumap.h"

_Static_assert(CPU_SETSIZE >= CPUMAP_MAX_CPUS,
	       "a cpumap must fit in a cpu_set_t");

void cpumap_zero(struct cpumap *m)
{
	memset(m, 0, sizeof(*m));
}

void cpumap_set(struct cpumap *m, unsigned cpu)
{
	if (cpu < CPUMAP_MAX_CPUS)
		m->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

void cpumap_clear(struct cpumap *m, unsigned cpu)
{
	if (cpu < CPUMAP_MAX_CPUS)
		m->bits[cpu / 64] &= ~(1ULL << (cpu % 64));
}

bool cpumap_test(const struct cpumap *m, unsigned cpu)
{
	return cpu < CPUMAP_MAX_CPUS && (m->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpumap_count(const struct cpumap *m)
{
	unsigned n = 0;

	for (size_t i = 0; i < CPUMAP_MAX_CPUS / 64; i++)
		n += (unsigned)__builtin_popcountll(m->bits[i]);
	return n;
}

bool cpumap_equal(const struct cpumap *a, const struct cpumap *b)
{
	return !memcmp(a->bits, b->bits, sizeof(a->bits));
}

bool cpumap_subset(const struct cpumap *a, const struct cpumap *b)
{
	for (size_t i = 0; i < CPUMAP_MAX_CPUS / 64; i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

/* A CPU number at *@p, moving *@p past it; false if there is none. */
static bool read_cpu(const char **p, unsigned long *cpu)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*cpu = strtoul(*p, &end, 10);
	if (errno)
		*cpu = ULONG_MAX;
	*p = end;
	return true;
}

/* One item of @list, from @item to the next comma or the end. */
static int parse_item(const char *list, const char *item, size_t len,
		      const struct cpumap *all, struct cpumap *out, char *err)
{
	bool remove = item[0] == '^';
	const char *p = item + remove, *end = item + len;
	unsigned long first, last;

	if ((size_t)(end - p) == 3 && !strncmp(p, "all", 3)) {
		for (unsigned c = 0; c < CPUMAP_MAX_CPUS; c++)
			if (cpumap_test(all, c))
				remove ? cpumap_clear(out, c) :
					 cpumap_set(out, c);
		return 0;
	}
	if (!strncmp(p, "node:", 5) || !strncmp(p, "nodes:", 6)) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "\"%.*s\" in the CPU list \"%.64s\" names NUMA nodes; keel does not place vCPUs by node, so give host CPU numbers instead.",
			 (int)len, item, list);
		return -EINVAL;
	}
	if (!read_cpu(&p, &first))
		goto bad;
	last = first;
	if (p < end && *p == '-') {
		p++;
		if (!read_cpu(&p, &last))
			goto bad;
	}
	if (p != end)
		goto bad;
	if (last >= CPUMAP_MAX_CPUS) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "The CPU list \"%.64s\" names CPU %lu; keel can pin to CPUs 0 to %d only.",
			 list, last, CPUMAP_MAX_CPUS - 1);
		return -EINVAL;
	}
	if (last < first) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "The range %lu-%lu in the CPU list \"%.64s\" runs backwards; write %lu-%lu.",
			 first, last, list, last, first);
		return -EINVAL;
	}
	for (unsigned long c = first; c <= last; c++)
		remove ? cpumap_clear(out, (unsigned)c) :
			 cpumap_set(out, (unsigned)c);
	return 0;
bad:
	snprintf(err, CPUMAP_ERR_MAX,
		 "\"%.*s\" in the CPU list \"%.64s\" is not a CPU number, a range such as 2-5 or \"all\" (each may start with ^ to exclude it).",
		 (int)(len > 32 ? 32 : len), item, list);
	return -EINVAL;
}

int cpumap_parse(const char *s, const struct cpumap *all, struct cpumap *out,
		 char *err)
{
	const char *item = s;

	cpumap_zero(out);
	if (!*s) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "The CPU list is empty; give host CPUs such as \"0-3,5\", or \"all\".");
		return -EINVAL;
	}
	for (;;) {
		const char *comma = strchr(item, ',');
		size_t len = comma ? (size_t)(comma - item) : strlen(item);
		int rc = parse_item(s, item, len, all, out, err);

		if (rc)
			return rc;
		if (!comma)
			break;
		item = comma + 1;
	}
	if (!cpumap_count(out)) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "The CPU list \"%.64s\" leaves no CPU to run on; give at least one host CPU.",
			 s);
		return -EINVAL;
	}
	return 0;
}

char *cpumap_format(const struct cpumap *m, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned c = 0; c < CPUMAP_MAX_CPUS && len < size; c++) {
		unsigned last = c;
		int n;

		if (!cpumap_test(m, c))
			continue;
		while (last + 1 < CPUMAP_MAX_CPUS && cpumap_test(m, last + 1))
			last++;
		if (last == c)
			n = snprintf(buf + len, size - len, "%s%u",
				     len ? "," : "", c);
		else
			n = snprintf(buf + len, size - len, "%s%u-%u",
				     len ? "," : "", c, last);
		len += n > 0 ? (size_t)n : 0;
		c = last;
	}
	return buf;
}

int cpumap_host(struct cpumap *out)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	cpumap_from_cpuset(&set, out);
	return 0;
}

int cpumap_check_host(const struct cpumap *m, const struct cpumap *host,
		      char *err)
{
	char have[96];

	for (unsigned c = 0; c < CPUMAP_MAX_CPUS; c++) {
		if (!cpumap_test(m, c) || cpumap_test(host, c))
			continue;
		cpumap_format(host, have, sizeof(have));
		snprintf(err, CPUMAP_ERR_MAX,
			 "This host has no CPU %u that keel may use; its CPUs are %s.",
			 c, have);
		return -EINVAL;
	}
	return 0;
}

void cpumap_to_cpuset(const struct cpumap *m, void *set)
{
	cpu_set_t *s = set;

	CPU_ZERO(s);
	for (unsigned c = 0; c < CPUMAP_MAX_CPUS; c++)
		if (cpumap_test(m, c))
			CPU_SET(c, s);
}

void cpumap_from_cpuset(const void *set, struct cpumap *m)
{
	const cpu_set_t *s = set;

	cpumap_zero(m);
	for (unsigned c = 0; c < CPUMAP_MAX_CPUS; c++)
		if (CPU_ISSET(c, s))
			cpumap_set(m, c);
}
