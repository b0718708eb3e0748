// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue; every buffer the
 * driver offers comes back filled from getrandom().
 */
#include "config.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio.h"
#include "virtio_rng.h"
#include "vmm.h"

#define VRNG_QUEUE_SIZE 64
/* Bound the host work one request can ask for (the rest stays unfilled). */
#define VRNG_MAX_REQUEST 65536

struct vrng {
	struct virtio_dev vdev; /* first */
	struct vq_chain chain;
	uint64_t requests, bytes;
};

static struct vrng *to_vrng(struct virtio_dev *vdev)
{
	return (struct vrng *)vdev;
}

/* Fill the writable part of @c, up to VRNG_MAX_REQUEST bytes. */
static uint32_t vrng_fill(const struct vq_chain *c)
{
	uint32_t done = 0;

	for (unsigned i = c->nr_rd; i < c->nr_rd + c->nr_wr; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t left = c->iov[i].iov_len;

		while (left && done < VRNG_MAX_REQUEST) {
			size_t want = left;
			ssize_t n;

			if (want > VRNG_MAX_REQUEST - done)
				want = VRNG_MAX_REQUEST - done;
			/* Never block the I/O thread on an unready pool. */
			n = getrandom(p, want, GRND_NONBLOCK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done;
			p += n;
			left -= (size_t)n;
			done += (uint32_t)n;
		}
	}
	return done;
}

static void vrng_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vrng *r = to_vrng(vdev);
	struct virtqueue *vq = &vdev->queues[0].vq;
	int rc;

	while ((rc = vq_pop(vq, &r->chain)) > 0) {
		uint32_t n = vrng_fill(&r->chain);

		vq_push(vq, r->chain.head, n);
		r->requests++;
		r->bytes += n;
	}
	if (rc < 0)
		virtio_dev_fail(vdev, "request queue", rc);
	virtio_queue_interrupt(vdev, 0);
}

static void vrng_stats(struct virtio_dev *vdev, struct json_object *out)
{
	struct vrng *r = to_vrng(vdev);

	json_object_object_add(out, "requests",
			       json_object_new_uint64(r->requests));
	json_object_object_add(out, "bytes", json_object_new_uint64(r->bytes));
}

static void vrng_free(struct virtio_dev *vdev)
{
	vq_chain_dispose(&to_vrng(vdev)->chain);
}

static const struct virtio_ops vrng_virtio_ops = {
	.type = "virtio-rng",
	.id_prefix = "vrng",
	.size = sizeof(struct vrng),
	.device_id = VIRTIO_ID_RNG,
	.pci_class = 0xff0000, /* no class fits */
	.nr_queues = 1,
	.queue_size = VRNG_QUEUE_SIZE,
	.notify = vrng_notify,
	.stats = vrng_stats,
	.free = vrng_free,
};

/*
 * A virtio entropy device (virtio 1.2, 5.4) fed by the host's
 * getrandom(). On @vm's device list as "vrng0", "vrng1", ... Returns 0
 * and *@out (owned by the VM; @out may be NULL) or -errno.
 */
static int virtio_rng_new(struct vm *vm, struct device **out)
{
	struct virtio_dev *vdev;
	int rc;

	rc = virtio_dev_new(vm, &vrng_virtio_ops, 0, &vdev);
	if (rc)
		return rc;
	return virtio_dev_register(vdev, out);
}

int virtio_rng_add(struct vm *vm, const struct vm_config *cfg)
{
	return cfg->rng ? virtio_rng_new(vm, NULL) : 0;
}
