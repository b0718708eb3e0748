// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The PCI host bridge: configuration mechanism #1 on ports 0xcf8-0xcff,
 * bus 0's slots, the generic type 0 header (BAR sizing falls out of the
 * writable masks), capability lists, BAR placement on the MMIO bus and
 * INTx lines shared between slots.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hv_error.h"
#include "log.h"
#include "pci.h"
#include "vm.h"

/*
 * The host bridge's IDs: Red Hat's ID for a generic virtual host
 * bridge. No Linux driver binds it; what matters is its class, which
 * is what Linux's mechanism #1 probe looks for on bus 0.
 */
#define PCI_HOST_VENDOR 0x1b36
#define PCI_HOST_DEVICE 0x0008
#define PCI_CLASS_HOST_BRIDGE 0x060000

#define PCI_LATCH_ENABLE 0x80000000u
#define PCI_LATCH_RESERVED 0x7f000000u /* incl. AMD's extended registers */
#define PCI_PORT_DATA 4 /* 0xcfc, relative to 0xcf8 */
#define PCI_NR_PORTS 8

struct pci_bus {
	struct device dev;
	/* Config space of every function, the latch, slots, BAR moves. */
	pthread_mutex_t lock;
	/* INTx line levels; a leaf lock, taken under any other. */
	pthread_mutex_t irq_lock;
	uint32_t latch; /* 0xcf8 */
	struct pci_dev host;
	struct pci_dev *slots[PCI_NR_SLOTS];
	unsigned intx_count[PCI_NR_INTX_GSIS]; /* devices driving each */
};

static const struct device_ops pci_host_ops;

static struct pci_bus *to_bus(struct device *dev)
{
	return (struct pci_bus *)dev;
}

/* @vm's PCI bus, or NULL if pci_host_new() was not called. */
static struct pci_bus *pci_bus_of(struct vm *vm)
{
	struct device *dev = vm_find_device(vm, PCI_HOST_DEVICE_ID);

	return dev && dev->ops == &pci_host_ops ? to_bus(dev) : NULL;
}

