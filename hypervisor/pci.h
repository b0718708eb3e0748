/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_PCI_H
#define KEEL_HV_PCI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "iobus.h"

struct vm;
struct pci_bus;

/*
 * One PCI bus (bus 0) behind a host bridge at 00:00.0, reached through
 * configuration mechanism #1 (ports 0xcf8-0xcff). Devices are single
 * function, one per slot, with 32-bit memory BARs only. There is no
 * firmware: pci_register_dev() assigns every BAR an address in the PCI
 * MMIO window and turns memory decoding on, as a BIOS would, so Linux
 * finds them assigned and keeps them. When the guest moves a BAR or
 * turns decoding off, the range follows on vm->mmio.
 *
 * Legacy INTx: a device's INTA# is wired to IOAPIC pin
 * PCI_INTX_GSI_BASE + (slot % PCI_NR_INTX_GSIS) (the MP table and ACPI
 * must say the same); that GSI is the power-on Interrupt Line value.
 */
#define PCI_HOST_DEVICE_ID "pci0" /* the host bridge on vm's device list */
#define PCI_NR_SLOTS 32
#define PCI_CFG_SIZE 256
#define PCI_NR_BARS 6
#define PCI_INTX_GSI_BASE 16
#define PCI_NR_INTX_GSIS 4

/* Offsets and bits of the type 0 configuration header we emulate. */
#define PCI_CFG_VENDOR 0x00
#define PCI_CFG_DEVICE 0x02
#define PCI_CFG_COMMAND 0x04
#define PCI_CFG_STATUS 0x06
#define PCI_CFG_REVISION 0x08
#define PCI_CFG_CLASS 0x09 /* 3 bytes: prog-if, subclass, class */
#define PCI_CFG_CACHE_LINE 0x0c
#define PCI_CFG_LATENCY 0x0d
#define PCI_CFG_HEADER_TYPE 0x0e
#define PCI_CFG_BAR0 0x10
#define PCI_CFG_SUBSYS_VENDOR 0x2c
#define PCI_CFG_SUBSYS_ID 0x2e
#define PCI_CFG_CAP_PTR 0x34
#define PCI_CFG_INT_LINE 0x3c
#define PCI_CFG_INT_PIN 0x3d
#define PCI_CFG_CAPS_START 0x40

#define PCI_CMD_MEMORY 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_DISABLE 0x0400
#define PCI_STATUS_INTX 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VENDOR 0x09

struct pci_dev;

/*
 * What a device adds to the generic header handling. All run with the
 * bus lock held (config accesses are serialised, as through the one
 * 0xcf8 latch on hardware); they may take the device's own lock, and
 * the device must never call into pci_* config functions with its own
 * lock held (pci_set_irq() is the exception: it takes only a leaf
 * lock). Each may be NULL.
 */
struct pci_dev_ops {
	/* The guest is about to read cfg[@off, @off + @len): refresh it. */
	void (*cfg_read)(struct pci_dev *pdev, unsigned off, unsigned len);
	/*
	 * The guest wrote cfg[@off, @off + @len) (writable bits applied),
	 * or, with !@guest, the whole space was reloaded by a reset or a
	 * restore: re-derive cached state, do not act on it as on a write.
	 */
	void (*cfg_write)(struct pci_dev *pdev, unsigned off, unsigned len,
			  bool guest);
	/*
	 * BAR @bar is now decoded at @addr (0: not decoded), before at
	 * @old (0: was not). Used to move ioeventfds along with it.
	 */
	void (*bar_moved)(struct pci_dev *pdev, unsigned bar, uint64_t old,
			  uint64_t addr);
};

struct pci_bar {
	uint64_t size; /* power of two >= 4 KiB; 0: BAR not implemented */
	const struct io_ops *ops;
	void *opaque;
	uint64_t mapped; /* where it is on vm->mmio now; 0: nowhere */
};

/*
 * A PCI function, embedded in the device that owns it. cfg[] is the
 * configuration space as the guest reads it; wmask[] says which bits a
 * guest write may change; init[] is the power-on image (what a reset
 * and a restore start from).
 */
struct pci_dev {
	struct pci_bus *bus; /* NULL until registered */
	const struct pci_dev_ops *ops;
	void *opaque; /* for the owner; pci.c never looks at it */
	int slot; /* -1 until registered */
	bool seated; /* a restore put it in its saved slot */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint8_t init[PCI_CFG_SIZE];
	struct pci_bar bars[PCI_NR_BARS];
	unsigned caps_end; /* next free capability offset */
	unsigned last_cap; /* offset of the last capability, 0: none */
	/* INTx, under the bus's irq lock: */
	bool irq_level; /* what the device asks for */
	bool irq_driven; /* what it contributes to its line now */
	bool intx_disabled; /* Command.INTx-disable, cached */
};

