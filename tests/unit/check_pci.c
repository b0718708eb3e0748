// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI host bridge (hypervisor/pci.c), driven as a guest drives it:
 * configuration mechanism #1 through 0xcf8/0xcfc-0xcff on vm->pio, BARs
 * found on vm->mmio. Covers the bridge, empty slots and addresses that
 * decode to nothing, byte lanes, BAR sizing, moving and decoding, the
 * capability list, read-only bits under random writes, INTx, reset and
 * save/restore. No /dev/kvm: INTx's KVM_IRQ_LINE fails on vm_fd -1,
 * which pci.c tolerates, so the checks look at what the device drives.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fake_vm.h"
#include "pci.h"
#include "runner.h"
#include "vm.h"

#define PORT_ADDR VM_PORT_PCI_CONFIG
#define PORT_DATA (VM_PORT_PCI_CONFIG + 4)
#define BAR0_SIZE 0x4000u
#define BAR1_SIZE 0x1000u
#define CAP_LEN 8

struct tdev {
	struct pci_dev pdev;
	unsigned reads, writes;
	uint64_t last_off;
	unsigned moves;
	uint64_t moved_old, moved_new;
};

static struct vm *vm;
static struct tdev t1, t2;
static int cap_off;

static void tdev_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct tdev *t = opaque;

	t->reads++;
	t->last_off = off;
	memset(data, 0x5a, len);
}

static void tdev_write(void *opaque, uint64_t off, const void *data,
		       unsigned len)
{
	struct tdev *t = opaque;

	(void)data;
	(void)len;
	t->writes++;
	t->last_off = off;
}

static const struct io_ops tdev_io = { .read = tdev_read, .write = tdev_write };

static void tdev_bar_moved(struct pci_dev *pdev, unsigned bar, uint64_t old,
			   uint64_t addr)
{
	struct tdev *t = pdev->opaque;

	(void)bar;
	t->moves++;
	t->moved_old = old;
	t->moved_new = addr;
}

static const struct pci_dev_ops tdev_ops = { .bar_moved = tdev_bar_moved };

/* A device with BAR0, BAR1 and a vendor capability, bytes 4-5 writable. */
static int tdev_setup(struct tdev *t, uint16_t device)
{
	static const uint8_t cap[CAP_LEN] = { PCI_CAP_ID_VENDOR, 0x77, CAP_LEN,
					      1, 0xa1, 0xa2, 0xa3, 0xa4 };
	static const uint8_t mask[CAP_LEN] = { 0xff, 0xff, 0, 0, 0xff, 0x0f };

	memset(t, 0, sizeof(*t));
	pci_dev_init(&t->pdev, 0x1af4, device, 0x010000, 1, 0x1af4, 2, true,
		     &tdev_ops, t);
	ck_assert_int_eq(pci_dev_add_bar(&t->pdev, 0, BAR0_SIZE, &tdev_io, t),
			 0);
	ck_assert_int_eq(pci_dev_add_bar(&t->pdev, 1, BAR1_SIZE, &tdev_io, t),
			 0);
	cap_off = pci_dev_add_cap(&t->pdev, cap, sizeof(cap), mask);
	ck_assert_int_ge(cap_off, PCI_CFG_CAPS_START);
	return pci_register_dev(vm, &t->pdev);
}

static void setup(void)
{
	vm = fake_vm_new();
	ck_assert_int_eq(pci_host_new(vm), 0);
	ck_assert_int_eq(pci_host_new(vm), -EEXIST);
	ck_assert_int_eq(tdev_setup(&t1, 0x1041), 1);
}

static void teardown(void)
{
	pci_unregister_dev(&t1.pdev);
	pci_unregister_dev(&t2.pdev);
	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	fake_vm_free(vm);
}

static uint32_t latch(unsigned bus, unsigned slot, unsigned func, unsigned off)
{
	return 0x80000000u | bus << 16 | slot << 11 | func << 8 | off;
}

static void set_latch(uint32_t v)
{
	ck_assert(iobus_access(&vm->pio, PORT_ADDR, &v, 4, true));
}

static uint32_t port_in(uint16_t port, unsigned len)
{
	return fake_vm_in(vm, port, len);
}

static void port_out(uint16_t port, uint32_t v, unsigned len)
{
	fake_vm_out(vm, port, v, len);
}

