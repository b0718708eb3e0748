/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONTROL_INTERNAL_H
#define KEEL_HV_CONTROL_INTERNAL_H

/*
 * What the files of keel-hv's control socket share: control.c (the
 * server, connections, the method table and the run-control methods)
 * control_devices.c (the methods that act on the guest's devices and
 * from outside it), control_save.c (save) and control_migrate.c (live
 * migration, the source side). Nothing else includes
 * this.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <time.h>

#include "control.h"
#include "hv_proto.h"
#include "vm.h"

struct bufferevent;
struct evconnlistener;
struct event;
struct hotplug;

struct control {
	struct vm *vm;
	struct evconnlistener *listener;
	char *path;
	struct control_conn *conns;
	struct timespec started;
	struct control_ident ident;
	/* Set by control_vm_stopped(); VM_EXIT_NONE while the VM runs. */
	enum vm_exit_reason stop_reason;
	enum hv_exit stop_status;
	/* The connection whose request is being served (subscribe). */
	struct control_conn *caller;
	/* The balloon, if any: woken by the device, then a short timer. */
	struct device *balloon;
	struct event *balloon_changed, *balloon_timer;
	uint64_t sent_target, sent_actual; /* last notified, bytes */
	/* Disks and NICs plugged at run time; NULL without ACPI. */
	struct hotplug *hotplug;
	/*
	 * A save (VM_EXIT_SAVED) or a migration (VM_EXIT_MIGRATED) left
	 * the VM paused and nothing ran since: stop {"reason"} may end it
	 * so (the pipe's reader has the file; the destination said DONE).
	 * VM_EXIT_NONE otherwise; resume clears it.
	 */
	enum vm_exit_reason paused_end;
	/* The live migration under way, and the connection that began it. */
	struct migrate *migrate;
	struct control_conn *migrate_conn;
	/*
	 * An incoming migration (incoming.c) fills the VM: status says
	 * "incoming" and nothing that acts on the guest is served. Once
	 * it is done, "migrated" until the first resume, which calls
	 * resumed(resumed_opaque).
	 */
	bool incoming, migrated;
	void (*resumed)(void *opaque);
	void *resumed_opaque;
};

struct control_conn {
	struct control *ctl;
	struct bufferevent *bev;
	bool subscribed; /* wants balloon-changed */
	struct control_conn *next;
};

/*
 * A method: fills *@result (a new object) or returns an error code with
 * *@msg set to a sentence for the client. @params: the request's
 * object, or NULL; only methods marked so in the table get any.
 */
typedef int (*control_fn)(struct control *ctl, struct json_object *params,
			  struct json_object **result, const char **msg);

/* {"ok": true}, the result of a method with nothing else to say. */
struct json_object *control_ok(void);

/*
 * Once the VM has stopped (--linger), the methods that act on a running
 * guest answer KEEL_E_INVALID_STATE with the sentence this puts in
 * *@msg; false while the VM runs.
 */
bool control_stopped(struct control *ctl, const char **msg);

/*
 * Is @params an object with no member but those in @allowed (NULL
 * ended)? Absent params count as an empty object.
 */
bool control_params_only(struct json_object *params,
			 const char *const *allowed);

/*
 * The FIFO @path, which a writer outside this process (keeld's,
 * docs/stream.md "Saving") already reads, open for a blocking write:
 * the file's page cache is then not charged to this domain's memory
 * cgroup. Used by save and dump-core. The descriptor, or -1 with @why
 * (@why_max bytes) said and *@code the JSON-RPC error to answer.
 */
int control_open_pipe(const char *path, char *why, size_t why_max,
		      int *code);

/* Queue @msg (borrowed) as one line for the client @c. */
void control_send(struct control_conn *c, struct json_object *msg);

/*
 * The same, written to the socket before returning rather than when the
 * loop next runs, for a note that must not wait for the caller's work.
 */
void control_send_now(struct control_conn *c, struct json_object *msg);

/* control_devices.c: the methods, as control_fn. */
int control_nmi(struct control *ctl, struct json_object *params,
		struct json_object **result, const char **msg);
int control_reset(struct control *ctl, struct json_object *params,
		  struct json_object **result, const char **msg);
int control_sysrq(struct control *ctl, struct json_object *params,
		  struct json_object **result, const char **msg);
int control_dump_core(struct control *ctl, struct json_object *params,
		      struct json_object **result, const char **msg);
int control_iotune(struct control *ctl, struct json_object *params,
		   struct json_object **result, const char **msg);
int control_device_add(struct control *ctl, struct json_object *params,
		       struct json_object **result, const char **msg);
int control_device_del(struct control *ctl, struct json_object *params,
		       struct json_object **result, const char **msg);
int control_devices(struct control *ctl, struct json_object *params,
		    struct json_object **result, const char **msg);

/* control_save.c: save {"path", "then", "config"}. */
int control_save(struct control *ctl, struct json_object *params,
		 struct json_object **result, const char **msg);

/* control_migrate.c: migrate, migrate-set, migrate-cancel. */
int control_migrate(struct control *ctl, struct json_object *params,
		    struct json_object **result, const char **msg);
int control_migrate_set(struct control *ctl, struct json_object *params,
			struct json_object **result, const char **msg);
int control_migrate_cancel(struct control *ctl, struct json_object *params,
			   struct json_object **result, const char **msg);

/* Connection @c is going: if it began the migration, cancel that. */
void control_migrate_conn_closed(struct control *ctl,
				 struct control_conn *c);

/* hotplug.c freed a device the guest ejected: tell the subscribers. */
void control_device_removed(void *opaque, const char *id);

#endif /* KEEL_HV_CONTROL_INTERNAL_H */
