// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hypervisor/x86/kernel_image.c: the vmlinux inside synthetic bzImages
 * (a setup header and a compressed minimal ELF, built here), bare ELF
 * kernels, loading into guest RAM, and every way the image can be wrong.
 * With KEEL_GUEST_VMLINUZ (or a built guest/out/vmlinuz) set, also the
 * real Debian kernel.
 */
#include "config.h"

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "le.h"
#include "runner.h"
#include "vm.h"
#include "x86/kernel_image.h"

#define SETUP_SECTS 4
#define PM_OFFSET ((SETUP_SECTS + 1) * 512)
#define STUB_LEN 0x300 /* "decompressor" code before the payload */
#define PREF 0x1000000ULL
#define INIT_SIZE 0x800000U
#define TEXT_PADDR 0x1000000ULL
#define TEXT_VADDR 0xffffffff81000000ULL
#define TEXT_SIZE 0x1800
#define DATA_PADDR 0x1200000ULL
#define DATA_FILESZ 0x100
#define DATA_MEMSZ 0x3000
#define RELOCS_LEN 0x400 /* what a relocatable kernel appends to its ELF */
#define RAM (64ULL << 20)

static const char *vmlinuz_path;

/*
 * A minimal vmlinux: text (entry at its start), data with a bss tail, a
 * PT_NOTE that must be ignored, and relocations after the ELF proper.
 */
static uint8_t *make_elf(size_t *len)
{
	const size_t text_off = 0x1000, data_off = text_off + TEXT_SIZE;
	size_t n = data_off + DATA_FILESZ + RELOCS_LEN;
	uint8_t *b = calloc(1, n);
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph[3] = { { 0 } };

	ck_assert_ptr_nonnull(b);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = TEXT_PADDR; /* physical, as Linux links it */
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			      .p_offset = text_off, .p_vaddr = TEXT_VADDR,
			      .p_paddr = TEXT_PADDR, .p_filesz = TEXT_SIZE,
			      .p_memsz = TEXT_SIZE, .p_align = 0x200000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = text_off,
			      .p_vaddr = TEXT_VADDR, .p_paddr = 0x1000,
			      .p_filesz = 0x10, .p_memsz = 0x10 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
			      .p_offset = data_off,
			      .p_vaddr = TEXT_VADDR + 0x200000,
			      .p_paddr = DATA_PADDR, .p_filesz = DATA_FILESZ,
			      .p_memsz = DATA_MEMSZ, .p_align = 0x200000 };
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), ph, sizeof(ph));
	for (size_t i = text_off; i < n; i++)
		b[i] = (uint8_t)(i * 13 + 5);
	*len = n;
	return b;
}

static Elf64_Ehdr *ehdr(uint8_t *elf)
{
	return (Elf64_Ehdr *)elf;
}

static Elf64_Phdr *phdr(uint8_t *elf, unsigned i)
{
	return (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr)) + i;
}

static size_t gz_compress(uint8_t *dst, size_t cap, const uint8_t *in,
			  size_t len)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = dst;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

/* `lz4 -l` output for a small input (one block), as Linux uses it. */
static size_t lz4_compress(uint8_t *dst, size_t cap, const uint8_t *in,
			   size_t len)
{
	int n = LZ4_compress_default((const char *)in, (char *)dst + 8,
				     (int)len, (int)cap - 8);

	ck_assert_int_gt(n, 0);
	le_put32(dst, 0x184c2102);
	le_put32(dst + 4, (uint32_t)n);
	return (size_t)n + 8;
}

static size_t zstd_compress(uint8_t *dst, size_t cap, const uint8_t *in,
			    size_t len)
{
	size_t n = ZSTD_compress(dst, cap, in, len, 19);

	ck_assert(!ZSTD_isError(n));
	return n;
}

enum { GZ, LZ4, ZSTD, NR_CODECS };

