// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The I/O buses (hypervisor/iobus.c) and the VM's device list
 * (hypervisor/device.c): claiming ranges, dispatching accesses,
 * unclaimed accesses, and device ownership.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "iobus.h"
#include "runner.h"
#include "vm.h"

struct probe {
	unsigned reads, writes;
	uint64_t last_off;
	unsigned last_len;
	uint8_t last_write[8];
	uint8_t fill;
	struct iobus *bus; /* for the re-entrant handler */
};

static void probe_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct probe *p = opaque;

	p->reads++;
	p->last_off = off;
	p->last_len = len;
	memset(data, p->fill, len);
}

static void probe_write(void *opaque, uint64_t off, const void *data,
			unsigned len)
{
	struct probe *p = opaque;

	p->writes++;
	p->last_off = off;
	p->last_len = len;
	memcpy(p->last_write, data, len);
}

static const struct io_ops probe_ops = {
	.read = probe_read,
	.write = probe_write,
};

static struct iobus bus;

static void bus_setup(void)
{
	ck_assert_int_eq(iobus_init(&bus, "test"), 0);
}

static void bus_teardown(void)
{
	iobus_dispose(&bus);
}

START_TEST(test_register_rejects_overlap)
{
	struct probe p = { 0 };

	ck_assert_int_eq(iobus_register(&bus, 0x100, 0x10, &probe_ops, &p), 0);
	/* identical, overlapping the start, the end, and containing it */
	ck_assert_int_eq(iobus_register(&bus, 0x100, 0x10, &probe_ops, &p),
			 -EBUSY);
	ck_assert_int_eq(iobus_register(&bus, 0xf8, 0x9, &probe_ops, &p),
			 -EBUSY);
	ck_assert_int_eq(iobus_register(&bus, 0x10f, 0x1, &probe_ops, &p),
			 -EBUSY);
	ck_assert_int_eq(iobus_register(&bus, 0x0, 0x1000, &probe_ops, &p),
			 -EBUSY);
	/* adjacent on both sides is fine */
	ck_assert_int_eq(iobus_register(&bus, 0xf0, 0x10, &probe_ops, &p), 0);
	ck_assert_int_eq(iobus_register(&bus, 0x110, 0x10, &probe_ops, &p), 0);
	ck_assert_uint_eq(bus.nr, 3);
}
END_TEST

START_TEST(test_register_rejects_bad_ranges)
{
	struct probe p = { 0 };

	ck_assert_int_eq(iobus_register(&bus, 0x100, 0, &probe_ops, &p),
			 -EINVAL);
	ck_assert_int_eq(iobus_register(&bus, UINT64_MAX - 3, 8, &probe_ops,
					&p),
			 -EINVAL);
	ck_assert_int_eq(iobus_register(&bus, 0x100, 1, NULL, &p), -EINVAL);
	ck_assert_uint_eq(bus.nr, 0);
}
END_TEST

START_TEST(test_access_dispatches_with_offset)
{
	struct probe p = { .fill = 0x5a };
	uint32_t v = 0x11223344;
	uint8_t buf[8];

	ck_assert_int_eq(iobus_register(&bus, 0x3f8, 8, &probe_ops, &p), 0);
	ck_assert(iobus_access(&bus, 0x3fb, &v, 1, true));
	ck_assert_uint_eq(p.writes, 1);
	ck_assert_uint_eq(p.last_off, 3);
	ck_assert_uint_eq(p.last_len, 1);
	ck_assert_uint_eq(p.last_write[0], 0x44);

	memset(buf, 0, sizeof(buf));
	ck_assert(iobus_access(&bus, 0x3f8, buf, 8, false));
	ck_assert_uint_eq(p.reads, 1);
	ck_assert_uint_eq(p.last_off, 0);
	ck_assert_uint_eq(buf[7], 0x5a);
}
END_TEST

START_TEST(test_unclaimed_reads_all_ones)
{
	struct probe p = { 0 };
	uint32_t v = 0;

	ck_assert_int_eq(iobus_register(&bus, 0x60, 1, &probe_ops, &p), 0);
	ck_assert(!iobus_access(&bus, 0x61, &v, 4, false));
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert(!iobus_access(&bus, 0x80, &v, 1, true));
	ck_assert_uint_eq(p.reads + p.writes, 0);
}
END_TEST

