// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image: one request queue,
 * IN/OUT with preadv/pwritev straight into guest buffers, FLUSH with
 * fdatasync, GET_ID. Requests run to completion on the I/O thread.
 *
 * I/O limits (ratelimit.h) hold reads and writes back: a request the
 * buckets cannot take yet goes back on the ring and the queue rests
 * until a timer says the buckets have refilled, so the guest sees a
 * slower disk, never an error. Flushes and GET_ID are not limited.
 *
 * The image itself (vblk_image_*): opened by path or taken over as an
 * inherited descriptor, checked, and locked with an OFD lock as QEMU
 * does, so that two domains cannot write one image.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hv_error.h"
#include "log.h"
#include "ratelimit.h"
#include "virtio.h"
#include "virtio_blk.h"
#include "vmm.h"

#define VBLK_QUEUE_SIZE 256
#define VBLK_SECTOR 512
#define VBLK_HDR 16 /* le32 type, le32 reserved, le64 sector */
#define VBLK_CONFIG_SIZE 24 /* capacity, size_max, seg_max, geometry, blk_size */
#define VBLK_SEG_MAX (VBLK_QUEUE_SIZE - 2) /* minus header and status */

struct vblk {
	struct virtio_dev vdev; /* first */
	int fd;
	char *path; /* the disk's name (virtio_blk.h) */
	bool readonly;
	uint64_t capacity; /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct vq_chain chain;
	struct iovec iov[VBLK_QUEUE_SIZE];
	uint64_t reads, writes, read_bytes, written_bytes, flushes;
	uint64_t io_errors, unsupported;
	uint64_t read_ns, write_ns, flush_ns; /* time in the host's I/O */
	struct ratelimit rl;
	struct rl_throttle throttle;
	struct event *rl_timer; /* the queue rests until it fires */
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
	uint64_t t0;
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
	t0 = rl_now();	/* the time counters: virsh domblkstat's *_total_times */
	rc = vblk_io(b->fd, b->iov, n, sector * VBLK_SECTOR, wr);
	*(wr ? &b->write_ns : &b->read_ns) += rl_now() - t0;
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
	uint64_t sector, data_len = 0, t0;
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
		t0 = rl_now();
		rc = b->readonly ? 0 : fdatasync(b->fd);
		b->flush_ns += rl_now() - t0;
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

/*
 * May the request in b->chain go now under the I/O limits? If not, the
 * timer is armed for when it may. Only reads and writes are charged;
 * a malformed request goes, to fail in vblk_request().
 */
static bool vblk_admit(struct vblk *b)
{
	const struct vq_chain *c = &b->chain;
	struct rl_charge charge[4];
	uint64_t len, wait;
	uint32_t type;
	bool wr;

	if (c->rd_len < VBLK_HDR || c->wr_len < 1)
		return true;
	vq_chain_read(c, 0, &type, sizeof(type));
	if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT)
		return true;
	wr = type == VIRTIO_BLK_T_OUT;
	len = wr ? c->rd_len - VBLK_HDR : c->wr_len - 1;
	charge[0] = (struct rl_charge){ IOTUNE_TOTAL_BYTES, len };
	charge[1] = (struct rl_charge){ IOTUNE_TOTAL_IOPS, 1 };
	charge[2] = (struct rl_charge){
		wr ? IOTUNE_WRITE_BYTES : IOTUNE_READ_BYTES, len };
	charge[3] = (struct rl_charge){
		wr ? IOTUNE_WRITE_IOPS : IOTUNE_READ_IOPS, 1 };
	wait = ratelimit_take(&b->rl, &b->throttle, charge, 4, rl_now());
	if (!wait)
		return true;
	rl_timer_arm(b->rl_timer, wait, b->vdev.dev.id);
	return false;
}

