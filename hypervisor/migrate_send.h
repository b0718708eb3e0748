/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_MIGRATE_SEND_H
#define KEEL_HV_MIGRATE_SEND_H

/*
 * Live migration, the source (docs/migration.md phases 2-3,
 * docs/hypervisor.md "Live migration (source)"): one struct migrate per
 * migration, from the connection to the destination keel-hv to its
 * DONE. migrate_start() connects and starts a thread of its own that
 * sends the passes; the final records are written on the I/O thread
 * with the vCPUs paused, as a save's are. What the thread has to say
 * reaches the caller through @ops, always on the I/O thread.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "save.h"

struct vm;
struct migrate;

/* migrate's params, checked (control_migrate.c). */
struct migrate_params {
	const char *host; /* as the user gave it; the certificate's name */
	unsigned port;
	const char *token;
	const char *pki_dir;	/* NULL: $KEEL_PKI_DIR or /etc/pki/keel */
	struct json_object *config; /* borrowed; the HEADER's config */
	uint64_t downtime_ms;
	uint64_t bandwidth_mib;	/* 0: no limit */
	bool auto_converge;
	bool live;
};

/* What a pass did: migrate-progress. */
struct migrate_progress {
	uint64_t round, sent, remaining, dirty_rate, expected_downtime_ms;
	unsigned throttle;
};

/* How it ended: migrate-done. */
struct migrate_result {
	bool ok;
	uint64_t sent, rounds, downtime_ms;
	/* From the first pass's start to DONE: the stream's own time. */
	uint64_t stream_ms;
	char error[SAVE_WHY_MAX];
};

struct migrate_ops {
	void (*progress)(void *opaque, const struct migrate_progress *p);
	/*
	 * The migration has ended, its thread joined, dirty logging and
	 * the throttle off, the vCPUs resumed if it failed and had paused
	 * them. The callee may migrate_free() it.
	 */
	void (*done)(void *opaque, const struct migrate_result *r);
};

/* How long the destination has to answer the token line and the END. */
#define MIGRATE_TOKEN_MS 10000
#define MIGRATE_DONE_MS 30000
/* How long a pass's acknowledgement may take: the destination's backlog. */
#define MIGRATE_ACK_MS 60000
/* Bytes the final phase may go without writing before it gives up. */
#define MIGRATE_STALL_MS 30000
/* A pass's pages are sent in runs of at most this many. */
#define MIGRATE_RUN_PAGES 256

/*
 * On the I/O thread: connect to @p->host:@p->port, say the token, read
 * the destination's OK, start dirty logging (and with !live pause the
 * vCPUs), and start the sender. Blocks for at most the TLS handshake's
 * and MIGRATE_TOKEN_MS. Returns 0 and *@out (migrate_free() it once
 * ops->done ran), or -errno with @why (SAVE_WHY_MAX) the sentence and
 * nothing left behind.
 */
int migrate_start(struct vm *vm, const struct migrate_params *p,
		  const struct migrate_ops *ops, void *opaque,
		  struct migrate **out, char *why);

/* migrate-set: new limits for the passes to come; @force stops and copies. */
void migrate_set_downtime(struct migrate *m, uint64_t ms);
void migrate_set_bandwidth(struct migrate *m, uint64_t mib);
void migrate_set_auto_converge(struct migrate *m, bool on);
void migrate_force(struct migrate *m);

/*
 * Stop the migration at its next chunk (a blocked write or read is cut
 * off); ops->done follows with "cancelled". No-op once ended.
 */
void migrate_cancel(struct migrate *m);

/*
 * Cancel if still running, wait for the thread, free. NULL is fine.
 * ops->done is not called from here.
 */
void migrate_free(struct migrate *m);

/* --- The passes' arithmetic (migrate_precopy.c), for the unit tests -- */

/*
 * Microseconds to wait so that @bytes sent in @elapsed_us stay within
 * @rate bytes a second (0: no limit, no wait).
 */
uint64_t migrate_pace_delay_us(uint64_t bytes, uint64_t elapsed_us,
			       uint64_t rate);

/*
 * Auto-converge after a pass: @prev and @now the dirty bytes left after
 * the last two passes, *@misses how many passes in a row did not shrink
 * the set by a quarter (updated). Returns the throttle for the next
 * pass: @throttle as it is, or 20 % once two passes in a row missed,
 * then 10 % more each further miss, at most VCPU_THROTTLE_MAX.
 */
unsigned migrate_converge(uint64_t prev, uint64_t now, unsigned *misses,
			  unsigned throttle);

/* Milliseconds @remaining bytes take at @rate bytes/s; UINT64_MAX if 0. */
uint64_t migrate_expected_ms(uint64_t remaining, uint64_t rate);

#endif /* KEEL_HV_MIGRATE_SEND_H */
