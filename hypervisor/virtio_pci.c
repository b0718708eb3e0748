// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The modern virtio PCI transport (virtio 1.2, 4.1): the PCI function
 * of a virtio device, its BAR (common configuration, ISR, device
 * configuration, notifications, MSI-X table and PBA), the capabilities
 * that point into it, and interrupt delivery through irqfds (MSI-X) or
 * INTx. Register semantics of the common configuration that are not
 * about PCI (status, features, queue enabling) are virtio.c's.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/virtio_pci.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "virtio.h"
#include "virtio_pci.h"
#include "vm.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + virtio device ID (4.1.2) */
#define VIRTIO_PCI_REVISION 1 /* non-transitional */

#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASK 0x4000
#define MSIX_ENTRY 16
#define MSIX_ENTRY_MASKED 1

/* virtio_pci_cap (4.1.4) and the extra fields of some of them. */
#define VCAP_LEN 16
#define VCAP_NOTIFY_LEN 20 /* + notify_off_multiplier */
#define VCAP_CFG_LEN 20 /* + pci_cfg_data[4] */
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_CFG_DATA 16

/* The common configuration structure (4.1.4.3), offsets and sizes. */
enum {
	CC_DFSELECT = 0,
	CC_DF = 4,
	CC_GFSELECT = 8,
	CC_GF = 12,
	CC_MSIX_CONFIG = 16,
	CC_NUM_QUEUES = 18,
	CC_STATUS = 20,
	CC_GENERATION = 21,
	CC_Q_SELECT = 22,
	CC_Q_SIZE = 24,
	CC_Q_MSIX = 26,
	CC_Q_ENABLE = 28,
	CC_Q_NOTIFY_OFF = 30,
	CC_Q_DESC = 32,
	CC_Q_DRIVER = 40,
	CC_Q_DEVICE = 48,
	CC_Q_NOTIFY_DATA = 56,
	CC_Q_RESET = 58,
};

static const uint8_t cc_field_size[VPCI_COMMON_LEN] = {
	[CC_DFSELECT] = 4, [CC_DF] = 4,	       [CC_GFSELECT] = 4,
	[CC_GF] = 4,	   [CC_MSIX_CONFIG] = 2, [CC_NUM_QUEUES] = 2,
	[CC_STATUS] = 1,   [CC_GENERATION] = 1,	 [CC_Q_SELECT] = 2,
	[CC_Q_SIZE] = 2,   [CC_Q_MSIX] = 2,	 [CC_Q_ENABLE] = 2,
	[CC_Q_NOTIFY_OFF] = 2, [CC_Q_DESC] = 8,	 [CC_Q_DRIVER] = 8,
	[CC_Q_DEVICE] = 8, [CC_Q_NOTIFY_DATA] = 2, [CC_Q_RESET] = 2,
};

