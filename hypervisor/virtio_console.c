// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-console (virtio 1.2, 5.3), single port: receive queue 0 carries
 * input to the guest, transmit queue 1 its output, and the console size
 * (VIRTIO_CONSOLE_F_SIZE) that the host's writer sets. No multiport, no
 * emergency write. The size is the host's, not guest state: it is not
 * saved, and a restored device says 0x0 until the host sets it again.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>

#include "hv_error.h"
#include "virtio.h"
#include "virtio_console.h"
#include "vm.h"
#include "vmm.h"

#define VCON_QUEUE_SIZE 64
#define VCON_RXQ 0
#define VCON_TXQ 1
#define VCON_CONFIG_SIZE 8 /* le16 cols, le16 rows, le32 max_nr_ports */
#define VCON_F_SIZE 0 /* VIRTIO_CONSOLE_F_SIZE */

struct vcon {
	struct virtio_dev vdev; /* first */
	struct virtio_console_backend be;
	struct event *rx_ready_ev; /* calls be.rx_ready without the lock */
	bool rx_wanted; /* input was refused; tell the backend on buffers */
	struct vq_chain rx_chain, tx_chain;
	uint16_t cols, rows; /* 0: unknown */
	uint64_t rx_bytes, tx_bytes;
};

static const struct virtio_ops vcon_virtio_ops;

static struct vcon *to_vcon(struct virtio_dev *vdev)
{
	return (struct vcon *)vdev;
}

/* @dev as a virtio console, or NULL. */
static struct vcon *vcon_of(struct device *dev)
{
	struct virtio_dev *vdev = virtio_dev_of(dev, &vcon_virtio_ops);

	return vdev ? to_vcon(vdev) : NULL;
}

static void vcon_config_read(struct virtio_dev *vdev, uint32_t off,
			     void *data, unsigned len)
{
	struct vcon *c = to_vcon(vdev);
	uint8_t cfg[VCON_CONFIG_SIZE] = { 0 };

	cfg[0] = (uint8_t)c->cols;
	cfg[1] = (uint8_t)(c->cols >> 8);
	cfg[2] = (uint8_t)c->rows;
	cfg[3] = (uint8_t)(c->rows >> 8);
	cfg[4] = 1; /* max_nr_ports, meaningful with MULTIPORT only */
	memcpy(data, cfg + off, len);
}

static void vcon_tx(struct vcon *c)
{
	struct virtqueue *vq = &c->vdev.queues[VCON_TXQ].vq;
	int rc;

	while ((rc = vq_pop(vq, &c->tx_chain)) > 0) {
		for (unsigned i = 0; i < c->tx_chain.nr_rd; i++) {
			const struct iovec *v = &c->tx_chain.iov[i];

			if (c->be.output)
				c->be.output(c->be.opaque, v->iov_base,
					     v->iov_len);
		}
		c->tx_bytes += c->tx_chain.rd_len;
		vq_push(vq, c->tx_chain.head, 0);
	}
	if (rc < 0)
		virtio_dev_fail(&c->vdev, "transmit queue", rc);
	virtio_queue_interrupt(&c->vdev, VCON_TXQ);
}

/* Ask the backend (on the I/O thread, lock dropped) to offer input. */
static void vcon_wake_backend(struct vcon *c)
{
	if (c->rx_wanted && c->be.rx_ready) {
		c->rx_wanted = false;
		event_active(c->rx_ready_ev, 0, 0);
	}
}

static void vcon_rx_ready_event(evutil_socket_t fd, short what, void *arg)
{
	struct vcon *c = arg;
	struct virtio_console_backend be;

	pthread_mutex_lock(&c->vdev.lock);
	be = c->be;
	pthread_mutex_unlock(&c->vdev.lock);
	if (be.rx_ready)
		be.rx_ready(be.opaque);
}

static void vcon_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vcon *c = to_vcon(vdev);

	if (q == VCON_TXQ)
		vcon_tx(c);
	else
		vcon_wake_backend(c);
}

static void vcon_driver_ok(struct virtio_dev *vdev)
{
	vcon_wake_backend(to_vcon(vdev));
}

