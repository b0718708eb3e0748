// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The x86 KVM state of a VM and its vCPUs, to and from the domain
 * stream's VM and VCPU records, field by field as docs/stream.md lays
 * them out. The stream is untrusted input: every count is bounded
 * before it sizes anything and every value KVM would take on trust (the
 * IOAPIC's address, the CPUID features) is checked here first.
 */
#include "config.h"

#include <asm/kvm_para.h>
#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_error.h"
#include "log.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu.h"
#include "x86/cpu_state.h"
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
/* The XSAVE area of KVM_GET_XSAVE, and the least KVM_CAP_XSAVE2 gives. */
#define CPU_STATE_XSAVE_LEGACY 4096
/* TSC rates closer than this are one rate (Firecracker's tolerance). */
#define CPU_STATE_TSC_PPM 250

/* MTRRcap: the number of variable ranges, fixed ranges supported. */
#define MTRR_CAP_VCNT 0xffULL
#define MTRR_CAP_FIX (1ULL << 8)
#define MTRR_NR_VAR 8

/* The event flags whose fields the stream carries. */
#define CPU_STATE_EVENT_FLAGS                                        \
	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
	 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |         \
	 KVM_VCPUEVENT_VALID_PAYLOAD)

/* CPUID bits KVM flips at run time from CR4 (OSXSAVE, OSPKE). */
#define CPUID1_ECX_OSXSAVE (1U << 27)
#define CPUID7_ECX_OSPKE (1U << 4)

static int why_set(char *why, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill @why (if any) with a sentence and return @rc. */
static int why_set(char *why, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why) {
		va_start(ap, fmt);
		vsnprintf(why, CPU_STATE_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int kvm_cap(int fd, long cap)
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
static bool cpu_state_enable_payload(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXCEPTION_PAYLOAD,
				      .args = { 1 } };

	if (!kvm_cap(vm->vm_fd, KVM_CAP_EXCEPTION_PAYLOAD))
		return false;
	return ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
}

/* The XSAVE area this host's KVM reads and writes for @vm's vCPUs. */
static int cpu_state_xsave_size(struct vm *vm)
{
	int n = kvm_cap(vm->vm_fd, KVM_CAP_XSAVE2);

	return n > CPU_STATE_XSAVE_LEGACY ? n : CPU_STATE_XSAVE_LEGACY;
}

static uint32_t cpu_state_tsc_khz(struct vm *vm)
{
	int khz = -1;

	if (vm->vcpus[0])
		khz = ioctl(vm->vcpus[0]->fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		khz = ioctl(vm->vm_fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint32_t)khz : 0;
}

/* More than CPU_STATE_TSC_PPM apart. */
static bool tsc_rates_differ(uint32_t a, uint32_t b)
{
	uint64_t d = a > b ? a - b : b - a;

	return d * 1000000ULL > (uint64_t)CPU_STATE_TSC_PPM * b;
}

/* --- Host facts ------------------------------------------------------- */

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
				   json_object_new_boolean(kvm_cap(
					   vm->kvm_fd,
					   KVM_CAP_TSC_CONTROL))) ||
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
		return why_set(why, -EINVAL,
			       "The saved domain's XSAVE area is %lld bytes, larger than the %d bytes of this host's KVM: this host lacks some of the CPU state it uses.",
			       (long long)h->xsave_size, xsave);
	if (!json_object_object_get_ex(h->json, "host", &host) ||
	    !json_object_object_get_ex(host, "tsc_khz", &v))
		return 0; /* each VCPU record has its rate, checked there */
	saved = json_object_get_int64(v);
	if (saved <= 0 || saved > UINT32_MAX || !here)
		return 0;
	if (tsc_rates_differ((uint32_t)saved, here) &&
	    !kvm_cap(vm->kvm_fd, KVM_CAP_TSC_CONTROL))
		return why_set(why, -EINVAL,
			       "The saved domain's TSC ran at %lld kHz and this host's runs at %u kHz, and this host's KVM cannot set a guest's TSC rate (no KVM_CAP_TSC_CONTROL): the guest's clock would drift.",
			       (long long)saved, here);
	return 0;
}

/* --- VM record -------------------------------------------------------- */

static void put_pic(struct stream_writer *sw, uint16_t tag,
		    const struct kvm_pic_state *p)
{
	stream_tlv_begin(sw, tag);
	stream_put_u8(sw, p->last_irr);
	stream_put_u8(sw, p->irr);
	stream_put_u8(sw, p->imr);
	stream_put_u8(sw, p->isr);
	stream_put_u8(sw, p->priority_add);
	stream_put_u8(sw, p->irq_base);
	stream_put_u8(sw, p->read_reg_select);
	stream_put_u8(sw, p->poll);
	stream_put_u8(sw, p->special_mask);
	stream_put_u8(sw, p->init_state);
	stream_put_u8(sw, p->auto_eoi);
	stream_put_u8(sw, p->rotate_on_auto_eoi);
	stream_put_u8(sw, p->special_fully_nested_mode);
	stream_put_u8(sw, p->init4);
	stream_put_u8(sw, p->elcr);
	stream_put_u8(sw, p->elcr_mask);
	stream_tlv_end(sw);
}

static void get_pic(const uint8_t *f, struct kvm_pic_state *p)
{
	struct stream_cur c = stream_cur_init(f, STREAM_PIC_SIZE);

	p->last_irr = stream_get_u8(&c);
	p->irr = stream_get_u8(&c);
	p->imr = stream_get_u8(&c);
	p->isr = stream_get_u8(&c);
	p->priority_add = stream_get_u8(&c);
	p->irq_base = stream_get_u8(&c);
	p->read_reg_select = stream_get_u8(&c);
	p->poll = stream_get_u8(&c);
	p->special_mask = stream_get_u8(&c);
	p->init_state = stream_get_u8(&c);
	p->auto_eoi = stream_get_u8(&c);
	p->rotate_on_auto_eoi = stream_get_u8(&c);
	p->special_fully_nested_mode = stream_get_u8(&c);
	p->init4 = stream_get_u8(&c);
	p->elcr = stream_get_u8(&c);
	p->elcr_mask = stream_get_u8(&c);
}

/*
 * End the record being built without writing it: a stream_tlv_end()
 * with no sub-record open makes stream_rec_end() fail and drop it (the
 * first call closes one that may be open). The caller's save has failed
 * and abandons the stream, but no half record goes into it.
 */
static void rec_abandon(struct stream_writer *sw)
{
	stream_tlv_end(sw);
	stream_tlv_end(sw);
	stream_rec_end(sw);
}

static int get_irqchip(struct vm *vm, uint32_t id, struct kvm_irqchip *chip)
{
	static const char *const names[] = { "PIC master", "PIC slave",
					     "IOAPIC" };

	memset(chip, 0, sizeof(*chip));
	chip->chip_id = id;
	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, chip) < 0) {
		int rc = -errno;

		hv_error("KVM did not give the %s's state: %s.", names[id],
			 strerror(-rc));
		return rc;
	}
	return 0;
}