START_TEST(test_straddling_access_is_unclaimed)
{
	struct probe a = { 0 }, b = { 0 };
	uint16_t v = 0;

	ck_assert_int_eq(iobus_register(&bus, 0x100, 4, &probe_ops, &a), 0);
	ck_assert_int_eq(iobus_register(&bus, 0x104, 4, &probe_ops, &b), 0);
	/* 0x103..0x104 spans both ranges: neither handler may see it */
	ck_assert(!iobus_access(&bus, 0x103, &v, 2, false));
	ck_assert_uint_eq(v, 0xffff);
	ck_assert(!iobus_access(&bus, 0x107, &v, 2, true));
	ck_assert_uint_eq(a.reads + a.writes + b.reads + b.writes, 0);
	/* wrapping and silly lengths */
	ck_assert(!iobus_access(&bus, UINT64_MAX, &v, 2, false));
	ck_assert(!iobus_access(&bus, 0x100, &v, 0, false));
}
END_TEST

START_TEST(test_unregister)
{
	struct probe p = { 0 };
	uint8_t v;

	ck_assert_int_eq(iobus_register(&bus, 0x100, 8, &probe_ops, &p), 0);
	ck_assert_int_eq(iobus_unregister(&bus, 0x104), -ENOENT);
	ck_assert_int_eq(iobus_unregister(&bus, 0x100), 0);
	ck_assert_int_eq(iobus_unregister(&bus, 0x100), -ENOENT);
	ck_assert(!iobus_access(&bus, 0x100, &v, 1, false));
	ck_assert_int_eq(iobus_register(&bus, 0x100, 8, &probe_ops, &p), 0);
}
END_TEST

/* Many ranges registered out of order: every access finds its own. */
START_TEST(test_many_ranges_sorted)
{
	enum { N = 200 };
	static struct probe p[N];
	uint8_t v;

	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < N; i++) {
		unsigned k = (i * 37) % N; /* 37 is coprime with 200 */

		p[k].fill = (uint8_t)k;
		ck_assert_int_eq(iobus_register(&bus, 0x1000 + k * 0x10, 0x8,
						&probe_ops, &p[k]),
				 0);
	}
	for (unsigned i = 1; i < bus.nr; i++)
		ck_assert(bus.ranges[i - 1].base + bus.ranges[i - 1].len <=
			  bus.ranges[i].base);
	for (unsigned k = 0; k < N; k++) {
		ck_assert(iobus_access(&bus, 0x1000 + k * 0x10 + 7, &v, 1,
				       false));
		ck_assert_uint_eq(v, (uint8_t)k);
		/* the gap after each range is unclaimed */
		ck_assert(!iobus_access(&bus, 0x1000 + k * 0x10 + 8, &v, 1,
					false));
	}
}
END_TEST

/* A handler that claims more space, as a PCI BAR write does. */
static void reentrant_write(void *opaque, uint64_t off, const void *data,
			    unsigned len)
{
	struct probe *p = opaque;

	p->writes++;
	ck_assert_int_eq(iobus_register(p->bus, 0x2000, 4, &probe_ops, p), 0);
}

static const struct io_ops reentrant_ops = { .write = reentrant_write };

START_TEST(test_handler_may_register)
{
	struct probe p = { .bus = &bus, .fill = 7 };
	uint8_t v = 1;

	ck_assert_int_eq(iobus_register(&bus, 0xcf8, 4, &reentrant_ops, &p),
			 0);
	ck_assert(iobus_access(&bus, 0xcf8, &v, 1, true));
	ck_assert(iobus_access(&bus, 0x2000, &v, 1, false));
	ck_assert_uint_eq(v, 7);
	/* no read handler: claimed, reads as all ones */
	ck_assert(iobus_access(&bus, 0xcf8, &v, 1, false));
	ck_assert_uint_eq(v, 0xff);
}
END_TEST

/* Device list */

static unsigned order[8], nr_order;

static void dev_reset(struct device *dev)
{
	order[nr_order++] = (unsigned)(dev->id[1] - '0');
}

static void dev_free(struct device *dev)
{
	order[nr_order++] = (unsigned)(dev->id[1] - '0') + 100;
	free(dev);
}

static const struct device_ops dev_ops = {
	.type = "test",
	.reset = dev_reset,
	.free = dev_free,
};

static struct device *dev_alloc(void)
{
	struct device *d = calloc(1, sizeof(*d));

	ck_assert_ptr_nonnull(d);
	d->ops = &dev_ops;
	return d;
}