static uint32_t cfg_rd(unsigned slot, unsigned off, unsigned len)
{
	set_latch(latch(0, slot, 0, off & 0xfc));
	return port_in(PORT_DATA + (off & 3), len);
}

static void cfg_wr(unsigned slot, unsigned off, uint32_t v, unsigned len)
{
	set_latch(latch(0, slot, 0, off & 0xfc));
	port_out(PORT_DATA + (off & 3), v, len);
}

/* Does a guest read at @addr reach @t's MMIO handler? */
static bool mmio_hits(struct tdev *t, uint64_t addr)
{
	unsigned before = t->reads;
	uint32_t v;

	return iobus_access(&vm->mmio, addr, &v, 4, false) &&
	       t->reads == before + 1 && v == 0x5a5a5a5a;
}

START_TEST(test_host_bridge)
{
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_VENDOR, 2), 0x1b36);
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_DEVICE, 2), 0x0008);
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_REVISION, 4) >> 8, 0x060000);
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_HEADER_TYPE, 1), 0);
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY,
			  PCI_CMD_MEMORY);
	/* The latch reads back as written, minus the two low bits. */
	set_latch(0x80000803);
	ck_assert_uint_eq(port_in(PORT_ADDR, 4), 0x80000800);
	/* Only a dword at 0xcf8 is the latch: narrower accesses miss it. */
	ck_assert_uint_eq(port_in(PORT_ADDR, 1), 0xff);
	ck_assert_uint_eq(port_in(PORT_ADDR + 2, 2), 0xffff);
	port_out(PORT_ADDR + 3, 0, 1);
	ck_assert_uint_eq(port_in(PORT_ADDR, 4), 0x80000800);
}
END_TEST

START_TEST(test_nothing_decodes)
{
	/* Bus 1, function 1, reserved latch bits, no enable bit. */
	static const uint32_t misses[] = {
		0x80010000, 0x80000100, 0x80000900, 0x81000000,
		0x88000000, 0x00000000, 0x00000800,
	};

	for (unsigned slot = 2; slot < PCI_NR_SLOTS; slot++)
		ck_assert_uint_eq(cfg_rd(slot, 0, 4), 0xffffffff);
	for (unsigned i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
		set_latch(misses[i] | PCI_CFG_COMMAND);
		ck_assert_uint_eq(port_in(PORT_DATA, 4), 0xffffffff);
		ck_assert_uint_eq(port_in(PORT_DATA + 1, 1), 0xff);
		/* A write there must not land on 00:00.0 or 00:01.0. */
		port_out(PORT_DATA, 0, 2);
		port_out(PORT_DATA, 0x12345678, 4);
	}
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_COMMAND, 2), PCI_CMD_MEMORY);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_COMMAND, 2), PCI_CMD_MEMORY);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_VENDOR, 2), 0x1af4);
}
END_TEST

START_TEST(test_byte_lanes)
{
	uint32_t v;

	set_latch(latch(0, 0, 0, 0));
	ck_assert_uint_eq(port_in(PORT_DATA, 1), 0x36);
	ck_assert_uint_eq(port_in(PORT_DATA + 1, 1), 0x1b);
	ck_assert_uint_eq(port_in(PORT_DATA + 2, 2), 0x0008);
	ck_assert_uint_eq(port_in(PORT_DATA + 1, 2), 0x081b);
	/* Low latch bits are ignored: the port picks the byte. */
	set_latch(latch(0, 0, 0, PCI_CFG_REVISION + 3));
	ck_assert_uint_eq(port_in(PORT_DATA, 4), 0x06000000);
	ck_assert_uint_eq(port_in(PORT_DATA + 3, 1), 0x06);
	/* A byte write at 0xcfd changes only that byte (latency). */
	cfg_wr(1, PCI_CFG_CACHE_LINE, 0x1111, 2);
	cfg_wr(1, PCI_CFG_LATENCY, 0x40, 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_CACHE_LINE, 2), 0x4011);
	cfg_wr(1, PCI_CFG_CACHE_LINE + 1, 0xeeee, 2);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_CACHE_LINE, 4), 0x0000ee11);
	/* Past 0xcff: not the data window, nothing claims it. */
	set_latch(latch(0, 1, 0, PCI_CFG_CACHE_LINE));
	v = 0;
	ck_assert(!iobus_access(&vm->pio, PORT_DATA + 3, &v, 2, true));
	ck_assert(!iobus_access(&vm->pio, PORT_DATA + 1, &v, 4, false));
	ck_assert_uint_eq(v, 0xffffffff);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_CACHE_LINE, 4), 0x0000ee11);
}
END_TEST

