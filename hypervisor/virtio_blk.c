// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image: one request queue,
 * IN/OUT with preadv/pwritev straight into guest buffers, FLUSH with
 * fdatasync, GET_ID. Requests run to completion on the I/O thread.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "virtio.h"
#include "virtio_blk.h"

#define VBLK_QUEUE_SIZE 256
#define VBLK_SECTOR 512
#define VBLK_HDR 16 /* le32 type, le32 reserved, le64 sector */
#define VBLK_CONFIG_SIZE 24 /* capacity, size_max, seg_max, geometry, blk_size */
#define VBLK_SEG_MAX (VBLK_QUEUE_SIZE - 2) /* minus header and status */

struct vblk {
	struct virtio_dev vdev; /* first */
	int fd;
	bool readonly;
	uint64_t capacity; /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct vq_chain chain;
	struct iovec iov[VBLK_QUEUE_SIZE];
	uint64_t reads, writes, read_bytes, written_bytes, flushes;
	uint64_t io_errors, unsupported;
};

static struct vblk *to_vblk(struct virtio_dev *vdev)
{
	return (struct vblk *)vdev;
}

static void vblk_config_read(struct virtio_dev *vdev, uint32_t off,
			     void *data, unsigned len)
{
	struct vblk *b = to_vblk(vdev);
	uint8_t cfg[VBLK_CONFIG_SIZE] = { 0 };
	uint32_t seg_max = VBLK_SEG_MAX, blk_size = VBLK_SECTOR;

	memcpy(cfg, &b->capacity, 8); /* little-endian host */
	memcpy(cfg + 12, &seg_max, 4);
	memcpy(cfg + 20, &blk_size, 4);
	memcpy(data, cfg + off, len);
}

