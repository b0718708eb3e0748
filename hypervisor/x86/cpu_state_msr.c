// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The MSRS and CPUID sub-records of the domain stream's VCPU record
 * (docs/stream.md): which MSRs a save asks KVM for and in what order a
 * restore writes them back, and the check that a saved CPUID table asks
 * for no feature this host's KVM lacks. These are the parts of a vCPU's
 * state that depend on the host most, so they live apart from the
 * fixed-layout registers of cpu_state_vcpu.c.
 */
#include "config.h"

#include <asm/kvm_para.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu.h"
#include "x86/cpu_state.h"
#include "x86/cpu_state_internal.h"
#include "x86/cpuid.h"

/*
 * KVM_GET_MSRS and KVM_SET_MSRS refuse 256 MSRs or more in one call
 * (MAX_IO_MSRS), so the list goes in batches.
 */
#define CPU_STATE_MSR_BATCH 128
/* KVM lists a few hundred MSRs at most; a stream claiming more lies. */
#define CPU_STATE_MSRS_MAX 1024
/* KVM_SET_CPUID2 takes at most this many entries (KVM_MAX_CPUID_ENTRIES). */
#define CPU_STATE_CPUID_MAX 256

/* MTRRcap: the number of variable ranges, fixed ranges supported. */
#define MTRR_CAP_VCNT 0xffULL
#define MTRR_CAP_FIX (1ULL << 8)
#define MTRR_NR_VAR 8

/* CPUID bits KVM flips at run time from CR4 (OSXSAVE, OSPKE). */
#define CPUID1_ECX_OSXSAVE (1U << 27)
#define CPUID7_ECX_OSPKE (1U << 4)

/* --- MSRS ------------------------------------------------------------- */

/*
 * Not saved: the wall-clock MSRs make KVM write the time into guest
 * memory at the address they hold (0 once the guest has read it: a
 * write back would scribble on page 0); the old kvmclock MSR reads the
 * same value as MSR_KVM_SYSTEM_TIME_NEW, and writing both would mark
 * the guest as an old-kvmclock one; keel offers no Hyper-V interface,
 * and writing its MSRs would set one up.
 */
static bool msr_skipped(uint32_t index)
{
	return index == MSR_KVM_WALL_CLOCK || index == MSR_KVM_SYSTEM_TIME ||
	       index == MSR_KVM_WALL_CLOCK_NEW ||
	       (index >= 0x40000000 && index < 0x40000200);
}

static bool msr_listed(const uint32_t *idx, uint32_t n, uint32_t index)
{
	for (uint32_t i = 0; i < n; i++)
		if (idx[i] == index)
			return true;
	return false;
}

/*
 * What a save asks KVM for: KVM_GET_MSR_INDEX_LIST, less msr_skipped(),
 * plus what that list leaves out and keel's guests use (the MTRRs, the
 * PV MSRs). *@out is malloc'd.
 */
static int msr_index_list(struct vm *vm, uint32_t **out, uint32_t *n_out)
{
	static const uint32_t extra[] = {
		MSR_IA32_TSC,		 MSR_MTRR_CAP,
		MSR_MTRR_DEF_TYPE,	 MSR_MTRR_FIX_64K,
		MSR_MTRR_FIX_16K_80000, MSR_MTRR_FIX_16K_A0000,
		MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_STEAL_TIME,
		MSR_KVM_ASYNC_PF_INT,	 MSR_KVM_ASYNC_PF_EN,
		MSR_KVM_PV_EOI_EN,	 MSR_IA32_TSC_DEADLINE,
	};
	struct kvm_msr_list probe = { .nmsrs = 0 };
	struct kvm_msr_list *list;
	uint32_t *idx, n = 0, total;

	/* Asked for none, KVM says E2BIG and how many there are. */
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG)
		return -errno;
	if (probe.nmsrs > CPU_STATE_MSRS_MAX)
		return -E2BIG;
	list = calloc(1, sizeof(*list) + (probe.nmsrs + 1) * sizeof(uint32_t));
	total = probe.nmsrs + sizeof(extra) / sizeof(extra[0]) +
		2 * MTRR_NR_VAR + 8;
	idx = calloc(total, sizeof(*idx));
	if (!list || !idx) {
		free(list);
		free(idx);
		return -ENOMEM;
	}
	list->nmsrs = probe.nmsrs;
	if (probe.nmsrs &&
	    ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		int rc = -errno;

		free(list);
		free(idx);
		return rc;
	}
	for (uint32_t i = 0; i < list->nmsrs && i < probe.nmsrs; i++)
		if (!msr_skipped(list->indices[i]) &&
		    !msr_listed(idx, n, list->indices[i]))
			idx[n++] = list->indices[i];
	free(list);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (!msr_listed(idx, n, extra[i]))
			idx[n++] = extra[i];
	for (uint32_t i = 0; i < 2 * MTRR_NR_VAR; i++)
		if (!msr_listed(idx, n, MSR_MTRR_PHYS_BASE0 + i))
			idx[n++] = MSR_MTRR_PHYS_BASE0 + i;
	for (uint32_t i = 0; i < 8; i++)
		if (!msr_listed(idx, n, MSR_MTRR_FIX_4K_C0000 + i))
			idx[n++] = MSR_MTRR_FIX_4K_C0000 + i;
	*out = idx;
	*n_out = n;
	return 0;
}