START_TEST(test_device_registered)
{
	uint32_t bar0 = cfg_rd(1, PCI_CFG_BAR0, 4);
	uint32_t bar1 = cfg_rd(1, PCI_CFG_BAR0 + 4, 4);

	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_VENDOR, 4), 0x10411af4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_REVISION, 4), 0x01000001);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_SUBSYS_VENDOR, 4), 0x00021af4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY,
			  PCI_CMD_MEMORY);
	ck_assert_uint_ne(bar0, 0);
	ck_assert_uint_eq(bar0 & (BAR0_SIZE - 1), 0);
	ck_assert_uint_ne(bar1, 0);
	ck_assert_uint_eq(bar1 & (BAR1_SIZE - 1), 0);
	ck_assert_uint_ge(bar0, VM_PCI_HOLE_START);
	ck_assert_uint_le(bar0 + BAR0_SIZE, VM_PCI_MMIO_END);
	ck_assert(bar1 >= bar0 + BAR0_SIZE || bar1 + BAR1_SIZE <= bar0);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_BAR0 + 8, 4), 0);
	ck_assert(mmio_hits(&t1, bar0 + 0x10));
	ck_assert_uint_eq(t1.last_off, 0x10);
	ck_assert(mmio_hits(&t1, bar1 + BAR1_SIZE - 4));
	ck_assert_uint_eq(t1.last_off, BAR1_SIZE - 4);
	ck_assert(iobus_access(&vm->mmio, bar0 + 8, &bar1, 4, true));
	ck_assert_uint_eq(t1.writes, 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_INT_PIN, 1), 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_INT_LINE, 1),
			  PCI_INTX_GSI_BASE + 1);
	ck_assert_uint_eq(pci_dev_cfg_get(&t1.pdev, PCI_CFG_BAR0, 4), bar0);
}
END_TEST

START_TEST(test_bar_sizing_and_moving)
{
	uint32_t bar0 = cfg_rd(1, PCI_CFG_BAR0, 4), to = 0xd0000000;

	cfg_wr(1, PCI_CFG_BAR0, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_BAR0, 4), ~(BAR0_SIZE - 1));
	ck_assert(!mmio_hits(&t1, bar0)); /* 0xffffc000 is not decoded */
	cfg_wr(1, PCI_CFG_BAR0 + 4, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_BAR0 + 4, 4), ~(BAR1_SIZE - 1));
	cfg_wr(1, PCI_CFG_BAR0 + 8, 0xffffffff, 4); /* not implemented */
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_BAR0 + 8, 4), 0);
	cfg_wr(1, PCI_CFG_BAR0, bar0, 4);
	ck_assert(mmio_hits(&t1, bar0));

	/* Type bits are read-only; the range follows the BAR. */
	t1.moves = 0;
	cfg_wr(1, PCI_CFG_BAR0, to | 0xf, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_BAR0, 4), to);
	ck_assert(!mmio_hits(&t1, bar0));
	ck_assert(mmio_hits(&t1, to + BAR0_SIZE - 4));
	ck_assert(!mmio_hits(&t1, to + BAR0_SIZE));
	ck_assert_uint_eq(t1.pdev.bars[0].mapped, to);
	ck_assert_uint_eq(t1.moves, 1);
	ck_assert_uint_eq(t1.moved_old, bar0);
	ck_assert_uint_eq(t1.moved_new, to);

	/* Command.Memory off: nothing decodes; on: back where it was. */
	cfg_wr(1, PCI_CFG_COMMAND, 0, 2);
	ck_assert(!mmio_hits(&t1, to));
	ck_assert_uint_eq(t1.moved_new, 0);
	cfg_wr(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2);
	ck_assert(mmio_hits(&t1, to));
}
END_TEST

