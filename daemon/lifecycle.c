// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Running domains (lifecycle.h). Each running domain has a struct
 * domain_run (run.c): its keel-hv (hv.c), its run directory
 * RUN_DIR/domains/UUID and what keeld must remember about it across its
 * own restarts, kept in DIR/state.json (adopt.c) and rewritten at every
 * change. This file is what a run goes through: its operations (pause,
 * shutdown, destroy, ...), its end, and restarts.
 *
 * When a VM ends, what happens next is decided in one place,
 * decide_action() (decide.c): the reason (keel-hv's status file or exit
 * status), what keeld itself asked for (destroy, reboot, a forced
 * shutdown), the domain's on_poweroff/on_reboot/on_crash and the restart
 * brake give a decision; run_vm_stopped() gathers the inputs and
 * run_finish() carries it out.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup_domain.h"
#include "device_methods.h"
#include "hv.h"
#include "jsonrpc.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "memory.h"
#include "migrate.h"
#include "registry.h"
#include "run.h"
#include "save_methods.h"
#include "server.h"

struct json_object *lifecycle_event_params(const struct domain *dom,
					   const char *type,
					   const char *event,
					   const char *detail)
{
	struct json_object *params = json_object_new_object(), *d;

	if (!params)
		return NULL;
	d = json_object_new_object();
	json_object_object_add(d, "name", json_object_new_string(dom->name));
	json_object_object_add(d, "uuid", json_object_new_string(dom->uuid));
	json_object_object_add(d, "id", dom->id < 0 ? NULL :
					json_object_new_int(dom->id));
	json_object_object_add(params, "type", json_object_new_string(type));
	json_object_object_add(params, "event", json_object_new_string(event));
	json_object_object_add(params, "detail",
			       json_object_new_string(detail));
	json_object_object_add(params, "domain", d);
	json_object_object_add(params, "state",
			       json_object_new_string(
				       domain_state_name(dom->state)));
	json_object_object_add(params, "reason",
			       json_object_new_string(
				       domain_reason_name(dom->reason)));
	json_object_object_add(params, "timestamp",
			       json_object_new_double(wall_now()));
	if (dom->rebooting && strcmp(event, "rebooted"))
		json_object_object_add(params, "reboot",
				       json_object_new_boolean(true));
	return params;
}

void lifecycle_broadcast(struct keeld *k, struct json_object *params)
{
	struct json_object *msg;

	if (!params)
		return;
	msg = jsonrpc_request("event", params, NULL);
	if (msg && k->server)
		server_broadcast(k->server, msg);
	json_object_put(msg);
}

void lifecycle_emit_message(struct keeld *k, const struct domain *dom,
			    const char *event, const char *detail,
			    const char *message)
{
	struct json_object *params =
		lifecycle_event_params(dom, "lifecycle", event, detail);

	if (params && message)
		json_object_object_add(params, "message",
				       json_object_new_string(message));
	lifecycle_broadcast(k, params);
}

void lifecycle_emit(struct keeld *k, const struct domain *dom,
		    const char *event, const char *detail)
{
	lifecycle_emit_message(k, dom, event, detail, NULL);
}

/*
 * @dom is now @state for @reason. Saved for a keeld restart; if the file
 * cannot be written, the state still holds (a restarted keeld asks
 * keel-hv for it).
 */
static void set_state(struct domain_run *run, enum domain_state state,
		      enum domain_reason reason)
{
	run->dom->state = state;
	run->dom->reason = reason;
	run_save(run);
}

/*
 * The run is over and its process gone: the domain is shut off for
 * @reason, its run directory removed (its logs are in LOG_DIR). Frees
 * @run; a transient domain goes too unless @keep. @message, when not
 * NULL, goes with the "stopped" event.
 */
static void run_end(struct domain_run *run, enum domain_reason reason,
		    const char *detail, bool keep, const char *message)
{
	struct keeld *k = run->k;
	struct domain *dom = run->dom;
	struct waiter *waiters = run->waiters;

	dom->state = DOMAIN_SHUTOFF;
	dom->reason = reason;
	lifecycle_emit_message(k, dom, "stopped", detail, message);
	log_info("Domain %s (id %d) stopped: %s%s%s.", dom->name, dom->id,
		 detail, message ? "; " : "", message ? message : "");
	dom->id = -1;
	dom->run = NULL;
	cgroup_domain_end(run);
	run_dir_remove(run->dir);
	run->waiters = NULL;
	for (struct waiter *w = waiters, *next; w; w = next) {
		next = w->next;
		run_answer(w->r, run_waiter_answer(w, dom));
		free(w);
	}
	run_free(run);
	if (!dom->persistent && !keep)
		registry_forget(k->reg, dom);
}

