/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_MIGRATE_INTERNAL_H
#define KEEL_HV_MIGRATE_INTERNAL_H

/*
 * What the two files of a live migration's source share: migrate_send.c
 * (the migration's life on its two threads, the connection and the
 * final phase) and migrate_precopy.c (the passes): struct migrate and
 * the functions one calls in the other. Not for anyone else; they have
 * migrate_send.h.
 */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "migrate_send.h"
#include "save.h"
#include "stream.h"

struct dirty_log;
struct event;
struct libkeel_tls;
struct tls_chan;
struct vm;

/* Progress notes the I/O thread has yet to pass on. */
#define MIGRATE_NOTES 16

/*
 * One migration, the source side. Two threads touch it: the I/O thread
 * (migrate_start(), the control methods and the three events below)
 * and the migration's own thread (migrate_thread()). Each group of
 * fields says whose it is.
 */
struct migrate {
	/* Set by migrate_start() before the thread runs, then only read. */
	struct vm *vm;
	struct migrate_ops ops;
	void *opaque;
	struct json_object *config;
	bool live;

	/*
	 * The TLS connection, read and written by one thread at a time:
	 * this migration's thread, or the I/O thread during the final
	 * phase while the thread waits for it (migrate_final_wait()).
	 */
	struct libkeel_tls *tls;
	struct tls_chan *chan;
	struct stream_io io;	/* the stream's writes go to @chan */
	struct dirty_log *dirty;
	struct save_stream s;
	uint8_t *bounce;	/* MIGRATE_RUN_PAGES pages, for the passes */
	char why[SAVE_WHY_MAX];

	/* The I/O thread's. */
	pthread_t thread;
	bool thread_started;
	bool paused_by_us;
	bool ended;		/* ops->done was called */

	/* migrate-set and migrate-cancel, read by the thread. */
	_Atomic uint64_t downtime_ms;
	_Atomic uint64_t bandwidth;	/* bytes/s; 0 no limit */
	_Atomic bool auto_converge;
	_Atomic bool force;
	_Atomic bool cancel;

	/* The thread's pacing window. */
	uint64_t pace_t0_us, pace_bytes0, pace_rate;

	/* Between the thread and the I/O thread, under @lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct event *note_ev, *final_ev, *done_ev;
	struct migrate_progress notes[MIGRATE_NOTES];
	unsigned nr_notes;
	bool final_asked, final_started, final_done;
	int final_rc;

	/*
	 * Written by the final phase on the I/O thread and read by the
	 * thread as it watches it (an atomic), or read after it (the rest).
	 */
	_Atomic uint64_t final_written;
	long long pause_ms;
	/* The pass's time copying guest pages, and encoding and writing them. */
	uint64_t copy_us, write_us;

	/* The thread's; the I/O thread reads them once it joined it. */
	uint64_t rounds;
	struct migrate_result result;
};

/* --- migrate_send.c ------------------------------------------------- */

/* Say "cancelled" in m->why; returns -ECANCELED. */
int migrate_cancelled(struct migrate *m);

/* 0 if the destination's next line is @want, confirming @what; or -errno. */
int migrate_expect(struct migrate *m, const char *want, int timeout_ms,
		   const char *what);

/* Queue a pass's numbers for the I/O thread to notify. */
void migrate_post_progress(struct migrate *m,
			   const struct migrate_progress *p);

/* --- migrate_precopy.c ---------------------------------------------- */

/* The header, then passes until the final phase is due; 0 or -errno. */
int migrate_precopy(struct migrate *m);

/* Send the dirty log's send set: 0, 1 (forced), or -errno; @final unpaced. */
int migrate_send_set(struct migrate *m, bool final, uint64_t *pages);

/* The log's next dirty set, *@remaining bytes to send; 0 or -errno. */
int migrate_sync(struct migrate *m, uint64_t *remaining);

#endif /* KEEL_HV_MIGRATE_INTERNAL_H */