/*
 * pci.c decodes a BAR only when it lies wholly inside the PCI MMIO
 * window and does not overlap another range; otherwise config space
 * keeps the address but the BAR is off the bus.
 */
START_TEST(test_bar_conflicts)
{
	uint32_t b1 = cfg_rd(1, PCI_CFG_BAR0, 4), b2;
	static const uint32_t outside[] = {
		0x00100000, /* guest RAM */
		0xbfffc000, /* just below the window */
		(uint32_t)VM_PCI_MMIO_END, /* IOAPIC */
		0,
	};

	ck_assert_int_eq(tdev_setup(&t2, 0x1042), 2);
	b2 = cfg_rd(2, PCI_CFG_BAR0, 4);
	ck_assert_uint_ne(b1, b2);
	ck_assert(mmio_hits(&t2, b2));

	cfg_wr(2, PCI_CFG_BAR0, b1, 4);
	ck_assert_uint_eq(cfg_rd(2, PCI_CFG_BAR0, 4), b1);
	ck_assert_uint_eq(t2.pdev.bars[0].mapped, 0);
	ck_assert(mmio_hits(&t1, b1));
	ck_assert(!mmio_hits(&t2, b2));
	cfg_wr(2, PCI_CFG_BAR0, b2, 4);
	ck_assert(mmio_hits(&t2, b2));

	for (unsigned i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		cfg_wr(2, PCI_CFG_BAR0, outside[i], 4);
		ck_assert_uint_eq(t2.pdev.bars[0].mapped, 0);
		ck_assert(!mmio_hits(&t2, b2));
		ck_assert(!mmio_hits(&t2, outside[i]));
	}
	/* The last place that fits the window does decode. */
	cfg_wr(2, PCI_CFG_BAR0, VM_PCI_MMIO_END - BAR0_SIZE, 4);
	ck_assert(mmio_hits(&t2, VM_PCI_MMIO_END - 4));
	ck_assert(mmio_hits(&t1, b1));
}
END_TEST

START_TEST(test_capabilities)
{
	unsigned off, hops = 0;

	ck_assert(cfg_rd(1, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	off = cfg_rd(1, PCI_CFG_CAP_PTR, 1);
	ck_assert_uint_eq(off & 3, 0);
	while (off && cfg_rd(1, off, 1) != PCI_CAP_ID_VENDOR) {
		ck_assert_uint_lt(++hops, 48);
		off = cfg_rd(1, off + 1, 1);
	}
	ck_assert_uint_eq(off, (unsigned)cap_off);
	ck_assert_uint_eq(cfg_rd(1, off, 4), 0x01080009); /* next = 0 */
	ck_assert_uint_eq(cfg_rd(1, off + 4, 4), 0xa4a3a2a1);
	/* ID and next are fixed even where the mask says writable. */
	cfg_wr(1, off, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_rd(1, off, 4), 0x01080009);
	cfg_wr(1, off + 4, 0x00000000, 4);
	ck_assert_uint_eq(cfg_rd(1, off + 4, 4), 0xa4a3a000);
	cfg_wr(1, off + 5, 0xffff, 2);
	ck_assert_uint_eq(cfg_rd(1, off + 4, 4), 0xa4a3af00);
}
END_TEST

START_TEST(test_read_only_fields)
{
	cfg_wr(1, PCI_CFG_VENDOR, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_VENDOR, 4), 0x10411af4);
	cfg_wr(1, PCI_CFG_REVISION, 0, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_REVISION, 4), 0x01000001);
	cfg_wr(1, PCI_CFG_HEADER_TYPE, 0xff, 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_HEADER_TYPE, 1), 0);
	cfg_wr(1, PCI_CFG_INT_PIN, 4, 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_INT_PIN, 1), 1);
	cfg_wr(1, PCI_CFG_CAP_PTR, 0, 1);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_CAP_PTR, 1), (unsigned)cap_off);
	/* Command: only memory, master, INTx-disable; status read-only. */
	cfg_wr(1, PCI_CFG_COMMAND, 0xffffffff, 4);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_COMMAND, 4),
			  PCI_STATUS_CAP_LIST << 16 | PCI_CMD_MEMORY |
				  PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE);
	cfg_wr(0, PCI_CFG_VENDOR, 0, 4);
	ck_assert_uint_eq(cfg_rd(0, PCI_CFG_VENDOR, 4), 0x00081b36);
}
END_TEST

