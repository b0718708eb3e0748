/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_STATE_H
#define KEEL_VIRT_STATE_H

#include "keel.h"

/*
 * libvirt's reason number (virDomainRunningReason, ...ShutoffReason, the
 * enum of @state) for keel's reason name @reason ("booted",
 * "destroyed": libvirt's names in lower case, keel.h). 0 (each enum's
 * UNKNOWN) for a name that state's enum does not have.
 */
int virt_state_reason(enum keel_domain_state state, const char *reason);

#endif /* KEEL_VIRT_STATE_H */
