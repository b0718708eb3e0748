// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvmclock for the test guests that need time (dirty's rate): KVM keeps
 * a pvclock record up to date at an address we give it, and the time is
 * that record plus the TSC ticks since, scaled. Reading it takes no exit.
 */
#include "guest.h"

#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_FEATURES 0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1U << 3)
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

/* The pvclock_vcpu_time_info layout fixed by the KVM ABI. */
struct pvclock {
	volatile uint32_t version; /* odd while KVM updates it */
	uint32_t pad0;
	volatile uint64_t tsc_timestamp;
	volatile uint64_t system_time; /* ns at tsc_timestamp */
	volatile uint32_t tsc_to_system_mul;
	volatile int8_t tsc_shift;
	volatile uint8_t flags;
	uint8_t pad[2];
};

static struct pvclock pvclock __attribute__((aligned(64)));
static bool clock_on;

void clock_init(void)
{
	uint32_t a, b, c, d;

	/* Without the KVM leaves the MSR may not exist: wrmsr would #GP. */
	cpuid(KVM_CPUID_SIGNATURE, &a, &b, &c, &d);
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d) /* "KVMKVMKVM" */
		return;
	cpuid(KVM_CPUID_FEATURES, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&pvclock | 1);
	clock_on = pvclock.version != 0;
}

bool clock_ok(void)
{
	return clock_on;
}

uint64_t clock_ns(void)
{
	uint32_t version, mul;
	uint64_t delta, base;
	int8_t shift;

	if (!clock_on)
		return 0;
	do {
		version = pvclock.version;
		__asm__ volatile("" ::: "memory");
		delta = rdtsc() - pvclock.tsc_timestamp;
		base = pvclock.system_time;
		mul = pvclock.tsc_to_system_mul;
		shift = pvclock.tsc_shift;
		__asm__ volatile("" ::: "memory");
	} while ((version & 1) || version != pvclock.version);

	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return base + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}