void lifecycle_cancel_restart(struct domain *dom)
{
	if (!dom->restart)
		return;
	event_free(dom->restart->timer);
	free(dom->restart);
	dom->restart = NULL;
}

static void restart_due(evutil_socket_t fd, short what, void *arg)
{
	struct domain *dom = arg;
	struct domain_restart *rs = dom->restart;
	struct keeld *k = rs->k;
	int id = rs->id;

	lifecycle_cancel_restart(dom);
	if (!dom->run)
		start_domain(k, dom, false, id, NULL);
}

/*
 * Start @dom again, with id @id, after @delay_s seconds (0: now). Out of
 * memory, it is started at once.
 */
static void restart_later(struct keeld *k, struct domain *dom, int id,
			  int delay_s)
{
	struct timeval tv = { delay_s, 0 };
	struct domain_restart *rs = delay_s ? calloc(1, sizeof(*rs)) : NULL;

	lifecycle_cancel_restart(dom);
	if (rs) {
		rs->k = k;
		rs->id = id;
		rs->timer = evtimer_new(k->base, restart_due, dom);
	}
	if (!rs || !rs->timer || evtimer_add(rs->timer, &tv)) {
		if (rs && rs->timer)
			event_free(rs->timer);
		free(rs);
		start_domain(k, dom, false, id, NULL);
		return;
	}
	dom->restart = rs;
}

bool lifecycle_restart_pending(const struct domain *dom)
{
	return dom->restart != NULL;
}

/* A new name for the preserved half of a rename-restart. */
static struct domain *rename_for_preserve(struct keeld *k,
					  struct domain_run *run)
{
	struct json_object *config = NULL;
	struct domain *copy = NULL;
	const char *field;
	char name[96];

	for (int n = 1; n < 1000; n++) {
		snprintf(name, sizeof(name), "%.64s-incarnation-%d",
			 run->dom->name, n);
		if (strlen(name) > 64)
			return NULL;
		if (!registry_find_name(k->reg, name))
			break;
	}
	if (json_object_deep_copy(run->config, &config, NULL))
		return NULL;
	json_object_object_add(config, "name", json_object_new_string(name));
	json_object_object_del(config, "uuid");
	if (registry_add_transient(k->reg, config, &copy, &field))
		return NULL;
	return copy;
}

/*
 * Keep the stopped VM of @run under a new name and start @run's domain
 * again (rename-restart). False when it cannot be kept: nothing
 * changed then.
 */
static bool run_rename_restart(struct domain_run *run,
			       const struct decision *d, const char *msg)
{
	struct keeld *k = run->k;
	struct domain *dom = run->dom, *old;
	struct decision keep = *d;
	char newdir[PATH_MAX];
	int id = dom->id;

	old = rename_for_preserve(k, run);
	if (!old)
		return false;
	if (!run_domain_dir(k, old->uuid, newdir, sizeof(newdir)) &&
	    !rename(run->dir, newdir)) {
		free(run->dir);
		run->dir = strdup(newdir);
	}
	if (!run->dir) {
		registry_forget(k->reg, old);
		return false;
	}
	json_object_object_add(run->config, "name",
			       json_object_new_string(old->name));
	json_object_object_add(run->config, "uuid",
			       json_object_new_string(old->uuid));
	cgroup_domain_renamed(run, dom->uuid, old->uuid);
	dom->run = NULL;
	dom->id = -1;
	dom->state = DOMAIN_SHUTOFF;
	dom->reason = d->reason;
	old->run = run;
	old->id = id;
	run->dom = old;
	keep.action = ACTION_PRESERVE;
	keep.gave_up = false;
	keep.quick_ends = 0;
	run_finish(run, &keep);
	lifecycle_emit_message(k, dom, "stopped", d->detail,
			       d->delay_s ? msg : NULL);
	restart_later(k, dom, -1, d->delay_s);
	return true;
}

