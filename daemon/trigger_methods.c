// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The methods that act inside a running guest through its keel-hv
 * (xl's trigger, sysrq, button-press and dump-core; man/keel.1):
 * domain.trigger, domain.sysrq, domain.button_press, domain.dump_core.
 * keeld checks the domain's state and what keel does not offer (S3, a
 * sleep button), then hands the request to keel-hv's control socket
 * (man/keel-hv.8) and answers with keel-hv's word; nothing is kept, so
 * there is nothing to undo. A core's file is keeld's to make and write
 * (domain_dump_core()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers.h"
#include "hv.h"
#include "hv_proto.h"
#include "keeld.h"
#include "log.h"
#include "methods.h"
#include "registry.h"
#include "run.h"
#include "save_methods.h"
#include "save_writer.h"
#include "server.h"

/* A request on its way through keel-hv: what to answer with. */
struct trigger_call {
	struct reply *r;
	struct json_object *result; /* owned; keel-hv's result is added */
};

/* Can the guest be reached: running, shutting down or paused by a user? */
static bool trigger_guest_alive(const struct domain *dom)
{
	if (!dom->run || !dom->run->hv)
		return false;
	return dom->state == DOMAIN_RUNNING || dom->state == DOMAIN_SHUTDOWN ||
	       (dom->state == DOMAIN_PAUSED &&
		dom->reason == DOMAIN_REASON_USER);
}

/* keel-hv answered: its error as it said it, else our result. */
static void trigger_answered(struct hv *hv, struct json_object *result,
			     int code, const char *message, void *opaque)
{
	struct trigger_call *t = opaque;

	(void)hv;
	(void)result;
	if (code) {
		run_answer_error(t->r, code, "%s", message);
		json_object_put(t->result);
	} else {
		run_answer(t->r, t->result);
	}
	free(t);
}

/*
 * Send @method with @params (owned; NULL is out of memory when
 * @params_wanted, else none) to @dom's keel-hv and answer @req with
 * @result (owned) once it has done it.
 */
static struct json_object *trigger_forward(struct methods_caller *caller,
					   const struct jsonrpc_req *req,
					   struct domain *dom,
					   const char *method,
					   struct json_object *params,
					   bool params_wanted,
					   struct json_object *result)
{
	struct trigger_call *t = calloc(1, sizeof(*t));

	if (!t || !result || (params_wanted && !params) ||
	    !(t->r = server_defer(caller, req))) {
		free(t);
		json_object_put(params);
		json_object_put(result);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	t->result = result;
	json_object_object_add(result, "name",
			       json_object_new_string(dom->name));
	hv_call(dom->run->hv, method, params, trigger_answered, t);
	return jsonrpc_deferred();
}

/* The domain of @params, if its guest can be reached; else *@resp. */
static struct domain *trigger_domain(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params,
				     const char *what,
				     struct json_object **resp)
{
	struct domain *dom = domain_lookup(caller->keeld, req, params, resp);

	if (dom && !trigger_guest_alive(dom)) {
		*resp = method_error(req, KEEL_E_INVALID_STATE, NULL,
				     "Domain %s is not running; %s reaches only a running guest.",
				     dom->name, what);
		return NULL;
	}
	return dom;
}

static const char *trigger_string(struct json_object *params,
				  const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(params, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

/* keel offers no S3: there is never a sleeping guest to wake. */
static struct json_object *trigger_no_s3(const struct jsonrpc_req *req,
					 const struct domain *dom)
{
	return method_error(req, KEEL_E_INVALID_STATE, "/trigger",
			    "Domain %s cannot be asleep: keel's machine has no S3 (its ACPI tables offer only S5, power off), so there is nothing to resume.",
			    dom->name);
}

struct json_object *domain_trigger(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params)
{
	struct json_object *resp = NULL, *p = NULL, *v, *res;
	struct domain *dom = trigger_domain(caller, req, params, "a trigger",
					    &resp);
	const char *trigger = trigger_string(params, "trigger");
	const char *method;
	bool has_vcpu = json_object_object_get_ex(params, "vcpu", &v);

	if (!dom)
		return resp;
	if (!strcmp(trigger, "s3resume"))
		return trigger_no_s3(req, dom);
	if (has_vcpu && strcmp(trigger, "nmi"))
		return method_error(req, JSONRPC_INVALID_PARAMS, "/vcpu",
				    "Only the nmi trigger goes to one vCPU; %s acts on the whole machine.",
				    trigger);
	if (!strcmp(trigger, "nmi")) {
		method = HV_CTL_NMI;
		if (has_vcpu) {
			p = json_object_new_object();
			if (p)
				json_object_object_add(p, "vcpu",
						       json_object_get(v));
		}
	} else if (!strcmp(trigger, "reset")) {
		method = HV_CTL_RESET;
	} else {
		method = HV_CTL_POWER_BUTTON; /* "power" */
	}
	res = json_object_new_object();
	if (res)
		json_object_object_add(res, "trigger",
				       json_object_new_string(trigger));
	return trigger_forward(caller, req, dom, method, p, has_vcpu, res);
}

struct json_object *domain_sysrq(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct json_object *resp = NULL, *p, *res;
	struct domain *dom = trigger_domain(caller, req, params, "a SysRq",
					    &resp);
	const char *key = trigger_string(params, "key");

	if (!dom)
		return resp;
	p = json_object_new_object();
	res = json_object_new_object();
	if (p)
		json_object_object_add(p, "key", json_object_new_string(key));
	if (res)
		json_object_object_add(res, "key",
				       json_object_new_string(key));
	return trigger_forward(caller, req, dom, HV_CTL_SYSRQ, p, true, res);
}

struct json_object *domain_button_press(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params)
{
	struct json_object *resp = NULL, *res;
	struct domain *dom = trigger_domain(caller, req, params,
					    "a button press", &resp);
	const char *button = trigger_string(params, "button");

	if (!dom)
		return resp;
	if (!strcmp(button, "sleep"))
		return method_error(req, KEEL_E_INVALID_STATE, "/button",
				    "Domain %s has no sleep button: keel's machine has no S3 to sleep in, only the power button.",
				    dom->name);
	res = json_object_new_object();
	if (res)
		json_object_object_add(res, "button",
				       json_object_new_string(button));
	return trigger_forward(caller, req, dom, HV_CTL_POWER_BUTTON, NULL,
			       false, res);
}

/* --- domain.dump_core ------------------------------------------------- */

/*
 * A core on its way: keel-hv writes records into a FIFO, keeld's writer
 * (save_writer.h) puts them into the file keeld made, and the answer
 * waits for both.
 */
struct dump_call {
	struct reply *r;
	struct json_object *result; /* owned: name, path; bytes added */
	char *path;
	struct save_writer *w;
	bool hv_done, w_done;
	int hv_code, w_err;
	char *hv_msg;
};

static void dump_call_free(struct dump_call *dc)
{
	save_writer_free(dc->w);
	json_object_put(dc->result);
	free(dc->hv_msg);
	free(dc->path);
	free(dc);
}

/* keel-hv answered and the writer ended: the file is whole, or gone. */
static void dump_settle(struct dump_call *dc)
{
	if (!dc->hv_done || !dc->w_done)
		return;
	if (dc->hv_code || dc->w_err) {
		unlink(dc->path);
		/*
		 * The writer's errno is the cause (a full disk, and keel-hv
		 * then met a broken pipe) unless it is EIO: a stream cut
		 * short, because keel-hv failed first and says why.
		 */
		if (dc->w_err && (!dc->hv_code || dc->w_err != EIO))
			run_answer_error(dc->r, KEEL_E_OPERATION_FAILED,
					 "Cannot write the core file %s: %s.",
					 dc->path, strerror(dc->w_err));
		else
			run_answer_error(dc->r, dc->hv_code, "%s",
					 dc->hv_msg ? dc->hv_msg : "");
	} else {
		log_info("Wrote the core of domain %s to %s.",
			 json_object_get_string(
				 json_object_object_get(dc->result, "name")),
			 dc->path);
		run_answer(dc->r, json_object_get(dc->result));
	}
	dump_call_free(dc);
}

static void dump_answered(struct hv *hv, struct json_object *result,
			  int code, const char *message, void *opaque)
{
	struct dump_call *dc = opaque;
	struct json_object *v;

	(void)hv;
	dc->hv_done = true;
	dc->hv_code = code;
	dc->hv_msg = message ? strdup(message) : NULL;
	if (!code && json_object_object_get_ex(result, "bytes", &v))
		json_object_object_add(dc->result, "bytes",
				       json_object_get(v));
	/* keel-hv has closed its end: the writer reads to EOF and ends. */
	save_writer_close(dc->w);
	dump_settle(dc);
}

static void dump_written(int err, void *opaque)
{
	struct dump_call *dc = opaque;

	dc->w_done = true;
	dc->w_err = err;
	dump_settle(dc);
}

/*
 * A core can be written whenever keel-hv holds the guest's memory: while
 * it runs or is paused, and after a crash or power-off it was kept for
 * (preserve), which is when one is wanted most. keeld creates the file
 * (O_EXCL: never over another file, nor through a symbolic link) and
 * its writer fills it, so the file's page cache is keeld's to carry,
 * not the domain's memory cgroup's.
 */
struct json_object *domain_dump_core(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params)
{
	static unsigned serial;
	struct json_object *resp = NULL, *p;
	struct domain *dom = domain_lookup(caller->keeld, req, params, &resp);
	const char *path = trigger_string(params, "path");
	struct dump_call *dc;
	char fifo[PATH_MAX], name[32];
	int fd, rc, err;

	if (!dom)
		return resp;
	if (!dom->run || !dom->run->hv)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s has no memory to dump: it is not running, nor kept after it stopped.",
				    dom->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = errno;
		if (err == EEXIST)
			return method_error(req, JSONRPC_INVALID_PARAMS,
					    "/path",
					    "%s exists already; keel does not overwrite a file with a core.",
					    path);
		return method_error(req, err == ENOENT || err == ENOTDIR ||
						 err == EISDIR ?
					 JSONRPC_INVALID_PARAMS :
					 KEEL_E_OPERATION_FAILED,
				    "/path", "Cannot create the core file %s: %s.",
				    path, strerror(err));
	}
	dc = calloc(1, sizeof(*dc));
	p = json_object_new_object();
	if (dc) {
		dc->path = strdup(path);
		dc->result = json_object_new_object();
	}
	/* Its own FIFO: two cores of one domain may be asked at once. */
	snprintf(name, sizeof(name), "dump-%u.fifo", ++serial);
	rc = run_path(dom->run, name, fifo, sizeof(fifo));
	if (!rc && (!dc || !dc->path || !dc->result || !p))
		rc = -ENOMEM;
	if (!rc)
		rc = save_writer_start(caller->keeld->base, fifo, fd,
				       SAVE_WRITER_RECORDS, dump_written, dc,
				       &dc->w);
	/* The child has its own copy of the file; keeld needs none. */
	close(fd);
	if (!rc && !(dc->r = server_defer(caller, req)))
		rc = -ENOMEM;
	if (rc) {
		unlink(path);
		json_object_put(p);
		if (dc)
			dump_call_free(dc);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Cannot start writing the core file %s: %s.",
				    path, strerror(-rc));
	}
	json_object_object_add(dc->result, "name",
			       json_object_new_string(dom->name));
	json_object_object_add(dc->result, "path",
			       json_object_new_string(path));
	json_object_object_add(p, "pipe", json_object_new_string(fifo));
	/* As long as a save of the same memory may take. */
	hv_call_timeout(dom->run->hv, HV_CTL_DUMP_CORE, p,
			save_timeout_ms(dom->run->config), dump_answered, dc);
	return jsonrpc_deferred();
}