int cpu_state_save_vm(struct vm *vm, struct stream_writer *sw)
{
	struct kvm_irqchip chip;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	int rc;

	cpu_state_enable_payload(vm);
	rc = stream_vm_begin(sw);
	if (rc)
		return rc;
	for (uint32_t id = KVM_IRQCHIP_PIC_MASTER; id <= KVM_IRQCHIP_PIC_SLAVE;
	     id++) {
		rc = get_irqchip(vm, id, &chip);
		if (rc)
			goto out_end;
		put_pic(sw,
			id == KVM_IRQCHIP_PIC_MASTER ? STREAM_VM_PIC_MASTER :
						       STREAM_VM_PIC_SLAVE,
			&chip.chip.pic);
	}
	rc = get_irqchip(vm, KVM_IRQCHIP_IOAPIC, &chip);
	if (rc)
		goto out_end;
	stream_tlv_begin(sw, STREAM_VM_IOAPIC);
	stream_put_u64(sw, chip.chip.ioapic.base_address);
	stream_put_u32(sw, chip.chip.ioapic.id);
	stream_put_u32(sw, chip.chip.ioapic.irr);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		stream_put_u64(sw, chip.chip.ioapic.redirtbl[i].bits);
	stream_tlv_end(sw);

	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0) {
		rc = -errno;
		hv_error("KVM did not give the PIT's state: %s.", strerror(-rc));
		goto out_end;
	}
	stream_tlv_begin(sw, STREAM_VM_PIT2);
	for (int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *ch = &pit.channels[i];

		stream_put_u32(sw, ch->count);
		stream_put_u16(sw, ch->latched_count);
		stream_put_u8(sw, ch->count_latched);
		stream_put_u8(sw, ch->status_latched);
		stream_put_u8(sw, ch->status);
		stream_put_u8(sw, ch->read_state);
		stream_put_u8(sw, ch->write_state);
		stream_put_u8(sw, ch->write_latch);
		stream_put_u8(sw, ch->rw_mode);
		stream_put_u8(sw, ch->mode);
		stream_put_u8(sw, ch->bcd);
		stream_put_u8(sw, ch->gate);
		stream_put_u64(sw, (uint64_t)ch->count_load_time);
	}
	stream_put_u32(sw, pit.flags);
	stream_tlv_end(sw);

	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) < 0) {
		rc = -errno;
		hv_error("KVM did not give the VM's kvmclock: %s.",
			 strerror(-rc));
		goto out_end;
	}
	stream_tlv_begin(sw, STREAM_VM_CLOCK);
	stream_put_u64(sw, clock.clock);
	stream_put_u32(sw, clock.flags);
	stream_put_u64(sw, clock.realtime);
	stream_put_u64(sw, clock.host_tsc);
	stream_tlv_end(sw);
	return stream_rec_end(sw);

out_end:
	rec_abandon(sw);
	return rc;
}

