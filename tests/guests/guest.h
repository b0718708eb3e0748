/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the in-tree test guests share: port I/O, the COM1 console, the
 * e820 map copied by crt0, power off / reset / crash, and the kvmclock.
 * Freestanding: no libc, no interrupts, one vCPU.
 */
#ifndef KEEL_TESTS_GUESTS_GUEST_H
#define KEEL_TESTS_GUESTS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096ULL

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b,
			 uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
}

/* crt0.S: the zero page's e820 table, copied before anything else ran. */
struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_RAM 1
#define E820_MAX 128 /* entries in the zero page; crt0.S copies as many */

extern struct e820_entry boot_e820[];
extern uint32_t boot_e820_nr;

/* crt0.S: the zero page's command line, at most CMDLINE_MAX - 1 bytes. */
#define CMDLINE_MAX 256
extern char boot_cmdline[CMDLINE_MAX];

/*
 * The number N of the first "@key=N" word on the command line (decimal),
 * or @def if there is none.
 */
uint64_t cmdline_u64(const char *key, uint64_t def);

/* Linker script: end of .bss, the first byte the image does not use. */
extern char __image_end[];

/* Entered by crt0 in ring 3 (IOPL 3): guest_main(), then power off. */
void guest_start(void) __attribute__((noreturn));

/*
 * Each guest's own code, in ring 3: port I/O, rdtsc and memory work;
 * privileged instructions (hlt, cli, wrmsr, mov to %cr) triple-fault.
 * Returning powers the guest off.
 */
void guest_main(void);

/* serial.c: COM1. "\n" goes out as "\r\n" for terminals in raw mode. */
void serial_putc(char c);
void serial_puts(const char *s);
/* @v in hex, lowercase, no prefix; at least @width digits. */
void serial_put_hex(uint64_t v, unsigned int width);
void serial_put_dec(uint64_t v);
/* A received byte, if one is waiting. Never blocks. */
bool serial_getc(char *c);

/* machine.c */
/*
 * Ring-0 set-up, called by crt0: map all of RAM (identity, 2 MiB user
 * pages) with page tables placed right after the image, note where free
 * memory starts, start the kvmclock.
 */
void machine_init(void);
/* First byte after the image, its stack and its page tables. */
uint64_t machine_free_start(void);
/* Top of the identity mapping machine_init() made (exclusive). */
uint64_t machine_mapped_top(void);
/* ACPI S5 through the HW-reduced sleep control register. */
void machine_poweroff(void) __attribute__((noreturn));
/* Reset through the i8042 (pulse the CPU reset line). */
void machine_reboot(void) __attribute__((noreturn));
/* Triple fault: an empty IDT, then an exception. */
void machine_crash(void) __attribute__((noreturn));
/* Do nothing, forever (spinning: hlt is not allowed in ring 3). */
void machine_halt(void) __attribute__((noreturn));

/* clock.c: kvmclock. */
/* Ring 0, from machine_init(): start the kvmclock if KVM offers one. */
void clock_init(void);
/* Whether clock_init() found a kvmclock. */
bool clock_ok(void);
/* Nanoseconds since some fixed point in the past (0 without a clock). */
uint64_t clock_ns(void);

/* string.c: what gcc may emit calls to even when freestanding. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif /* KEEL_TESTS_GUESTS_GUEST_H */
