/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_ACPI_PM_H
#define KEEL_HV_ACPI_PM_H

#include <stdint.h>

struct device;
struct vm;

/* The GED's status byte (read clears): the events _EVT handles. */
#define ACPI_GED_POWER_BUTTON 0x01
#define ACPI_GED_CPU_HOTPLUG 0x02
#define ACPI_GED_PCI_HOTPLUG 0x04

/*
 * CPU hot-plug: vCPU n's byte at port VM_PORT_CPU_HOTPLUG + n, for the
 * VM's nr_vcpus. Reads: present, insert pending, remove pending. Writes:
 * 1 in a pending bit clears it, 1 in EJECT takes the CPU away (its _EJ0,
 * once the guest has offlined it). The DSDT names the bits CPEN, CINS,
 * CRMV and CEJ0 (x86/acpi.c).
 */
#define ACPI_CPU_PRESENT 0x01
#define ACPI_CPU_INSERT 0x02
#define ACPI_CPU_REMOVE 0x04
#define ACPI_CPU_EJECT 0x08

/*
 * PCI hot-plug on the root bus (ACPI, as Linux's acpiphp drives it):
 * three dwords at port VM_PORT_PCI_HOTPLUG, bit n for slot n. UP (read
 * clears) has the slots a device was plugged into since the guest last
 * looked; DOWN the slots whose device the host asked to remove, until
 * the guest ejects it; a 1 written to EJECT ejects that slot's device,
 * if its removal was asked for (other writes are ignored: the guest
 * cannot take away a device keel did not offer to remove). The DSDT
 * names them PCIU, PCID and B0EJ (x86/acpi.c). Slot 0, the host bridge,
 * never changes.
 */
#define ACPI_PCIHP_UP 0
#define ACPI_PCIHP_DOWN 4
#define ACPI_PCIHP_EJECT 8
#define ACPI_PCIHP_LEN 12
#define ACPI_PCIHP_SLOTS 32

/*
 * Called when the guest ejected the device in @slot (on the vCPU thread
 * that wrote EJECT, with no acpi_pm lock held): the device must be gone
 * from the bus before the guest's next configuration access.
 */
typedef void acpi_pm_eject_fn(void *opaque, unsigned slot);

/*
 * The hardware-reduced ACPI power-management registers (vm.h's port
 * map): sleep control (S5 powers the VM off), sleep status, reset, the
 * generic event device's status byte, and the CPU hot-plug bytes, the
 * first vm->nr_boot_vcpus of vm->nr_vcpus CPUs present. Creates the
 * device, puts it on @vm's device list as "acpi_pm" and claims its
 * ports. Returns 0 and *@out (owned by the VM) or -errno, logged.
 */
int acpi_pm_new(struct vm *vm, struct device **out);

/*
 * Press the power button: latch the GED's power-button event and pulse
 * its interrupt, so an ACPI guest sees a Notify(PWRB, 0x80). Returns 0.
 */
int acpi_pm_power_button(struct device *dev);

/*
 * Hot-plug or unplug CPUs so that @online (1..the VM's nr_vcpus) are
 * present: the lowest-numbered first in, the highest first out. A CPU
 * to add becomes present at once and the guest is told with Device
 * Check; one to remove gets an Eject Request and stays present until the
 * guest ejects it (it may refuse, e.g. if it cannot offline it). A
 * removal still pending is cancelled by asking for the CPU again.
 * Returns 0, or -EINVAL for @online out of range.
 */
int acpi_pm_cpu_set(struct device *dev, unsigned online);

/*
 * The CPUs present now (*@online), those asked for by the last
 * acpi_pm_cpu_set() or at boot (*@target) and the most there can be
 * (*@max).
 */
void acpi_pm_cpu_count(struct device *dev, unsigned *online, unsigned *target,
		       unsigned *max);

/* Who hears of the guest's ejects: one handler per VM, NULL for none. */
void acpi_pm_pci_set_eject(struct device *dev, acpi_pm_eject_fn *fn,
			   void *opaque);

/*
 * A device was plugged into @slot (1..31): latch it in UP and raise the
 * GED, so the guest's _EVT sends Device Check to the slot and acpiphp
 * scans it. A removal of the slot still pending is cancelled. Returns 0
 * or -EINVAL.
 */
int acpi_pm_pci_plug(struct device *dev, unsigned slot);

/*
 * Ask the guest to give up @slot's device (1..31): latch it in DOWN and
 * raise the GED, so _EVT sends Eject Request; the device stays until
 * the guest runs the slot's _EJ0. Asking again repeats the request.
 * Returns 0 or -EINVAL.
 */
int acpi_pm_pci_unplug(struct device *dev, unsigned slot);

/* The slots whose removal waits for the guest (DOWN). */
uint32_t acpi_pm_pci_pending(struct device *dev);

#endif /* KEEL_HV_ACPI_PM_H */
