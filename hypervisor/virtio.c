// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The transport-independent part of a virtio device (virtio 1.2, 2-3):
 * the status state machine, feature negotiation, queue enabling,
 * DEVICE_NEEDS_RESET, queue and configuration interrupts, and the
 * device_ops (reset, save, restore, stats, free) every virtio device
 * type shares.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_error.h"
#include "log.h"
#include "virtio.h"
#include "virtio_pci.h"
#include "vm.h"

#define VIRTIO_F_VERSION_1_BIT 32
#define VIRTIO_F_INDIRECT_BIT 28
#define VIRTIO_F_EVENT_IDX_BIT 29
#define VIRTIO_STATUS_DRIVER_BITS                                         \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |               \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |            \
	 VIRTIO_STATUS_FAILED)

static struct virtio_dev *to_vdev(struct device *dev)
{
	return (struct virtio_dev *)dev;
}

/* True if the driver negotiated feature @bit. */
static bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return bit < 64 && (vdev->guest_features & (1ULL << bit));
}

bool virtio_running(const struct virtio_dev *vdev)
{
	return (vdev->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vdev->status & VIRTIO_STATUS_NEEDS_RESET);
}

static void virtio_dev_reset(struct device *dev);
static int virtio_dev_save(struct device *dev, struct json_object **out);
static int virtio_dev_restore(struct device *dev, struct json_object *state);
static void virtio_dev_stats(struct device *dev, struct json_object *out);
static int virtio_dev_iotune(struct device *dev, const struct iotune *set,
			     struct iotune *cur, enum iotune_kind *kind);
static void virtio_dev_release(struct device *dev);

/* The core's part of a device, the backend already released. */
static void virtio_dev_dispose(struct virtio_dev *vdev)
{
	vpci_dispose(vdev);
	free(vdev->queues);
	pthread_mutex_destroy(&vdev->lock);
	free(vdev);
}

int virtio_dev_new(struct vm *vm, const struct virtio_ops *ops,
		   uint64_t features, struct virtio_dev **out)
{
	struct virtio_dev *vdev;
	int rc;

	if (ops->size < sizeof(*vdev) || !ops->nr_queues ||
	    !ops->queue_size || ops->queue_size > VQ_MAX_SIZE ||
	    (ops->queue_size & (ops->queue_size - 1)))
		return -EINVAL;
	vdev = calloc(1, ops->size);
	if (!vdev)
		return -ENOMEM;
	pthread_mutex_init(&vdev->lock, NULL);
	vdev->dev_ops = (struct device_ops){
		.type = ops->type,
		/* The core's fields and each type's "device" object. */
		.version = 1,
		.reset = virtio_dev_reset,
		.save = virtio_dev_save,
		.restore = virtio_dev_restore,
		.stats = virtio_dev_stats,
		.iotune = ops->iotune ? virtio_dev_iotune : NULL,
		.free = virtio_dev_release,
	};
	vdev->dev.ops = &vdev->dev_ops;
	vdev->dev.vm = vm;
	vdev->ops = ops;
	vdev->host_features = features | VIRTIO_F_BASE;
	vdev->config_vector = VIRTIO_NO_VECTOR;
	vdev->queues = calloc(ops->nr_queues, sizeof(*vdev->queues));
	if (!vdev->queues) {
		rc = -ENOMEM;
		goto out_dispose;
	}
	for (unsigned q = 0; q < ops->nr_queues; q++) {
		struct virtio_queue *vq = &vdev->queues[q];

		vq_init(&vq->vq, vm, ops->queue_size);
		vq->vector = VIRTIO_NO_VECTOR;
		vq->kick_fd = -1;
		vq->vdev = vdev;
		vq->index = q;
	}
	rc = vpci_init(vdev);
	if (rc)
		goto out_dispose;
	*out = vdev;
	return 0;

out_dispose:
	virtio_dev_dispose(vdev);
	return rc;
}

int virtio_dev_register(struct virtio_dev *vdev, struct device **out)
{
	struct vm *vm = vdev->dev.vm;
	char id[sizeof(vdev->dev.id)];
	unsigned n;
	int rc;

	for (n = 0; n < 1000; n++) {
		snprintf(id, sizeof(id), "%s%u", vdev->ops->id_prefix, n);
		if (!vm_find_device(vm, id))
			break;
	}
	rc = vm_add_device(vm, &vdev->dev, id);
	if (rc) {
		virtio_dev_free(vdev);
		return rc;
	}
	/* On the list first: from here on vm_free() owns it. */
	rc = vpci_register(vdev);
	if (rc) {
		hv_error("%s: cannot plug it into the PCI bus: %s.", id,
			 strerror(-rc));
		return rc;
	}
	if (out)
		*out = &vdev->dev;
	return 0;
}