/*
 * A bzImage around @elf: setup sectors with a protocol-@version header,
 * a stub, then the payload compressed with @codec and, unless gzip,
 * followed by the le32 vmlinux size as Linux's build appends it.
 */
static uint8_t *make_bzimage(const uint8_t *elf, size_t elf_len,
			     int codec, uint16_t version, size_t *len)
{
	size_t cap = PM_OFFSET + STUB_LEN + elf_len * 2 + 1024, plen;
	uint8_t *b = calloc(1, cap), *payload;

	ck_assert_ptr_nonnull(b);
	payload = b + PM_OFFSET + STUB_LEN;
	if (codec == GZ)
		plen = gz_compress(payload, cap - (size_t)(payload - b), elf,
				   elf_len);
	else if (codec == LZ4)
		plen = lz4_compress(payload, cap - (size_t)(payload - b) - 4,
				    elf, elf_len);
	else
		plen = zstd_compress(payload, cap - (size_t)(payload - b) - 4,
				     elf, elf_len);
	if (codec != GZ) {
		le_put32(payload + plen, (uint32_t)elf_len);
		plen += 4;
	}
	memset(b + PM_OFFSET, 0x90, STUB_LEN);

	b[0x1f1] = SETUP_SECTS;
	le_put32(b + 0x1f4, (uint32_t)((STUB_LEN + plen + 15) / 16));
	le_put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(b + 0x202, "HdrS", 4);
	le_put16(b + 0x206, version);
	b[0x211] = 0x01; /* LOADED_HIGH */
	le_put32(b + 0x22c, 0x7fffffff);
	le_put32(b + 0x230, 0x200000);
	b[0x234] = 1;
	le_put16(b + 0x236, 0x01); /* XLF_KERNEL_64 */
	le_put32(b + 0x238, 2047);
	le_put32(b + 0x248, STUB_LEN);
	le_put32(b + 0x24c, (uint32_t)plen);
	le_put64(b + 0x258, PREF);
	le_put32(b + 0x260, INIT_SIZE);
	*len = PM_OFFSET + STUB_LEN + plen + 16; /* a little slack */
	return b;
}

static void check_synthetic(const struct kimage *img, const uint8_t *elf,
			    size_t elf_len)
{
	ck_assert_uint_eq(img->elf_len, elf_len);
	ck_assert(!memcmp(img->elf, elf, elf_len));
	ck_assert_uint_eq(img->entry, TEXT_PADDR);
	ck_assert_uint_eq(img->nr_seg, 2);
	ck_assert_uint_eq(img->seg[0].paddr, TEXT_PADDR);
	ck_assert_uint_eq(img->seg[0].vaddr, TEXT_VADDR);
	ck_assert_uint_eq(img->seg[0].filesz, TEXT_SIZE);
	ck_assert_uint_eq(img->seg[1].paddr, DATA_PADDR);
	ck_assert_uint_eq(img->seg[1].filesz, DATA_FILESZ);
	ck_assert_uint_eq(img->seg[1].memsz, DATA_MEMSZ);
	ck_assert_uint_eq(img->load_start, TEXT_PADDR);
	ck_assert_uint_eq(img->load_end, DATA_PADDR + DATA_MEMSZ);
}

/* bzImage parsing */

