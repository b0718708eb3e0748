/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_DEVICE_METHODS_H
#define KEEL_DAEMON_DEVICE_METHODS_H

#include <json-c/json.h>

struct domain_run;

/*
 * A notification from @run's keel-hv: on device-removed (the guest
 * ejected a disk or NIC that domain.block_detach or
 * domain.network_detach asked for) the device leaves the running
 * configuration, its state file and the definition, and the clients
 * waiting for it are answered. Other methods are not its business.
 */
void device_notified(struct domain_run *run, const char *method,
		     struct json_object *params);

#endif /* KEEL_DAEMON_DEVICE_METHODS_H */