void run_finish(struct domain_run *run, const struct decision *decided)
{
	struct keeld *k = run->k;
	struct domain *dom = run->dom;
	/*
	 * A copy: @decided may be run->pending, and run_end() frees @run
	 * before a restart reads the delay.
	 */
	struct decision copy = *decided;
	const struct decision *d = &copy;
	int id = dom->id;
	char msg[160];

	if (run->shutdown_timer)
		evtimer_del(run->shutdown_timer);
	dom->quick_ends = d->quick_ends;
	msg[0] = '\0';
	if (d->gave_up) {
		snprintf(msg, sizeof(msg),
			 "not restarted: it stopped %d times in a row within %d s of starting; start it again once the cause is fixed",
			 RESTART_BURST + 1, RESTART_QUICK_S);
		log_warn("Domain %s: %s.", dom->name, msg);
		/* A rename-restart that gave up keeps the VM: say so first. */
		if (d->action == ACTION_PRESERVE)
			lifecycle_emit_message(k, dom, "stopped", d->detail,
					       msg);
	} else if (d->delay_s > 0) {
		snprintf(msg, sizeof(msg), "restarting in %d s", d->delay_s);
	}
	switch (d->action) {
	case ACTION_DESTROY:
		run_end(run, d->reason, d->detail, !d->forget,
			msg[0] ? msg : NULL);
		return;
	case ACTION_RESTART:
		if (d->rebooted) {
			lifecycle_emit(k, dom, "rebooted", d->rebooted);
			dom->rebooting = true;
		}
		run_end(run, d->reason, d->detail, true, msg[0] ? msg : NULL);
		restart_later(k, dom, id, d->delay_s);
		return;
	case ACTION_PRESERVE:
		set_state(run, d->kept_state, d->kept_reason);
		lifecycle_emit(k, dom, d->kept_event, d->kept_detail);
		log_info("Domain %s (id %d) stopped (%s) and is preserved until destroyed.",
			 dom->name, id, d->detail);
		run->intent = INTENT_NONE;
		run_answer_waiters(run);
		return;
	case ACTION_RENAME_RESTART:
		if (run_rename_restart(run, d, msg))
			return;
		log_warn("Domain %s: cannot keep the stopped instance under a new name; restarting it.",
			 dom->name);
		/* Restarted once its keel-hv is gone, as decided. */
		run->have_pending = true;
		run->pending = *d;
		run->pending.action = ACTION_RESTART;
		hv_kill(run->hv);
		return;
	}
}

/*
 * keeld gave up on a start (keel-hv failed, or did not come up right):
 * the domain is shut off as failed once the process is gone.
 */
static void run_start_failed(struct domain_run *run, bool exited)
{
	run->starting = false;
	run->start_failed = true;
	run->start_reply = NULL;
	/* A reboot's start that failed: the domain did stop. */
	run->dom->rebooting = false;
	if (!exited && run->hv) {
		run->intent = INTENT_DESTROY;
		hv_kill(run->hv);
		return;
	}
	run_end(run, DOMAIN_REASON_FAILED, "failed", false, NULL);
}

void run_decide(const struct domain_run *run, enum hv_end end, bool exited,
		bool preserved, struct decision *d)
{
	struct decide_in in = {
		.end = end,
		.intent = run->intent,
		.exited = exited,
		.preserved = preserved,
		.persistent = run->dom->persistent,
		.quick_ends = run->dom->quick_ends,
		.ran_s = wall_now() - run->started,
	};

	decide_config(run->config, &in);
	decide_action(&in, d);
}

/*
 * Settle a start that was under way when the VM ended: false when the
 * start failed (and is being dealt with), true when the VM did run and
 * its end is to be decided.
 */
