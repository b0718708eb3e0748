// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The x86 KVM state of a VM and its vCPUs, to and from the domain
 * stream's VM and VCPU records, field by field as docs/stream.md lays
 * them out. The stream is untrusted input: every count is bounded
 * before it sizes anything and every value KVM would take on trust (the
 * IOAPIC's address, the CPUID features) is checked first.
 *
 * This file holds what concerns the host as a whole (the facts a
 * stream's header carries, the check of a header against this host,
 * the resume after a restore) and the helpers the other files share
 * (cpu_state_internal.h). The VM record is cpu_state_vm.c, the VCPU
 * record cpu_state_vcpu.c, its MSRS and CPUID sub-records
 * cpu_state_msr.c.
 */
#include "config.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_error.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu_state.h"
#include "x86/cpu_state_internal.h"

/* TSC rates closer than this are one rate (Firecracker's tolerance). */
#define CPU_STATE_TSC_PPM 250

/* --- Shared by the cpu_state files (cpu_state_internal.h) ------------- */

int cpu_state_why(char *why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why, CPU_STATE_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int cpu_state_kvm_cap(int fd, long cap)
{
	int n = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return n > 0 ? n : 0;
}

/*
 * With KVM_CAP_EXCEPTION_PAYLOAD enabled, KVM_GET_VCPU_EVENTS reports an
 * exception KVM has queued but not yet delivered (and its payload, CR2
 * or DR6) as pending instead of folding the payload in early, which a
 * restore can then replay exactly. Enabling it is idempotent and allowed
 * at any time, so every save and restore entry point does it first
 * rather than vm.c at creation. Returns whether it is on.
 */
bool cpu_state_enable_payload(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD,
				      .args = { 1 } };

	if (!cpu_state_kvm_cap(vm->vm_fd, KVM_CAP_EXCEPTION_PAYLOAD))
		return false;
	return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

int cpu_state_xsave_size(struct vm *vm)
{
	int n = cpu_state_kvm_cap(vm->vm_fd, KVM_CAP_XSAVE2);

	return n > CPU_STATE_XSAVE_LEGACY ? n : CPU_STATE_XSAVE_LEGACY;
}

/* More than CPU_STATE_TSC_PPM apart. */
bool cpu_state_tsc_rates_differ(uint32_t a, uint32_t b)
{
	uint64_t d = a > b ? a - b : b - a;

	return d * 1000000ULL > (uint64_t)CPU_STATE_TSC_PPM * b;
}

/*
 * End the record being built without writing it: a stream_tlv_end()
 * with no sub-record open makes stream_rec_end() fail and drop it (the
 * first call closes one that may be open). The caller's save has failed
 * and abandons the stream, but no half record goes into it.
 */
void cpu_state_rec_abandon(struct stream_writer *sw)
{
	stream_tlv_end(sw);
	stream_tlv_end(sw);
	stream_rec_end(sw);
}

int cpu_state_vcpu_set(struct vcpu *vcpu, unsigned long req, void *arg,
		       const char *what, char *why)
{
	int rc = ioctl(vcpu->fd, req, arg);

	if (rc < 0)
		return cpu_state_why(why, -errno,
				     "KVM refused vCPU %u's saved %s: %s.",
				     vcpu->id, what, strerror(errno));
	return rc;
}

/* --- Host facts ------------------------------------------------------- */

static uint32_t cpu_state_tsc_khz(struct vm *vm)
{
	int khz;

	/* Not the vCPU's ioctl: this runs beside running vCPUs (struct vcpu). */
	if (vm->vcpus[0] && vm->vcpus[0]->tsc_khz)
		return vm->vcpus[0]->tsc_khz;
	khz = ioctl(vm->vm_fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint32_t)khz : 0;
}

int cpu_state_host_facts(struct vm *vm, struct json_object *host)
{
	unsigned a, b, c, d, family, model;
	char vendor[13];
	int api;

	__cpuid(0, a, b, c, d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	__cpuid(1, a, b, c, d);
	family = (a >> 8) & 0xf;
	model = (a >> 4) & 0xf;
	/* The extended fields count only where the base ones say so. */
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model |= ((a >> 16) & 0xf) << 4;
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);

	if (json_object_object_add(host, "cpu_vendor",
				   json_object_new_string(vendor)) ||
	    json_object_object_add(host, "cpu_family",
				   json_object_new_int((int)family)) ||
	    json_object_object_add(host, "cpu_model",
				   json_object_new_int((int)model)) ||
	    json_object_object_add(host, "kvm_api",
				   json_object_new_int(api)) ||
	    json_object_object_add(host, "tsc_khz",
				   json_object_new_int64(
					   cpu_state_tsc_khz(vm))) ||
	    json_object_object_add(host, "tsc_control",
				   json_object_new_boolean(cpu_state_kvm_cap(
					   vm->kvm_fd, KVM_CAP_TSC_CONTROL))) ||
	    json_object_object_add(host, "xsave_size",
				   json_object_new_int(
					   cpu_state_xsave_size(vm))))
		return -ENOMEM;
	return 0;
}

int cpu_state_check_host(struct vm *vm, const struct stream_header *h,
			 char *why)
{
	struct json_object *host, *v;
	int xsave = cpu_state_xsave_size(vm);
	uint32_t here = cpu_state_tsc_khz(vm);
	int64_t saved;

	if (h->xsave_size > xsave)
		return cpu_state_why(why, -EINVAL,
				     "The saved domain's XSAVE area is %lld bytes, larger than the %d bytes of this host's KVM: this host lacks some of the CPU state it uses.",
				     (long long)h->xsave_size, xsave);
	if (!json_object_object_get_ex(h->json, "host", &host) ||
	    !json_object_object_get_ex(host, "tsc_khz", &v))
		return 0; /* each VCPU record has its rate, checked there */
	saved = json_object_get_int64(v);
	if (saved <= 0 || saved > UINT32_MAX || !here)
		return 0;
	if (cpu_state_tsc_rates_differ((uint32_t)saved, here) &&
	    !cpu_state_kvm_cap(vm->kvm_fd, KVM_CAP_TSC_CONTROL))
		return cpu_state_why(why, -EINVAL,
				     "The saved domain's TSC ran at %lld kHz and this host's runs at %u kHz, and this host's KVM cannot set a guest's TSC rate (no KVM_CAP_TSC_CONTROL): the guest's clock would drift.",
				     (long long)saved, here);
	return 0;
}

/* --- After a restore -------------------------------------------------- */

int cpu_state_resume(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (!vm->vcpus[i])
			continue;
		/* EINVAL: the guest never turned its kvmclock on. */
		if (ioctl(vm->vcpus[i]->fd, KVM_KVMCLOCK_CTRL, 0) < 0 &&
		    errno != EINVAL) {
			int rc = -errno;

			hv_error("KVM could not tell vCPU %u's kvmclock that the guest was stopped: %s.",
				 i, strerror(-rc));
			return rc;
		}
	}
	return 0;
}