static int restore_pit(struct vm *vm, const uint8_t *f, char *why)
{
	struct stream_cur c = stream_cur_init(f, STREAM_PIT2_SIZE);
	struct kvm_pit_state2 pit;

	memset(&pit, 0, sizeof(pit));
	for (int i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *ch = &pit.channels[i];

		ch->count = stream_get_u32(&c);
		ch->latched_count = stream_get_u16(&c);
		ch->count_latched = stream_get_u8(&c);
		ch->status_latched = stream_get_u8(&c);
		ch->status = stream_get_u8(&c);
		ch->read_state = stream_get_u8(&c);
		ch->write_state = stream_get_u8(&c);
		ch->write_latch = stream_get_u8(&c);
		ch->rw_mode = stream_get_u8(&c);
		ch->mode = stream_get_u8(&c);
		ch->bcd = stream_get_u8(&c);
		ch->gate = stream_get_u8(&c);
		ch->count_load_time = (int64_t)stream_get_u64(&c);
		/*
		 * What an 8254 can hold: 16-bit counts (0 meaning 0x10000),
		 * 3-bit modes, or KVM's 0xff for a channel never programmed.
		 */
		if (ch->count > 0x10000 || (ch->mode > 7 && ch->mode != 0xff) ||
		    ch->rw_mode > 3 || ch->bcd > 1 || ch->gate > 1)
			return why_set(why, -EINVAL,
				       "The saved PIT channel %d holds a count or mode no 8254 has.",
				       i);
	}
	pit.flags = stream_get_u32(&c);
	if (pit.flags & ~(uint32_t)(KVM_PIT_FLAGS_HPET_LEGACY |
				    KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return why_set(why, -EINVAL,
			       "The saved PIT has flags 0x%x, which KVM does not define.",
			       pit.flags);
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return why_set(why, -errno, "KVM refused the saved PIT state: %s.",
			       strerror(errno));
	return 0;
}

/*
 * KVM_SET_CLOCK: the guest's kvmclock continues from the saved value,
 * and where both the saved clock and this host have the wall clock it
 * was read with, KVM adds the time spent saved so the guest's date is
 * right again.
 */
static int restore_clock(struct vm *vm, const uint8_t *f, char *why)
{
	struct stream_cur c = stream_cur_init(f, STREAM_CLOCK_SIZE);
	struct kvm_clock_data clock;
	uint32_t flags;
	uint64_t realtime;

	memset(&clock, 0, sizeof(clock));
	clock.clock = stream_get_u64(&c);
	flags = stream_get_u32(&c);
	realtime = stream_get_u64(&c);
	if ((flags & KVM_CLOCK_REALTIME) &&
	    (kvm_cap(vm->vm_fd, KVM_CAP_ADJUST_CLOCK) & KVM_CLOCK_REALTIME)) {
		clock.flags = KVM_CLOCK_REALTIME;
		clock.realtime = realtime;
	}
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return why_set(why, -errno,
			       "KVM refused the saved kvmclock: %s.",
			       strerror(errno));
	return 0;
}

static int restore_irqchip(struct vm *vm, const struct stream_tlvs *t,
			   uint32_t id, char *why)
{
	static const char *const names[] = { "PIC master", "PIC slave",
					     "IOAPIC" };
	struct kvm_irqchip chip;

	memset(&chip, 0, sizeof(chip));
	chip.chip_id = id;
	if (id == KVM_IRQCHIP_IOAPIC) {
		struct stream_cur c = stream_cur_init(t->p[STREAM_VM_IOAPIC],
						      STREAM_IOAPIC_SIZE);

		chip.chip.ioapic.base_address = stream_get_u64(&c);
		chip.chip.ioapic.id = stream_get_u32(&c);
		chip.chip.ioapic.irr = stream_get_u32(&c);
		for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
			chip.chip.ioapic.redirtbl[i].bits = stream_get_u64(&c);
		/* KVM would move the IOAPIC's MMIO window wherever it says. */
		if (chip.chip.ioapic.base_address != VM_IOAPIC_BASE)
			return why_set(why, -EINVAL,
				       "The saved IOAPIC is at 0x%llx, not at 0x%llx where keel puts it.",
				       (unsigned long long)chip.chip.ioapic
					       .base_address,
				       VM_IOAPIC_BASE);
	} else {
		get_pic(t->p[id == KVM_IRQCHIP_PIC_MASTER ?
				     STREAM_VM_PIC_MASTER :
				     STREAM_VM_PIC_SLAVE],
			&chip.chip.pic);
	}
	if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
		return why_set(why, -errno, "KVM refused the saved %s state: %s.",
			       names[id], strerror(errno));
	return 0;
}

int cpu_state_restore_vm(struct vm *vm, const struct stream_tlvs *t,
			 char *why)
{
	int rc;

	cpu_state_enable_payload(vm);
	rc = restore_pit(vm, t->p[STREAM_VM_PIT2], why);
	if (!rc)
		rc = restore_clock(vm, t->p[STREAM_VM_CLOCK], why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_PIC_MASTER, why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_PIC_SLAVE, why);
	if (!rc)
		rc = restore_irqchip(vm, t, KVM_IRQCHIP_IOAPIC, why);
	return rc;
}

/* --- MSRs ------------------------------------------------------------- */

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
		uint32_t cnt = *n - in < CPU_STATE_MSR_BATCH ?
				       *n - in :
				       CPU_STATE_MSR_BATCH;
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

/* --- VCPU record: save ------------------------------------------------ */

static void put_segment(struct stream_writer *sw, const struct kvm_segment *s)
{
	stream_put_u64(sw, s->base);
	stream_put_u32(sw, s->limit);
	stream_put_u16(sw, s->selector);
	stream_put_u8(sw, s->type);
	stream_put_u8(sw, s->present);
	stream_put_u8(sw, s->dpl);
	stream_put_u8(sw, s->db);
	stream_put_u8(sw, s->s);
	stream_put_u8(sw, s->l);
	stream_put_u8(sw, s->g);
	stream_put_u8(sw, s->avl);
	stream_put_u8(sw, s->unusable);
	stream_put_zeros(sw, 2);
}

static void put_dtable(struct stream_writer *sw, const struct kvm_dtable *d)
{
	stream_put_u64(sw, d->base);
	stream_put_u16(sw, d->limit);
	stream_put_zeros(sw, 6);
}

/* SREGS2 where KVM has it; SREGS otherwise, with no PDPTRs. */
static int save_sregs(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_sregs2 s2;

	memset(&s2, 0, sizeof(s2));
	if (kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_SREGS2)) {
		if (ioctl(vcpu->fd, KVM_GET_SREGS2, &s2) < 0)
			return -errno;
	} else {
		struct kvm_sregs s;

		if (ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0)
			return -errno;
		s2.cs = s.cs;
		s2.ds = s.ds;
		s2.es = s.es;
		s2.fs = s.fs;
		s2.gs = s.gs;
		s2.ss = s.ss;
		s2.tr = s.tr;
		s2.ldt = s.ldt;
		s2.gdt = s.gdt;
		s2.idt = s.idt;
		s2.cr0 = s.cr0;
		s2.cr2 = s.cr2;
		s2.cr3 = s.cr3;
		s2.cr4 = s.cr4;
		s2.cr8 = s.cr8;
		s2.efer = s.efer;
		s2.apic_base = s.apic_base;
		/*
		 * interrupt_bitmap repeats an injected external interrupt,
		 * which EVENTS carries.
		 */
	}
	stream_tlv_begin(sw, STREAM_VCPU_SREGS);
	put_segment(sw, &s2.cs);
	put_segment(sw, &s2.ds);
	put_segment(sw, &s2.es);
	put_segment(sw, &s2.fs);
	put_segment(sw, &s2.gs);
	put_segment(sw, &s2.ss);
	put_segment(sw, &s2.tr);
	put_segment(sw, &s2.ldt);
	put_dtable(sw, &s2.gdt);
	put_dtable(sw, &s2.idt);
	stream_put_u64(sw, s2.cr0);
	stream_put_u64(sw, s2.cr2);
	stream_put_u64(sw, s2.cr3);
	stream_put_u64(sw, s2.cr4);
	stream_put_u64(sw, s2.cr8);
	stream_put_u64(sw, s2.efer);
	stream_put_u64(sw, s2.apic_base);
	stream_put_u64(sw, s2.flags);
	for (int i = 0; i < 4; i++)
		stream_put_u64(sw, s2.pdptrs[i]);
	stream_tlv_end(sw);
	return 0;
}

static int save_regs(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_regs r;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0)
		return -errno;
	stream_tlv_begin(sw, STREAM_VCPU_REGS);
	stream_put_u64(sw, r.rax);
	stream_put_u64(sw, r.rbx);
	stream_put_u64(sw, r.rcx);
	stream_put_u64(sw, r.rdx);
	stream_put_u64(sw, r.rsi);
	stream_put_u64(sw, r.rdi);
	stream_put_u64(sw, r.rsp);
	stream_put_u64(sw, r.rbp);
	stream_put_u64(sw, r.r8);
	stream_put_u64(sw, r.r9);
	stream_put_u64(sw, r.r10);
	stream_put_u64(sw, r.r11);
	stream_put_u64(sw, r.r12);
	stream_put_u64(sw, r.r13);
	stream_put_u64(sw, r.r14);
	stream_put_u64(sw, r.r15);
	stream_put_u64(sw, r.rip);
	stream_put_u64(sw, r.rflags);
	stream_tlv_end(sw);
	return 0;
}