static uint64_t get_le(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static bool overlaps(unsigned off, unsigned len, unsigned start,
		     unsigned size)
{
	return off < start + size && start < off + len;
}

/* The queue common configuration currently selects, or NULL. */
static struct virtio_queue *vpci_selected(struct virtio_dev *vdev)
{
	if (vdev->queue_select >= vdev->ops->nr_queues)
		return NULL;
	return &vdev->queues[vdev->queue_select];
}

static void vpci_common_image(struct virtio_dev *vdev, uint8_t *img)
{
	struct virtio_queue *q = vpci_selected(vdev);
	uint64_t df = 0;

	memset(img, 0, VPCI_COMMON_LEN);
	if (vdev->dfselect < 2)
		df = vdev->host_features >> (32 * vdev->dfselect);
	put_le(img + CC_DFSELECT, vdev->dfselect, 4);
	put_le(img + CC_DF, (uint32_t)df, 4);
	put_le(img + CC_GFSELECT, vdev->gfselect, 4);
	if (vdev->gfselect < 2)
		put_le(img + CC_GF,
		       (uint32_t)(vdev->guest_features >> (32 * vdev->gfselect)),
		       4);
	put_le(img + CC_MSIX_CONFIG, vdev->config_vector, 2);
	put_le(img + CC_NUM_QUEUES, vdev->ops->nr_queues, 2);
	img[CC_STATUS] = vdev->status;
	img[CC_GENERATION] = vdev->config_generation;
	put_le(img + CC_Q_SELECT, vdev->queue_select, 2);
	if (!q)
		return; /* a queue that does not exist reads as size 0 */
	put_le(img + CC_Q_SIZE, q->vq.size, 2);
	put_le(img + CC_Q_MSIX, q->vector, 2);
	put_le(img + CC_Q_ENABLE, q->vq.ready, 2);
	put_le(img + CC_Q_NOTIFY_OFF, q->index, 2);
	put_le(img + CC_Q_DESC, q->vq.desc_gpa, 8);
	put_le(img + CC_Q_DRIVER, q->vq.avail_gpa, 8);
	put_le(img + CC_Q_DEVICE, q->vq.used_gpa, 8);
}

static uint16_t vpci_vector_or_none(struct virtio_dev *vdev, uint64_t v)
{
	return v < vdev->nr_vectors ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

/* A whole field of the common configuration was written. */
static void vpci_common_set(struct virtio_dev *vdev, unsigned field,
			    uint64_t v)
{
	struct virtio_queue *q = vpci_selected(vdev);
	bool q_idle = q && !q->vq.ready; /* queue fields still writable */
	uint64_t mask;

	switch (field) {
	case CC_DFSELECT:
		vdev->dfselect = (uint32_t)v;
		break;
	case CC_GFSELECT:
		vdev->gfselect = (uint32_t)v;
		break;
	case CC_GF:
		/* Frozen once FEATURES_OK is set (3.1.1). */
		if (vdev->gfselect >= 2 ||
		    (vdev->status & VIRTIO_STATUS_FEATURES_OK))
			break;
		mask = 0xffffffffULL << (32 * vdev->gfselect);
		vdev->guest_features = (vdev->guest_features & ~mask) |
				       ((v << (32 * vdev->gfselect)) & mask);
		break;
	case CC_MSIX_CONFIG:
		vdev->config_vector = vpci_vector_or_none(vdev, v);
		break;
	case CC_STATUS:
		virtio_set_status(vdev, (uint8_t)v);
		break;
	case CC_Q_SELECT:
		vdev->queue_select = (uint16_t)v;
		break;
	case CC_Q_SIZE:
		if (q_idle)
			q->vq.size = (uint16_t)v; /* checked on enable */
		break;
	case CC_Q_MSIX:
		if (q)
			q->vector = vpci_vector_or_none(vdev, v);
		break;
	case CC_Q_ENABLE:
		/* Writing 0 is not allowed (4.1.4.3.2): ignored. */
		if (q_idle && v == 1)
			virtio_queue_enable(vdev, q->index);
		break;
	case CC_Q_DESC:
		if (q_idle)
			q->vq.desc_gpa = v;
		break;
	case CC_Q_DRIVER:
		if (q_idle)
			q->vq.avail_gpa = v;
		break;
	case CC_Q_DEVICE:
		if (q_idle)
			q->vq.used_gpa = v;
		break;
	default:
		break; /* read-only */
	}
}

/*
 * A write lands in one field (64-bit fields may be written in two
 * halves, 4.1.3.1); writes straddling fields are dropped.
 */
static void vpci_common_write(struct virtio_dev *vdev, unsigned off,
			      const uint8_t *data, unsigned len)
{
	uint8_t img[VPCI_COMMON_LEN];
	unsigned f;

	for (f = off;; f--) {
		if (cc_field_size[f])
			break;
		if (!f)
			return;
	}
	if (off + len > f + cc_field_size[f])
		return;
	vpci_common_image(vdev, img);
	memcpy(img + off, data, len);
	vpci_common_set(vdev, f, get_le(img + f, cc_field_size[f]));
}

/* A vector can reach the guest right now. */
static bool vpci_vector_live(struct virtio_dev *vdev, unsigned v)
{
	return vdev->msix_enabled && !vdev->msix_masked &&
	       !vdev->vectors[v].masked;
}

static void vpci_vector_release(struct virtio_dev *vdev,
				struct virtio_vector *vec)
{
	struct vm *vm = vdev->dev.vm;

	if (vec->efd >= 0) {
		vm_irqfd(vm, vec->efd, (uint32_t)vec->gsi, false);
		close(vec->efd);
	}
	if (vec->gsi >= 0)
		vm_msi_route_free(vm, (uint32_t)vec->gsi);
	vec->efd = vec->gsi = -1;
}

/* First use of a vector: a KVM MSI route and an irqfd that raises it. */
static int vpci_vector_route(struct virtio_dev *vdev,
			     struct virtio_vector *vec)
{
	struct vm *vm = vdev->dev.vm;
	int rc;

	rc = vm_msi_route_alloc(vm, vec->addr, vec->data);
	if (rc < 0)
		return rc;
	vec->gsi = rc;
	vec->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vec->efd < 0) {
		rc = -errno;
		goto out_release;
	}
	rc = vm_irqfd(vm, vec->efd, (uint32_t)vec->gsi, true);
	if (rc)
		goto out_release;
	return 0;

out_release:
	vpci_vector_release(vdev, vec);
	return rc;
}

static void vpci_fire(struct virtio_dev *vdev, unsigned v)
{
	struct virtio_vector *vec = &vdev->vectors[v];
	uint64_t one = 1;
	int rc = 0;

	vdev->nr_interrupts++;
	if (vec->efd < 0)
		rc = vpci_vector_route(vdev, vec);
	if (!rc && write(vec->efd, &one, sizeof(one)) == sizeof(one))
		return;
	/* No route (KVM's table full?): inject it directly instead. */
	rc = vm_signal_msi(vdev->dev.vm, vec->addr, vec->data);
	if (rc < 0)
		log_debug("%s: MSI-X vector %u: %s", vdev->dev.id, v,
			  strerror(-rc));
}

void vpci_interrupt(struct virtio_dev *vdev, uint16_t vector,
		    uint8_t isr_bit)
{
	if (!vdev->msix_enabled) {
		vdev->isr |= isr_bit;
		vdev->nr_interrupts++;
		pci_set_irq(&vdev->pci, true);
		return;
	}
	if (vector >= vdev->nr_vectors)
		return;
	if (vpci_vector_live(vdev, vector))
		vpci_fire(vdev, vector);
	else
		vdev->vectors[vector].pending = true;
}

/* Deliver what was held back while masked. Lock held. */
static void vpci_flush_pending(struct virtio_dev *vdev)
{
	for (unsigned v = 0; v < vdev->nr_vectors; v++) {
		if (vdev->vectors[v].pending && vpci_vector_live(vdev, v)) {
			vdev->vectors[v].pending = false;
			vpci_fire(vdev, v);
		}
	}
}

static void vpci_msix_table_access(struct virtio_dev *vdev, unsigned rel,
				   uint8_t *data, unsigned len, bool is_write)
{
	unsigned v = rel / MSIX_ENTRY, o = rel % MSIX_ENTRY;
	struct virtio_vector *vec;
	uint8_t e[MSIX_ENTRY];
	uint64_t addr;
	uint32_t msg;
	int rc;

	if (v >= vdev->nr_vectors || o + len > MSIX_ENTRY)
		return;
	vec = &vdev->vectors[v];
	put_le(e, vec->addr, 8);
	put_le(e + 8, vec->data, 4);
	put_le(e + 12, vec->masked ? MSIX_ENTRY_MASKED : 0, 4);
	if (!is_write) {
		memcpy(data, e + o, len);
		return;
	}
	memcpy(e + o, data, len);
	addr = get_le(e, 8);
	msg = (uint32_t)get_le(e + 8, 4);
	if ((addr != vec->addr || msg != vec->data) && vec->gsi >= 0) {
		rc = vm_msi_route_update(vdev->dev.vm, (uint32_t)vec->gsi,
					 addr, msg);
		if (rc) {
			log_debug("%s: MSI-X vector %u: %s", vdev->dev.id, v,
				  strerror(-rc));
			vpci_vector_release(vdev, vec);
		}
	}
	vec->addr = addr;
	vec->data = msg;
	vec->masked = e[12] & MSIX_ENTRY_MASKED;
	vpci_flush_pending(vdev);
}

static void vpci_pba_read(struct virtio_dev *vdev, unsigned rel,
			  uint8_t *data, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		unsigned bit = 8 * (rel + i);

		data[i] = 0;
		for (unsigned b = 0; b < 8; b++) {
			if (bit + b < vdev->nr_vectors &&
			    vdev->vectors[bit + b].pending)
				data[i] |= (uint8_t)(1u << b);
		}
	}
}

