// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x86 boot (hypervisor/x86/boot.c) on synthetic kernels: setup header
 * parsing, placement of kernel, initrd and command line, the zero page
 * and its e820 map, the long-mode set-up, and the error paths. Also the
 * MP table and the per-vCPU CPUID fix-ups. No /dev/kvm needed: the "VM"
 * is guest RAM in an anonymous mapping.
 */
#include "config.h"

#include <asm/bootparam.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "le.h"
#include "runner.h"
#include "vm.h"
#include "x86/boot.h"
#include "x86/cpuid.h"
#include "x86/mptable.h"

#define RAM (64ULL << 20)
#define PM_SIZE 0x4000
#define SETUP_SECTS 4
#define PM_OFFSET ((SETUP_SECTS + 1) * 512)
#define PREF 0x1000000ULL
#define INIT_SIZE 0x800000U

static struct vm vm;
static char tmpdir[64];
static unsigned nr_files;

static void vm_setup(void)
{
	void *p = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(&vm, 0, sizeof(vm));
	vm.ram[0] = (struct mem_region){ .gpa = 0, .size = RAM, .hva = p };
	vm.nr_ram = 1;
	vm.ram_size = RAM;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_boot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void vm_teardown(void)
{
	char cmd[128];

	munmap(vm.ram[0].hva, vm.ram[0].size);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A bzImage-shaped file: setup sectors, then PM_SIZE bytes of "code". */
static uint8_t *make_bzimage(uint16_t version, size_t *len)
{
	size_t n = PM_OFFSET + PM_SIZE;
	uint8_t *b = calloc(1, n);

	ck_assert_ptr_nonnull(b);
	b[0x1f1] = SETUP_SECTS;
	le_put32(b + 0x1f4, PM_SIZE / 16);
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
	le_put64(b + 0x258, PREF);
	le_put32(b + 0x260, INIT_SIZE);
	for (size_t i = 0; i < PM_SIZE; i++)
		b[PM_OFFSET + i] = (uint8_t)(i * 7 + 1);
	*len = n;
	return b;
}

static const char *write_file(const void *data, size_t len)
{
	static char paths[8][96];
	char *path = paths[nr_files++ % 8];
	FILE *f;

	snprintf(path, 96, "%s/f%u", tmpdir, nr_files);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* A file of @size bytes without storing them. */
static const char *sparse_file(uint64_t size)
{
	const char *path = write_file("x", 1);

	ck_assert_int_eq(truncate(path, (off_t)size), 0);
	return path;
}

static struct boot_params *zero_page(void)
{
	return vm_gpa_to_hva(&vm, BOOT_ZERO_PAGE_ADDR, 4096);
}

/* Parsing */

START_TEST(test_parse_valid)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), 0);
	ck_assert_uint_eq(info.version, 0x020f);
	ck_assert(info.relocatable);
	ck_assert_uint_eq(info.pref_address, PREF);
	ck_assert_uint_eq(info.init_size, INIT_SIZE);
	ck_assert_uint_eq(info.pm_offset, PM_OFFSET);
	ck_assert_uint_eq(info.pm_size, PM_SIZE);
	ck_assert_uint_eq(info.cmdline_size, 2047);
	ck_assert_uint_eq(info.setup_offset + info.setup_len, 0x268);
	free(b);
}
END_TEST

START_TEST(test_parse_not_bzimage)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	b[0x202] = 'X';
	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -ENOEXEC);
	/* too short to even hold the magic: a flat binary too */
	ck_assert_int_eq(boot_parse_bzimage(b, 0x100, &info), -ENOEXEC);
	free(b);
}
END_TEST

START_TEST(test_parse_too_old)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(0x0205, &len);

	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(info.why, "2.06"));
	free(b);
}
END_TEST

