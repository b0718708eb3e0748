// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's save method (lib/hv_proto.h, HV_CTL_SAVE;
 * man/keel-hv.8): pause the vCPUs, write the domain stream into a new
 * file, fsync it, then end the VM, leave it paused or let it run again.
 * The write runs on the I/O thread, which the event loop does not get
 * back until it is done: the vCPUs are paused and the devices do their
 * work on this thread, so nothing changes guest memory meanwhile
 * (docs/hypervisor.md, "Save and restore"). Subscribers hear of the
 * progress from here, written straight to their sockets.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control_internal.h"
#include "jsonrpc.h"
#include "keel.h"
#include "log.h"
#include "monotime.h"
#include "save.h"
#include "vm.h"
#include "vmm.h"

/* What the VM does once saved: save's "then". */
enum save_then {
	SAVE_THEN_STOP,
	SAVE_THEN_PAUSE,
	SAVE_THEN_RESUME,
};

static const char *const save_then_names[] = {
	[SAVE_THEN_STOP] = "stop",
	[SAVE_THEN_PAUSE] = "pause",
	[SAVE_THEN_RESUME] = "resume",
};

/* save's params, checked. */
struct save_params {
	const char *path;
	bool pipe; /* @path is a FIFO another process reads, not a new file */
	enum save_then then;
	struct json_object *config; /* borrowed from the request */
};

static int save_parse(struct json_object *params, struct save_params *p,
		      const char **msg)
{
	static const char *const allowed[] = { "path", "pipe", "then",
					       "config", NULL };
	struct json_object *path, *pipe, *then, *config;
	const char *s;
	size_t i;
	bool has_path, has_pipe;

	has_path = params && json_object_is_type(params, json_type_object) &&
		   json_object_object_get_ex(params, "path", &path);
	has_pipe = params && json_object_is_type(params, json_type_object) &&
		   json_object_object_get_ex(params, "pipe", &pipe);
	if (!params || !json_object_is_type(params, json_type_object) ||
	    !control_params_only(params, allowed) || has_path == has_pipe ||
	    !json_object_object_get_ex(params, "then", &then) ||
	    !json_object_object_get_ex(params, "config", &config)) {
		*msg = "save takes {\"path\": \"/absolute/new-file\" or \"pipe\": \"/absolute/fifo\", \"then\": \"stop\"|\"pause\"|\"resume\", \"config\": {...}}.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (has_pipe)
		path = pipe;
	if (!json_object_is_type(path, json_type_string) ||
	    json_object_get_string(path)[0] != '/') {
		*msg = "save's path or pipe must be an absolute file name.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (!json_object_is_type(config, json_type_object)) {
		*msg = "save's config must be the domain's configuration, an object.";
		return JSONRPC_INVALID_PARAMS;
	}
	s = json_object_is_type(then, json_type_string) ?
		    json_object_get_string(then) :
		    "";
	for (i = 0; i < sizeof(save_then_names) / sizeof(save_then_names[0]);
	     i++) {
		if (!strcmp(s, save_then_names[i]))
			break;
	}
	if (i == sizeof(save_then_names) / sizeof(save_then_names[0])) {
		*msg = "save's then must be \"stop\" (end the VM once saved), \"pause\" (leave it paused) or \"resume\" (run it as it was).";
		return JSONRPC_INVALID_PARAMS;
	}
	p->path = json_object_get_string(path);
	p->pipe = has_pipe;
	p->then = (enum save_then)i;
	p->config = config;
	return 0;
}

/*
 * Progress for the subscribers. The event loop will not run until the
 * save is done, so each notification is written to the socket now, as
 * far as the socket takes it without waiting; a client that does not
 * read gets the rest once the loop runs again.
 */
static void save_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct control *ctl = opaque;
	struct json_object *params = json_object_new_object(), *note;

	if (!params)
		return;
	json_object_object_add(params, "done", json_object_new_uint64(done));
	json_object_object_add(params, "total",
			       json_object_new_uint64(total));
	note = jsonrpc_request(HV_CTL_SAVE_PROGRESS, params, NULL);
	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next) {
		struct evbuffer *out;

		if (!c->subscribed)
			continue;
		control_send(c, note);
		out = bufferevent_get_output(c->bev);
		/* bufferevent_socket keeps its output's start frozen. */
		evbuffer_unfreeze(out, 1);
		while (evbuffer_get_length(out) > 0 &&
		       evbuffer_write(out, bufferevent_getfd(c->bev)) > 0)
			;
		evbuffer_freeze(out, 1);
	}
	json_object_put(note);
}

