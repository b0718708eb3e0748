// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dirty: rewrites RAM above MEMSUM_FLOOR page by page, forever, at
 * DIRTY_RATE pages a second (kvmclock-paced), for migration tests. Each
 * pass first checks that every page still holds what the previous pass
 * wrote, so memory lost or mixed up in a migration shows as errors=N in
 * the heartbeat line printed every DIRTY_BEAT pages:
 *
 *   dirty beat=<n> pass=<p> pages=<pages written> errors=<bad pages>
 */
#include "guest.h"
#include "memsum.h"

#define DIRTY_RATE 2560ULL /* pages per second: 10 MiB/s */
#define DIRTY_BEAT 1024ULL /* pages per heartbeat */
#define DIRTY_REPORTS 8 /* bad pages reported one by one */

struct region {
	uint64_t start, end;
};

static struct region regions[E820_MAX];
static unsigned int nr_regions;

static uint64_t dirty_word(uint64_t addr, uint64_t pass)
{
	return memsum_word(addr ^ (pass * 0xd1342543de82ef95ULL));
}

static bool page_check(uint64_t page, uint64_t pass)
{
	const volatile uint64_t *w = (const volatile uint64_t *)(uintptr_t)page;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i] != dirty_word(page + 8 * i, pass))
			return false;
	return true;
}

static void page_fill(uint64_t page, uint64_t pass)
{
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)page;
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = dirty_word(page + 8 * i, pass);
}

static void collect_regions(void)
{
	uint64_t start, end;
	uint32_t i;

	for (i = 0; i < boot_e820_nr && nr_regions < E820_MAX; i++) {
		if (boot_e820[i].type != E820_RAM)
			continue;
		start = boot_e820[i].addr;
		end = start + boot_e820[i].size;
		if (!memsum_clip(&start, &end))
			continue;
		if (end > machine_mapped_top())
			end = machine_mapped_top();
		if (start >= end)
			continue;
		regions[nr_regions].start = start;
		regions[nr_regions].end = end;
		nr_regions++;
		serial_puts("dirty: region 0x");
		serial_put_hex(start, 0);
		serial_puts("-0x");
		serial_put_hex(end, 0);
		serial_putc('\n');
	}
}

static void heartbeat(uint64_t done, uint64_t pass, uint64_t errors)
{
	serial_puts("dirty beat=");
	serial_put_dec(done / DIRTY_BEAT);
	serial_puts(" pass=");
	serial_put_dec(pass);
	serial_puts(" pages=");
	serial_put_dec(done);
	serial_puts(" errors=");
	serial_put_dec(errors);
	serial_putc('\n');
}

/* Check what @pass - 1 left in @page (if anything); false if it is gone. */
static bool page_survived(uint64_t page, uint64_t pass, uint64_t errors)
{
	if (!pass || page_check(page, pass - 1))
		return true;
	if (errors < DIRTY_REPORTS) {
		serial_puts("dirty: page 0x");
		serial_put_hex(page, 0);
		serial_puts(" lost what pass ");
		serial_put_dec(pass - 1);
		serial_puts(" wrote\n");
	}
	return false;
}

void guest_main(void)
{
	uint64_t pass, page, done = 0, errors = 0, t0;
	bool paced = clock_ok();
	unsigned int r;

	serial_puts("dirty: ");
	serial_put_dec(DIRTY_RATE);
	serial_puts(" pages/s, a heartbeat every ");
	serial_put_dec(DIRTY_BEAT);
	serial_puts(paced ? " pages\n" :
			    " pages; no kvmclock, so as fast as it goes\n");
	collect_regions();
	if (!nr_regions || machine_free_start() > MEMSUM_FLOOR) {
		serial_puts("dirty: FAIL: no RAM to dirty\n");
		return;
	}

	t0 = clock_ns();
	for (pass = 0;; pass++) {
		for (r = 0; r < nr_regions; r++) {
			for (page = regions[r].start; page < regions[r].end;
			     page += PAGE_SIZE) {
				if (!page_survived(page, pass, errors))
					errors++;
				page_fill(page, pass);
				if (++done % DIRTY_BEAT == 0)
					heartbeat(done, pass, errors);
				/* Ahead of DIRTY_RATE: wait for the clock. */
				while (paced && done * 1000000000ULL >
					(clock_ns() - t0) * DIRTY_RATE)
					cpu_relax();
			}
		}
	}
}
