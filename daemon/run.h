/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_RUN_H
#define KEEL_DAEMON_RUN_H

/*
 * What lifecycle.c (the state machine of a running domain), launch.c
 * (starting one) and adopt.c (its state file, and taking one over after
 * a keeld restart) share: struct domain_run and the helpers around it
 * (run.c). Private to keeld; lifecycle.h is the interface the rest of
 * keeld uses.
 */

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "decide.h"
#include "hv.h"
#include "registry.h"

struct event;
struct keeld;
struct reply;
struct save_call;
struct restore_watch;
struct migrate_out;
struct migration_in;

#define STATE_FILE_VERSION 1

struct waiter {
	struct reply *r;
	/* What it is answered with (owned); NULL: the domain's summary. */
	struct json_object *result;
	struct waiter *next;
};

struct domain_run {
	struct keeld *k;
	struct domain *dom;
	struct hv *hv;			/* NULL once the process is gone */
	char *dir;			/* RUN_DIR/domains/UUID */
	char *log_path;			/* LOG_DIR/NAME.log: keel-hv's own */
	off_t log_start;		/* its size when this run started */
	struct json_object *config;	/* the configuration it runs with */
	pid_t pid;
	unsigned long long starttime;	/* /proc starttime, against reuse */
	double started;			/* wall clock, for uptime */
	bool starting;			/* until keel-hv first answers */
	bool save_failed;		/* state.json could not be written */
	bool start_failed;		/* keeld gave up on the start */
	bool paused_start;
	bool restoring;			/* started from a saved stream */
	struct save_call *save;		/* a domain.save under way, or NULL */
	struct restore_watch *restore_watch; /* a restore's progress, or NULL */
	struct migrate_out *migrate;	/* domain.migrate under way, or NULL */
	struct migration_in *incoming;	/* an incoming migration, or NULL */
	/* What start_reply is answered with (owned); NULL: the summary. */
	struct json_object *start_result;
	bool in_cgroup;			/* its keel-hv is in its cgroup */
	/* The group's OOM kills when this keel-hv entered it (or was adopted). */
	uint64_t oom_kills0;
	char commit_why[320];		/* why run_commit() refused */
	struct reply *start_reply;
	struct waiter *waiters;		/* answered when the run ends */
	struct event *shutdown_timer;
	enum intent intent;
	bool lingering;			/* VM stopped, process kept */
	bool have_pending;		/* killed a lingering one to do this: */
	struct decision pending;
	/*
	 * The balloon as keel-hv last told (memory_methods.c): its answer
	 * to subscribe, each balloon-changed, a mem-set's answer.
	 */
	bool balloon_known;
	int64_t balloon_target_mib, balloon_actual_mib;
};

/* A domain that stopped and will be started again after a pause. */
struct domain_restart {
	struct keeld *k;
	struct event *timer;
	int id;				/* the id it gets back */
};

double wall_now(void);

/* @config's integer member @key, or @dflt. */
int64_t config_int(struct json_object *config, const char *key,
		   int64_t dflt);

/* @config's boolean member @key, or @dflt. */
bool config_bool(struct json_object *config, const char *key, bool dflt);

/* The MiB a running or starting configuration holds at most. */
int64_t config_memory_mib(struct json_object *config);

/*
 * The time a keel-hv of @config may take to back all its RAM before it
 * answers (its "prefault"), in ms: 0 without, else CONFIG_PREFAULT_MS_PER_MIB
 * for each MiB of config_memory_mib(), added to the limits on its start
 * and on a migration's prepare.
 */
int config_prefault_ms(struct json_object *config);

/*
 * A GiB took 0.1 s to back on a bare host and up to 2.5 s on a machine
 * that is itself a guest whose host backs memory on first touch
 * (docs/memory.md): twice the worst.
 */
#define CONFIG_PREFAULT_MS_PER_MIB 5

/* Answer @r (may be NULL: nobody waits) with @result (owned). */
void run_answer(struct reply *r, struct json_object *result);

/*
 * Answer @r with an error; the message is cut to 512 bytes on a
 * character boundary. Nothing when @r is NULL.
 */
void run_answer_error(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * RUN_DIR/domains/@uuid, a domain's run directory, into @buf (@uuid
 * NULL: RUN_DIR/domains, the directory of them all). The one place the
 * layout is spelled (man/keeld.8, FILES). Returns 0 or -ENAMETOOLONG.
 */
int run_domain_dir(const struct keeld *k, const char *uuid, char *buf,
		   size_t size);

/* @run->dir/@name into @buf. Returns 0 or -ENAMETOOLONG. */
int run_path(const struct domain_run *run, const char *name, char *buf,
	     size_t size);

/*
 * Write DIR/state.json, what a restarted keeld needs to take the
 * domain over (adopt.c). Returns 0 or -errno (logged).
 */
int run_save(struct domain_run *run);

/*
 * Answer @r once @run ends (lifecycle_destroy, a shutdown with wait).
 * Returns 0, or -ENOMEM after answering @r with the error.
 */
