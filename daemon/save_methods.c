// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.save and domain.restore (xl's save and restore; man/keel.1,
 * man/keeld.8). keel-hv does the work on both sides (docs/stream.md):
 * keeld checks the request, passes the domain's configuration to the
 * save and creates the domain a restore's header describes, then
 * follows the process. The file is opened by keel-hv on a save (O_EXCL,
 * 0600, as keeld's user) and by keeld on a restore, which hands keel-hv
 * the descriptor.
 *
 * A domain being saved keeps its state (running or paused) in
 * domain.list until the save ends, as xl shows nothing special either;
 * the save's progress goes to events.subscribe clients as "progress"
 * events, and a save that stops the domain ends it with reason "saved".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "migrate.h"
#include "registry.h"
#include "run.h"
#include "save_methods.h"
#include "save_writer.h"
#include "server.h"
#include "stream.h"

/* How often a restore's progress is looked at (the file's offset). */
#define RESTORE_POLL_MS 500

int save_timeout_ms(struct json_object *config)
{
	int64_t ms = 120000 + config_memory_mib(config) * 200;

	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void save_emit_progress(struct keeld *k, const struct domain *dom,
			const char *job, uint64_t done, uint64_t total)
{
	struct json_object *params =
		lifecycle_event_params(dom, "progress", "progress", job);

	if (!params)
		return;
	json_object_object_add(params, "job", json_object_new_string(job));
	json_object_object_add(params, "done",
			       json_object_new_int64((int64_t)done));
	json_object_object_add(params, "total",
			       json_object_new_int64((int64_t)total));
	lifecycle_broadcast(k, params);
}

void save_notified(struct domain_run *run, const char *method,
		   struct json_object *params)
{
	struct json_object *done, *total;

	if (strcmp(method, HV_CTL_SAVE_PROGRESS) || !params ||
	    !json_object_object_get_ex(params, "done", &done) ||
	    !json_object_object_get_ex(params, "total", &total) ||
	    !json_object_is_type(done, json_type_int) ||
	    !json_object_is_type(total, json_type_int) ||
	    json_object_get_int64(done) < 0 || json_object_get_int64(total) < 0)
		return;
	save_emit_progress(run->k, run->dom, "save",
			   (uint64_t)json_object_get_int64(done),
			   (uint64_t)json_object_get_int64(total));
}

static struct json_object *out_of_memory(const struct jsonrpc_req *req)
{
	return method_error(req, KEEL_E_RESOURCE, NULL,
			    "keeld ran out of memory.");
}

static bool bool_param(struct json_object *params, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) &&
	       json_object_get_boolean(v);
}

/* --- domain.save ------------------------------------------------------ */

/*
 * A save on its way: keel-hv writes the stream into a FIFO (then
 * "pause"), keeld's writer (save_writer.c) copies it into the file.
 * Only when both succeeded does the domain stop as saved, or run again;
 * otherwise the file goes and the domain is as it was.
 */
struct save_call {
	struct domain_run *run;
	struct reply *r;
	char *path;
	int file_fd;
	struct save_writer *w;
	const char *then;
	bool was_running;
	bool hv_done, w_done;
	int hv_code, w_err;
	char *hv_msg;
	struct json_object *hv_result;
	char name[96];
};

static void save_call_free(struct save_call *sc)
{
	if (sc->run && sc->run->save == sc)
		sc->run->save = NULL;
	save_writer_free(sc->w);
	if (sc->file_fd >= 0)
		close(sc->file_fd);
	json_object_put(sc->hv_result);
	free(sc->hv_msg);
	free(sc->path);
	free(sc);
}

/* The answer: what keel-hv said, with the domain's name and "then". */
static struct json_object *save_result(const struct save_call *sc)
{
	struct json_object *o = json_object_new_object(), *v;
	struct stat st;

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(sc->name));
	json_object_object_add(o, "path", json_object_new_string(sc->path));
	json_object_object_add(o, "then", json_object_new_string(sc->then));
	if (!stat(sc->path, &st))
		json_object_object_add(o, "bytes",
				       json_object_new_int64(st.st_size));
	if (sc->hv_result &&
	    json_object_object_get_ex(sc->hv_result, "ms", &v))
		json_object_object_add(o, "ms", json_object_get(v));
	return o;
}

/*
 * xl save -p: keel-hv left the vCPUs paused, so the domain is paused as
 * domain.pause leaves it (one that was paused already stays so).
 */