static void vblk_notify(struct virtio_dev *vdev, unsigned q)
{
	struct vblk *b = to_vblk(vdev);
	struct virtqueue *vq = &vdev->queues[0].vq;
	int64_t done;
	int rc;

	while ((rc = vq_pop(vq, &b->chain)) > 0) {
		if (b->rl.active && !vblk_admit(b)) {
			vq_unpop(vq); /* taken again when the timer fires */
			rc = 0;
			break;
		}
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

/* The buckets have refilled: take the requests that waited. */
static void vblk_rl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct vblk *b = arg;

	pthread_mutex_lock(&b->vdev.lock);
	if (virtio_running(&b->vdev) && b->vdev.queues[0].vq.ready)
		vblk_notify(&b->vdev, 0);
	pthread_mutex_unlock(&b->vdev.lock);
}

static void vblk_iotune(struct virtio_dev *vdev, const struct iotune *set,
			struct iotune *cur)
{
	struct vblk *b = to_vblk(vdev);

	if (set) {
		ratelimit_set(&b->rl, set, rl_now());
		/* Requests held back under the old limits: look again. */
		if (b->throttle.on)
			rl_timer_arm(b->rl_timer, 0, vdev->dev.id);
		if (!b->rl.active)
			rl_throttle_end(&b->throttle, rl_now());
	}
	ratelimit_get(&b->rl, cur);
}

static void vblk_reset(struct virtio_dev *vdev)
{
	/* The held requests are gone with the ring; the wait ends here. */
	rl_throttle_end(&to_vblk(vdev)->throttle, rl_now());
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
		{ "read_ns", b->read_ns },
		{ "write_ns", b->write_ns },
		{ "flush_ns", b->flush_ns },
		{ "throttled", b->throttle.count },
		{ "throttled_ms",
		  rl_throttle_ns(&b->throttle, rl_now()) / 1000000 },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		json_object_object_add(out, c[i].name,
				       json_object_new_uint64(c[i].v));
	json_object_object_add(out, "readonly",
			       json_object_new_boolean(b->readonly));
	json_object_object_add(out, "path", json_object_new_string(b->path));
	json_object_object_add(out, "serial",
			       json_object_new_string_len(
				       b->serial,
				       (int)strnlen(b->serial,
						    sizeof(b->serial))));
}

static void vblk_free(struct virtio_dev *vdev)
{
	struct vblk *b = to_vblk(vdev);

	vq_chain_dispose(&b->chain);
	if (b->rl_timer)
		event_free(b->rl_timer);
	b->rl_timer = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	free(b->path);
	b->path = NULL;
}

static const struct virtio_ops vblk_virtio_ops = {
	.type = "virtio-blk",
	.id_prefix = "vblk",
	.size = sizeof(struct vblk),
	.device_id = VIRTIO_ID_BLOCK,
	.pci_class = 0x018000, /* mass storage, other */
	.nr_queues = 1,
	.queue_size = VBLK_QUEUE_SIZE,
	.config_size = VBLK_CONFIG_SIZE,
	.config_read = vblk_config_read,
	.notify = vblk_notify,
	.reset = vblk_reset,
	.stats = vblk_stats,
	.iotune_kind = IOTUNE_DISK,
	.iotune = vblk_iotune,
	.free = vblk_free,
};


void vblk_image_init(struct vblk_image *img)
{
	memset(img, 0, sizeof(*img));
	img->fd = -1;
}

void vblk_image_dispose(struct vblk_image *img)
{
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
	free(img->path);
	free(img->what);
	img->path = img->what = NULL;
}

/* What a file that cannot be a disk is, for a message. */
static const char *vblk_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a pipe";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "a special file";
}

/* @fd must be a regular file or a block device; which one, into @img. */
static int vblk_image_check_type(struct vblk_image *img, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int rc = -errno;

		hv_error("Cannot examine disk %s: %s.", img->what,
			 strerror(-rc));
		return rc;
	}
	if (S_ISBLK(st.st_mode)) {
		img->dev = st.st_rdev;
		img->ino = 0;
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		img->dev = st.st_dev;
		img->ino = st.st_ino;
		return 0;
	}
	hv_error("Disk %s is %s, not a disk image: give a regular file or a block device.",
		 img->what, vblk_file_kind(st.st_mode));
	return -EINVAL;
}

/* An inherited descriptor's access mode (F_GETFL @fl) must fit the disk. */
static int vblk_image_check_access(const struct vblk_image *img, int fl)
{
	int mode = fl & O_ACCMODE;

	if (fl & O_PATH) {
		hv_error("Disk %s is an O_PATH descriptor, which can neither read nor write: open the image O_RDWR, or O_RDONLY for a read-only disk.",
			 img->what);
		return -EACCES;
	}
	if (mode == O_WRONLY) {
		hv_error("Disk %s is open write-only, but keel-hv must read it: open it O_RDWR, or O_RDONLY for a read-only disk.",
			 img->what);
		return -EACCES;
	}
	if (img->readonly)
		return 0;
	if (mode != O_RDWR) {
		hv_error("Disk %s is open read-only, but a writable disk needs it open read-write (O_RDWR): open it so, or give the disk read-only (,ro).",
			 img->what);
		return -EACCES;
	}
	if (fl & O_APPEND) {
		hv_error("Disk %s is open with O_APPEND, which would send every write to the end of the image: open it without O_APPEND.",
			 img->what);
		return -EINVAL;
	}
	return 0;
}

