// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-balloon (virtio 1.2, 5.5): the host sets num_pages, the guest
 * inflates (hands 4 KiB page frame numbers over on queue 0) or
 * deflates (takes them back on queue 1) and reports `actual`. Inflated
 * pages are dropped from keel-hv's memory; a deflated page needs
 * nothing, since touching it faults in a fresh zero page.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/virtio_balloon.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hv_error.h"
#include "log.h"
#include "virtio.h"
#include "virtio_balloon.h"
#include "vm.h"
#include "vmm.h"

#define VBAL_QUEUE_SIZE 128
#define VBAL_INFLATEQ 0
#define VBAL_DEFLATEQ 1
#define VBAL_CONFIG_SIZE 8 /* le32 num_pages, le32 actual */
#define VBAL_PAGE (1ULL << VIRTIO_BALLOON_PFN_SHIFT)
#define VBAL_BATCH 256 /* PFNs read from guest memory at a time */

struct vballoon {
	struct virtio_dev vdev; /* first */
	uint32_t num_pages; /* what we ask for */
	uint32_t actual; /* what the guest says it holds */
	struct vq_chain chain;
	uint64_t inflated, deflated, bad_pfns, madvise_errors;
	struct event *changed; /* made active when `actual` changes */
};

static const struct virtio_ops vbal_virtio_ops;

static struct vballoon *to_vbal(struct virtio_dev *vdev)
{
	return (struct vballoon *)vdev;
}

/* Guest RAM minus @pages balloon pages (the guest may claim too many). */
static uint64_t vbal_bytes_left(const struct vballoon *b, uint32_t pages)
{
	uint64_t ram = b->vdev.dev.vm->ram_size, gone = pages * VBAL_PAGE;

	return gone < ram ? ram - gone : 0;
}

static void vbal_config_read(struct virtio_dev *vdev, uint32_t off,
			     void *data, unsigned len)
{
	struct vballoon *b = to_vbal(vdev);
	uint8_t cfg[VBAL_CONFIG_SIZE];

	memcpy(cfg, &b->num_pages, 4);
	memcpy(cfg + 4, &b->actual, 4);
	memcpy(data, cfg + off, len);
}

/*
 * The guest moved `actual` (on a vCPU thread) or its driver reset: wake
 * whoever watches (the control socket, on the I/O thread). event_active
 * is thread-safe (main.c uses libevent's pthreads locking) and does
 * nothing more for an event that is already active, so the guest's
 * many small steps cost one wake-up each while nobody has looked yet.
 */
static void vbal_changed(struct vballoon *b)
{
	if (b->changed)
		event_active(b->changed, 0, 0);
}

static void vbal_config_write(struct virtio_dev *vdev, uint32_t off,
			      const void *data, unsigned len)
{
	struct vballoon *b = to_vbal(vdev);
	uint8_t cfg[VBAL_CONFIG_SIZE];

	/* Only `actual` is the driver's to write (5.5.6). */
	memcpy(cfg + 4, &b->actual, 4);
	if (off < 4)
		return;
	memcpy(cfg + off, data, len);
	memcpy(&b->actual, cfg + 4, 4);
	vbal_changed(b);
}

/* Give [hva, hva + len) of guest RAM back to the host. */
static void vbal_discard(struct vballoon *b, uint8_t *hva, uint64_t len)
{
	if (madvise(hva, len, MADV_DONTNEED) < 0) {
		if (!b->madvise_errors++)
			log_warn("%s: madvise: %s", b->vdev.dev.id,
				 strerror(errno));
	}
}

/*
 * The PFNs in the chain's readable part. Frames that are not guest RAM
 * are counted and skipped: they cost the host nothing, so they are not
 * worth stopping the device for. Runs of adjacent frames are discarded
 * with one madvise.
 */