static void save_paused(const struct save_call *sc)
{
	struct domain_run *run = sc->run;
	struct domain *dom = run->dom;

	if (!run->hv || dom->state != DOMAIN_RUNNING)
		return;
	dom->state = DOMAIN_PAUSED;
	dom->reason = DOMAIN_REASON_USER;
	run_save(run);
	lifecycle_emit(run->k, dom, "suspended", "paused");
}

/* The answer to the resume after a save: only a failure is news. */
static void save_resumed(struct hv *hv, struct json_object *result, int code,
			 const char *message, void *opaque)
{
	(void)hv;
	(void)result;
	(void)opaque;
	if (code)
		log_warn("A domain paused for its save did not resume: %s",
			 message);
}

/* The save failed: no file, and a domain that ran runs again. */
static void save_failed(struct save_call *sc, int code, const char *why)
{
	if (unlink(sc->path) < 0 && errno != ENOENT)
		log_warn("Domain %s: cannot remove the partial %s: %s",
			 sc->name, sc->path, strerror(errno));
	/* keel-hv resumes on its own failure; not when the writer failed. */
	if (sc->hv_code == 0 && sc->was_running && sc->run && sc->run->hv)
		hv_call(sc->run->hv, HV_CTL_RESUME, NULL, save_resumed, NULL);
	run_answer_error(sc->r, code, "Domain %s was not saved: %s", sc->name,
			 why);
	log_warn("Domain %s was not saved to %s: %s", sc->name, sc->path,
		 why);
	save_call_free(sc);
}

/*
 * keel-hv answered the stop that ends a saved domain, or went away
 * first: its status file then says whether it ended as saved.
 */
static void save_stopped(struct hv *hv, struct json_object *result, int code,
			 const char *message, void *opaque)
{
	struct save_call *sc = opaque;
	enum hv_end end;
	char *detail = NULL;

	(void)hv;
	(void)result;
	if (code == KEEL_E_OPERATION_FAILED && sc->run &&
	    !hv_read_exit(sc->run->dir, &end, &detail) &&
	    end == HV_END_SAVED)
		code = 0;
	free(detail);
	if (code) {
		/* The file is good: keep it, and say the domain still runs. */
		run_answer_error(sc->r, code,
				 "Domain %s was saved to %s but did not stop: %s",
				 sc->name, sc->path, message);
	} else if (sc->run && sc->run->hv) {
		/* Answered once it has ended, as libvirt's save. */
		log_info("Domain %s saved to %s; it stops.", sc->name,
			 sc->path);
		run_add_waiter_result(sc->run, sc->r, save_result(sc));
	} else {
		run_answer(sc->r, save_result(sc));
	}
	save_call_free(sc);
}

/* Both keel-hv and the writer are done: decide. */
static void save_settle(struct save_call *sc)
{
	struct json_object *p;
	char why[400];

	if (!sc->hv_done || !sc->w_done)
		return;
	if (sc->hv_code) {
		/* The writer's errno says more than keel-hv's broken pipe. */
		if (sc->w_err)
			snprintf(why, sizeof(why), "Cannot write %s: %s.",
				 sc->path, strerror(sc->w_err));
		else
			snprintf(why, sizeof(why), "%s",
				 sc->hv_msg ? sc->hv_msg : "keel-hv failed.");
		save_failed(sc, sc->hv_code, why);
		return;
	}
	if (sc->w_err) {
		snprintf(why, sizeof(why), "Cannot write %s: %s.", sc->path,
			 strerror(sc->w_err));
		save_failed(sc, KEEL_E_OPERATION_FAILED, why);
		return;
	}
	if (!sc->run || !sc->run->hv) {
		save_failed(sc, KEEL_E_OPERATION_FAILED,
			    "its keel-hv went away.");
		return;
	}
	if (!strcmp(sc->then, "stop")) {
		p = json_object_new_object();
		if (p)
			json_object_object_add(p, "reason", json_object_new_string(
								 HV_REASON_SAVED));
		hv_call(sc->run->hv, HV_CTL_STOP, p, save_stopped, sc);
		return;
	}
	log_info("Domain %s saved to %s (then %s).", sc->name, sc->path,
		 sc->then);
	if (!strcmp(sc->then, "pause"))
		save_paused(sc);
	else if (sc->was_running)
		hv_call(sc->run->hv, HV_CTL_RESUME, NULL, save_resumed, NULL);
	run_answer(sc->r, save_result(sc));
	save_call_free(sc);
}

