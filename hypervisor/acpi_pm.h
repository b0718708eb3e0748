/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_ACPI_PM_H
#define KEEL_HV_ACPI_PM_H

struct device;
struct vm;

/*
 * The hardware-reduced ACPI power-management registers (vm.h's port
 * map): sleep control (S5 powers the VM off), sleep status, reset, and
 * the generic event device's status byte. Creates the device, puts it on
 * @vm's device list as "acpi_pm" and claims its ports. Returns 0 and
 * *@out (owned by the VM) or -errno, logged.
 */
int acpi_pm_new(struct vm *vm, struct device **out);

/*
 * Press the power button: latch the GED's power-button event and pulse
 * its interrupt, so an ACPI guest sees a Notify(PWRB, 0x80). Returns 0.
 */
int acpi_pm_power_button(struct device *dev);

#endif /* KEEL_HV_ACPI_PM_H */