START_TEST(test_parse_truncated)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	/* cut inside the header, before the code, and inside the code */
	ck_assert_int_eq(boot_parse_bzimage(b, 0x240, &info), -EINVAL);
	ck_assert_int_eq(boot_parse_bzimage(b, PM_OFFSET, &info), -EINVAL);
	ck_assert_int_eq(boot_parse_bzimage(b, len - 16, &info), -EINVAL);
	ck_assert_ptr_nonnull(strstr(info.why, "truncated"));
	/* setup_sects pointing past the end of the file */
	b[0x1f1] = 0xff;
	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -EINVAL);
	free(b);
}
END_TEST

START_TEST(test_parse_unsupported_kinds)
{
	struct bzimage_info info;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	b[0x236] = 0; /* 2.12+ without a 64-bit entry point */
	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -ENOTSUP);
	b[0x236] = 1;
	b[0x211] = 0; /* zImage */
	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -ENOTSUP);
	b[0x211] = 1;
	le_put16(b + 0x1fe, 0x1234);
	ck_assert_int_eq(boot_parse_bzimage(b, len, &info), -EINVAL);
	free(b);
}
END_TEST

/* e820 */

START_TEST(test_e820_small)
{
	struct boot_e820_entry t[16];
	unsigned n = boot_build_e820(&vm, t, 16);

	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(t[0].addr, 0);
	ck_assert_uint_eq(t[0].size, 0x9f000);
	ck_assert_uint_eq(t[0].type, 1);
	ck_assert_uint_eq(t[1].addr, 0x9f000);
	ck_assert_uint_eq(t[1].size, 0x1000);
	ck_assert_uint_eq(t[1].type, 2);
	ck_assert_uint_eq(t[2].addr, 0xe0000);
	ck_assert_uint_eq(t[2].size, 0x20000);
	ck_assert_uint_eq(t[2].type, 2);
	ck_assert_uint_eq(t[3].addr, 0x100000);
	ck_assert_uint_eq(t[3].size, RAM - 0x100000);
	ck_assert_uint_eq(t[3].type, 1);
	ck_assert_uint_eq(t[4].type, 2); /* KVM's TSS pages below 4 GiB */
	ck_assert_uint_lt(t[4].addr, 1ULL << 32);
	/* a short table is cut, never overrun */
	ck_assert_uint_eq(boot_build_e820(&vm, t, 2), 2);
}
END_TEST

START_TEST(test_e820_above_4g)
{
	struct vm big;
	struct boot_e820_entry t[16];
	unsigned n;

	memset(&big, 0, sizeof(big));
	big.ram[0] = (struct mem_region){ .gpa = 0,
					  .size = VM_PCI_HOLE_START };
	big.ram[1] = (struct mem_region){ .gpa = VM_HIGH_RAM_START,
					  .size = 1ULL << 30 };
	big.nr_ram = 2;
	n = boot_build_e820(&big, t, 16);
	ck_assert_uint_eq(n, 6);
	ck_assert_uint_eq(t[3].addr + t[3].size, VM_PCI_HOLE_START);
	ck_assert_uint_eq(t[5].addr, VM_HIGH_RAM_START);
	ck_assert_uint_eq(t[5].size, 1ULL << 30);
	ck_assert_uint_eq(t[5].type, 1);
	/* sorted and not overlapping */
	for (unsigned i = 1; i < n; i++)
		ck_assert_uint_le(t[i - 1].addr + t[i - 1].size, t[i].addr);
}
END_TEST

/* Loading */

