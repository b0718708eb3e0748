/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_MONOTIME_H
#define KEEL_MONOTIME_H

/*
 * The clock every keel program measures intervals on: CLOCK_MONOTONIC,
 * which no settimeofday(2) moves, in ns, us or ms; and a process's or
 * a thread's CPU time. One copy here, not one per file.
 */
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

static inline uint64_t monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t monotime_us(void)
{
	return monotime_ns() / 1000;
}

static inline long long monotime_ms(void)
{
	return (long long)(monotime_ns() / 1000000);
}

/* User and system CPU time of RUSAGE_SELF or RUSAGE_THREAD (0: unknown). */
static inline uint64_t cputime_us(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

#endif
