// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's control socket: the private channel keeld uses to drive one
 * VM (DESIGN.md, "keeld <-> keel-hv"). JSON-RPC 2.0, one request per
 * line, on the I/O thread's event loop. A client that sends garbage gets
 * an error and keeps its connection; one that sends a line longer than
 * JSONRPC_MAX_LINE (jsonrpc_frame.h), or stops reading its replies, is
 * disconnected. Nothing a client sends can stop the VM except the stop
 * method.
 *
 * When the VM stops, every client gets a "stopped" notification. With
 * --linger the server then goes on answering (status says "stopped")
 * until stop ends the process.
 *
 * A client that called subscribe also gets "balloon-changed" whenever
 * the balloon's target or the guest's `actual` moves, at most every
 * CONTROL_BALLOON_MS: keeld keeps the domain's current memory from
 * these, so that listing domains never waits for a keel-hv
 * (docs/memory.md).
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "control.h"
#include "control_internal.h"
#include "device.h"
#include "hotplug.h"
#include "hv_error.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "jsonrpc_frame_ev.h"
#include "log.h"
#include "migrate_send.h"
#include "monotime.h"
#include "vcpu_affinity.h"
#include "virtio_balloon.h"
#include "vm.h"
#include "vmm.h"

#define CONTROL_MAX_OUTPUT (1024 * 1024)
/*
 * How long, in all, the last replies and the stopped notification may
 * hold up keel-hv's exit: enough for a client that is reading, not long
 * enough for one that is not to matter.
 */
#define CONTROL_FLUSH_MS 250
/*
 * The guest's driver moves `actual` a MiB at a time: subscribers hear
 * of it at most this often (the last value always comes).
 */
#define CONTROL_BALLOON_MS 100

struct json_object *control_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

/*
 * Once the VM has stopped (--linger), the methods that act on a running
 * guest answer KEEL_E_INVALID_STATE with this.
 */
bool control_stopped(struct control *ctl, const char **msg)
{
	if (ctl->incoming && ctl->stop_reason == VM_EXIT_NONE) {
		*msg = "An incoming migration is still filling the VM; wait for incoming-done.";
		return true;
	}
	if (ctl->stop_reason == VM_EXIT_NONE)
		return false;
	*msg = "The VM has stopped; only status, stats, dump-core and stop are served.";
	return true;
}

static const char *control_state(struct control *ctl)
{
	if (ctl->stop_reason != VM_EXIT_NONE)
		return "stopped";
	if (ctl->incoming)
		return "incoming";
	return vm_is_paused(ctl->vm) ? "paused" : "running";
}

/* {target_mib, actual_mib} of the balloon: what keeld reads. */
static struct json_object *control_balloon_object(struct control *ctl)
{
	struct json_object *o = json_object_new_object();
	uint64_t target, actual;

	virtio_balloon_get(ctl->balloon, &target, &actual);
	json_object_object_add(o, "target_mib",
			       json_object_new_int64((int64_t)(target >> 20)));
	json_object_object_add(o, "actual_mib",
			       json_object_new_int64((int64_t)(actual >> 20)));
	return o;
}

/*
 * status's memory members, in bytes: "maxmem" the guest's RAM (what
 * keel-hv was started with, fixed until it exits), "memory" what the
 * guest has of it now (the balloon's actual size, or all of the RAM
 * without a balloon), and with a balloon "balloon": its target and
 * actual in MiB.
 */
static void control_add_memory(struct control *ctl, struct json_object *o)
{
	uint64_t ram = ctl->vm->ram_size, target, actual = ram;

	if (ctl->balloon)
		virtio_balloon_get(ctl->balloon, &target, &actual);
	json_object_object_add(o, "memory", json_object_new_uint64(actual));
	json_object_object_add(o, "maxmem", json_object_new_uint64(ram));
	if (ctl->balloon)
		json_object_object_add(o, "balloon",
				       control_balloon_object(ctl));
}