START_TEST(test_bzimage_codecs)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, _i, 0x020f, &len);
	struct kimage img;

	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), 0);
	ck_assert_int_eq(img.source, KIMAGE_FROM_BZIMAGE);
	ck_assert_int_eq(img.payload_format,
			 _i == GZ ? DECOMP_GZIP :
			 _i == LZ4 ? DECOMP_LZ4_LEGACY : DECOMP_ZSTD);
	check_synthetic(&img, elf, elf_len);
	/* The setup header is the image's own, from 0x1f1 to 0x268. */
	ck_assert_uint_eq(img.setup_len, 0x268 - KIMAGE_SETUP_OFFSET);
	ck_assert(!memcmp(img.setup, bz + KIMAGE_SETUP_OFFSET, img.setup_len));
	ck_assert_uint_eq(img.version, 0x020f);
	ck_assert_uint_eq(img.pref_address, PREF);
	ck_assert_uint_eq(img.init_size, INIT_SIZE);
	ck_assert_uint_eq(img.kernel_alignment, 0x200000);
	ck_assert_uint_eq(img.cmdline_size, 2047);
	/* init_size from pref_address reaches beyond the segments */
	ck_assert_uint_eq(img.mem_end, PREF + INIT_SIZE);
	kimage_dispose(&img);
	kimage_dispose(&img);
	/* kimage_parse() tells a bzImage by its header */
	ck_assert_int_eq(kimage_parse(bz, len, &img), 0);
	ck_assert_int_eq(img.source, KIMAGE_FROM_BZIMAGE);
	kimage_dispose(&img);
	free(bz);
	free(elf);
}
END_TEST

START_TEST(test_bzimage_bad_header)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, GZ, 0x020f, &len);
	struct kimage img;

	bz[0x202] = 'X';
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -ENOEXEC);
	ck_assert_ptr_nonnull(img.why);
	ck_assert_int_eq(kimage_parse(bz, len, &img), -ENOEXEC);
	ck_assert_ptr_null(img.elf);
	bz[0x202] = 'H';
	ck_assert_int_eq(kimage_parse_bzimage(bz, 0x100, &img), -ENOEXEC);
	ck_assert_int_eq(kimage_parse_bzimage(bz, 0x240, &img), -EINVAL);
	free(bz);

	/* 2.07 has no payload fields; boot.c would take it, we do not */
	bz = make_bzimage(elf, elf_len, GZ, 0x0207, &len);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(img.why, "2.08"));
	free(bz);
	free(elf);
}
END_TEST

START_TEST(test_bzimage_payload_bounds)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, LZ4, 0x020f, &len);
	uint32_t plen = le_get32(bz + 0x24c);
	struct kimage img;

	/* longer than what follows the setup code */
	le_put32(bz + 0x24c, (uint32_t)(len - PM_OFFSET - STUB_LEN + 1));
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	ck_assert_ptr_nonnull(strstr(img.why, "outside"));
	/* offset and length that wrap around */
	le_put32(bz + 0x248, 0xfffffff0);
	le_put32(bz + 0x24c, 0x20);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	/* shorter than its size trailer */
	le_put32(bz + 0x248, STUB_LEN);
	le_put32(bz + 0x24c, 3);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	/* pointing at the stub: no compression we know */
	le_put32(bz + 0x248, 0);
	le_put32(bz + 0x24c, plen);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -ENOTSUP);
	ck_assert_ptr_null(img.elf);
	free(bz);
	free(elf);
}
END_TEST

START_TEST(test_bzimage_bad_payload)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, LZ4, 0x020f, &len);
	uint8_t *payload = bz + PM_OFFSET + STUB_LEN;
	uint32_t plen = le_get32(bz + 0x24c);
	struct kimage img;

	/* the size trailer says more than the payload holds */
	le_put32(payload + plen - 4, (uint32_t)elf_len + 1);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	ck_assert_ptr_nonnull(strstr(img.why, "size"));
	/* ... or less */
	le_put32(payload + plen - 4, (uint32_t)elf_len - 1);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	/* ... or more than we will ever decompress */
	le_put32(payload + plen - 4, 0xfffffff0);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EFBIG);
	free(bz);

	/* a corrupt gzip payload: its CRC does not match */
	bz = make_bzimage(elf, elf_len, GZ, 0x020f, &len);
	payload = bz + PM_OFFSET + STUB_LEN;
	plen = le_get32(bz + 0x24c);
	payload[plen / 2] ^= 0xff;
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	ck_assert_ptr_null(img.elf);
	free(bz);

	/* a payload that is not an ELF file */
	memset(elf, 'x', 64);
	bz = make_bzimage(elf, elf_len, ZSTD, 0x020f, &len);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), -EINVAL);
	ck_assert_ptr_nonnull(strstr(img.why, "ELF"));
	free(bz);
	free(elf);
}
END_TEST

