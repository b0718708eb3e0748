// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An x86-64 vCPU's notes in a core file (core_note.h). The layouts are
 * Linux's struct elf_prstatus (include/uapi/linux/elfcore.h with
 * x86-64's user_regs_struct) and QEMU's QEMUCPUState
 * (target/i386/arch_dump.c); offsets are written out here so that a
 * reader of this file can check them against those.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "le.h"
#include "x86/core_note.h"

#define NT_PRSTATUS 1
#define NT_QEMU 0
#define MSR_KERNEL_GS_BASE 0xc0000102

/* struct elf_prstatus: where the pid and the registers are. */
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
/* QEMUCPUState: the general registers, then ten segments of 24 bytes. */
#define QEMU_VERSION 1
#define QEMU_REGS 8
#define QEMU_SEGS (QEMU_REGS + 18 * 8)
#define QEMU_SEG_SIZE 24
#define QEMU_CR (QEMU_SEGS + 10 * QEMU_SEG_SIZE)
#define QEMU_KERNEL_GS_BASE (QEMU_CR + 5 * 8)

/* A note's header and its name (padded to 4); returns its desc. */
static uint8_t *note_header(uint8_t *p, const char *name, uint32_t descsz,
			    uint32_t type)
{
	le_put32(p, (uint32_t)strlen(name) + 1);
	le_put32(p + 4, descsz);
	le_put32(p + 8, type);
	memset(p + 12, 0, 8);
	memcpy(p + 12, name, strlen(name));
	return p + 20;
}

static void prstatus(uint8_t *d, unsigned id, const struct kvm_regs *r,
		     const struct kvm_sregs *s)
{
	/* user_regs_struct's order. */
	const uint64_t regs[27] = {
		r->r15, r->r14, r->r13, r->r12, r->rbp, r->rbx, r->r11,
		r->r10, r->r9, r->r8, r->rax, r->rcx, r->rdx, r->rsi,
		r->rdi, UINT64_MAX /* orig_rax: not in a system call */,
		r->rip, s->cs.selector, r->rflags, r->rsp, s->ss.selector,
		s->fs.base, s->gs.base, s->ds.selector, s->es.selector,
		s->fs.selector, s->gs.selector,
	};

	memset(d, 0, CORE_NOTE_PRSTATUS_SIZE);
	le_put32(d + PRSTATUS_PID, id + 1);
	for (int i = 0; i < 27; i++)
		le_put64(d + PRSTATUS_REG + 8 * i, regs[i]);
}

/* QEMU's segment flags are the descriptor's high dword bits 8-23. */
static void qemu_segment(uint8_t *p, const struct kvm_segment *s)
{
	uint32_t flags = (uint32_t)s->type << 8 | (uint32_t)s->s << 12 |
			 (uint32_t)s->dpl << 13 | (uint32_t)s->present << 15 |
			 (uint32_t)s->avl << 20 | (uint32_t)s->l << 21 |
			 (uint32_t)s->db << 22 | (uint32_t)s->g << 23;

	le_put32(p, s->selector);
	le_put32(p + 4, s->limit);
	le_put32(p + 8, flags);
	le_put32(p + 12, 0);
	le_put64(p + 16, s->base);
}

static void qemu_table(uint8_t *p, const struct kvm_dtable *t)
{
	memset(p, 0, QEMU_SEG_SIZE);
	le_put32(p + 4, t->limit);
	le_put64(p + 16, t->base);
}

static void qemu_state(uint8_t *d, const struct kvm_regs *r,
		       const struct kvm_sregs *s, uint64_t kernel_gs_base)
{
	const uint64_t regs[18] = {
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi,
		r->rsp, r->rbp, r->r8,	r->r9,	r->r10, r->r11,
		r->r12, r->r13, r->r14, r->r15, r->rip, r->rflags,
	};
	const struct kvm_segment *segs[8] = { &s->cs, &s->ds, &s->es,
					      &s->fs, &s->gs, &s->ss,
					      &s->ldt, &s->tr };
	const uint64_t cr[5] = { s->cr0, 0, s->cr2, s->cr3, s->cr4 };

	memset(d, 0, CORE_NOTE_QEMU_SIZE);
	le_put32(d, QEMU_VERSION);
	le_put32(d + 4, CORE_NOTE_QEMU_SIZE);
	for (int i = 0; i < 18; i++)
		le_put64(d + QEMU_REGS + 8 * i, regs[i]);
	for (int i = 0; i < 8; i++)
		qemu_segment(d + QEMU_SEGS + QEMU_SEG_SIZE * i, segs[i]);
	qemu_table(d + QEMU_SEGS + QEMU_SEG_SIZE * 8, &s->gdt);
	qemu_table(d + QEMU_SEGS + QEMU_SEG_SIZE * 9, &s->idt);
	for (int i = 0; i < 5; i++)
		le_put64(d + QEMU_CR + 8 * i, cr[i]);
	le_put64(d + QEMU_KERNEL_GS_BASE, kernel_gs_base);
}

void core_note_build(unsigned id, const struct kvm_regs *regs,
		     const struct kvm_sregs *sregs, uint64_t kernel_gs_base,
		     uint8_t *buf)
{
	uint8_t *d = note_header(buf, "CORE", CORE_NOTE_PRSTATUS_SIZE,
				 NT_PRSTATUS);

	prstatus(d, id, regs, sregs);
	d = note_header(d + CORE_NOTE_PRSTATUS_SIZE, "QEMU",
			CORE_NOTE_QEMU_SIZE, NT_QEMU);
	qemu_state(d, regs, sregs, kernel_gs_base);
}

int core_note_vcpu(int fd, unsigned id, uint8_t *buf)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msr = { .hdr.nmsrs = 1, .e.index = MSR_KERNEL_GS_BASE };
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	/* Only crash's nicety: a host that will not say leaves it 0. */
	if (ioctl(fd, KVM_GET_MSRS, &msr) != 1)
		msr.e.data = 0;
	core_note_build(id, &regs, &sregs, msr.e.data, buf);
	return 0;
}
