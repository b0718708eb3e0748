/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_NET_H
#define KEEL_HV_VIRTIO_NET_H

#include <stdint.h>

struct vm;
struct vm_config;
struct device;

/* The machine's NICs, cfg->nics in order. Returns 0 or -errno, logged. */
int virtio_net_add(struct vm *vm, const struct vm_config *cfg);

#endif /* KEEL_HV_VIRTIO_NET_H */