static void save_answered(struct hv *hv, struct json_object *result, int code,
			  const char *message, void *opaque)
{
	struct save_call *sc = opaque;

	(void)hv;
	sc->hv_done = true;
	sc->hv_code = code;
	sc->hv_msg = message ? strdup(message) : NULL;
	sc->hv_result = result ? json_object_get(result) : NULL;
	/* keel-hv has closed its end: the writer reads to EOF and ends. */
	save_writer_close(sc->w);
	save_settle(sc);
}

static void save_written(int err, void *opaque)
{
	struct save_call *sc = opaque;

	sc->w_done = true;
	sc->w_err = err;
	save_settle(sc);
}

static void restore_watch_free(struct restore_watch *w);

void save_abandon(struct domain_run *run)
{
	struct save_call *sc = run->save;

	if (run->restore_watch)
		restore_watch_free(run->restore_watch);
	if (!sc)
		return;
	sc->run = NULL;
	run->save = NULL;
	unlink(sc->path);
	run_answer_error(sc->r, KEEL_E_OPERATION_FAILED,
			 "Domain %s was not saved: it ended during the save.",
			 sc->name);
	save_call_free(sc);
}

/* A live guest keel-hv can save: running, or paused by a user. */
static bool save_possible(const struct domain *dom)
{
	if (!dom->run || !dom->run->hv || dom->run->starting ||
	    migrate_busy(dom))
		return false;
	return dom->state == DOMAIN_RUNNING ||
	       (dom->state == DOMAIN_PAUSED &&
		dom->reason == DOMAIN_REASON_USER);
}

struct json_object *domain_save(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params)
{
	struct json_object *resp = NULL, *p, *v, *config = NULL;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);
	bool keep = bool_param(params, "keep_running");
	bool paused = bool_param(params, "paused");
	struct save_call *sc;
	const char *path;
	char fifo[PATH_MAX];
	int rc;

	if (!dom)
		return resp;
	json_object_object_get_ex(params, "path", &v);
	path = json_object_get_string(v);
	if (!save_possible(dom))
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is %s (%s); only a running or paused domain can be saved.",
				    dom->name, domain_state_name(dom->state),
				    domain_reason_name(dom->reason));
	if (dom->run->save)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is being saved already; wait for that save to end.",
				    dom->name);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return out_of_memory(req);
	sc->file_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			   0600);
	if (sc->file_fd < 0) {
		int err = errno;

		save_call_free(sc);
		if (err == EEXIST)
			return method_error(req, JSONRPC_INVALID_PARAMS,
					    "/path",
					    "%s exists already; a save makes a new file and never replaces one.",
					    path);
		return method_error(req, err == ENOENT || err == ENOTDIR ||
						 err == EISDIR ?
					 JSONRPC_INVALID_PARAMS :
					 KEEL_E_OPERATION_FAILED,
				    "/path", "Cannot create %s: %s.", path,
				    strerror(err));
	}
	sc->run = dom->run;
	sc->path = strdup(path);
	sc->was_running = dom->state == DOMAIN_RUNNING;
	/* xl: -p leaves it paused (-c or not), -c running, else it stops. */
	sc->then = paused ? "pause" : keep ? "resume" : "stop";
	snprintf(sc->name, sizeof(sc->name), "%s", dom->name);
	snprintf(fifo, sizeof(fifo), "%s/save.fifo", dom->run->dir);
	p = json_object_new_object();
	if (p && json_object_deep_copy(dom->run->config, &config, NULL))
		config = NULL;
	if (!sc->path || !p || !config) {
		json_object_put(p);
		json_object_put(config);
		unlink(path);
		save_call_free(sc);
		return out_of_memory(req);
	}
	rc = save_writer_start(caller->keeld->base, fifo, sc->file_fd,
			       SAVE_WRITER_STREAM, save_written, sc, &sc->w);
	if (rc || !(sc->r = server_defer(caller, req))) {
		json_object_put(p);
		json_object_put(config);
		unlink(path);
		save_call_free(sc);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Cannot start writing %s: %s.", path,
				    strerror(rc ? -rc : ENOMEM));
	}
	json_object_object_add(p, "pipe", json_object_new_string(fifo));
	/* keel-hv pauses; keeld stops or resumes once the file is safe. */
	json_object_object_add(p, "then", json_object_new_string("pause"));
	json_object_object_add(p, "config", config);
	dom->run->save = sc;
	log_info("Domain %s: saving to %s (then %s).", dom->name, path,
		 sc->then);
	hv_call_timeout(dom->run->hv, HV_CTL_SAVE, p,
			save_timeout_ms(dom->run->config), save_answered, sc);
	return jsonrpc_deferred();
}