/* A fixed-seed xorshift: the same writes on every run. */
static uint32_t rnd(void)
{
	static uint32_t x = 0x9c1f00d;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/* The host bridge's writable bits, as documented for the header. */
static uint8_t host_wmask(unsigned off)
{
	if (off == PCI_CFG_COMMAND)
		return PCI_CMD_MEMORY | PCI_CMD_MASTER;
	if (off == PCI_CFG_COMMAND + 1)
		return PCI_CMD_INTX_DISABLE >> 8;
	if (off == PCI_CFG_CACHE_LINE || off == PCI_CFG_LATENCY ||
	    off == PCI_CFG_INT_LINE)
		return 0xff;
	return 0;
}

START_TEST(test_random_writes)
{
	uint8_t before[2][PCI_CFG_SIZE], after[PCI_CFG_SIZE];
	static const unsigned lens[] = { 1, 2, 4 };

	for (unsigned s = 0; s < 2; s++)
		for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
			uint32_t v = cfg_rd(s, off, 4);

			memcpy(&before[s][off], &v, 4);
		}
	for (unsigned round = 0; round < 4; round++)
		for (unsigned off = 0; off < PCI_CFG_SIZE; off++)
			for (unsigned s = 0; s < 2; s++) {
				unsigned len = lens[rnd() % 3];
				uint32_t v = rnd();

				if ((off & 3) + len > 4)
					len = 1;
				cfg_wr(s, off, v, len);
			}
	for (unsigned s = 0; s < 2; s++) {
		for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
			uint32_t v = cfg_rd(s, off, 4);

			memcpy(&after[off], &v, 4);
		}
		for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
			uint8_t m = s ? t1.pdev.wmask[i] : host_wmask(i);

			ck_assert_msg(!((before[s][i] ^ after[i]) & ~m),
				      "slot %u byte 0x%02x: 0x%02x -> 0x%02x",
				      s, i, before[s][i], after[i]);
		}
	}
	/* Whatever the guest left there, decoding matches config space. */
	for (unsigned i = 0; i < 2; i++) {
		uint64_t m = t1.pdev.bars[i].mapped;

		if (!m)
			continue;
		ck_assert_uint_eq(m, cfg_rd(1, PCI_CFG_BAR0 + 4 * i, 4));
		ck_assert(cfg_rd(1, PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY);
		ck_assert(mmio_hits(&t1, m));
	}
}
END_TEST

START_TEST(test_reset)
{
	uint8_t power_on[PCI_CFG_SIZE];
	uint32_t bar0 = cfg_rd(1, PCI_CFG_BAR0, 4);

	memcpy(power_on, t1.pdev.cfg, sizeof(power_on));
	cfg_wr(1, PCI_CFG_BAR0, 0xd0000000, 4);
	cfg_wr(1, PCI_CFG_COMMAND, PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE, 2);
	cfg_wr(1, PCI_CFG_INT_LINE, 5, 1);
	cfg_wr(1, cap_off + 4, 0, 2);
	ck_assert(!mmio_hits(&t1, bar0));
	pci_dev_reset(&t1.pdev);
	ck_assert_mem_eq(t1.pdev.cfg, power_on, PCI_CFG_SIZE);
	ck_assert(mmio_hits(&t1, bar0));
	ck_assert(!mmio_hits(&t1, 0xd0000000));
	ck_assert(!t1.pdev.intx_disabled);
}
END_TEST

static struct json_object *pci_state(const char *hex)
{
	struct json_object *o = json_object_new_object(), *p;

	p = json_object_new_object();
	json_object_object_add(p, "config", json_object_new_string(hex));
	json_object_object_add(o, "pci", p);
	return o;
}