/*
 * "vcpus": the vCPUs the guest has (present, in ACPI's words) and
 * "maxvcpus": the most it can have; "vcpus_target" too while a
 * vcpu-set waits for the guest to eject some.
 */
static void control_add_vcpus(struct control *ctl, struct json_object *o)
{
	struct device *pm = vm_find_device(ctl->vm, "acpi_pm");
	unsigned online = ctl->vm->nr_vcpus, target = online;
	unsigned max = online;

	if (pm)
		acpi_pm_cpu_count(pm, &online, &target, &max);
	json_object_object_add(o, "vcpus", json_object_new_int((int)online));
	json_object_object_add(o, "maxvcpus", json_object_new_int((int)max));
	if (target != online)
		json_object_object_add(o, "vcpus_target",
				       json_object_new_int((int)target));
}

static int control_status(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	struct json_object *o = json_object_new_object(), *threads;
	struct timespec now;
	double up;

	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (double)(now.tv_sec - ctl->started.tv_sec) +
	     (double)(now.tv_nsec - ctl->started.tv_nsec) / 1e9;
	json_object_object_add(o, "state",
			       json_object_new_string(control_state(ctl)));
	if (ctl->stop_reason != VM_EXIT_NONE) {
		json_object_object_add(o, HV_STATUS_REASON,
				       json_object_new_string(
					       vm_exit_reason_name(
						       ctl->stop_reason)));
		json_object_object_add(o, HV_STATUS_STATUS,
				       json_object_new_int(ctl->stop_status));
	} else if (ctl->migrated && vm_is_paused(ctl->vm)) {
		json_object_object_add(o, HV_STATUS_REASON,
				       json_object_new_string("migrated"));
	}
	if (ctl->ident.uuid)
		json_object_object_add(
			o, "uuid", json_object_new_string(ctl->ident.uuid));
	if (ctl->ident.name)
		json_object_object_add(
			o, "name", json_object_new_string(ctl->ident.name));
	control_add_vcpus(ctl, o);
	control_add_memory(ctl, o);
	json_object_object_add(o, "uptime", json_object_new_double(up));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	/* The vCPU threads, so that keeld can see and check each one. */
	if (!vm_vcpus_info(ctl->vm, vm_is_paused(ctl->vm), &threads))
		json_object_object_add(o, "vcpu_threads", threads);
	*result = o;
	return 0;
}

static int control_pause(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (vm_is_paused(ctl->vm)) {
		*msg = "The VM is already paused.";
		return KEEL_E_INVALID_STATE;
	}
	if (vm_pause(ctl->vm)) {
		*msg = "The VM is stopping and cannot be paused.";
		return KEEL_E_INVALID_STATE;
	}
	*result = control_ok();
	return 0;
}

static int control_resume(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!vm_is_paused(ctl->vm)) {
		*msg = "The VM is not paused.";
		return KEEL_E_INVALID_STATE;
	}
	vm_resume(ctl->vm);
	ctl->paused_end = VM_EXIT_NONE;
	if (ctl->migrated) {
		ctl->migrated = false;
		if (ctl->resumed)
			ctl->resumed(ctl->resumed_opaque);
	}
	*result = control_ok();
	return 0;
}

/*
 * stop: a hard stop. {"reason": "saved"} or {"reason": "migrated"} ends
 * the VM so instead, allowed only while the pause a save or a migration
 * left holds (ctl->paused_end): the caller has the stream safe (a save
 * onto a pipe, whose reader wrote the file; a destination that said
 * DONE and was committed) and says so.
 */