START_TEST(test_device_list)
{
	struct vm vm;
	struct device *a = dev_alloc(), *b = dev_alloc(), *c = dev_alloc();
	char long_id[64];

	memset(&vm, 0, sizeof(vm));
	nr_order = 0;
	ck_assert_int_eq(vm_add_device(&vm, a, "d1"), 0);
	ck_assert_int_eq(vm_add_device(&vm, b, "d2"), 0);
	ck_assert_int_eq(vm_add_device(&vm, c, "d1"), -EEXIST);
	ck_assert_int_eq(vm_add_device(&vm, a, "d9"), -EEXIST);
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ck_assert_int_eq(vm_add_device(&vm, c, long_id), -EINVAL);
	ck_assert_int_eq(vm_add_device(&vm, c, ""), -EINVAL);
	ck_assert_int_eq(vm_add_device(&vm, c, "d3"), 0);
	ck_assert_ptr_eq(vm_find_device(&vm, "d2"), b);
	ck_assert_ptr_null(vm_find_device(&vm, "d4"));
	ck_assert_ptr_eq(b->vm, &vm);

	vm_devices_reset(&vm);
	ck_assert_uint_eq(nr_order, 3);
	ck_assert_uint_eq(order[0], 1);
	ck_assert_uint_eq(order[2], 3);

	nr_order = 0;
	vm_devices_free(&vm);
	ck_assert_ptr_null(vm.devices);
	ck_assert_uint_eq(nr_order, 3);
	ck_assert_uint_eq(order[0], 103); /* newest first */
	ck_assert_uint_eq(order[1], 102);
	ck_assert_uint_eq(order[2], 101);
}
END_TEST

START_TEST(test_gpa_to_hva_bounds)
{
	static uint8_t low[8192], high[4096];
	struct vm vm;
	uint8_t buf[16];

	memset(&vm, 0, sizeof(vm));
	vm.ram[0] = (struct mem_region){ .gpa = 0, .size = sizeof(low),
					 .hva = low };
	vm.ram[1] = (struct mem_region){ .gpa = VM_HIGH_RAM_START,
					 .size = sizeof(high), .hva = high };
	vm.nr_ram = 2;
	ck_assert_ptr_eq(vm_gpa_to_hva(&vm, 0, sizeof(low)), low);
	ck_assert_ptr_eq(vm_gpa_to_hva(&vm, 100, 10), low + 100);
	ck_assert_ptr_null(vm_gpa_to_hva(&vm, sizeof(low) - 4, 5));
	ck_assert_ptr_null(vm_gpa_to_hva(&vm, sizeof(low), 1));
	ck_assert_ptr_eq(vm_gpa_to_hva(&vm, VM_HIGH_RAM_START + 4095, 1),
			 high + 4095);
	ck_assert_ptr_null(vm_gpa_to_hva(&vm, VM_HIGH_RAM_START - 1, 2));
	ck_assert_ptr_null(vm_gpa_to_hva(&vm, UINT64_MAX - 2, 8));
	ck_assert_ptr_null(vm_gpa_to_hva(&vm, 16, UINT64_MAX));
	ck_assert_int_eq(vm_write_guest(&vm, 8190, "abcd", 4), -EFAULT);
	ck_assert_int_eq(vm_write_guest(&vm, 8188, "abcd", 4), 0);
	ck_assert_int_eq(vm_read_guest(&vm, 8188, buf, 4), 0);
	ck_assert_int_eq(memcmp(buf, "abcd", 4), 0);
	ck_assert_int_eq(vm_read_guest(&vm, 0xa0000000, buf, 1), -EFAULT);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("iobus");
	TCase *tc = tcase_create("bus");
	TCase *dev = tcase_create("devices and memory");

	tcase_add_checked_fixture(tc, bus_setup, bus_teardown);
	tcase_add_test(tc, test_register_rejects_overlap);
	tcase_add_test(tc, test_register_rejects_bad_ranges);
	tcase_add_test(tc, test_access_dispatches_with_offset);
	tcase_add_test(tc, test_unclaimed_reads_all_ones);
	tcase_add_test(tc, test_straddling_access_is_unclaimed);
	tcase_add_test(tc, test_unregister);
	tcase_add_test(tc, test_many_ranges_sorted);
	tcase_add_test(tc, test_handler_may_register);
	suite_add_tcase(s, tc);
	tcase_add_test(dev, test_device_list);
	tcase_add_test(dev, test_gpa_to_hva_bounds);
	suite_add_tcase(s, dev);
	return s;
}
