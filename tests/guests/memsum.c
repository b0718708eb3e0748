// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * memsum: fill all RAM above MEMSUM_FLOOR with a pattern, read it back,
 * print the checksum and whether every word came back (memsum.h has the
 * pattern and the output format; a host test recomputes the sum).
 */
#include "guest.h"
#include "memsum.h"

static void print_range(const char *what, uint64_t start, uint64_t end)
{
	serial_puts(what);
	serial_puts(" 0x");
	serial_put_hex(start, 0);
	serial_puts("-0x");
	serial_put_hex(end, 0);
}

/* The part of e820 entry @e that memsum covers, if any. */
static bool covered(const struct e820_entry *e, uint64_t *start,
		    uint64_t *end)
{
	*start = e->addr;
	*end = e->addr + e->size;
	if (e->type != E820_RAM || !memsum_clip(start, end))
		return false;
	if (*end > machine_mapped_top())
		*end = machine_mapped_top();
	return *start < *end;
}

void guest_main(void)
{
	uint64_t start, end, a, v, pages = 0, sum = 0, bad = 0, first_bad = 0;
	uint32_t i;

	for (i = 0; i < boot_e820_nr; i++) {
		print_range("memsum e820", boot_e820[i].addr,
			    boot_e820[i].addr + boot_e820[i].size);
		serial_puts(" type ");
		serial_put_dec(boot_e820[i].type);
		serial_putc('\n');
	}
	if (machine_free_start() > MEMSUM_FLOOR) {
		print_range("memsum FAIL: the image uses", 0x100000,
			    machine_free_start());
		serial_puts(", above the floor\n");
		return;
	}

	/*
	 * Write everything before reading anything back, so that two
	 * addresses backed by the same host memory show up as bad words.
	 */
	for (i = 0; i < boot_e820_nr; i++) {
		if (!covered(&boot_e820[i], &start, &end))
			continue;
		print_range("memsum region", start, end);
		serial_putc('\n');
		for (a = start; a < end; a += 8)
			*(volatile uint64_t *)(uintptr_t)a = memsum_word(a);
	}
	for (i = 0; i < boot_e820_nr; i++) {
		if (!covered(&boot_e820[i], &start, &end))
			continue;
		pages += (end - start) / MEMSUM_PAGE;
		for (a = start; a < end; a += 8) {
			v = *(volatile uint64_t *)(uintptr_t)a;
			sum += v;
			if (v != memsum_word(a) && !bad++)
				first_bad = a;
		}
	}

	serial_puts("memsum pages=");
	serial_put_dec(pages);
	serial_puts(" sum=");
	serial_put_hex(sum, 16);
	serial_putc('\n');
	if (bad) {
		serial_puts("memsum FAIL: ");
		serial_put_dec(bad);
		serial_puts(" words read back wrong, the first at 0x");
		serial_put_hex(first_bad, 0);
		serial_putc('\n');
	} else if (!pages) {
		serial_puts("memsum FAIL: no RAM above 0x200000\n");
	} else {
		serial_puts("memsum OK\n");
	}
}
