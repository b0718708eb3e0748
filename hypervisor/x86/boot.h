/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_BOOT_H
#define KEEL_HV_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct boot_e820_entry;

/*
 * Low guest memory as keel-hv lays it out before entering the guest in
 * 64-bit mode. All of it is e820 RAM that the guest may reuse once it
 * has read the zero page and the command line.
 *
 *   0x01000  GDT (null, null, 0x10 64-bit code, 0x18 flat data)
 *   0x07000  zero page (struct boot_params); stack grows down from here
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000-0x0efff four page directories
 *            (identity map of the first 4 GiB with 2 MiB pages)
 *   0x20000  command line (up to 64 KiB)
 *   1 MiB    flat binary, or bzImage protected-mode code (or at its
 *            pref_address when relocatable)
 *   high     initrd, page-aligned, as high as the kernel allows
 */
#define BOOT_GDT_ADDR 0x1000ULL
#define BOOT_ZERO_PAGE_ADDR 0x7000ULL
#define BOOT_STACK_TOP BOOT_ZERO_PAGE_ADDR
#define BOOT_PML4_ADDR 0x9000ULL
#define BOOT_PDPT_ADDR 0xa000ULL
#define BOOT_PD_ADDR 0xb000ULL
#define BOOT_NR_PD 4
#define BOOT_CMDLINE_ADDR 0x20000ULL
#define BOOT_CMDLINE_MAX 0x10000ULL
#define BOOT_KERNEL_ADDR 0x100000ULL

#define BOOT_SEL_CODE 0x10
#define BOOT_SEL_DATA 0x18

/* Offset of the 64-bit entry point in a bzImage's protected-mode code. */
#define BOOT_ENTRY64_OFFSET 0x200

/* Oldest boot protocol we load: 2.06 (cmdline_size). */
#define BOOT_MIN_PROTOCOL 0x0206

struct boot_config {
	const char *kernel; /* bzImage or flat binary */
	const char *initrd; /* NULL: none */
	const char *cmdline; /* not NULL */
	uint64_t acpi_rsdp; /* 0: no ACPI tables */
};

/* Where and how the boot vCPU starts (64-bit mode, paging on). */
struct boot_entry {
	uint64_t rip;
	uint64_t rsi; /* zero page */
	uint64_t rsp;
	uint64_t cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

/* What boot_parse_bzimage() learnt from a setup header. */
struct bzimage_info {
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	bool relocatable;
	uint32_t kernel_alignment;
	uint64_t pref_address; /* 0 before protocol 2.10 */
	uint32_t init_size; /* 0 before protocol 2.10 */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	size_t setup_offset; /* 0x1f1: where the header starts */
	size_t setup_len; /* bytes of header to copy into the zero page */
	size_t pm_offset; /* file offset of the protected-mode code */
	size_t pm_size;
	const char *why; /* on error: a phrase saying what is wrong */
};

/*
 * Parse the setup header of a kernel image held in [@buf, @buf + @len).
 * Returns 0, -ENOEXEC if there is no bzImage header at all (a flat
 * binary), -EINVAL for a truncated or malformed image, -ENOTSUP for a
 * protocol or kind of image we do not boot (info->why says which).
 */
int boot_parse_bzimage(const uint8_t *buf, size_t len,
		       struct bzimage_info *info);

/*
 * Fill @tbl (room for @max entries) with the e820 map of @vm's memory.
 * Returns the number of entries.
 */
unsigned boot_build_e820(const struct vm *vm, struct boot_e820_entry *tbl,
			 unsigned max);

/*
 * Load @cfg's kernel (bzImage or flat binary), initrd and command line
 * into @vm's RAM, build the zero page, GDT and identity page tables, and
 * fill @entry with the boot vCPU's starting state. Returns 0 or -errno
 * after logging a sentence that names the file and the problem.
 */
int boot_load(struct vm *vm, const struct boot_config *cfg,
	      struct boot_entry *entry);

#endif /* KEEL_HV_X86_BOOT_H */
