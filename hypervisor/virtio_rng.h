/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_RNG_H
#define KEEL_HV_VIRTIO_RNG_H

struct vm;
struct vm_config;
struct device;

/*
 * A virtio entropy device (virtio 1.2, 5.4) fed by the host's
 * getrandom(). On @vm's device list as "vrng0", "vrng1", ... Returns 0
 * and *@out (owned by the VM; @out may be NULL) or -errno.
 */
int virtio_rng_new(struct vm *vm, struct device **out);

/* The machine's rng, if @cfg asks for one (--rng). Returns 0 or -errno. */
int virtio_rng_add(struct vm *vm, const struct vm_config *cfg);

#endif /* KEEL_HV_VIRTIO_RNG_H */
