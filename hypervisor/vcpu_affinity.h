/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_VCPU_AFFINITY_H
#define KEEL_HV_VCPU_AFFINITY_H

/*
 * vCPU pinning is thread affinity (DESIGN.md): which host CPUs each
 * vCPU thread may run on, set before the thread runs guest code
 * (--cpus) and changed live (the control socket's vcpu-pin); and what
 * each thread is doing, for vcpu-list: its thread id, the host CPU it
 * last ran on, its state, CPU time and affinity.
 */

#include <json-c/json.h>

#include "cpumap.h"

struct vcpu;
struct vm;

/*
 * Pin @v to @cpus from its start (before vm_start()). Copies @cpus.
 */
void vcpu_affinity_init(struct vcpu *v, const struct cpumap *cpus);

/*
 * Called first by @v's own thread: records its thread id and applies
 * the pinning, if any. Returns 0, or -errno after hv_error() said why:
 * the thread must then not run the guest.
 */
int vcpu_affinity_enter(struct vcpu *v);

/*
 * Pin vCPU @id of @vm (or every vCPU, @id < 0) to @cpus now; a vCPU
 * whose thread has not started gets it when it starts. Every CPU of
 * @cpus must be one keel-hv may run on. Returns 0, or -errno with
 * *@msg set to a sentence (a static or @buf of CPUMAP_ERR_MAX bytes);
 * on error no vCPU has changed.
 */
int vm_vcpu_pin(struct vm *vm, int id, const struct cpumap *cpus,
		char *buf, const char **msg);

/*
 * An array in *@out with an object per vCPU: "id", "tid" (null while
 * it has no thread), "cpu" (host CPU it last ran on, or null), "state"
 * (running, blocked, paused or offline), "time" (seconds of CPU),
 * "affinity" (the thread's CPU list as the kernel has it). Returns 0
 * or -ENOMEM. Called on the I/O thread, which joins vCPU threads.
 */
int vm_vcpus_info(struct vm *vm, bool paused, struct json_object **out);

#endif /* KEEL_HV_VCPU_AFFINITY_H */
