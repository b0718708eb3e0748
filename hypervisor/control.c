// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's control socket: the private channel keeld uses to drive one
 * VM (DESIGN.md, "keeld <-> keel-hv"). JSON-RPC 2.0, one request per
 * line, on the I/O thread's event loop. A client that sends garbage gets
 * an error and keeps its connection; one that sends more than
 * CONTROL_MAX_LINE bytes without a newline, or stops reading its
 * replies, is disconnected. Nothing a client sends can stop the VM
 * except the stop method.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "control.h"
#include "device.h"
#include "log.h"
#include "vm.h"
#include "virtio_balloon.h"
#include "vmm.h"

#define CONTROL_MAX_LINE (64 * 1024)
#define CONTROL_MAX_OUTPUT (1024 * 1024)

/* JSON-RPC 2.0 error codes. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
/* keel's own: the VM is not in a state that allows the operation. */
#define RPC_INVALID_STATE -32002

struct control {
	struct vm *vm;
	struct evconnlistener *listener;
	char *path;
	struct control_conn *conns;
	struct timespec started;
};

struct control_conn {
	struct control *ctl;
	struct bufferevent *bev;
	struct control_conn *next;
};

/*
 * A method: fills *@result (a new object) or returns an error code with
 * *@msg set to a sentence for the client. @params: the request's
 * object, or NULL; only methods marked so in the table get any.
 */
typedef int (*control_fn)(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg);

static struct json_object *control_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static int control_status(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	struct json_object *o = json_object_new_object();
	struct timespec now;
	double up;

	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (double)(now.tv_sec - ctl->started.tv_sec) +
	     (double)(now.tv_nsec - ctl->started.tv_nsec) / 1e9;
	json_object_object_add(o, "state",
			       json_object_new_string(vm_is_paused(ctl->vm) ?
							      "paused" :
							      "running"));
	json_object_object_add(o, "vcpus",
			       json_object_new_int((int)ctl->vm->nr_vcpus));
	json_object_object_add(o, "memory",
			       json_object_new_uint64(ctl->vm->ram_size));
	json_object_object_add(o, "uptime", json_object_new_double(up));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	*result = o;
	return 0;
}

static int control_pause(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	if (vm_is_paused(ctl->vm)) {
		*msg = "The VM is already paused.";
		return RPC_INVALID_STATE;
	}
	if (vm_pause(ctl->vm)) {
		*msg = "The VM is stopping and cannot be paused.";
		return RPC_INVALID_STATE;
	}
	*result = control_ok();
	return 0;
}

static int control_resume(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	if (!vm_is_paused(ctl->vm)) {
		*msg = "The VM is not paused.";
		return RPC_INVALID_STATE;
	}
	vm_resume(ctl->vm);
	*result = control_ok();
	return 0;
}

static int control_stop(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	log_info("control: hard stop requested");
	vm_request_exit(ctl->vm, VM_EXIT_KILLED);
	*result = control_ok();
	return 0;
}

static int control_power_button(struct control *ctl,
				struct json_object *params,
				struct json_object **result, const char **msg)
{
	struct device *pm = vm_find_device(ctl->vm, "acpi_pm");

	if (!pm) {
		*msg = "This VM has no ACPI power button.";
		return RPC_INVALID_STATE;
	}
	acpi_pm_power_button(pm);
	*result = control_ok();
	return 0;
}

static int control_stats(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	struct json_object *o = json_object_new_object();

	if (vm_stats(ctl->vm, o)) {
		json_object_put(o);
		*msg = "Cannot collect the statistics.";
		return RPC_INVALID_STATE;
	}
	*result = o;
	return 0;
}

/*
 * balloon {"target_mib": N}: ask the guest to shrink to (or grow back
 * to) N MiB; without params, only report. Either way the result is the
 * current target and what the guest says it has given back.
 */
