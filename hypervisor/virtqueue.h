/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTQUEUE_H
#define KEEL_HV_VIRTQUEUE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;

/*
 * The device side of a split virtqueue (virtio 1.2, 2.7) in guest
 * memory the guest keeps writing to while we read it. Every index,
 * length and address the guest supplies is checked before use: a ring
 * or buffer outside guest RAM, a chain that loops or is longer than the
 * queue, a nested or malformed indirect table, an available index more
 * than a queue ahead of us all end in a negative return, which the
 * transport turns into DEVICE_NEEDS_RESET. Descriptors are copied
 * before they are checked, so the guest cannot change one in between.
 *
 * A virtqueue is not locked here: its device's lock covers it.
 */
#define VQ_MAX_SIZE 32768

struct virtqueue {
	struct vm *vm;
	uint16_t max_size; /* what the device offers (a power of two) */

	/* Guest-visible state (saved and restored). */
	uint16_t size; /* the driver's queue_size */
	bool ready; /* queue_enable */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail; /* next available entry we will take */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last interrupted */
	bool signalled_valid;
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_F_INDIRECT_DESC negotiated */

	/* Host view of the rings while ready. */
	uint8_t *desc, *avail, *used;
};

/*
 * One descriptor chain taken from the available ring: the buffers the
 * device reads (iov[0, nr_rd)) then those it writes (iov[nr_rd,
 * nr_rd + nr_wr)), as host pointers into guest RAM. Owned by a device
 * and reused for every vq_pop(); vq_chain_dispose() frees it.
 */
struct vq_chain {
	uint16_t head;
	unsigned nr_rd, nr_wr;
	uint64_t rd_len, wr_len; /* bytes in each part */
	struct iovec *iov;
	unsigned cap;
};

/* Power-on state for a queue of at most @max_size entries. */
void vq_init(struct virtqueue *vq, struct vm *vm, uint16_t max_size);

/* Back to power-on state (device reset): not ready, default size. */
void vq_reset(struct virtqueue *vq);

/*
 * The driver enabled the queue with the size and addresses it wrote:
 * check them (size a power of two up to max_size, rings aligned and in
 * guest RAM) and start using them. @event_idx, @indirect: negotiated
 * features. Returns 0, or -EINVAL (bad size or alignment) / -EFAULT
 * (not RAM) and the queue stays disabled.
 */
int vq_enable(struct virtqueue *vq, bool event_idx, bool indirect);

/*
 * Take the next available chain into @c. Returns 1 (a chain), 0 (the
 * ring is empty; with EVENT_IDX the driver has been asked to notify on
 * its next buffer, and the ring was re-checked after asking), or a
 * negative errno for a guest error (-EINVAL bad ring or chain, -EFAULT
 * a buffer outside RAM) or -ENOMEM. After an error the queue must not
 * be used until reset.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);

/*
 * Give chain @head back to the driver with @len bytes written into its
 * device-writable part (the caller makes sure @len does not exceed it).
 */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/* One chain given back: its head and the bytes written into it. */
struct vq_used_elem {
	uint16_t head;
	uint32_t len;
};

/*
 * Give @n chains back at once, in order: the driver sees all of them or
 * none (one update of the used index), as a frame spread over several
 * mergeable receive buffers needs (virtio 1.2, 5.1.6.4).
 */
void vq_push_many(struct virtqueue *vq, const struct vq_used_elem *used,
		  unsigned n);

/*
 * Put back the chain vq_pop() just returned (the device could not use
 * it yet, e.g. a packet too big for it); it is popped again next time.
 * Called k times, it puts back the last k chains popped.
 */
void vq_unpop(struct virtqueue *vq);

/*
 * Ask the driver for a kick when it makes one more buffer available
 * than it has now, taken or not: for a device that put chains back
 * because they were too few for what it holds. With EVENT_IDX that is
 * the available index now (a driver without it kicks on every buffer).
 * Returns true if buffers came meanwhile: look again at once.
 */
bool vq_want_more(struct virtqueue *vq);

/*
 * Whether the driver wants an interrupt for what was pushed since the
 * last call that returned true (VIRTQ_AVAIL_F_NO_INTERRUPT, or
 * used_event with EVENT_IDX). Call after a batch of vq_push().
 */
bool vq_should_notify(struct virtqueue *vq);

/*
 * True if the driver made buffers available that we have not taken;
 * does not check them (that is vq_pop()'s job).
 */
bool vq_has_avail(struct virtqueue *vq);

/* Copy up to @len bytes at @off in the readable part of @c. Returns
 * how many were copied. */
size_t vq_chain_read(const struct vq_chain *c, uint64_t off, void *buf,
		     size_t len);

/* Copy up to @len bytes to @off in the writable part of @c. Returns
 * how many were copied. */
size_t vq_chain_write(const struct vq_chain *c, uint64_t off,
		      const void *buf, size_t len);

/*
 * Describe bytes [@off, @off + @len) of the readable (!@writable) or
 * writable part of @c in at most @max entries of @out. Returns the
 * number of entries, or -EINVAL if the range is not inside that part
 * or needs more than @max entries.
 */
int vq_chain_slice(const struct vq_chain *c, bool writable, uint64_t off,
		   uint64_t len, struct iovec *out, unsigned max);

/* Free @c's segment array. Idempotent. */
void vq_chain_dispose(struct vq_chain *c);

/* The queue's guest-visible state as a new JSON object in *@out. */
int vq_save(const struct virtqueue *vq, struct json_object **out);

/*
 * Load what vq_save() wrote; an enabled queue is re-checked as by
 * vq_enable(). Returns 0 or -EINVAL (the queue is then reset).
 */
int vq_restore(struct virtqueue *vq, struct json_object *state);

#endif /* KEEL_HV_VIRTQUEUE_H */