static int control_stop(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	static const char *const allowed[] = { "reason", NULL };
	struct json_object *v;
	enum vm_exit_reason reason;

	if (params && (!json_object_is_type(params, json_type_object) ||
		       json_object_object_length(params))) {
		const char *s = NULL;

		if (control_params_only(params, allowed) &&
		    json_object_object_get_ex(params, "reason", &v) &&
		    json_object_is_type(v, json_type_string))
			s = json_object_get_string(v);
		if (s && !strcmp(s, HV_REASON_SAVED)) {
			reason = VM_EXIT_SAVED;
		} else if (s && !strcmp(s, HV_REASON_MIGRATED)) {
			reason = VM_EXIT_MIGRATED;
		} else {
			*msg = "stop takes no params, or {\"reason\": \"saved\"} after a save, or {\"reason\": \"migrated\"} after a migration.";
			return JSONRPC_INVALID_PARAMS;
		}
		if (ctl->paused_end != reason ||
		    ctl->stop_reason != VM_EXIT_NONE) {
			*msg = reason == VM_EXIT_SAVED ?
				       "The VM was not saved and left paused since; it cannot end as saved." :
				       "The VM has not migrated (the destination said DONE) and stayed paused since; it cannot end as migrated.";
			return KEEL_E_INVALID_STATE;
		}
		log_info("control: the VM ends as %s",
			 vm_exit_reason_name(reason));
		vm_request_exit(ctl->vm, reason);
		*result = control_ok();
		return 0;
	}
	/* Once the VM has stopped this only ends the process (--linger). */
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

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!pm) {
		*msg = "This VM has no ACPI power button.";
		return KEEL_E_INVALID_STATE;
	}
	acpi_pm_power_button(pm);
	*result = control_ok();
	return 0;
}

/*
 * Is @params an object with no member but those in @allowed (NULL
 * ended)? Absent params count as an empty object.
 */
bool control_params_only(struct json_object *params,
			 const char *const *allowed)
{
	if (!params)
		return true;
	if (!json_object_is_type(params, json_type_object))
		return false;
	json_object_object_foreach(params, key, val) {
		size_t i;

		(void)val;
		for (i = 0; allowed[i] && strcmp(key, allowed[i]); i++)
			;
		if (!allowed[i])
			return false;
	}
	return true;
}

static int control_stats(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg)
{
	struct json_object *o = json_object_new_object();

	if (vm_stats(ctl->vm, o)) {
		json_object_put(o);
		*msg = "Cannot collect the statistics.";
		return KEEL_E_INVALID_STATE;
	}
	*result = o;
	return 0;
}

static void control_balloon_moved(struct control *ctl);

/*
 * balloon {"target_mib": N}: ask the guest to shrink to (or grow back
 * to) N MiB; without params, only report. Either way the result is the
 * current target and what the guest says it has given back.
 */
static int control_balloon(struct control *ctl, struct json_object *params,
			   struct json_object **result, const char **msg)
{
	struct device *dev = ctl->balloon;
	struct json_object *v;
	int64_t mib;

	if (!dev) {
		*msg = "This VM has no balloon device (keel-hv --balloon or --maxmem).";
		return KEEL_E_INVALID_STATE;
	}
	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (params && !json_object_is_type(params, json_type_object)) {
		*msg = "balloon takes an object: {\"target_mib\": N}.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (params) {
		json_object_object_foreach(params, key, val) {
			(void)val;
			if (strcmp(key, "target_mib")) {
				*msg = "balloon takes only \"target_mib\".";
				return JSONRPC_INVALID_PARAMS;
			}
		}
	}
	if (params && json_object_object_get_ex(params, "target_mib", &v)) {
		mib = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || mib < 1 ||
		    (uint64_t)mib > (ctl->vm->ram_size >> 20)) {
			*msg = "target_mib must be an integer from 1 to the VM's memory in MiB.";
			return JSONRPC_INVALID_PARAMS;
		}
		virtio_balloon_set_target(dev, (uint64_t)mib << 20);
		control_balloon_moved(ctl);
	}
	*result = control_balloon_object(ctl);
	return 0;
}

/*
 * subscribe: this connection gets "balloon-changed" notifications from
 * now on. The result says what there is to hear about now: "balloon"
 * as in status, when the VM has one.
 */
static int control_subscribe(struct control *ctl, struct json_object *params,
			     struct json_object **result, const char **msg)
{
	struct json_object *o = json_object_new_object();

	ctl->caller->subscribed = true;
	if (ctl->balloon)
		json_object_object_add(o, "balloon",
				       control_balloon_object(ctl));
	*result = o;
	return 0;
}

