/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_BLK_H
#define KEEL_HV_VIRTIO_BLK_H

#include <stdbool.h>

struct vm;
struct device;

/*
 * A virtio block device (virtio 1.2, 5.2) over the raw image or block
 * device at @path, opened read-write, or read-only if @readonly (the
 * guest then sees VIRTIO_BLK_F_RO and writes fail with IOERR). Its
 * size in 512-byte sectors is the capacity (a partial last sector is
 * not visible). The serial number (GET_ID) is the last 20 bytes of the
 * file name. On @vm's device list as "vblk0", "vblk1", ... in creation
 * order. Returns 0 and *@out (owned by the VM) or -errno after logging
 * why.
 */
int virtio_blk_create(struct vm *vm, const char *path, bool readonly,
		      struct device **out);

#endif /* KEEL_HV_VIRTIO_BLK_H */
