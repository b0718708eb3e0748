/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_ACPI_H
#define KEEL_HV_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* APIC IDs 0..n-1 for the CPUs, n for the IOAPIC, 255 is broadcast. */
#define ACPI_MAX_CPUS 254

/*
 * Build keel-hv's ACPI tables (acpi.c says why) into @buf, @size bytes, as
 * they will sit at guest-physical @base: RSDP (revision 2) at @base, then
 * DSDT, FADT (hardware-reduced), MADT and XSDT, each 16-byte aligned
 * with its checksum set. @nr_cpus possible CPUs (1..ACPI_MAX_CPUS) get
 * local APIC IDs 0..n-1; the first @nr_online (1..@nr_cpus) are online
 * at boot, the others hot-pluggable. Returns 0 and the bytes used in
 * *@used, -EINVAL for bad CPU counts, -ENOSPC if the tables do not fit,
 * -ENOMEM.
 */
int acpi_build(uint8_t *buf, size_t size, uint64_t base, unsigned nr_cpus,
	       unsigned nr_online, size_t *used);

/*
 * Write the tables for @vm (vm->nr_vcpus CPUs, vm->nr_boot_vcpus of them
 * online) into guest RAM at
 * VM_ACPI_BASE, within VM_ACPI_END. The guest finds them through
 * boot_params.acpi_rsdp_addr = VM_ACPI_BASE or by scanning 0xE0000-
 * 0xFFFFF for the RSDP; the e820 map must reserve the range. Returns 0,
 * -ENOSPC, -EFAULT if guest RAM does not hold the tables, -EINVAL for a
 * vCPU count outside 1..ACPI_MAX_CPUS, -ENOMEM.
 */
int acpi_setup(struct vm *vm);

#endif /* KEEL_HV_X86_ACPI_H */