/* One BAR access (from the MMIO bus or the PCI_CFG window). Lock held. */
static void vpci_bar_access(struct virtio_dev *vdev, uint64_t off,
			    uint8_t *data, unsigned len, bool is_write)
{
	uint32_t cfg_size = vdev->ops->config_size;
	unsigned rel;

	if (off + len <= VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		rel = (unsigned)(off - VPCI_COMMON_OFF);
		if (is_write)
			vpci_common_write(vdev, rel, data, len);
		else {
			uint8_t img[VPCI_COMMON_LEN];

			vpci_common_image(vdev, img);
			memcpy(data, img + rel, len);
		}
	} else if (off == VPCI_ISR_OFF) {
		/* Reading ISR acknowledges it and lowers INTx (4.1.4.5). */
		if (!is_write) {
			data[0] = vdev->isr;
			vdev->isr = 0;
			pci_set_irq(&vdev->pci, false);
		}
	} else if (off >= VPCI_DEVICE_OFF &&
		   off + len <= VPCI_DEVICE_OFF + cfg_size) {
		rel = (unsigned)(off - VPCI_DEVICE_OFF);
		if (is_write && vdev->ops->config_write)
			vdev->ops->config_write(vdev, rel, data, len);
		else if (!is_write && vdev->ops->config_read)
			vdev->ops->config_read(vdev, rel, data, len);
	} else if (off >= VPCI_NOTIFY_OFF &&
		   off < VPCI_NOTIFY_OFF +
				   VPCI_NOTIFY_MULT * vdev->ops->nr_queues) {
		/* A kick that did not match the ioeventfd (or has none). */
		if (is_write)
			vpci_kick(vdev, (unsigned)(off - VPCI_NOTIFY_OFF) /
						VPCI_NOTIFY_MULT);
	} else if (off >= VPCI_MSIX_TABLE_OFF &&
		   off < VPCI_MSIX_TABLE_OFF + VPCI_MAX_VECTORS * MSIX_ENTRY) {
		vpci_msix_table_access(vdev,
				       (unsigned)(off - VPCI_MSIX_TABLE_OFF),
				       data, len, is_write);
	} else if (off >= VPCI_MSIX_PBA_OFF &&
		   off < VPCI_MSIX_PBA_OFF + VPCI_MAX_VECTORS / 8 && !is_write) {
		vpci_pba_read(vdev, (unsigned)(off - VPCI_MSIX_PBA_OFF), data,
			      len);
	}
}