static int control_balloon(struct control *ctl, struct json_object *params,
			   struct json_object **result, const char **msg)
{
	struct device *dev = vm_find_device(ctl->vm, "vballoon0");
	struct json_object *v, *o;
	uint64_t target, actual;
	int64_t mib;

	if (!dev) {
		*msg = "This VM has no balloon device (keel-hv --balloon).";
		return RPC_INVALID_STATE;
	}
	if (params && !json_object_is_type(params, json_type_object)) {
		*msg = "balloon takes an object: {\"target_mib\": N}.";
		return RPC_INVALID_PARAMS;
	}
	if (params) {
		json_object_object_foreach(params, key, val) {
			(void)val;
			if (strcmp(key, "target_mib")) {
				*msg = "balloon takes only \"target_mib\".";
				return RPC_INVALID_PARAMS;
			}
		}
	}
	if (params && json_object_object_get_ex(params, "target_mib", &v)) {
		mib = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || mib < 1 ||
		    (uint64_t)mib > (ctl->vm->ram_size >> 20)) {
			*msg = "target_mib must be an integer from 1 to the VM's memory in MiB.";
			return RPC_INVALID_PARAMS;
		}
		virtio_balloon_set_target(dev, (uint64_t)mib << 20);
	}
	virtio_balloon_get(dev, &target, &actual);
	o = json_object_new_object();
	json_object_object_add(o, "target_mib",
			       json_object_new_int64((int64_t)(target >> 20)));
	json_object_object_add(o, "actual_mib",
			       json_object_new_int64((int64_t)(actual >> 20)));
	*result = o;
	return 0;
}

/* The method table; only methods marked takes_params get any. */
static const struct {
	const char *method;
	control_fn fn;
	bool takes_params;
} control_methods[] = {
	{ "status", control_status, false },
	{ "pause", control_pause, false },
	{ "resume", control_resume, false },
	{ "stop", control_stop, false },
	{ "power-button", control_power_button, false },
	{ "stats", control_stats, false },
	{ "balloon", control_balloon, true },
};

static void control_send(struct control_conn *c, struct json_object *msg)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *s = json_object_to_json_string_ext(msg,
						       JSON_C_TO_STRING_PLAIN);

	evbuffer_add(out, s, strlen(s));
	evbuffer_add(out, "\n", 1);
}

