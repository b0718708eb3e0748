// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control socket's methods that act on the guest's devices and
 * from outside it (man/keel-hv.8, CONTROL SOCKET): nmi, reset, sysrq,
 * dump-core (trigger.h, dump_core.h), iotune, and PCI hot-plug's
 * device-add, device-del and devices (hotplug.h). control.c's table
 * names them; each checks its params as the others do.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "control_internal.h"
#include "device.h"
#include "dump_core.h"
#include "hotplug.h"
#include "jsonrpc.h"
#include "keel.h"
#include "log.h"
#include "trigger.h"
#include "vm.h"

/* nmi {"vcpu": N}: an NMI into vCPU N (0 without params). */
int control_nmi(struct control *ctl, struct json_object *params,
		struct json_object **result, const char **msg)
{
	static const char *const allowed[] = { "vcpu", NULL };
	static char err[160];
	struct json_object *v = NULL;
	int64_t id = 0;
	int rc;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!control_params_only(params, allowed) ||
	    (params && json_object_object_get_ex(params, "vcpu", &v) &&
	     !json_object_is_type(v, json_type_int))) {
		*msg = "nmi takes {\"vcpu\": N}; without it, vCPU 0.";
		return JSONRPC_INVALID_PARAMS;
	}
	if (v)
		id = json_object_get_int64(v);
	rc = id < 0 || id >= (int64_t)ctl->vm->nr_vcpus ?
		     -ENOENT :
		     trigger_nmi(ctl->vm, (unsigned)id);
	if (rc == -ENOENT) {
		snprintf(err, sizeof(err),
			 "vcpu must be the number of one of the VM's vCPUs, 0 to %u.",
			 ctl->vm->nr_vcpus - 1);
		*msg = err;
		return JSONRPC_INVALID_PARAMS;
	}
	if (rc == -ESHUTDOWN) {
		*msg = "The VM is stopping; no NMI was sent.";
		return KEEL_E_INVALID_STATE;
	}
	if (rc) {
		snprintf(err, sizeof(err), "KVM refused the NMI: %s.",
			 strerror(-rc));
		*msg = err;
		return KEEL_E_OPERATION_FAILED;
	}
	*result = control_ok();
	return 0;
}

/* reset: end the VM as a guest-initiated reset does (keeld restarts it). */
int control_reset(struct control *ctl, struct json_object *params,
		  struct json_object **result, const char **msg)
{
	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	log_info("control: hard reset requested");
	vm_request_exit(ctl->vm, VM_EXIT_REBOOT);
	*result = control_ok();
	return 0;
}

/* sysrq {"key": "h"}: the console's magic SysRq (trigger.h). */
int control_sysrq(struct control *ctl, struct json_object *params,
		  struct json_object **result, const char **msg)
{
	static const char *const allowed[] = { "key", NULL };
	struct json_object *v;
	const char *key;
	int rc;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!params || !control_params_only(params, allowed) ||
	    !json_object_object_get_ex(params, "key", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strlen(key = json_object_get_string(v)) != 1 ||
	    !trigger_sysrq_key_valid(key[0])) {
		*msg = "sysrq takes {\"key\": K}, K one of 0-9 and a-z.";
		return JSONRPC_INVALID_PARAMS;
	}
	rc = trigger_sysrq(ctl->vm, key[0]);
	if (rc == -EAGAIN) {
		*msg = "The guest is not reading its serial port (its receive FIFO is full or off); no SysRq was sent.";
		return KEEL_E_INVALID_STATE;
	}
	if (rc) {
		*msg = "The guest's serial port is in loopback or missing; no SysRq was sent.";
		return KEEL_E_INVALID_STATE;
	}
	*result = control_ok();
	return 0;
}

/*
 * dump-core {"path": P} or {"pipe": F}: the guest's core into the new
 * file P, or as records into the FIFO F that keeld's writer reads
 * (dump_core.h). Also once the VM has stopped (--linger: a crashed
 * guest kept for this).
 */