static bool run_settle_start(struct domain_run *run, enum hv_end end,
			     const char *why, bool exited)
{
	struct domain *dom = run->dom;
	char *line;

	if (run->starting && run->intent == INTENT_DESTROY) {
		/* destroy came before keel-hv's first answer. */
		run_answer_error(run->start_reply, KEEL_E_OPERATION_FAILED,
				 "Domain %s was destroyed while it was starting.",
				 dom->name);
		run->start_reply = NULL;
		run->starting = false;
	}
	if (!run->starting)
		return true;
	if (end == HV_END_POWEROFF || end == HV_END_REBOOT ||
	    end == HV_END_CRASH) {
		/*
		 * The guest ran and ended before keel-hv answered its first
		 * status (a guest that powers off at once): it did start.
		 */
		run->starting = false;
		lifecycle_emit(run->k, dom, "started", "booted");
		dom->rebooting = false;
		run_answer(run->start_reply, domain_summary(dom));
		run->start_reply = NULL;
		return true;
	}
	/*
	 * keel-hv's status file says why in a sentence for the user; only
	 * a keel-hv that never got that far (it could not be executed, or
	 * died) leaves its log's last line to go by.
	 */
	line = why ? NULL : hv_last_log_line(run->log_path, run->log_start);
	if (!why)
		why = line ? line : "keel-hv ended without saying why.";
	run_answer_error(run->start_reply, KEEL_E_OPERATION_FAILED,
			 "Domain %s could not %s: %s", dom->name,
			 run->restoring ? "be restored" : "start", why);
	log_warn("Domain %s failed to start: %s", dom->name, why);
	free(line);
	run_start_failed(run, exited);
	return false;
}

void run_vm_stopped(struct domain_run *run, enum hv_end end,
		    const char *why, bool exited)
{
	struct decision d;

	if (run->start_failed) {
		run_start_failed(run, exited);
		return;
	}
	if (!run_settle_start(run, end, why, exited))
		return;
	run_decide(run, end, exited, false, &d);
	if (d.kill_first) {
		/* It lingers: end it first, then act (on_hv_exited). */
		run->have_pending = true;
		run->pending = d;
		hv_kill(run->hv);
		return;
	}
	if (!exited)
		run->lingering = true;
	if (exited) {
		hv_free(run->hv);
		run->hv = NULL;
	}
	run_finish(run, &d);
}

static void on_hv_stopped(struct hv *hv, enum hv_end end, const char *detail,
			  bool exited, void *opaque)
{
	struct domain_run *run = opaque;
	struct cgroup_limits l;
	uint64_t kills;
	char *oom = NULL;

	/* Gone without a word: the group's memory limit, if it was that. */
	if (end == HV_END_LOST && !cgroup_domain_oom_kills(run, &kills) &&
	    kills) {
		cgroup_domain_limits(run->config, &l);
		if (asprintf(&oom, "%s%sThe kernel's OOM killer ended it: the domain's memory cgroup reached its limit of %llu MiB (the guest's memory and keel-hv's own).",
			     detail ? detail : "", detail ? " " : "",
			     (unsigned long long)(l.memory_bytes >> 20)) < 0)
			oom = NULL;
		else
			detail = oom;
	}
	log_info("Domain %s: its VM ended (%s%s%s).", run->dom->name,
		 hv_end_name(end), detail ? ": " : "", detail ? detail : "");
	run_vm_stopped(run, end, detail, exited);
	free(oom);
}

void run_gone(struct domain_run *run)
{
	struct decision d;

	run_decide(run,
		   run->dom->reason == DOMAIN_REASON_PANICKED ? HV_END_CRASH :
								HV_END_POWEROFF,
		   true, true, &d);
	run_finish(run, &d);
}

static void on_hv_exited(struct hv *hv, void *opaque)
{
	struct domain_run *run = opaque;

	hv_free(run->hv);
	run->hv = NULL;
	if (run->start_failed)
		run_end(run, DOMAIN_REASON_FAILED, "failed", false, NULL);
	else if (run->have_pending && run->intent != INTENT_DESTROY)
		run_finish(run, &run->pending);
	else
		run_gone(run);	/* destroyed meanwhile, or kept until now */
}

static void on_hv_notified(struct hv *hv, const char *method,
			   struct json_object *params, void *opaque)
{
	memory_notified(opaque, method, params);
	device_notified(opaque, method, params);
	save_notified(opaque, method, params);
	migrate_notified(opaque, method, params);
}

const struct hv_ops run_hv_ops = {
	.stopped = on_hv_stopped,
	.exited = on_hv_exited,
	.notified = on_hv_notified,
};