static int save_xsave(struct vcpu *vcpu, struct stream_writer *sw)
{
	int size = kvm_cap(vcpu->vm->vm_fd, KVM_CAP_XSAVE2);
	unsigned long req = KVM_GET_XSAVE2;
	void *buf;

	if (size < CPU_STATE_XSAVE_LEGACY) {
		size = CPU_STATE_XSAVE_LEGACY;
		req = KVM_GET_XSAVE;
	}
	buf = calloc(1, (size_t)size);
	if (!buf)
		return -ENOMEM;
	if (ioctl(vcpu->fd, req, buf) < 0) {
		int rc = -errno;

		free(buf);
		return rc;
	}
	stream_tlv_begin(sw, STREAM_VCPU_XSAVE);
	stream_put_bytes(sw, buf, (size_t)size);
	stream_tlv_end(sw);
	free(buf);
	return 0;
}

static int save_xcrs(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	if (ioctl(vcpu->fd, KVM_GET_XCRS, &x) < 0)
		return -errno;
	if (x.nr_xcrs > KVM_MAX_XCRS)
		return -EIO;
	stream_tlv_begin(sw, STREAM_VCPU_XCRS);
	stream_put_u32(sw, x.nr_xcrs);
	for (uint32_t i = 0; i < x.nr_xcrs; i++) {
		stream_put_u32(sw, x.xcrs[i].xcr);
		stream_put_zeros(sw, 4);
		stream_put_u64(sw, x.xcrs[i].value);
	}
	stream_tlv_end(sw);
	return 0;
}

static int save_lapic(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_lapic_state l;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	stream_tlv_begin(sw, STREAM_VCPU_LAPIC);
	stream_put_bytes(sw, l.regs, sizeof(l.regs));
	stream_tlv_end(sw);
	return 0;
}