/*
 * vcpu-set {"online": N}: plug or unplug vCPUs through ACPI until N are
 * online (acpi_pm_cpu_set() says in which order). Plugging is done when
 * this answers; an unplug waits for the guest's eject, so the result
 * gives both what is online now and the target.
 */
static int control_vcpu_set(struct control *ctl, struct json_object *params,
			    struct json_object **result, const char **msg)
{
	struct device *pm = vm_find_device(ctl->vm, "acpi_pm");
	struct json_object *v, *o;
	int64_t n;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!pm) {
		*msg = "This VM has no ACPI hot-plug device.";
		return KEEL_E_INVALID_STATE;
	}
	if (!params || !json_object_is_type(params, json_type_object) ||
	    json_object_object_length(params) != 1 ||
	    !json_object_object_get_ex(params, "online", &v) ||
	    !json_object_is_type(v, json_type_int)) {
		*msg = "vcpu-set takes an object: {\"online\": N}.";
		return JSONRPC_INVALID_PARAMS;
	}
	n = json_object_get_int64(v);
	if (n < 1 || n > (int64_t)ctl->vm->nr_vcpus) {
		*msg = "online must be from 1 to the VM's maximum vCPUs.";
		return JSONRPC_INVALID_PARAMS;
	}
	acpi_pm_cpu_set(pm, (unsigned)n);
	o = json_object_new_object();
	control_add_vcpus(ctl, o);
	json_object_object_add(o, "vcpus_target",
			       json_object_new_int((int)n));
	*result = o;
	return 0;
}

/* vcpus: each vCPU's thread (vcpu_affinity.h, vm_vcpus_info()). */
static int control_vcpus(struct control *ctl, struct json_object *params,
			 struct json_object **result, const char **msg)
{
	struct json_object *list;

	if (vm_vcpus_info(ctl->vm, vm_is_paused(ctl->vm), &list)) {
		*msg = "keel-hv ran out of memory.";
		return KEEL_E_RESOURCE;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "vcpus", list);
	return 0;
}

/*
 * vcpu-pin {"vcpu": N, "cpus": "CPULIST"}: vCPU N's thread (every
 * vCPU's without "vcpu") may run only on CPULIST's host CPUs from now
 * on. keeld checks first; keel-hv checks again against what it may use.
 */
static int control_vcpu_pin(struct control *ctl, struct json_object *params,
			    struct json_object **result, const char **msg)
{
	static char err[CPUMAP_ERR_MAX];
	struct json_object *vcpu = NULL, *cpus = NULL;
	struct cpumap host, m;
	int64_t id = -1;
	int rc;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!params || !json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "cpus", &cpus) ||
	    !json_object_is_type(cpus, json_type_string) ||
	    json_object_object_length(params) >
		    1 + json_object_object_get_ex(params, "vcpu", &vcpu)) {
		*msg = "vcpu-pin takes {\"vcpu\": N, \"cpus\": \"CPULIST\"}; without vcpu it pins every vCPU.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (vcpu) {
		id = json_object_get_int64(vcpu);
		if (!json_object_is_type(vcpu, json_type_int) || id < 0 ||
		    id >= KEEL_VCPUS_MAX || !ctl->vm->vcpus[id]) {
			snprintf(err, sizeof(err),
				 "vcpu must be the number of one of the VM's vCPUs, 0 to %u.",
				 ctl->vm->nr_vcpus - 1);
			*msg = err;
			return JSONRPC_INVALID_PARAMS;
		}
	}
	if (cpumap_host(&host)) {
		*msg = "keel-hv cannot read the host CPUs it may use.";
		return KEEL_E_OPERATION_FAILED;
	}
	if (cpumap_parse(json_object_get_string(cpus), &host, &m, err)) {
		*msg = err;
		return JSONRPC_INVALID_PARAMS;
	}
	rc = vm_vcpu_pin(ctl->vm, (int)id, &m, err, msg);
	if (rc)
		return rc == -EINVAL || rc == -ENOENT ? JSONRPC_INVALID_PARAMS :
							KEEL_E_OPERATION_FAILED;
	*result = control_ok();
	return 0;
}