START_TEST(test_load_bzimage)
{
	struct boot_config cfg = { .cmdline = "console=ttyS0 quiet",
				   .acpi_rsdp = VM_ACPI_BASE };
	uint8_t initrd[10000];
	struct boot_entry e;
	struct boot_params *bp;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);
	const uint8_t *pm;

	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0xa5);
	cfg.kernel = write_file(b, len);
	cfg.initrd = write_file(initrd, sizeof(initrd));
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);

	/* relocatable: at pref_address, entered at +0x200 */
	ck_assert_uint_eq(e.rip, PREF + 0x200);
	pm = vm_gpa_to_hva(&vm, PREF, PM_SIZE);
	ck_assert_int_eq(memcmp(pm, b + PM_OFFSET, PM_SIZE), 0);
	ck_assert_uint_eq(e.rsi, BOOT_ZERO_PAGE_ADDR);

	bp = zero_page();
	ck_assert_uint_eq(bp->hdr.version, 0x020f);
	ck_assert_uint_eq(bp->hdr.header, 0x53726448);
	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.code32_start, PREF);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	ck_assert_str_eq((char *)vm_gpa_to_hva(&vm, BOOT_CMDLINE_ADDR, 32),
			 "console=ttyS0 quiet");
	ck_assert_uint_eq(bp->acpi_rsdp_addr, VM_ACPI_BASE);
	ck_assert_uint_eq(bp->e820_entries, 5);
	ck_assert_uint_eq(bp->e820_table[3].addr, 0x100000);

	/* initrd: page-aligned, as high as RAM allows, intact */
	ck_assert_uint_eq(bp->hdr.ramdisk_size, sizeof(initrd));
	ck_assert_uint_eq(bp->hdr.ramdisk_image % 4096, 0);
	ck_assert_uint_le(bp->hdr.ramdisk_image + sizeof(initrd), RAM);
	ck_assert_uint_gt(bp->hdr.ramdisk_image + sizeof(initrd),
			  RAM - 4096);
	ck_assert_int_eq(memcmp(vm_gpa_to_hva(&vm, bp->hdr.ramdisk_image,
					      sizeof(initrd)),
				initrd, sizeof(initrd)),
			 0);
	free(b);
}
END_TEST

START_TEST(test_load_long_mode_state)
{
	struct boot_config cfg = { .cmdline = "" };
	const uint64_t *gdt, *pml4, *pdpt, *pd;
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	cfg.kernel = write_file(b, len);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	ck_assert_uint_eq(e.cr3, BOOT_PML4_ADDR);
	ck_assert_uint_eq(e.gdt_base, BOOT_GDT_ADDR);
	ck_assert_uint_eq(e.gdt_limit, 4 * 8 - 1);
	gdt = vm_gpa_to_hva(&vm, BOOT_GDT_ADDR, 32);
	ck_assert_uint_eq(gdt[BOOT_SEL_CODE / 8], 0x00af9b000000ffffULL);
	ck_assert_uint_eq(gdt[BOOT_SEL_DATA / 8], 0x00cf93000000ffffULL);
	pml4 = vm_gpa_to_hva(&vm, BOOT_PML4_ADDR, 4096);
	pdpt = vm_gpa_to_hva(&vm, BOOT_PDPT_ADDR, 4096);
	ck_assert_uint_eq(pml4[0] & ~0xfffULL, BOOT_PDPT_ADDR);
	ck_assert_uint_eq(pml4[0] & 3, 3);
	/* every 2 MiB page of the first 4 GiB maps to itself */
	for (unsigned g = 0; g < 4; g++) {
		pd = vm_gpa_to_hva(&vm, pdpt[g] & ~0xfffULL, 4096);
		ck_assert_ptr_nonnull(pd);
		for (unsigned i = 0; i < 512; i++)
			ck_assert_uint_eq(pd[i], (((uint64_t)g << 30) |
						  ((uint64_t)i << 21)) |
							 0x83);
	}
	/* no ACPI tables: no RSDP pointer */
	ck_assert_uint_eq(zero_page()->acpi_rsdp_addr, 0);
	free(b);
}
END_TEST

START_TEST(test_load_old_protocol_no_rsdp)
{
	struct boot_config cfg = { .cmdline = "x", .acpi_rsdp = VM_ACPI_BASE };
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020d, &len);

	cfg.kernel = write_file(b, len);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	ck_assert_uint_eq(zero_page()->acpi_rsdp_addr, 0);
	free(b);
}
END_TEST

