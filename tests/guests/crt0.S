/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Entry of the in-tree test guests (docs/guest.md, "Test guests").
 * keel-hv enters _start at 1 MiB in 64-bit mode, interrupts off, paging
 * on (identity), %rsi pointing at a Linux zero page, no stack.
 *
 * Before anything else can overwrite it, copy the zero page's e820 table
 * and the command line it points at into .data (inside the image, so
 * the hypervisor cannot have put the zero page there). Then move onto our own stack, GDT and an empty IDT
 * (any exception is a triple fault), zero .bss, let machine_init() make
 * our own page tables, and drop to ring 3 with IOPL 3 to run the guest:
 * nothing the hypervisor placed in memory is used after that.
 *
 * Why ring 3: on kvm_pvm hosts (docs/guest.md) guest ring-0 code runs
 * about a thousand times slower than ring-3 code, and ring 3 with IOPL 3
 * can still do all the port I/O the guests need. On any other KVM the
 * two run alike.
 */
#define ZP_CMD_LINE_PTR	0x228	/* u32 */
#define ZP_E820_ENTRIES	0x1e8	/* u8 */
#define ZP_E820_TABLE	0x2d0	/* 20-byte entries */
#define E820_ENTRY_SIZE	20
#define E820_MAX	128	/* what fits in the zero page; as in guest.h */
#define CMDLINE_MAX	256	/* as in guest.h, with its NUL */
#define STACK_SIZE	16384
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_UDATA	0x1b	/* 0x18 | RPL 3 */
#define SEL_UCODE	0x23	/* 0x20 | RPL 3 */
#define RFLAGS_USER	0x3002	/* IOPL 3, IF off, bit 1 reserved */

	.code64
	.section .text.entry, "ax"
	.globl _start
_start:
	cli
	cld
	/* The command line, cut at CMDLINE_MAX - 1 bytes; none: empty. */
	movl	ZP_CMD_LINE_PTR(%rsi), %edx
	leaq	boot_cmdline(%rip), %rdi
	movl	$CMDLINE_MAX - 1, %ecx
	testl	%edx, %edx
	jz	4f
3:	movb	(%rdx), %al
	testb	%al, %al
	jz	4f
	movb	%al, (%rdi)
	incq	%rdi
	incq	%rdx
	decl	%ecx
	jnz	3b
4:	movb	$0, (%rdi)

	movzbl	ZP_E820_ENTRIES(%rsi), %ecx
	cmpl	$E820_MAX, %ecx
	jbe	1f
	movl	$E820_MAX, %ecx
1:	movl	%ecx, boot_e820_nr(%rip)
	imull	$E820_ENTRY_SIZE, %ecx, %ecx
	leaq	ZP_E820_TABLE(%rsi), %rsi
	leaq	boot_e820(%rip), %rdi
	rep movsb

	leaq	stack_top(%rip), %rsp
	lgdt	gdt_desc(%rip)
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	leaq	2f(%rip), %rax
	pushq	$SEL_CODE
	pushq	%rax
	lretq
2:	lidt	idt_desc(%rip)
	/* Nothing lives on the stack yet: zeroing it with .bss is fine. */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb

	leaq	stack_top(%rip), %rsp
	xorl	%ebp, %ebp
	call	machine_init

	/* As if guest_start had been called: %rsp + 8 is 16-byte aligned. */
	leaq	stack_top-8(%rip), %rax
	pushq	$SEL_UDATA
	pushq	%rax
	pushq	$RFLAGS_USER
	pushq	$SEL_UCODE
	leaq	guest_start(%rip), %rax
	pushq	%rax
	iretq

	.data
	.balign 8
	.globl boot_e820, boot_e820_nr, boot_cmdline
boot_e820:
	.fill	E820_MAX * E820_ENTRY_SIZE, 1, 0
boot_e820_nr:
	.long	0
boot_cmdline:
	.fill	CMDLINE_MAX, 1, 0

	.balign 8
gdt:
	.quad	0			/* null */
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code, DPL 0 */
	.quad	0x00cf92000000ffff	/* 0x10: data, DPL 0 */
	.quad	0x00cff2000000ffff	/* 0x18: data, DPL 3 */
	.quad	0x00affa000000ffff	/* 0x20: 64-bit code, DPL 3 */
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt
idt_desc:
	.word	0
	.quad	0

	.bss
	.balign 16
stack:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
