/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_NET_H
#define KEEL_HV_VIRTIO_NET_H

#include <stdint.h>

struct vm;
struct vm_config;
struct device;

/* The machine's NICs, cfg->nics in order. Returns 0 or -errno, logged. */
int virtio_net_add(struct vm *vm, const struct vm_config *cfg);

/*
 * After an incoming migration's resume: if @dev is a NIC whose driver
 * took VIRTIO_NET_F_GUEST_ANNOUNCE, set VIRTIO_NET_S_ANNOUNCE and raise
 * a configuration interrupt, so that the guest sends its gratuitous
 * ARPs from the new host; the control queue's ANNOUNCE_ACK clears it.
 * Any other device, or a driver without the feature: nothing. I/O
 * thread.
 */
void virtio_net_announce(struct device *dev);

#endif /* KEEL_HV_VIRTIO_NET_H */
