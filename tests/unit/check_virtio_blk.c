// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk's disk images without KVM: opening by path, taking over an
 * inherited descriptor with its checks (closed, a directory, a pipe, the
 * wrong access mode), the OFD locks that keep two writers off one image,
 * and the name a device gets from its image (stats, GET_ID serial).
 * Then the test plays the guest's driver on one request queue in a fake
 * guest RAM: GET_ID, a read, a write, a write to a read-only disk, on a
 * disk given by path and on one given as a descriptor. Last, I/O limits:
 * a read the buckets cannot take waits on the ring (no error) until
 * the limit's timer, or a limit lifted live, lets it go.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ring.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "device.h"
#include "fake_vm.h"
#include "pci.h"
#include "runner.h"
#include "virtio.h"
#include "virtio_blk.h"
#include "vm.h"

/* A scratch directory with one 1 MiB image in it. */
static char dir[64];
static char image[96];

static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/keel-vblk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(image, sizeof(image), "%s/disk.img", dir);
	fd = open(image, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
}

static void teardown(void)
{
	static const char *const left[] = { "fifo", "other.img",
					    "a-rather-long-image-name.raw" };
	char path[128];

	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, left[i]);
		unlink(path);
	}
	unlink(image);
	rmdir(dir);
}

/* @fd with close-on-exec cleared, as a parent passes it on. */
static int inheritable(int fd)
{
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_SETFD, 0), 0);
	return fd;
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* A lock on all of @fd's file, as keeld or QEMU would take it. */
static int ofd_lock(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET };

	return fcntl(fd, F_OFD_SETLK, &fl) == 0 ? 0 : -errno;
}

