/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CPU_STATE_INTERNAL_H
#define KEEL_HV_X86_CPU_STATE_INTERNAL_H

/*
 * What the files behind cpu_state.h share, and nothing else includes:
 * cpu_state.c (host facts, the host check, resume and these helpers),
 * cpu_state_vm.c (the VM record), cpu_state_vcpu.c (the VCPU record and
 * its restore order) and cpu_state_msr.c (its MSRS and CPUID
 * sub-records, which are checked against this host's KVM).
 */

#include <stdbool.h>
#include <stdint.h>

#include "stream.h"

struct vm;
struct vcpu;

/* The XSAVE area of KVM_GET_XSAVE, and the least KVM_CAP_XSAVE2 gives. */
#define CPU_STATE_XSAVE_LEGACY 4096

/* Fill @why (if any, CPU_STATE_WHY_MAX bytes) with a sentence; return @rc. */
int cpu_state_why(char *why, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* KVM_CHECK_EXTENSION on @fd: the capability's value, 0 without it. */
int cpu_state_kvm_cap(int fd, long cap);

/*
 * Turn KVM_CAP_EXCEPTION_PAYLOAD on for @vm where the host has it;
 * returns whether it is on.
 */
bool cpu_state_enable_payload(struct vm *vm);

/* The XSAVE area this host's KVM reads and writes for @vm's vCPUs. */
int cpu_state_xsave_size(struct vm *vm);

/* Whether two TSC rates in kHz are too far apart to be taken as one. */
bool cpu_state_tsc_rates_differ(uint32_t a, uint32_t b);

/*
 * ioctl(@vcpu's fd, @req, @arg) for a restore: its result (0 from every
 * KVM_SET_* but KVM_SET_MSRS, which returns how many it set), or -errno
 * with @why saying "KVM refused vCPU N's saved @what: <error>.".
 */
int cpu_state_vcpu_set(struct vcpu *vcpu, unsigned long req, void *arg,
		       const char *what, char *why);

/* Drop the record being built after a failed save (see cpu_state.c). */
void cpu_state_rec_abandon(struct stream_writer *sw);

/* cpu_state_msr.c: the VCPU record's MSRS and CPUID sub-records. */
int cpu_state_save_msrs(struct vcpu *vcpu, struct stream_writer *sw);
int cpu_state_save_cpuid(struct vcpu *vcpu, struct stream_writer *sw);

/* Check the saved CPUID table against this host's KVM, then set it. */
int cpu_state_restore_cpuid(struct vcpu *vcpu, const struct stream_tlvs *t,
			    char *why);

/*
 * Set the saved MSRs in the order KVM needs, IA32_TSC to @tsc first;
 * MTRRcap is checked, not set.
 */
int cpu_state_restore_msrs(struct vcpu *vcpu, const struct stream_tlvs *t,
			   uint64_t tsc, char *why);

#endif /* KEEL_HV_X86_CPU_STATE_INTERNAL_H */