static void vpci_bar_read(void *opaque, uint64_t off, void *data,
			  unsigned len)
{
	struct virtio_dev *vdev = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&vdev->lock);
	vpci_bar_access(vdev, off, data, len, false);
	pthread_mutex_unlock(&vdev->lock);
}

static void vpci_bar_write(void *opaque, uint64_t off, const void *data,
			   unsigned len)
{
	struct virtio_dev *vdev = opaque;
	uint8_t buf[8];

	memcpy(buf, data, len);
	pthread_mutex_lock(&vdev->lock);
	vpci_bar_access(vdev, off, buf, len, true);
	pthread_mutex_unlock(&vdev->lock);
}

static const struct io_ops vpci_bar_ops = {
	.read = vpci_bar_read,
	.write = vpci_bar_write,
};

/*
 * The PCI configuration access capability (4.1.4.9): a window through
 * which the driver reaches the BAR without mapping it. Bus lock held.
 */
static void vpci_cfg_window(struct virtio_dev *vdev, bool is_write)
{
	uint8_t *cap = vdev->pci.cfg + vdev->cfg_cap;
	uint32_t off = (uint32_t)get_le(cap + VCAP_OFFSET, 4);
	uint32_t len = (uint32_t)get_le(cap + VCAP_LENGTH, 4);

	if (cap[VCAP_BAR] != VPCI_BAR || (len != 1 && len != 2 && len != 4) ||
	    off % len || (uint64_t)off + len > VPCI_BAR_SIZE)
		return;
	pthread_mutex_lock(&vdev->lock);
	if (!is_write)
		memset(cap + VCAP_CFG_DATA, 0, 4);
	vpci_bar_access(vdev, off, cap + VCAP_CFG_DATA, len, is_write);
	pthread_mutex_unlock(&vdev->lock);
}

static void vpci_cfg_read(struct pci_dev *pdev, unsigned off, unsigned len)
{
	struct virtio_dev *vdev = pdev->opaque;

	if (overlaps(off, len, vdev->cfg_cap + VCAP_CFG_DATA, 4))
		vpci_cfg_window(vdev, false);
}