START_TEST(test_save_restore)
{
	static const char *const garbage[] = { "", "00", "zz", "0g" };
	struct json_object *st = json_object_new_object(), *s, *bad;
	struct device *host = vm_find_device(vm, PCI_HOST_DEVICE_ID);
	uint32_t bar0 = cfg_rd(1, PCI_CFG_BAR0, 4), to = 0xd0000000;
	uint8_t saved[PCI_CFG_SIZE];
	char hex[2 * PCI_CFG_SIZE + 1];

	cfg_wr(1, PCI_CFG_BAR0, to, 4);
	cfg_wr(1, PCI_CFG_LATENCY, 0x20, 1);
	cfg_wr(1, cap_off + 4, 0x0155, 2);
	memcpy(saved, t1.pdev.cfg, sizeof(saved));
	ck_assert_int_eq(pci_dev_save(&t1.pdev, st), 0);
	pci_dev_reset(&t1.pdev);
	ck_assert(mmio_hits(&t1, bar0));
	ck_assert_int_eq(pci_dev_restore(&t1.pdev, st), 0);
	ck_assert_mem_eq(t1.pdev.cfg, saved, PCI_CFG_SIZE);
	ck_assert(mmio_hits(&t1, to));
	ck_assert(!mmio_hits(&t1, bar0));

	/* Read-only bytes of an image are ignored (vendor ID 0xffff). */
	json_object_object_get_ex(st, "pci", &s);
	json_object_object_get_ex(s, "config", &s);
	strcpy(hex, json_object_get_string(s));
	memcpy(hex, "ffff", 4);
	bad = pci_state(hex);
	ck_assert_int_eq(pci_dev_restore(&t1.pdev, bad), 0);
	json_object_put(bad);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_VENDOR, 2), 0x1af4);

	/* Garbage: nothing taken, nothing moved. */
	for (unsigned i = 0; i < 4; i++) {
		memset(hex, '0', 2 * PCI_CFG_SIZE);
		hex[2 * PCI_CFG_SIZE] = '\0';
		if (i >= 2)
			memcpy(hex + 2 * PCI_CFG_BAR0 + 6, garbage[i], 2);
		bad = pci_state(i < 2 ? garbage[i] : hex);
		ck_assert_int_eq(pci_dev_restore(&t1.pdev, bad), -EINVAL);
		json_object_put(bad);
	}
	bad = json_object_new_object();
	ck_assert_int_eq(pci_dev_restore(&t1.pdev, bad), -EINVAL);
	json_object_object_add(bad, "pci", json_object_new_int(3));
	ck_assert_int_eq(pci_dev_restore(&t1.pdev, bad), -EINVAL);
	json_object_put(bad);
	ck_assert_mem_eq(t1.pdev.cfg, saved, PCI_CFG_SIZE);
	ck_assert(mmio_hits(&t1, to));
	json_object_put(st);

	/* The host bridge keeps its latch; a latch with low bits is bad. */
	set_latch(latch(0, 1, 0, 0x10));
	ck_assert_int_eq(host->ops->save(host, &st), 0);
	set_latch(0);
	ck_assert_int_eq(host->ops->restore(host, st), 0);
	ck_assert_uint_eq(port_in(PORT_ADDR, 4), latch(0, 1, 0, 0x10));
	json_object_object_add(st, "latch", json_object_new_int64(0x80000002));
	ck_assert_int_eq(host->ops->restore(host, st), -EINVAL);
	json_object_put(st);
}
END_TEST

/* @st's saved "pci" object, to edit its slot. */
static struct json_object *pci_of(struct json_object *st)
{
	struct json_object *o;

	ck_assert(json_object_object_get_ex(st, "pci", &o));
	return o;
}

/*
 * A record whose slot is not the device's own moves it there, trading
 * places with the device in it, before its config is taken; BARs that
 * another device still held go on the bus when the bus settles, and a
 * BAR that stays on top of another's is refused then.
 */