static int save_events(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	if (ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	stream_tlv_begin(sw, STREAM_VCPU_EVENTS);
	stream_put_u8(sw, ev.exception.injected);
	stream_put_u8(sw, ev.exception.nr);
	stream_put_u8(sw, ev.exception.has_error_code);
	stream_put_u8(sw, ev.exception.pending);
	stream_put_u32(sw, ev.exception.error_code);
	stream_put_u8(sw, ev.interrupt.injected);
	stream_put_u8(sw, ev.interrupt.nr);
	stream_put_u8(sw, ev.interrupt.soft);
	stream_put_u8(sw, ev.interrupt.shadow);
	stream_put_u8(sw, ev.nmi.injected);
	stream_put_u8(sw, ev.nmi.pending);
	stream_put_u8(sw, ev.nmi.masked);
	stream_put_u32(sw, ev.sipi_vector);
	/* Only the flags whose fields the stream has: not TRIPLE_FAULT. */
	stream_put_u32(sw, ev.flags & CPU_STATE_EVENT_FLAGS);
	stream_put_u8(sw, ev.smi.smm);
	stream_put_u8(sw, ev.smi.pending);
	stream_put_u8(sw, ev.smi.smm_inside_nmi);
	stream_put_u8(sw, ev.smi.latched_init);
	stream_put_u8(sw, ev.exception_has_payload);
	stream_put_u64(sw, ev.exception_payload);
	stream_tlv_end(sw);
	return 0;
}

static int save_mp_state(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_mp_state mp;

	if (ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp) < 0)
		return -errno;
	stream_tlv_begin(sw, STREAM_VCPU_MP_STATE);
	stream_put_u32(sw, mp.mp_state);
	stream_tlv_end(sw);
	return 0;
}

static int save_debugregs(struct vcpu *vcpu, struct stream_writer *sw)
{
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	if (ioctl(vcpu->fd, KVM_GET_DEBUGREGS, &d) < 0)
		return -errno;
	stream_tlv_begin(sw, STREAM_VCPU_DEBUGREGS);
	for (int i = 0; i < 4; i++)
		stream_put_u64(sw, d.db[i]);
	stream_put_u64(sw, d.dr6);
	stream_put_u64(sw, d.dr7);
	stream_put_u64(sw, d.flags);
	stream_tlv_end(sw);
	return 0;
}

static int save_msrs(struct vcpu *vcpu, struct stream_writer *sw)
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

static int save_tsc_khz(struct vcpu *vcpu, struct stream_writer *sw)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0)
		return khz < 0 ? -errno : -EIO;
	stream_tlv_begin(sw, STREAM_VCPU_TSC_KHZ);
	stream_put_u32(sw, (uint32_t)khz);
	stream_tlv_end(sw);
	return 0;
}

static int save_cpuid(struct vcpu *vcpu, struct stream_writer *sw)
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

int cpu_state_save_vcpu(struct vcpu *vcpu, struct stream_writer *sw)
{
	static const struct {
		int (*save)(struct vcpu *, struct stream_writer *);
		const char *what;
	} parts[] = {
		{ save_regs, "registers" },
		{ save_sregs, "segment and control registers" },
		{ save_xsave, "XSAVE area" },
		{ save_xcrs, "XCRs" },
		{ save_lapic, "local APIC" },
		{ save_events, "pending events" },
		{ save_mp_state, "MP state" },
		{ save_debugregs, "debug registers" },
		{ save_msrs, "MSRs" },
		{ save_tsc_khz, "TSC rate" },
		{ save_cpuid, "CPUID table" },
	};
	int rc;

	cpu_state_enable_payload(vcpu->vm);
	rc = stream_vcpu_begin(sw, vcpu->id);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		rc = parts[i].save(vcpu, sw);
		if (rc) {
			hv_error("KVM did not give vCPU %u's %s: %s.", vcpu->id,
				 parts[i].what, strerror(-rc));
			rec_abandon(sw);
			return rc;
		}
	}
	return stream_rec_end(sw);
}

/* --- VCPU record: restore --------------------------------------------- */

int cpu_state_vcpu_tsc(const struct stream_tlvs *t, uint64_t *tsc)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_MSRS],
					      t->len[STREAM_VCPU_MSRS]);
	uint32_t n = stream_get_u32(&c);

	stream_get_u32(&c);
	for (uint32_t i = 0; i < n && i < CPU_STATE_MSRS_MAX; i++) {
		uint32_t index = stream_get_u32(&c);
		uint64_t v;

		stream_get_u32(&c);
		v = stream_get_u64(&c);
		if (index == MSR_IA32_TSC) {
			*tsc = v;
			return 0;
		}
	}
	return -ENOENT;
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
 * cpuid_for_vcpu()) or KVM sets at run time from CR4.
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
	struct kvm_cpuid2 *sup = NULL, *keel = NULL;
	int rc;

	rc = cpuid_get_supported(vcpu->vm->kvm_fd, &sup);
	if (rc)
		return why_set(why, rc,
			       "KVM did not report the CPUID features it supports: %s.",
			       strerror(-rc));
	keel = cpuid_for_vcpu(sup, vcpu->id, vcpu->vm->nr_vcpus);
	if (!keel) {
		free(sup);
		return why_set(why, -ENOMEM, "Out of memory.");
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
			rc = why_set(why, -EINVAL,
				     "vCPU %u's saved CPUID has leaf 0x%x%s E%cX bit %u%s%s%s, which this host's KVM does not offer.",
				     vcpu->id, checked[i].leaf,
				     checked[i].sub ? ".1" : "", *r - 'a' + 'A',
				     bit, name ? " (" : "", name ? name : "",
				     name ? ")" : "");
		}
	}
	free(keel);
	free(sup);
	return rc;
}

