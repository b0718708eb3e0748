/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VCPU_H
#define KEEL_HV_VCPU_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpumap.h"

struct vm;
struct kvm_run;
struct kvm_cpuid2;

/* Exit counters are indexed by KVM_EXIT_*; the last bucket is "other". */
#define VCPU_NR_EXIT_BUCKETS 64

struct vcpu {
	struct vm *vm;
	unsigned id; /* also its APIC ID */
	int fd;
	struct kvm_run *run; /* mmap'd from fd */
	/*
	 * Its TSC rate in kHz (0: KVM did not say), read when it is made
	 * and kept when a restore sets it. Other threads read this, never
	 * KVM_GET_TSC_KHZ: a vCPU ioctl waits for the vCPU to leave
	 * KVM_RUN, which an idle Linux guest may not do for minutes.
	 */
	uint32_t tsc_khz;
	pthread_t thread;
	bool alive; /* thread may be kicked (under vm->run_lock) */
	bool started; /* thread created and not yet joined */
	/*
	 * The last exit was a port or MMIO access that KVM completes at
	 * the next KVM_RUN; the vCPU thread's own, never parked so.
	 */
	bool completion_pending;

	/* Written by the vCPU thread, read by anyone (relaxed). */
	_Atomic uint64_t exits[VCPU_NR_EXIT_BUCKETS];
	_Atomic uint64_t emulated_by_keel; /* vcpu_emulate_fallback() */
	_Atomic uint64_t run_ns; /* wall time spent in KVM_RUN */
	_Atomic uint64_t run_since; /* start of the KVM_RUN in progress, or 0 */
	_Atomic uint64_t unclaimed_pio;
	_Atomic uint64_t unclaimed_mmio;
	unsigned unclaimed_logged;

	/* Set by the throttle's tick: sleep the VM's share before running. */
	_Atomic bool throttle_due;

	/* vcpu_affinity.c's: the thread's id once it runs, its pinning. */
	_Atomic int tid;
	bool pinned;
	struct cpumap affinity;
};

/*
 * Create vCPU @id of @vm with a CPU model derived from @supported (the
 * host's KVM_GET_SUPPORTED_CPUID), its MSRs and local APIC initialised.
 * The vCPU is stored in vm->vcpus[id] and freed by vm_free(). Returns 0
 * or -errno.
 */
int vcpu_new(struct vm *vm, unsigned id, const struct kvm_cpuid2 *supported);

/* Release a vCPU whose thread is not running. Accepts NULL. */
void vcpu_free(struct vcpu *vcpu);

/* Start the vCPU's thread (KVM_RUN loop). Returns 0 or -errno. */
int vcpu_start(struct vcpu *vcpu);

/* Wait for the thread to return (after vm_request_exit()). Idempotent. */
void vcpu_join(struct vcpu *vcpu);

/*
 * Make the vCPU leave KVM_RUN soon (it then looks at the VM's exit and
 * pause requests). The caller holds vm->run_lock.
 */
void vcpu_kick(struct vcpu *vcpu);

/* The throttle's period: each vCPU is kicked once per period. */
#define VCPU_THROTTLE_MS 10
#define VCPU_THROTTLE_MAX 99

/*
 * Slow the guest down for a live migration's auto-converge
 * (docs/migration.md): every VCPU_THROTTLE_MS a timer on the I/O thread
 * kicks each vCPU, which then sleeps @pct % of the period before it
 * runs again (as QEMU's cpu-throttle). 0 ends it; @pct is capped at
 * VCPU_THROTTLE_MAX. Any thread. Returns 0 or -ENOMEM (no throttle).
 */
int vcpu_throttle_set(struct vm *vm, unsigned pct);

/* The throttle in force, in %; 0 when none. */
unsigned vcpu_throttle_get(struct vm *vm);

/*
 * Add this vCPU's counters to @out: "id", "run_ns" (wall time in
 * KVM_RUN), "cpu_ns" (CPU time of its thread), "state" ("running", or
 * "stopped" once its thread has ended), "exits" (an object of counts by
 * exit name), "unclaimed_pio", "unclaimed_mmio". Returns 0 or -ENOMEM.
 */
int vcpu_stats(struct vcpu *vcpu, struct json_object *out);

#endif /* KEEL_HV_VCPU_H */