/* The method table; only methods marked takes_params get any. */
static const struct {
	const char *method;
	control_fn fn;
	bool takes_params;
} control_methods[] = {
	{ HV_CTL_STATUS, control_status, false },
	{ HV_CTL_PAUSE, control_pause, false },
	{ HV_CTL_RESUME, control_resume, false },
	{ HV_CTL_STOP, control_stop, true },
	{ HV_CTL_POWER_BUTTON, control_power_button, false },
	{ HV_CTL_NMI, control_nmi, true },
	{ HV_CTL_RESET, control_reset, false },
	{ HV_CTL_SYSRQ, control_sysrq, true },
	{ HV_CTL_DUMP_CORE, control_dump_core, true },
	{ HV_CTL_STATS, control_stats, false },
	{ HV_CTL_BALLOON, control_balloon, true },
	{ HV_CTL_SUBSCRIBE, control_subscribe, false },
	{ HV_CTL_IOTUNE, control_iotune, true },
	{ HV_CTL_VCPUS, control_vcpus, false },
	{ HV_CTL_VCPU_PIN, control_vcpu_pin, true },
	{ HV_CTL_VCPU_SET, control_vcpu_set, true },
	{ HV_CTL_DEVICE_ADD, control_device_add, true },
	{ HV_CTL_DEVICE_DEL, control_device_del, true },
	{ HV_CTL_DEVICES, control_devices, false },
	{ HV_CTL_SAVE, control_save, true },
	{ HV_CTL_MIGRATE, control_migrate, true },
	{ HV_CTL_MIGRATE_SET, control_migrate_set, true },
	{ HV_CTL_MIGRATE_CANCEL, control_migrate_cancel, false },
};

void control_set_incoming(struct control *ctl)
{
	ctl->incoming = true;
}

void control_incoming_done(struct control *ctl, struct json_object *params,
			   void (*resumed)(void *opaque), void *opaque)
{
	struct json_object *note;

	ctl->incoming = false;
	ctl->migrated = true;
	ctl->resumed = resumed;
	ctl->resumed_opaque = opaque;
	note = jsonrpc_request(HV_CTL_INCOMING_DONE, params, NULL);
	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next)
		if (c->subscribed)
			control_send(c, note);
	json_object_put(note);
}

void control_send(struct control_conn *c, struct json_object *msg)
{
	size_t len;
	char *line = jsonrpc_to_line(msg, &len);

	if (line)
		evbuffer_add(bufferevent_get_output(c->bev), line, len);
	free(line);
}

void control_send_now(struct control_conn *c, struct json_object *msg)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	control_send(c, msg);
	/* Non-blocking: what the socket does not take, the loop sends. */
	if (evbuffer_write(out, bufferevent_getfd(c->bev)) < 0)
		log_debug("control: %s", strerror(errno));
}

/* Tell the subscribers where the balloon is, if that changed. */
static void control_balloon_notify(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct json_object *note;
	uint64_t target, actual;

	virtio_balloon_get(ctl->balloon, &target, &actual);
	if (target == ctl->sent_target && actual == ctl->sent_actual)
		return;
	ctl->sent_target = target;
	ctl->sent_actual = actual;
	note = jsonrpc_request(HV_CTL_BALLOON_CHANGED,
			       control_balloon_object(ctl), NULL);
	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next)
		if (c->subscribed)
			control_send(c, note);
	json_object_put(note);
}

/*
 * The balloon moved (the device woke us, or a client set its target):
 * notify once CONTROL_BALLOON_MS have passed, so that a guest moving a
 * MiB at a time costs a few notifications a second, not hundreds.
 */
static void control_balloon_moved(struct control *ctl)
{
	struct timeval tv = { 0, CONTROL_BALLOON_MS * 1000 };

	if (ctl->balloon_timer && !evtimer_pending(ctl->balloon_timer, NULL))
		evtimer_add(ctl->balloon_timer, &tv);
}