static uint32_t get_le(const uint8_t *p, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint32_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void pci_dev_init(struct pci_dev *pdev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id, bool intx, const struct pci_dev_ops *ops,
		  void *opaque)
{
	memset(pdev, 0, sizeof(*pdev));
	pdev->ops = ops;
	pdev->opaque = opaque;
	pdev->slot = -1;
	put_le(pdev->cfg + PCI_CFG_VENDOR, vendor, 2);
	put_le(pdev->cfg + PCI_CFG_DEVICE, device, 2);
	pdev->cfg[PCI_CFG_REVISION] = revision;
	put_le(pdev->cfg + PCI_CFG_CLASS, class_code, 3);
	put_le(pdev->cfg + PCI_CFG_SUBSYS_VENDOR, subsys_vendor, 2);
	put_le(pdev->cfg + PCI_CFG_SUBSYS_ID, subsys_id, 2);
	/* Memory decode, bus master, INTx disable (no I/O BARs here). */
	put_le(pdev->wmask + PCI_CFG_COMMAND,
	       PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_DISABLE, 2);
	pdev->wmask[PCI_CFG_CACHE_LINE] = 0xff;
	pdev->wmask[PCI_CFG_LATENCY] = 0xff;
	pdev->wmask[PCI_CFG_INT_LINE] = 0xff;
	pdev->cfg[PCI_CFG_INT_PIN] = intx ? 1 : 0;
	pdev->caps_end = PCI_CFG_CAPS_START;
}

int pci_dev_add_bar(struct pci_dev *pdev, unsigned bar, uint64_t size,
		    const struct io_ops *ops, void *opaque)
{
	if (pdev->bus || bar >= PCI_NR_BARS || size < 4096 ||
	    size > (1ULL << 31) || (size & (size - 1)) || !ops ||
	    pdev->bars[bar].size)
		return -EINVAL;
	pdev->bars[bar] = (struct pci_bar){ .size = size, .ops = ops,
					    .opaque = opaque };
	/* The low 4 bits say "32-bit memory, not prefetchable": all 0. */
	put_le(pdev->wmask + PCI_CFG_BAR0 + 4 * bar, (uint32_t)~(size - 1),
	       4);
	return 0;
}

int pci_dev_add_cap(struct pci_dev *pdev, const void *data, unsigned len,
		    const uint8_t *wmask)
{
	unsigned off = pdev->caps_end;

	if (pdev->bus || len < 2 || len > PCI_CFG_SIZE)
		return -EINVAL;
	if (off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(pdev->cfg + off, data, len);
	pdev->cfg[off + 1] = 0; /* end of the list, for now */
	if (wmask) {
		memcpy(pdev->wmask + off, wmask, len);
		pdev->wmask[off] = pdev->wmask[off + 1] = 0;
	}
	if (pdev->last_cap)
		pdev->cfg[pdev->last_cap + 1] = (uint8_t)off;
	else
		pdev->cfg[PCI_CFG_CAP_PTR] = (uint8_t)off;
	put_le(pdev->cfg + PCI_CFG_STATUS,
	       get_le(pdev->cfg + PCI_CFG_STATUS, 2) | PCI_STATUS_CAP_LIST,
	       2);
	pdev->last_cap = off;
	pdev->caps_end = (off + len + 3) & ~3u;
	return (int)off;
}

static uint32_t bar_addr(const struct pci_dev *pdev, unsigned bar)
{
	return get_le(pdev->cfg + PCI_CFG_BAR0 + 4 * bar, 4) & ~0xfu;
}

/*
 * Put every BAR where config space says it is decoded: memory decoding
 * on, and the whole BAR inside the PCI MMIO window (a BAR being sized,
 * reading back ~(size - 1), is not). A BAR the guest placed on top of
 * another stays off the bus, as decoding conflicts are undefined on
 * hardware too. Bus lock held.
 */
static void pci_update_bars(struct pci_dev *pdev)
{
	struct vm *vm = pdev->bus->dev.vm;
	bool mem = get_le(pdev->cfg + PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY;

	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *b = &pdev->bars[i];
		uint64_t addr = bar_addr(pdev, i), old = b->mapped;
		int rc;

		if (!b->size)
			continue;
		if (!mem || addr < VM_PCI_HOLE_START ||
		    addr + b->size > VM_PCI_MMIO_END)
			addr = 0;
		if (addr == old)
			continue;
		if (old)
			iobus_unregister(&vm->mmio, old);
		b->mapped = 0;
		if (addr) {
			rc = iobus_register(&vm->mmio, addr, b->size, b->ops,
					    b->opaque);
			if (rc) {
				log_debug("pci 00:%02x.0: BAR%u at 0x%llx: %s",
					  pdev->slot, i,
					  (unsigned long long)addr,
					  strerror(-rc));
				addr = 0;
			}
		}
		b->mapped = addr;
		if (old != addr && pdev->ops && pdev->ops->bar_moved)
			pdev->ops->bar_moved(pdev, i, old, addr);
	}
}

/* The INTx level of @pdev's line changed its contribution. */
static void pci_drive_intx(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;
	bool want = pdev->irq_level && !pdev->intx_disabled;
	unsigned line = (unsigned)pdev->slot % PCI_NR_INTX_GSIS;
	unsigned before = bus->intx_count[line];
	int rc;

	if (want == pdev->irq_driven)
		return;
	pdev->irq_driven = want;
	if (want)
		bus->intx_count[line]++;
	else
		bus->intx_count[line]--;
	if (!before == !bus->intx_count[line])
		return;
	rc = vm_irq_line(bus->dev.vm, PCI_INTX_GSI_BASE + line, want);
	if (rc)
		log_debug("pci 00:%02x.0: INTx: %s", pdev->slot,
			  strerror(-rc));
}

void pci_set_irq(struct pci_dev *pdev, bool level)
{
	struct pci_bus *bus = pdev->bus;

	if (!bus || !pdev->cfg[PCI_CFG_INT_PIN])
		return;
	pthread_mutex_lock(&bus->irq_lock);
	pdev->irq_level = level;
	pci_drive_intx(pdev);
	pthread_mutex_unlock(&bus->irq_lock);
}

/* Config space changed under the bus lock: follow it. */
static void pci_config_changed(struct pci_dev *pdev, unsigned off,
			       unsigned len, bool guest)
{
	struct pci_bus *bus = pdev->bus;

	if (off < PCI_CFG_BAR0 + 4 * PCI_NR_BARS &&
	    off + len > PCI_CFG_COMMAND)
		pci_update_bars(pdev);
	if (off < PCI_CFG_COMMAND + 2 && off + len > PCI_CFG_COMMAND &&
	    pdev->cfg[PCI_CFG_INT_PIN]) {
		pthread_mutex_lock(&bus->irq_lock);
		pdev->intx_disabled = get_le(pdev->cfg + PCI_CFG_COMMAND, 2) &
				      PCI_CMD_INTX_DISABLE;
		pci_drive_intx(pdev);
		pthread_mutex_unlock(&bus->irq_lock);
	}
	if (pdev->ops && pdev->ops->cfg_write)
		pdev->ops->cfg_write(pdev, off, len, guest);
}

static void pci_dev_cfg_write(struct pci_dev *pdev, unsigned off,
			      const uint8_t *data, unsigned len)
{
	for (unsigned i = 0; i < len; i++) {
		uint8_t m = pdev->wmask[off + i];

		pdev->cfg[off + i] = (pdev->cfg[off + i] & ~m) | (data[i] & m);
	}
	pci_config_changed(pdev, off, len, true);
}

/*
 * Status.Interrupt Status follows the function's INTx level whatever
 * Command.INTx-disable says (guest drivers that mask INTx, such as
 * vfio-pci, read it to tell whose interrupt it was). It is filled in as
 * it is read, because the level changes under the irq lock only.
 */
static void pci_dev_intx_status(struct pci_dev *pdev, unsigned off,
				uint8_t *data, unsigned len)
{
	bool level = false;

	if (off > PCI_CFG_STATUS || off + len <= PCI_CFG_STATUS)
		return;
	if (pdev->bus) {
		pthread_mutex_lock(&pdev->bus->irq_lock);
		level = pdev->irq_level;
		pthread_mutex_unlock(&pdev->bus->irq_lock);
	}
	data[PCI_CFG_STATUS - off] &= (uint8_t)~PCI_STATUS_INTX;
	if (level)
		data[PCI_CFG_STATUS - off] |= PCI_STATUS_INTX;
}

static void pci_dev_cfg_read(struct pci_dev *pdev, unsigned off,
			     uint8_t *data, unsigned len)
{
	if (pdev->ops && pdev->ops->cfg_read)
		pdev->ops->cfg_read(pdev, off, len);
	memcpy(data, pdev->cfg + off, len);
	pci_dev_intx_status(pdev, off, data, len);
}

uint32_t pci_dev_cfg_get(struct pci_dev *pdev, unsigned off, unsigned len)
{
	uint32_t v;
	uint8_t data[4];

	if (len > 4 || off + len > PCI_CFG_SIZE)
		return 0;
	if (pdev->bus)
		pthread_mutex_lock(&pdev->bus->lock);
	memcpy(data, pdev->cfg + off, len);
	pci_dev_intx_status(pdev, off, data, len);
	v = get_le(data, len);
	if (pdev->bus)
		pthread_mutex_unlock(&pdev->bus->lock);
	return v;
}

/*
 * An access through 0xcfc-0xcff, @port_off bytes into the data window.
 * Only bus 0, function 0 exists; everything else reads as all ones (no
 * device) and ignores writes. Bus lock held.
 */
static void pci_data_access(struct pci_bus *bus, unsigned port_off,
			    void *data, unsigned len, bool is_write)
{
	uint32_t latch = bus->latch;
	unsigned slot = (latch >> 11) & 0x1f, func = (latch >> 8) & 7;
	unsigned reg = (latch & 0xfc) + port_off;
	struct pci_dev *pdev;

	if (!(latch & PCI_LATCH_ENABLE) || (latch & PCI_LATCH_RESERVED) ||
	    ((latch >> 16) & 0xff) || func || reg + len > PCI_CFG_SIZE)
		return;
	pdev = bus->slots[slot];
	if (!pdev)
		return;
	if (is_write)
		pci_dev_cfg_write(pdev, reg, data, len);
	else
		pci_dev_cfg_read(pdev, reg, data, len);
}

static void pci_port_read(void *opaque, uint64_t off, void *data,
			  unsigned len)
{
	struct pci_bus *bus = opaque;

	memset(data, 0xff, len);
	pthread_mutex_lock(&bus->lock);
	/* Only a full dword access at 0xcf8 is the address latch. */
	if (off == 0 && len == 4)
		put_le(data, bus->latch, 4);
	else if (off >= PCI_PORT_DATA)
		pci_data_access(bus, (unsigned)off - PCI_PORT_DATA, data, len,
				false);
	pthread_mutex_unlock(&bus->lock);
}

static void pci_port_write(void *opaque, uint64_t off, const void *data,
			   unsigned len)
{
	struct pci_bus *bus = opaque;

	pthread_mutex_lock(&bus->lock);
	if (off == 0 && len == 4)
		bus->latch = get_le(data, 4) & ~3u;
	else if (off >= PCI_PORT_DATA)
		pci_data_access(bus, (unsigned)off - PCI_PORT_DATA,
				(void *)data, len, true);
	pthread_mutex_unlock(&bus->lock);
}

static const struct io_ops pci_port_ops = {
	.read = pci_port_read,
	.write = pci_port_write,
};

/*
 * Where BAR @i of @pdev sits in the window now: where it is mapped, or
 * else where its register points (assigned but not decoded). 0: nowhere.
 */
static uint64_t pci_bar_addr(const struct pci_dev *pdev, unsigned i)
{
	if (!pdev->bars[i].size)
		return 0;
	if (pdev->bars[i].mapped)
		return pdev->bars[i].mapped;
	return get_le(pdev->cfg + PCI_CFG_BAR0 + 4 * i, 4) &
	       ~(uint32_t)(pdev->bars[i].size - 1);
}

/*
 * The end of a BAR on @bus (or among @pdev's first @nr_done) that
 * overlaps [@addr, @addr + @size), or 0 if none does.
 */
static uint64_t pci_window_conflict(struct pci_bus *bus,
				    const struct pci_dev *pdev,
				    unsigned nr_done, uint64_t addr,
				    uint64_t size)
{
	for (unsigned s = 0; s <= PCI_NR_SLOTS; s++) {
		const struct pci_dev *d = s < PCI_NR_SLOTS ? bus->slots[s] :
							      pdev;
		unsigned n = s < PCI_NR_SLOTS ? PCI_NR_BARS : nr_done;

		for (unsigned i = 0; d && i < n; i++) {
			uint64_t b = pci_bar_addr(d, i);

			if (b && b < addr + size && addr < b + d->bars[i].size)
				return b + d->bars[i].size;
		}
	}
	return 0;
}

/*
 * Firmware's job: give each BAR a naturally aligned window address, the
 * lowest free one, so the space of a device that was unplugged is used
 * again (at boot, devices are placed one after the other).
 */
static int pci_assign_bars(struct pci_bus *bus, struct pci_dev *pdev)
{
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		uint64_t size = pdev->bars[i].size;
		uint64_t next = VM_PCI_HOLE_START, end;

		if (!size)
			continue;
		for (;;) {
			next = (next + size - 1) & ~(size - 1);
			if (next + size > VM_PCI_MMIO_END)
				return -ENOSPC;
			end = pci_window_conflict(bus, pdev, i, next, size);
			if (!end)
				break;
			next = end;
		}
		put_le(pdev->cfg + PCI_CFG_BAR0 + 4 * i, (uint32_t)next, 4);
	}
	return 0;
}

static void pci_power_on_intx(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;

	pthread_mutex_lock(&bus->irq_lock);
	pdev->intx_disabled = false;
	pdev->irq_level = false;
	pci_drive_intx(pdev);
	pthread_mutex_unlock(&bus->irq_lock);
}

/* Point @pdev's interrupt line register at its slot's GSI. */
static void pci_set_int_line(struct pci_dev *pdev)
{
	if (!pdev->cfg[PCI_CFG_INT_PIN])
		return;
	pdev->cfg[PCI_CFG_INT_LINE] = pdev->init[PCI_CFG_INT_LINE] =
		PCI_INTX_GSI_BASE + pdev->slot % PCI_NR_INTX_GSIS;
}

int pci_register_dev(struct vm *vm, struct pci_dev *pdev)
{
	struct pci_bus *bus = pci_bus_of(vm);
	uint16_t cmd = PCI_CMD_MEMORY;
	int slot, rc;

	if (!bus)
		return -ENODEV;
	pthread_mutex_lock(&bus->lock);
	for (slot = 1; slot < PCI_NR_SLOTS && bus->slots[slot]; slot++)
		;
	if (slot == PCI_NR_SLOTS) {
		rc = -ENOSPC;
		goto out_unlock;
	}
	rc = pci_assign_bars(bus, pdev);
	if (rc)
		goto out_unlock;
	pdev->bus = bus;
	pdev->slot = slot;
	pci_set_int_line(pdev);
	put_le(pdev->cfg + PCI_CFG_COMMAND, cmd, 2);
	memcpy(pdev->init, pdev->cfg, sizeof(pdev->init));
	bus->slots[slot] = pdev;
	pci_config_changed(pdev, 0, PCI_CFG_SIZE, false);
	rc = slot;
out_unlock:
	pthread_mutex_unlock(&bus->lock);
	return rc;
}

/* Take @pdev off @bus and its BARs off the MMIO bus. Bus lock held. */
static void pci_unplug_locked(struct pci_bus *bus, struct pci_dev *pdev)
{
	struct vm *vm = bus->dev.vm;

	pci_set_irq(pdev, false);
	/*
	 * vm_free() disposes the buses before it frees devices, and
	 * iobus_dispose() clears the name: then there is nothing to leave.
	 */
	for (unsigned i = 0; i < PCI_NR_BARS; i++) {
		if (pdev->bars[i].mapped && vm->mmio.name)
			iobus_unregister(&vm->mmio, pdev->bars[i].mapped);
		pdev->bars[i].mapped = 0;
	}
	bus->slots[pdev->slot] = NULL;
	pdev->bus = NULL;
	pdev->slot = -1;
}

void pci_unregister_dev(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	/* pci_unplug_slot() may have taken it off meanwhile. */
	if (pdev->bus == bus)
		pci_unplug_locked(bus, pdev);
	pthread_mutex_unlock(&bus->lock);
}

struct pci_dev *pci_unplug_slot(struct vm *vm, unsigned slot)
{
	struct pci_bus *bus = pci_bus_of(vm);
	struct pci_dev *pdev = NULL;

	if (!bus || slot == 0 || slot >= PCI_NR_SLOTS)
		return NULL;
	pthread_mutex_lock(&bus->lock);
	pdev = bus->slots[slot];
	if (pdev)
		pci_unplug_locked(bus, pdev);
	pthread_mutex_unlock(&bus->lock);
	return pdev;
}

int pci_dev_slot(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;
	int slot;

	if (!bus)
		return -1;
	pthread_mutex_lock(&bus->lock);
	slot = pdev->slot;
	pthread_mutex_unlock(&bus->lock);
	return slot;
}

void pci_dev_reset(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	memcpy(pdev->cfg, pdev->init, sizeof(pdev->cfg));
	pci_power_on_intx(pdev);
	pci_config_changed(pdev, 0, PCI_CFG_SIZE, false);
	pthread_mutex_unlock(&bus->lock);
}

int pci_dev_save(struct pci_dev *pdev, struct json_object *obj)
{
	char hex[PCI_CFG_SIZE * 2 + 1];
	struct json_object *o, *s;

	if (pdev->bus)
		pthread_mutex_lock(&pdev->bus->lock);
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", pdev->cfg[i]);
	if (pdev->bus)
		pthread_mutex_unlock(&pdev->bus->lock);
	o = json_object_new_object();
	s = json_object_new_string(hex);
	if (!o || !s || json_object_object_add(o, "config", s)) {
		json_object_put(s);
		json_object_put(o);
		return -ENOMEM;
	}
	/* Where it sits: a device plugged at run time is not where its
	 * place in the command line would put it (pci_dev_restore()). */
	if (pdev->slot > 0 &&
	    json_object_object_add(o, "slot", json_object_new_int(pdev->slot))) {
		json_object_put(o);
		return -ENOMEM;
	}
	if (json_object_object_add(obj, "pci", o)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Before the guest first runs: move @pdev into @slot, and whatever sat
 * there into @pdev's old one (its own record moves it on). Neither
 * drives its INTx line yet; their BARs stay where they are. Bus lock
 * held.
 */
static void pci_reseat_locked(struct pci_bus *bus, struct pci_dev *pdev,
			      int slot)
{
	struct pci_dev *other = bus->slots[slot];
	int from = pdev->slot;

	pthread_mutex_lock(&bus->irq_lock);
	for (struct pci_dev *d = pdev; d; d = d == pdev ? other : NULL) {
		d->irq_level = false;
		pci_drive_intx(d);
	}
	pthread_mutex_unlock(&bus->irq_lock);
	bus->slots[from] = other;
	if (other) {
		other->slot = from;
		pci_set_int_line(other);
	}
	bus->slots[slot] = pdev;
	pdev->slot = slot;
	pci_set_int_line(pdev);
}

int pci_dev_restore(struct pci_dev *pdev, struct json_object *obj)
{
	uint8_t saved[PCI_CFG_SIZE];
	struct json_object *o, *s, *slot = NULL;
	const char *hex;
	int to = 0;

	if (!json_object_object_get_ex(obj, "pci", &o) ||
	    !json_object_object_get_ex(o, "config", &s) ||
	    !json_object_is_type(s, json_type_string))
		return -EINVAL;
	/* No slot: a state saved before keel-hv recorded it; stay put. */
	if (json_object_object_get_ex(o, "slot", &slot)) {
		if (!json_object_is_type(slot, json_type_int) ||
		    json_object_get_int64(slot) < 1 ||
		    json_object_get_int64(slot) >= PCI_NR_SLOTS ||
		    pdev->slot < 1)
			return -EINVAL;
		to = json_object_get_int(slot);
	}
	hex = json_object_get_string(s);
	if (strlen(hex) != 2 * PCI_CFG_SIZE)
		return -EINVAL;
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		saved[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!pdev->bus)
		return -EINVAL;
	pthread_mutex_lock(&pdev->bus->lock);
	if (to && to != pdev->slot) {
		struct pci_dev *there = pdev->bus->slots[to];

		/* Two records for one slot: the stream is not a machine's. */
		if (there && there->seated) {
			pthread_mutex_unlock(&pdev->bus->lock);
			return -EINVAL;
		}
		pci_reseat_locked(pdev->bus, pdev, to);
	}
	pdev->seated = to > 0;
	for (unsigned i = 0; i < PCI_CFG_SIZE; i++)
		pdev->cfg[i] = (pdev->init[i] & ~pdev->wmask[i]) |
			       (saved[i] & pdev->wmask[i]);
	pci_power_on_intx(pdev);
	pci_config_changed(pdev, 0, PCI_CFG_SIZE, false);
	pthread_mutex_unlock(&pdev->bus->lock);
	return 0;
}

int pci_bus_settle(struct vm *vm, char *why, size_t len)
{
	struct pci_bus *bus = pci_bus_of(vm);
	int rc = 0;

	if (!bus)
		return 0;
	pthread_mutex_lock(&bus->lock);
	for (unsigned s = 1; s < PCI_NR_SLOTS && !rc; s++) {
		struct pci_dev *d = bus->slots[s];
		bool mem;

		if (!d)
			continue;
		/* A BAR refused while another held its place goes on now. */
		pci_update_bars(d);
		mem = get_le(d->cfg + PCI_CFG_COMMAND, 2) & PCI_CMD_MEMORY;
		for (unsigned i = 0; i < PCI_NR_BARS && mem && !rc; i++) {
			uint64_t addr = bar_addr(d, i);

			if (!d->bars[i].size || d->bars[i].mapped ||
			    addr < VM_PCI_HOLE_START ||
			    addr + d->bars[i].size > VM_PCI_MMIO_END)
				continue;
			snprintf(why, len,
				 "The PCI device in slot %u has its BAR%u at 0x%llx, where another device's is: the saved machine's PCI layout cannot be rebuilt.",
				 s, i, (unsigned long long)addr);
			rc = -EINVAL;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	return rc;
}

static void pci_host_reset(struct device *dev)
{
	struct pci_bus *bus = to_bus(dev);

	pthread_mutex_lock(&bus->lock);
	bus->latch = 0;
	pthread_mutex_unlock(&bus->lock);
	pci_dev_reset(&bus->host);
}

static int pci_host_save(struct device *dev, struct json_object **out)
{
	struct pci_bus *bus = to_bus(dev);
	struct json_object *o = json_object_new_object();
	uint32_t latch;
	int rc;

	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&bus->lock);
	latch = bus->latch;
	pthread_mutex_unlock(&bus->lock);
	rc = json_object_object_add(o, "latch", json_object_new_int64(latch));
	if (!rc)
		rc = pci_dev_save(&bus->host, o);
	if (rc) {
		json_object_put(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

static int pci_host_restore(struct device *dev, struct json_object *state)
{
	struct pci_bus *bus = to_bus(dev);
	struct json_object *v;
	int64_t latch;
	int rc;

	if (!json_object_is_type(state, json_type_object) ||
	    !json_object_object_get_ex(state, "latch", &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	latch = json_object_get_int64(v);
	if (latch < 0 || latch > UINT32_MAX || (latch & 3))
		return -EINVAL;
	rc = pci_dev_restore(&bus->host, state);
	if (rc)
		return rc;
	pthread_mutex_lock(&bus->lock);
	bus->latch = (uint32_t)latch;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

static void pci_host_free(struct device *dev)
{
	struct pci_bus *bus = to_bus(dev);

	pthread_mutex_destroy(&bus->irq_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static const struct device_ops pci_host_ops = {
	.type = "pci-host",
	.version = 1,
	.reset = pci_host_reset,
	.save = pci_host_save,
	.restore = pci_host_restore,
	.free = pci_host_free,
};

int pci_host_new(struct vm *vm)
{
	struct pci_bus *bus;
	int rc;

	if (pci_bus_of(vm))
		return -EEXIST;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->dev.ops = &pci_host_ops;
	bus->dev.vm = vm;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->irq_lock, NULL);
	pci_dev_init(&bus->host, PCI_HOST_VENDOR, PCI_HOST_DEVICE,
		     PCI_CLASS_HOST_BRIDGE, 0, PCI_HOST_VENDOR,
		     PCI_HOST_DEVICE, false, NULL, NULL);
	/* A host bridge decodes memory by definition and has no BARs. */
	put_le(bus->host.cfg + PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2);
	memcpy(bus->host.init, bus->host.cfg, sizeof(bus->host.init));
	bus->host.bus = bus;
	bus->host.slot = 0;
	bus->slots[0] = &bus->host;
	rc = vm_add_device(vm, &bus->dev, PCI_HOST_DEVICE_ID);
	if (rc) {
		pci_host_free(&bus->dev);
		return rc;
	}
	/* On the list first: from here on vm_free() owns it. */
	rc = iobus_register(&vm->pio, VM_PORT_PCI_CONFIG, PCI_NR_PORTS,
			    &pci_port_ops, bus);
	if (rc)
		hv_error("pci: ports 0x%x-0x%x: %s", VM_PORT_PCI_CONFIG,
			 VM_PORT_PCI_CONFIG + PCI_NR_PORTS - 1, strerror(-rc));
	return rc;
}
