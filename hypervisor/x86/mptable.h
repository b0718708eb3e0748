/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_MPTABLE_H
#define KEEL_HV_X86_MPTABLE_H

#include <stdint.h>

#include "vm.h"

/*
 * Bytes for the configuration table at VM_MPTABLE_BASE, up to the
 * floating pointer (the e820 map reserves both, to VM_MPTABLE_END).
 */
#define MPTABLE_MAX_SIZE (VM_MPTABLE_FLOATING - VM_MPTABLE_BASE)

/*
 * Write an MP table (Intel MP spec 1.4): the configuration table at
 * VM_MPTABLE_BASE and the floating pointer to it at VM_MPTABLE_FLOATING,
 * describing @nr_vcpus CPUs (1..KEEL_VCPUS_MAX) with APIC IDs 0..n-1
 * (CPU 0 the BSP), one ISA bus, the IOAPIC (ID @nr_vcpus) with ISA IRQ
 * n on pin n, and LINT0 ExtINT / LINT1 NMI. @cpu_signature and
 * @cpu_features are CPUID leaf 1 EAX and EDX. Returns 0, -EINVAL for a
 * bad vCPU count or -EFAULT if guest RAM does not hold the table.
 */
int mptable_setup(struct vm *vm, unsigned nr_vcpus, uint32_t cpu_signature,
		  uint32_t cpu_features);

/* The IOAPIC's ID in the MP table (and in the ACPI MADT). */
static inline uint8_t mptable_ioapic_id(unsigned nr_vcpus)
{
	return (uint8_t)nr_vcpus;
}

#endif /* KEEL_HV_X86_MPTABLE_H */