static struct json_object *control_error(struct json_object *id, int code,
					 const char *message)
{
	struct json_object *r = json_object_new_object();
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_int(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(r, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(r, "error", e);
	json_object_object_add(r, "id", id ? json_object_get(id) : NULL);
	return r;
}

static bool control_valid_id(struct json_object *id)
{
	return !id || json_object_is_type(id, json_type_string) ||
	       json_object_is_type(id, json_type_int) ||
	       json_object_is_type(id, json_type_null);
}

/* One request in; NULL (notification) or the response out. */
static struct json_object *control_handle(struct control *ctl,
					  struct json_object *req)
{
	struct json_object *v, *id = NULL, *params = NULL, *result = NULL;
	struct json_object *resp;
	const char *method, *msg = "Internal error.";
	bool has_id;
	int code;

	if (!json_object_is_type(req, json_type_object))
		return control_error(NULL, RPC_INVALID_REQUEST,
				     "A request must be a JSON object.");
	has_id = json_object_object_get_ex(req, "id", &id);
	if (!control_valid_id(id))
		return control_error(NULL, RPC_INVALID_REQUEST,
				     "The id must be a string, integer or null.");
	if (!json_object_object_get_ex(req, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0)
		return control_error(id, RPC_INVALID_REQUEST,
				     "\"jsonrpc\" must be \"2.0\".");
	if (!json_object_object_get_ex(req, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return control_error(id, RPC_INVALID_REQUEST,
				     "\"method\" must be a string.");
	method = json_object_get_string(v);
	json_object_object_get_ex(req, "params", &params);
	if (params && !json_object_is_type(params, json_type_object) &&
	    !json_object_is_type(params, json_type_array))
		return control_error(id, RPC_INVALID_REQUEST,
				     "\"params\" must be an object or an array.");

	code = RPC_METHOD_NOT_FOUND;
	msg = "No such method.";
	for (size_t i = 0; i < sizeof(control_methods) /
				       sizeof(control_methods[0]);
	     i++) {
		if (strcmp(method, control_methods[i].method))
			continue;
		if (!control_methods[i].takes_params && params &&
		    !(json_object_is_type(params, json_type_object) &&
		      json_object_object_length(params) == 0) &&
		    !(json_object_is_type(params, json_type_array) &&
		      json_object_array_length(params) == 0)) {
			code = RPC_INVALID_PARAMS;
			msg = "This method takes no parameters.";
			break;
		}
		code = control_methods[i].fn(ctl, params, &result, &msg);
		break;
	}
	if (!has_id) {
		json_object_put(result);
		return NULL;
	}
	if (code)
		return control_error(id, code, msg);
	resp = json_object_new_object();
	json_object_object_add(resp, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(resp, "result", result);
	json_object_object_add(resp, "id", json_object_get(id));
	return resp;
}

static void control_conn_free(struct control_conn *c)
{
	struct control_conn **pp;

	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	bufferevent_free(c->bev);
	free(c);
}

static void control_line(struct control_conn *c, const char *line,
			 size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *resp;

	if (!tok)
		return;
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || tok->char_offset != (int)len) {
		resp = control_error(NULL, RPC_PARSE_ERROR,
				     "The line is not one JSON value.");
	} else {
		resp = control_handle(c->ctl, req);
	}
	if (resp)
		control_send(c, resp);
	json_object_put(resp);
	json_object_put(req);
	json_tokener_free(tok);
}

static void control_reject(struct control_conn *c, const char *why)
{
	struct json_object *e = control_error(NULL, RPC_INVALID_REQUEST, why);

	control_send(c, e);
	json_object_put(e);
}

static void control_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		if (len > 0 && len <= CONTROL_MAX_LINE &&
		    memchr(line, '\0', len) == NULL)
			control_line(c, line, len);
		else if (len > 0)
			control_reject(c, "The request is too large or is "
					  "not text.");
		free(line);
	}
	if (evbuffer_get_length(in) > CONTROL_MAX_LINE ||
	    evbuffer_get_length(bufferevent_get_output(bev)) >
		    CONTROL_MAX_OUTPUT) {
		log_warn("control: dropping a client that sent an oversized "
			 "line or stopped reading");
		control_conn_free(c);
	}
}

static void control_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		control_conn_free(arg);
}

static void control_accept(struct evconnlistener *l, evutil_socket_t fd,
			   struct sockaddr *sa, int socklen, void *arg)
{
	struct control *ctl = arg;
	struct control_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->bev = bufferevent_socket_new(ctl->vm->evbase, fd,
					BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		close(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, control_read, NULL, control_event, c);
	bufferevent_enable(c->bev, EV_READ);
	c->next = ctl->conns;
	ctl->conns = c;
}

int control_new(struct vm *vm, const char *path, struct control **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	mode_t old_mask;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_err("control: socket path %s is too long.", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->vm = vm;
	ctl->path = strdup(path);
	clock_gettime(CLOCK_MONOTONIC, &ctl->started);
	unlink(path);
	old_mask = umask(0177);
	ctl->listener = evconnlistener_new_bind(
		vm->evbase, control_accept, ctl,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (!ctl->listener || !ctl->path) {
		int rc = errno ? -errno : -ENOMEM;

		log_err("control: cannot listen on %s: %s", path,
			strerror(-rc));
		control_free(ctl);
		return rc;
	}
	*out = ctl;
	return 0;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->conns)
		control_conn_free(ctl->conns);
	if (ctl->listener) {
		evconnlistener_free(ctl->listener);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}
