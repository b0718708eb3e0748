/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_PVPANIC_H
#define KEEL_HV_PVPANIC_H

#include <stdbool.h>

struct device;
struct vm;
struct vm_config;

/* The events of QEMU's pvpanic device, which Linux's driver writes. */
#define PVPANIC_PANICKED 0x01 /* the guest kernel panicked */
#define PVPANIC_CRASH_LOADED 0x02 /* it is starting its kdump kernel */

/*
 * QEMU's pvpanic device at port VM_PORT_PVPANIC (vm.h), which the DSDT
 * describes as QEMU0001 (x86/acpi.c): a guest kernel tells keel-hv it
 * panicked, and the VM ends with VM_EXIT_CRASH, the crash keeld maps to
 * on_crash. Reading the port gives the events the device knows; a
 * write of PVPANIC_CRASH_LOADED is only logged, since the guest goes on
 * into its kdump kernel. One row of vmm.c's device table ("pvpanic").
 * Returns 0 or -errno, logged.
 */
int pvpanic_add(struct vm *vm, const struct vm_config *cfg);

/* True once the guest of the VM owning @dev said it panicked. */
bool pvpanic_panicked(struct device *dev);

#endif /* KEEL_HV_PVPANIC_H */
