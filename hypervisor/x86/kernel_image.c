// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vmlinux inside a bzImage, unpacked on the host. A bzImage's
 * protected-mode code is a small decompressor followed by its payload:
 * the ELF vmlinux (objcopy -S'd), with a relocatable kernel's relocation
 * table after it, compressed, and followed by its uncompressed length as
 * a le32 (for gzip that is the member's own ISIZE; the other compressors
 * get it appended). Booting that ELF directly skips the guest's
 * decompression, which on kvm_pvm costs far more than on the host.
 *
 * Facts from Documentation/x86/boot.rst (payload_offset, payload_length
 * since protocol 2.08) and the ELF-64 specification. Everything here is
 * untrusted input: every offset is checked against the buffer.
 */
#include "config.h"

#include <asm/bootparam.h>
#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "decompress.h"
#include "le.h"
#include "vm.h"
#include "x86/boot.h"
#include "x86/kernel_image.h"

#define HDR_BOOT_FLAG 0x1fe
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_LOADFLAGS 0x211
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PAYLOAD_OFFSET 0x248
#define HDR_PAYLOAD_LENGTH 0x24c
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define HDR_PAYLOAD_PROTOCOL 0x0208 /* first with payload_offset */

/* What a bare vmlinux gets in its made-up setup header. */
#define KIMAGE_ELF_PROTOCOL 0x020f
#define KIMAGE_ELF_ALIGN 0x200000U /* CONFIG_PHYSICAL_ALIGN's default */
#define KIMAGE_ELF_INITRD_MAX 0x7fffffffU /* x86-64's own default */
#define KIMAGE_ELF_CMDLINE 2047U /* COMMAND_LINE_SIZE 2048, less NUL */

/* The identity map that boot.c gives the 64-bit entry covers 4 GiB. */
#define KIMAGE_MAX_PADDR (4ULL << 30)

static_assert(sizeof(struct setup_header) == KIMAGE_SETUP_MAX,
	      "KIMAGE_SETUP_MAX is the size of the setup header");

static int kimage_bad(struct kimage *img, int rc, const char *why)
{
	img->why = why;
	return rc;
}

static bool kimage_overlap(const struct kimage_segment *a,
			   const struct kimage_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

/* Record one PT_LOAD header after checking it against the file. */
static int kimage_add_segment(struct kimage *img, const Elf64_Phdr *ph)
{
	struct kimage_segment *s;

	if (ph->p_memsz == 0)
		return 0;
	if (img->nr_seg == KIMAGE_MAX_SEGMENTS)
		return kimage_bad(img, -EINVAL, "too many PT_LOAD segments");
	if (ph->p_filesz > ph->p_memsz)
		return kimage_bad(img, -EINVAL,
				  "a segment's file size exceeds its memory size");
	if (ph->p_offset > img->elf_len ||
	    ph->p_filesz > img->elf_len - ph->p_offset)
		return kimage_bad(img, -EINVAL,
				  "a segment lies beyond the end of the file");
	if (ph->p_paddr < KIMAGE_MIN_PADDR)
		return kimage_bad(img, -EINVAL,
				  "a segment overlaps the first MiB of memory");
	if (ph->p_paddr > KIMAGE_MAX_PADDR ||
	    ph->p_memsz > KIMAGE_MAX_PADDR - ph->p_paddr)
		return kimage_bad(img, -EINVAL,
				  "a segment lies above 4 GiB");
	s = &img->seg[img->nr_seg];
	s->paddr = ph->p_paddr;
	s->vaddr = ph->p_vaddr;
	s->filesz = ph->p_filesz;
	s->memsz = ph->p_memsz;
	s->offset = (size_t)ph->p_offset;
	for (unsigned i = 0; i < img->nr_seg; i++)
		if (kimage_overlap(&img->seg[i], s))
			return kimage_bad(img, -EINVAL,
					  "two segments overlap");
	img->nr_seg++;
	return 0;
}

/*
 * The physical address of @entry. Linux links its ELF entry as the
 * physical address of startup_64 (ENTRY(phys_startup_64)); an ELF whose
 * entry is a virtual address gets it translated through the segment
 * that holds it. Either way it must be code loaded from the file.
 */
static int kimage_find_entry(struct kimage *img, uint64_t entry)
{
	for (unsigned i = 0; i < img->nr_seg; i++) {
		const struct kimage_segment *s = &img->seg[i];

		if (entry >= s->paddr && entry - s->paddr < s->filesz) {
			img->entry = entry;
			return 0;
		}
	}
	for (unsigned i = 0; i < img->nr_seg; i++) {
		const struct kimage_segment *s = &img->seg[i];

		if (entry >= s->vaddr && entry - s->vaddr < s->filesz) {
			img->entry = s->paddr + (entry - s->vaddr);
			return 0;
		}
	}
	return kimage_bad(img, -EINVAL,
			  "the entry point is in no segment loaded from the file");
}

/* Check the ELF in img->elf and fill in its segments and entry. */
static int kimage_check_elf(struct kimage *img)
{
	const uint8_t *elf = img->elf;
	Elf64_Ehdr eh;
	uint64_t ph_end;
	int rc;

	if (img->elf_len < sizeof(eh) || memcmp(elf, ELFMAG, SELFMAG))
		return kimage_bad(img, -EINVAL, "not an ELF file");
	memcpy(&eh, elf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return kimage_bad(img, -ENOTSUP,
				  "not a 64-bit little-endian ELF file");
	if (eh.e_machine != EM_X86_64)
		return kimage_bad(img, -ENOTSUP, "not an x86-64 ELF file");
	if (eh.e_type != ET_EXEC)
		return kimage_bad(img, -ENOTSUP, "not an ELF executable");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum == PN_XNUM)
		return kimage_bad(img, -EINVAL,
				  "malformed ELF program header table");
	ph_end = eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (eh.e_phoff > img->elf_len || ph_end < eh.e_phoff ||
	    ph_end > img->elf_len)
		return kimage_bad(img, -EINVAL,
				  "ELF program headers lie beyond the end of the file");

	img->nr_seg = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		rc = kimage_add_segment(img, &ph);
		if (rc)
			return rc;
	}
	if (img->nr_seg == 0)
		return kimage_bad(img, -EINVAL, "no loadable ELF segment");

	img->load_start = UINT64_MAX;
	img->load_end = 0;
	for (unsigned i = 0; i < img->nr_seg; i++) {
		const struct kimage_segment *s = &img->seg[i];

		if (s->paddr < img->load_start)
			img->load_start = s->paddr;
		if (s->paddr + s->memsz > img->load_end)
			img->load_end = s->paddr + s->memsz;
	}
	return kimage_find_entry(img, eh.e_entry);
}

/* Where the kernel's boot-time footprint ends (see struct kimage). */
static void kimage_set_mem_end(struct kimage *img)
{
	uint64_t init_end = img->pref_address + img->init_size;

	img->mem_end = img->load_end;
	if (img->pref_address >= img->load_start && init_end > img->mem_end)
		img->mem_end = init_end;
}

int kimage_parse_bzimage(const uint8_t *buf, size_t len, struct kimage *img)
{
	struct bzimage_info info;
	const uint8_t *payload;
	uint32_t poff, plen, vmlinux_len;
	size_t in_len;
	int rc;

	memset(img, 0, sizeof(*img));
	img->source = KIMAGE_FROM_BZIMAGE;
	rc = boot_parse_bzimage(buf, len, &info);
	if (rc)
		return kimage_bad(img, rc, info.why);
	if (info.version < HDR_PAYLOAD_PROTOCOL)
		return kimage_bad(img, -ENOTSUP,
				  "boot protocol older than 2.08 (no payload fields)");
	/* boot_parse_bzimage() saw the header through init_size. */
	poff = le_get32(buf + HDR_PAYLOAD_OFFSET);
	plen = le_get32(buf + HDR_PAYLOAD_LENGTH);
	if (poff > info.pm_size || plen > info.pm_size - poff || plen < 4)
		return kimage_bad(img, -EINVAL,
				  "the payload lies outside the image");
	payload = buf + info.pm_offset + poff;
	img->payload_format = decompress_detect(payload, plen);
	if (img->payload_format == DECOMP_UNKNOWN ||
	    img->payload_format == DECOMP_BZIP2)
		return kimage_bad(img, -ENOTSUP,
				  "the payload's compression is not one we decode");

	vmlinux_len = le_get32(payload + plen - 4);
	if (vmlinux_len > KIMAGE_MAX_VMLINUX)
		return kimage_bad(img, -EFBIG, "the vmlinux is too large");
	/* For gzip the length is the member's own ISIZE; else appended. */
	in_len = img->payload_format == DECOMP_GZIP ? plen : plen - 4;
	rc = decompress_buf(payload, in_len, &img->elf, &img->elf_len,
			    vmlinux_len);
	if (rc == -EFBIG || (!rc && img->elf_len != vmlinux_len))
		rc = kimage_bad(img, -EINVAL,
				"the payload does not decompress to its stated size");
	else if (rc == -ENOMEM)
		rc = kimage_bad(img, rc, "out of memory decompressing it");
	else if (rc)
		rc = kimage_bad(img, rc, "the payload is corrupt");
	if (!rc)
		rc = kimage_check_elf(img);
	if (rc) {
		kimage_dispose(img);
		return rc;
	}

	memcpy(img->setup, buf + info.setup_offset, info.setup_len);
	img->setup_len = info.setup_len;
	img->version = info.version;
	img->kernel_alignment = info.kernel_alignment;
	img->pref_address = info.pref_address;
	img->init_size = info.init_size;
	img->initrd_addr_max = info.initrd_addr_max;
	img->cmdline_size = info.cmdline_size;
	kimage_set_mem_end(img);
	return 0;
}

/* Setup header field @off (a zero-page offset) in img->setup. */
static uint8_t *kimage_hdr(struct kimage *img, size_t off)
{
	return img->setup + (off - KIMAGE_SETUP_OFFSET);
}

/* A setup header for a kernel that came without one: boot.rst's rules. */
static void kimage_default_setup(struct kimage *img)
{
	memset(img->setup, 0, sizeof(img->setup));
	img->setup_len = sizeof(img->setup);
	img->version = KIMAGE_ELF_PROTOCOL;
	img->kernel_alignment = KIMAGE_ELF_ALIGN;
	img->pref_address = img->load_start;
	img->init_size = (uint32_t)(img->load_end - img->load_start);
	img->initrd_addr_max = KIMAGE_ELF_INITRD_MAX;
	img->cmdline_size = KIMAGE_ELF_CMDLINE;

	le_put16(kimage_hdr(img, HDR_BOOT_FLAG), 0xaa55);
	memcpy(kimage_hdr(img, HDR_MAGIC), "HdrS", 4);
	le_put16(kimage_hdr(img, HDR_VERSION), img->version);
	*kimage_hdr(img, HDR_LOADFLAGS) = 0x01; /* LOADED_HIGH */
	le_put32(kimage_hdr(img, HDR_INITRD_ADDR_MAX), img->initrd_addr_max);
	le_put32(kimage_hdr(img, HDR_KERNEL_ALIGNMENT), img->kernel_alignment);
	le_put16(kimage_hdr(img, HDR_XLOADFLAGS), 0x01); /* XLF_KERNEL_64 */
	le_put32(kimage_hdr(img, HDR_CMDLINE_SIZE), img->cmdline_size);
	le_put64(kimage_hdr(img, HDR_PREF_ADDRESS), img->pref_address);
	le_put32(kimage_hdr(img, HDR_INIT_SIZE), img->init_size);
}

int kimage_parse_elf(const uint8_t *buf, size_t len, struct kimage *img)
{
	int rc;

	memset(img, 0, sizeof(*img));
	img->source = KIMAGE_FROM_ELF;
	if (len > KIMAGE_MAX_VMLINUX)
		return kimage_bad(img, -EFBIG, "the vmlinux is too large");
	img->elf = malloc(len ? len : 1);
	if (!img->elf)
		return kimage_bad(img, -ENOMEM, "out of memory");
	memcpy(img->elf, buf, len);
	img->elf_len = len;
	rc = kimage_check_elf(img);
	if (rc) {
		kimage_dispose(img);
		return rc;
	}
	kimage_default_setup(img);
	kimage_set_mem_end(img);
	return 0;
}

int kimage_parse(const uint8_t *buf, size_t len, struct kimage *img)
{
	if (len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		return kimage_parse_elf(buf, len, img);
	return kimage_parse_bzimage(buf, len, img);
}

int kimage_load(const struct kimage *img, struct vm *vm)
{
	if (!vm_gpa_to_hva(vm, img->load_start, img->mem_end - img->load_start))
		return -ENOMEM;
	for (unsigned i = 0; i < img->nr_seg; i++) {
		const struct kimage_segment *s = &img->seg[i];
		uint8_t *dst = vm_gpa_to_hva(vm, s->paddr, s->memsz);

		if (!dst)
			return -ENOMEM;
		memcpy(dst, img->elf + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

void kimage_dispose(struct kimage *img)
{
	if (!img)
		return;
	free(img->elf);
	img->elf = NULL;
	img->elf_len = 0;
	img->nr_seg = 0;
}
