// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Linux x86 boot protocol, 64-bit entry (Documentation/x86/boot.rst):
 * load a bzImage's protected-mode code, its initrd and command line,
 * describe memory in a zero page, and hand over in long mode with an
 * identity map. Files without a bzImage header are flat test guests,
 * loaded and entered at 1 MiB with the same zero page.
 *
 * Everything read from the kernel file is untrusted: offsets and sizes
 * are checked against the file and against guest RAM before use.
 */
#include "config.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decompress.h"
#include "hv_error.h"
#include "le.h"
#include "log.h"
#include "vm.h"
#include "x86/boot.h"
#include "x86/kernel_image.h"

/* Setup header fields (offsets in the image file and the zero page). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_SYSSIZE 0x1f4
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP_END 0x201 /* length of the header beyond 0x202 */
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_LOADFLAGS 0x211
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define HDR_END_2_10 0x264 /* the last field we read ends here */

#define HDR_MAGIC_VALUE 0x53726448 /* "HdrS" */
#define HDR_BOOT_FLAG_VALUE 0xaa55
#define HDR_LOADED_HIGH 0x01
#define HDR_CAN_USE_HEAP 0x80
#define HDR_XLF_KERNEL_64 0x01
#define HDR_LOADER_UNDEFINED 0xff

/* Before protocol 2.03 initrd_addr_max was implicit. */
#define BOOT_DEFAULT_INITRD_MAX 0x37ffffffULL

#define E820_RAM 1
#define E820_RESERVED 2

/* Reserved for KVM's TSS and identity map pages (vm.c). */
#define BOOT_KVM_PRIVATE_BASE 0xfffbc000ULL
#define BOOT_KVM_PRIVATE_SIZE 0x4000ULL

#define PTE_PRESENT 0x01ULL
#define PTE_WRITE 0x02ULL
#define PTE_HUGE 0x80ULL

static int boot_bad(struct bzimage_info *info, int rc, const char *why)
{
	info->why = why;
	return rc;
}

int boot_parse_bzimage(const uint8_t *buf, size_t len,
		       struct bzimage_info *info)
{
	unsigned setup_sects;
	uint64_t syssize;

	memset(info, 0, sizeof(*info));
	if (len < HDR_MAGIC + 4 || le_get32(buf + HDR_MAGIC) != HDR_MAGIC_VALUE)
		return boot_bad(info, -ENOEXEC, "no bzImage header");
	if (len < HDR_END_2_10)
		return boot_bad(info, -EINVAL, "truncated setup header");
	info->version = le_get16(buf + HDR_VERSION);
	if (info->version < BOOT_MIN_PROTOCOL)
		return boot_bad(info, -ENOTSUP,
				"boot protocol older than 2.06");
	if (le_get16(buf + HDR_BOOT_FLAG) != HDR_BOOT_FLAG_VALUE)
		return boot_bad(info, -EINVAL, "bad boot sector signature");
	info->loadflags = buf[HDR_LOADFLAGS];
	if (!(info->loadflags & HDR_LOADED_HIGH))
		return boot_bad(info, -ENOTSUP,
				"a zImage (loaded low), not a bzImage");

	info->initrd_addr_max = le_get32(buf + HDR_INITRD_ADDR_MAX);
	info->kernel_alignment = le_get32(buf + HDR_KERNEL_ALIGNMENT);
	info->relocatable = buf[HDR_RELOCATABLE] != 0;
	info->cmdline_size = le_get32(buf + HDR_CMDLINE_SIZE);
	if (info->version >= 0x020a) {
		info->pref_address = le_get64(buf + HDR_PREF_ADDRESS);
		info->init_size = le_get32(buf + HDR_INIT_SIZE);
	}
	if (info->version >= 0x020c) {
		info->xloadflags = le_get16(buf + HDR_XLOADFLAGS);
		if (!(info->xloadflags & HDR_XLF_KERNEL_64))
			return boot_bad(info, -ENOTSUP,
					"no 64-bit entry point");
	}

