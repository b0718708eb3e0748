/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VIRTIO_PCI_H
#define KEEL_HV_VIRTIO_PCI_H

#include <json-c/json.h>
#include <stdint.h>

struct virtio_dev;

/*
 * The modern virtio PCI transport (virtio 1.2, 4.1), used by virtio.c.
 * One 32-bit memory BAR (BAR 0) holds, each in its own page: the common
 * configuration, the ISR byte, the device configuration, the notify
 * area (queue q at VPCI_NOTIFY_OFF + 4 * q, each with an ioeventfd so a
 * kick wakes the I/O thread without a trip through userspace), the
 * MSI-X table and its PBA. Vendor capabilities point at each, plus the
 * PCI configuration access capability.
 */
#define VPCI_BAR 0
#define VPCI_COMMON_OFF 0x0000
#define VPCI_COMMON_LEN 0x40
#define VPCI_ISR_OFF 0x1000
#define VPCI_DEVICE_OFF 0x2000
#define VPCI_DEVICE_MAX 0x1000
#define VPCI_NOTIFY_OFF 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE_OFF 0x4000
#define VPCI_MSIX_PBA_OFF 0x5000
#define VPCI_BAR_SIZE 0x8000
#define VPCI_MAX_VECTORS 256 /* a table page of 16-byte entries */
#define VPCI_MAX_QUEUES 64

#define VPCI_ISR_QUEUE 0x1
#define VPCI_ISR_CONFIG 0x2

/*
 * Build @vdev's PCI function (IDs, BAR, capabilities, MSI-X with one
 * vector per queue plus one for configuration changes) and its kick
 * eventfds on the I/O thread's loop. Returns 0 or -errno.
 */
int vpci_init(struct virtio_dev *vdev);

/* Plug the function into the VM's bus. Returns 0 or -errno. */
int vpci_register(struct virtio_dev *vdev);

/* Unplug and release what vpci_init() built. Idempotent. */
void vpci_dispose(struct virtio_dev *vdev);

/*
 * Interrupt the driver through MSI-X @vector (held back in the PBA
 * while masked; dropped for VIRTIO_NO_VECTOR) or, with MSI-X off,
 * through INTx with @isr_bit set in ISR. Lock held.
 */
void vpci_interrupt(struct virtio_dev *vdev, uint16_t vector,
		    uint8_t isr_bit);

/* Virtio reset, transport part: ISR cleared, INTx low. Lock held. */
void vpci_reset(struct virtio_dev *vdev);

/*
 * PCI function reset (VM reset): configuration space back to power-on,
 * MSI-X table masked and cleared, KVM routes released. Lock not held.
 */
void vpci_function_reset(struct virtio_dev *vdev);

/* Wake queue @q's handler on the I/O thread. Any thread. */
void vpci_kick(struct virtio_dev *vdev, unsigned q);

/*
 * Transport state to/from @obj: PCI configuration space and the MSI-X
 * table. Called without the device lock (the PCI bus lock comes
 * first). Return 0 or -errno (-EINVAL: bad state).
 */
int vpci_save(struct virtio_dev *vdev, struct json_object *obj);
int vpci_restore(struct virtio_dev *vdev, struct json_object *obj);

#endif /* KEEL_HV_VIRTIO_PCI_H */