START_TEST(test_restore_reseats)
{
	struct json_object *st1 = json_object_new_object();
	struct json_object *st2 = json_object_new_object();
	uint32_t b1, b2;
	char why[256];

	ck_assert_int_eq(tdev_setup(&t2, 0x1042), 2);
	b1 = cfg_rd(1, PCI_CFG_BAR0, 4);
	b2 = cfg_rd(2, PCI_CFG_BAR0, 4);
	ck_assert_int_eq(pci_dev_save(&t1.pdev, st1), 0);
	ck_assert_int_eq(pci_dev_save(&t2.pdev, st2), 0);
	ck_assert_int_eq(json_object_get_int(
				 json_object_object_get(pci_of(st1), "slot")),
			 1);

	/* t1 takes what t2 saved (slot 2, BARs at b2), t2 what t1 did. */
	ck_assert_int_eq(pci_dev_restore(&t1.pdev, st2), 0);
	ck_assert_int_eq(pci_dev_slot(&t1.pdev), 2);
	ck_assert_int_eq(pci_dev_slot(&t2.pdev), 1);
	ck_assert_uint_eq(cfg_rd(2, PCI_CFG_DEVICE, 2), 0x1041);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_DEVICE, 2), 0x1042);
	ck_assert_uint_eq(cfg_rd(2, PCI_CFG_INT_LINE, 1),
			  PCI_INTX_GSI_BASE + 2 % PCI_NR_INTX_GSIS);
	ck_assert_uint_eq(cfg_rd(1, PCI_CFG_INT_LINE, 1),
			  PCI_INTX_GSI_BASE + 1 % PCI_NR_INTX_GSIS);
	ck_assert(!mmio_hits(&t1, b2)); /* t2 is still there */
	ck_assert_int_eq(pci_dev_restore(&t2.pdev, st1), 0);
	ck_assert(mmio_hits(&t2, b1));
	ck_assert_int_eq(pci_bus_settle(vm, why, sizeof(why)), 0);
	ck_assert(mmio_hits(&t1, b2));
	/* Its INTx follows the new slot. */
	pci_set_irq(&t1.pdev, true);
	ck_assert(t1.pdev.irq_driven);
	pci_set_irq(&t1.pdev, false);

	/* A slot that is none, or not a number: refused, nothing moved. */
	json_object_object_add(pci_of(st1), "slot", json_object_new_int(0));
	ck_assert_int_eq(pci_dev_restore(&t2.pdev, st1), -EINVAL);
	json_object_object_add(pci_of(st1), "slot",
			       json_object_new_int(PCI_NR_SLOTS));
	ck_assert_int_eq(pci_dev_restore(&t2.pdev, st1), -EINVAL);
	json_object_object_add(pci_of(st1), "slot",
			       json_object_new_string("1"));
	ck_assert_int_eq(pci_dev_restore(&t2.pdev, st1), -EINVAL);
	ck_assert_int_eq(pci_dev_slot(&t2.pdev), 1);
	/* t1 was put in slot 2: a second record for it is refused. */
	json_object_object_add(pci_of(st1), "slot", json_object_new_int(2));
	ck_assert_int_eq(pci_dev_restore(&t2.pdev, st1), -EINVAL);
	ck_assert_int_eq(pci_dev_slot(&t1.pdev), 2);

	/* Two BARs on one address: the settle says which. */
	cfg_wr(2, PCI_CFG_BAR0, b1, 4);
	ck_assert_int_eq(pci_bus_settle(vm, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "slot 2") && strstr(why, "BAR0"), "%s", why);
	json_object_put(st1);
	json_object_put(st2);
}
END_TEST

START_TEST(test_intx)
{
	pci_set_irq(&t1.pdev, true);
	ck_assert(t1.pdev.irq_driven);
	cfg_wr(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE, 2);
	ck_assert(!t1.pdev.irq_driven);
	cfg_wr(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2);
	ck_assert(t1.pdev.irq_driven);
	pci_set_irq(&t1.pdev, false);
	ck_assert(!t1.pdev.irq_driven);
	pci_set_irq(&t1.pdev, true);
	pci_dev_reset(&t1.pdev);
	ck_assert(!t1.pdev.irq_driven);
}
END_TEST

/*
 * PCI 3.0 6.2.3: Status.Interrupt Status reflects the function's INTx
 * state whatever Command.INTx-disable says; Linux's vfio-pci and
 * uio_pci_generic (pci_check_and_mask_intx) depend on it.
 */
START_TEST(test_intx_status)
{
	pci_set_irq(&t1.pdev, true);
	ck_assert(cfg_rd(1, PCI_CFG_STATUS, 2) & PCI_STATUS_INTX);
	cfg_wr(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE, 2);
	ck_assert(cfg_rd(1, PCI_CFG_STATUS, 2) & PCI_STATUS_INTX);
	pci_set_irq(&t1.pdev, false);
	ck_assert(!(cfg_rd(1, PCI_CFG_STATUS, 2) & PCI_STATUS_INTX));
}
END_TEST