size_t virtio_console_input(struct device *dev, const uint8_t *buf,
			    size_t len)
{
	struct vcon *c = vcon_of(dev);
	struct virtqueue *vq;
	size_t done = 0;
	int rc = 0;

	if (!c)
		return 0;
	vq = &c->vdev.queues[VCON_RXQ].vq;
	pthread_mutex_lock(&c->vdev.lock);
	while (done < len && virtio_running(&c->vdev) &&
	       (rc = vq_pop(vq, &c->rx_chain)) > 0) {
		size_t n = vq_chain_write(&c->rx_chain, 0, buf + done,
					  len - done);

		vq_push(vq, c->rx_chain.head, (uint32_t)n);
		done += n;
	}
	if (rc < 0)
		virtio_dev_fail(&c->vdev, "receive queue", rc);
	if (done < len)
		c->rx_wanted = true;
	c->rx_bytes += done;
	if (done)
		virtio_queue_interrupt(&c->vdev, VCON_RXQ);
	pthread_mutex_unlock(&c->vdev.lock);
	return done;
}

void virtio_console_set_backend(struct device *dev,
				const struct virtio_console_backend *be)
{
	struct vcon *c = vcon_of(dev);

	if (!c)
		return;
	pthread_mutex_lock(&c->vdev.lock);
	if (be)
		c->be = *be;
	else
		memset(&c->be, 0, sizeof(c->be));
	pthread_mutex_unlock(&c->vdev.lock);
}

void virtio_console_set_size(struct device *dev, unsigned rows,
			     unsigned cols)
{
	struct vcon *c = vcon_of(dev);

	if (!c || rows > UINT16_MAX ||
	    cols > UINT16_MAX)
		return;
	pthread_mutex_lock(&c->vdev.lock);
	if (c->rows != rows || c->cols != cols) {
		c->rows = (uint16_t)rows;
		c->cols = (uint16_t)cols;
		virtio_config_changed(&c->vdev);
	}
	pthread_mutex_unlock(&c->vdev.lock);
}

static void vcon_stats(struct virtio_dev *vdev, struct json_object *out)
{
	struct vcon *c = to_vcon(vdev);

	json_object_object_add(out, "rx_bytes",
			       json_object_new_uint64(c->rx_bytes));
	json_object_object_add(out, "tx_bytes",
			       json_object_new_uint64(c->tx_bytes));
}

static void vcon_free(struct virtio_dev *vdev)
{
	struct vcon *c = to_vcon(vdev);

	if (c->rx_ready_ev)
		event_free(c->rx_ready_ev);
	c->rx_ready_ev = NULL;
	vq_chain_dispose(&c->rx_chain);
	vq_chain_dispose(&c->tx_chain);
}

static const struct virtio_ops vcon_virtio_ops = {
	.type = "virtio-console",
	.id_prefix = "vcon",
	.size = sizeof(struct vcon),
	.device_id = VIRTIO_ID_CONSOLE,
	.pci_class = 0x078000, /* communication controller, other */
	.nr_queues = 2,
	.queue_size = VCON_QUEUE_SIZE,
	.config_size = VCON_CONFIG_SIZE,
	.config_read = vcon_config_read,
	.notify = vcon_notify,
	.driver_ok = vcon_driver_ok,
	.stats = vcon_stats,
	.free = vcon_free,
};

/*
 * A virtio console (virtio 1.2, 5.3) with one port, which Linux shows
 * as /dev/hvc0. @be is copied; NULL discards output. On @vm's device
 * list as "vcon0", "vcon1", ... Returns 0 and *@out (owned by the VM;
 * @out may be NULL) or -errno.
 */
static int virtio_console_new(struct vm *vm,
			      const struct virtio_console_backend *be,
			      struct device **out)
{
	struct virtio_dev *vdev;
	struct vcon *c;
	int rc;

	rc = virtio_dev_new(vm, &vcon_virtio_ops, VIRTIO_FEAT(VCON_F_SIZE),
			    &vdev);
	if (rc)
		return rc;
	c = to_vcon(vdev);
	if (be)
		c->be = *be;
	c->rx_ready_ev = event_new(vm->evbase, -1, 0, vcon_rx_ready_event, c);
	if (!c->rx_ready_ev) {
		virtio_dev_free(vdev);
		return -ENOMEM;
	}
	return virtio_dev_register(vdev, out);
}

int virtio_console_add(struct vm *vm, const struct vm_config *cfg)
{
	int rc;

	if (!cfg->virtio_console)
		return 0;
	rc = virtio_console_new(vm, NULL, NULL);
	if (rc)
		hv_error("Cannot create the virtio console: %s.",
			 strerror(-rc));
	return rc;
}