static int restore_cpuid(struct vcpu *vcpu, const struct stream_tlvs *t,
			 char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_CPUID],
					      t->len[STREAM_VCPU_CPUID]);
	uint32_t n = stream_get_u32(&c);
	struct kvm_cpuid2 *cpuid;
	int rc;

	if (n == 0 || n > CPU_STATE_CPUID_MAX)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved CPUID table has %u entries; keel takes 1 to %d.",
			       vcpu->id, n, CPU_STATE_CPUID_MAX);
	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return why_set(why, -ENOMEM, "Out of memory.");
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
	if (!rc && ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		rc = why_set(why, -errno,
			     "KVM refused vCPU %u's saved CPUID table: %s.",
			     vcpu->id, strerror(errno));
	free(cpuid);
	return rc;
}

/* The saved rate where it differs from this host's, or a refusal. */
static int restore_tsc_khz(struct vcpu *vcpu, const struct stream_tlvs *t,
			   char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_TSC_KHZ],
					      STREAM_TSC_KHZ_SIZE);
	uint32_t saved = stream_get_u32(&c);
	int here = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	if (saved == 0 || saved > INT32_MAX)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved TSC rate of %u kHz is not one a CPU has.",
			       vcpu->id, saved);
	if (here > 0 && !tsc_rates_differ(saved, (uint32_t)here))
		return 0;
	if (!kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_TSC_CONTROL))
		return why_set(why, -EINVAL,
			       "vCPU %u's TSC ran at %u kHz and this host's runs at %d kHz, and this host's KVM cannot set a guest's TSC rate (no KVM_CAP_TSC_CONTROL): the guest's clock would drift.",
			       vcpu->id, saved, here);
	if (ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)saved) < 0)
		return why_set(why, -errno,
			       "KVM refused to run vCPU %u's TSC at its saved %u kHz: %s.",
			       vcpu->id, saved, strerror(errno));
	return 0;
}

static void get_segment(struct stream_cur *c, struct kvm_segment *s)
{
	s->base = stream_get_u64(c);
	s->limit = stream_get_u32(c);
	s->selector = stream_get_u16(c);
	s->type = stream_get_u8(c);
	s->present = stream_get_u8(c);
	s->dpl = stream_get_u8(c);
	s->db = stream_get_u8(c);
	s->s = stream_get_u8(c);
	s->l = stream_get_u8(c);
	s->g = stream_get_u8(c);
	s->avl = stream_get_u8(c);
	s->unusable = stream_get_u8(c);
	stream_get_bytes(c, NULL, 2);
}

static void get_dtable(struct stream_cur *c, struct kvm_dtable *d)
{
	d->base = stream_get_u64(c);
	d->limit = stream_get_u16(c);
	stream_get_bytes(c, NULL, 6);
}

static int restore_sregs(struct vcpu *vcpu, const struct stream_tlvs *t,
			 char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_SREGS],
					      STREAM_SREGS_SIZE);
	struct kvm_sregs2 s2;
	int rc;

	memset(&s2, 0, sizeof(s2));
	get_segment(&c, &s2.cs);
	get_segment(&c, &s2.ds);
	get_segment(&c, &s2.es);
	get_segment(&c, &s2.fs);
	get_segment(&c, &s2.gs);
	get_segment(&c, &s2.ss);
	get_segment(&c, &s2.tr);
	get_segment(&c, &s2.ldt);
	get_dtable(&c, &s2.gdt);
	get_dtable(&c, &s2.idt);
	s2.cr0 = stream_get_u64(&c);
	s2.cr2 = stream_get_u64(&c);
	s2.cr3 = stream_get_u64(&c);
	s2.cr4 = stream_get_u64(&c);
	s2.cr8 = stream_get_u64(&c);
	s2.efer = stream_get_u64(&c);
	s2.apic_base = stream_get_u64(&c);
	s2.flags = stream_get_u64(&c);
	for (int i = 0; i < 4; i++)
		s2.pdptrs[i] = stream_get_u64(&c);
	if (s2.flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved segment registers have flags 0x%llx, which KVM does not define.",
			       vcpu->id, (unsigned long long)s2.flags);
	if (kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_SREGS2)) {
		rc = ioctl(vcpu->fd, KVM_SET_SREGS2, &s2);
	} else {
		/* PAE paging reloads its PDPTRs from CR3 here instead. */
		struct kvm_sregs s;

		memset(&s, 0, sizeof(s));
		s.cs = s2.cs;
		s.ds = s2.ds;
		s.es = s2.es;
		s.fs = s2.fs;
		s.gs = s2.gs;
		s.ss = s2.ss;
		s.tr = s2.tr;
		s.ldt = s2.ldt;
		s.gdt = s2.gdt;
		s.idt = s2.idt;
		s.cr0 = s2.cr0;
		s.cr2 = s2.cr2;
		s.cr3 = s2.cr3;
		s.cr4 = s2.cr4;
		s.cr8 = s2.cr8;
		s.efer = s2.efer;
		s.apic_base = s2.apic_base;
		rc = ioctl(vcpu->fd, KVM_SET_SREGS, &s);
	}
	if (rc < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved segment and control registers: %s.",
			       vcpu->id, strerror(errno));
	return 0;
}