/*
 * Create the host bridge and the configuration ports on @vm (the bus is
 * on @vm's device list as PCI_HOST_DEVICE_ID and is freed with it).
 * Returns 0 or -errno.
 */
int pci_host_new(struct vm *vm);

/*
 * Fill in a function's header: IDs, class (0xCCSSPP), revision,
 * subsystem IDs, INTA# if @intx. @ops and @opaque are kept. Not on any
 * bus yet.
 */
void pci_dev_init(struct pci_dev *pdev, uint16_t vendor, uint16_t device,
		  uint32_t class_code, uint8_t revision, uint16_t subsys_vendor,
		  uint16_t subsys_id, bool intx, const struct pci_dev_ops *ops,
		  void *opaque);

/*
 * Give @pdev a 32-bit non-prefetchable memory BAR @bar of @size bytes
 * (a power of two, at least 4 KiB) handled by @ops/@opaque. Before
 * pci_register_dev() only. Returns 0 or -EINVAL.
 */
int pci_dev_add_bar(struct pci_dev *pdev, unsigned bar, uint64_t size,
		    const struct io_ops *ops, void *opaque);

/*
 * Append a capability: @len bytes of @data (the first two, ID and next
 * pointer, are filled in here except the ID, which is data[0]). @wmask
 * (@len bytes, or NULL for read-only) says which bits the guest may
 * write. Before pci_register_dev() only. Returns the capability's
 * offset in config space, or -ENOSPC / -EINVAL.
 */
int pci_dev_add_cap(struct pci_dev *pdev, const void *data, unsigned len,
		    const uint8_t *wmask);

/*
 * Plug @pdev into the first free slot of @vm's bus, assign its BARs the
 * lowest free addresses in the MMIO window and enable memory decoding.
 * At run time too: the guest learns of it through ACPI (acpi_pm.h).
 * Returns the slot or -ENODEV (no bus), -ENOSPC (no slot or window
 * space).
 */
int pci_register_dev(struct vm *vm, struct pci_dev *pdev);

/* Unplug @pdev: its BARs leave vm->mmio. Accepts an unregistered one. */
void pci_unregister_dev(struct pci_dev *pdev);

/*
 * Unplug whatever is in @slot (1..31) of @vm's bus, as the guest's eject
 * does: from now on the slot reads as empty and its BARs are off
 * vm->mmio. The device itself is its owner's to free. Any thread; takes
 * the bus lock. Returns the function that was there, or NULL.
 */
struct pci_dev *pci_unplug_slot(struct vm *vm, unsigned slot);

/* @pdev's slot, or -1 if it is not (or no longer) on a bus. */
int pci_dev_slot(struct pci_dev *pdev);

/* Back to the power-on configuration (guest reboot). */
void pci_dev_reset(struct pci_dev *pdev);

/*
 * Drive @pdev's INTA#. Lines shared by several slots are the OR of
 * their devices. While Command.INTx-disable is set the device does not
 * drive its line. Safe from any thread.
 */
void pci_set_irq(struct pci_dev *pdev, bool level);

/*
 * Current config value (little-endian) of @len (1, 2 or 4) bytes at
 * @off. Takes the bus lock: not from cfg_* hooks, which may read
 * pdev->cfg directly.
 */
uint32_t pci_dev_cfg_get(struct pci_dev *pdev, unsigned off, unsigned len);

/*
 * Add @pdev's guest-writable configuration (hex of config space under
 * the writable mask) to @obj as "pci". Returns 0 or -ENOMEM.
 */
int pci_dev_save(struct pci_dev *pdev, struct json_object *obj);

/*
 * Load what pci_dev_save() wrote from @obj's "pci" member (only
 * writable bits are taken) and move the BARs accordingly. The bar_moved
 * and cfg_write hooks run as for guest writes. A saved slot other than
 * @pdev's own moves it there before the guest runs, trading places with
 * the device in it (whose own record moves it on): a disk or NIC
 * plugged at run time sat after the devices created at boot, and the
 * restoring command line creates it among them. Returns 0 or -EINVAL.
 */
int pci_dev_restore(struct pci_dev *pdev, struct json_object *obj);

/*
 * After every device's pci_dev_restore(): map the BARs that could not
 * be mapped while another device still held their place, and check
 * that every BAR config space decodes is on the bus. 0, or -EINVAL with
 * the sentence in @why (@len bytes).
 */
int pci_bus_settle(struct vm *vm, char *why, size_t len);

#endif /* KEEL_HV_PCI_H */