int control_open_pipe(const char *path, char *why, size_t why_max,
		      int *code)
{
	struct stat st;
	int fd, rc;

	/* Never wait in open(): a FIFO nobody reads is an error now. */
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		snprintf(why, why_max, "Cannot open the pipe %s: %s.", path,
			 rc == ENXIO ? "nothing reads it" : strerror(rc));
		*code = rc == ENOENT || rc == ENOTDIR ? JSONRPC_INVALID_PARAMS :
							KEEL_E_OPERATION_FAILED;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		snprintf(why, why_max, "%s is not a pipe (FIFO).", path);
		*code = JSONRPC_INVALID_PARAMS;
		close(fd);
		return -1;
	}
	/* The writer blocks, as the stream library wants. */
	rc = fcntl(fd, F_GETFL);
	if (rc < 0 || fcntl(fd, F_SETFL, rc & ~O_NONBLOCK) < 0) {
		snprintf(why, why_max, "Cannot set up the pipe %s: %s.", path,
			 strerror(errno));
		*code = KEEL_E_OPERATION_FAILED;
		close(fd);
		return -1;
	}
	return fd;
}

/* The new file @path; the descriptor, or -1 with @why and *@code. */
static int save_open_file(const struct save_params *p, char *why, int *code)
{
	int fd = open(p->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = errno;

	if (fd >= 0)
		return fd;
	snprintf(why, SAVE_WHY_MAX, "Cannot create %s: %s.", p->path,
		 strerror(rc));
	*code = rc == EEXIST || rc == ENOENT || rc == ENOTDIR ?
			JSONRPC_INVALID_PARAMS :
			KEEL_E_OPERATION_FAILED;
	return -1;
}

/*
 * The stream into the pipe, or into the new file @path, synced. Returns
 * 0 and the bytes, or a JSON-RPC error code with @why said and no file
 * of ours left behind (a pipe's reader syncs and removes its own).
 */
static int save_to_file(struct control *ctl, const struct save_params *p,
			uint64_t *bytes, char *why)
{
	int fd, rc, code = 0;

	fd = p->pipe ? control_open_pipe(p->path, why, SAVE_WHY_MAX, &code) :
		       save_open_file(p, why, &code);
	if (fd < 0)
		return code;
	rc = save_write(ctl->vm, fd, p->config, STREAM_ENC_LZ4, save_progress,
			ctl, bytes, why);
	if (p->pipe) {
		close(fd);
		return rc ? KEEL_E_OPERATION_FAILED : 0;
	}
	if (!rc && fsync(fd) < 0) {
		rc = -errno;
		snprintf(why, SAVE_WHY_MAX, "Cannot sync %s to its disk: %s.",
			 p->path, strerror(-rc));
	}
	if (close(fd) < 0 && !rc) {
		rc = -errno;
		snprintf(why, SAVE_WHY_MAX, "Cannot write %s: %s.", p->path,
			 strerror(-rc));
	}
	if (!rc)
		return 0;
	/* A partial stream is no save: nobody may restore from it. */
	if (unlink(p->path) < 0)
		log_warn("control: save: cannot remove the partial %s: %s",
			 p->path, strerror(errno));
	return KEEL_E_OPERATION_FAILED;
}

int control_save(struct control *ctl, struct json_object *params,
		 struct json_object **result, const char **msg)
{
	static char why[SAVE_WHY_MAX];
	struct save_params p;
	long long t0;
	struct json_object *o;
	uint64_t bytes = 0;
	bool was_paused;
	int code;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (ctl->migrate) {
		*msg = "A migration is under way; cancel it or let it end before saving.";
		return KEEL_E_INVALID_STATE;
	}
	code = save_parse(params, &p, msg);
	if (code)
		return code;
	t0 = monotime_ms();
	was_paused = vm_is_paused(ctl->vm);
	if (!was_paused && vm_pause(ctl->vm)) {
		*msg = "The VM is stopping and cannot be saved.";
		return KEEL_E_INVALID_STATE;
	}
	log_info("control: saving to %s, then %s", p.path,
		 save_then_names[p.then]);
	code = save_to_file(ctl, &p, &bytes, why);
	if (code) {
		log_err("control: save to %s failed: %s", p.path, why);
		if (!was_paused)
			vm_resume(ctl->vm);
		*msg = why;
		return code;
	}
	log_info("control: saved %llu bytes to %s in %lld ms",
		 (unsigned long long)bytes, p.path, monotime_ms() - t0);
	ctl->paused_end = p.then == SAVE_THEN_PAUSE ? VM_EXIT_SAVED :
						      VM_EXIT_NONE;
	if (p.then == SAVE_THEN_STOP)
		/* The answer is queued before the loop sees the exit. */
		vm_request_exit(ctl->vm, VM_EXIT_SAVED);
	else if (p.then == SAVE_THEN_RESUME && !was_paused)
		vm_resume(ctl->vm);
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(p.path));
	json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
	json_object_object_add(o, "ms",
			       json_object_new_int64(monotime_ms() - t0));
	*result = o;
	return 0;
}