/* ELF checks, through bzImages and directly */

/* Parse @elf both bare and wrapped in a bzImage; both must give @rc. */
static void expect_elf(uint8_t *elf, size_t elf_len, int rc, const char *why)
{
	struct kimage img;
	size_t len;
	uint8_t *bz = make_bzimage(elf, elf_len, GZ, 0x020f, &len);

	ck_assert_int_eq(kimage_parse_elf(elf, elf_len, &img), rc);
	if (rc)
		ck_assert_msg(strstr(img.why, why), "why: %s", img.why);
	kimage_dispose(&img);
	ck_assert_int_eq(kimage_parse_bzimage(bz, len, &img), rc);
	if (rc)
		ck_assert_msg(strstr(img.why, why), "why: %s", img.why);
	kimage_dispose(&img);
	free(bz);
}

START_TEST(test_elf_bad_headers)
{
	size_t len;
	uint8_t *elf = make_elf(&len);

	expect_elf(elf, len, 0, NULL);
	ehdr(elf)->e_machine = EM_386;
	expect_elf(elf, len, -ENOTSUP, "x86-64");
	ehdr(elf)->e_machine = EM_X86_64;
	elf[EI_CLASS] = ELFCLASS32;
	expect_elf(elf, len, -ENOTSUP, "64-bit");
	elf[EI_CLASS] = ELFCLASS64;
	ehdr(elf)->e_type = ET_REL;
	expect_elf(elf, len, -ENOTSUP, "executable");
	ehdr(elf)->e_type = ET_EXEC;
	ehdr(elf)->e_phentsize = 32;
	expect_elf(elf, len, -EINVAL, "program header");
	ehdr(elf)->e_phentsize = sizeof(Elf64_Phdr);
	ehdr(elf)->e_phoff = len - 100;
	expect_elf(elf, len, -EINVAL, "beyond the end");
	ehdr(elf)->e_phoff = UINT64_MAX - 8;
	expect_elf(elf, len, -EINVAL, "beyond the end");
	ehdr(elf)->e_phoff = sizeof(Elf64_Ehdr);
	expect_elf(elf, 40, -EINVAL, "not an ELF");
	free(elf);
}
END_TEST

START_TEST(test_elf_bad_segments)
{
	size_t len;
	uint8_t *elf = make_elf(&len);

	/* file bytes past the end of the file */
	phdr(elf, 2)->p_filesz = len;
	expect_elf(elf, len, -EINVAL, "beyond the end");
	phdr(elf, 2)->p_filesz = DATA_FILESZ;
	phdr(elf, 2)->p_offset = UINT64_MAX - 4;
	expect_elf(elf, len, -EINVAL, "beyond the end");
	phdr(elf, 2)->p_offset = 0x1000 + TEXT_SIZE;
	/* file size larger than memory size */
	phdr(elf, 2)->p_memsz = DATA_FILESZ - 1;
	expect_elf(elf, len, -EINVAL, "memory size");
	phdr(elf, 2)->p_memsz = DATA_MEMSZ;
	/* in the first MiB */
	phdr(elf, 2)->p_paddr = 0xf0000;
	expect_elf(elf, len, -EINVAL, "first MiB");
	/* overlapping the text */
	phdr(elf, 2)->p_paddr = TEXT_PADDR + TEXT_SIZE - 1;
	expect_elf(elf, len, -EINVAL, "overlap");
	/* above 4 GiB, and wrapping around */
	phdr(elf, 2)->p_paddr = 0xfffff000;
	expect_elf(elf, len, -EINVAL, "4 GiB");
	phdr(elf, 2)->p_paddr = UINT64_MAX - 0x1000;
	expect_elf(elf, len, -EINVAL, "4 GiB");
	phdr(elf, 2)->p_paddr = DATA_PADDR;
	/* an entry point in no segment, or only in bss */
	ehdr(elf)->e_entry = 0x5000000;
	expect_elf(elf, len, -EINVAL, "entry point");
	ehdr(elf)->e_entry = DATA_PADDR + DATA_FILESZ;
	expect_elf(elf, len, -EINVAL, "entry point");
	ehdr(elf)->e_entry = TEXT_PADDR;
	/* nothing to load */
	phdr(elf, 0)->p_type = PT_NULL;
	phdr(elf, 2)->p_type = PT_NULL;
	expect_elf(elf, len, -EINVAL, "no loadable");
	free(elf);
}
END_TEST

