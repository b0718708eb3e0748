/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_CONTROL_H
#define KEEL_HV_CONTROL_H

#include <json-c/json.h>

#include "vm.h"

struct control;

/* Who the VM is, for status: keeld checks it before trusting a socket. */
struct control_ident {
	const char *uuid; /* lower case; NULL: not reported */
	const char *name; /* NULL: not reported */
};

/*
 * Listen for JSON-RPC 2.0 requests, one per line, on the UNIX socket
 * @path (created with mode 0600; an existing socket file is replaced) and
 * serve them on @vm's event loop. Methods: status, pause, resume, stop,
 * power-button, stats, balloon, subscribe, iotune, vcpus, vcpu-pin,
 * save and the rest man/keel-hv.8 lists (CONTROL SOCKET). @ident's
 * strings are borrowed and must outlive the server. Returns 0 and the
 * new server in *@out, or -errno.
 */
int control_new(struct vm *vm, const char *path,
		const struct control_ident *ident, struct control **out);

/*
 * The VM has stopped (vm_run() returned @reason; keel-hv will exit with
 * @status): from now on status reports "stopped" and the methods that
 * need a live VM answer KEEL_E_INVALID_STATE. Queues the "stopped"
 * notification, with @detail (a sentence, borrowed), for every client.
 * NULL @ctl is fine.
 */
void control_vm_stopped(struct control *ctl, enum vm_exit_reason reason,
			enum hv_exit status, const char *detail);

/*
 * An incoming migration is filling the VM (keel-hv --incoming): status
 * says "incoming", and the methods that act on the guest (pause, resume,
 * save...) answer KEEL_E_INVALID_STATE until control_incoming_done().
 */
void control_set_incoming(struct control *ctl);

/*
 * The incoming migration's stream was applied; the VM waits paused.
 * status says "paused" with reason "migrated" until the first resume,
 * which calls @resumed(@opaque) once the vCPUs run (the guest
 * announces itself). Subscribers get HV_CTL_INCOMING_DONE with @params
 * (taken). I/O thread only.
 */
void control_incoming_done(struct control *ctl, struct json_object *params,
			   void (*resumed)(void *opaque), void *opaque);

/*
 * Write what is still queued for the clients (replies, the stopped
 * notification) for up to a fraction of a second, close every connection
 * and remove the socket file. NULL is fine.
 */
void control_free(struct control *ctl);

#endif /* KEEL_HV_CONTROL_H */
