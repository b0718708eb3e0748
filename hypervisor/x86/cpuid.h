/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CPUID_H
#define KEEL_HV_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * The host's KVM_GET_SUPPORTED_CPUID table in *@out (malloc'd, owned by
 * the caller). Returns 0 or -errno.
 */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);

/*
 * The CPUID table vCPU @apic_id of @nr_vcpus sees: @supported with the
 * hypervisor bit, APIC IDs and topology (one core per vCPU, one package)
 * filled in and the KVM paravirt leaves (kvmclock, ...) present. Returns
 * a new table (the caller frees it) or NULL when out of memory.
 */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  unsigned apic_id, unsigned nr_vcpus);

/* The entry for (@function, @index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c,
				    uint32_t function, uint32_t index);

/*
 * True when the host's KVM is kvm_pvm, which emulates guest ring-0 code
 * instead of running it (docs/hypervisor.md): keel-hv then avoids
 * offering instructions that emulator cannot handle.
 */
bool cpuid_host_emulates_ring0(void);

#endif /* KEEL_HV_X86_CPUID_H */