static void vpci_cfg_write(struct pci_dev *pdev, unsigned off, unsigned len,
			   bool guest)
{
	struct virtio_dev *vdev = pdev->opaque;
	uint16_t ctrl;

	if (overlaps(off, len, vdev->msix_cap + 2, 2)) {
		ctrl = (uint16_t)get_le(pdev->cfg + vdev->msix_cap + 2, 2);
		pthread_mutex_lock(&vdev->lock);
		vdev->msix_enabled = ctrl & MSIX_CTRL_ENABLE;
		vdev->msix_masked = ctrl & MSIX_CTRL_MASK;
		/* With MSI-X on, INTx is not used (PCI 3.0, 6.8.2). */
		if (vdev->msix_enabled)
			pci_set_irq(&vdev->pci, false);
		vpci_flush_pending(vdev);
		pthread_mutex_unlock(&vdev->lock);
	}
	if (guest && overlaps(off, len, vdev->cfg_cap + VCAP_CFG_DATA, 4))
		vpci_cfg_window(vdev, true);
}

static void vpci_ioeventfds(struct virtio_dev *vdev, uint64_t bar,
			    bool assign)
{
	for (unsigned q = 0; q < vdev->ops->nr_queues; q++) {
		uint64_t addr = bar + VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q;
		int rc;

		rc = vm_ioeventfd(vdev->dev.vm, vdev->queues[q].kick_fd, addr,
				  2, false, -1, assign);
		/* Without it kicks still work, through vpci_bar_access(). */
		if (rc && assign)
			log_debug("%s: ioeventfd at 0x%llx: %s", vdev->dev.id,
				  (unsigned long long)addr, strerror(-rc));
	}
}

static void vpci_bar_moved(struct pci_dev *pdev, unsigned bar, uint64_t old,
			   uint64_t addr)
{
	struct virtio_dev *vdev = pdev->opaque;

	pthread_mutex_lock(&vdev->lock);
	if (old)
		vpci_ioeventfds(vdev, old, false);
	if (addr)
		vpci_ioeventfds(vdev, addr, true);
	vdev->bar = addr;
	pthread_mutex_unlock(&vdev->lock);
}

static const struct pci_dev_ops vpci_pci_ops = {
	.cfg_read = vpci_cfg_read,
	.cfg_write = vpci_cfg_write,
	.bar_moved = vpci_bar_moved,
};

void vpci_kick(struct virtio_dev *vdev, unsigned q)
{
	uint64_t one = 1;

	if (q < vdev->ops->nr_queues &&
	    write(vdev->queues[q].kick_fd, &one, sizeof(one)) < 0)
		log_debug("%s: kick: %s", vdev->dev.id, strerror(errno));
}

/* I/O thread: the guest kicked a queue. */
static void vpci_kick_event(evutil_socket_t fd, short what, void *arg)
{
	struct virtio_queue *q = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	virtio_queue_notify(q->vdev, q->index);
}

static int vpci_add_vcap(struct virtio_dev *vdev, uint8_t type,
			 uint32_t off, uint32_t len, uint32_t extra,
			 unsigned cap_len)
{
	uint8_t cap[VCAP_CFG_LEN] = { PCI_CAP_ID_VENDOR, 0, (uint8_t)cap_len,
				      type, VPCI_BAR };
	uint8_t wmask[VCAP_CFG_LEN] = { 0 };

	put_le(cap + VCAP_OFFSET, off, 4);
	put_le(cap + VCAP_LENGTH, len, 4);
	put_le(cap + VCAP_LEN, extra, 4);
	if (type == VIRTIO_PCI_CAP_PCI_CFG) {
		cap[VCAP_BAR] = 0;
		wmask[VCAP_BAR] = 0xff;
		memset(wmask + VCAP_OFFSET, 0xff, 12);
	}
	return pci_dev_add_cap(&vdev->pci, cap, cap_len, wmask);
}