int control_dump_core(struct control *ctl, struct json_object *params,
		      struct json_object **result, const char **msg)
{
	static const char *const allowed[] = { "path", "pipe", NULL };
	static char why[DUMP_CORE_WHY_MAX];
	struct json_object *path = NULL, *pipe = NULL, *o;
	int pause = ctl->stop_reason == VM_EXIT_NONE;
	uint64_t bytes = 0;
	int rc, fd, code;

	if (params && json_object_is_type(params, json_type_object)) {
		json_object_object_get_ex(params, "path", &path);
		json_object_object_get_ex(params, "pipe", &pipe);
	}
	if (!params || !control_params_only(params, allowed) ||
	    !path == !pipe ||
	    !json_object_is_type(path ? path : pipe, json_type_string)) {
		*msg = "dump-core takes {\"path\": \"/absolute/file\"} or {\"pipe\": \"/absolute/fifo\"}.";
		return JSONRPC_INVALID_PARAMS;
	}
	*msg = why;
	if (pipe) {
		fd = control_open_pipe(json_object_get_string(pipe), why,
				       sizeof(why), &code);
		if (fd < 0)
			return code;
		rc = dump_core_records(ctl->vm, fd, pause, &bytes, why);
		close(fd);
	} else {
		rc = dump_core_file(ctl->vm, json_object_get_string(path),
				    pause, &bytes, why);
	}
	if (rc == -EINVAL || rc == -EEXIST)
		return JSONRPC_INVALID_PARAMS;
	if (rc == -ESHUTDOWN)
		return KEEL_E_INVALID_STATE;
	if (rc)
		return KEEL_E_OPERATION_FAILED;
	o = json_object_new_object();
	json_object_object_add(o, path ? "path" : "pipe",
			       json_object_get(path ? path : pipe));
	json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
	*result = o;
	return 0;
}

/*
 * iotune {"device": ID, "limits": {KEY: N, ...}}: replace the I/O limits
 * of disk or NIC ID (absent keys: no limit); without "limits", only
 * report. The result is {"device": ID, "limits": every key's value}.
 */
int control_iotune(struct control *ctl, struct json_object *params,
		   struct json_object **result, const char **msg)
{
	static char err[300];
	struct json_object *v, *limits = NULL, *o;
	struct device *dev = NULL;
	enum iotune_kind kind;
	struct iotune cur, set = { 0 };

	if (!params || !json_object_is_type(params, json_type_object) ||
	    !json_object_object_get_ex(params, "device", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*msg = "iotune takes an object: {\"device\": \"vblk0\", \"limits\": {...}}.";
		return JSONRPC_INVALID_PARAMS;
	}
	json_object_object_foreach(params, key, val) {
		(void)val;
		if (strcmp(key, "device") && strcmp(key, "limits")) {
			*msg = "iotune takes only \"device\" and \"limits\".";
			return JSONRPC_INVALID_PARAMS;
		}
	}
	dev = vm_find_device(ctl->vm, json_object_get_string(v));
	if (!dev || !dev->ops->iotune) {
		*msg = "There is no disk or network interface of that name; use vblkN or vnetN as the stats method lists them.";
		return JSONRPC_INVALID_PARAMS;
	}
	dev->ops->iotune(dev, NULL, &cur, &kind);
	json_object_object_get_ex(params, "limits", &limits);
	if (limits) {
		if (iotune_from_json(kind, limits, &set, err, sizeof(err))) {
			*msg = err;
			return JSONRPC_INVALID_PARAMS;
		}
		dev->ops->iotune(dev, &set, &cur, &kind);
		log_info("control: %s: I/O limits set", dev->id);
	}
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(dev->id));
	json_object_object_add(o, "limits", iotune_to_json(kind, &cur, true));
	*result = o;
	return 0;
}

/*
 * device-add {"disk": "PATH[,ro]"} or {"net": "tap=NAME[,mac=MAC]"}:
 * plug a disk or NIC into a free PCI slot and tell the guest (hotplug.h).
 */