	/* The header proper: from 0x1f1 to 0x202 + the byte at 0x201. */
	info->setup_offset = HDR_SETUP_SECTS;
	info->setup_len = HDR_MAGIC + buf[HDR_JUMP_END] - HDR_SETUP_SECTS;
	if (info->setup_len > sizeof(struct setup_header))
		info->setup_len = sizeof(struct setup_header);
	if (info->setup_offset + info->setup_len > len)
		return boot_bad(info, -EINVAL, "truncated setup header");

	setup_sects = buf[HDR_SETUP_SECTS] ? buf[HDR_SETUP_SECTS] : 4;
	info->pm_offset = ((size_t)setup_sects + 1) * 512;
	if (info->pm_offset >= len)
		return boot_bad(info, -EINVAL,
				"truncated: no protected-mode code");
	info->pm_size = len - info->pm_offset;
	syssize = (uint64_t)le_get32(buf + HDR_SYSSIZE) * 16;
	if (syssize > info->pm_size)
		return boot_bad(info, -EINVAL,
				"truncated: shorter than its header says");
	if (info->pm_size <= BOOT_ENTRY64_OFFSET)
		return boot_bad(info, -EINVAL,
				"truncated: no 64-bit entry point");
	return 0;
}

static unsigned e820_add(struct boot_e820_entry *tbl, unsigned n,
			 unsigned max, uint64_t addr, uint64_t size,
			 uint32_t type)
{
	if (n >= max || size == 0)
		return n;
	tbl[n].addr = addr;
	tbl[n].size = size;
	tbl[n].type = type;
	return n + 1;
}

unsigned boot_build_e820(const struct vm *vm, struct boot_e820_entry *tbl,
			 unsigned max)
{
	uint64_t low_end = vm->ram[0].gpa + vm->ram[0].size;
	unsigned n = 0;

	n = e820_add(tbl, n, max, 0, VM_MPTABLE_BASE, E820_RAM);
	n = e820_add(tbl, n, max, VM_MPTABLE_BASE,
		     VM_MPTABLE_END - VM_MPTABLE_BASE, E820_RESERVED);
	n = e820_add(tbl, n, max, VM_ACPI_BASE, VM_ACPI_END - VM_ACPI_BASE,
		     E820_RESERVED);
	n = e820_add(tbl, n, max, BOOT_KERNEL_ADDR, low_end - BOOT_KERNEL_ADDR,
		     E820_RAM);
	n = e820_add(tbl, n, max, BOOT_KVM_PRIVATE_BASE,
		     BOOT_KVM_PRIVATE_SIZE, E820_RESERVED);
	for (unsigned i = 1; i < vm->nr_ram; i++)
		n = e820_add(tbl, n, max, vm->ram[i].gpa, vm->ram[i].size,
			     E820_RAM);
	return n;
}

/* Read all of @path into a new buffer of at most @max bytes. */
/* Read all of @path (@what: "kernel", "initrd") if it is at most @max bytes. */
static int boot_read_file(const char *path, const char *what, uint64_t max,
			  uint8_t **out, size_t *out_len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		hv_error("Cannot read the %s %s: %s.", what, path,
			 strerror(-rc));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 ||
	    (uint64_t)st.st_size > max) {
		rc = S_ISREG(st.st_mode) && st.st_size ? -EFBIG : -EINVAL;
		hv_error("The %s %s is %s.", what, path,
			 rc == -EFBIG ? "larger than guest memory" :
				       "not a non-empty regular file");
		goto out_close;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			hv_error("Cannot read the %s %s: %s.", what, path,
				 n < 0 ? strerror(-rc) : "file shrank");
			free(buf);
			goto out_close;
		}
		done += (size_t)n;
	}
	*out = buf;
	*out_len = done;
	rc = 0;
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * Put the initrd at @path as high as it goes below @max_addr and the
 * end of low RAM, above @floor. A compressed initramfs is unpacked here
 * into plain cpio archives (initrd_flatten()): the guest kernel then
 * only copies it, where unpacking it in ring 0 costs seconds to minutes
 * on hosts that emulate ring 0 (docs/hypervisor.md). Images the kernel
 * understands but we do not (old-style initrd, bzip2) go as they are.
 */