void lifecycle_start(struct keeld *k, struct domain *dom, bool paused,
		     struct reply *r)
{
	/* A user's start: whatever loop it was in is forgiven. */
	dom->quick_ends = 0;
	start_domain(k, dom, paused, -1, r);
}

/* The answer to a pause, resume or power-button call. */
struct op {
	struct domain_run *run;
	struct reply *r;
	enum domain_state state;	/* on success */
	enum domain_reason reason;
	const char *event, *detail;	/* NULL: no event */
	bool wait;			/* answer when the run ends */
	int timeout_s;
};

static void on_shutdown_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct domain_run *run = arg;

	log_info("Domain %s did not shut down in time; stopping it.",
		 run->dom->name);
	run->intent = INTENT_FORCED;
	if (run->hv)
		hv_kill(run->hv);
}

static void on_op_done(struct hv *hv, struct json_object *result, int code,
		       const char *message, void *opaque)
{
	struct op *op = opaque;
	struct domain_run *run = op->run;

	if (code) {
		if (run->intent == INTENT_SHUTDOWN ||
		    run->intent == INTENT_REBOOT)
			run->intent = INTENT_NONE;
		run_answer_error(op->r, code, "%s", message);
		free(op);
		return;
	}
	if (op->event) {
		set_state(run, op->state, op->reason);
		lifecycle_emit(run->k, run->dom, op->event, op->detail);
	} else if (op->state == DOMAIN_SHUTDOWN &&
		   run->dom->state == DOMAIN_RUNNING) {
		set_state(run, DOMAIN_SHUTDOWN, DOMAIN_REASON_USER);
	}
	if (op->timeout_s > 0) {
		struct timeval tv = { op->timeout_s, 0 };

		/* A second shutdown restarts the clock. */
		evtimer_del(run->shutdown_timer);
		event_assign(run->shutdown_timer, run->k->base, -1, 0,
			     on_shutdown_timeout, run);
		evtimer_add(run->shutdown_timer, &tv);
	}
	if (op->wait)
		run_add_waiter(run, op->r);
	else
		run_answer(op->r, domain_summary(run->dom));
	free(op);
}

static void run_op(struct domain *dom, const char *method, struct op *tmpl,
		   struct reply *r)
{
	struct op *op = malloc(sizeof(*op));

	if (!op) {
		run_answer_error(r, KEEL_E_RESOURCE, "keeld ran out of memory.");
		return;
	}
	*op = *tmpl;
	op->run = dom->run;
	op->r = r;
	if (!dom->run->hv) {
		run_answer_error(r, KEEL_E_INVALID_STATE,
			     "Domain %s has no hypervisor process any more.",
			     dom->name);
		free(op);
		return;
	}
	hv_call(dom->run->hv, method, NULL, on_op_done, op);
}

void lifecycle_pause(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_PAUSED, .reason = DOMAIN_REASON_USER,
			 .event = "suspended", .detail = "paused" };

	run_op(dom, "pause", &op, r);
}

void lifecycle_unpause(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_RUNNING,
			 .reason = DOMAIN_REASON_UNPAUSED,
			 .event = "resumed", .detail = "unpaused" };

	run_op(dom, "resume", &op, r);
}

void lifecycle_shutdown(struct keeld *k, struct domain *dom, int timeout_s,
			bool wait, struct reply *r)
{
	struct op op = { .state = DOMAIN_SHUTDOWN, .wait = wait,
			 .timeout_s = timeout_s };

	if (dom->run->intent == INTENT_NONE)
		dom->run->intent = INTENT_SHUTDOWN;
	run_op(dom, "power-button", &op, r);
}

void lifecycle_reboot(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct op op = { .state = DOMAIN_SHUTDOWN };

	dom->run->intent = INTENT_REBOOT;
	run_op(dom, "power-button", &op, r);
}

void lifecycle_destroy(struct keeld *k, struct domain *dom, struct reply *r)
{
	struct domain_run *run = dom->run;

	if (!run) {
		/* Stopped, waiting to be restarted: it stays stopped. */
		lifecycle_cancel_restart(dom);
		dom->quick_ends = 0;
		dom->rebooting = false;	/* it stops for good: say so */
		dom->reason = DOMAIN_REASON_DESTROYED;
		lifecycle_emit(k, dom, "stopped", "destroyed");
		run_answer(r, domain_summary(dom));
		if (!dom->persistent)
			registry_forget(k->reg, dom);
		return;
	}
	run->intent = INTENT_DESTROY;
	if (run_add_waiter(run, r))
		return;
	if (run->hv) {
		hv_kill(run->hv);
		return;
	}
	run_gone(run);
}