START_TEST(test_open_by_path)
{
	struct vblk_image img;
	int fl;

	ck_assert_int_eq(vblk_image_open(&img, image, false), 0);
	ck_assert_int_ge(img.fd, 0);
	ck_assert_str_eq(img.path, image);
	ck_assert_str_eq(img.what, image);
	fl = fcntl(img.fd, F_GETFL);
	ck_assert_int_eq(fl & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(fl & O_NONBLOCK, 0);
	ck_assert_int_eq(fcntl(img.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	vblk_image_dispose(&img);
	ck_assert_int_eq(img.fd, -1);
	vblk_image_dispose(&img); /* idempotent */

	ck_assert_int_eq(vblk_image_open(&img, image, true), 0);
	ck_assert_int_eq(fcntl(img.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	vblk_image_dispose(&img);
}
END_TEST

START_TEST(test_open_by_path_refused)
{
	struct vblk_image img;
	char path[96];

	snprintf(path, sizeof(path), "%s/missing.img", dir);
	ck_assert_int_eq(vblk_image_open(&img, path, false), -ENOENT);
	ck_assert_int_eq(img.fd, -1);
	ck_assert_int_eq(vblk_image_open(&img, dir, true), -EINVAL);
	ck_assert_int_eq(img.fd, -1);
	ck_assert_int_eq(vblk_image_open(&img, dir, false), -EISDIR);
	/* A FIFO is refused at once, not waited on for a writer. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(vblk_image_open(&img, path, true), -EINVAL);
	ck_assert_int_eq(vblk_image_open(&img, path, false), -EINVAL);
	ck_assert_int_eq(vblk_image_open(&img, "/dev/null", true), -EINVAL);
}
END_TEST

START_TEST(test_adopt_names_and_owns)
{
	int fd = inheritable(open(image, O_RDWR));
	char real[PATH_MAX], what[PATH_MAX + 32];
	struct vblk_image img;

	ck_assert_ptr_nonnull(realpath(image, real));
	ck_assert_int_eq(vblk_image_adopt(&img, fd, false), 0);
	ck_assert_int_eq(img.fd, fd);
	ck_assert_str_eq(img.path, real);
	snprintf(what, sizeof(what), "descriptor %d (%s)", fd, real);
	ck_assert_str_eq(img.what, what);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	vblk_image_dispose(&img);
	ck_assert(!is_open(fd));
}
END_TEST

START_TEST(test_adopt_closed)
{
	struct vblk_image img;
	int fd = open(image, O_RDWR);

	close(fd);
	ck_assert_int_eq(vblk_image_adopt(&img, fd, false), -EBADF);
	ck_assert_int_eq(vblk_image_adopt(&img, fd, true), -EBADF);
	ck_assert_int_eq(img.fd, -1);
}
END_TEST

/* A refused descriptor stays open and the caller's, flags untouched. */
static void refused(int fd, bool readonly, int want)
{
	struct vblk_image img;

	ck_assert_int_eq(vblk_image_adopt(&img, fd, readonly), want);
	ck_assert_int_eq(img.fd, -1);
	ck_assert_ptr_null(img.path);
	ck_assert(is_open(fd));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
}

START_TEST(test_adopt_wrong_kind)
{
	int d = inheritable(open(dir, O_RDONLY | O_DIRECTORY));
	int null = inheritable(open("/dev/null", O_RDWR));
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	refused(d, true, -EINVAL);
	refused(d, false, -EINVAL);
	refused(p[0], true, -EINVAL);
	refused(p[1], false, -EINVAL);
	refused(null, false, -EINVAL);
	close(d);
	close(null);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_adopt_access_mode)
{
	int rd = inheritable(open(image, O_RDONLY));
	int wr = inheritable(open(image, O_WRONLY));
	int app = inheritable(open(image, O_RDWR | O_APPEND));
	int path = inheritable(open(image, O_PATH));
	struct vblk_image img;

	refused(rd, false, -EACCES); /* read-only for a writable disk */
	refused(wr, true, -EACCES); /* write-only: nothing to read with */
	refused(wr, false, -EACCES);
	refused(path, true, -EACCES);
	refused(app, false, -EINVAL); /* pwrite would append */
	/* Read-only disks: readable is enough, O_APPEND does not matter. */
	ck_assert_int_eq(vblk_image_adopt(&img, rd, true), 0);
	vblk_image_dispose(&img);
	ck_assert_int_eq(vblk_image_adopt(&img, app, true), 0);
	vblk_image_dispose(&img);
	close(wr);
	close(path);
}
END_TEST

START_TEST(test_lock_two_writers)
{
	struct vblk_image a, b;

	ck_assert_int_eq(vblk_image_open(&a, image, false), 0);
	ck_assert_int_eq(vblk_image_lock(&a), 0);
	ck_assert_int_eq(vblk_image_lock(&a), 0); /* again: its own lock */
	ck_assert_int_eq(vblk_image_open(&b, image, false), 0);
	ck_assert_int_eq(vblk_image_lock(&b), -EBUSY);
	/* The lock lives as long as the image is open, and no longer. */
	vblk_image_dispose(&a);
	ck_assert_int_eq(vblk_image_lock(&b), 0);
	vblk_image_dispose(&b);
}
END_TEST

START_TEST(test_lock_readers_share)
{
	struct vblk_image a, b, w;

	ck_assert_int_eq(vblk_image_open(&a, image, true), 0);
	ck_assert_int_eq(vblk_image_open(&b, image, true), 0);
	ck_assert_int_eq(vblk_image_open(&w, image, false), 0);
	ck_assert_int_eq(vblk_image_lock(&a), 0);
	ck_assert_int_eq(vblk_image_lock(&b), 0);
	ck_assert_int_eq(vblk_image_lock(&w), -EBUSY); /* rw next to ro */
	vblk_image_dispose(&a);
	vblk_image_dispose(&b);
	ck_assert_int_eq(vblk_image_lock(&w), 0);
	ck_assert_int_eq(vblk_image_open(&a, image, true), 0);
	ck_assert_int_eq(vblk_image_lock(&a), -EBUSY); /* ro next to rw */
	vblk_image_dispose(&a);
	vblk_image_dispose(&w);
}
END_TEST

/* keeld locks the image before it passes the descriptor on. */
START_TEST(test_lock_already_held)
{
	int fd = inheritable(open(image, O_RDWR));
	int other = open(image, O_RDWR);
	struct vblk_image img;

	ck_assert_int_eq(ofd_lock(fd, F_WRLCK), 0);
	ck_assert_int_eq(vblk_image_adopt(&img, fd, false), 0);
	ck_assert_int_eq(vblk_image_lock(&img), 0);
	ck_assert_int_eq(ofd_lock(other, F_RDLCK), -EAGAIN);
	vblk_image_dispose(&img);
	ck_assert_int_eq(ofd_lock(other, F_WRLCK), 0);
	close(other);

	/* A read lock taken before, on a writable disk: it becomes a write
	 * lock, as no one else holds the image. */
	fd = inheritable(open(image, O_RDWR));
	ck_assert_int_eq(ofd_lock(fd, F_RDLCK), 0);
	ck_assert_int_eq(vblk_image_adopt(&img, fd, false), 0);
	ck_assert_int_eq(vblk_image_lock(&img), 0);
	other = open(image, O_RDONLY);
	ck_assert_int_eq(ofd_lock(other, F_RDLCK), -EAGAIN);
	close(other);
	vblk_image_dispose(&img);
}
END_TEST

/* A POSIX record lock of another process counts as much as an OFD lock. */
START_TEST(test_lock_posix_holder)
{
	struct vblk_image img;
	int ready[2], hold[2], fd;
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		fd = open(image, O_RDWR);
		if (fd < 0 || lockf(fd, F_TLOCK, 0) < 0 ||
		    write(ready[1], "x", 1) != 1)
			_exit(1);
		/* Hold the lock until the parent closes its end. */
		_exit(read(hold[0], &c, 1) < 0);
	}
	close(ready[1]);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(vblk_image_open(&img, image, true), 0);
	ck_assert_int_eq(vblk_image_lock(&img), -EBUSY);
	vblk_image_dispose(&img);
	close(hold[1]);
	close(ready[0]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
}
END_TEST

START_TEST(test_same_file)
{
	struct vblk_image a, b, c;
	char other[96];
	int fd;

	snprintf(other, sizeof(other), "%s/other.img", dir);
	fd = open(other, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(vblk_image_open(&a, image, true), 0);
	ck_assert_int_eq(vblk_image_adopt(&b, inheritable(open(image,
							       O_RDONLY)),
					  true), 0);
	ck_assert_int_eq(vblk_image_open(&c, other, true), 0);
	ck_assert(vblk_image_same(&a, &b));
	ck_assert(!vblk_image_same(&a, &c));
	vblk_image_dispose(&a);
	vblk_image_dispose(&b);
	vblk_image_dispose(&c);
	unlink(other);
}
END_TEST

/* A device on the fake VM, and the JSON its stats() gives. */
static struct json_object *device_stats(struct vm *vm, const char *path,
					int fd, bool readonly)
{
	struct json_object *o = json_object_new_object();
	struct device *dev;

	ck_assert_int_eq(virtio_blk_new(vm, path, fd, readonly, &dev), 0);
	dev->ops->stats(dev, o);
	return o;
}

static const char *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

START_TEST(test_device_names)
{
	struct event_base *base = event_base_new();
	struct vm *vm = fake_vm_new();
	struct vblk_image img;
	struct json_object *o;
	char real[PATH_MAX], longer[128];
	int fd;

	ck_assert_ptr_nonnull(base);
	vm->evbase = base;
	ck_assert_int_eq(pci_host_new(vm), 0);

	/* By path: the device opens and locks it itself. */
	o = device_stats(vm, image, -1, false);
	ck_assert_str_eq(member(o, "path"), image);
	ck_assert_str_eq(member(o, "serial"), "disk.img");
	ck_assert_str_eq(member(o, "readonly"), "false");
	ck_assert_str_eq(member(o, "capacity_bytes"), "1048576");
	json_object_put(o);
	ck_assert_int_eq(vblk_image_open(&img, image, true), 0);
	ck_assert_int_eq(vblk_image_lock(&img), -EBUSY); /* vblk0 writes */
	vblk_image_dispose(&img);

	/* A descriptor: named after its link; the device keeps a copy. */
	snprintf(longer, sizeof(longer), "%s/a-rather-long-image-name.raw",
		 dir);
	ck_assert_int_eq(rename(image, longer), 0);
	fd = inheritable(open(longer, O_RDONLY));
	ck_assert_ptr_nonnull(realpath(longer, real));
	ck_assert_int_eq(vblk_image_adopt(&img, fd, true), 0);
	ck_assert_str_eq(img.path, real);
	o = device_stats(vm, img.path, img.fd, true);
	ck_assert_str_eq(member(o, "path"), real);
	ck_assert_str_eq(member(o, "serial"), "-long-image-name.raw");
	ck_assert_str_eq(member(o, "readonly"), "true");
	json_object_put(o);
	ck_assert_ptr_nonnull(vm_find_device(vm, "vblk1"));
	vblk_image_dispose(&img);
	ck_assert_int_eq(rename(longer, image), 0);

	fake_vm_free(vm);
	event_base_free(base);
}
END_TEST

/* The driver's side: one queue of QSIZE in RAM at these addresses. */
#define RAM_SIZE (1U << 20)
#define QSIZE 8
#define DESC_GPA 0x1000U
#define AVAIL_GPA 0x2000U
#define USED_GPA 0x3000U
#define HDR_GPA 0x4000U
#define DATA_GPA 0x5000U
#define STATUS_GPA 0x6000U
#define SECTOR 512

struct driver {
	struct vm *vm;
	struct event_base *base;
	uint8_t *ram;
	struct virtio_dev *vdev;
	uint16_t avail_idx;
};

static void driver_init(struct driver *d)
{
	d->base = event_base_new();
	ck_assert_ptr_nonnull(d->base);
	d->ram = calloc(1, RAM_SIZE);
	ck_assert_ptr_nonnull(d->ram);
	d->vm = fake_vm_new();
	d->vm->evbase = d->base;
	d->vm->ram_size = RAM_SIZE;
	d->vm->ram[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE,
					     .hva = d->ram };
	d->vm->nr_ram = 1;
	ck_assert_int_eq(pci_host_new(d->vm), 0);
}

static void driver_dispose(struct driver *d)
{
	fake_vm_free(d->vm);
	event_base_free(d->base);
	free(d->ram);
}

/* A device as virtio_blk_new() makes it, its queue set up and running. */
static void driver_attach(struct driver *d, const char *path, int fd,
			  bool readonly)
{
	struct device *dev;
	struct virtqueue *vq;

	ck_assert_int_eq(virtio_blk_new(d->vm, path, fd, readonly, &dev),
			 0);
	d->vdev = (struct virtio_dev *)dev;
	vq = &d->vdev->queues[0].vq;
	vq->size = QSIZE;
	vq->desc_gpa = DESC_GPA;
	vq->avail_gpa = AVAIL_GPA;
	vq->used_gpa = USED_GPA;
	ck_assert_int_eq(vq_enable(vq, false, false), 0);
	d->vdev->status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	d->avail_idx = 0;
	memset(d->ram + AVAIL_GPA, 0, 0x2000);
}

static void desc_at(struct driver *d, unsigned i, uint64_t addr,
		    uint32_t len, uint16_t flags)
{
	uint8_t *p = d->ram + DESC_GPA + 16 * i;
	uint16_t next = (uint16_t)(i + 1);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t driver_used_idx(struct driver *d)
{
	uint16_t used_idx;

	memcpy(&used_idx, d->ram + USED_GPA + 2, 2);
	return used_idx;
}

/*
 * One request: header (@type, @sector), @len bytes of data at DATA_GPA
 * (the device writes them for IN and GET_ID), a status byte, made
 * available and kicked; the device may or may not have completed it.
 */
static void driver_submit(struct driver *d, uint32_t type, uint64_t sector,
			  uint32_t len)
{
	uint16_t dev_writes = type == VIRTIO_BLK_T_OUT ? 0 :
							 VRING_DESC_F_WRITE;
	uint8_t hdr[16] = { 0 };

	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	memcpy(d->ram + HDR_GPA, hdr, sizeof(hdr));
	d->ram[STATUS_GPA] = 0xff;
	desc_at(d, 0, HDR_GPA, sizeof(hdr), VRING_DESC_F_NEXT);
	desc_at(d, 1, DATA_GPA, len, VRING_DESC_F_NEXT | dev_writes);
	desc_at(d, 2, STATUS_GPA, 1, VRING_DESC_F_WRITE);
	memset(d->ram + AVAIL_GPA + 4 + 2 * (d->avail_idx % QSIZE), 0, 2);
	d->avail_idx++;
	memcpy(d->ram + AVAIL_GPA + 2, &d->avail_idx, 2);
	virtio_queue_notify(d->vdev, 0);
}

/* driver_submit(), completed at once; the status the device wrote. */
static uint8_t driver_request(struct driver *d, uint32_t type,
			      uint64_t sector, uint32_t len)
{
	driver_submit(d, type, sector, len);
	ck_assert_uint_eq(driver_used_idx(d), d->avail_idx);
	return d->ram[STATUS_GPA];
}

static void put_at(const char *path, off_t off, const char *text)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, text, strlen(text), off),
			 (ssize_t)strlen(text));
	close(fd);
}

static bool has_at(const char *path, off_t off, const char *text)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = pread(fd, buf, strlen(text), off);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, strlen(text));
}

/*
 * What a guest does with a disk, on one given by path (@fd < 0) or as
 * an adopted descriptor: the same answers and the same bytes in the file.
 */
static void guest_uses_disk(int fd, const char *from_guest)
{
	struct vblk_image img;
	struct driver d;
	uint8_t *data;

	driver_init(&d);
	data = d.ram + DATA_GPA;
	if (fd >= 0) {
		ck_assert_int_eq(vblk_image_adopt(&img, fd, false), 0);
		ck_assert_int_eq(vblk_image_lock(&img), 0);
		driver_attach(&d, img.path, img.fd, false);
		vblk_image_dispose(&img); /* the device has its own */
	} else {
		driver_attach(&d, image, -1, false);
	}
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_GET_ID, 0,
					VIRTIO_BLK_ID_BYTES),
			 VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(data, "disk.img\0", 9);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 2, SECTOR),
			 VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(data, "FROM-HOST", 9);
	memset(data, 0, SECTOR);
	memcpy(data, from_guest, strlen(from_guest));
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_OUT, 4, SECTOR),
			 VIRTIO_BLK_S_OK);
	ck_assert(has_at(image, 4 * SECTOR, from_guest));
	/* Past the end: 1 MiB is 2048 sectors. */
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 2048, SECTOR),
			 VIRTIO_BLK_S_IOERR);
	/* While the device lives, the image is its writer's alone. */
	ck_assert_int_eq(vblk_image_open(&img, image, true), 0);
	ck_assert_int_eq(vblk_image_lock(&img), -EBUSY);
	vblk_image_dispose(&img);
	driver_dispose(&d);
	ck_assert_int_eq(vblk_image_open(&img, image, false), 0);
	ck_assert_int_eq(vblk_image_lock(&img), 0);
	vblk_image_dispose(&img);
}