START_TEST(test_errors)
{
	static struct pci_dev many[PCI_NR_SLOTS];
	struct vm bare;
	struct pci_dev d;
	uint8_t cap[PCI_CFG_SIZE] = { PCI_CAP_ID_VENDOR };
	int rc = 0;
	unsigned n;

	pci_dev_init(&d, 1, 2, 0xff0000, 0, 1, 2, false, NULL, NULL);
	ck_assert_int_eq(pci_dev_add_bar(&d, 0, 0, &tdev_io, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_add_bar(&d, 0, 0x3000, &tdev_io, NULL),
			 -EINVAL);
	ck_assert_int_eq(pci_dev_add_bar(&d, 0, 0x800, &tdev_io, NULL),
			 -EINVAL);
	ck_assert_int_eq(pci_dev_add_bar(&d, 0, 1ULL << 32, &tdev_io, NULL),
			 -EINVAL);
	ck_assert_int_eq(pci_dev_add_bar(&d, PCI_NR_BARS, 0x1000, &tdev_io,
					 NULL),
			 -EINVAL);
	ck_assert_int_eq(pci_dev_add_bar(&d, 0, 0x1000, NULL, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_add_cap(&d, cap, 1, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_add_cap(&d, cap, 0xc0, NULL), 0x40);
	ck_assert_int_eq(pci_dev_add_cap(&d, cap, 4, NULL), -ENOSPC);
	ck_assert_int_eq(pci_dev_add_bar(&d, 5, 1ULL << 31, &tdev_io, NULL),
			 0);
	ck_assert_int_eq(pci_dev_add_bar(&d, 5, 0x1000, &tdev_io, NULL),
			 -EINVAL);
	/* A 2 GiB BAR does not fit the window: no slot is taken. */
	ck_assert_int_eq(pci_register_dev(vm, &d), -ENOSPC);
	ck_assert_ptr_null(d.bus);
	ck_assert_uint_eq(cfg_rd(2, 0, 4), 0xffffffff);

	ck_assert_int_eq(pci_dev_add_bar(&t1.pdev, 2, 0x1000, &tdev_io, NULL),
			 -EINVAL);
	ck_assert_int_eq(pci_dev_add_cap(&t1.pdev, cap, 4, NULL), -EINVAL);
	memset(&bare, 0, sizeof(bare));
	ck_assert_int_eq(pci_register_dev(&bare, &d), -ENODEV);
	ck_assert_int_eq(pci_dev_restore(&d, NULL), -EINVAL);
	pci_set_irq(&d, true); /* unregistered: a no-op */
	pci_unregister_dev(&d);

	/* Fill slots 2..31, then one too many. */
	for (n = 0; n < PCI_NR_SLOTS; n++) {
		pci_dev_init(&many[n], 1, 2, 0xff0000, 0, 1, 2, true, NULL,
			     NULL);
		rc = pci_register_dev(vm, &many[n]);
		if (rc < 0)
			break;
		ck_assert_int_eq(rc, (int)n + 2);
		ck_assert_uint_eq(many[n].cfg[PCI_CFG_INT_LINE],
				  PCI_INTX_GSI_BASE + (n + 2) % 4);
	}
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_uint_eq(n, PCI_NR_SLOTS - 2);
	pci_unregister_dev(&many[3]);
	ck_assert_uint_eq(cfg_rd(5, 0, 4), 0xffffffff);
	ck_assert_int_eq(pci_register_dev(vm, &many[n]), 5);
	for (unsigned i = 0; i <= n; i++)
		pci_unregister_dev(&many[i]);
	ck_assert_uint_eq(cfg_rd(31, 0, 4), 0xffffffff);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("pci");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_bridge);
	tcase_add_test(tc, test_nothing_decodes);
	tcase_add_test(tc, test_byte_lanes);
	tcase_add_test(tc, test_device_registered);
	tcase_add_test(tc, test_bar_sizing_and_moving);
	tcase_add_test(tc, test_restore_reseats);
	tcase_add_test(tc, test_bar_conflicts);
	tcase_add_test(tc, test_capabilities);
	tcase_add_test(tc, test_read_only_fields);
	tcase_add_test(tc, test_random_writes);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_save_restore);
	tcase_add_test(tc, test_intx);
	tcase_add_test(tc, test_intx_status);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}
