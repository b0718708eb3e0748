// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the source keel-hv (docs/migration.md phases 2-3):
 * the TLS connection and token line, then a thread that sends the
 * domain stream in passes while the guest runs, and the final records
 * written on the I/O thread with the vCPUs paused. In the order things
 * happen: migrate_start(), migrate_thread() with its passes,
 * migrate_final() on the I/O thread, the wait for DONE, migrate_ended()
 * back on the I/O thread; migrate_cancel() may cut in anywhere before.
 *
 * Why the final records are written on the I/O thread: the devices do
 * their work there (virtqueues, disk and tap I/O) and their save ops
 * read state only that thread changes. While it writes, with the vCPUs
 * paused, nothing else writes guest memory or device state, exactly as
 * for a save; the sender thread waits meanwhile and watches that bytes
 * still go out (MIGRATE_STALL_MS).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dirty.h"
#include "fault.h"
#include "libkeel_internal.h"
#include "log.h"
#include "migrate_internal.h"
#include "migrate_send.h"
#include "monotime.h"
#include "stream.h"
#include "tls_pump.h"
#include "vcpu.h"
#include "vm.h"
#include "vmm.h"

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
/* The longest line the destination may answer with. */
#define MIGRATE_LINE_MAX 512
/*
 * The stream goes out in writes of this size, 16 full TLS records:
 * a record header or a small record never becomes a TLS record alone.
 */
#define MIGRATE_WRITE_BUF (256 * 1024)

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

/* The destination's words, made printable for a sentence. */
static void migrate_printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

/*
 * One line from the destination, without its newline, within
 * @timeout_ms: a byte at a time, from what OpenSSL already decrypted
 * (nothing after the newline is taken). 0, or -ETIMEDOUT, -EPIPE
 * (closed first), -EPROTO (too long, or TLS failed), -errno.
 */
static int migrate_read_line(struct tls_chan *c, char *buf, size_t size,
			     int timeout_ms)
{
	long long deadline = monotime_ms() + timeout_ms;
	size_t len = 0;

	for (;;) {
		long long left = deadline - monotime_ms();
		ssize_t n;
		char ch;

		if (left <= 0)
			return -ETIMEDOUT;
		n = tls_chan_read(c, &ch, 1, (int)left);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		if (ch == '\n') {
			buf[len] = '\0';
			return 0;
		}
		if (len + 1 >= size)
			return -EPROTO;
		buf[len++] = ch;
	}
}

/* The stream writer's way out (struct stream_io): all of @len, or -errno. */
static int migrate_io_write(void *opaque, const void *p, size_t len)
{
	return tls_chan_write(opaque, p, len);
}

/* Cut the connection: a write or read blocked on it returns. */
static void migrate_cut(struct migrate *m)
{
	if (m->chan)
		tls_chan_cut(m->chan);
}

/* The token line and the destination's OK or NO. */
static int migrate_handshake(struct migrate *m, const struct migrate_params *p)
{
	char line[MIGRATE_LINE_MAX];
	int rc, n;

	n = snprintf(line, sizeof(line), HV_MIG_HELLO " %s\n", p->token);
	rc = tls_chan_write(m->chan, line, (size_t)n);
	if (!rc)
		rc = migrate_read_line(m->chan, line, sizeof(line),
				       MIGRATE_TOKEN_MS);
	if (rc == -ETIMEDOUT) {
		snprintf(m->why, sizeof(m->why),
			 "The destination at %s port %u did not answer the migration's token within %d s.",
			 p->host, p->port, MIGRATE_TOKEN_MS / 1000);
		return rc;
	}
	if (rc) {
		snprintf(m->why, sizeof(m->why),
			 "The destination at %s port %u closed the connection instead of answering the migration's token: it refused this host's certificate, or it is not a keel-hv waiting for a migration.",
			 p->host, p->port);
		return rc;
	}
	if (!strcmp(line, HV_MIG_OK))
		return 0;
	migrate_printable(line);
	if (!strncmp(line, HV_MIG_NO " ", 3))
		snprintf(m->why, sizeof(m->why),
			 "The destination refused the migration: %.200s",
			 line + 3);
	else
		snprintf(m->why, sizeof(m->why),
			 "The destination answered the migration's token with \"%.64s\", not OK.",
			 line);
	return -EACCES;
}

