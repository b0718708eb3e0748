// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test guests' view of the machine: ring-0 set-up (identity page
 * tables over all of RAM, user-accessible, and the kvmclock), then the
 * three ways out (power off, reset, crash), which work from ring 3.
 */
#include "guest.h"

#define PORT_ACPI_SLEEP_CTL 0x600
/* HW-reduced sleep control: SLP_TYP (bits 2-4) = 5 (S5), SLP_EN (bit 5). */
#define SLEEP_CTL_S5 ((5 << 2) | (1 << 5))
#define PORT_I8042_CMD 0x64
#define I8042_PULSE_RESET 0xfe

#define PTE_PRESENT 0x001ULL
#define PTE_WRITE 0x002ULL
#define PTE_USER 0x004ULL
#define PTE_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_USER)
#define PTE_LARGE 0x080ULL /* in a page directory: a 2 MiB page */
#define GIB (1ULL << 30)
#define BIG_PAGE (2ULL << 20)
/* One PDPT: up to 512 GiB, far more than any test gives a guest. */
#define MAP_LIMIT (512 * GIB)
#define CR4_TSD (1ULL << 2)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)

static uint64_t free_start;
static uint64_t mapped_top;

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static uint64_t ram_top(void)
{
	uint64_t top = 0;
	uint32_t i;

	for (i = 0; i < boot_e820_nr; i++) {
		const struct e820_entry *e = &boot_e820[i];

		if (e->type == E820_RAM && e->addr + e->size > top)
			top = e->addr + e->size;
	}
	return top;
}

/*
 * rep stosq: one instruction, where a loop would be thousands, which
 * matters in ring 0 on kvm_pvm (see crt0.S).
 */
static void zero_pages(void *p, uint64_t pages)
{
	uint64_t words = pages * PAGE_SIZE / 8;

	__asm__ volatile("rep stosq"
			 : "+D"(p), "+c"(words)
			 : "a"(0ULL)
			 : "memory");
}

void machine_init(void)
{
	uint64_t *pml4, *pdpt, *pd;
	uint64_t top, addr, tables, cr4;
	unsigned int gib, i;

	/*
	 * The hypervisor promises the first 4 GiB; RAM above that (a guest
	 * with more than ~3 GiB) needs our own tables anyway, and with our
	 * own tables nothing of the hypervisor's stays in use.
	 */
	top = ram_top();
	if (top < 4 * GIB)
		top = 4 * GIB;
	top = align_up(top, GIB);
	if (top > MAP_LIMIT)
		top = MAP_LIMIT;
	gib = (unsigned int)(top / GIB);

	tables = align_up((uint64_t)(uintptr_t)__image_end, PAGE_SIZE);
	pml4 = (uint64_t *)(uintptr_t)tables;
	pdpt = pml4 + 512;
	pd = pdpt + 512;
	/* The page directories get every entry written; these two don't. */
	zero_pages(pml4, 2);

	pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_FLAGS;
	for (i = 0; i < gib; i++)
		pdpt[i] = (uint64_t)(uintptr_t)(pd + 512 * i) | PTE_FLAGS;
	for (addr = 0; addr < top; addr += BIG_PAGE)
		pd[addr / BIG_PAGE] = addr | PTE_FLAGS | PTE_LARGE;

	/*
	 * Everything is a user page, and this code keeps running in ring 0
	 * on it until crt0 drops to ring 3: SMEP and SMAP must be off. And
	 * ring 3 reads the TSC (kvmclock).
	 */
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 &= ~(CR4_SMEP | CR4_SMAP | CR4_TSD);
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4)
			 : "memory");

	mapped_top = top;
	free_start = tables + (2 + gib) * PAGE_SIZE;
	/* wrmsr is privileged: start the clock while we can. */
	clock_init();
}

uint64_t machine_free_start(void)
{
	return free_start;
}

uint64_t machine_mapped_top(void)
{
	return mapped_top;
}

void machine_halt(void)
{
	/* hlt would #GP in ring 3, and that would be a triple fault. */
	for (;;)
		cpu_relax();
}

void machine_poweroff(void)
{
	outb(PORT_ACPI_SLEEP_CTL, SLEEP_CTL_S5);
	serial_puts("guest: still running after the ACPI power-off write\n");
	machine_halt();
}

void machine_reboot(void)
{
	outb(PORT_I8042_CMD, I8042_PULSE_RESET);
	serial_puts("guest: still running after the i8042 reset\n");
	machine_halt();
}

void machine_crash(void)
{
	/*
	 * crt0 loaded an empty IDT: int3 finds no gate (#GP), neither does
	 * the #GP (#DF), nor the #DF, and the CPU shuts down.
	 */
	__asm__ volatile("int3");
	serial_puts("guest: still running after a triple fault\n");
	machine_halt();
}

void guest_start(void)
{
	guest_main();
	machine_poweroff();
}