static int boot_load_initrd(struct vm *vm, const char *path, uint64_t floor,
			    uint64_t max_addr, uint64_t *addr_out,
			    uint64_t *size_out)
{
	uint64_t top = vm->ram[0].size, addr;
	uint8_t *raw = NULL, *flat = NULL;
	const uint8_t *img;
	size_t raw_len = 0, flat_len = 0, size;
	int rc;

	if (max_addr < top - 1)
		top = max_addr + 1;
	rc = boot_read_file(path, "initrd", top, &raw, &raw_len);
	if (rc)
		return rc == -EFBIG ? -ENOMEM : rc;
	img = raw;
	size = raw_len;
	rc = initrd_flatten(raw, raw_len, &flat, &flat_len,
			    top > floor ? top - floor : 0);
	if (!rc) {
		img = flat;
		size = flat_len;
		log_debug("boot: initrd %s unpacked on the host: %zu bytes, %zu as loaded",
			  path, raw_len, flat_len);
	} else if (rc == -ENOTSUP || rc == -EFBIG) {
		/* Not ours to unpack, or only fits compressed: as it is. */
		log_debug("boot: initrd %s passed as it is (%s)", path,
			  strerror(-rc));
	} else if (rc == -EINVAL) {
		hv_error("Initrd %s is corrupt: a compressed part or a cpio archive in it is truncated or damaged.",
			 path);
		goto out_free;
	} else {
		goto out_free;
	}
	if (size > top || ((top - size) & ~0xfffULL) < floor) {
		rc = -ENOMEM;
		hv_error("Initrd %s (%zu KiB) does not fit in guest memory below 0x%llx above the kernel; give the VM more memory.",
			 path, size >> 10, (unsigned long long)top);
		goto out_free;
	}
	addr = (top - size) & ~0xfffULL;
	rc = vm_write_guest(vm, addr, img, size);
	if (rc)
		goto out_free;
	*addr_out = addr;
	*size_out = size;
out_free:
	free(flat);
	free(raw);
	return rc;
}