/* --- The thread: the passes ----------------------------------------- */

/* Queue a pass's numbers for the I/O thread to notify. */
static void migrate_post_progress(struct migrate *m,
				  const struct migrate_progress *p)
{
	pthread_mutex_lock(&m->lock);
	/* A client that lags loses the oldest pass, never the newest. */
	if (m->nr_notes == MIGRATE_NOTES) {
		memmove(m->notes, m->notes + 1,
			(MIGRATE_NOTES - 1) * sizeof(m->notes[0]));
		m->nr_notes--;
	}
	m->notes[m->nr_notes++] = *p;
	pthread_mutex_unlock(&m->lock);
	event_active(m->note_ev, EV_READ, 0);
}

static int migrate_cancelled(struct migrate *m)
{
	snprintf(m->why, sizeof(m->why), "cancelled");
	return -ECANCELED;
}

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
static int migrate_send_set(struct migrate *m, bool final, uint64_t *pages)
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

static int migrate_sync(struct migrate *m, uint64_t *remaining)
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
 * The destination's next line, within @timeout_ms, must be @want: it
 * confirms @what (m->why names it). A line that came stands. Else
 * -errno with m->why said: FAIL and the destination's sentence, a
 * timeout, a closed connection, another line, or -ECANCELED.
 */
static int migrate_expect(struct migrate *m, const char *want,
			  int timeout_ms, const char *what)
{
	char line[MIGRATE_LINE_MAX];
	int rc = migrate_read_line(m->chan, line, sizeof(line), timeout_ms);

	if (rc && atomic_load(&m->cancel))
		return migrate_cancelled(m);
	if (rc == -ETIMEDOUT) {
		snprintf(m->why, sizeof(m->why),
			 "The destination did not confirm %s within %d s.",
			 what, timeout_ms / 1000);
		return rc;
	}
	if (rc) {
		snprintf(m->why, sizeof(m->why),
			 "The destination closed the connection before it confirmed %s.",
			 what);
		return rc;
	}
	if (!strcmp(line, want))
		return 0;
	migrate_printable(line);
	if (!strncmp(line, HV_MIG_FAIL " ", 5))
		snprintf(m->why, sizeof(m->why),
			 "The destination refused the migration stream: %.200s",
			 line + 5);
	else
		snprintf(m->why, sizeof(m->why),
			 "The destination answered %s with \"%.64s\", not %s.",
			 what, line, want);
	return -EPROTO;
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
static int migrate_precopy(struct migrate *m)
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

/* I/O thread: the VM paused, the last pages and the rest of the stream. */
static void migrate_final(evutil_socket_t fd, short what, void *arg)
{
	struct migrate *m = arg;
	uint64_t remaining, pages = 0, t[5];
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	if (!m->final_asked || atomic_load(&m->cancel)) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	m->final_started = true;
	pthread_mutex_unlock(&m->lock);
	t[0] = monotime_us();
	if (!vm_is_paused(m->vm)) {
		if (vm_pause(m->vm)) {
			snprintf(m->why, sizeof(m->why),
				 "The VM is stopping; it cannot migrate.");
			rc = -ESHUTDOWN;
		} else {
			m->paused_by_us = true;
		}
	}
	/* The guest stops at the first vCPU's kick: the pause begins here. */
	m->pause_ms = (long long)(t[0] / 1000);
	t[1] = monotime_us();
	if (!rc)
		rc = migrate_sync(m, &remaining);
	t[2] = monotime_us();
	if (!rc)
		rc = migrate_send_set(m, true, &pages);
	/* The destination applies the pages while the state is gathered. */
	if (!rc) {
		rc = stream_writer_flush(m->s.sw);
		if (rc)
			snprintf(m->why, sizeof(m->why),
				 "Cannot send the migration stream: %s.",
				 strerror(-rc));
	}
	t[3] = monotime_us();
	if (!rc)
		fault_stall(FAULT_SEND_DEVICE);
	if (!rc)
		rc = save_stream_tail(&m->s);
	t[4] = monotime_us();
	if (!rc)
		log_info("migrate: final pass: %llu pages, %llu ms after the pause (pausing the vCPUs %llu, the dirty log %llu, the pages %llu, vCPU and device state %llu); the stream is %llu bytes",
			 (unsigned long long)pages,
			 (unsigned long long)(t[4] - t[0]) / 1000,
			 (unsigned long long)(t[1] - t[0]) / 1000,
			 (unsigned long long)(t[2] - t[1]) / 1000,
			 (unsigned long long)(t[3] - t[2]) / 1000,
			 (unsigned long long)(t[4] - t[3]) / 1000,
			 (unsigned long long)stream_writer_offset(m->s.sw));
	pthread_mutex_lock(&m->lock);
	m->final_rc = rc;
	m->final_done = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/*
 * The thread's side of the final phase: ask the I/O thread, then wait,
 * cutting the connection if no byte goes out for MIGRATE_STALL_MS.
 */
static int migrate_final_wait(struct migrate *m)
{
	uint64_t last = 0, last_us = monotime_us();
	int rc;

	pthread_mutex_lock(&m->lock);
	m->final_asked = true;
	pthread_mutex_unlock(&m->lock);
	event_active(m->final_ev, EV_READ, 0);
	pthread_mutex_lock(&m->lock);
	while (!m->final_done) {
		struct timespec ts;
		uint64_t w;

		if (atomic_load(&m->cancel) && !m->final_started) {
			/* The I/O thread will not start it now. */
			m->final_asked = false;
			pthread_mutex_unlock(&m->lock);
			return migrate_cancelled(m);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&m->cond, &m->lock, &ts);
		w = atomic_load(&m->final_written);
		if (w != last || !m->final_started) {
			last = w;
			last_us = monotime_us();
		} else if (monotime_us() - last_us >
			   (uint64_t)MIGRATE_STALL_MS * 1000) {
			log_warn("migrate: the final pass wrote nothing for %d s; cutting the connection",
				 MIGRATE_STALL_MS / 1000);
			migrate_cut(m);
			last_us = monotime_us();
		}
	}
	rc = m->final_rc;
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* The destination's verdict on the stream: DONE (it has the VM), or why not. */
static int migrate_wait_done(struct migrate *m)
{
	return migrate_expect(m, HV_MIG_DONE, MIGRATE_DONE_MS,
			      "the migration stream");
}

static void *migrate_thread(void *arg)
{
	struct migrate *m = arg;
	struct migrate_result *r = &m->result;
	int rc;

	pthread_setname_np(pthread_self(), "migrate");
	rc = migrate_precopy(m);
	if (!rc)
		rc = migrate_final_wait(m);
	if (!rc)
		rc = migrate_wait_done(m);
	if (!rc)
		log_info("migrate: DONE came %lld ms after the pause",
			 (long long)(monotime_us() / 1000) - m->pause_ms);
	if (rc && atomic_load(&m->cancel))
		migrate_cancelled(m);
	r->ok = !rc;
	r->sent = m->s.sw ? stream_writer_offset(m->s.sw) : 0;
	r->rounds = m->rounds + 1;	/* the passes and the final one */
	if (!rc)
		r->downtime_ms = monotime_us() / 1000 -
				 (uint64_t)m->pause_ms;
	else
		snprintf(r->error, sizeof(r->error), "%s",
			 m->why[0] ? m->why : "The migration failed.");
	event_active(m->done_ev, EV_READ, 0);
	return NULL;
}

/* --- Back on the I/O thread ----------------------------------------- */

static void migrate_notes(evutil_socket_t fd, short what, void *arg)
{
	struct migrate *m = arg;
	struct migrate_progress notes[MIGRATE_NOTES];
	unsigned n;

	pthread_mutex_lock(&m->lock);
	n = m->nr_notes;
	memcpy(notes, m->notes, n * sizeof(notes[0]));
	m->nr_notes = 0;
	pthread_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < n && !m->ended; i++)
		m->ops.progress(m->opaque, &notes[i]);
}

/* Join, undo what the migration did to the VM, and tell. */
static void migrate_wind_up(struct migrate *m)
{
	uint64_t t0 = monotime_us(), t1, t2, t3;
	bool ran = m->thread_started;

	if (m->thread_started) {
		pthread_join(m->thread, NULL);
		m->thread_started = false;
	}
	t1 = monotime_us();
	dirty_stop(m->dirty);
	m->dirty = NULL;
	vcpu_throttle_set(m->vm, 0);
	if (!m->result.ok && m->paused_by_us)
		vm_resume(m->vm);
	m->paused_by_us = false;
	t2 = monotime_us();
	save_stream_dispose(&m->s);
	m->chan = NULL;
	libkeel_tls_free(m->tls);
	m->tls = NULL;
	t3 = monotime_us();
	if (ran)
		log_info("migrate: wound up in %llu ms (the thread %llu, the dirty log %llu, the stream and TLS %llu)",
			 (unsigned long long)(t3 - t0) / 1000,
			 (unsigned long long)(t1 - t0) / 1000,
			 (unsigned long long)(t2 - t1) / 1000,
			 (unsigned long long)(t3 - t2) / 1000);
}

static void migrate_ended(evutil_socket_t fd, short what, void *arg)
{
	struct migrate *m = arg;

	if (m->ended)
		return;
	migrate_notes(-1, 0, m);
	migrate_wind_up(m);
	m->ended = true;
	if (m->result.ok)
		log_info("migrate: done: %llu bytes in %llu passes, %llu ms paused",
			 (unsigned long long)m->result.sent,
			 (unsigned long long)m->result.rounds,
			 (unsigned long long)m->result.downtime_ms);
	else
		log_warn("migrate: failed: %s", m->result.error);
	/* Last: the callee may free @m. */
	m->ops.done(m->opaque, &m->result);
}

void migrate_set_downtime(struct migrate *m, uint64_t ms)
{
	atomic_store(&m->downtime_ms, ms);
}

void migrate_set_bandwidth(struct migrate *m, uint64_t mib)
{
	atomic_store(&m->bandwidth, mib << 20);
}

void migrate_set_auto_converge(struct migrate *m, bool on)
{
	atomic_store(&m->auto_converge, on);
}

void migrate_force(struct migrate *m)
{
	atomic_store(&m->force, true);
}

void migrate_cancel(struct migrate *m)
{
	if (!m || m->ended || atomic_exchange(&m->cancel, true))
		return;
	log_info("migrate: cancelling");
	/* A write or read blocked on the destination returns now. */
	migrate_cut(m);
	pthread_mutex_lock(&m->lock);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

void migrate_free(struct migrate *m)
{
	if (!m)
		return;
	if (!m->ended) {
		/* keel-hv is ending (or keeld's connection went): run on. */
		migrate_cancel(m);
		migrate_wind_up(m);
		m->ended = true;
	}
	if (m->note_ev)
		event_free(m->note_ev);
	if (m->final_ev)
		event_free(m->final_ev);
	if (m->done_ev)
		event_free(m->done_ev);
	json_object_put(m->config);
	free(m->bounce);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m);
}

int migrate_start(struct vm *vm, const struct migrate_params *p,
		  const struct migrate_ops *ops, void *opaque,
		  struct migrate **out, char *why)
{
	char hostport[300];
	struct migrate *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		snprintf(why, SAVE_WHY_MAX, "keel-hv ran out of memory.");
		return -ENOMEM;
	}
	m->vm = vm;
	m->ops = *ops;
	m->opaque = opaque;
	/* The thread's own copy: json-c's reference counts are not atomic. */
	if (json_object_deep_copy(p->config, &m->config, NULL)) {
		snprintf(why, SAVE_WHY_MAX, "keel-hv ran out of memory.");
		free(m);
		return -ENOMEM;
	}
	m->live = p->live;
	m->ended = true;	/* nothing to wind up until the thread runs */
	atomic_init(&m->downtime_ms, p->downtime_ms);
	atomic_init(&m->bandwidth, p->bandwidth_mib << 20);
	atomic_init(&m->auto_converge, p->auto_converge);
	atomic_init(&m->force, false);
	atomic_init(&m->cancel, false);
	atomic_init(&m->final_written, 0);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->note_ev = event_new(vm->evbase, -1, 0, migrate_notes, m);
	m->final_ev = event_new(vm->evbase, -1, 0, migrate_final, m);
	m->done_ev = event_new(vm->evbase, -1, 0, migrate_ended, m);
	m->bounce = malloc((size_t)MIGRATE_RUN_PAGES * 4096);
	if (!m->note_ev || !m->final_ev || !m->done_ev || !m->bounce) {
		snprintf(why, SAVE_WHY_MAX, "keel-hv ran out of memory.");
		rc = -ENOMEM;
		goto out_free;
	}
	if (strchr(p->host, ':'))
		snprintf(hostport, sizeof(hostport), "[%.256s]:%u", p->host,
			 p->port);
	else
		snprintf(hostport, sizeof(hostport), "%.256s:%u", p->host,
			 p->port);
	/*
	 * OpenSSL on this process's own threads, no pump: kernel TLS was
	 * no better (docs/migrate-bench.md, runs 4 and 10).
	 */
	rc = libkeel_tls_connect_direct(hostport, p->pki_dir, &m->tls, why,
					SAVE_WHY_MAX);
	if (rc)
		goto out_free;
	m->chan = libkeel_tls_chan(m->tls);
	m->io = (struct stream_io){ .write = migrate_io_write,
				    .opaque = m->chan };
	rc = migrate_handshake(m, p);
	if (rc) {
		snprintf(why, SAVE_WHY_MAX, "%s", m->why);
		goto out_free;
	}
	m->why[0] = '\0';
	rc = save_stream_init(&m->s, vm, -1, &m->io, NULL, NULL, m->why);
	if (!rc)
		rc = stream_writer_set_buffer(m->s.sw, MIGRATE_WRITE_BUF);
	if (!rc)
		rc = dirty_start(vm, &m->dirty);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(why, SAVE_WHY_MAX,
				 "keel-hv ran out of memory for the migration's write buffer or dirty-page bitmaps.");
		else
			snprintf(why, SAVE_WHY_MAX,
				 "KVM refused to log the pages the guest writes: %s.",
				 strerror(-rc));
		goto out_free;
	}
	m->ended = false;
	if (!m->live && !vm_is_paused(vm)) {
		if (vm_pause(vm)) {
			snprintf(why, SAVE_WHY_MAX,
				 "The VM is stopping; it cannot migrate.");
			rc = -ESHUTDOWN;
			goto out_free;
		}
		m->paused_by_us = true;
	}
	rc = -pthread_create(&m->thread, NULL, migrate_thread, m);
	if (rc) {
		snprintf(why, SAVE_WHY_MAX,
			 "keel-hv cannot start the migration's thread: %s.",
			 strerror(-rc));
		goto out_free;
	}
	m->thread_started = true;
	*out = m;
	return 0;

out_free:
	m->result.ok = false;
	migrate_wind_up(m);
	m->ended = true;
	migrate_free(m);
	return rc;
}
