// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A vCPU's architectural state at power-on and at the 64-bit boot
 * hand-over: CPUID, MSRs, FPU, local APIC LVTs, registers.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_error.h"
#include "log.h"
#include "x86/boot.h"
#include "x86/cpu.h"
#include "x86/cpuid.h"

#define MISC_ENABLE_FAST_STRING 0x1ULL
/* MTRRs enabled, fixed ranges off, default type write-back. */
#define MTRR_DEF_TYPE_E_WB 0x806ULL

#define CR0_PE 0x1ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

#define FPU_FCW_INIT 0x37f
#define FPU_MXCSR_INIT 0x1f80

static const uint32_t cpu_msr_index[] = {
	MSR_IA32_TSC,	    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_STAR,	     MSR_LSTAR,
	MSR_CSTAR,	    MSR_SYSCALL_MASK,	  MSR_KERNEL_GS_BASE,
	MSR_IA32_MISC_ENABLE, MSR_MTRR_DEF_TYPE,
};

static uint64_t cpu_msr_value(uint32_t index)
{
	switch (index) {
	case MSR_IA32_MISC_ENABLE:
		return MISC_ENABLE_FAST_STRING;
	case MSR_MTRR_DEF_TYPE:
		return MTRR_DEF_TYPE_E_WB;
	default:
		return 0; /* TSC 0 on every vCPU: KVM keeps them in sync */
	}
}

/*
 * KVM_SET_MSRS stops at the first MSR it refuses; set them one by one so
 * that a host without, say, MTRR support still gets the rest.
 */
static void cpu_init_msrs(int fd, unsigned id)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} req;

	for (size_t i = 0; i < sizeof(cpu_msr_index) / sizeof(uint32_t);
	     i++) {
		memset(&req, 0, sizeof(req));
		req.hdr.nmsrs = 1;
		req.entry.index = cpu_msr_index[i];
		req.entry.data = cpu_msr_value(cpu_msr_index[i]);
		if (ioctl(fd, KVM_SET_MSRS, &req) != 1)
			log_debug("vcpu%u: KVM refused MSR 0x%x", id,
				  cpu_msr_index[i]);
	}
}

static void apic_set_lvt_mode(struct kvm_lapic_state *s, unsigned reg,
			      uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &s->regs[reg], sizeof(v));
	v &= ~(0x7U << 8 | 1U << 16); /* delivery mode; unmask */
	v |= mode << 8;
	memcpy(&s->regs[reg], &v, sizeof(v));
}

static int cpu_init_lapic(int fd)
{
	struct kvm_lapic_state s;

	if (ioctl(fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	apic_set_lvt_mode(&s, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	apic_set_lvt_mode(&s, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(fd, KVM_SET_LAPIC, &s) < 0)
		return -errno;
	return 0;
}

int cpu_init(int fd, unsigned id, unsigned nr_vcpus,
	     const struct kvm_cpuid2 *supported)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_fpu fpu = { .fcw = FPU_FCW_INIT, .mxcsr = FPU_MXCSR_INIT };
	int rc = 0;

	cpuid = cpuid_for_vcpu(supported, id, nr_vcpus);
	if (!cpuid)
		return -ENOMEM;
	if (ioctl(fd, KVM_SET_CPUID2, cpuid) < 0) {
		rc = -errno;
		hv_error("KVM refused vCPU %u's CPUID table: %s", id,
			 strerror(-rc));
		goto out_free;
	}
	cpu_init_msrs(fd, id);
	if (ioctl(fd, KVM_SET_FPU, &fpu) < 0) {
		rc = -errno;
		hv_error("KVM refused vCPU %u's FPU state: %s", id,
			 strerror(-rc));
		goto out_free;
	}
	rc = cpu_init_lapic(fd);
	if (rc)
		hv_error("KVM refused vCPU %u's local APIC state: %s", id,
			 strerror(-rc));
out_free:
	free(cpuid);
	return rc;
}

static void cpu_flat_segment(struct kvm_segment *s, uint16_t sel,
			     uint8_t type, bool code)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

int cpu_set_boot_state(int fd, const struct boot_entry *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {
		.rip = e->rip,
		.rsi = e->rsi,
		.rsp = e->rsp,
		.rflags = 0x2, /* reserved bit; IF clear */
	};

	if (ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	/* TR and LDTR keep KVM's reset values, which VMX entry accepts. */
	cpu_flat_segment(&sregs.cs, BOOT_SEL_CODE, 0xb, true);
	cpu_flat_segment(&sregs.ds, BOOT_SEL_DATA, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = e->gdt_base;
	sregs.gdt.limit = e->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs.cr3 = e->cr3;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(fd, KVM_SET_SREGS, &sregs) < 0 ||
	    ioctl(fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

uint64_t cpu_get_rip(int fd)
{
	struct kvm_regs regs;

	if (ioctl(fd, KVM_GET_REGS, &regs) < 0)
		return 0;
	return regs.rip;
}

void cpu_describe(int fd, char *buf, size_t size)
{
	struct kvm_vcpu_events ev;
	struct kvm_sregs sr;
	struct kvm_regs r;
	int n;

	if (ioctl(fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &sr) < 0) {
		snprintf(buf, size, "registers unreadable: %s", strerror(errno));
		return;
	}
	n = snprintf(buf, size,
		     "rip 0x%llx rsp 0x%llx rflags 0x%llx cs 0x%x cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx idt 0x%llx/%u gdt 0x%llx/%u",
		     (unsigned long long)r.rip, (unsigned long long)r.rsp,
		     (unsigned long long)r.rflags, sr.cs.selector,
		     (unsigned long long)sr.cr0, (unsigned long long)sr.cr2,
		     (unsigned long long)sr.cr3, (unsigned long long)sr.cr4,
		     (unsigned long long)sr.efer,
		     (unsigned long long)sr.idt.base, sr.idt.limit,
		     (unsigned long long)sr.gdt.base, sr.gdt.limit);
	if (n < 0 || (size_t)n >= size)
		return;
	/*
	 * AMD's VMCB is undefined after a shutdown intercept, so KVM
	 * resets the vCPU there: the reset vector means the state is gone.
	 */
	if (r.rip == 0xfff0 && sr.cs.selector == 0xf000) {
		snprintf(buf + n, size - (size_t)n,
			 " (KVM reset the vCPU at the shutdown, as on AMD: the state it died in is lost)");
		return;
	}
	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return;
	if (ev.exception.injected || ev.exception.pending)
		snprintf(buf + n, size - (size_t)n,
			 " exception %u (%s, error code 0x%x)",
			 ev.exception.nr,
			 ev.exception.injected ? "injected" : "pending",
			 ev.exception.has_error_code ? ev.exception.error_code :
						       0);
}
