/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_NIC_H
#define KEEL_DAEMON_NIC_H

/*
 * A domain's network interfaces on the host: the names of their taps,
 * their MAC addresses, and the bridges they join (man/keel.cfg.5,
 * NETWORK INTERFACES).
 */

#include <stddef.h>

#include <json-c/json.h>

/*
 * Give every NIC of @config (a live configuration, edited in place)
 * without a tap name one, keelID.N as xl's vifID.N, and without a MAC a
 * random one in Xen's 00:16:3e prefix, as xl does. The live
 * configuration records both, so a re-adopted domain keeps them.
 */
void nic_assign(struct json_object *config, int id);

/*
 * Give every NIC of @config (a live configuration) without a bridge
 * @bridge, keeld.conf's default_bridge, as xl puts such a vif on
 * xenbr0; nothing when @bridge is NULL. The live configuration records
 * it, as nic_assign()'s names.
 */
void nic_default_bridge(struct json_object *config, const char *bridge);

/*
 * Add every NIC of @config that names a bridge to it, and bring its tap
 * up (xl's vif-bridge); keel-hv must have opened the taps. Returns 0,
 * or -errno with the sentence in @why.
 */
int nic_attach_bridges(struct json_object *config, char *why, size_t size);

#endif /* KEEL_DAEMON_NIC_H */
