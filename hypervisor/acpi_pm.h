/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_ACPI_PM_H
#define KEEL_HV_ACPI_PM_H

#include <stdint.h>

struct device;
struct vm;

/* The GED's status byte (read clears): the events _EVT handles. */
#define ACPI_GED_POWER_BUTTON 0x01
#define ACPI_GED_CPU_HOTPLUG 0x02

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

#endif /* KEEL_HV_ACPI_PM_H */