/* A kvm_msrs with room for CPU_STATE_MSR_BATCH entries. */
struct msr_batch {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[CPU_STATE_MSR_BATCH];
};

/* How many of the @left MSRs still to read or write go in one call. */
static uint32_t msr_batch_len(uint32_t left)
{
	return left < CPU_STATE_MSR_BATCH ? left : CPU_STATE_MSR_BATCH;
}

/*
 * Open the MSRS sub-record at its first entry: returns the count it
 * claims, which the caller bounds.
 */
static uint32_t msr_rec_open(const struct stream_tlvs *t, struct stream_cur *c)
{
	uint32_t n;

	*c = stream_cur_init(t->p[STREAM_VCPU_MSRS], t->len[STREAM_VCPU_MSRS]);
	n = stream_get_u32(c);
	stream_get_u32(c);
	return n;
}

/* One entry of the MSRS sub-record: index, 4 bytes of padding, value. */
static void msr_rec_get(struct stream_cur *c, uint32_t *index, uint64_t *v)
{
	*index = stream_get_u32(c);
	stream_get_u32(c);
	*v = stream_get_u64(c);
}

/*
 * Read the MSRs @idx[0..*@n) into @e, dropping those KVM lists but
 * cannot read on this vCPU (KVM_GET_MSRS stops at the first and returns
 * how many it read). *@n becomes the number kept.
 */
static int msr_read(int fd, const uint32_t *idx, uint32_t *n,
		    struct kvm_msr_entry *e)
{
	struct msr_batch *b = calloc(1, sizeof(*b));
	uint32_t in = 0, kept = 0;

	if (!b)
		return -ENOMEM;
	while (in < *n) {
		uint32_t cnt = msr_batch_len(*n - in);
		int got;

		memset(b, 0, sizeof(*b));
		b->hdr.nmsrs = cnt;
		for (uint32_t i = 0; i < cnt; i++)
			b->e[i].index = idx[in + i];
		got = ioctl(fd, KVM_GET_MSRS, b);
		if (got < 0) {
			int rc = -errno;

			free(b);
			return rc;
		}
		if ((uint32_t)got > cnt)
			got = (int)cnt;
		memcpy(&e[kept], b->e, (size_t)got * sizeof(e[0]));
		kept += (uint32_t)got;
		in += (uint32_t)got;
		if ((uint32_t)got < cnt) {
			log_debug("%s: MSR 0x%x is listed but does not read; not saved",
				  __func__, idx[in]);
			in++;
		}
	}
	free(b);
	*n = kept;
	return 0;
}

/*
 * Order of the writes: IA32_TSC first (the TSC_DEADLINE it is compared
 * with must come after, or the deadline is taken against the wrong TSC
 * and lost), ASYNC_PF_INT before ASYNC_PF_EN (enabling takes the vector
 * from it), TSC_DEADLINE last.
 */
static int msr_rank(uint32_t index)
{
	switch (index) {
	case MSR_IA32_TSC:
		return 0;
	case MSR_KVM_ASYNC_PF_EN:
		return 2;
	case MSR_IA32_TSC_DEADLINE:
		return 3;
	default:
		return 1;
	}
}

int cpu_state_save_msrs(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_msr_entry *e;
	uint32_t *idx = NULL, n = 0;
	int rc;

	rc = msr_index_list(vcpu->vm, &idx, &n);
	if (rc)
		return rc;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e) {
		free(idx);
		return -ENOMEM;
	}
	rc = msr_read(vcpu->fd, idx, &n, e);
	free(idx);
	if (!rc) {
		stream_tlv_begin(sw, STREAM_VCPU_MSRS);
		stream_put_u32(sw, n);
		stream_put_zeros(sw, 4);
		for (uint32_t i = 0; i < n; i++) {
			stream_put_u32(sw, e[i].index);
			stream_put_zeros(sw, 4);
			stream_put_u64(sw, e[i].data);
		}
		stream_tlv_end(sw);
	}
	free(e);
	return rc;
}