START_TEST(test_elf_too_many_segments)
{
	size_t n = sizeof(Elf64_Ehdr) + 17 * sizeof(Elf64_Phdr) + 0x100;
	uint8_t *elf = calloc(1, n);
	size_t len;
	uint8_t *good = make_elf(&len);

	ck_assert_ptr_nonnull(elf);
	memcpy(elf, good, sizeof(Elf64_Ehdr));
	ehdr(elf)->e_phnum = 17;
	for (unsigned i = 0; i < 17; i++)
		*phdr(elf, i) = (Elf64_Phdr){ .p_type = PT_LOAD,
					      .p_paddr = TEXT_PADDR + i * 0x1000,
					      .p_vaddr = TEXT_PADDR + i * 0x1000,
					      .p_memsz = 0x10, .p_filesz = 0x10 };
	expect_elf(elf, n, -EINVAL, "too many");
	ehdr(elf)->e_phnum = 16;
	expect_elf(elf, n, 0, NULL);
	free(elf);
	free(good);
}
END_TEST

/* A virtual entry point is translated through its segment. */
START_TEST(test_elf_virtual_entry)
{
	size_t len;
	uint8_t *elf = make_elf(&len);
	struct kimage img;

	ehdr(elf)->e_entry = TEXT_VADDR + 0x40;
	ck_assert_int_eq(kimage_parse_elf(elf, len, &img), 0);
	ck_assert_uint_eq(img.entry, TEXT_PADDR + 0x40);
	kimage_dispose(&img);
	free(elf);
}
END_TEST

/* A bare vmlinux gets a made-up setup header. */
START_TEST(test_elf_defaults)
{
	size_t len;
	uint8_t *elf = make_elf(&len);
	struct kimage img;
	const uint8_t *h;

	ck_assert_int_eq(kimage_parse(elf, len, &img), 0);
	free(elf); /* the image keeps its own copy */
	ck_assert_int_eq(img.source, KIMAGE_FROM_ELF);
	ck_assert_int_eq(img.payload_format, DECOMP_UNKNOWN);
	ck_assert_uint_eq(img.entry, TEXT_PADDR);
	ck_assert_uint_eq(img.version, 0x020f);
	ck_assert_uint_eq(img.cmdline_size, 2047);
	ck_assert_uint_eq(img.pref_address, TEXT_PADDR);
	ck_assert_uint_eq(img.mem_end, DATA_PADDR + DATA_MEMSZ);
	ck_assert_uint_eq(img.setup_len, KIMAGE_SETUP_MAX);
	h = img.setup + (0x1fe - KIMAGE_SETUP_OFFSET); /* boot_flag */
	ck_assert_uint_eq(h[0] | h[1] << 8, 0xaa55);
	ck_assert(!memcmp(img.setup + (0x202 - KIMAGE_SETUP_OFFSET), "HdrS",
			  4));
	ck_assert_uint_eq(img.setup[0x236 - KIMAGE_SETUP_OFFSET] & 1, 1);
	ck_assert_uint_eq(le_get32(img.setup + (0x238 - KIMAGE_SETUP_OFFSET)),
			  2047);
	ck_assert_uint_eq(le_get32(img.setup + (0x260 - KIMAGE_SETUP_OFFSET)),
			  DATA_PADDR + DATA_MEMSZ - TEXT_PADDR);
	kimage_dispose(&img);
	kimage_dispose(NULL);
}
END_TEST

