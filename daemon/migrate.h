/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_MIGRATE_H
#define KEEL_DAEMON_MIGRATE_H

/*
 * Live migration in keeld (docs/migration.md): the source's
 * domain.migrate and friends (migrate_methods.c) and the migration they
 * start (migration_out.c), and the destination's migration.* methods
 * (migration_in.c). What the rest of keeld needs of them: the hooks
 * run.c, lifecycle.c and adopt.c call, and the entry points
 * migrate_methods.c starts and steers a migration with.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct domain;
struct domain_run;
struct jsonrpc_req;
struct keeld;
struct methods_caller;
struct migrate_out;

/* A token: 128 random bits in hex, and its NUL. */
#define MIGRATE_TOKEN_LEN 32

/* The phases of docs/migration.md as the destination answers them. */
enum migrate_phase {
	MIGRATE_UNKNOWN,
	MIGRATE_PREPARED,
	MIGRATE_RECEIVED,
	MIGRATE_COMMITTED,
	MIGRATE_ABORTED,
};

const char *migrate_phase_name(enum migrate_phase phase);
/* The reverse; MIGRATE_UNKNOWN for anything else. */
enum migrate_phase migrate_phase_parse(const char *name);

/*
 * How long a destination waits for migration.finish after its keel-hv
 * received the whole stream before it aborts on its own.
 */
#define MIGRATE_FINISH_WAIT_S 60

/* How often a source whose finish went unanswered asks for the status. */
#define MIGRATE_STATUS_POLL_MS 1000

/* Tokens of ended incoming migrations keeld remembers for status. */
#define MIGRATE_RECENT_TOKENS 64

/* What a destination remembers of an incoming migration that ended. */
struct migrate_recent {
	char token[MIGRATE_TOKEN_LEN + 1];
	enum migrate_phase phase;	/* committed or aborted */
};

/* --- migration_out.c: the source --------------------------------------- */

/*
 * Is @dom migrating, either way? Then only the migration's end may
 * pause, resume, stop or save it.
 */
bool migrate_busy(const struct domain *dom);

/*
 * @run is going away (its keel-hv gone, keeld ending) with a migration
 * under way: the caller hears why. run_free() calls it.
 */
void migrate_abandon(struct domain_run *run);

/*
 * A notification from @run's keel-hv: migrate-progress becomes a
 * "progress" event, migrate-done moves the migration on; and on the
 * destination, incoming-done (migration_in.c). Others are ignored.
 */
void migrate_notified(struct domain_run *run, const char *method,
		      struct json_object *params);

/*
 * A run's migration record for state.json (owned), or NULL when none
 * is under way: {"direction": "out", "phase", "host", "port", "token"}
 * or {"direction": "in", "phase", "token"}.
 */
struct json_object *migrate_state_json(const struct domain_run *run);

/*
 * keeld adopted @run, whose state.json held @record (borrowed; NULL:
 * none): a source paused mid-migration asks the destination as in
 * docs/migration.md's phase 6, or runs on; an incoming keel-hv not
 * committed is killed and its token remembered as aborted.
 */
void migrate_adopted(struct domain_run *run, struct json_object *record);

/* The limits domain.migrate sets and domain.migrate_set changes. */
struct migration_out_limits {
	int64_t downtime_ms, bandwidth_mib;
	bool auto_converge;
};

/* What domain.migrate asks for (migrate_methods.c reads the params). */
struct migration_out_opts {
	const char *host;	/* borrowed: migration_out_new() copies it */
	unsigned port;
	bool live;
	struct migration_out_limits limits;
	int timeout_s;		/* 0: none */
	bool timeout_force;	/* when timeout_s passes: force, not cancel */
};

/*
 * A migration of @dom (its name copied) to @opts's destination, not
 * started yet; NULL when out of memory. The caller hands it to
 * migration_out_start(), which owns it from then on.
 */
struct migrate_out *migration_out_new(struct keeld *k,
				      const struct domain *dom,
				      const struct migration_out_opts *opts);

/*
 * Start @mo (taken, whatever happens): connect to the destination's
 * keeld and ask migration.prepare; @dom's run points at @mo until it
 * ends. Returns 0 when the caller returns jsonrpc_deferred(): @req is
 * answered when the migration ends, or at once when keeld ran out of
 * memory after it took @req. Returns -errno with a sentence in @why
 * when no connection to the destination's keeld can be made, or
 * -ENOMEM when keeld ran out of memory before it took @req: nothing
 * changed, and @req is the caller's to answer.
 */
int migration_out_start(struct migrate_out *mo, struct domain *dom,
			struct methods_caller *caller,
			const struct jsonrpc_req *req, char *why, size_t size);

/* Has the destination not answered migration.prepare yet? */
bool migration_out_preparing(const struct migrate_out *mo);

/*
 * Has keel-hv stopped and copied the domain? Then only the
 * destination's answer to migration.finish decides how it ends.
 */
bool migration_out_copied(const struct migrate_out *mo);

/* The destination's host, as domain.migrate named it. */
const char *migration_out_host(const struct migrate_out *mo);

/*
 * Cancel @mo: an unanswered prepare fails it when the answer comes; a
 * keel-hv that is sending is the caller's to tell (migrate-cancel).
 */
void migration_out_cancel(struct migrate_out *mo);

/*
 * @mo's limits, and new ones: they go into a migrate not sent yet; one
 * sent is the caller's to tell (migrate-set).
 */
void migration_out_get_limits(const struct migrate_out *mo,
			      struct migration_out_limits *limits);
void migration_out_set_limits(struct migrate_out *mo,
			      const struct migration_out_limits *limits);

/* --- migration_in.c: the destination ---------------------------------- */

/* @run's incoming migration goes with it: its token is aborted. */
void migration_in_abandon(struct domain_run *run);

/* Is @run an incoming migration not committed yet? */
bool migration_in_busy(const struct domain_run *run);

/* incoming-done from @run's keel-hv: the stream arrived whole. */
void migration_in_received(struct domain_run *run);

/* Add "phase" and "token" of @run's incoming migration to @o. */
void migration_in_state_json(const struct domain_run *run,
			     struct json_object *o);

/*
 * An incoming run adopted in @phase with @token (migrate_adopted()):
 * committed, it runs (resumed if the finish's resume was lost); else
 * it is killed.
 */
void migration_in_adopted(struct domain_run *run, const char *phase,
			  const char *token);

/* keel-hv of an incoming run answered its first status (launch.c). */
void migration_in_started(struct domain_run *run);

/* Remember @token as ended in @phase, for migration.status. */
void migration_in_remember(struct keeld *k, const char *token,
			   enum migrate_phase phase);

#endif /* KEEL_DAEMON_MIGRATE_H */