/* Transfer all of @iov at @off, resuming after short transfers. */
static int vblk_io(int fd, struct iovec *iov, int n, uint64_t off, bool wr)
{
	while (n > 0) {
		ssize_t r = wr ? pwritev(fd, iov, n, (off_t)off) :
				 preadv(fd, iov, n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* the image shrank under us */
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Data part of a read or write: bounds, then the transfer. */
static uint8_t vblk_rw(struct vblk *b, uint64_t sector, uint64_t len,
		       bool wr)
{
	const struct vq_chain *c = &b->chain;
	int n, rc;

	if (wr && b->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len % VBLK_SECTOR || sector > b->capacity ||
	    len / VBLK_SECTOR > b->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	n = vq_chain_slice(c, !wr, wr ? VBLK_HDR : 0, len, b->iov,
			   VBLK_QUEUE_SIZE);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	rc = vblk_io(b->fd, b->iov, n, sector * VBLK_SECTOR, wr);
	if (rc) {
		log_debug("%s: %s at sector %llu: %s", b->vdev.dev.id,
			  wr ? "write" : "read", (unsigned long long)sector,
			  strerror(-rc));
		b->io_errors++;
		return VIRTIO_BLK_S_IOERR;
	}
	if (wr) {
		b->writes++;
		b->written_bytes += len;
	} else {
		b->reads++;
		b->read_bytes += len;
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * One request in b->chain. Returns the bytes written into the chain
 * (status included), or -EINVAL for a request without a header or a
 * status byte, which is not something a status can report.
 */
static int64_t vblk_request(struct vblk *b)
{
	const struct vq_chain *c = &b->chain;
	uint8_t hdr[VBLK_HDR], status;
	uint64_t sector, data_len = 0;
	uint32_t type;
	int rc;

	if (c->rd_len < VBLK_HDR || c->wr_len < 1)
		return -EINVAL;
	vq_chain_read(c, 0, hdr, sizeof(hdr));
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		data_len = c->wr_len - 1;
		status = vblk_rw(b, sector, data_len, false);
		if (status != VIRTIO_BLK_S_OK)
			data_len = 0;
		break;
	case VIRTIO_BLK_T_OUT:
		status = vblk_rw(b, sector, c->rd_len - VBLK_HDR, true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		b->flushes++;
		rc = b->readonly ? 0 : fdatasync(b->fd);
		if (rc < 0) {
			log_debug("%s: flush: %s", b->vdev.dev.id,
				  strerror(errno));
			b->io_errors++;
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_len = c->wr_len - 1;
		if (data_len > sizeof(b->serial))
			data_len = sizeof(b->serial);
		vq_chain_write(c, 0, b->serial, data_len);
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		b->unsupported++;
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	vq_chain_write(c, c->wr_len - 1, &status, 1);
	return (int64_t)data_len + 1;
}

static void vblk_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vblk *b = to_vblk(vdev);
	struct virtqueue *vq = &vdev->queues[0].vq;
	int64_t done;
	int rc;

	while ((rc = vq_pop(vq, &b->chain)) > 0) {
		done = vblk_request(b);
		if (done < 0) {
			rc = (int)done;
			break;
		}
		vq_push(vq, b->chain.head, (uint32_t)done);
	}
	if (rc < 0)
		virtio_dev_fail(vdev, "request queue", rc);
	virtio_queue_interrupt(vdev, 0);
}

static void vblk_stats(struct virtio_dev *vdev, struct json_object *out)
{
	struct vblk *b = to_vblk(vdev);
	const struct {
		const char *name;
		uint64_t v;
	} c[] = {
		{ "reads", b->reads },
		{ "writes", b->writes },
		{ "read_bytes", b->read_bytes },
		{ "written_bytes", b->written_bytes },
		{ "flushes", b->flushes },
		{ "io_errors", b->io_errors },
		{ "unsupported", b->unsupported },
		{ "capacity_bytes", b->capacity * VBLK_SECTOR },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		json_object_object_add(out, c[i].name,
				       json_object_new_uint64(c[i].v));
	json_object_object_add(out, "readonly",
			       json_object_new_boolean(b->readonly));
}

static void vblk_free(struct virtio_dev *vdev)
{
	struct vblk *b = to_vblk(vdev);

	vq_chain_dispose(&b->chain);
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static const struct virtio_ops vblk_virtio_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = 0x018000, /* mass storage, other */
	.nr_queues = 1,
	.queue_size = VBLK_QUEUE_SIZE,
	.config_size = VBLK_CONFIG_SIZE,
	.config_read = vblk_config_read,
	.notify = vblk_notify,
	.stats = vblk_stats,
	.free = vblk_free,
};

static const struct device_ops vblk_device_ops = {
	.type = "virtio-blk",
	.reset = virtio_dev_reset,
	.save = virtio_dev_save,
	.restore = virtio_dev_restore,
	.stats = virtio_dev_stats,
	.free = virtio_dev_free,
};

static int vblk_open(struct vblk *b, const char *path)
{
	const char *name = strrchr(path, '/');
	uint64_t bytes;
	struct stat st;
	size_t len;

	b->fd = open(path, (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st) < 0) {
		int rc = -errno;

		log_err("Cannot open disk %s: %s", path, strerror(errno));
		return rc;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		bytes = (uint64_t)st.st_size;
	} else {
		log_err("Disk %s is neither a file nor a block device.", path);
		return -EINVAL;
	}
	b->capacity = bytes / VBLK_SECTOR;
	if (bytes % VBLK_SECTOR)
		log_warn("Disk %s: the last %llu bytes are not a whole sector; the guest will not see them.",
			 path, (unsigned long long)(bytes % VBLK_SECTOR));
	name = name ? name + 1 : path;
	len = strlen(name);
	if (len > sizeof(b->serial)) {
		name += len - sizeof(b->serial);
		len = sizeof(b->serial);
	}
	memcpy(b->serial, name, len);
	return 0;
}

int virtio_blk_create(struct vm *vm, const char *path, bool readonly,
		      struct device **out)
{
	uint64_t features = VIRTIO_FEAT(VIRTIO_BLK_F_SEG_MAX) |
			    VIRTIO_FEAT(VIRTIO_BLK_F_BLK_SIZE) |
			    VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH);
	struct vblk *b = calloc(1, sizeof(*b));
	int rc;

	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->readonly = readonly;
	if (readonly)
		features |= VIRTIO_FEAT(VIRTIO_BLK_F_RO);
	rc = virtio_dev_init(&b->vdev, vm, &vblk_virtio_ops, &vblk_device_ops,
			     features);
	if (!rc)
		rc = vblk_open(b, path);
	if (rc) {
		virtio_dev_free(&b->vdev.dev);
		return rc;
	}
	rc = virtio_dev_register(&b->vdev, "vblk");
	if (!rc)
		*out = &b->vdev.dev;
	return rc;
}
