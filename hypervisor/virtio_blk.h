/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_BLK_H
#define KEEL_HV_VIRTIO_BLK_H

#include <stdbool.h>
#include <sys/types.h>

struct vm;
struct vm_config;
struct device;

/*
 * A disk image as keel-hv holds it: a raw file or block device open with
 * the access the disk needs (read-write, or read-only if @readonly),
 * close-on-exec, and after vblk_image_lock() locked against other users
 * for as long as its open file description lives. Initialise with
 * vblk_image_init(); vblk_image_dispose() closes it.
 */
struct vblk_image {
	int fd; /* -1: none */
	bool readonly;
	/*
	 * The disk's name: the path as given, or where the descriptor's
	 * /proc/self/fd link points. The serial number and log lines come
	 * from it.
	 */
	char *path;
	/* For messages: @path, or "descriptor N (@path)". */
	char *what;
	/* Which file: st_dev and st_ino, or st_rdev and 0 for a device. */
	dev_t dev;
	ino_t ino;
};

void vblk_image_init(struct vblk_image *img);

/* Close the image (its lock goes with it) and free its names. Idempotent. */
void vblk_image_dispose(struct vblk_image *img);

/*
 * Open the image at @path read-write, or read-only if @readonly, and
 * check that it is a regular file or a block device. Not locked yet.
 * Returns 0, or -errno after logging a sentence that names @path; @img
 * is then disposed of.
 */
int vblk_image_open(struct vblk_image *img, const char *path, bool readonly);

/*
 * Take over the inherited descriptor @fd as a disk image: it must be
 * open, a regular file or block device, open read-write (without
 * O_APPEND) for a writable disk or readable for a read-only one. Its
 * name comes from readlink("/proc/self/fd/@fd"). On success @img owns
 * @fd and has made it close-on-exec; on failure (-EBADF, -EINVAL,
 * -EACCES, -ENOMEM, logged) @fd is left as it was, the caller's.
 */
int vblk_image_adopt(struct vblk_image *img, int fd, bool readonly);

/*
 * Take an OFD lock on the whole image (fcntl F_OFD_SETLK): a write lock
 * for a writable image, a read lock for a read-only one, so that
 * readers share an image and a writer has it to itself. An open file
 * description that holds the lock already (a caller that locked before
 * passing the descriptor) gets it again. Returns 0, -EBUSY if another
 * open file description holds a conflicting lock, or -errno if the file
 * cannot be locked at all; either is logged with the image's name.
 */
int vblk_image_lock(struct vblk_image *img);

/* vblk_image_lock() that says nothing when another holds the lock. */
int vblk_image_try_lock(struct vblk_image *img);

/* True if @a and @b are the same file or block device. */
bool vblk_image_same(const struct vblk_image *a, const struct vblk_image *b);

/*
 * A virtio block device (virtio 1.2, 5.2) over a raw image or block
 * device, read-write, or read-only if @readonly (the guest then sees
 * VIRTIO_BLK_F_RO and writes fail with IOERR). If @fd >= 0 it is an
 * image that vblk_image_open() or vblk_image_adopt() checked and
 * vblk_image_lock() locked: the device keeps a duplicate of it (so the
 * lock lasts as long as either is open; the caller keeps @fd) and @path
 * is its name. If @fd < 0 the device opens and locks @path itself. Its
 * size in 512-byte sectors is the capacity (a partial last sector is
 * not visible). The serial number (GET_ID) is the last 20 bytes of the
 * name's last component. On @vm's device list as "vblk0", "vblk1", ...
 * in creation order. Returns 0 and *@out (owned by the VM; @out may be
 * NULL) or -errno after logging why.
 */
int virtio_blk_new(struct vm *vm, const char *path, int fd, bool readonly,
		   struct device **out);

/* The machine's disks, cfg->disks in order. Returns 0 or -errno, logged. */
int virtio_blk_add(struct vm *vm, const struct vm_config *cfg);

#endif /* KEEL_HV_VIRTIO_BLK_H */
