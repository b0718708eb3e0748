/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_KERNEL_IMAGE_H
#define KEEL_HV_X86_KERNEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/*
 * A Linux kernel as the uncompressed ELF vmlinux inside it, ready to be
 * copied to its link-time physical addresses and entered at startup_64
 * with the 64-bit boot protocol (RSI = zero page, long mode, identity
 * map), the way Firecracker boots: the guest never runs the bzImage's
 * decompressor, relocation or KASLR code.
 *
 * The vmlinux is not relocated: it runs where it was linked
 * (CONFIG_PHYSICAL_START, 16 MiB on Debian's kernels). The
 * "vmlinux.relocs" table a relocatable kernel's payload carries after the
 * ELF is ignored.
 */

#define KIMAGE_MAX_SEGMENTS 16
/* Largest vmlinux we decompress (Debian's 6.1 cloud kernel: 51 MiB). */
#define KIMAGE_MAX_VMLINUX (512ULL << 20)
/* Segments may not touch the first MiB (zero page, tables, BIOS areas). */
#define KIMAGE_MIN_PADDR 0x100000ULL
/* Zero page offset and size of the setup header (struct setup_header). */
#define KIMAGE_SETUP_OFFSET 0x1f1
#define KIMAGE_SETUP_MAX 0x7b

enum kimage_source {
	KIMAGE_FROM_BZIMAGE, /* the payload of a bzImage */
	KIMAGE_FROM_ELF, /* an ELF vmlinux given as the kernel */
};

/* One PT_LOAD program header, checked against the file and RAM bounds. */
struct kimage_segment {
	uint64_t paddr; /* where it goes in guest-physical memory */
	uint64_t vaddr; /* where the kernel sees it once paging is its own */
	uint64_t filesz; /* bytes copied from the ELF ... */
	uint64_t memsz; /* ... the rest up to memsz is zeroed */
	size_t offset; /* in kimage.elf */
};

struct kimage {
	enum kimage_source source;
	uint8_t *elf; /* owned: the vmlinux ELF file */
	size_t elf_len;
	int payload_format; /* enum decomp_format; DECOMP_UNKNOWN for ELF */

	uint64_t entry; /* guest-physical address of startup_64 */
	struct kimage_segment seg[KIMAGE_MAX_SEGMENTS];
	unsigned nr_seg;
	uint64_t load_start; /* lowest segment paddr */
	uint64_t load_end; /* end of the highest segment (paddr + memsz) */
	/*
	 * End of the memory the kernel may use while it boots: the
	 * higher of load_end and pref_address + init_size. Place the
	 * initrd (and anything else) above it.
	 */
	uint64_t mem_end;

	/*
	 * The setup header to copy into the zero page at
	 * KIMAGE_SETUP_OFFSET, as the boot protocol requires: the
	 * bzImage's own, or for a bare ELF one made of defaults
	 * ("HdrS", protocol 2.15, 64-bit entry, COMMAND_LINE_SIZE 2048).
	 */
	uint8_t setup[KIMAGE_SETUP_MAX];
	size_t setup_len;
	uint16_t version; /* boot protocol, e.g. 0x020f */
	uint32_t kernel_alignment;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t initrd_addr_max; /* highest byte an initrd may occupy */
	uint32_t cmdline_size; /* longest command line, without its NUL */

	const char *why; /* on a parse error: a phrase saying what is wrong */
};

/*
 * Parse a bzImage held in [@buf, @buf + @len): its setup header ("HdrS",
 * protocol >= 2.08), then its payload at (setup_sects + 1) * 512 +
 * payload_offset, decompressed on the host into the ELF vmlinux, which
 * is then checked as kimage_parse_elf() does. On success returns 0 with
 * *@img filled (release with kimage_dispose()); @buf is not kept.
 * Errors (img->why says what is wrong): -ENOEXEC not a bzImage, -ENOTSUP
 * a protocol or compressor we do not handle, -EINVAL malformed or
 * corrupt, -EFBIG a vmlinux larger than KIMAGE_MAX_VMLINUX, -ENOMEM.
 */
int kimage_parse_bzimage(const uint8_t *buf, size_t len, struct kimage *img);

/*
 * Parse an ELF64 x86-64 vmlinux held in [@buf, @buf + @len) (copied; @buf
 * is not kept) and make its setup header from defaults. PT_LOAD segments
 * must lie within the file, above KIMAGE_MIN_PADDR, below 4 GiB, not
 * overlap, and one must hold the entry point (ELF e_entry is physical in
 * Linux's vmlinux; a virtual one is converted through its segment).
 * Returns 0 or -errno as kimage_parse_bzimage().
 */
int kimage_parse_elf(const uint8_t *buf, size_t len, struct kimage *img);

/*
 * Either of the above, by the magic at the start of @buf. -ENOEXEC when
 * it is neither a bzImage nor an ELF file (a flat binary, say).
 */
int kimage_parse(const uint8_t *buf, size_t len, struct kimage *img);

/*
 * Copy @img's segments into @vm's RAM at their physical addresses and
 * zero each one's p_memsz - p_filesz tail. Returns 0, or -ENOMEM if a
 * segment (or mem_end) is not guest RAM: the VM is too small.
 */
int kimage_load(const struct kimage *img, struct vm *vm);

/* Release what kimage_parse*() allocated. Idempotent; accepts NULL. */
void kimage_dispose(struct kimage *img);

#endif /* KEEL_HV_X86_KERNEL_IMAGE_H */