START_TEST(test_device_requests)
{
	put_at(image, 2 * SECTOR, "FROM-HOST");
	guest_uses_disk(-1, "BY-PATH");
	guest_uses_disk(inheritable(open(image, O_RDWR)), "BY-DESCRIPTOR");
}
END_TEST

/* A read-only disk reads, and refuses the guest's writes. */
START_TEST(test_device_readonly)
{
	struct vblk_image img;
	struct driver d;

	put_at(image, 2 * SECTOR, "FROM-HOST");
	driver_init(&d);
	ck_assert_int_eq(vblk_image_adopt(&img, inheritable(open(image,
								 O_RDONLY)),
					  true), 0);
	ck_assert_int_eq(vblk_image_lock(&img), 0);
	driver_attach(&d, img.path, img.fd, true);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 2, SECTOR),
			 VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(d.ram + DATA_GPA, "FROM-HOST", 9);
	memcpy(d.ram + DATA_GPA, "OVERWRITE", 9);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_OUT, 2, SECTOR),
			 VIRTIO_BLK_S_IOERR);
	ck_assert(has_at(image, 2 * SECTOR, "FROM-HOST"));
	driver_dispose(&d);
	vblk_image_dispose(&img);
}
END_TEST

/* What stats() counts: requests, bytes, and time spent in the host's I/O. */
START_TEST(test_device_counters)
{
	struct json_object *o = json_object_new_object(), *v;
	struct driver d;

	driver_init(&d);
	driver_attach(&d, image, -1, false);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 0, SECTOR),
			 VIRTIO_BLK_S_OK);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 1, 2 * SECTOR),
			 VIRTIO_BLK_S_OK);
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_OUT, 3, SECTOR),
			 VIRTIO_BLK_S_OK);
	d.vdev->dev.ops->stats(&d.vdev->dev, o);
	ck_assert_str_eq(member(o, "reads"), "2");
	ck_assert_str_eq(member(o, "read_bytes"), "1536");
	ck_assert_str_eq(member(o, "writes"), "1");
	ck_assert_str_eq(member(o, "written_bytes"), "512");
	ck_assert_str_eq(member(o, "flushes"), "0");
	ck_assert_str_eq(member(o, "flush_ns"), "0");
	/* Each transfer was a system call, which takes some time. */
	ck_assert(json_object_object_get_ex(o, "read_ns", &v) &&
		  json_object_get_uint64(v) > 0);
	ck_assert(json_object_object_get_ex(o, "write_ns", &v) &&
		  json_object_get_uint64(v) > 0);
	json_object_put(o);
	driver_dispose(&d);
}
END_TEST