static void control_balloon_woken(evutil_socket_t fd, short what, void *arg)
{
	control_balloon_moved(arg);
}

/*
 * Watch the VM's balloon, if it has one. Without these events
 * (out of memory) subscribers hear nothing, and keeld falls back to
 * the target it set; nothing else depends on them.
 */
static void control_balloon_init(struct control *ctl)
{
	ctl->balloon = vm_find_device(ctl->vm, "vballoon0");
	if (!ctl->balloon)
		return;
	/* Nothing was sent yet: the first change is news. */
	virtio_balloon_get(ctl->balloon, &ctl->sent_target,
			   &ctl->sent_actual);
	ctl->balloon_timer = evtimer_new(ctl->vm->evbase,
					 control_balloon_notify, ctl);
	ctl->balloon_changed = event_new(ctl->vm->evbase, -1, 0,
					 control_balloon_woken, ctl);
	if (!ctl->balloon_timer || !ctl->balloon_changed) {
		log_warn("control: out of memory; balloon changes are not notified");
		return;
	}
	virtio_balloon_watch(ctl->balloon, ctl->balloon_changed);
}

static bool control_no_params(struct json_object *params)
{
	return !params ||
	       (json_object_is_type(params, json_type_object) &&
		json_object_object_length(params) == 0) ||
	       (json_object_is_type(params, json_type_array) &&
		json_object_array_length(params) == 0);
}

/* One request, already checked by jsonrpc_dispatch_line(): its response. */
static struct json_object *control_handle(void *arg,
					  const struct jsonrpc_req *req)
{
	struct control *ctl = arg;
	struct json_object *result = NULL;
	const char *msg = NULL;

	for (size_t i = 0; i < sizeof(control_methods) /
				       sizeof(control_methods[0]);
	     i++) {
		int code;

		if (strcmp(req->method, control_methods[i].method))
			continue;
		if (!control_methods[i].takes_params &&
		    !control_no_params(req->params))
			return jsonrpc_error(req->id, JSONRPC_INVALID_PARAMS,
					     "This method takes no parameters.",
					     NULL);
		code = control_methods[i].fn(ctl, req->params, &result, &msg);
		if (code)
			return jsonrpc_error(req->id, code, msg, NULL);
		return jsonrpc_result(req->id, result);
	}
	return jsonrpc_error(req->id, JSONRPC_METHOD_NOT_FOUND,
			     "No such method.", NULL);
}

static void control_conn_free(struct control_conn *c)
{
	struct control_conn **pp;

	control_migrate_conn_closed(c->ctl, c);
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
	struct json_object *resp;

	c->ctl->caller = c;
	resp = jsonrpc_dispatch_line(line, len, control_handle, c->ctl);
	c->ctl->caller = NULL;
	if (resp)
		control_send(c, resp);
	json_object_put(resp);
}

static void control_event(struct bufferevent *bev, short what, void *arg);

/* Told why it is closed, and that was written: close it. */
static void control_flushed(struct bufferevent *bev, void *arg)
{
	control_conn_free(arg);
}

/*
 * Answer every whole line the client sent. A line over JSONRPC_MAX_LINE
 * is answered KEEL_E_TOO_LARGE and the connection closed once that is
 * written, as keeld does (jsonrpc_frame.h); a client that stops reading
 * its replies is dropped.
 */
