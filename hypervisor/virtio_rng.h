/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_RNG_H
#define KEEL_HV_VIRTIO_RNG_H

struct vm;
struct device;

/*
 * A virtio entropy device (virtio 1.2, 5.4) fed by the host's
 * getrandom(). On @vm's device list as "vrng0", "vrng1", ... Returns 0
 * and *@out (owned by the VM) or -errno.
 */
int virtio_rng_create(struct vm *vm, struct device **out);

#endif /* KEEL_HV_VIRTIO_RNG_H */
