// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CPU model a vCPU sees through CPUID: what KVM supports on this
 * host, plus the facts only the VMM knows (APIC IDs, how many CPUs,
 * that this is a KVM guest with kvmclock).
 */
#include "config.h"

#include <asm/kvm_para.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_host.h"
#include "x86/cpuid.h"

#define CPUID_MAX_ENTRIES 4096

/* Leaf 1 */
#define CPUID1_ECX_HYPERVISOR (1U << 31)
#define CPUID1_ECX_CX16 (1U << 13)
#define CPUID1_ECX_XSAVE (1U << 26)
#define CPUID1_ECX_OSXSAVE (1U << 27)
#define CPUID1_EDX_HTT (1U << 28)

/* Leaves 0xB/0x1F: level types in ECX[15:8]. */
#define CPUID_TOPO_SMT 1
#define CPUID_TOPO_CORE 2

/*
 * Paravirt features we offer when KVM supports them: all are handled
 * inside KVM without help from this process. Features that need the VMM
 * (migration control MSR, GPA range hypercall) stay off.
 */
#define CPUID_KVM_FEATURES                                                  \
	((1U << KVM_FEATURE_CLOCKSOURCE) | (1U << KVM_FEATURE_NOP_IO_DELAY) | \
	 (1U << KVM_FEATURE_CLOCKSOURCE2) | (1U << KVM_FEATURE_ASYNC_PF) |    \
	 (1U << KVM_FEATURE_STEAL_TIME) | (1U << KVM_FEATURE_PV_EOI) |        \
	 (1U << KVM_FEATURE_PV_UNHALT) | (1U << KVM_FEATURE_PV_TLB_FLUSH) |   \
	 (1U << KVM_FEATURE_ASYNC_PF_VMEXIT) |                                \
	 (1U << KVM_FEATURE_PV_SEND_IPI) | (1U << KVM_FEATURE_POLL_CONTROL) | \
	 (1U << KVM_FEATURE_PV_SCHED_YIELD) |                                 \
	 (1U << KVM_FEATURE_ASYNC_PF_INT) |                                   \
	 (1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

/* What we require even if KVM's table lacks the leaf (old kernels). */
#define CPUID_KVM_FEATURES_MIN                                               \
	((1U << KVM_FEATURE_CLOCKSOURCE) | (1U << KVM_FEATURE_NOP_IO_DELAY) | \
	 (1U << KVM_FEATURE_CLOCKSOURCE2) |                                   \
	 (1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT))

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (unsigned n = 128; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c,
				    uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e =
			(struct kvm_cpuid_entry2 *)&c->entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == index)
			return e;
	}
	return NULL;
}

/* Bits needed to number @n things (0 for 1). */
static unsigned cpuid_order(unsigned n)
{
	unsigned bits = 0;

	while ((1U << bits) < n)
		bits++;
	return bits;
}

bool cpuid_host_emulates_ring0(void)
{
	static int cached = -1;

	if (cached < 0) {
		const char *m = kvm_host_module();

		cached = m && !strcmp(m, "kvm_pvm");
	}
	return cached;
}

static void cpuid_fix_leaf1(struct kvm_cpuid_entry2 *e, unsigned apic_id,
			    unsigned nr)
{
	uint32_t clflush = (e->ebx >> 8) & 0xff;

	if (!clflush)
		clflush = 8; /* 64-byte lines */
	e->ebx = (apic_id << 24) | ((nr & 0xff) << 16) | (clflush << 8);
	e->ecx |= CPUID1_ECX_HYPERVISOR;
	/*
	 * kvm_pvm runs guest ring 0 through KVM's instruction emulator,
	 * which cannot emulate `lock cmpxchg16b` (KVM internal error,
	 * suberror 1, seen in SLUB's cmpxchg_double) nor xsave/xrstor. Not
	 * offering them makes Linux use its fallbacks. Real hosts
	 * (kvm_intel, kvm_amd) run those instructions natively and keep them.
	 */
	if (cpuid_host_emulates_ring0()) {
		e->ecx &= ~(CPUID1_ECX_CX16 | CPUID1_ECX_XSAVE |
			    CPUID1_ECX_OSXSAVE);
	}
	if (nr > 1)
		e->edx |= CPUID1_EDX_HTT;
	else
		e->edx &= ~CPUID1_EDX_HTT;
}

