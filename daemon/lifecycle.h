/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_LIFECYCLE_H
#define KEEL_DAEMON_LIFECYCLE_H

/*
 * Running domains: starting keel-hv for a domain, driving it, applying
 * on_poweroff/on_reboot/on_crash when its VM ends, lifecycle events,
 * and re-adopting the domains a previous keeld left running
 * (man/keeld.8, DOMAIN LIFECYCLE).
 *
 * Every operation answers through a struct reply (server.h), because
 * it waits for keel-hv; a NULL reply means nobody waits (autostart, an
 * on_* restart).
 */

#include <stdbool.h>

#include <json-c/json.h>

struct domain;
struct keeld;
struct reply;

/* Prepare RUN_DIR/domains. Returns 0 or -errno. */
int lifecycle_init(struct keeld *k);

/*
 * Re-adopt what RUN_DIR/domains holds (after the registry is loaded),
 * then start autostart domains that are shut off.
 */
void lifecycle_recover(struct keeld *k);

/* keeld is exiting: forget every keel-hv, leaving it running. */
void lifecycle_detach_all(struct keeld *k);

/*
 * Start @dom (shut off). Answers @r with the domain's summary once
 * keel-hv is up, or an error; on failure a transient domain is removed.
 */
void lifecycle_start(struct keeld *k, struct domain *dom, bool paused,
		     struct reply *r);

void lifecycle_pause(struct keeld *k, struct domain *dom, struct reply *r);
void lifecycle_unpause(struct keeld *k, struct domain *dom,
		       struct reply *r);

/*
 * ACPI power button; after @timeout_s (0: never) keeld stops the domain
 * itself. @wait: answer @r once the domain has stopped, else at once.
 */
void lifecycle_shutdown(struct keeld *k, struct domain *dom, int timeout_s,
			bool wait, struct reply *r);
void lifecycle_reboot(struct keeld *k, struct domain *dom, struct reply *r);

/*
 * Stop at once; answered once the process is gone. A domain waiting to
 * be restarted stays stopped.
 */
void lifecycle_destroy(struct keeld *k, struct domain *dom, struct reply *r);

/* The configuration @dom runs with, or NULL when it is shut off. */
struct json_object *lifecycle_live_config(const struct domain *dom);

/* @dom's run directory while its keel-hv is alive, else NULL. */
const char *lifecycle_run_dir(const struct domain *dom);

/*
 * Whether @dom's keel-hv is spawned but has not answered yet: its
 * sockets may not exist for a moment (a console open waits, console.c).
 */
bool lifecycle_starting(const struct domain *dom);

/* Seconds since @dom was started, or -1 when it is not running. */
double lifecycle_uptime(const struct domain *dom);

/* Defaults for what a configuration leaves out (keel.cfg.5). */
#define DOMAIN_DEFAULT_MEMORY_MIB 256
#define DOMAIN_DEFAULT_VCPUS 1

/*
 * Seconds of host CPU time @dom's keel-hv has used (every thread: the
 * vCPUs and the I/O thread), read from /proc; 0 when it is not running.
 */
double lifecycle_cpu_time(const struct domain *dom);

/*
 * @dom's summary as domain.list reports it: {name, uuid, id, state,
 * reason, persistent, autostart, memory, vcpus, cpu_time, uptime}, from keeld's
 * own state, never from a round trip to keel-hv. NULL when out of
 * memory.
 */
struct json_object *domain_summary(const struct domain *dom);

/*
 * Send a lifecycle event (schemas/keel.openrpc.json, Event) to every
 * subscribed connection.
 */
void lifecycle_emit(struct keeld *k, const struct domain *dom,
		    const char *event, const char *detail);

/*
 * An event's params as every event has them: "type", "event", "detail",
 * "domain" (name, uuid, id), "state", "reason", "timestamp"; the caller
 * adds its own members and hands it to lifecycle_broadcast(). NULL when
 * out of memory.
 */
struct json_object *lifecycle_event_params(const struct domain *dom,
					   const char *type,
					   const char *event,
					   const char *detail);

/* Send an "event" notification of @params (owned; NULL is fine). */
void lifecycle_broadcast(struct keeld *k, struct json_object *params);

/* The same with a sentence for people in the event's "message". */
void lifecycle_emit_message(struct keeld *k, const struct domain *dom,
			    const char *event, const char *detail,
			    const char *message);

/*
 * True while @dom is stopped and waiting to be started again by its
 * on_reboot/on_crash action (a restart loop is slowed down; keeld.8).
 */
bool lifecycle_restart_pending(const struct domain *dom);

/* Forget @dom's pending restart, if any (it is started or removed). */
void lifecycle_cancel_restart(struct domain *dom);

#endif /* KEEL_DAEMON_LIFECYCLE_H */