int control_device_add(struct control *ctl, struct json_object *params,
		       struct json_object **result, const char **msg)
{
	static char err[300];
	struct json_object *v = NULL, *o;
	const char *opt = NULL;
	struct device *dev;
	int rc;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!ctl->hotplug) {
		*msg = "This VM has no ACPI hot-plug device.";
		return KEEL_E_INVALID_STATE;
	}
	if (params && json_object_is_type(params, json_type_object) &&
	    json_object_object_length(params) == 1) {
		if (json_object_object_get_ex(params, "disk", &v))
			opt = HV_OPT_DISK;
		else if (json_object_object_get_ex(params, "net", &v))
			opt = HV_OPT_NET;
	}
	if (!opt || !json_object_is_type(v, json_type_string)) {
		*msg = "device-add takes an object: {\"disk\": \"PATH[,ro]\"} or {\"net\": \"tap=NAME[,mac=MAC]\"}.";
		return JSONRPC_INVALID_PARAMS;
	}
	rc = hotplug_add(ctl->hotplug, opt, json_object_get_string(v), &dev,
			 err, sizeof(err));
	if (rc) {
		*msg = err;
		return rc == -EINVAL ? JSONRPC_INVALID_PARAMS : KEEL_E_RESOURCE;
	}
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(dev->id));
	if (!hotplug_list(ctl->hotplug, &v)) {
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *d = json_object_array_get_idx(v, i);
			struct json_object *id, *slot;

			if (json_object_object_get_ex(d, "id", &id) &&
			    !strcmp(json_object_get_string(id), dev->id) &&
			    json_object_object_get_ex(d, "slot", &slot))
				json_object_object_add(o, "slot",
						       json_object_get(slot));
		}
		json_object_put(v);
	}
	*result = o;
	return 0;
}

/*
 * device-del {"device": ID}: ask the guest to give disk or NIC ID up.
 * The answer does not wait for the guest: HV_CTL_DEVICE_REMOVED says
 * when it is gone.
 */
int control_device_del(struct control *ctl, struct json_object *params,
		       struct json_object **result, const char **msg)
{
	static char err[300];
	struct json_object *v, *o;
	const char *id;

	if (control_stopped(ctl, msg))
		return KEEL_E_INVALID_STATE;
	if (!ctl->hotplug) {
		*msg = "This VM has no ACPI hot-plug device.";
		return KEEL_E_INVALID_STATE;
	}
	if (!params || !json_object_is_type(params, json_type_object) ||
	    json_object_object_length(params) != 1 ||
	    !json_object_object_get_ex(params, "device", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*msg = "device-del takes an object: {\"device\": \"vblk1\"}.";
		return JSONRPC_INVALID_PARAMS;
	}
	id = json_object_get_string(v);
	if (hotplug_remove(ctl->hotplug, id, err, sizeof(err))) {
		*msg = err;
		return JSONRPC_INVALID_PARAMS;
	}
	o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(id));
	json_object_object_add(o, "removing", json_object_new_boolean(true));
	*result = o;
	return 0;
}

/* devices: the disks and NICs, their slots, which are being removed. */
int control_devices(struct control *ctl, struct json_object *params,
		    struct json_object **result, const char **msg)
{
	struct json_object *list;

	if (!ctl->hotplug) {
		*msg = "This VM has no ACPI hot-plug device.";
		return KEEL_E_INVALID_STATE;
	}
	if (hotplug_list(ctl->hotplug, &list)) {
		*msg = "keel-hv ran out of memory.";
		return KEEL_E_RESOURCE;
	}
	*result = json_object_new_object();
	json_object_object_add(*result, "devices", list);
	return 0;
}

/* hotplug.c freed a device the guest ejected: tell the subscribers. */
void control_device_removed(void *opaque, const char *id)
{
	struct control *ctl = opaque;
	struct json_object *params = json_object_new_object(), *note;

	if (!params)
		return;
	json_object_object_add(params, "device", json_object_new_string(id));
	note = jsonrpc_request(HV_CTL_DEVICE_REMOVED, params, NULL);
	if (!note)
		return;
	for (struct control_conn *c = ctl->conns; c; c = c->next)
		if (c->subscribed)
			control_send(c, note);
	json_object_put(note);
}
