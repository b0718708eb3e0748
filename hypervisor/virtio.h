/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_H
#define KEEL_HV_VIRTIO_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "pci.h"
#include "virtqueue.h"

struct event;
struct virtio_dev;

/*
 * A virtio 1.x device (virtio 1.2): the ops a device type fills in over
 * the generic core (virtio.c: status, features, queues, save/restore)
 * and the modern PCI transport (virtio_pci.c). Every hook runs with the
 * device's lock (vdev->lock) held, the one lock that covers the
 * transport registers, the virtqueues and the device's own state.
 */
struct virtio_ops {
	const char *type; /* "virtio-blk": the device_ops type, in stats */
	const char *id_prefix; /* "vblk": devices are vblk0, vblk1, ... */
	size_t size; /* of the device's struct, struct virtio_dev first */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint32_t pci_class; /* 0xCCSSPP */
	unsigned nr_queues;
	uint16_t queue_size; /* largest size offered, a power of two */
	uint32_t config_size; /* bytes of device configuration */

	/* Device configuration access; @off + @len <= config_size. */
	void (*config_read)(struct virtio_dev *vdev, uint32_t off, void *data,
			    unsigned len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t off,
			     const void *data, unsigned len);
	/*
	 * The driver made buffers available on queue @q (or the device
	 * was just started or restored). On the I/O thread; only while
	 * DRIVER_OK is set and the device does not need a reset.
	 */
	void (*notify)(struct virtio_dev *vdev, unsigned q);
	/* The driver set DRIVER_OK (or a running device was restored). */
	void (*driver_ok)(struct virtio_dev *vdev);
	/* Device reset: drop in-flight work, back to power-on state. */
	void (*reset)(struct virtio_dev *vdev);
	/* Add/load the device's own state as members of @obj. */
	int (*save)(struct virtio_dev *vdev, struct json_object *obj);
	int (*restore)(struct virtio_dev *vdev, struct json_object *obj);
	/* Add counters to @out. */
	void (*stats)(struct virtio_dev *vdev, struct json_object *out);
	/*
	 * I/O limits of kind @iotune_kind (device_ops.iotune, which
	 * takes the lock): apply @set if not NULL, report into @cur.
	 */
	enum iotune_kind iotune_kind;
	void (*iotune)(struct virtio_dev *vdev, const struct iotune *set,
		       struct iotune *cur);
	/*
	 * Release the backend; the lock is not held, nothing runs. Also
	 * called when the backend's setup failed halfway (after
	 * virtio_dev_new()), so it releases only what was set up.
	 */
	void (*free)(struct virtio_dev *vdev);
};

/* One MSI-X table entry and how it reaches KVM. */
struct virtio_vector {
	uint64_t addr;
	uint32_t data;
	bool masked;
	bool pending; /* fired while masked: the PBA bit */
	int gsi; /* KVM route, -1 until first used */
	int efd; /* irqfd on @gsi, -1 until first used */
};

/* Per queue: the ring and the transport's registers for it. */
struct virtio_queue {
	struct virtqueue vq;
	uint16_t vector; /* queue_msix_vector */
	int kick_fd; /* eventfd: ioeventfd on the notify address */
	struct event *kick_ev; /* on the I/O thread */
	struct virtio_dev *vdev;
	unsigned index;
};

struct virtio_dev {
	struct device dev; /* first: the VM's device list */
	/*
	 * dev.ops: the one device_ops of every virtio device, with
	 * ops->type for its type (a copy, since the type is per device).
	 */
	struct device_ops dev_ops;
	const struct virtio_ops *ops;
	pthread_mutex_t lock;
	uint64_t host_features;

	/* Guest-visible state: the common configuration. */
	uint8_t status;
	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	uint16_t config_vector;
	uint16_t queue_select;
	uint8_t config_generation;
	uint8_t isr;

	struct virtio_queue *queues; /* ops->nr_queues of them */

	/* PCI transport. */
	struct pci_dev pci;
	struct virtio_vector *vectors; /* nr_vectors of them */
	unsigned nr_vectors;
	bool msix_enabled, msix_masked; /* MSI-X Message Control */
	unsigned msix_cap, cfg_cap; /* capability offsets */
	uint64_t bar; /* where the BAR is decoded, 0: nowhere */

	bool failed_logged;
	uint64_t nr_interrupts, nr_kicks;
};

/* The device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_NO_VECTOR 0xffff

/* Feature bits every keel virtio device offers. */
#define VIRTIO_FEAT(bit) (1ULL << (bit))
#define VIRTIO_F_BASE                                                    \
	(VIRTIO_FEAT(32) /* VERSION_1 */ | VIRTIO_FEAT(28) /* INDIRECT */ | \
	 VIRTIO_FEAT(29) /* EVENT_IDX */)

/*
 * A new device of the type @ops describes, for @vm: ops->size bytes,
 * zeroed, with the queues, the PCI function and its BAR and the kick
 * eventfds on vm->evbase. @features: device-specific feature bits (the
 * base ones are added). The caller sets up its backend in the rest of
 * the struct, then hands the device to virtio_dev_register(), or, if
 * the backend cannot be set up, to virtio_dev_free(). Returns 0 and
 * *@out, or -errno.
 */
int virtio_dev_new(struct vm *vm, const struct virtio_ops *ops,
		   uint64_t features, struct virtio_dev **out);

/*
 * Put @vdev on the VM's device list as ops->id_prefix followed by the
 * first free number ("vblk0", "vblk1", ...; creation order decides,
 * which is what a restore on another host relies on) and plug it into
 * the PCI bus. From the call on the VM owns @vdev, even if it fails.
 * Returns 0 and *@out (unless @out is NULL), or -errno.
 */
int virtio_dev_register(struct virtio_dev *vdev, struct device **out);

/*
 * Free a device that virtio_dev_new() made and that was not registered:
 * ops->free releases its backend, then the core's part goes.
 */
void virtio_dev_free(struct virtio_dev *vdev);

/* @dev as a virtio device of the type @ops describes, or NULL. */
struct virtio_dev *virtio_dev_of(struct device *dev,
				 const struct virtio_ops *ops);

/*
 * The device hit a guest error it cannot go on from (a bad ring, a
 * bad request layout): set DEVICE_NEEDS_RESET, tell the driver with a
 * configuration interrupt, and stop processing until the reset. @why
 * and @err (-errno) are logged as a warning the first time, then at
 * debug level (a guest can fail a device in a loop). Lock held.
 */
void virtio_dev_fail(struct virtio_dev *vdev, const char *why, int err);

/*
 * Interrupt the driver for queue @q if it wants one (vq_should_notify).
 * Lock held; any thread.
 */
void virtio_queue_interrupt(struct virtio_dev *vdev, unsigned q);

/*
 * The device configuration changed (host side): bump the generation
 * and send a configuration interrupt if the driver is running. Lock
 * held.
 */
void virtio_config_changed(struct virtio_dev *vdev);

/* True if the device is live: DRIVER_OK and no reset pending. */
bool virtio_running(const struct virtio_dev *vdev);

/*
 * For the transport. virtio_set_status(): the driver wrote the status
 * byte. virtio_queue_enable(): it wrote 1 to queue_enable.
 * virtio_queue_notify(): queue @q was kicked (I/O thread, lock not
 * held). The first two run with the lock held.
 */
void virtio_set_status(struct virtio_dev *vdev, uint8_t status);
void virtio_queue_enable(struct virtio_dev *vdev, unsigned q);
void virtio_queue_notify(struct virtio_dev *vdev, unsigned q);

#endif /* KEEL_HV_VIRTIO_H */