static void vbal_inflate(struct vballoon *b)
{
	struct vm *vm = b->vdev.dev.vm;
	uint64_t nr = b->chain.rd_len / 4, run_len = 0;
	uint8_t *run = NULL;
	uint32_t pfns[VBAL_BATCH];

	for (uint64_t i = 0; i < nr; i += VBAL_BATCH) {
		unsigned n = nr - i < VBAL_BATCH ? (unsigned)(nr - i) :
						   VBAL_BATCH;

		vq_chain_read(&b->chain, i * 4, pfns, n * 4);
		for (unsigned k = 0; k < n; k++) {
			uint8_t *hva = vm_gpa_to_hva(
				vm, (uint64_t)pfns[k] * VBAL_PAGE, VBAL_PAGE);

			if (!hva) {
				b->bad_pfns++;
				continue;
			}
			b->inflated++;
			if (run && hva == run + run_len) {
				run_len += VBAL_PAGE;
				continue;
			}
			if (run)
				vbal_discard(b, run, run_len);
			run = hva;
			run_len = VBAL_PAGE;
		}
	}
	if (run)
		vbal_discard(b, run, run_len);
	/* Discarded pages read as zero now: a migration sends them again. */
	for (uint64_t i = 0; vm_dirty_logging(vm) && i < nr; i++) {
		vq_chain_read(&b->chain, i * 4, pfns, 4);
		vm_mark_dirty(vm, (uint64_t)pfns[0] * VBAL_PAGE, VBAL_PAGE);
	}
}

static void vbal_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vballoon *b = to_vbal(vdev);
	struct virtqueue *vq = &vdev->queues[q].vq;
	int rc;

	while ((rc = vq_pop(vq, &b->chain)) > 0) {
		if (q == VBAL_INFLATEQ)
			vbal_inflate(b);
		else
			b->deflated += b->chain.rd_len / 4;
		vq_push(vq, b->chain.head, 0);
	}
	if (rc < 0)
		virtio_dev_fail(vdev, q == VBAL_INFLATEQ ? "inflate queue" :
							   "deflate queue",
				rc);
	virtio_queue_interrupt(vdev, q);
}

static void vbal_reset(struct virtio_dev *vdev)
{
	/* The guest's driver starts from an empty balloon; keep the ask. */
	to_vbal(vdev)->actual = 0;
	vbal_changed(to_vbal(vdev));
}

static int vbal_save(struct virtio_dev *vdev, struct json_object *obj)
{
	struct vballoon *b = to_vbal(vdev);

	if (json_object_object_add(obj, "num_pages",
				   json_object_new_uint64(b->num_pages)) ||
	    json_object_object_add(obj, "actual",
				   json_object_new_uint64(b->actual)))
		return -ENOMEM;
	return 0;
}

static int vbal_get_u32(struct json_object *obj, const char *key,
			uint32_t *out)
{
	struct json_object *v;

	if (!obj || !json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0 ||
	    json_object_get_int64(v) > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)json_object_get_int64(v);
	return 0;
}

static int vbal_restore(struct virtio_dev *vdev, struct json_object *obj)
{
	struct vballoon *b = to_vbal(vdev);
	uint32_t num_pages, actual;

	if (vbal_get_u32(obj, "num_pages", &num_pages) ||
	    vbal_get_u32(obj, "actual", &actual))
		return -EINVAL;
	b->num_pages = num_pages;
	b->actual = actual;
	return 0;
}

static void vbal_stats(struct virtio_dev *vdev, struct json_object *out)
{
	struct vballoon *b = to_vbal(vdev);

	json_object_object_add(
		out, "target_bytes",
		json_object_new_uint64(vbal_bytes_left(b, b->num_pages)));
	json_object_object_add(
		out, "actual_bytes",
		json_object_new_uint64(vbal_bytes_left(b, b->actual)));
	json_object_object_add(out, "inflated_pages",
			       json_object_new_uint64(b->inflated));
	json_object_object_add(out, "deflated_pages",
			       json_object_new_uint64(b->deflated));
	json_object_object_add(out, "bad_pfns",
			       json_object_new_uint64(b->bad_pfns));
}