static void control_read(struct bufferevent *bev, void *arg)
{
	struct control_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct json_object *e;
	const char *line;
	ssize_t n;

	while ((n = jsonrpc_frame_next_ev(NULL, in)) > 0) {
		line = (const char *)evbuffer_pullup(in, n);
		/* An empty line is no request: skipped, as it always was. */
		if (line && n > 1)
			control_line(c, line, (size_t)n);
		evbuffer_drain(in, (size_t)n);
	}
	if (n < 0) {
		log_warn("control: closing a client that sent a line longer than %d bytes",
			 JSONRPC_MAX_LINE);
		e = jsonrpc_frame_too_large();
		if (e)
			control_send(c, e);
		json_object_put(e);
		if (!evbuffer_get_length(bufferevent_get_output(bev))) {
			control_conn_free(c);
			return;
		}
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
		bufferevent_setcb(bev, NULL, control_flushed, control_event,
				  c);
		bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
		return;
	}
	if (evbuffer_get_length(bufferevent_get_output(bev)) >
	    CONTROL_MAX_OUTPUT) {
		log_warn("control: dropping a client that stopped reading its replies");
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

int control_new(struct vm *vm, const char *path,
		const struct control_ident *ident, struct control **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *ctl;
	mode_t old_mask;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		hv_error("control: socket path %s is too long.", path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->vm = vm;
	ctl->ident = *ident;
	ctl->stop_reason = VM_EXIT_NONE;
	ctl->paused_end = VM_EXIT_NONE;
	ctl->path = strdup(path);
	clock_gettime(CLOCK_MONOTONIC, &ctl->started);
	control_balloon_init(ctl);
	/* No ACPI device (-ENODEV): no hot-plug, and its methods say so. */
	if (hotplug_new(vm, control_device_removed, ctl, &ctl->hotplug) ==
	    -ENOMEM)
		log_warn("control: no memory for PCI hot-plug; it is off");
	unlink(path);
	old_mask = umask(0177);
	ctl->listener = evconnlistener_new_bind(
		vm->evbase, control_accept, ctl,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
		(struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (!ctl->listener || !ctl->path) {
		int rc = errno ? -errno : -ENOMEM;

		hv_error("control: cannot listen on %s: %s", path,
			 strerror(-rc));
		control_free(ctl);
		return rc;
	}
	*out = ctl;
	return 0;
}

void control_vm_stopped(struct control *ctl, enum vm_exit_reason reason,
			enum hv_exit status, const char *detail)
{
	struct json_object *params, *note;

	if (!ctl)
		return;
	ctl->stop_reason = reason;
	ctl->stop_status = status;
	params = json_object_new_object();
	if (!params)
		return;
	json_object_object_add(params, HV_STATUS_REASON,
			       json_object_new_string(
				       vm_exit_reason_name(reason)));
	json_object_object_add(params, HV_STATUS_STATUS,
			       json_object_new_int(status));
	json_object_object_add(params, HV_STATUS_DETAIL,
			       json_object_new_string(detail));
	note = jsonrpc_request(HV_CTL_STOPPED, params, NULL);
	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next)
		control_send(c, note);
	json_object_put(note);
}

/*
 * The event loop will not run again: write each client's queued output
 * straight to its socket, waiting for room until a shared deadline.
 */
static void control_flush(struct control *ctl)
{
	long long deadline = monotime_ms() + CONTROL_FLUSH_MS;

	for (struct control_conn *c = ctl->conns; c; c = c->next) {
		struct evbuffer *out = bufferevent_get_output(c->bev);
		struct pollfd pfd = { .fd = bufferevent_getfd(c->bev),
				      .events = POLLOUT };

		/* A bufferevent drains its output only in its own callback. */
		evbuffer_unfreeze(out, 1);
		while (evbuffer_get_length(out) > 0) {
			long long left;
			int n = evbuffer_write(out, pfd.fd);

			if (n > 0)
				continue;
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				break;
			left = deadline - monotime_ms();
			if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
				break;
		}
	}
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	/* A migration still under way is cancelled and joined first. */
	migrate_free(ctl->migrate);
	ctl->migrate = NULL;
	control_flush(ctl);
	while (ctl->conns)
		control_conn_free(ctl->conns);
	hotplug_free(ctl->hotplug);
	if (ctl->balloon)
		virtio_balloon_watch(ctl->balloon, NULL);
	if (ctl->balloon_changed)
		event_free(ctl->balloon_changed);
	if (ctl->balloon_timer)
		event_free(ctl->balloon_timer);
	if (ctl->listener) {
		evconnlistener_free(ctl->listener);
		unlink(ctl->path);
	}
	free(ctl->path);
	free(ctl);
}
