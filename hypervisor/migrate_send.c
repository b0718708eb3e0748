// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Live migration, the source keel-hv (docs/migration.md phases 2-3):
 * the TLS connection and token line, then a thread that sends the
 * domain stream in passes while the guest runs, and the final records
 * written on the I/O thread with the vCPUs paused. In the order things
 * happen: migrate_start(), migrate_thread() with its passes,
 * migrate_final() on the I/O thread, the wait for DONE, migrate_ended()
 * back on the I/O thread; migrate_cancel() may cut in anywhere before.
 * The passes themselves (the dirty sets, pacing, the acknowledgements,
 * auto-converge and the tail passes) are migrate_precopy.c's; this file
 * has the migration's life on its two threads and its words with the
 * destination.
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
#include <time.h>

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

/* The longest line the destination may answer with. */
#define MIGRATE_LINE_MAX 512
/*
 * The stream goes out in writes of this size, 16 full TLS records:
 * a record header or a small record never becomes a TLS record alone.
 */
#define MIGRATE_WRITE_BUF (256 * 1024)

/* The destination's words, made printable for a sentence. */
static void migrate_printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

/*
 * One line from the destination, without its newline, within
 * @timeout_ms (tls_chan_read_line()). 0, or -ETIMEDOUT, -EPIPE (closed
 * first), -EPROTO (too long, or TLS failed), -errno.
 */
static int migrate_read_line(struct tls_chan *c, char *buf, size_t size,
			     int timeout_ms)
{
	int n = tls_chan_read_line(c, buf, size, timeout_ms);

	return n < 0 ? n : 0;
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

/* --- The thread (its passes: migrate_precopy.c) --------------------- */

/* Queue a pass's numbers for the I/O thread to notify. */
void migrate_post_progress(struct migrate *m,
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

int migrate_cancelled(struct migrate *m)
{
	snprintf(m->why, sizeof(m->why), "cancelled");
	return -ECANCELED;
}

/*
 * The destination's next line, within @timeout_ms, must be @want: it
 * confirms @what (m->why names it). A line that came stands. Else
 * -errno with m->why said: FAIL and the destination's sentence, a
 * timeout, a closed connection, another line, or -ECANCELED.
 */
int migrate_expect(struct migrate *m, const char *want, int timeout_ms,
		   const char *what)
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
	uint64_t t0 = monotime_us();
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
	if (!rc) {
		r->downtime_ms = monotime_us() / 1000 -
				 (uint64_t)m->pause_ms;
		r->stream_ms = (monotime_us() - t0) / 1000;
	} else
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
	rc = save_stream_init(&m->s, vm, &m->io, NULL, NULL, m->why);
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
