/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_SAVE_METHODS_H
#define KEEL_DAEMON_SAVE_METHODS_H

/*
 * domain.save and domain.restore (save_methods.c): what the rest of
 * keeld needs of them.
 */

#include <stdint.h>

#include <json-c/json.h>

struct domain;
struct domain_run;
struct keeld;

/*
 * How long keeld lets keel-hv take to save (or restore) a domain whose
 * configuration is @config: two minutes, plus 200 ms per MiB of memory,
 * which allows 5 MiB/s, slower than any disk and than the nested
 * runner's emulated CPU (man/keeld.8, domain.save).
 */
int save_timeout_ms(struct json_object *config);

/*
 * @run is going away (its keel-hv gone, keeld ending) with a save under
 * way: the partial file goes and the caller hears why; a restore's
 * progress watch goes with it. run_free() calls
 * it after hv_free() answered what keel-hv had pending.
 */
void save_abandon(struct domain_run *run);

/*
 * A notification from @run's keel-hv: HV_CTL_SAVE_PROGRESS becomes a
 * "progress" event for events.subscribe clients. Others are ignored.
 */
void save_notified(struct domain_run *run, const char *method,
		   struct json_object *params);

/*
 * Send a "progress" event (schemas/keel.openrpc.json, Event) for @dom:
 * @job ("save", "restore") has done @done of about @total bytes.
 */
void save_emit_progress(struct keeld *k, const struct domain *dom,
			const char *job, uint64_t done, uint64_t total);

/*
 * What a restore and a migration's destination (migration_in.c) both
 * check before a domain comes in with @config (a valid configuration):
 */

/*
 * The persistent domain @config came from, when it is defined and shut
 * off here under the same name and uuid: it comes in as itself, as
 * libvirt restores onto a domain's inactive definition. NULL otherwise.
 */
struct domain *restore_into_definition(struct keeld *k,
				       struct json_object *config);

/*
 * A clash of @config's name or uuid with a domain that cannot be
 * restored into: the error answer for @req (@what, e.g. the file's
 * path, starts its sentence), or NULL when there is none.
 */
struct jsonrpc_req;
struct json_object *restore_in_use(struct keeld *k,
				   const struct jsonrpc_req *req,
				   struct json_object *config, const char *what);

/*
 * Forget the tap names keeld gave (keelID.N) in @config: the domain gets
 * its own for its new id. Names a user chose stay.
 */
void restore_forget_taps(struct json_object *config);

#endif /* KEEL_DAEMON_SAVE_METHODS_H */