/* --- domain.restore --------------------------------------------------- */

/*
 * Following a restore's keel-hv as it reads the file: the descriptor
 * keeld opened shares its offset with keel-hv's, so where it is says
 * how far keel-hv has read.
 */
struct restore_watch {
	struct keeld *k;
	struct domain_run *run;	/* it frees the watch when it goes */
	struct event *timer;
	int fd;
	uint64_t size;
};

static void restore_watch_free(struct restore_watch *w)
{
	if (w->run->restore_watch == w)
		w->run->restore_watch = NULL;
	if (w->timer)
		event_free(w->timer);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}

static void restore_poll(evutil_socket_t fd, short what, void *arg)
{
	struct restore_watch *w = arg;
	struct domain_run *run = w->run;
	struct timeval tv = { 0, RESTORE_POLL_MS * 1000 };
	off_t at;

	(void)fd;
	(void)what;
	/* Done once keel-hv answered or failed. */
	if (!run->restoring || !run->starting) {
		restore_watch_free(w);
		return;
	}
	at = lseek(w->fd, 0, SEEK_CUR);
	if (at >= 0)
		save_emit_progress(w->k, run->dom, "restore", (uint64_t)at,
				   w->size);
	evtimer_add(w->timer, &tv);
}

/* Watch @fd (owned) for the restore of @run; on failure it is closed. */
static void restore_watch_start(struct keeld *k, struct domain_run *run,
				int fd, uint64_t size)
{
	struct restore_watch *w = calloc(1, sizeof(*w));
	struct timeval tv = { 0, RESTORE_POLL_MS * 1000 };

	if (!w) {
		close(fd);
		return;
	}
	w->k = k;
	w->run = run;
	w->fd = fd;
	w->size = size;
	run->restore_watch = w;
	w->timer = evtimer_new(k->base, restore_poll, w);
	if (!w->timer || evtimer_add(w->timer, &tv))
		restore_watch_free(w);
}

/* What the header callback hands back. */
struct restore_header {
	struct json_object *config;	/* owned: a copy of "config" */
};

/*
 * The HEADER record, checked by the stream library: keep its config and
 * stop reading, since the rest is keel-hv's to read.
 */
static int restore_on_header(void *opaque, struct stream_reader *r,
			     const struct stream_header *h)
{
	struct restore_header *rh = opaque;

	(void)r;
	if (json_object_deep_copy(h->config, &rh->config, NULL))
		return -ENOMEM;
	return -ECANCELED;
}

/*
 * Tap names keeld gave (nic.c: keelID.N) belong to the saved run's id;
 * the restored domain gets its own. Names a user chose stay.
 */
void restore_forget_taps(struct json_object *config)
{
	struct json_object *list;

	if (!json_object_object_get_ex(config, "nics", &list) ||
	    !json_object_is_type(list, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *nic = json_object_array_get_idx(list, i);
		const char *tap = json_member_string(nic, "tap");
		unsigned a, b;
		char end;

		if (tap && sscanf(tap, "keel%u.%u%c", &a, &b, &end) == 2)
			json_object_object_del(nic, "tap");
	}
}

/* The domain a name or uuid clash is with, in a sentence. */
static struct json_object *restore_clash(const struct jsonrpc_req *req,
					 struct json_object *config,
					 const char *field, const char *what)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(config, field + 1, &v);
	return method_error(req, KEEL_E_DOMAIN_EXISTS,
			    !strcmp(field, "/name") ? "/config/name" :
						      "/config/uuid",
			    "%s holds domain %s \"%s\", and a domain with that %s exists already; destroy or undefine it (or rename it) first.",
			    what, field + 1, json_object_get_string(v),
			    field + 1);
}

struct domain *restore_into_definition(struct keeld *k,
				       struct json_object *config)
{
	const char *uuid = json_member_string(config, "uuid");
	const char *name = json_member_string(config, "name");
	struct domain *dom = uuid ? registry_find_uuid(k->reg, uuid) : NULL;