int run_add_waiter(struct domain_run *run, struct reply *r);

/*
 * The same, answered with @result (owned, even on failure) instead of
 * the summary: a save that stops the domain answers once it has.
 */
int run_add_waiter_result(struct domain_run *run, struct reply *r,
			  struct json_object *result);

/* The answer for waiter @w of @dom (its result, else the summary). */
struct json_object *run_waiter_answer(struct waiter *w,
				      const struct domain *dom);

/* Answer everyone waiting for the run to end with its domain's summary. */
void run_answer_waiters(struct domain_run *run);

/* What a state file says (run_save() wrote it). */
struct run_state {
	struct json_object *config;	/* owned by the caller */
	char uuid[DOMAIN_UUID_LEN + 1];
	int id;
	pid_t pid;
	unsigned long long starttime;
	double started;
	bool lingering;
	enum domain_state state;
	enum domain_reason reason;
	/* A migration under way, as migrate_state_json() wrote it (owned). */
	struct json_object *migration;
};

/*
 * Read @dir/state.json into @st (adopt.c). Returns 0; -ENOENT when
 * there is none that parses; -EINVAL (logged) when it is not a state
 * file keeld wrote.
 */
int run_load(const char *dir, struct run_state *st);

/* A new run for @dom, not yet linked to it. NULL when out of memory. */
struct domain_run *run_new(struct keeld *k, struct domain *dom,
			   const char *dir);

/*
 * Free @run; anyone still waiting on it is told that keeld is shutting
 * down. The process, if any, is left alone.
 */
void run_free(struct domain_run *run);

/*
 * Remove what keeld and keel-hv leave in a run directory (state and
 * exit files, sockets), and the directory itself.
 */
void run_dir_remove(const char *dir);

/*
 * What follows the end of @run's VM as @end (decide.h): its domain's
 * configuration and brake, keeld's intent; keel-hv has @exited, or
 * lingers. @preserved: the VM had ended before and was dealt with, and
 * now its keel-hv is gone (lifecycle.c).
 */
void run_decide(const struct domain_run *run, enum hv_end end, bool exited,
		bool preserved, struct decision *d);

/*
 * Carry out @d for a run whose VM has stopped (lifecycle.c). May free
 * @run.
 */
void run_finish(struct domain_run *run, const struct decision *d);

/*
 * The keel-hv of @run, whose VM had stopped and was dealt with (kept
 * by preserve), has gone: the domain stops (lifecycle.c). Frees @run.
 */
void run_gone(struct domain_run *run);

/* The ops keeld watches every keel-hv with (lifecycle.c). */
extern const struct hv_ops run_hv_ops;

/*
 * The VM of @run ended as @end; the process exited (@exited) or
 * lingers. Decides and carries out what happens next (lifecycle.c).
 */
void run_vm_stopped(struct domain_run *run, enum hv_end end,
		    const char *why, bool exited);

/*
 * Start @dom (launch.c) with id @id (-1: a new one). Answers @r with its
 * summary once keel-hv is up, or with an error; on failure a transient
 * domain is removed.
 */
void start_domain(struct keeld *k, struct domain *dom, bool paused, int id,
		  struct reply *r);

/*
 * Start @dom from the domain stream on @restore_fd (the caller's;
 * keel-hv gets a duplicate sharing its offset) as --restore, running
 * @config (owned, even on failure: the stream header's; NULL: @dom's
 * own): as start_domain(), with a new id, and the "started" event's
 * detail "restored". A keel-hv that refuses the stream fails the start
 * with its status file's sentence.
 */
void start_domain_restore(struct keeld *k, struct domain *dom, bool paused,
			  int restore_fd, struct json_object *config,
			  struct reply *r);

/* What start_domain_incoming() gives keel-hv besides the domain. */
struct launch_incoming {
	int listen_fd;		/* the bound, listening TCP socket */
	int token_fd;		/* a pipe's read end holding the token */
	const char *peer_dn;	/* the source's subject, RFC 2253; or NULL */
	struct migration_in *incoming;	/* the run takes it on success */
	struct json_object *result;	/* the answer; the run takes it too */
};

/*
 * Start @dom as a migration's destination (migration_in.c): keel-hv
 * with --incoming and its descriptors (dup'd: the caller closes its
 * own), the domain paused with reason "incoming". @r is answered with
 * @in->result once keel-hv answered its first status, or with an error
 * (then @in->incoming and @in->result are still the caller's, and a
 * transient @dom is removed). @config as start_domain_restore()'s.
 */
void start_domain_incoming(struct keeld *k, struct domain *dom,
			   const struct launch_incoming *in,
			   struct json_object *config, struct reply *r);

/*
 * The LOG_DIR/NAME.log and LOG_DIR/NAME.console.log of domain @name
 * (malloc'd), or NULL when out of memory or too long.
 */
char *launch_log_path(const struct keeld *k, const char *name,
		      const char *suffix);

#endif /* KEEL_DAEMON_RUN_H */