int vblk_image_open(struct vblk_image *img, const char *path, bool readonly)
{
	int access = readonly ? O_RDONLY : O_RDWR;
	int fl, rc;

	vblk_image_init(img);
	img->readonly = readonly;
	img->path = strdup(path);
	img->what = strdup(path);
	if (!img->path || !img->what) {
		rc = -ENOMEM;
		hv_error("Cannot open disk %s: %s.", path, strerror(-rc));
		goto out_dispose;
	}
	/* Non-blocking, so that a FIFO is refused rather than waited on. */
	img->fd = open(path, access | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (img->fd < 0) {
		rc = -errno;
		hv_error("Cannot open disk %s %s: %s.", path,
			 readonly ? "for reading" : "read-write", strerror(-rc));
		goto out_dispose;
	}
	rc = vblk_image_check_type(img, img->fd);
	if (rc)
		goto out_dispose;
	fl = fcntl(img->fd, F_GETFL);
	if (fl < 0 || fcntl(img->fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		rc = -errno;
		hv_error("Cannot set up disk %s: %s.", path, strerror(-rc));
		goto out_dispose;
	}
	return 0;

out_dispose:
	vblk_image_dispose(img);
	return rc;
}

/* @img's names for descriptor @fd: its /proc/self/fd link, if it reads. */
static int vblk_image_name_fd(struct vblk_image *img, int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		if (asprintf(&img->what, "descriptor %d (%s)", fd, target) < 0)
			img->what = NULL;
	} else {
		/* No /proc: the disk is still usable, only less well named. */
		log_debug("%s: %s: %s", __func__, link, strerror(errno));
		snprintf(target, sizeof(target), "descriptor %d", fd);
		img->what = strdup(target);
	}
	img->path = strdup(target);
	if (!img->path || !img->what) {
		hv_error("Cannot take over disk descriptor %d: %s.", fd,
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

int vblk_image_adopt(struct vblk_image *img, int fd, bool readonly)
{
	int fl, rc;

	vblk_image_init(img);
	img->readonly = readonly;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0) {
		rc = -errno;
		if (rc == -EBADF)
			hv_error("Disk descriptor %d is not open: the program that starts keel-hv must pass it open, without FD_CLOEXEC.",
				 fd);
		else
			hv_error("Cannot examine disk descriptor %d: %s.", fd,
				 strerror(-rc));
		return rc;
	}
	rc = vblk_image_name_fd(img, fd);
	if (!rc)
		rc = vblk_image_check_type(img, fd);
	if (!rc)
		rc = vblk_image_check_access(img, fl);
	if (!rc && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		rc = -errno;
		hv_error("Cannot set up disk %s: %s.", img->what,
			 strerror(-rc));
	}
	if (rc) {
		vblk_image_dispose(img); /* img->fd is still -1: @fd stays */
		return rc;
	}
	img->fd = fd;
	return 0;
}

static struct flock vblk_lock_want(const struct vblk_image *img)
{
	return (struct flock){
		.l_type = img->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET, /* l_start = l_len = 0: all of it */
	};
}

int vblk_image_try_lock(struct vblk_image *img)
{
	struct flock fl = vblk_lock_want(img);

	if (fcntl(img->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
}

int vblk_image_lock(struct vblk_image *img)
{
	const struct flock want = vblk_lock_want(img);
	struct flock fl;
	char holder[32] = "";
	int rc = vblk_image_try_lock(img);

	if (!rc)
		return 0;
	if (rc != -EBUSY) {
		hv_error("Cannot lock disk %s: %s; keel-hv uses a disk only under a lock that keeps a second writer out.",
			 img->what, strerror(-rc));
		return rc;
	}
	/* An OFD lock has no process (l_pid -1); a POSIX lock names one. */
	fl = want;
	if (fcntl(img->fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
	    fl.l_pid > 0)
		snprintf(holder, sizeof(holder), " (process %d)",
			 (int)fl.l_pid);
	if (img->readonly)
		hv_error("Disk %s is being written by another domain or program%s: a read-only disk can be shared with other readers, not with a writer.",
			 img->what, holder);
	else
		hv_error("Disk %s is in use by another domain or program%s: keel-hv writes only to a disk it has to itself, so that two writers cannot corrupt it.",
			 img->what, holder);
	return -EBUSY;
}

bool vblk_image_same(const struct vblk_image *a, const struct vblk_image *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

/* The image's size in bytes: a regular file's length or a device's. */
static int vblk_size(int fd, const char *path, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0 ||
	    (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, bytes) < 0)) {
		int rc = -errno;

		hv_error("Cannot read the size of disk %s: %s.", path,
			 strerror(-rc));
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		*bytes = (uint64_t)st.st_size;
	} else if (!S_ISBLK(st.st_mode)) {
		hv_error("Disk %s is neither a regular file nor a block device.",
			 path);
		return -EINVAL;
	}
	return 0;
}

/*
 * The backing image: a duplicate of @fd, or @path opened and locked
 * here. Then the capacity and the serial number (GET_ID) from its name.
 */
static int vblk_open(struct vblk *b, const char *path, int fd)
{
	struct vblk_image img;
	const char *name;
	uint64_t bytes;
	size_t len;
	int rc;

	if (fd >= 0) {
		b->path = strdup(path);
		b->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (!b->path || b->fd < 0) {
			rc = b->path ? -errno : -ENOMEM;
			hv_error("Cannot use disk %s: %s.", path, strerror(-rc));
			return rc;
		}
	} else {
		rc = vblk_image_open(&img, path, b->readonly);
		if (!rc)
			rc = vblk_image_lock(&img);
		if (rc) {
			vblk_image_dispose(&img);
			return rc;
		}
		/* The device owns the descriptor and the name from here. */
		b->fd = img.fd;
		b->path = img.path;
		img.fd = -1;
		img.path = NULL;
		vblk_image_dispose(&img);
	}
	rc = vblk_size(b->fd, b->path, &bytes);
	if (rc)
		return rc;
	b->capacity = bytes / VBLK_SECTOR;
	if (bytes % VBLK_SECTOR)
		log_warn("Disk %s: the last %llu bytes are not a whole sector; the guest will not see them.",
			 b->path, (unsigned long long)(bytes % VBLK_SECTOR));
	name = strrchr(b->path, '/');
	name = name ? name + 1 : b->path;
	len = strlen(name);
	if (len > sizeof(b->serial)) {
		name += len - sizeof(b->serial);
		len = sizeof(b->serial);
	}
	memcpy(b->serial, name, len);
	return 0;
}

int virtio_blk_new(struct vm *vm, const char *path, int fd, bool readonly,
		   struct device **out)
{
	uint64_t features = VIRTIO_FEAT(VIRTIO_BLK_F_SEG_MAX) |
			    VIRTIO_FEAT(VIRTIO_BLK_F_BLK_SIZE) |
			    VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH);
	struct virtio_dev *vdev;
	struct vblk *b;
	int rc;

	if (readonly)
		features |= VIRTIO_FEAT(VIRTIO_BLK_F_RO);
	rc = virtio_dev_new(vm, &vblk_virtio_ops, features, &vdev);
	if (rc)
		return rc;
	b = to_vblk(vdev);
	b->fd = -1;
	b->readonly = readonly;
	ratelimit_init(&b->rl);
	b->rl_timer = evtimer_new(vm->evbase, vblk_rl_timer, b);
	rc = b->rl_timer ? vblk_open(b, path, fd) : -ENOMEM;
	if (rc) {
		virtio_dev_free(vdev);
		return rc;
	}
	return virtio_dev_register(vdev, out);
}

int virtio_blk_add(struct vm *vm, const struct vm_config *cfg)
{
	struct device *dev;
	struct iotune cur;
	enum iotune_kind kind;
	int rc = 0;

	for (unsigned i = 0; i < cfg->nr_disks && !rc; i++) {
		rc = virtio_blk_new(vm, cfg->disks[i].path, cfg->disks[i].fd,
				    cfg->disks[i].readonly, &dev);
		if (!rc && iotune_any(&cfg->disks[i].iotune))
			rc = dev->ops->iotune(dev, &cfg->disks[i].iotune, &cur,
					      &kind);
	}
	return rc;
}
