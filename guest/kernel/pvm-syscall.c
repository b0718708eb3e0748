/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * keel guest kernel: inserted by guest/kernel/build.sh into
 * arch/x86/mm/fault.c, just before exc_page_fault(), which calls it
 * first thing.
 *
 * On kvm_pvm hosts a SYSCALL from user space reaches the guest half
 * done: the hypervisor loads RCX (return address), R11 (RFLAGS), masks
 * RFLAGS with SFMASK and jumps to LSTAR, but leaves the vCPU in user
 * mode, so the first instruction fetch at entry_SYSCALL_64 faults as a
 * user-mode access to a supervisor page (docs/boot-performance.md in
 * keel). The exception frame then holds everything the system call
 * needs -- user RSP, CS and SS as they were, RCX and R11 as SYSCALL left
 * them -- so finish the job here and return to user space through the
 * exception exit path (IRET) instead of SYSRET.
 *
 * On hardware that completes SYSCALL itself this can only be reached by
 * a user jump to entry_SYSCALL_64, which then behaves like a system call
 * made with RCX and R11 as the return address and flags: nothing a user
 * could not do with SYSCALL.
 */
#include <asm/proto.h>
#include <asm/syscall.h>

static __always_inline bool keel_pvm_syscall(struct pt_regs *regs,
					     unsigned long error_code,
					     unsigned long address)
{
	const unsigned long want = X86_PF_USER | X86_PF_INSTR;

	if ((error_code & want) != want || !user_mode(regs) ||
	    address != (unsigned long)entry_SYSCALL_64 || regs->ip != address)
		return false;

	regs->ip = regs->cx;
	regs->flags = (regs->r11 | X86_EFLAGS_IF | X86_EFLAGS_FIXED) &
		      ~(X86_EFLAGS_RF | X86_EFLAGS_NT | X86_EFLAGS_IOPL |
			X86_EFLAGS_VM);
	regs->orig_ax = regs->ax;
	regs->ax = -ENOSYS;
	do_syscall_64(regs, (int)regs->orig_ax);
	return true;
}