	if (!dom || !name || registry_find_name(k->reg, name) != dom ||
	    !dom->persistent || dom->run)
		return NULL;
	return dom;
}

struct json_object *restore_in_use(struct keeld *k,
				   const struct jsonrpc_req *req,
				   struct json_object *config, const char *what)
{
	const char *uuid = json_member_string(config, "uuid");
	const char *name = json_member_string(config, "name");
	struct domain *dom;

	dom = name ? registry_find_name(k->reg, name) : NULL;
	if (dom && dom->run)
		return method_error(req, KEEL_E_DOMAIN_EXISTS, "/config/name",
				    "%s holds domain %s, which is running here; destroy it (or save it) first.",
				    what, name);
	if (dom)
		return restore_clash(req, config, "/name", what);
	dom = uuid ? registry_find_uuid(k->reg, uuid) : NULL;
	if (dom)
		return restore_clash(req, config, "/uuid", what);
	return NULL;
}

struct json_object *domain_restore(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct restore_header rh = { 0 };
	const struct stream_ops ops = { .header = restore_on_header };
	struct json_object *v, *resp, *copy = NULL;
	char err[STREAM_ERR_SIZE] = "";
	const char *path, *field = NULL;
	char uuid[DOMAIN_UUID_LEN + 1];
	struct domain *dom;
	struct reply *r;
	struct stat st;
	int fd, rc;

	json_object_object_get_ex(params, "path", &v);
	path = json_object_get_string(v);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return method_error(req, JSONRPC_INVALID_PARAMS, "/path",
				    "Cannot open %s: %s.", path,
				    strerror(errno));
	/* keeld reads the header on its loop: no FIFO may keep it waiting. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		resp = method_error(req, JSONRPC_INVALID_PARAMS, "/path",
				    "%s is not a regular file; keel restores from a file keel save wrote.",
				    path);
		goto out_close;
	}
	rc = stream_read(fd, &ops, &rh, err, sizeof(err));
	if (rc != -ECANCELED || !rh.config) {
		if (rc == -ENOMEM)
			resp = out_of_memory(req);
		else
			resp = method_error(req, JSONRPC_INVALID_PARAMS,
					    "/path",
					    "%s is not a domain keel can restore: %s",
					    path,
					    err[0] ? err :
						     "it ends before its header.");
		goto out_put;
	}
	if (lseek(fd, 0, SEEK_SET)) {
		resp = method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Cannot read %s again from its start: %s.",
				    path, strerror(errno));
		goto out_put;
	}
	resp = domain_config_check(k, req, rh.config);
	if (resp)
		goto out_put;
	restore_forget_taps(rh.config);
	dom = restore_into_definition(k, rh.config);
	if (dom) {
		/* Its definition stays; the run has the file's config. */
		r = server_defer(caller, req);
		if (!r) {
			resp = out_of_memory(req);
			goto out_put;
		}
	} else {
		resp = restore_in_use(k, req, rh.config, path);
		if (resp)
			goto out_put;
		/* The registry takes a copy, even on failure. */
		if (json_object_deep_copy(rh.config, &copy, NULL)) {
			resp = out_of_memory(req);
			goto out_put;
		}
		rc = registry_add_transient(k->reg, copy, &dom, &field);
		if (rc == -EEXIST) {
			resp = restore_clash(req, rh.config, field, path);
			goto out_put;
		}
		json_object_put(rh.config);
		rh.config = NULL;
		if (rc) {
			resp = out_of_memory(req);
			goto out_close;
		}
		r = server_defer(caller, req);
		if (!r) {
			registry_forget(k->reg, dom);
			resp = out_of_memory(req);
			goto out_close;
		}
	}
	log_info("Domain %s: restoring from %s.", dom->name, path);
	/* A start that fails removes the domain: remember it by uuid. */
	snprintf(uuid, sizeof(uuid), "%s", dom->uuid);
	start_domain_restore(k, dom, bool_param(params, "paused"), fd,
			     rh.config, r);
	/* Still starting: keel-hv reads; keeld watches the offset. */
	dom = registry_find_uuid(k->reg, uuid);
	if (dom && dom->run && dom->run->starting)
		restore_watch_start(k, dom->run, fd, (uint64_t)st.st_size);
	else
		close(fd);
	return jsonrpc_deferred();

out_put:
	json_object_put(rh.config);
out_close:
	close(fd);
	return resp;
}