static int restore_lapic(struct vcpu *vcpu, const struct stream_tlvs *t,
			 char *why)
{
	struct kvm_lapic_state l;

	memcpy(l.regs, t->p[STREAM_VCPU_LAPIC], sizeof(l.regs));
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &l) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved local APIC: %s.",
			       vcpu->id, strerror(errno));
	return 0;
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
		return why_set(why, -EINVAL,
			       "vCPU %u's saved MTRRs (MTRRcap 0x%llx) are more than this host's KVM has (0x%llx).",
			       vcpu->id, (unsigned long long)saved,
			       (unsigned long long)req.e.data);
	return 0;
}

static int restore_msrs(struct vcpu *vcpu, const struct stream_tlvs *t,
			uint64_t tsc, char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_MSRS],
					      t->len[STREAM_VCPU_MSRS]);
	uint32_t n = stream_get_u32(&c), kept = 0;
	struct kvm_msr_entry *e;
	struct msr_batch *b;
	int rc = 0;

	if (n > CPU_STATE_MSRS_MAX)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved record has %u MSRs; keel takes at most %d.",
			       vcpu->id, n, CPU_STATE_MSRS_MAX);
	stream_get_u32(&c);
	e = calloc(n + 1, sizeof(*e));
	b = calloc(1, sizeof(*b));
	if (!e || !b) {
		rc = why_set(why, -ENOMEM, "Out of memory.");
		goto out_free;
	}
	/* vCPU 0's TSC on every vCPU, so that KVM gives all one offset. */
	e[kept].index = MSR_IA32_TSC;
	e[kept++].data = tsc;
	for (int rank = 1; rank <= 3; rank++) {
		c = stream_cur_init(t->p[STREAM_VCPU_MSRS],
				    t->len[STREAM_VCPU_MSRS]);
		stream_get_bytes(&c, NULL, 8);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t index = stream_get_u32(&c);
			uint64_t v;

			stream_get_u32(&c);
			v = stream_get_u64(&c);
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
		uint32_t cnt = kept - at < CPU_STATE_MSR_BATCH ?
				       kept - at :
				       CPU_STATE_MSR_BATCH;
		int done;

		b->hdr.nmsrs = cnt;
		memcpy(b->e, &e[at], cnt * sizeof(e[0]));
		done = ioctl(vcpu->fd, KVM_SET_MSRS, b);
		if (done < 0) {
			rc = why_set(why, -errno,
				     "KVM refused vCPU %u's saved MSRs: %s.",
				     vcpu->id, strerror(errno));
			goto out_free;
		}
		if ((uint32_t)done < cnt) {
			rc = why_set(why, -EINVAL,
				     "KVM refused vCPU %u's saved MSR 0x%x (value 0x%llx).",
				     vcpu->id, e[at + (uint32_t)done].index,
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

static int restore_regs(struct vcpu *vcpu, const struct stream_tlvs *t,
			char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_REGS],
					      STREAM_REGS_SIZE);
	struct kvm_regs r;

	r.rax = stream_get_u64(&c);
	r.rbx = stream_get_u64(&c);
	r.rcx = stream_get_u64(&c);
	r.rdx = stream_get_u64(&c);
	r.rsi = stream_get_u64(&c);
	r.rdi = stream_get_u64(&c);
	r.rsp = stream_get_u64(&c);
	r.rbp = stream_get_u64(&c);
	r.r8 = stream_get_u64(&c);
	r.r9 = stream_get_u64(&c);
	r.r10 = stream_get_u64(&c);
	r.r11 = stream_get_u64(&c);
	r.r12 = stream_get_u64(&c);
	r.r13 = stream_get_u64(&c);
	r.r14 = stream_get_u64(&c);
	r.r15 = stream_get_u64(&c);
	r.rip = stream_get_u64(&c);
	r.rflags = stream_get_u64(&c);
	if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved registers: %s.",
			       vcpu->id, strerror(errno));
	return 0;
}

static int restore_events(struct vcpu *vcpu, const struct stream_tlvs *t,
			  char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_EVENTS],
					      STREAM_EVENTS_SIZE);
	struct kvm_vcpu_events ev;

	memset(&ev, 0, sizeof(ev));
	ev.exception.injected = stream_get_u8(&c);
	ev.exception.nr = stream_get_u8(&c);
	ev.exception.has_error_code = stream_get_u8(&c);
	ev.exception.pending = stream_get_u8(&c);
	ev.exception.error_code = stream_get_u32(&c);
	ev.interrupt.injected = stream_get_u8(&c);
	ev.interrupt.nr = stream_get_u8(&c);
	ev.interrupt.soft = stream_get_u8(&c);
	ev.interrupt.shadow = stream_get_u8(&c);
	ev.nmi.injected = stream_get_u8(&c);
	ev.nmi.pending = stream_get_u8(&c);
	ev.nmi.masked = stream_get_u8(&c);
	ev.sipi_vector = stream_get_u32(&c);
	ev.flags = stream_get_u32(&c);
	ev.smi.smm = stream_get_u8(&c);
	ev.smi.pending = stream_get_u8(&c);
	ev.smi.smm_inside_nmi = stream_get_u8(&c);
	ev.smi.latched_init = stream_get_u8(&c);
	ev.exception_has_payload = stream_get_u8(&c);
	ev.exception_payload = stream_get_u64(&c);
	if (ev.flags & ~(uint32_t)CPU_STATE_EVENT_FLAGS)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved events have flags 0x%x, which keel does not know.",
			       vcpu->id, ev.flags);
	if ((ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD) &&
	    !cpu_state_enable_payload(vcpu->vm)) {
		/* Nothing is lost where no exception waits with a payload. */
		if (ev.exception.pending || ev.exception_has_payload)
			return why_set(why, -EINVAL,
				       "vCPU %u was saved with exception %u pending, which this host's KVM cannot take back (no KVM_CAP_EXCEPTION_PAYLOAD).",
				       vcpu->id, ev.exception.nr);
		ev.flags &= ~(uint32_t)KVM_VCPUEVENT_VALID_PAYLOAD;
	}
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved pending events: %s.",
			       vcpu->id, strerror(errno));
	return 0;
}