struct json_object *lifecycle_live_config(const struct domain *dom)
{
	return dom->run ? dom->run->config : NULL;
}

const char *lifecycle_run_dir(const struct domain *dom)
{
	return dom->run && dom->run->hv ? dom->run->dir : NULL;
}

bool lifecycle_starting(const struct domain *dom)
{
	return dom->run && dom->run->starting;
}

double lifecycle_uptime(const struct domain *dom)
{
	return dom->run ? wall_now() - dom->run->started : -1;
}

double lifecycle_cpu_time(const struct domain *dom)
{
	static long ticks_per_s;
	struct hv_proc_stat st;

	if (!dom->run || !dom->run->hv ||
	    hv_proc_stat(dom->run->pid, &st) ||
	    st.starttime != dom->run->starttime)
		return 0;
	if (!ticks_per_s)
		ticks_per_s = sysconf(_SC_CLK_TCK);
	return ticks_per_s > 0 ? (double)st.cpu_ticks / (double)ticks_per_s :
				 0;
}

/* Add @v (owned) as @key, a string constant no other member has. */
static void summary_add(struct json_object *o, const char *key,
			struct json_object *v)
{
	json_object_object_add_ex(o, key, v,
				  JSON_C_OBJECT_ADD_KEY_IS_NEW |
					  JSON_C_OBJECT_ADD_CONSTANT_KEY);
}

/*
 * domain.list builds one of these per domain on every call, so it is
 * built with as few allocations as json-c allows: the keys are not
 * copied, and the name and uuid are the configuration's own string
 * objects, shared (nobody edits a string object in place; a rename
 * replaces it). Memory is what the domain has now (memory.h: its
 * balloon's actual size, cached); vCPUs what it runs with, else what it
 * is defined with, keeld's defaults filled in.
 */
struct json_object *domain_summary(const struct domain *dom)
{
	struct json_object *o = json_object_new_object(), *name, *uuid;
	struct json_object *config = dom->run ? dom->run->config : dom->config;

	if (!o)
		return NULL;
	json_object_object_get_ex(dom->config, "name", &name);
	json_object_object_get_ex(dom->config, "uuid", &uuid);
	summary_add(o, "name", json_object_get(name));
	summary_add(o, "uuid", json_object_get(uuid));
	summary_add(o, "id", dom->id < 0 ? NULL : json_object_new_int(dom->id));
	summary_add(o, "state",
		    json_object_new_string(domain_state_name(dom->state)));
	summary_add(o, "reason",
		    json_object_new_string(domain_reason_name(dom->reason)));
	summary_add(o, "persistent", json_object_new_boolean(dom->persistent));
	summary_add(o, "autostart", json_object_new_boolean(dom->autostart));
	summary_add(o, "memory",
		    json_object_new_int64(memory_current_mib(dom)));
	summary_add(o, "vcpus",
		    json_object_new_int64(config_int(config, "vcpus",
						     DOMAIN_DEFAULT_VCPUS)));
	summary_add(o, "cpu_time",
		    json_object_new_double(lifecycle_cpu_time(dom)));
	summary_add(o, "uptime",
		    dom->run ? json_object_new_double(lifecycle_uptime(dom)) :
			       NULL);
	return o;
}

int lifecycle_init(struct keeld *k)
{
	char dir[PATH_MAX];
	int rc = run_domain_dir(k, NULL, dir, sizeof(dir));

	if (rc)
		return rc;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = -errno;
		log_err("Cannot create %s: %s.", dir, strerror(errno));
	}
	k->next_domain_id = 1;
	return rc;
}

void lifecycle_detach_all(struct keeld *k)
{
	for (struct domain *dom = registry_first(k->reg); dom;
	     dom = dom->next) {
		lifecycle_cancel_restart(dom);
		if (dom->run) {
			run_free(dom->run);
			dom->run = NULL;
		}
	}
}