static int vpci_add_caps(struct virtio_dev *vdev)
{
	const struct virtio_ops *ops = vdev->ops;
	uint8_t msix[12] = { PCI_CAP_ID_MSIX };
	uint8_t msix_wmask[12] = { 0 };
	int rc;

	rc = vpci_add_vcap(vdev, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
			   VPCI_COMMON_LEN, 0, VCAP_LEN);
	if (rc >= 0)
		rc = vpci_add_vcap(vdev, VIRTIO_PCI_CAP_NOTIFY_CFG,
				   VPCI_NOTIFY_OFF,
				   VPCI_NOTIFY_MULT * ops->nr_queues,
				   VPCI_NOTIFY_MULT, VCAP_NOTIFY_LEN);
	if (rc >= 0)
		rc = vpci_add_vcap(vdev, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF,
				   1, 0, VCAP_LEN);
	if (rc >= 0 && ops->config_size)
		rc = vpci_add_vcap(vdev, VIRTIO_PCI_CAP_DEVICE_CFG,
				   VPCI_DEVICE_OFF, ops->config_size, 0,
				   VCAP_LEN);
	if (rc >= 0) {
		rc = vpci_add_vcap(vdev, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0,
				   VCAP_CFG_LEN);
		vdev->cfg_cap = (unsigned)rc;
	}
	if (rc < 0)
		return rc;
	put_le(msix + 2, vdev->nr_vectors - 1, 2);
	put_le(msix + 4, VPCI_MSIX_TABLE_OFF | VPCI_BAR, 4);
	put_le(msix + 8, VPCI_MSIX_PBA_OFF | VPCI_BAR, 4);
	msix_wmask[3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASK) >> 8;
	rc = pci_dev_add_cap(&vdev->pci, msix, sizeof(msix), msix_wmask);
	if (rc < 0)
		return rc;
	vdev->msix_cap = (unsigned)rc;
	return 0;
}

int vpci_init(struct virtio_dev *vdev)
{
	const struct virtio_ops *ops = vdev->ops;
	uint16_t id = VIRTIO_PCI_DEVICE_BASE + ops->device_id;
	struct vm *vm = vdev->dev.vm;
	int rc;

	if (!vm->evbase || !ops->nr_queues || ops->nr_queues > VPCI_MAX_QUEUES ||
	    ops->config_size > VPCI_DEVICE_MAX)
		return -EINVAL;
	vdev->nr_vectors = ops->nr_queues + 1;
	vdev->vectors = calloc(vdev->nr_vectors, sizeof(*vdev->vectors));
	if (!vdev->vectors)
		return -ENOMEM;
	for (unsigned v = 0; v < vdev->nr_vectors; v++) {
		vdev->vectors[v].masked = true;
		vdev->vectors[v].gsi = vdev->vectors[v].efd = -1;
	}
	/* Non-transitional: subsystem ID >= 0x40 (4.1.2.1); use the same. */
	pci_dev_init(&vdev->pci, VIRTIO_PCI_VENDOR, id, ops->pci_class,
		     VIRTIO_PCI_REVISION, VIRTIO_PCI_VENDOR, id, true,
		     &vpci_pci_ops, vdev);
	rc = pci_dev_add_bar(&vdev->pci, VPCI_BAR, VPCI_BAR_SIZE,
			     &vpci_bar_ops, vdev);
	if (!rc)
		rc = vpci_add_caps(vdev);
	for (unsigned q = 0; q < ops->nr_queues && !rc; q++) {
		struct virtio_queue *vq = &vdev->queues[q];

		vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vq->kick_fd < 0) {
			rc = -errno;
			break;
		}
		vq->kick_ev = event_new(vm->evbase, vq->kick_fd,
					EV_READ | EV_PERSIST, vpci_kick_event,
					vq);
		if (!vq->kick_ev || event_add(vq->kick_ev, NULL) < 0)
			rc = -ENOMEM;
	}
	return rc;
}

int vpci_register(struct virtio_dev *vdev)
{
	int rc = pci_register_dev(vdev->dev.vm, &vdev->pci);

	return rc < 0 ? rc : 0;
}

void vpci_dispose(struct virtio_dev *vdev)
{
	if (vdev->bar && vdev->queues)
		vpci_ioeventfds(vdev, vdev->bar, false);
	vdev->bar = 0;
	pci_unregister_dev(&vdev->pci);
	for (unsigned q = 0; vdev->queues && q < vdev->ops->nr_queues; q++) {
		struct virtio_queue *vq = &vdev->queues[q];

		if (vq->kick_ev)
			event_free(vq->kick_ev);
		if (vq->kick_fd >= 0)
			close(vq->kick_fd);
		vq->kick_ev = NULL;
		vq->kick_fd = -1;
	}
	for (unsigned v = 0; v < vdev->nr_vectors; v++)
		vpci_vector_release(vdev, &vdev->vectors[v]);
	free(vdev->vectors);
	vdev->vectors = NULL;
	vdev->nr_vectors = 0;
}