/*
 * The XSAVE area in this host's size: a smaller saved one (a host with
 * fewer dynamic features) is padded with zeros, which XSAVE's header
 * reads as components in their initial state.
 */
static int restore_xsave(struct vcpu *vcpu, const struct stream_tlvs *t,
			 int64_t xsave_size, char *why)
{
	int size = cpu_state_xsave_size(vcpu->vm);
	void *buf;
	int rc = 0;

	if (xsave_size < 0 || xsave_size > size ||
	    t->len[STREAM_VCPU_XSAVE] != (uint64_t)xsave_size)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved XSAVE area is %u bytes; this host's KVM holds %d.",
			       vcpu->id, t->len[STREAM_VCPU_XSAVE], size);
	buf = calloc(1, (size_t)size);
	if (!buf)
		return why_set(why, -ENOMEM, "Out of memory.");
	memcpy(buf, t->p[STREAM_VCPU_XSAVE], (size_t)xsave_size);
	if (ioctl(vcpu->fd, KVM_SET_XSAVE, buf) < 0)
		rc = why_set(why, -errno,
			     "KVM refused vCPU %u's saved XSAVE area: %s.",
			     vcpu->id, strerror(errno));
	free(buf);
	return rc;
}

static int restore_xcrs(struct vcpu *vcpu, const struct stream_tlvs *t,
			char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_XCRS],
					      t->len[STREAM_VCPU_XCRS]);
	struct kvm_xcrs x;

	memset(&x, 0, sizeof(x));
	x.nr_xcrs = stream_get_u32(&c);
	if (x.nr_xcrs > KVM_MAX_XCRS)
		return why_set(why, -EINVAL,
			       "vCPU %u's saved record has %u XCRs; KVM takes at most %d.",
			       vcpu->id, x.nr_xcrs, KVM_MAX_XCRS);
	for (uint32_t i = 0; i < x.nr_xcrs; i++) {
		x.xcrs[i].xcr = stream_get_u32(&c);
		stream_get_u32(&c);
		x.xcrs[i].value = stream_get_u64(&c);
	}
	if (ioctl(vcpu->fd, KVM_SET_XCRS, &x) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved XCRs: %s.", vcpu->id,
			       strerror(errno));
	return 0;
}

static int restore_debugregs(struct vcpu *vcpu, const struct stream_tlvs *t,
			     char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_DEBUGREGS],
					      STREAM_DEBUGREGS_SIZE);
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 4; i++)
		d.db[i] = stream_get_u64(&c);
	d.dr6 = stream_get_u64(&c);
	d.dr7 = stream_get_u64(&c);
	d.flags = stream_get_u64(&c);
	if (ioctl(vcpu->fd, KVM_SET_DEBUGREGS, &d) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved debug registers: %s.",
			       vcpu->id, strerror(errno));
	return 0;
}

static int restore_mp_state(struct vcpu *vcpu, const struct stream_tlvs *t,
			    char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_MP_STATE],
					      STREAM_MP_STATE_SIZE);
	struct kvm_mp_state mp = { .mp_state = stream_get_u32(&c) };

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return why_set(why, -errno,
			       "KVM refused vCPU %u's saved run state %u: %s.",
			       vcpu->id, mp.mp_state, strerror(errno));
	return 0;
}

int cpu_state_restore_vcpu(struct vcpu *vcpu, const struct stream_tlvs *t,
			   uint64_t tsc, int64_t xsave_size, char *why)
{
	int rc;

	cpu_state_enable_payload(vcpu->vm);
	/* docs/stream.md, "Restoring: the order that matters". */
	rc = restore_cpuid(vcpu, t, why);
	if (!rc)
		rc = restore_tsc_khz(vcpu, t, why);
	if (!rc)
		rc = restore_sregs(vcpu, t, why);
	if (!rc)
		rc = restore_lapic(vcpu, t, why);
	if (!rc)
		rc = restore_msrs(vcpu, t, tsc, why);
	if (!rc)
		rc = restore_regs(vcpu, t, why);
	if (!rc)
		rc = restore_events(vcpu, t, why);
	if (!rc)
		rc = restore_xsave(vcpu, t, xsave_size, why);
	if (!rc)
		rc = restore_xcrs(vcpu, t, why);
	if (!rc)
		rc = restore_debugregs(vcpu, t, why);
	if (!rc)
		rc = restore_mp_state(vcpu, t, why);
	return rc;
}

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
