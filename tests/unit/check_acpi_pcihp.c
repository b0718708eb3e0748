// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disks plugged into and out of a VM through ACPI PCI hot-plug
 * (hypervisor/hotplug.c over pci.c and acpi_pm.c), as the guest sees it
 * through configuration mechanism #1 and the hot-plug ports: a plugged
 * disk answers in its slot and is announced in UP; a removal waits in
 * DOWN for the guest's eject, after which the slot is empty at once and
 * the device is freed (its image unlocked) on the I/O thread; a bad
 * spec, a missing device and a full VM are refused and change nothing;
 * a slot and its BAR window are used again; the disks after one that
 * went are renumbered so vblkN stays the Nth. No /dev/kvm needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi_pm.h"
#include "device.h"
#include "fake_vm.h"
#include "hotplug.h"
#include "hv_proto.h"
#include "pci.h"
#include "runner.h"
#include "virtio_blk.h"
#include "vm.h"

#define PCIU (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_UP)
#define PCID (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_DOWN)
#define B0EJ (VM_PORT_PCI_HOTPLUG + ACPI_PCIHP_EJECT)

static char dir[] = "/tmp/check_acpi_pcihp.XXXXXX";
static char image[96];
static struct event_base *base;
static struct vm *vm;
static struct device *pm;
static struct hotplug *hp;
static char removed[64]; /* the last device hotplug said was gone */
static unsigned nr_removed;
static char err[300];

static void on_removed(void *opaque, const char *id)
{
	ck_assert_ptr_eq(opaque, removed);
	snprintf(removed, sizeof(removed), "%s", id);
	nr_removed++;
}

static void setup(void)
{
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(image, sizeof(image), "%s/disk.img", dir);
	fd = open(image, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	vm = fake_vm_new();
	vm->evbase = base;
	vm->nr_vcpus = vm->nr_boot_vcpus = 1;
	ck_assert_int_eq(pci_host_new(vm), 0);
	ck_assert_int_eq(acpi_pm_new(vm, &pm), 0);
	ck_assert_int_eq(hotplug_new(vm, on_removed, removed, &hp), 0);
	removed[0] = 0;
	nr_removed = 0;
}

static void teardown(void)
{
	hotplug_free(hp);
	fake_vm_free(vm);
	event_base_free(base);
	unlink(image);
	rmdir(dir);
}

/* Configuration dword @reg of bus 0's @slot, as the guest reads it. */
static uint32_t cfg_read(unsigned slot, unsigned reg)
{
	fake_vm_out(vm, 0xcf8, 0x80000000u | slot << 11 | reg, 4);
	return fake_vm_in(vm, 0xcfc, 4);
}

static unsigned nr_devices(void)
{
	unsigned n = 0;

	for (struct device *d = vm->devices; d; d = d->next)
		n++;
	return n;
}

/* A disk that hotplug_add() must accept: its id and slot. */
static struct device *add_disk(const char *spec)
{
	struct device *dev = NULL;

	ck_assert_msg(hotplug_add(hp, HV_OPT_DISK, spec, &dev, err,
				  sizeof(err)) == 0,
		      "%s", err);
	ck_assert_ptr_nonnull(dev);
	return dev;
}

static int slot_of(const char *id)
{
	struct json_object *list, *o, *v;
	int slot = -1;

	ck_assert_int_eq(hotplug_list(hp, &list), 0);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		o = json_object_array_get_idx(list, i);
		json_object_object_get_ex(o, "id", &v);
		if (strcmp(json_object_get_string(v), id))
			continue;
		json_object_object_get_ex(o, "slot", &v);
		slot = json_object_get_int(v);
	}
	json_object_put(list);
	return slot;
}

START_TEST(test_plug_and_eject)
{
	struct vblk_image img;
	struct device *dev;
	uint32_t bar;
	unsigned n;

	dev = add_disk(image);
	ck_assert_str_eq(dev->id, "vblk0");
	ck_assert_int_eq(slot_of("vblk0"), 1);
	/* virtio 1.x block: vendor 0x1af4, device 0x1042 */
	ck_assert_uint_eq(cfg_read(1, 0), 0x10421af4);
	bar = cfg_read(1, 0x10);
	ck_assert_uint_ne(bar, 0);
	ck_assert_uint_eq(fake_vm_in(vm, VM_PORT_ACPI_GED, 1),
			  ACPI_GED_PCI_HOTPLUG);
	ck_assert_uint_eq(fake_vm_in(vm, PCIU, 4), 1u << 1);
	n = nr_devices();

	/* The removal waits for the guest: the disk stays meanwhile. */
	ck_assert_int_eq(hotplug_remove(hp, "vblk0", err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_vm_in(vm, PCID, 4), 1u << 1);
	ck_assert_uint_eq(cfg_read(1, 0), 0x10421af4);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_uint_eq(nr_removed, 0);

	/* The guest's _EJ0: the slot is empty before anything else runs. */
	fake_vm_out(vm, B0EJ, 1u << 1, 4);
	ck_assert_uint_eq(cfg_read(1, 0), 0xffffffff);
	ck_assert_uint_eq(fake_vm_in(vm, PCID, 4), 0);
	ck_assert_uint_eq(nr_devices(), n);
	/* The I/O thread frees it: its image is free for a writer again. */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
			 0);
	ck_assert_uint_eq(nr_removed, 1);
	ck_assert_str_eq(removed, "vblk0");
	ck_assert_uint_eq(nr_devices(), n - 1);
	ck_assert_ptr_null(vm_find_device(vm, "vblk0"));
	ck_assert_int_eq(vblk_image_open(&img, image, false), 0);
	ck_assert_int_eq(vblk_image_lock(&img), 0);
	vblk_image_dispose(&img);

	/* The slot, the name and the window are used again. */
	dev = add_disk(image);
	ck_assert_str_eq(dev->id, "vblk0");
	ck_assert_int_eq(slot_of("vblk0"), 1);
	ck_assert_uint_eq(cfg_read(1, 0x10), bar);
}
END_TEST

