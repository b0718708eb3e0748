// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the source keel-hv: the pre-copy passes
 * (docs/migration.md phase 2), on the migration's thread while the
 * guest runs. migrate_precopy() sends the stream's header, then pass
 * after pass: the pages of the dirty set (migrate_send_set(), held to
 * the bandwidth limit by migrate_pace()), the log's next dirty set
 * (migrate_sync()), a PROGRESS record and the destination's
 * acknowledgement (migrate_wait_ack()) and auto-converge's throttle,
 * until the dirty set fits the downtime limit and no tail pass is due
 * (migrate_tail()), a force, or pass 1 of a migration that is not
 * live. The final phase (migrate_send.c) sends the last dirty set with
 * migrate_sync() and migrate_send_set() on the I/O thread, unpaced.
 * The passes' arithmetic, which the unit tests check, is here too.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "dirty.h"
#include "hv_proto.h"
#include "log.h"
#include "migrate_internal.h"
#include "migrate_send.h"
#include "monotime.h"
#include "save.h"
#include "stream.h"
#include "vcpu.h"
#include "vm.h"

/* The pacing's longest sleep before it looks at cancel and force again. */
#define MIGRATE_PACE_STEP_US 50000
/*
 * Passes after the first one whose dirty set fitted the downtime limit,
 * while each leaves at most half of what the one before it left and
 * more than MIGRATE_TAIL_MIN_BYTES: the limit is a ceiling, and a pass
 * that halves the pause costs the running guest little (migrate_tail()).
 */
#define MIGRATE_TAIL_PASSES 2
#define MIGRATE_TAIL_MIN_BYTES (256 * 1024)

uint64_t migrate_pace_delay_us(uint64_t bytes, uint64_t elapsed_us,
			       uint64_t rate)
{
	uint64_t due_us;

	if (!rate)
		return 0;
	/* When @bytes may have gone at @rate; 128-bit: no overflow. */
	due_us = (uint64_t)((unsigned __int128)bytes * 1000000 / rate);
	return due_us > elapsed_us ? due_us - elapsed_us : 0;
}

unsigned migrate_converge(uint64_t prev, uint64_t now, unsigned *misses,
			  unsigned throttle)
{
	/* Shrunk by a quarter: now <= 3/4 of prev. */
	if (prev && now * 4 <= prev * 3) {
		*misses = 0;
		return throttle;
	}
	if (++*misses < 2)
		return throttle;
	throttle = throttle ? throttle + 10 : 20;
	return throttle > VCPU_THROTTLE_MAX ? VCPU_THROTTLE_MAX : throttle;
}

uint64_t migrate_expected_ms(uint64_t remaining, uint64_t rate)
{
	if (!remaining)
		return 0;
	if (!rate)
		return UINT64_MAX;
	return (uint64_t)((unsigned __int128)remaining * 1000 / rate);
}

/* --- The passes ----------------------------------------------------- */

/* Hold the pass to the bandwidth limit; -ECANCELED, 1 forced, or 0. */
static int migrate_pace(struct migrate *m)
{
	uint64_t rate = atomic_load(&m->bandwidth);
	uint64_t sent = stream_writer_offset(m->s.sw), delay;

	if (rate != m->pace_rate) {
		/* A new limit counts from now. */
		m->pace_rate = rate;
		m->pace_t0_us = monotime_us();
		m->pace_bytes0 = sent;
	}
	for (;;) {
		if (atomic_load(&m->cancel))
			return migrate_cancelled(m);
		if (atomic_load(&m->force))
			return 1;
		delay = migrate_pace_delay_us(sent - m->pace_bytes0,
					      monotime_us() - m->pace_t0_us,
					      rate);
		if (!delay)
			return 0;
		if (delay > MIGRATE_PACE_STEP_US)
			delay = MIGRATE_PACE_STEP_US;
		usleep((useconds_t)delay);
	}
}

/*
 * Send every page in the dirty log's send set, taking each run's bits
 * off once written. @final: on the I/O thread, VM paused, unpaced.
 * Returns 0, 1 (forced: the rest stays in the set), or -errno with
 * m->why said. *@pages counts the pages sent.
 */