/* Loading into guest RAM */

static struct vm vm;

static void vm_setup(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(&vm, 0, sizeof(vm));
	vm.ram[0] = (struct mem_region){ .gpa = 0, .size = size, .hva = p };
	vm.nr_ram = 1;
	vm.ram_size = size;
	memset(p, 0xaa, size);
}

static void vm_teardown(void)
{
	munmap(vm.ram[0].hva, vm.ram[0].size);
}

START_TEST(test_load)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, LZ4, 0x020f, &len), *ram;
	struct kimage img;

	vm_setup(RAM);
	ram = vm.ram[0].hva;
	ck_assert_int_eq(kimage_parse(bz, len, &img), 0);
	ck_assert_int_eq(kimage_load(&img, &vm), 0);
	ck_assert(!memcmp(ram + TEXT_PADDR, elf + 0x1000, TEXT_SIZE));
	ck_assert(!memcmp(ram + DATA_PADDR, elf + 0x1000 + TEXT_SIZE,
			  DATA_FILESZ));
	for (size_t i = DATA_FILESZ; i < DATA_MEMSZ; i++)
		ck_assert_uint_eq(ram[DATA_PADDR + i], 0);
	/* nothing else written */
	ck_assert_uint_eq(ram[TEXT_PADDR - 1], 0xaa);
	ck_assert_uint_eq(ram[TEXT_PADDR + TEXT_SIZE], 0xaa);
	ck_assert_uint_eq(ram[DATA_PADDR + DATA_MEMSZ], 0xaa);
	kimage_dispose(&img);
	vm_teardown();

	/* RAM ends inside the kernel's init_size footprint */
	vm_setup(PREF + INIT_SIZE - 0x1000);
	ck_assert_int_eq(kimage_parse(bz, len, &img), 0);
	ck_assert_int_eq(kimage_load(&img, &vm), -ENOMEM);
	kimage_dispose(&img);
	vm_teardown();
	/* ... or before the data segment */
	vm_setup(DATA_PADDR);
	ck_assert_int_eq(kimage_parse_elf(elf, elf_len, &img), 0);
	ck_assert_int_eq(kimage_load(&img, &vm), -ENOMEM);
	kimage_dispose(&img);
	vm_teardown();
	free(bz);
	free(elf);
}
END_TEST

/* Random damage: an error or a checked image, never a crash. */
START_TEST(test_mutations)
{
	size_t elf_len, len;
	uint8_t *elf = make_elf(&elf_len);
	uint8_t *bz = make_bzimage(elf, elf_len, _i, 0x020f, &len);
	uint32_t seed = 99 + (uint32_t)_i;
	/* the header, the ELF headers inside the payload, anywhere */
	const size_t lo[] = { 0x1f1, PM_OFFSET + STUB_LEN, 0 };
	const size_t span[] = { 0x80, 0x100, len };

	for (int iter = 0; iter < 600; iter++) {
		uint8_t *m = malloc(len);
		struct kimage img;
		int rc;

		ck_assert_ptr_nonnull(m);
		memcpy(m, bz, len);
		for (int k = 0; k < 1 + iter % 3; k++) {
			size_t r = (size_t)iter % 3;

			seed = seed * 1103515245 + 12345;
			m[lo[r] + (seed >> 8) % span[r]] ^=
				(uint8_t)(1 + (seed >> 3) % 255);
		}
		rc = kimage_parse(m, len, &img);
		ck_assert_msg(rc == 0 || rc == -EINVAL || rc == -ENOTSUP ||
				      rc == -ENOEXEC || rc == -EFBIG,
			      "rc %d", rc);
		if (!rc) {
			ck_assert_uint_ge(img.load_start, KIMAGE_MIN_PADDR);
			ck_assert_uint_le(img.load_end, 4ULL << 30);
			ck_assert_uint_ge(img.entry, img.load_start);
			ck_assert_uint_lt(img.entry, img.load_end);
		}
		kimage_dispose(&img);
		free(m);
	}
	free(bz);
	free(elf);
}
END_TEST