void virtio_dev_free(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	if (vdev->ops->free)
		vdev->ops->free(vdev);
	virtio_dev_dispose(vdev);
}

struct virtio_dev *virtio_dev_of(struct device *dev,
				 const struct virtio_ops *ops)
{
	struct virtio_dev *vdev;

	if (!dev || dev->ops->free != virtio_dev_release)
		return NULL;
	vdev = to_vdev(dev);
	return vdev->ops == ops ? vdev : NULL;
}

void virtio_dev_fail(struct virtio_dev *vdev, const char *why, int err)
{
	if (vdev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	/* A guest could fail us in a loop: say it loudly only once. */
	if (!vdev->failed_logged)
		log_warn("%s: %s (%s); the device stops until the guest resets it.",
			 vdev->dev.id, why, strerror(-err));
	else
		log_debug("%s: %s (%s)", vdev->dev.id, why, strerror(-err));
	vdev->failed_logged = true;
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: a running driver is told by a configuration interrupt. */
	if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
		vpci_interrupt(vdev, vdev->config_vector, VPCI_ISR_CONFIG);
}

void virtio_queue_interrupt(struct virtio_dev *vdev, unsigned q)
{
	if (q < vdev->ops->nr_queues && vq_should_notify(&vdev->queues[q].vq))
		vpci_interrupt(vdev, vdev->queues[q].vector, VPCI_ISR_QUEUE);
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	vdev->config_generation++;
	if (vdev->status & VIRTIO_STATUS_DRIVER_OK)
		vpci_interrupt(vdev, vdev->config_vector, VPCI_ISR_CONFIG);
}

/* Device reset (2.4): everything the driver set up is forgotten. */
static void virtio_reset_locked(struct virtio_dev *vdev)
{
	vdev->status = 0;
	vdev->dfselect = vdev->gfselect = 0;
	vdev->guest_features = 0;
	vdev->config_vector = VIRTIO_NO_VECTOR;
	vdev->queue_select = 0;
	for (unsigned q = 0; q < vdev->ops->nr_queues; q++) {
		vq_reset(&vdev->queues[q].vq);
		vdev->queues[q].vector = VIRTIO_NO_VECTOR;
	}
	vpci_reset(vdev);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

/* What the driver accepted is what we offered, and it is virtio 1.x. */
static bool virtio_features_ok(const struct virtio_dev *vdev)
{
	return !(vdev->guest_features & ~vdev->host_features) &&
	       virtio_has_feature(vdev, VIRTIO_F_VERSION_1_BIT);
}

/* Run every enabled queue once, on the I/O thread. */
static void virtio_kick_all(struct virtio_dev *vdev)
{
	for (unsigned q = 0; q < vdev->ops->nr_queues; q++) {
		if (vdev->queues[q].vq.ready)
			vpci_kick(vdev, q);
	}
}

void virtio_set_status(struct virtio_dev *vdev, uint8_t status)
{
	uint8_t old = vdev->status, set;

	if (!status) {
		virtio_reset_locked(vdev);
		return;
	}
	/* Bits only accumulate until a reset; NEEDS_RESET is ours. */
	set = old | (status & VIRTIO_STATUS_DRIVER_BITS);
	if ((set & ~old & VIRTIO_STATUS_FEATURES_OK) &&
	    !virtio_features_ok(vdev))
		set &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	if ((set & ~old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(set & VIRTIO_STATUS_FEATURES_OK)) {
		vdev->status = set & (uint8_t)~VIRTIO_STATUS_DRIVER_OK;
		virtio_dev_fail(vdev, "the driver set DRIVER_OK before FEATURES_OK",
				-EPROTO);
		return;
	}
	vdev->status = set;
	if (set & ~old & VIRTIO_STATUS_DRIVER_OK) {
		if (vdev->ops->driver_ok && virtio_running(vdev))
			vdev->ops->driver_ok(vdev);
		/* Buffers may have been queued before DRIVER_OK. */
		virtio_kick_all(vdev);
	}
}

void virtio_queue_enable(struct virtio_dev *vdev, unsigned q)
{
	char why[64];
	int rc;

	rc = vq_enable(&vdev->queues[q].vq,
		       virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX_BIT),
		       virtio_has_feature(vdev, VIRTIO_F_INDIRECT_BIT));
	if (rc) {
		snprintf(why, sizeof(why), "queue %u: the driver enabled a bad ring",
			 q);
		virtio_dev_fail(vdev, why, rc);
	}
}

void virtio_queue_notify(struct virtio_dev *vdev, unsigned q)
{
	pthread_mutex_lock(&vdev->lock);
	if (virtio_running(vdev) && vdev->queues[q].vq.ready) {
		vdev->nr_kicks++;
		vdev->ops->notify(vdev, q);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static void virtio_dev_reset(struct device *dev)
{
	struct virtio_dev *vdev = to_vdev(dev);

	vpci_function_reset(vdev);
	pthread_mutex_lock(&vdev->lock);
	virtio_reset_locked(vdev);
	vdev->config_generation = 0;
	vdev->failed_logged = false;
	pthread_mutex_unlock(&vdev->lock);
}

/* The transport-independent fields, in one table for save and restore. */
static const struct {
	const char *name;
	size_t off;
	unsigned size;
} virtio_fields[] = {
#define VF(f) { #f, offsetof(struct virtio_dev, f), sizeof(((struct virtio_dev *)0)->f) }
	VF(status), VF(dfselect), VF(gfselect), VF(guest_features),
	VF(config_vector), VF(queue_select), VF(config_generation), VF(isr),
#undef VF
};

#define VIRTIO_NR_FIELDS (sizeof(virtio_fields) / sizeof(virtio_fields[0]))

static uint64_t field_get(const struct virtio_dev *vdev, unsigned i)
{
	const uint8_t *p = (const uint8_t *)vdev + virtio_fields[i].off;
	uint64_t v = 0;

	memcpy(&v, p, virtio_fields[i].size); /* little-endian host */
	return v;
}

static void field_set(struct virtio_dev *vdev, unsigned i, uint64_t v)
{
	memcpy((uint8_t *)vdev + virtio_fields[i].off, &v,
	       virtio_fields[i].size);
}

static int virtio_save_locked(struct virtio_dev *vdev, struct json_object *o)
{
	struct json_object *queues = json_object_new_array(), *dev_o;
	int rc = queues ? 0 : -ENOMEM;

	for (unsigned i = 0; !rc && i < VIRTIO_NR_FIELDS; i++)
		if (json_object_object_add(
			    o, virtio_fields[i].name,
			    json_object_new_uint64(field_get(vdev, i))))
			rc = -ENOMEM;
	for (unsigned q = 0; !rc && q < vdev->ops->nr_queues; q++) {
		struct json_object *qo = NULL;

		rc = vq_save(&vdev->queues[q].vq, &qo);
		if (!rc && (json_object_object_add(
				    qo, "vector",
				    json_object_new_uint64(
					    vdev->queues[q].vector)) ||
			    json_object_array_add(queues, qo))) {
			json_object_put(qo);
			rc = -ENOMEM;
		}
	}
	if (!rc && json_object_object_add(o, "queues", queues))
		rc = -ENOMEM;
	else if (!rc)
		queues = NULL;
	json_object_put(queues);
	if (rc || !vdev->ops->save)
		return rc;
	dev_o = json_object_new_object();
	if (!dev_o || json_object_object_add(o, "device", dev_o)) {
		json_object_put(dev_o);
		return -ENOMEM;
	}
	return vdev->ops->save(vdev, dev_o);
}

static int virtio_dev_save(struct device *dev, struct json_object **out)
{
	struct virtio_dev *vdev = to_vdev(dev);
	struct json_object *o = json_object_new_object();
	int rc;

	if (!o)
		return -ENOMEM;
	rc = vpci_save(vdev, o);
	if (!rc) {
		pthread_mutex_lock(&vdev->lock);
		rc = virtio_save_locked(vdev, o);
		pthread_mutex_unlock(&vdev->lock);
	}
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

static int virtio_restore_locked(struct virtio_dev *vdev,
				 struct json_object *state)
{
	struct json_object *v, *queues, *dev_o = NULL;
	unsigned nq = vdev->ops->nr_queues;

	for (unsigned i = 0; i < VIRTIO_NR_FIELDS; i++) {
		unsigned bits = 8 * virtio_fields[i].size;

		if (!json_object_object_get_ex(state, virtio_fields[i].name,
					       &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    (bits < 64 && json_object_get_uint64(v) >> bits))
			return -EINVAL;
		field_set(vdev, i, json_object_get_uint64(v));
	}
	if ((vdev->status & ~(VIRTIO_STATUS_DRIVER_BITS |
			      VIRTIO_STATUS_NEEDS_RESET)) ||
	    ((vdev->status & VIRTIO_STATUS_FEATURES_OK) &&
	     !virtio_features_ok(vdev)) ||
	    (vdev->config_vector != VIRTIO_NO_VECTOR &&
	     vdev->config_vector >= vdev->nr_vectors) ||
	    vdev->isr & ~(VPCI_ISR_QUEUE | VPCI_ISR_CONFIG))
		return -EINVAL;
	/*
	 * A stream from before a device gained a queue (virtio-net's
	 * control queue) has fewer: the rest stay reset, as the driver
	 * there never negotiated what they serve.
	 */
	if (!json_object_object_get_ex(state, "queues", &queues) ||
	    !json_object_is_type(queues, json_type_array) ||
	    !json_object_array_length(queues) ||
	    json_object_array_length(queues) > nq)
		return -EINVAL;
	nq = (unsigned)json_object_array_length(queues);
	for (unsigned q = 0; q < nq; q++) {
		struct json_object *qo = json_object_array_get_idx(queues, q);
		int64_t vec;

		if (vq_restore(&vdev->queues[q].vq, qo) ||
		    !json_object_object_get_ex(qo, "vector", &v) ||
		    !json_object_is_type(v, json_type_int))
			return -EINVAL;
		vec = json_object_get_int64(v);
		if (vec != VIRTIO_NO_VECTOR &&
		    (vec < 0 || vec >= vdev->nr_vectors))
			return -EINVAL;
		vdev->queues[q].vector = (uint16_t)vec;
	}
	json_object_object_get_ex(state, "device", &dev_o);
	if (vdev->ops->restore)
		return vdev->ops->restore(vdev, dev_o);
	return 0;
}

static int virtio_dev_restore(struct device *dev, struct json_object *state)
{
	struct virtio_dev *vdev = to_vdev(dev);
	int rc;

	if (!json_object_is_type(state, json_type_object))
		return -EINVAL;
	rc = vpci_restore(vdev, state);
	if (rc)
		return rc;
	pthread_mutex_lock(&vdev->lock);
	rc = virtio_restore_locked(vdev, state);
	if (rc) {
		virtio_reset_locked(vdev);
		pthread_mutex_unlock(&vdev->lock);
		return rc;
	}
	if (vdev->isr && !vdev->msix_enabled)
		pci_set_irq(&vdev->pci, true);
	if (virtio_running(vdev)) {
		if (vdev->ops->driver_ok)
			vdev->ops->driver_ok(vdev);
		virtio_kick_all(vdev);
	}
	pthread_mutex_unlock(&vdev->lock);
	return rc;
}

static void virtio_dev_stats(struct device *dev, struct json_object *out)
{
	struct virtio_dev *vdev = to_vdev(dev);

	pthread_mutex_lock(&vdev->lock);
	json_object_object_add(out, "status",
			       json_object_new_int(vdev->status));
	json_object_object_add(
		out, "needs_reset",
		json_object_new_boolean(vdev->status &
					VIRTIO_STATUS_NEEDS_RESET));
	json_object_object_add(out, "interrupts",
			       json_object_new_uint64(vdev->nr_interrupts));
	json_object_object_add(out, "kicks",
			       json_object_new_uint64(vdev->nr_kicks));
	if (vdev->ops->stats)
		vdev->ops->stats(vdev, out);
	pthread_mutex_unlock(&vdev->lock);
}

static int virtio_dev_iotune(struct device *dev, const struct iotune *set,
			     struct iotune *cur, enum iotune_kind *kind)
{
	struct virtio_dev *vdev = to_vdev(dev);

	pthread_mutex_lock(&vdev->lock);
	vdev->ops->iotune(vdev, set, cur);
	*kind = vdev->ops->iotune_kind;
	pthread_mutex_unlock(&vdev->lock);
	return 0;
}

/* device_ops.free: the VM is tearing down its devices. */
static void virtio_dev_release(struct device *dev)
{
	virtio_dev_free(to_vdev(dev));
}