static void vbal_free(struct virtio_dev *vdev)
{
	vq_chain_dispose(&to_vbal(vdev)->chain);
}

static const struct virtio_ops vbal_virtio_ops = {
	.type = "virtio-balloon",
	.id_prefix = "vballoon",
	.size = sizeof(struct vballoon),
	.device_id = VIRTIO_ID_BALLOON,
	.pci_class = 0x058000, /* memory controller, other */
	.nr_queues = 2,
	.queue_size = VBAL_QUEUE_SIZE,
	.config_size = VBAL_CONFIG_SIZE,
	.config_read = vbal_config_read,
	.config_write = vbal_config_write,
	.notify = vbal_notify,
	.reset = vbal_reset,
	.save = vbal_save,
	.restore = vbal_restore,
	.stats = vbal_stats,
	.free = vbal_free,
};

int virtio_balloon_set_target(struct device *dev, uint64_t target_bytes)
{
	struct virtio_dev *vdev = virtio_dev_of(dev, &vbal_virtio_ops);
	struct vballoon *b;
	uint64_t ram, pages = 0;

	if (!vdev)
		return -EINVAL;
	b = to_vbal(vdev);
	ram = dev->vm->ram_size;
	if (target_bytes < ram)
		pages = (ram - target_bytes) / VBAL_PAGE;
	if (pages > UINT32_MAX)
		pages = UINT32_MAX;
	pthread_mutex_lock(&b->vdev.lock);
	if (b->num_pages != pages) {
		b->num_pages = (uint32_t)pages;
		virtio_config_changed(&b->vdev);
	}
	pthread_mutex_unlock(&b->vdev.lock);
	return 0;
}

int virtio_balloon_get(struct device *dev, uint64_t *target_bytes,
		       uint64_t *actual_bytes)
{
	struct virtio_dev *vdev = virtio_dev_of(dev, &vbal_virtio_ops);
	struct vballoon *b;

	if (!vdev)
		return -EINVAL;
	b = to_vbal(vdev);
	pthread_mutex_lock(&b->vdev.lock);
	*target_bytes = vbal_bytes_left(b, b->num_pages);
	*actual_bytes = vbal_bytes_left(b, b->actual);
	pthread_mutex_unlock(&b->vdev.lock);
	return 0;
}

int virtio_balloon_watch(struct device *dev, struct event *changed)
{
	struct virtio_dev *vdev = virtio_dev_of(dev, &vbal_virtio_ops);

	if (!vdev)
		return -EINVAL;
	pthread_mutex_lock(&vdev->lock);
	to_vbal(vdev)->changed = changed;
	pthread_mutex_unlock(&vdev->lock);
	return 0;
}

/*
 * A virtio memory balloon (virtio 1.2, 5.5): inflate and deflate
 * queues, no statistics queue. Pages the guest puts in the balloon are
 * given back to the host (madvise MADV_DONTNEED), so keel-hv's RSS
 * drops. The balloon starts empty. On @vm's device list as "vballoon0".
 * Returns 0 and *@out (owned by the VM; @out may be NULL) or -errno.
 */
static int virtio_balloon_new(struct vm *vm, struct device **out)
{
	struct virtio_dev *vdev;
	int rc;

	rc = virtio_dev_new(vm, &vbal_virtio_ops, 0, &vdev);
	if (rc)
		return rc;
	return virtio_dev_register(vdev, out);
}

int virtio_balloon_add(struct vm *vm, const struct vm_config *cfg)
{
	struct device *dev;
	int rc;

	if (!cfg->balloon && !cfg->maxmem)
		return 0;
	rc = virtio_balloon_new(vm, &dev);
	if (rc) {
		hv_error("Cannot create the memory balloon: %s.",
			 strerror(-rc));
		return rc;
	}
	/* Guest RAM is --maxmem: the balloon holds back all but --memory. */
	if (cfg->maxmem)
		rc = virtio_balloon_set_target(dev, cfg->ram_size);
	return rc;
}