/* A counter from the device's stats, as a number. */
static uint64_t stat_of(struct driver *d, const char *key)
{
	struct json_object *o = json_object_new_object(), *v;
	uint64_t n;

	d->vdev->dev.ops->stats(&d->vdev->dev, o);
	ck_assert(json_object_object_get_ex(o, key, &v));
	n = json_object_get_uint64(v);
	json_object_put(o);
	return n;
}

static void driver_limit(struct driver *d, const char *spec)
{
	struct iotune t, cur;
	enum iotune_kind kind;
	char err[256];

	ck_assert_int_eq(iotune_parse(IOTUNE_DISK, spec, &t, err, sizeof(err)),
			 0);
	ck_assert_int_eq(d->vdev->dev.ops->iotune(&d->vdev->dev, &t, &cur,
						  &kind),
			 0);
	ck_assert_int_eq(kind, IOTUNE_DISK);
	ck_assert_mem_eq(&cur, &t, sizeof(t));
}

/*
 * One read a second with a burst of one: the second read waits on the
 * ring, neither failed nor lost, until the bucket's timer lets it go.
 * Only counters are checked, never how long anything took.
 */
START_TEST(test_device_iops_limit)
{
	struct driver d;

	put_at(image, 2 * SECTOR, "FROM-HOST");
	driver_init(&d);
	driver_attach(&d, image, -1, false);
	driver_limit(&d, "read_iops_sec=1,read_iops_sec_max=1");
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 2, SECTOR),
			 VIRTIO_BLK_S_OK);
	memset(d.ram + DATA_GPA, 0, SECTOR);
	driver_submit(&d, VIRTIO_BLK_T_IN, 2, SECTOR);
	ck_assert_uint_eq(driver_used_idx(&d), 1);
	ck_assert_uint_eq(d.ram[STATUS_GPA], 0xff);
	ck_assert_uint_eq(stat_of(&d, "reads"), 1);
	ck_assert_uint_eq(stat_of(&d, "throttled"), 1);
	/* The timer is the only event; it may re-arm if it woke early. */
	for (int i = 0; i < 100 && driver_used_idx(&d) < 2; i++)
		ck_assert_int_eq(event_base_loop(d.base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(driver_used_idx(&d), 2);
	ck_assert_uint_eq(d.ram[STATUS_GPA], VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(d.ram + DATA_GPA, "FROM-HOST", 9);
	ck_assert_uint_eq(stat_of(&d, "reads"), 2);
	ck_assert_uint_eq(stat_of(&d, "throttled"), 1);
	driver_dispose(&d);
}
END_TEST

/*
 * A byte a second with a 4 KiB burst and a 4 KiB read: the next read
 * waits (a second for its first byte of credit). Lifting
 * the limit live (all zero) lets it go with the next loop pass, and
 * from then on nothing is held back.
 */
START_TEST(test_device_bytes_limit_lifted)
{
	struct driver d;

	driver_init(&d);
	driver_attach(&d, image, -1, false);
	driver_limit(&d, "total_bytes_sec=1,total_bytes_sec_max=4096");
	ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_IN, 0, 4096),
			 VIRTIO_BLK_S_OK);
	driver_submit(&d, VIRTIO_BLK_T_IN, 8, 4096);
	ck_assert_uint_eq(driver_used_idx(&d), 1);
	ck_assert_uint_eq(stat_of(&d, "read_bytes"), 4096);
	ck_assert_uint_eq(stat_of(&d, "throttled"), 1);
	driver_limit(&d, "");
	ck_assert_int_eq(event_base_loop(d.base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(driver_used_idx(&d), 2);
	ck_assert_uint_eq(stat_of(&d, "read_bytes"), 8192);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(driver_request(&d, VIRTIO_BLK_T_OUT, 8, 4096),
				 VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(stat_of(&d, "throttled"), 1);
	driver_dispose(&d);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("image");
	TCase *td = tcase_create("device");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_open_by_path);
	tcase_add_test(tc, test_open_by_path_refused);
	tcase_add_test(tc, test_adopt_names_and_owns);
	tcase_add_test(tc, test_adopt_closed);
	tcase_add_test(tc, test_adopt_wrong_kind);
	tcase_add_test(tc, test_adopt_access_mode);
	tcase_add_test(tc, test_lock_two_writers);
	tcase_add_test(tc, test_lock_readers_share);
	tcase_add_test(tc, test_lock_already_held);
	tcase_add_test(tc, test_lock_posix_holder);
	tcase_add_test(tc, test_same_file);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, test_device_names);
	tcase_add_test(td, test_device_requests);
	tcase_add_test(td, test_device_readonly);
	tcase_add_test(td, test_device_counters);
	tcase_add_test(td, test_device_iops_limit);
	tcase_add_test(td, test_device_bytes_limit_lifted);
	suite_add_tcase(s, td);
	return s;
}