int cpu_state_vcpu_tsc(const struct stream_tlvs *t, uint64_t *tsc)
{
	struct stream_cur c;
	uint32_t n = msr_rec_open(t, &c);

	for (uint32_t i = 0; i < n && i < CPU_STATE_MSRS_MAX; i++) {
		uint32_t index;
		uint64_t v;

		msr_rec_get(&c, &index, &v);
		if (index == MSR_IA32_TSC) {
			*tsc = v;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * MTRRcap is read-only, KVM's own: the saved one is only checked to ask
 * no more variable or fixed ranges than this host's KVM has.
 */
static int check_mtrr_cap(struct vcpu *vcpu, uint64_t saved, char *why)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} req = { .hdr.nmsrs = 1, .e.index = MSR_MTRR_CAP };

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &req) != 1)
		req.e.data = 0;
	if ((saved & MTRR_CAP_VCNT) > (req.e.data & MTRR_CAP_VCNT) ||
	    ((saved & MTRR_CAP_FIX) && !(req.e.data & MTRR_CAP_FIX)))
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved MTRRs (MTRRcap 0x%llx) are more than this host's KVM has (0x%llx).",
				     vcpu->id, (unsigned long long)saved,
				     (unsigned long long)req.e.data);
	return 0;
}

int cpu_state_restore_msrs(struct vcpu *vcpu, const struct stream_tlvs *t,
			   uint64_t tsc, char *why)
{
	struct stream_cur c;
	uint32_t n = msr_rec_open(t, &c), kept = 0;
	struct kvm_msr_entry *e;
	struct msr_batch *b;
	int rc = 0;

	if (n > CPU_STATE_MSRS_MAX)
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved record has %u MSRs; keel takes at most %d.",
				     vcpu->id, n, CPU_STATE_MSRS_MAX);
	e = calloc(n + 1, sizeof(*e));
	b = calloc(1, sizeof(*b));
	if (!e || !b) {
		rc = cpu_state_why(why, -ENOMEM, "Out of memory.");
		goto out_free;
	}
	/* vCPU 0's TSC on every vCPU, so that KVM gives all one offset. */
	e[kept].index = MSR_IA32_TSC;
	e[kept++].data = tsc;
	for (int rank = 1; rank <= 3; rank++) {
		msr_rec_open(t, &c);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t index;
			uint64_t v;

			msr_rec_get(&c, &index, &v);
			if (msr_rank(index) != rank || msr_skipped(index))
				continue;
			if (index == MSR_MTRR_CAP) {
				rc = check_mtrr_cap(vcpu, v, why);
				if (rc)
					goto out_free;
				continue;
			}
			e[kept].index = index;
			e[kept++].data = v;
		}
	}
	for (uint32_t at = 0; at < kept;) {
		uint32_t cnt = msr_batch_len(kept - at);
		int done;

		b->hdr.nmsrs = cnt;
		memcpy(b->e, &e[at], cnt * sizeof(e[0]));
		done = cpu_state_vcpu_set(vcpu, KVM_SET_MSRS, b, "MSRs", why);
		if (done < 0) {
			rc = done;
			goto out_free;
		}
		if ((uint32_t)done < cnt) {
			rc = cpu_state_why(why, -EINVAL,
					   "KVM refused vCPU %u's saved MSR 0x%x (value 0x%llx).",
					   vcpu->id,
					   e[at + (uint32_t)done].index,
					   (unsigned long long)e[at + (uint32_t)done]
						   .data);
			goto out_free;
		}
		at += cnt;
	}
out_free:
	free(b);
	free(e);
	return rc;
}

/* --- CPUID ------------------------------------------------------------ */

