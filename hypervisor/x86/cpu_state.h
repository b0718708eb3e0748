/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CPU_STATE_H
#define KEEL_HV_X86_CPU_STATE_H

/*
 * The x86 KVM state of a VM and its vCPUs, to and from the domain
 * stream's VM and VCPU records (docs/stream.md: the fields, their
 * widths and the restore order that matters). Called on the I/O thread
 * with every vCPU out of KVM_RUN: paused (vm_pause(), whose park
 * completes a pending port or MMIO access first) for a save, not yet
 * started for a restore. Every function returns 0 or -errno; a refusal
 * also fills @why (CPU_STATE_WHY_MAX bytes) with the sentence a user is
 * shown ("vCPU 1's saved CPUID has leaf 0x7 EBX bit 5 (AVX2), which
 * this host's KVM does not offer.").
 *
 * KVM_CAP_EXCEPTION_PAYLOAD is enabled on the VM, where the host has
 * it, by each save and restore function as it starts (idempotent, and
 * KVM allows it at any time), so a pending exception and its payload
 * travel as they are; vm.c need not know.
 */

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "stream.h"

struct vm;
struct vcpu;

#define CPU_STATE_WHY_MAX 256

/*
 * The host facts a HEADER's "host" object carries (docs/stream.md):
 * cpu_vendor, cpu_family, cpu_model, kvm_api, tsc_khz, tsc_control,
 * xsave_size, added to @host. xsave_size is the XSAVE area every VCPU
 * record of this VM carries (KVM_CAP_XSAVE2, at least 4096): write it
 * into the header of a stream cpu_state_save_vcpu() writes to.
 * Returns 0 or -ENOMEM.
 */
int cpu_state_host_facts(struct vm *vm, struct json_object *host);

/*
 * Compare a stream's header with this host before anything is restored:
 * its xsave_size no larger than this host's; its tsc_khz within 250 ppm
 * of this host's, or this host able to set the rate (KVM_CAP_TSC_CONTROL).
 * -EINVAL with @why otherwise.
 */
int cpu_state_check_host(struct vm *vm, const struct stream_header *h,
			 char *why);

/* The VM record: PIC master, PIC slave, IOAPIC, PIT2, CLOCK. */
int cpu_state_save_vm(struct vm *vm, struct stream_writer *sw);

/* One VCPU record for @vcpu (its index is vcpu->id). */
int cpu_state_save_vcpu(struct vcpu *vcpu, struct stream_writer *sw);

/*
 * Apply a VM record: PIT2, CLOCK, PIC master, PIC slave, IOAPIC, in
 * that order, before any device is restored.
 */
int cpu_state_restore_vm(struct vm *vm, const struct stream_tlvs *t,
			 char *why);

/*
 * Apply a VCPU record to @vcpu, created by vcpu_new() and never run:
 * CPUID (checked against the host's KVM_GET_SUPPORTED_CPUID), TSC rate,
 * SREGS, LAPIC, MSRS (IA32_TSC before TSC_DEADLINE; the TSC @tsc, vCPU
 * 0's saved value, written to every vCPU so all share one offset), REGS,
 * EVENTS, XSAVE (@xsave_size bytes), XCRS, DEBUGREGS, MP_STATE last.
 */
int cpu_state_restore_vcpu(struct vcpu *vcpu, const struct stream_tlvs *t,
			   uint64_t tsc, int64_t xsave_size, char *why);

/*
 * The IA32_TSC a VCPU record carries (for cpu_state_restore_vcpu()):
 * 0, or -ENOENT when it has none.
 */
int cpu_state_vcpu_tsc(const struct stream_tlvs *t, uint64_t *tsc);

/*
 * After a restore, before the vCPUs run: KVM_KVMCLOCK_CTRL on each (the
 * guest's watchdogs learn it was stopped); -EINVAL from a host without
 * it is not an error.
 */
int cpu_state_resume(struct vm *vm);

#endif /* KEEL_HV_X86_CPU_STATE_H */