void vpci_reset(struct virtio_dev *vdev)
{
	vdev->isr = 0;
	pci_set_irq(&vdev->pci, false);
}

static void vpci_table_reset(struct virtio_dev *vdev)
{
	for (unsigned v = 0; v < vdev->nr_vectors; v++) {
		struct virtio_vector *vec = &vdev->vectors[v];

		vpci_vector_release(vdev, vec);
		vec->addr = 0;
		vec->data = 0;
		vec->masked = true;
		vec->pending = false;
	}
}

void vpci_function_reset(struct virtio_dev *vdev)
{
	pci_dev_reset(&vdev->pci);
	pthread_mutex_lock(&vdev->lock);
	vpci_table_reset(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

int vpci_save(struct virtio_dev *vdev, struct json_object *obj)
{
	struct json_object *arr = json_object_new_array();
	int rc = arr ? 0 : -ENOMEM;

	pthread_mutex_lock(&vdev->lock);
	for (unsigned v = 0; !rc && v < vdev->nr_vectors; v++) {
		struct virtio_vector *vec = &vdev->vectors[v];
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(arr, e)) {
			json_object_put(e);
			rc = -ENOMEM;
			break;
		}
		json_object_object_add(e, "addr",
				       json_object_new_uint64(vec->addr));
		json_object_object_add(e, "data",
				       json_object_new_uint64(vec->data));
		json_object_object_add(e, "masked",
				       json_object_new_boolean(vec->masked));
		json_object_object_add(e, "pending",
				       json_object_new_boolean(vec->pending));
	}
	pthread_mutex_unlock(&vdev->lock);
	if (!rc && json_object_object_add(obj, "msix", arr))
		rc = -ENOMEM;
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	return pci_dev_save(&vdev->pci, obj);
}

static int vpci_get(struct json_object *o, const char *key,
		    enum json_type type, struct json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) ||
	    !json_object_is_type(*v, type))
		return -EINVAL;
	return 0;
}

int vpci_restore(struct virtio_dev *vdev, struct json_object *obj)
{
	struct json_object *arr, *e, *a, *d, *m, *p;
	unsigned nv;
	int rc;

	/* Fewer vectors: saved before the device gained a queue. */
	if (vpci_get(obj, "msix", json_type_array, &arr) ||
	    !json_object_array_length(arr) ||
	    json_object_array_length(arr) > vdev->nr_vectors)
		return -EINVAL;
	nv = (unsigned)json_object_array_length(arr);
	for (unsigned v = 0; v < nv; v++) {
		e = json_object_array_get_idx(arr, v);
		if (vpci_get(e, "addr", json_type_int, &a) ||
		    vpci_get(e, "data", json_type_int, &d) ||
		    vpci_get(e, "masked", json_type_boolean, &m) ||
		    vpci_get(e, "pending", json_type_boolean, &p) ||
		    json_object_get_int64(a) < 0 ||
		    json_object_get_int64(d) < 0 ||
		    json_object_get_uint64(d) > UINT32_MAX)
			return -EINVAL;
	}
	rc = pci_dev_restore(&vdev->pci, obj);
	if (rc)
		return rc;
	pthread_mutex_lock(&vdev->lock);
	vpci_table_reset(vdev);
	for (unsigned v = 0; v < nv; v++) {
		struct virtio_vector *vec = &vdev->vectors[v];

		e = json_object_array_get_idx(arr, v);
		vpci_get(e, "addr", json_type_int, &a);
		vpci_get(e, "data", json_type_int, &d);
		vpci_get(e, "masked", json_type_boolean, &m);
		vpci_get(e, "pending", json_type_boolean, &p);
		vec->addr = json_object_get_uint64(a);
		vec->data = (uint32_t)json_object_get_uint64(d);
		vec->masked = json_object_get_boolean(m);
		vec->pending = json_object_get_boolean(p);
	}
	vpci_flush_pending(vdev);
	pthread_mutex_unlock(&vdev->lock);
	return 0;
}