/* The vCPU's table as KVM holds it (malloc'd) in *@out; 0 or -errno. */
static int vcpu_cpuid(struct vcpu *vcpu, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + CPU_STATE_CPUID_MAX * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPU_STATE_CPUID_MAX;
	if (ioctl(vcpu->fd, KVM_GET_CPUID2, c) < 0) {
		int rc = -errno;

		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int cpu_state_save_cpuid(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_cpuid2 *c;
	int rc = vcpu_cpuid(vcpu, &c);

	if (rc)
		return rc;
	stream_tlv_begin(sw, STREAM_VCPU_CPUID);
	stream_put_u32(sw, c->nent);
	for (uint32_t i = 0; i < c->nent && i < CPU_STATE_CPUID_MAX; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		stream_put_u32(sw, e->function);
		stream_put_u32(sw, e->index);
		stream_put_u32(sw, e->flags);
		stream_put_u32(sw, e->eax);
		stream_put_u32(sw, e->ebx);
		stream_put_u32(sw, e->ecx);
		stream_put_u32(sw, e->edx);
	}
	stream_tlv_end(sw);
	free(c);
	return 0;
}

/* A few feature names, so that a refusal says more than a bit number. */
static const struct {
	uint32_t leaf, sub;
	char reg; /* 'a'..'d' */
	uint8_t bit;
	const char *name;
} cpuid_names[] = {
	{ 1, 0, 'c', 0, "SSE3" },	 { 1, 0, 'c', 9, "SSSE3" },
	{ 1, 0, 'c', 12, "FMA" },	 { 1, 0, 'c', 13, "CX16" },
	{ 1, 0, 'c', 19, "SSE4.1" },	 { 1, 0, 'c', 20, "SSE4.2" },
	{ 1, 0, 'c', 21, "x2APIC" },	 { 1, 0, 'c', 22, "MOVBE" },
	{ 1, 0, 'c', 23, "POPCNT" },	 { 1, 0, 'c', 24, "TSC-deadline" },
	{ 1, 0, 'c', 25, "AES" },	 { 1, 0, 'c', 26, "XSAVE" },
	{ 1, 0, 'c', 28, "AVX" },	 { 1, 0, 'c', 29, "F16C" },
	{ 1, 0, 'c', 30, "RDRAND" },	 { 1, 0, 'd', 25, "SSE" },
	{ 1, 0, 'd', 26, "SSE2" },	 { 7, 0, 'b', 0, "FSGSBASE" },
	{ 7, 0, 'b', 3, "BMI1" },	 { 7, 0, 'b', 5, "AVX2" },
	{ 7, 0, 'b', 7, "SMEP" },	 { 7, 0, 'b', 8, "BMI2" },
	{ 7, 0, 'b', 9, "ERMS" },	 { 7, 0, 'b', 16, "AVX512F" },
	{ 7, 0, 'b', 18, "RDSEED" },	 { 7, 0, 'b', 19, "ADX" },
	{ 7, 0, 'b', 20, "SMAP" },	 { 7, 0, 'b', 29, "SHA" },
	{ 7, 0, 'c', 1, "AVX512VBMI" }, { 7, 0, 'c', 3, "PKU" },
	{ 7, 0, 'c', 8, "GFNI" },	 { 7, 0, 'c', 9, "VAES" },
	{ 7, 0, 'c', 22, "RDPID" },	 { 7, 0, 'd', 24, "AMX-TILE" },
	{ 0x80000001, 0, 'c', 5, "LZCNT" },
	{ 0x80000001, 0, 'd', 11, "SYSCALL" },
	{ 0x80000001, 0, 'd', 20, "NX" },
	{ 0x80000001, 0, 'd', 26, "1GB pages" },
	{ 0x80000001, 0, 'd', 27, "RDTSCP" },
	{ 0x80000001, 0, 'd', 29, "long mode" },
	{ 0xd, 1, 'a', 0, "XSAVEOPT" },	 { 0xd, 1, 'a', 1, "XSAVEC" },
	{ 0xd, 1, 'a', 3, "XSAVES" },
};

static const char *cpuid_bit_name(uint32_t leaf, uint32_t sub, char reg,
				  unsigned bit)
{
	for (size_t i = 0; i < sizeof(cpuid_names) / sizeof(cpuid_names[0]);
	     i++)
		if (cpuid_names[i].leaf == leaf && cpuid_names[i].sub == sub &&
		    cpuid_names[i].reg == reg && cpuid_names[i].bit == bit)
			return cpuid_names[i].name;
	return NULL;
}

static uint32_t cpuid_reg(const struct kvm_cpuid_entry2 *e, char reg)
{
	if (!e)
		return 0;
	switch (reg) {
	case 'a':
		return e->eax;
	case 'b':
		return e->ebx;
	case 'c':
		return e->ecx;
	default:
		return e->edx;
	}
}

/*
 * Every feature bit the saved table sets in the leaves and registers
 * that hold features must be one this host offers: KVM_GET_SUPPORTED_CPUID,
 * or what keel-hv adds itself (the hypervisor and HTT bits,
 * cpuid_for_vcpu()) or KVM sets at run time from CR4, or what this
 * host's KVM reports for the vCPU keel-hv just built from that table.
 * kvm_intel and kvm_amd report the table as it was set; kvm_pvm, where
 * the guest's CPUID instruction runs natively, reports the host CPU's
 * own leaves, and a guest saved there carries them.
 */
static int cpuid_check(struct vcpu *vcpu, const struct kvm_cpuid2 *saved,
		       char *why)
{
	static const struct {
		uint32_t leaf, sub;
		const char *regs;
	} checked[] = {
		{ 1, 0, "cd" },
		{ 7, 0, "bcd" },
		{ 0x80000001, 0, "cd" },
		{ 0xd, 1, "acd" },
	};
	struct kvm_cpuid2 *sup = NULL, *keel = NULL, *cur = NULL;
	int rc;

	rc = cpuid_get_supported(vcpu->vm->kvm_fd, &sup);
	if (rc)
		return cpu_state_why(why, rc,
				     "KVM did not report the CPUID features it supports: %s.",
				     strerror(-rc));
	rc = vcpu_cpuid(vcpu, &cur);
	if (rc) {
		free(sup);
		return cpu_state_why(why, rc,
				     "KVM did not report vCPU %u's CPUID table: %s.",
				     vcpu->id, strerror(-rc));
	}
	keel = cpuid_for_vcpu(sup, vcpu->id, vcpu->vm->nr_vcpus);
	if (!keel) {
		free(cur);
		free(sup);
		return cpu_state_why(why, -ENOMEM, "Out of memory.");
	}
	for (size_t i = 0; i < sizeof(checked) / sizeof(checked[0]) && !rc;
	     i++) {
		const struct kvm_cpuid_entry2 *s =
			cpuid_find(saved, checked[i].leaf, checked[i].sub);

		for (const char *r = checked[i].regs; s && *r && !rc; r++) {
			uint32_t allowed, lacking;
			const char *name;
			unsigned bit;

			allowed = cpuid_reg(cpuid_find(sup, checked[i].leaf,
						       checked[i].sub),
					    *r) |
				  cpuid_reg(cpuid_find(keel, checked[i].leaf,
						       checked[i].sub),
					    *r) |
				  cpuid_reg(cpuid_find(cur, checked[i].leaf,
						       checked[i].sub),
					    *r);
			if (checked[i].leaf == 1 && *r == 'c')
				allowed |= CPUID1_ECX_OSXSAVE;
			if (checked[i].leaf == 7 && *r == 'c')
				allowed |= CPUID7_ECX_OSPKE;
			lacking = cpuid_reg(s, *r) & ~allowed;
			if (!lacking)
				continue;
			bit = (unsigned)__builtin_ctz(lacking);
			name = cpuid_bit_name(checked[i].leaf, checked[i].sub,
					      *r, bit);
			rc = cpu_state_why(why, -EINVAL,
					   "vCPU %u's saved CPUID has leaf 0x%x%s E%cX bit %u%s%s%s, which this host's KVM does not offer.",
					   vcpu->id, checked[i].leaf,
					   checked[i].sub ? ".1" : "",
					   *r - 'a' + 'A', bit,
					   name ? " (" : "", name ? name : "",
					   name ? ")" : "");
		}
	}
	free(cur);
	free(keel);
	free(sup);
	return rc;
}

int cpu_state_restore_cpuid(struct vcpu *vcpu, const struct stream_tlvs *t,
			    char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_CPUID],
					      t->len[STREAM_VCPU_CPUID]);
	uint32_t n = stream_get_u32(&c);
	struct kvm_cpuid2 *cpuid;
	int rc;

	if (n == 0 || n > CPU_STATE_CPUID_MAX)
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved CPUID table has %u entries; keel takes 1 to %d.",
				     vcpu->id, n, CPU_STATE_CPUID_MAX);
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return cpu_state_why(why, -ENOMEM, "Out of memory.");
	cpuid->nent = n;
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		e->function = stream_get_u32(&c);
		e->index = stream_get_u32(&c);
		e->flags = stream_get_u32(&c);
		e->eax = stream_get_u32(&c);
		e->ebx = stream_get_u32(&c);
		e->ecx = stream_get_u32(&c);
		e->edx = stream_get_u32(&c);
	}
	rc = cpuid_check(vcpu, cpuid, why);
	if (!rc)
		rc = cpu_state_vcpu_set(vcpu, KVM_SET_CPUID2, cpuid,
					"CPUID table", why);
	free(cpuid);
	return rc < 0 ? rc : 0;
}