/* One GDT descriptor: flat 4 GiB, @access byte, @flags nibble (G, D/L). */
static uint64_t gdt_entry(uint8_t access, uint8_t flags)
{
	uint64_t limit = 0xfffff, base = 0;

	return (limit & 0xffff) | (base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | ((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (base >> 24) << 56;
}

/* GDT and an identity map of the first 4 GiB, with 2 MiB pages. */
static int boot_setup_long_mode(struct vm *vm, struct boot_entry *entry)
{
	const uint64_t gdt[4] = {
		0,
		0,
		gdt_entry(0x9b, 0xa), /* 0x10: present, code, G, L */
		gdt_entry(0x93, 0xc), /* 0x18: present, data, G, D/B */
	};
	uint64_t *pml4, *pdpt, *pd;

	pml4 = vm_gpa_to_hva(vm, BOOT_PML4_ADDR, 4096);
	pdpt = vm_gpa_to_hva(vm, BOOT_PDPT_ADDR, 4096);
	pd = vm_gpa_to_hva(vm, BOOT_PD_ADDR, 4096 * BOOT_NR_PD);
	if (!pml4 || !pdpt || !pd ||
	    vm_write_guest(vm, BOOT_GDT_ADDR, gdt, sizeof(gdt)))
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < BOOT_NR_PD; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < BOOT_NR_PD * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;

	entry->cr3 = BOOT_PML4_ADDR;
	entry->gdt_base = BOOT_GDT_ADDR;
	entry->gdt_limit = sizeof(gdt) - 1;
	entry->rsi = BOOT_ZERO_PAGE_ADDR;
	entry->rsp = BOOT_STACK_TOP;
	return 0;
}

/* Where the bzImage goes and where its decompressor may write up to. */
static int boot_place_kernel(const struct vm *vm,
			     const struct bzimage_info *info,
			     uint64_t *load, uint64_t *end)
{
	uint64_t low_end = vm->ram[0].size, base, need;
	uint32_t align = info->kernel_alignment;

	*load = BOOT_KERNEL_ADDR;
	if (info->relocatable && info->pref_address >= BOOT_KERNEL_ADDR &&
	    align && !(align & (align - 1)) &&
	    !(info->pref_address & (align - 1)))
		*load = info->pref_address;
	/*
	 * A kernel that is not relocatable (or loaded below its preferred
	 * address) still decompresses at pref_address: the footprint is
	 * init_size bytes from the higher of the two.
	 */
	base = *load;
	if (info->pref_address > base)
		base = info->pref_address;
	need = info->init_size > info->pm_size ? info->init_size :
						 info->pm_size;
	if (base > low_end || need > low_end - base ||
	    info->pm_size > low_end - *load)
		return -ENOMEM;
	*end = base + need;
	return 0;
}

static int boot_write_cmdline(struct vm *vm, const char *path,
			      const char *cmdline, uint64_t max)
{
	size_t len = strlen(cmdline);

	if (max > BOOT_CMDLINE_MAX - 1)
		max = BOOT_CMDLINE_MAX - 1;
	if (len > max) {
		hv_error("The command line for %s is %zu bytes; this kernel takes at most %llu.",
			 path, len, (unsigned long long)max);
		return -E2BIG;
	}
	return vm_write_guest(vm, BOOT_CMDLINE_ADDR, cmdline, len + 1);
}

/*
 * The vmlinux inside the kernel (kernel_image.c), copied to where it
 * was linked: entered at startup_64 it skips the bzImage's own
 * decompressor, which in ring 0 on hosts that emulate ring 0 is most of
 * the boot time. Returns 0, 1 if @img is not a kernel of that kind or
 * a bzImage whose payload we cannot unpack (the bzImage path then loads
 * it as it is and it unpacks itself, as under any boot loader), or
 * -errno after logging why (an ELF vmlinux we cannot load, no memory).
 */
static int boot_load_vmlinux(struct vm *vm, const char *path,
			     const uint8_t *img, size_t len,
			     struct boot_params *bp, struct boot_entry *entry,
			     struct bzimage_info *info, uint64_t *end)
{
	bool elf = len >= 4 && !memcmp(img, "\177ELF", 4);
	struct kimage k;
	int rc;

	rc = kimage_parse(img, len, &k);
	if (rc == -ENOEXEC || (rc && rc != -ENOMEM && !elf)) {
		if (rc != -ENOEXEC)
			log_info("Kernel %s: cannot unpack it on the host (%s); it unpacks itself instead.",
				 path, k.why ? k.why : strerror(-rc));
		kimage_dispose(&k);
		return 1;
	}
	if (rc) {
		hv_error("Kernel %s is not a bootable kernel: %s.", path,
			 k.why ? k.why : strerror(-rc));
		kimage_dispose(&k);
		return rc;
	}
	rc = kimage_load(&k, vm);
	if (rc) {
		hv_error("Kernel %s needs %llu MiB of guest memory; the VM has %llu MiB.",
			 path, (unsigned long long)((k.mem_end + (1 << 20) - 1) >> 20),
			 (unsigned long long)(vm->ram_size >> 20));
		kimage_dispose(&k);
		return rc;
	}
	memcpy((uint8_t *)bp + KIMAGE_SETUP_OFFSET, k.setup, k.setup_len);
	memset(info, 0, sizeof(*info));
	info->version = k.version;
	info->initrd_addr_max = k.initrd_addr_max;
	info->cmdline_size = k.cmdline_size;
	entry->rip = k.entry;
	*end = k.mem_end;
	log_debug("boot: vmlinux of %s (%s payload) at 0x%llx-0x%llx, entry 0x%llx",
		  path, decompress_format_name(k.payload_format),
		  (unsigned long long)k.load_start,
		  (unsigned long long)k.load_end,
		  (unsigned long long)k.entry);
	kimage_dispose(&k);
	return 0;
}

int boot_load(struct vm *vm, const struct boot_config *cfg,
	      struct boot_entry *entry)
{
	struct boot_params *bp;
	struct bzimage_info info;
	uint64_t load, end, initrd = 0, initrd_size = 0, initrd_max;
	uint8_t *img = NULL;
	size_t len = 0;
	bool flat = false;
	int rc;

	if (vm->nr_ram < 1 || vm->ram[0].gpa != 0 ||
	    vm->ram[0].size < ((uint64_t)KEEL_MEMORY_MIN_MIB << 20))
		return -EINVAL;
	bp = calloc(1, sizeof(*bp));
	if (!bp)
		return -ENOMEM;
	rc = boot_read_file(cfg->kernel, "kernel", vm->ram[0].size, &img,
			    &len);
	if (rc) {
		free(bp);
		return rc;
	}
	rc = boot_load_vmlinux(vm, cfg->kernel, img, len, bp, entry, &info,
			       &end);
	if (rc < 0)
		goto out_free;
	if (rc == 0) {
		load = entry->rip;
		initrd_max = info.initrd_addr_max ? info.initrd_addr_max :
						    BOOT_DEFAULT_INITRD_MAX;
		goto loaded;
	}
	rc = boot_parse_bzimage(img, len, &info);
	flat = rc == -ENOEXEC;
	if (rc && !flat) {
		hv_error("Kernel %s is not a bootable bzImage: %s.",
			 cfg->kernel, info.why);
		goto out_free;
	}
	if (flat) {
		/* A flat binary: all of it at 1 MiB, entered there. */
		load = BOOT_KERNEL_ADDR;
		end = load + len;
		entry->rip = load;
		initrd_max = vm->ram[0].size - 1;
		if (end > vm->ram[0].size)
			rc = -ENOMEM;
		else
			rc = vm_write_guest(vm, load, img, len);
	} else {
		rc = boot_place_kernel(vm, &info, &load, &end);
		if (!rc)
			rc = vm_write_guest(vm, load, img + info.pm_offset,
					    info.pm_size);
		entry->rip = load + BOOT_ENTRY64_OFFSET;
		initrd_max = info.initrd_addr_max ? info.initrd_addr_max :
						    BOOT_DEFAULT_INITRD_MAX;
		memcpy((uint8_t *)bp + info.setup_offset,
		       img + info.setup_offset, info.setup_len);
	}
	if (rc) {
		hv_error("Kernel %s does not fit in %llu MiB of guest memory.",
			 cfg->kernel, (unsigned long long)(vm->ram_size >> 20));
		goto out_free;
	}

loaded:
	rc = boot_write_cmdline(vm, cfg->kernel, cfg->cmdline,
				flat ? BOOT_CMDLINE_MAX - 1 :
				       info.cmdline_size);
	if (rc)
		goto out_free;
	if (cfg->initrd) {
		rc = boot_load_initrd(vm, cfg->initrd, end, initrd_max,
				      &initrd, &initrd_size);
		if (rc)
			goto out_free;
	}

	bp->hdr.type_of_loader = HDR_LOADER_UNDEFINED;
	bp->hdr.loadflags |= HDR_CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff; /* "normal" */
	bp->hdr.code32_start = (uint32_t)load;
	bp->hdr.cmd_line_ptr = (uint32_t)BOOT_CMDLINE_ADDR;
	bp->hdr.ramdisk_image = (uint32_t)initrd;
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(initrd >> 32);
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	if (cfg->acpi_rsdp && (flat || info.version >= 0x020e))
		bp->acpi_rsdp_addr = cfg->acpi_rsdp;
	bp->e820_entries = (uint8_t)boot_build_e820(vm, bp->e820_table,
						   E820_MAX_ENTRIES_ZEROPAGE);
	rc = vm_write_guest(vm, BOOT_ZERO_PAGE_ADDR, bp, sizeof(*bp));
	if (!rc)
		rc = boot_setup_long_mode(vm, entry);
	if (!rc)
		log_debug("boot: %s %s at 0x%llx, entry 0x%llx, initrd %llu bytes at 0x%llx",
			  flat ? "flat binary" : info.pm_size ? "bzImage" : "vmlinux",
			  cfg->kernel,
			  (unsigned long long)load,
			  (unsigned long long)entry->rip,
			  (unsigned long long)initrd_size,
			  (unsigned long long)initrd);
out_free:
	free(img);
	free(bp);
	return rc;
}
