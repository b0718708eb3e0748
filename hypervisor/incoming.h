/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_INCOMING_H
#define KEEL_HV_INCOMING_H

/*
 * keel-hv --incoming: the destination of a live migration
 * (docs/migration.md, "keel-hv: the destination"). On a thread of its
 * own, while the control socket answers "incoming": accept one TLS
 * connection on keeld's listening socket, check the token line, restore
 * the stream into the paused VM, answer DONE; then, on the I/O thread,
 * tell the subscribers (incoming-done) and wait for resume, after which
 * the guest's NICs announce it. Any failure ends keel-hv with status 1
 * and the sentence as the status file's detail.
 */

#include "control.h"
#include "hv_args.h"
#include "vm.h"

struct incoming;

/*
 * Read the token from --incoming-token's pipe (closed here), put the
 * control socket @ctl in its incoming state and start receiving on
 * --incoming's socket into @vm, whose vCPUs must be paused. @a's
 * strings are borrowed and must outlive the receiver. Returns 0 and the
 * receiver in *@out, or -errno after hv_error() said why.
 */
int incoming_start(struct vm *vm, struct control *ctl, struct hv_args *a,
		   struct incoming **out);

/*
 * Stop receiving, if still under way (the VM is ending), and free @in.
 * Call it before the VM is freed. NULL is fine.
 */
void incoming_free(struct incoming *in);

#endif /* KEEL_HV_INCOMING_H */
