// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * struct domain_run, the record keeld keeps of a running domain (run.h):
 * making and freeing one, its run directory RUN_DIR/domains/UUID, and
 * the replies that wait on it. What a run goes through is lifecycle.c's;
 * its state file is adopt.c's.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "hv_proto.h"
#include "jsonrpc.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "migrate.h"
#include "run.h"
#include "save_methods.h"
#include "server.h"

double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t config_int(struct json_object *config, const char *key, int64_t dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(config, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

bool config_bool(struct json_object *config, const char *key, bool dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(config, key, &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return dflt;
	return json_object_get_boolean(v);
}

int64_t config_memory_mib(struct json_object *config)
{
	int64_t mem = config_int(config, "memory", DOMAIN_DEFAULT_MEMORY_MIB);
	int64_t max = config_int(config, "maxmem", mem);

	return max > mem ? max : mem;
}

int config_prefault_ms(struct json_object *config)
{
	if (!config_bool(config, "prefault", false))
		return 0;
	/* At most KEEL_MEMORY_MAX_MIB: 5 * 2^20 ms fits an int. */
	return (int)(config_memory_mib(config) * CONFIG_PREFAULT_MS_PER_MIB);
}

void run_answer(struct reply *r, struct json_object *result)
{
	if (r)
		reply_send(r, jsonrpc_result(reply_id(r), result));
	else
		json_object_put(result);
}

void run_answer_error(struct reply *r, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!r)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply_send(r, jsonrpc_error(reply_id(r), code, msg, NULL));
}

int run_domain_dir(const struct keeld *k, const char *uuid, char *buf,
		   size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/domains%s%s", k->conf.run_dir,
			     uuid ? "/" : "", uuid ? uuid : "") >= size)
		return -ENAMETOOLONG;
	return 0;
}

int run_path(const struct domain_run *run, const char *name, char *buf,
	     size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", run->dir, name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

void run_dir_remove(const char *dir)
{
	static const char *const files[] = { HV_RUN_STATE, HV_RUN_STATUS,
					     HV_RUN_CONTROL, HV_RUN_CONSOLE,
					     HV_RUN_STATE ".tmp" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     files[i]) < sizeof(path))
			unlink(path);
	if (rmdir(dir) && errno != ENOENT)
		log_warn("Cannot remove the run directory %s: %s.", dir,
			 strerror(errno));
}

struct domain_run *run_new(struct keeld *k, struct domain *dom,
			   const char *dir)
{
	struct domain_run *run = calloc(1, sizeof(*run));
	char own[PATH_MAX];

	if (!run)
		return NULL;
	run->k = k;
	run->dom = dom;
	if (!dir && !run_domain_dir(k, dom->uuid, own, sizeof(own)))
		dir = own;
	run->dir = dir ? strdup(dir) : NULL;
	run->log_path = launch_log_path(k, dom->name, ".log");
	run->shutdown_timer = evtimer_new(k->base, NULL, NULL);
	if (!run->dir || !run->log_path || !run->shutdown_timer ||
	    json_object_deep_copy(dom->config, &run->config, NULL)) {
		run_free(run);
		return NULL;
	}
	return run;
}

void run_free(struct domain_run *run)
{
	struct waiter *w, *next;

	/* First: a call it answers may still add a waiter (a save). */
	hv_free(run->hv);
	run->hv = NULL;
	save_abandon(run);
	migrate_abandon(run);
	migration_in_abandon(run);
	for (w = run->waiters; w; w = next) {
		next = w->next;
		run_answer_error(w->r, KEEL_E_OPERATION_FAILED,
				 "keeld is shutting down.");
		json_object_put(w->result);
		free(w);
	}
	run_answer_error(run->start_reply, KEEL_E_OPERATION_FAILED,
			 "keeld is shutting down.");
	json_object_put(run->start_result);
	if (run->shutdown_timer)
		event_free(run->shutdown_timer);
	json_object_put(run->config);
	free(run->log_path);
	free(run->dir);
	free(run);
}

int run_add_waiter_result(struct domain_run *run, struct reply *r,
			  struct json_object *result)
{
	struct waiter *w;

	if (!r) {
		json_object_put(result);
		return 0;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		json_object_put(result);
		run_answer_error(r, KEEL_E_RESOURCE, "keeld ran out of memory.");
		return -ENOMEM;
	}
	w->r = r;
	w->result = result;
	w->next = run->waiters;
	run->waiters = w;
	return 0;
}

int run_add_waiter(struct domain_run *run, struct reply *r)
{
	return run_add_waiter_result(run, r, NULL);
}

struct json_object *run_waiter_answer(struct waiter *w,
				      const struct domain *dom)
{
	struct json_object *o = w->result ? w->result : domain_summary(dom);

	w->result = NULL;
	return o;
}

void run_answer_waiters(struct domain_run *run)
{
	struct waiter *w, *next;

	for (w = run->waiters; w; w = next) {
		next = w->next;
		run_answer(w->r, run_waiter_answer(w, run->dom));
		free(w);
	}
	run->waiters = NULL;
}
