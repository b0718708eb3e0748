/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CPU_H
#define KEEL_HV_X86_CPU_H

#include <stdint.h>

struct kvm_cpuid2;
struct boot_entry;

/*
 * Give the new vCPU behind @vcpu_fd (APIC ID @id of @nr_vcpus) its
 * CPUID table (from @supported), power-on MSRs, FPU state and local APIC
 * wiring (LINT0 ExtINT, LINT1 NMI, as firmware leaves them). Returns 0
 * or -errno.
 */
int cpu_init(int vcpu_fd, unsigned id, unsigned nr_vcpus,
	     const struct kvm_cpuid2 *supported);

/*
 * Put the boot vCPU in 64-bit mode at @entry: paging on with @entry's
 * page tables, flat segments from its GDT, interrupts off. Returns 0 or
 * -errno.
 */
int cpu_set_boot_state(int vcpu_fd, const struct boot_entry *entry);

/* The vCPU's RIP for log messages (0 if it cannot be read). */
uint64_t cpu_get_rip(int vcpu_fd);

#endif /* KEEL_HV_X86_CPU_H */
