// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain stream's VCPU record (docs/stream.md): a vCPU's registers,
 * segment and control registers, XSAVE area, XCRs, local APIC, pending
 * events, MP state, debug registers and TSC rate, saved from KVM and
 * restored to a vCPU that has never run, in the order KVM needs them
 * (cpu_state_restore_vcpu()). The MSRS and CPUID sub-records, which
 * depend on what this host's KVM offers, are cpu_state_msr.c's.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv_error.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu_state.h"
#include "x86/cpu_state_internal.h"

/* The event flags whose fields the stream carries. */
#define CPU_STATE_EVENT_FLAGS                                        \
	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | \
	 KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM |         \
	 KVM_VCPUEVENT_VALID_PAYLOAD)

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
	if (cpu_state_kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_SREGS2)) {
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
	int size = cpu_state_kvm_cap(vcpu->vm->vm_fd, KVM_CAP_XSAVE2);
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
		{ cpu_state_save_msrs, "MSRs" },
		{ save_tsc_khz, "TSC rate" },
		{ cpu_state_save_cpuid, "CPUID table" },
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
			cpu_state_rec_abandon(sw);
			return rc;
		}
	}
	return stream_rec_end(sw);
}

/* --- VCPU record: restore --------------------------------------------- */

/* The saved rate where it differs from this host's, or a refusal. */
static int restore_tsc_khz(struct vcpu *vcpu, const struct stream_tlvs *t,
			   char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_TSC_KHZ],
					      STREAM_TSC_KHZ_SIZE);
	uint32_t saved = stream_get_u32(&c);
	int here = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	if (saved == 0 || saved > INT32_MAX)
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved TSC rate of %u kHz is not one a CPU has.",
				     vcpu->id, saved);
	if (here > 0 && !cpu_state_tsc_rates_differ(saved, (uint32_t)here))
		return 0;
	if (!cpu_state_kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_TSC_CONTROL))
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's TSC ran at %u kHz and this host's runs at %d kHz, and this host's KVM cannot set a guest's TSC rate (no KVM_CAP_TSC_CONTROL): the guest's clock would drift.",
				     vcpu->id, saved, here);
	if (ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)saved) < 0)
		return cpu_state_why(why, -errno,
				     "KVM refused to run vCPU %u's TSC at its saved %u kHz: %s.",
				     vcpu->id, saved, strerror(errno));
	vcpu->tsc_khz = saved;
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
	static const char what[] = "segment and control registers";
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
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved segment registers have flags 0x%llx, which KVM does not define.",
				     vcpu->id, (unsigned long long)s2.flags);
	if (cpu_state_kvm_cap(vcpu->vm->kvm_fd, KVM_CAP_SREGS2)) {
		rc = cpu_state_vcpu_set(vcpu, KVM_SET_SREGS2, &s2, what, why);
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
		rc = cpu_state_vcpu_set(vcpu, KVM_SET_SREGS, &s, what, why);
	}
	return rc;
}

static int restore_lapic(struct vcpu *vcpu, const struct stream_tlvs *t,
			 char *why)
{
	struct kvm_lapic_state l;

	memcpy(l.regs, t->p[STREAM_VCPU_LAPIC], sizeof(l.regs));
	return cpu_state_vcpu_set(vcpu, KVM_SET_LAPIC, &l, "local APIC", why);
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
	return cpu_state_vcpu_set(vcpu, KVM_SET_REGS, &r, "registers", why);
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
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved events have flags 0x%x, which keel does not know.",
				     vcpu->id, ev.flags);
	if ((ev.flags & KVM_VCPUEVENT_VALID_PAYLOAD) &&
	    !cpu_state_enable_payload(vcpu->vm)) {
		/* Nothing is lost where no exception waits with a payload. */
		if (ev.exception.pending || ev.exception_has_payload)
			return cpu_state_why(why, -EINVAL,
					     "vCPU %u was saved with exception %u pending, which this host's KVM cannot take back (no KVM_CAP_EXCEPTION_PAYLOAD).",
					     vcpu->id, ev.exception.nr);
		ev.flags &= ~(uint32_t)KVM_VCPUEVENT_VALID_PAYLOAD;
	}
	return cpu_state_vcpu_set(vcpu, KVM_SET_VCPU_EVENTS, &ev,
				  "pending events", why);
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
	int rc;

	if (xsave_size < 0 || xsave_size > size ||
	    t->len[STREAM_VCPU_XSAVE] != (uint64_t)xsave_size)
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved XSAVE area is %u bytes; this host's KVM holds %d.",
				     vcpu->id, t->len[STREAM_VCPU_XSAVE], size);
	buf = calloc(1, (size_t)size);
	if (!buf)
		return cpu_state_why(why, -ENOMEM, "Out of memory.");
	memcpy(buf, t->p[STREAM_VCPU_XSAVE], (size_t)xsave_size);
	rc = cpu_state_vcpu_set(vcpu, KVM_SET_XSAVE, buf, "XSAVE area", why);
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
		return cpu_state_why(why, -EINVAL,
				     "vCPU %u's saved record has %u XCRs; KVM takes at most %d.",
				     vcpu->id, x.nr_xcrs, KVM_MAX_XCRS);
	for (uint32_t i = 0; i < x.nr_xcrs; i++) {
		x.xcrs[i].xcr = stream_get_u32(&c);
		stream_get_u32(&c);
		x.xcrs[i].value = stream_get_u64(&c);
	}
	return cpu_state_vcpu_set(vcpu, KVM_SET_XCRS, &x, "XCRs", why);
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
	return cpu_state_vcpu_set(vcpu, KVM_SET_DEBUGREGS, &d,
				  "debug registers", why);
}

static int restore_mp_state(struct vcpu *vcpu, const struct stream_tlvs *t,
			    char *why)
{
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_MP_STATE],
					      STREAM_MP_STATE_SIZE);
	struct kvm_mp_state mp = { .mp_state = stream_get_u32(&c) };

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return cpu_state_why(why, -errno,
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
	rc = cpu_state_restore_cpuid(vcpu, t, why);
	if (!rc)
		rc = restore_tsc_khz(vcpu, t, why);
	if (!rc)
		rc = restore_sregs(vcpu, t, why);
	if (!rc)
		rc = restore_lapic(vcpu, t, why);
	if (!rc)
		rc = cpu_state_restore_msrs(vcpu, t, tsc, why);
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
