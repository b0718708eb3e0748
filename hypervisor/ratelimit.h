/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_RATELIMIT_H
#define KEEL_HV_RATELIMIT_H

/*
 * Token buckets for a device's I/O limits (lib/iotune.h): one bucket
 * per limit, refilled at its rate up to its burst. An operation may
 * start while every bucket it is charged to holds a token, and then
 * takes what it costs, which may leave a bucket in debt: a 1 MiB
 * request under a 64 KiB burst still goes, and the next one waits
 * until the debt is paid. So the long-run rate is exact, a request
 * larger than the burst is never stuck, and the guest is only slowed,
 * never refused.
 *
 * Time is an argument (nanoseconds of CLOCK_MONOTONIC in the devices,
 * anything in tests), so that nothing here reads a clock.
 */

#include <stdbool.h>
#include <stdint.h>

#include "iotune.h"

struct event;

struct rl_bucket {
	uint64_t rate; /* units per second; 0: no limit */
	uint64_t burst; /* the most the bucket holds */
	int64_t tokens; /* may be negative: debt */
	uint64_t stamp_ns; /* time up to which tokens are counted */
};

/* How often and how long operations of one direction had to wait. */
struct rl_throttle {
	bool on;
	uint64_t since_ns;
	uint64_t count; /* times an operation had to wait */
	uint64_t total_ns; /* time spent waiting, ended waits only */
};

struct ratelimit {
	/*
	 * False when no bucket has a rate: the devices test this one flag
	 * and skip everything else, so no limit costs one branch.
	 */
	bool active;
	struct rl_bucket b[IOTUNE_NR_BUCKETS];
};

/* What one operation costs in one bucket. */
struct rl_charge {
	enum iotune_bucket bucket;
	uint64_t cost;
};

/*
 * Set bucket @b to @rate units per second holding at most @burst (0: a
 * tenth of a second's worth, at least 1), full, as of @now. @rate 0
 * makes it unlimited.
 */
void rl_bucket_set(struct rl_bucket *b, uint64_t rate, uint64_t burst,
		   uint64_t now);

/* Add what @b earned up to @now, never beyond its burst. */
void rl_bucket_refill(struct rl_bucket *b, uint64_t now);

/*
 * After rl_bucket_refill(): nanoseconds from @now until @b holds a
 * token again; 0 if it holds one (or has no limit).
 */
uint64_t rl_bucket_wait(const struct rl_bucket *b, uint64_t now);

/* Take @cost units from @b (it may go into debt); nothing if unlimited. */
void rl_bucket_charge(struct rl_bucket *b, uint64_t cost);

/* All buckets unlimited. */
void ratelimit_init(struct ratelimit *rl);

/* Apply @t (its buckets all start full) as of @now; sets rl->active. */
void ratelimit_set(struct ratelimit *rl, const struct iotune *t,
		   uint64_t now);

/* The limits in force, as ratelimit_set() was given them (0 bursts too). */
void ratelimit_get(const struct ratelimit *rl, struct iotune *t);

/*
 * May an operation with the @n costs @c start at @now? If every bucket
 * it touches holds a token, it is charged and 0 is returned (and a wait
 * @thr was in ends and is counted). Otherwise nothing is charged, @thr
 * starts waiting (counted once per wait), and the nanoseconds until the
 * last of those buckets has a token again are returned.
 */
uint64_t ratelimit_take(struct ratelimit *rl, struct rl_throttle *thr,
			const struct rl_charge *c, unsigned n, uint64_t now);

/* Charge @cost to @bucket after the fact (a received frame's bytes). */
void ratelimit_charge(struct ratelimit *rl, enum iotune_bucket bucket,
		      uint64_t cost);

/* End @thr's wait, if any, at @now (a reset, limits lifted). */
void rl_throttle_end(struct rl_throttle *thr, uint64_t now);

/* @thr's time spent waiting up to @now, the current wait included. */
uint64_t rl_throttle_ns(const struct rl_throttle *thr, uint64_t now);

/* CLOCK_MONOTONIC in nanoseconds, for the devices. */
uint64_t rl_now(void);

/*
 * Arm the one-shot timer @ev to fire in @ns nanoseconds (at least one
 * microsecond), replacing an earlier schedule. Returns 0 or -1, logged.
 */
int rl_timer_arm(struct event *ev, uint64_t ns, const char *who);

#endif /* KEEL_HV_RATELIMIT_H */