int migrate_send_set(struct migrate *m, bool final, uint64_t *pages)
{
	for (unsigned i = 0; i < m->dirty->nr; i++) {
		struct dirty_range *r = &m->dirty->range[i];
		uint64_t from = 0, start, n;

		while ((n = dirty_next_run(r->send, r->npages, from,
					   MIGRATE_RUN_PAGES, &start))) {
			uint64_t gpa = r->gpa + start * 4096;
			const void *copy = NULL;
			int rc;

			/*
			 * The guest runs: what is hashed must be what is
			 * written, so the writer reads a still copy. A
			 * page changed since is dirty again anyway.
			 */
			uint64_t t0 = monotime_us(), t1;

			if (!final) {
				memcpy(m->bounce,
				       vm_gpa_to_hva(m->vm, gpa, n * 4096),
				       n * 4096);
				copy = m->bounce;
			}
			t1 = monotime_us();
			rc = save_stream_ram(&m->s, gpa, n * 4096, copy,
					     STREAM_ENC_LZ4);
			m->copy_us += t1 - t0;
			m->write_us += monotime_us() - t1;
			if (rc)
				return rc;
			dirty_clear_bits(r->send, start, n);
			*pages += n;
			from = start + n;
			if (final) {
				atomic_store(&m->final_written,
					     stream_writer_offset(m->s.sw));
				continue;
			}
			rc = migrate_pace(m);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int migrate_sync(struct migrate *m, uint64_t *remaining)
{
	int64_t n = dirty_sync(m->dirty);

	if (n < 0) {
		snprintf(m->why, sizeof(m->why),
			 "Cannot read KVM's log of the pages the guest wrote: %s.",
			 strerror((int)-n));
		return (int)n;
	}
	*remaining = (uint64_t)n * 4096;
	return 0;
}

/*
 * Pass @round's PROGRESS record is out: wait until the destination says
 * it applied everything before it (HV_MIG_ACK " ROUND"). What the
 * socket buffers and the destination's backlog hold is then not queued
 * behind the pause, where it would all be downtime (docs/migration.md,
 * "pre-copy"). *@ack_us: how long that took.
 */
static int migrate_wait_ack(struct migrate *m, uint64_t round,
			    uint64_t *ack_us)
{
	char want[32], what[32];
	uint64_t t0 = monotime_us();
	int rc;

	snprintf(want, sizeof(want), HV_MIG_ACK " %llu",
		 (unsigned long long)round);
	snprintf(what, sizeof(what), "pass %llu", (unsigned long long)round);
	rc = migrate_expect(m, want, MIGRATE_ACK_MS, what);
	*ack_us = monotime_us() - t0;
	return rc;
}

/*
 * The dirty set fitted the limit after pass @round, leaving @remaining
 * bytes where the pass before left @prev: one more pass? The pause is
 * as long as the last dirty set takes to send and apply, so while a
 * pass still halves it, another is cheaper than the pause it saves. The
 * bulk first pass is long, so the short pass after it nearly always
 * leaves less. Never more than MIGRATE_TAIL_PASSES, never for a set
 * already small.
 */
static bool migrate_tail(uint64_t round, uint64_t remaining, uint64_t prev,
			 unsigned *tail)
{
	if (*tail >= MIGRATE_TAIL_PASSES ||
	    remaining <= MIGRATE_TAIL_MIN_BYTES)
		return false;
	if (round > 1 && remaining * 2 > prev)
		return false;
	(*tail)++;
	return true;
}

/*
 * Pre-copy: the header, then passes until the dirty set fits the
 * downtime (or force, or !live after pass 1), and while it still halves
 * (migrate_tail()). Returns 0 when the final phase is due, or -errno
 * with m->why said.
 */
int migrate_precopy(struct migrate *m)
{
	uint64_t prev = 0, remaining = 0;
	unsigned misses = 0, throttle = 0, tail = 0;
	int rc;

	rc = save_stream_head(&m->s, m->config);
	if (rc)
		return rc;
	for (uint64_t round = 1;; round++) {
		struct migrate_progress p = { .round = round };
		uint64_t t0 = monotime_us(), off0, pages = 0, us, rate;
		uint64_t wait0 = stream_writer_wait_us(m->s.sw), wait_us;
		uint64_t cpu0 = cputime_us(RUSAGE_THREAD), cpu;
		uint64_t all0 = cputime_us(RUSAGE_SELF), all, ack_us;

		off0 = stream_writer_offset(m->s.sw);
		m->pace_rate = UINT64_MAX;	/* a new window each pass */
		m->copy_us = m->write_us = 0;
		rc = migrate_send_set(m, false, &pages);
		if (rc < 0)
			return rc;
		m->rounds = round;
		if (rc == 1)
			return 0; /* forced: the rest goes in the final */
		rc = migrate_sync(m, &remaining);
		if (rc)
			return rc;
		us = monotime_us() - t0;
		if (!us)
			us = 1;
		wait_us = stream_writer_wait_us(m->s.sw) - wait0;
		cpu = cputime_us(RUSAGE_THREAD) - cpu0;
		all = cputime_us(RUSAGE_SELF) - all0;
		rate = (stream_writer_offset(m->s.sw) - off0) * 1000000 / us;
		p.sent = stream_writer_offset(m->s.sw);
		p.remaining = remaining;
		p.dirty_rate = remaining * 1000000 / us;
		p.expected_downtime_ms = migrate_expected_ms(remaining, rate);
		rc = stream_write_progress(m->s.sw, round, p.sent, remaining,
					   p.dirty_rate);
		if (!rc)
			rc = stream_writer_flush(m->s.sw);
		if (rc) {
			snprintf(m->why, sizeof(m->why),
				 "Cannot send the migration stream: %s.",
				 strerror(-rc));
			return rc;
		}
		rc = migrate_wait_ack(m, round, &ack_us);
		if (rc)
			return rc;
		/*
		 * The guest wrote on while the destination caught up: that
		 * is in the next set too, the final one's if this pass ends
		 * the pre-copy. Count it before deciding.
		 */
		rc = migrate_sync(m, &remaining);
		if (rc)
			return rc;
		p.remaining = remaining;
		p.expected_downtime_ms = migrate_expected_ms(remaining, rate);
		if (atomic_load(&m->auto_converge) && round > 1) {
			throttle = migrate_converge(prev, remaining, &misses,
						    throttle);
			if (throttle != vcpu_throttle_get(m->vm) &&
			    vcpu_throttle_set(m->vm, throttle))
				log_warn("migrate: cannot throttle the vCPUs: out of memory");
		} else if (!atomic_load(&m->auto_converge) && throttle) {
			throttle = 0;
			misses = 0;
			vcpu_throttle_set(m->vm, 0);
		}
		p.throttle = throttle;
		migrate_post_progress(m, &p);
		log_info("migrate: pass %llu: %llu pages in %llu ms (copying %llu, encoding %llu, encrypting and sending %llu), %llu bytes of stream (%llu KiB/s), CPU %llu ms on this thread and %llu ms in all keel-hv, %llu bytes dirty, expected downtime %llu ms, acknowledged %llu ms later",
			 (unsigned long long)round, (unsigned long long)pages,
			 (unsigned long long)(us / 1000),
			 (unsigned long long)(m->copy_us / 1000),
			 (unsigned long long)((m->write_us > wait_us ?
						       m->write_us - wait_us : 0) / 1000),
			 (unsigned long long)(wait_us / 1000),
			 (unsigned long long)(stream_writer_offset(m->s.sw) -
					      off0),
			 (unsigned long long)(rate / 1024),
			 (unsigned long long)(cpu / 1000),
			 (unsigned long long)(all / 1000),
			 (unsigned long long)remaining,
			 (unsigned long long)p.expected_downtime_ms,
			 (unsigned long long)(ack_us / 1000));
		if (atomic_load(&m->cancel))
			return migrate_cancelled(m);
		/*
		 * A destination that took longer than the downtime to catch
		 * up let the guest dirty that long past the estimate: one
		 * more pass, now that nothing waits in between.
		 */
		if (!m->live || atomic_load(&m->force))
			return 0;
		if (p.expected_downtime_ms <= atomic_load(&m->downtime_ms) &&
		    ack_us / 1000 <= atomic_load(&m->downtime_ms)) {
			if (!migrate_tail(round, remaining, prev, &tail))
				return 0;
			log_info("migrate: the dirty set fits the downtime; another pass while it halves (%u of at most %d)",
				 tail, MIGRATE_TAIL_PASSES);
		}
		prev = remaining;
	}
}