/* The real thing: Debian's cloud kernel, if one is at hand. */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_gt(n, 0);
	rewind(f);
	b = malloc((size_t)n);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

START_TEST(test_real_kernel)
{
	size_t len;
	uint8_t *bz = read_file(vmlinuz_path, &len), *ram;
	struct kimage img;
	const struct kimage_segment *text = NULL;

	ck_assert_msg(kimage_parse(bz, len, &img) == 0, "%s: %s",
		      vmlinuz_path, img.why);
	ck_assert_int_eq(img.source, KIMAGE_FROM_BZIMAGE);
	ck_assert_int_ne(img.payload_format, DECOMP_UNKNOWN);
	ck_assert_uint_ge(img.version, 0x020c);
	ck_assert_uint_ge(img.nr_seg, 2);
	/* startup_64 is the first byte of the lowest segment (_text). */
	ck_assert_uint_eq(img.entry, img.load_start);
	ck_assert_uint_eq(img.load_start % img.kernel_alignment, 0);
	for (unsigned i = 0; i < img.nr_seg; i++)
		if (img.seg[i].paddr == img.entry)
			text = &img.seg[i];
	ck_assert_ptr_nonnull(text);
	/* linked in the kernel map: __START_KERNEL_map + physical */
	ck_assert_uint_eq(text->vaddr, 0xffffffff80000000ULL + text->paddr);
	ck_assert_uint_ge(img.mem_end, img.load_end);

	vm_setup(img.mem_end + (16ULL << 20));
	ram = vm.ram[0].hva;
	ck_assert_int_eq(kimage_load(&img, &vm), 0);
	ck_assert(!memcmp(ram + img.entry, img.elf + text->offset, 4096));
	vm_teardown();
	kimage_dispose(&img);
	free(bz);
}
END_TEST

/* KEEL_GUEST_VMLINUZ, else the build tree's guest, else none. */
static const char *find_vmlinuz(void)
{
	static char path[4096];
	const char *env = getenv("KEEL_GUEST_VMLINUZ");
	const char *builddir = getenv("KEEL_BUILDDIR");

	if (env && *env)
		return env;
	if (!builddir)
		return NULL;
	snprintf(path, sizeof(path), "%s/guest/out/vmlinuz", builddir);
	return access(path, R_OK) == 0 ? path : NULL;
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("kernel_image");
	TCase *tc = tcase_create("bzimage");

	/* The mutation loops decompress thousands of images: slow under ASan. */
	tcase_set_timeout(tc, 120);

	tcase_add_loop_test(tc, test_bzimage_codecs, 0, NR_CODECS);
	tcase_add_test(tc, test_bzimage_bad_header);
	tcase_add_test(tc, test_bzimage_payload_bounds);
	tcase_add_test(tc, test_bzimage_bad_payload);
	tcase_add_loop_test(tc, test_mutations, 0, NR_CODECS);
	suite_add_tcase(s, tc);

	tc = tcase_create("elf");
	tcase_add_test(tc, test_elf_bad_headers);
	tcase_add_test(tc, test_elf_bad_segments);
	tcase_add_test(tc, test_elf_too_many_segments);
	tcase_add_test(tc, test_elf_virtual_entry);
	tcase_add_test(tc, test_elf_defaults);
	tcase_add_test(tc, test_load);
	suite_add_tcase(s, tc);

	vmlinuz_path = find_vmlinuz();
	if (vmlinuz_path) {
		tc = tcase_create("debian");
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, test_real_kernel);
		suite_add_tcase(s, tc);
	} else {
		printf("note: no guest kernel (set KEEL_GUEST_VMLINUZ): the real-kernel test does not run\n");
	}
	return s;
}