START_TEST(test_refusals_change_nothing)
{
	struct device *dev = NULL;
	unsigned n = nr_devices();

	/* A bad spec, a file that is not there, a second writer. */
	ck_assert_int_eq(hotplug_add(hp, HV_OPT_DISK, "", &dev, err,
				     sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "PATH or PATH,ro"));
	ck_assert_int_eq(hotplug_add(hp, HV_OPT_DISK, "/nonexistent/x.img",
				     &dev, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.img"));
	ck_assert_int_eq(hotplug_add(hp, HV_OPT_NET, "tap=", &dev, err,
				     sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "tap=NAME"));
	ck_assert_uint_eq(nr_devices(), n);
	ck_assert_uint_eq(fake_vm_in(vm, VM_PORT_ACPI_GED, 1), 0);
	ck_assert_uint_eq(fake_vm_in(vm, PCIU, 4), 0);

	add_disk(image);
	ck_assert_int_eq(hotplug_add(hp, HV_OPT_DISK, image, &dev, err,
				     sizeof(err)),
			 -EBUSY);
	ck_assert_uint_eq(nr_devices(), n + 1);
	ck_assert_int_eq(slot_of("vblk1"), -1);

	/* Removing what is not there, or not a disk or NIC. */
	ck_assert_int_eq(hotplug_remove(hp, "vblk7", err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "vblk7"));
	ck_assert_int_eq(hotplug_remove(hp, "acpi_pm", err, sizeof(err)),
			 -ENOENT);
	ck_assert_int_eq(hotplug_remove(hp, PCI_HOST_DEVICE_ID, err,
					sizeof(err)),
			 -ENOENT);
	ck_assert_uint_eq(fake_vm_in(vm, PCID, 4), 0);
}
END_TEST

/* Read-only disks share an image: the VM's most, then a refusal. */
START_TEST(test_most_disks)
{
	struct device *dev = NULL;
	char spec[128];

	snprintf(spec, sizeof(spec), "%s,ro", image);
	for (unsigned i = 0; i < KEEL_DISKS_MAX; i++)
		add_disk(spec);
	ck_assert_int_eq(hotplug_add(hp, HV_OPT_DISK, spec, &dev, err,
				     sizeof(err)),
			 -E2BIG);
	ck_assert_ptr_nonnull(strstr(err, "16 disks"));
	/*
	 * One out: the later ones move down a number, so vblkN stays the
	 * Nth disk; one in again takes the last number and the free slot.
	 */
	ck_assert_int_eq(slot_of("vblk4"), 5);
	ck_assert_int_eq(hotplug_remove(hp, "vblk3", err, sizeof(err)), 0);
	fake_vm_out(vm, B0EJ, 1u << 4, 4);
	hotplug_reap(hp);
	ck_assert_str_eq(removed, "vblk3");
	ck_assert_int_eq(slot_of("vblk3"), 5);
	ck_assert_int_eq(slot_of("vblk14"), 16);
	ck_assert_int_eq(slot_of("vblk15"), -1);
	ck_assert_str_eq(add_disk(spec)->id, "vblk15");
	ck_assert_int_eq(slot_of("vblk15"), 4);
}
END_TEST

/* A VM without the ACPI device has no hot-plug. */
START_TEST(test_needs_acpi)
{
	struct vm *bare = fake_vm_new();
	struct hotplug *none = NULL;

	ck_assert_int_eq(hotplug_new(bare, NULL, NULL, &none), -ENODEV);
	ck_assert_ptr_null(none);
	fake_vm_free(bare);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("acpi_pcihp");
	TCase *tc = tcase_create("hotplug");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plug_and_eject);
	tcase_add_test(tc, test_refusals_change_nothing);
	tcase_add_test(tc, test_most_disks);
	tcase_add_test(tc, test_needs_acpi);
	suite_add_tcase(s, tc);
	return s;
}