START_TEST(test_load_initrd_below_addr_max)
{
	struct boot_config cfg = { .cmdline = "" };
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);
	uint32_t max = 0x2000000 - 1; /* 32 MiB */

	le_put32(b + 0x22c, max);
	cfg.kernel = write_file(b, len);
	cfg.initrd = write_file("initrd", 6);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	ck_assert_uint_le(zero_page()->hdr.ramdisk_image + 6, max + 1ULL);
	ck_assert_uint_ge(zero_page()->hdr.ramdisk_image, PREF + INIT_SIZE);
	free(b);
}
END_TEST

START_TEST(test_load_initrd_too_large)
{
	struct boot_config cfg = { .cmdline = "" };
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	cfg.kernel = write_file(b, len);
	/* fits in RAM, but not above the kernel's 16 MiB + init_size */
	cfg.initrd = sparse_file(RAM - PREF - INIT_SIZE + 4096);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOMEM);
	cfg.initrd = sparse_file(RAM * 2);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOMEM);
	/* just fits */
	cfg.initrd = sparse_file(RAM - PREF - INIT_SIZE);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	free(b);
}
END_TEST

START_TEST(test_load_kernel_too_large)
{
	struct boot_config cfg = { .cmdline = "" };
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	le_put32(b + 0x260, (uint32_t)RAM); /* init_size beyond RAM */
	cfg.kernel = write_file(b, len);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOMEM);
	free(b);
}
END_TEST

START_TEST(test_load_cmdline_too_long)
{
	struct boot_config cfg;
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);
	char *cmdline = malloc(4000);

	memset(cmdline, 'a', 3999);
	cmdline[3999] = '\0';
	cfg = (struct boot_config){ .kernel = write_file(b, len),
				    .cmdline = cmdline };
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -E2BIG);
	cmdline[2047] = '\0'; /* exactly cmdline_size */
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	free(cmdline);
	free(b);
}
END_TEST

START_TEST(test_load_flat_binary)
{
	static const uint8_t code[] = { 0xf4, 0xeb, 0xfd, 0x90 };
	struct boot_config cfg = { .cmdline = "hello" };
	struct boot_entry e;
	struct boot_params *bp;

	cfg.kernel = write_file(code, sizeof(code));
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), 0);
	ck_assert_uint_eq(e.rip, 0x100000);
	ck_assert_int_eq(memcmp(vm_gpa_to_hva(&vm, 0x100000, 4), code, 4), 0);
	bp = zero_page();
	ck_assert_uint_eq(bp->e820_entries, 5);
	ck_assert_uint_eq(bp->e820_table[0].size, 0x9f000);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, BOOT_CMDLINE_ADDR);
	ck_assert_uint_eq(bp->hdr.header, 0);
}
END_TEST

START_TEST(test_load_bad_files)
{
	struct boot_config cfg = { .cmdline = "" };
	struct boot_entry e;
	size_t len;
	uint8_t *b = make_bzimage(0x020f, &len);

	cfg.kernel = "/nonexistent/kernel";
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOENT);
	cfg.kernel = tmpdir; /* a directory */
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -EINVAL);
	cfg.kernel = write_file("", 0);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -EINVAL);
	cfg.kernel = sparse_file(RAM + 1);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -EFBIG);
	cfg.kernel = write_file(b, len - 100); /* truncated bzImage */
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -EINVAL);
	le_put16(b + 0x206, 0x0204);
	cfg.kernel = write_file(b, len);
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOTSUP);
	le_put16(b + 0x206, 0x020f);
	cfg.kernel = write_file(b, len);
	cfg.initrd = "/nonexistent/initrd";
	ck_assert_int_eq(boot_load(&vm, &cfg, &e), -ENOENT);
	free(b);
}
END_TEST

/* MP table */

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/*
 * The MP table as a guest finds it: the floating pointer in the last KiB
 * of base memory (where Linux scans), 16-byte aligned and summing to 0,
 * pointing at a configuration table inside the reserved range. Returns
 * the configuration table and its entry count.
 */