/* Deterministic cache parameters: cores per package and sharing. */
static void cpuid_fix_leaf4(struct kvm_cpuid_entry2 *e, unsigned nr)
{
	unsigned cores = (1U << cpuid_order(nr)) - 1;
	unsigned level = (e->eax >> 5) & 7;
	unsigned sharing = level >= 3 ? cores : 0;

	if ((e->eax & 0x1f) == 0) /* no more caches */
		return;
	e->eax &= 0x3fff;
	e->eax |= (cores << 26) | (sharing << 14);
}

/* Extended topology: one thread per core, nr cores in one package. */
static void cpuid_fix_topology(struct kvm_cpuid_entry2 *e, unsigned apic_id,
			       unsigned nr)
{
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (CPUID_TOPO_SMT << 8) | 0;
		break;
	case 1:
		e->eax = cpuid_order(nr);
		e->ebx = nr;
		e->ecx = (CPUID_TOPO_CORE << 8) | 1;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xff;
		break;
	}
	e->edx = apic_id;
}

static void cpuid_add(struct kvm_cpuid2 *c, uint32_t function, uint32_t eax,
		      uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){
		.function = function,
		.eax = eax,
		.ebx = ebx,
		.ecx = ecx,
		.edx = edx,
	};
}

static uint32_t cpuid_str(const char *s)
{
	return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 |
	       (uint32_t)s[3] << 24;
}

/* The KVM signature and feature leaves that enable kvmclock. */
static void cpuid_fix_kvm_leaves(struct kvm_cpuid2 *c)
{
	static const char sig[12] = "KVMKVMKVM\0\0";
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(c, KVM_CPUID_SIGNATURE, 0);
	if (!e)
		cpuid_add(c, KVM_CPUID_SIGNATURE, KVM_CPUID_FEATURES,
			  cpuid_str(sig), cpuid_str(sig + 4),
			  cpuid_str(sig + 8));
	else if (e->eax < KVM_CPUID_FEATURES)
		e->eax = KVM_CPUID_FEATURES;
	e = cpuid_find(c, KVM_CPUID_FEATURES, 0);
	if (!e) {
		cpuid_add(c, KVM_CPUID_FEATURES, CPUID_KVM_FEATURES_MIN, 0, 0,
			  0);
		return;
	}
	e->eax &= CPUID_KVM_FEATURES;
	e->edx = 0; /* no hints: vCPUs are not pinned to dedicated CPUs */
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *supported,
				  unsigned apic_id, unsigned nr)
{
	struct kvm_cpuid2 *c;
	struct kvm_cpuid_entry2 *e;
	bool amd;

	/* Room for the two paravirt leaves if KVM did not list them. */
	c = calloc(1, sizeof(*c) +
			      (supported->nent + 2) * sizeof(c->entries[0]));
	if (!c)
		return NULL;
	c->nent = supported->nent;
	memcpy(c->entries, supported->entries,
	       supported->nent * sizeof(c->entries[0]));

	e = cpuid_find(c, 0, 0);
	amd = e && e->ebx == cpuid_str("Auth");
	for (uint32_t i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		switch (e->function) {
		case 1:
			cpuid_fix_leaf1(e, apic_id, nr);
			break;
		case 4:
			cpuid_fix_leaf4(e, nr);
			break;
		case 0xb:
		case 0x1f:
			cpuid_fix_topology(e, apic_id, nr);
			break;
		case 0x80000008:
			/* AMD: core count and APIC ID bits per package. */
			if (amd)
				e->ecx = (cpuid_order(nr) << 12) |
					 ((nr - 1) & 0xff);
			break;
		default:
			break;
		}
	}
	cpuid_fix_kvm_leaves(c);
	return c;
}
