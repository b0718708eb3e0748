// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Token buckets for the devices' I/O limits (ratelimit.h). Integer
 * arithmetic only: a bucket counts whole units and keeps the part of a
 * unit earned so far as time not yet counted (stamp_ns), so a slow rate
 * loses nothing to rounding and a long idle cannot overflow anything.
 */
#include "config.h"

#include <event2/event.h>
#include <time.h>

#include "log.h"
#include "monotime.h"
#include "ratelimit.h"

#define NSEC 1000000000ULL

void rl_bucket_set(struct rl_bucket *b, uint64_t rate, uint64_t burst,
		   uint64_t now)
{
	if (rate > IOTUNE_VALUE_MAX)
		rate = IOTUNE_VALUE_MAX;
	if (burst > IOTUNE_VALUE_MAX)
		burst = IOTUNE_VALUE_MAX;
	b->rate = rate;
	b->burst = burst;
	if (rate && !burst)
		b->burst = rate / 10 ? rate / 10 : 1;
	b->tokens = (int64_t)b->burst;
	b->stamp_ns = now;
}

void rl_bucket_refill(struct rl_bucket *b, uint64_t now)
{
	unsigned __int128 earned;

	if (!b->rate || now <= b->stamp_ns)
		return;
	if (b->tokens >= (int64_t)b->burst) {
		/* Full: idle time earns nothing. */
		b->stamp_ns = now;
		return;
	}
	earned = (unsigned __int128)(now - b->stamp_ns) * b->rate / NSEC;
	if (!earned)
		return; /* not a whole unit yet: keep counting from stamp */
	if (earned >= (unsigned __int128)((int64_t)b->burst - b->tokens)) {
		b->tokens = (int64_t)b->burst;
		b->stamp_ns = now;
		return;
	}
	b->tokens += (int64_t)earned;
	/* Only the time those units took: the remainder carries over. */
	b->stamp_ns += (uint64_t)(earned * NSEC / b->rate);
}

uint64_t rl_bucket_wait(const struct rl_bucket *b, uint64_t now)
{
	unsigned __int128 need, at;

	if (!b->rate || b->tokens > 0)
		return 0;
	need = (unsigned __int128)(1 - b->tokens);
	at = b->stamp_ns + (need * NSEC + b->rate - 1) / b->rate;
	return at > now ? (uint64_t)(at - now) : 1;
}

void rl_bucket_charge(struct rl_bucket *b, uint64_t cost)
{
	if (!b->rate)
		return;
	/* Debt is bounded by one request's size, far from INT64_MIN. */
	if (cost > IOTUNE_VALUE_MAX)
		cost = IOTUNE_VALUE_MAX;
	b->tokens -= (int64_t)cost;
}

void ratelimit_init(struct ratelimit *rl)
{
	*rl = (struct ratelimit){ 0 };
}

void ratelimit_set(struct ratelimit *rl, const struct iotune *t,
		   uint64_t now)
{
	for (unsigned i = 0; i < IOTUNE_NR_BUCKETS; i++)
		rl_bucket_set(&rl->b[i], t->rate[i], t->burst[i], now);
	rl->active = iotune_any(t);
}

void ratelimit_get(const struct ratelimit *rl, struct iotune *t)
{
	for (unsigned i = 0; i < IOTUNE_NR_BUCKETS; i++) {
		t->rate[i] = rl->b[i].rate;
		t->burst[i] = rl->b[i].rate ? rl->b[i].burst : 0;
	}
}

uint64_t ratelimit_take(struct ratelimit *rl, struct rl_throttle *thr,
			const struct rl_charge *c, unsigned n, uint64_t now)
{
	uint64_t wait = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rl_bucket *b = &rl->b[c[i].bucket];
		uint64_t w;

		rl_bucket_refill(b, now);
		w = rl_bucket_wait(b, now);
		if (w > wait)
			wait = w;
	}
	if (wait) {
		if (!thr->on) {
			thr->on = true;
			thr->since_ns = now;
			thr->count++;
		}
		return wait;
	}
	for (unsigned i = 0; i < n; i++)
		rl_bucket_charge(&rl->b[c[i].bucket], c[i].cost);
	rl_throttle_end(thr, now);
	return 0;
}

void rl_throttle_end(struct rl_throttle *thr, uint64_t now)
{
	if (!thr->on)
		return;
	thr->on = false;
	if (now > thr->since_ns)
		thr->total_ns += now - thr->since_ns;
}

void ratelimit_charge(struct ratelimit *rl, enum iotune_bucket bucket,
		      uint64_t cost)
{
	rl_bucket_charge(&rl->b[bucket], cost);
}

uint64_t rl_throttle_ns(const struct rl_throttle *thr, uint64_t now)
{
	if (thr->on && now > thr->since_ns)
		return thr->total_ns + (now - thr->since_ns);
	return thr->total_ns;
}

uint64_t rl_now(void)
{
	return monotime_ns();
}

int rl_timer_arm(struct event *ev, uint64_t ns, const char *who)
{
	struct timeval tv;

	if (ns < 1000)
		ns = 1000;
	tv.tv_sec = (time_t)(ns / NSEC);
	tv.tv_usec = (suseconds_t)(ns % NSEC / 1000);
	if (evtimer_add(ev, &tv)) {
		log_warn("%s: cannot arm the I/O limit's timer; the device waits for the guest's next request.",
			 who);
		return -1;
	}
	return 0;
}