static const uint8_t *mp_find(uint16_t *count)
{
	const uint8_t *fp = NULL, *cfg;
	uint32_t cfg_addr;
	uint16_t cfg_len;

	for (uint64_t a = 0x9fc00; a < 0xa0000 && !fp; a += 16) {
		const uint8_t *p = vm_gpa_to_hva(&vm, a, 16);

		if (!memcmp(p, "_MP_", 4) && sum(p, 16) == 0)
			fp = p;
	}
	ck_assert_ptr_nonnull(fp);
	memcpy(&cfg_addr, fp + 4, 4);
	ck_assert_uint_ge(cfg_addr, VM_MPTABLE_BASE);
	cfg = vm_gpa_to_hva(&vm, cfg_addr, 44);
	ck_assert_int_eq(memcmp(cfg, "PCMP", 4), 0);
	memcpy(&cfg_len, cfg + 4, 2);
	memcpy(count, cfg + 34, 2);
	/* Below the floating pointer: nothing overlaps. */
	ck_assert_uint_le(cfg_addr + cfg_len, VM_MPTABLE_FLOATING);
	ck_assert_uint_eq(sum(cfg, cfg_len), 0);
	return cfg;
}

START_TEST(test_mptable)
{
	const uint8_t *cfg;
	uint16_t count;

	memset(vm_gpa_to_hva(&vm, VM_MPTABLE_BASE, 0x1000), 0, 0x1000);
	ck_assert_int_eq(mptable_setup(&vm, 3, 0x806e9, 0x178bfbff), 0);
	cfg = mp_find(&count);
	/* 3 CPUs, bus, IOAPIC, 16 ISA IRQs, 2 local interrupts */
	ck_assert_uint_eq(count, 3 + 1 + 1 + 16 + 2);
	ck_assert_uint_eq(cfg[44], 0); /* first entry: processor */
	ck_assert_uint_eq(cfg[44 + 3], 0x3); /* CPU 0: enabled, BSP */
	ck_assert_uint_eq(cfg[64 + 3], 0x1); /* CPU 1: enabled */
	ck_assert_int_eq(mptable_setup(&vm, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(mptable_setup(&vm, KEEL_VCPUS_MAX + 1, 0, 0), -EINVAL);
}
END_TEST

/* All KEEL_VCPUS_MAX processors, each with its APIC ID, then the IOAPIC. */
START_TEST(test_mptable_max_vcpus)
{
	const uint8_t *cfg, *p;
	uint16_t count;

	ck_assert_int_eq(KEEL_VCPUS_MAX, 64);
	memset(vm_gpa_to_hva(&vm, VM_MPTABLE_BASE, 0x1000), 0, 0x1000);
	ck_assert_int_eq(mptable_setup(&vm, KEEL_VCPUS_MAX, 0x806e9, 0), 0);
	cfg = mp_find(&count);
	ck_assert_uint_eq(count, KEEL_VCPUS_MAX + 1 + 1 + 16 + 2);
	p = cfg + 44;
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++, p += 20) {
		ck_assert_uint_eq(p[0], 0); /* processor */
		ck_assert_uint_eq(p[1], i); /* APIC ID */
		ck_assert_uint_eq(p[3], i ? 0x1 : 0x3);
	}
	ck_assert_uint_eq(p[0], 1); /* bus */
	p += 8;
	ck_assert_uint_eq(p[0], 2); /* IOAPIC, ID after the CPUs' */
	ck_assert_uint_eq(p[1], KEEL_VCPUS_MAX);
}
END_TEST

/* CPUID */

START_TEST(test_cpuid_fixups)
{
	struct kvm_cpuid2 *sup, *c;
	struct kvm_cpuid_entry2 *e;

	sup = calloc(1, sizeof(*sup) + 4 * sizeof(sup->entries[0]));
	ck_assert_ptr_nonnull(sup);
	sup->nent = 4;
	sup->entries[0] = (struct kvm_cpuid_entry2){ .function = 0,
						     .eax = 0xd,
						     .ebx = 0x756e6547 };
	sup->entries[1] = (struct kvm_cpuid_entry2){ .function = 1,
						     .eax = 0x806e9,
						     .ebx = 0xff000800 };
	sup->entries[2] = (struct kvm_cpuid_entry2){
		.function = 0xb, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 99 };
	sup->entries[3] = (struct kvm_cpuid_entry2){
		.function = 0xb, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 99 };

	c = cpuid_for_vcpu(sup, 5, 6);
	ck_assert_ptr_nonnull(c);
	e = cpuid_find(c, 1, 0);
	ck_assert_uint_eq(e->ebx >> 24, 5); /* APIC ID */
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 6);
	ck_assert_uint_eq((e->ebx >> 8) & 0xff, 8); /* CLFLUSH size */
	ck_assert(e->ecx & (1U << 31)); /* hypervisor */
	ck_assert(e->edx & (1U << 28)); /* HTT */
	e = cpuid_find(c, 0xb, 1);
	ck_assert_uint_eq(e->ebx, 6);
	ck_assert_uint_eq(e->eax, 3); /* 6 cores need 3 bits */
	ck_assert_uint_eq(e->edx, 5);
	ck_assert_uint_eq((e->ecx >> 8) & 0xff, 2); /* core level */
	e = cpuid_find(c, 0xb, 0);
	ck_assert_uint_eq(e->ebx, 1);
	/* KVM leaves added: signature and kvmclock */
	e = cpuid_find(c, 0x40000000, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->ebx, 0x4b4d564b); /* "KVMK" */
	ck_assert_uint_eq(e->eax, 0x40000001);
	e = cpuid_find(c, 0x40000001, 0);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->eax & (1U << 3)); /* CLOCKSOURCE2 */
	/* the input is untouched */
	ck_assert_uint_eq(sup->entries[1].ebx, 0xff000800);
	ck_assert_uint_eq(sup->nent, 4);
	free(c);

	/* one vCPU: no HTT; KVM's own feature leaf is masked, not replaced */
	sup->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x40000001,
						     .eax = 0xffffffff,
						     .edx = 1 };
	c = cpuid_for_vcpu(sup, 0, 1);
	e = cpuid_find(c, 1, 0);
	ck_assert(!(e->edx & (1U << 28)));
	e = cpuid_find(c, 0x40000001, 0);
	ck_assert(!(e->eax & (1U << 17))); /* migration control: off */
	ck_assert(e->eax & (1U << 24)); /* stable bit kept */
	ck_assert_uint_eq(e->edx, 0);
	free(c);
	free(sup);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("boot");
	TCase *parse = tcase_create("setup header");
	TCase *load = tcase_create("loading");
	TCase *tables = tcase_create("tables");

	tcase_add_test(parse, test_parse_valid);
	tcase_add_test(parse, test_parse_not_bzimage);
	tcase_add_test(parse, test_parse_too_old);
	tcase_add_test(parse, test_parse_truncated);
	tcase_add_test(parse, test_parse_unsupported_kinds);
	suite_add_tcase(s, parse);

	tcase_add_checked_fixture(load, vm_setup, vm_teardown);
	tcase_add_test(load, test_e820_small);
	tcase_add_test(load, test_e820_above_4g);
	tcase_add_test(load, test_load_bzimage);
	tcase_add_test(load, test_load_long_mode_state);
	tcase_add_test(load, test_load_old_protocol_no_rsdp);
	tcase_add_test(load, test_load_initrd_below_addr_max);
	tcase_add_test(load, test_load_initrd_too_large);
	tcase_add_test(load, test_load_kernel_too_large);
	tcase_add_test(load, test_load_cmdline_too_long);
	tcase_add_test(load, test_load_flat_binary);
	tcase_add_test(load, test_load_bad_files);
	suite_add_tcase(s, load);

	tcase_add_checked_fixture(tables, vm_setup, vm_teardown);
	tcase_add_test(tables, test_mptable);
	tcase_add_test(tables, test_mptable_max_vcpus);
	tcase_add_test(tables, test_cpuid_fixups);
	suite_add_tcase(s, tables);
	return s;
}
