/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_RNG_H
#define KEEL_HV_VIRTIO_RNG_H

struct vm;
struct vm_config;
struct device;

/* The machine's rng, if @cfg asks for one (--rng). Returns 0 or -errno. */
int virtio_rng_add(struct vm *vm, const struct vm_config *cfg);

#endif /* KEEL_HV_VIRTIO_RNG_H */
