/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_CORE_NOTE_H
#define KEEL_HV_X86_CORE_NOTE_H

#include <stdint.h>

struct kvm_regs;
struct kvm_sregs;

/*
 * What an x86-64 core file says about one vCPU (dump_core.c writes the
 * file): an NT_PRSTATUS note named "CORE", the layout of Linux's
 * struct elf_prstatus, which readelf, gdb and crash read, and the
 * "QEMU" note QEMU's dump-guest-memory writes (QEMUCPUState, version
 * 1: segments, control registers, KERNEL_GS_BASE), from which crash
 * takes CR3 to walk page tables. Both are spelled byte by byte, little
 * endian, never as a C struct.
 */
#define CORE_NOTE_PRSTATUS_SIZE 336 /* sizeof(struct elf_prstatus) */
#define CORE_NOTE_QEMU_SIZE 480	    /* sizeof(QEMUCPUState) */
/* Both notes, with their headers and names: 12 + 8 + desc each. */
#define CORE_NOTE_VCPU_SIZE (2 * 20 + CORE_NOTE_PRSTATUS_SIZE + \
			     CORE_NOTE_QEMU_SIZE)
#define CORE_NOTE_MACHINE 62	/* EM_X86_64 */

/*
 * Write vCPU @id's two notes, from its registers, into @buf
 * (CORE_NOTE_VCPU_SIZE bytes). @kernel_gs_base: the MSR's value (0 if
 * unknown). The pid in NT_PRSTATUS is @id + 1, as QEMU writes it.
 */
void core_note_build(unsigned id, const struct kvm_regs *regs,
		     const struct kvm_sregs *sregs, uint64_t kernel_gs_base,
		     uint8_t *buf);

/*
 * The same from the vCPU whose KVM fd is @fd, which must not be in
 * KVM_RUN (paused, or its thread joined). Returns 0 or -errno.
 */
int core_note_vcpu(int fd, unsigned id, uint8_t *buf);

#endif /* KEEL_HV_X86_CORE_NOTE_H */
