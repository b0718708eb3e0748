/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CPU_H
#define KEEL_HV_X86_CPU_H

#include <stdint.h>

struct kvm_cpuid2;
struct boot_entry;

/* The MSRs keel-hv sets itself (cpu.c) or saves by name (cpu_state.c). */
#define MSR_IA32_TSC 0x10
#define MSR_MTRR_CAP 0xfe
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_PHYS_BASE0 0x200 /* base, mask pairs up to 0x20f */
#define MSR_MTRR_FIX_64K 0x250
#define MSR_MTRR_FIX_16K_80000 0x258
#define MSR_MTRR_FIX_16K_A0000 0x259
#define MSR_MTRR_FIX_4K_C0000 0x268 /* eight of them, to 0x26f */
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

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

/*
 * The vCPU's state for a crash's log line, into @buf (@size bytes):
 * rip, rsp, rflags, cs, the control registers, EFER, the IDT and GDT,
 * and a pending or injected exception, as far as KVM still gives them.
 * Enough to find where a guest died (a triple fault's handler chain,
 * page tables gone) from its System.map, without a core. On AMD, KVM
 * resets the vCPU at a triple fault before keel-hv can look; the line
 * says so then.
 */
void cpu_describe(int vcpu_fd, char *buf, size_t size);

#endif /* KEEL_HV_X86_CPU_H */
