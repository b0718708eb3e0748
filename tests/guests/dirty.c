// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dirty: rewrites RAM above MEMSUM_FLOOR page by page, forever, at
 * dirty.mib=N MiB a second (default 10; kvmclock-paced), for migration
 * tests. Each pass first checks that every page still holds what the
 * previous pass wrote, so memory lost or mixed up in a migration shows
 * as errors=N in the heartbeat line printed every DIRTY_BEAT pages:
 *
 *   dirty beat=<n> pass=<p> pages=<pages written> errors=<bad pages>
 *
 * dirty.mib=0 writes its RAM once and then only reads the clock, saying
 * "dirty: idle <seconds>" every second. dirty.gap_us=N (default 0: off)
 * reports each gap longer than N microseconds between two reads of the
 * clock, "dirty: gap <us> us": time the guest did not run, such as a
 * migration's pause (tests/bench/migrate --test-guest).
 */
#include "guest.h"
#include "memsum.h"

#define DIRTY_MIB_S 10ULL /* MiB per second unless dirty.mib= says */
#define DIRTY_BEAT 1024ULL /* pages per heartbeat */
#define DIRTY_REPORTS 8 /* bad pages reported one by one */

struct region {
	uint64_t start, end;
};

static struct region regions[E820_MAX];
static unsigned int nr_regions;
static uint64_t gap_ns;	/* dirty.gap_us, in ns; 0: not watched */
static uint64_t last_ns;	/* the clock's last reading */

/* The clock, and a word for a gap since the last reading over gap_ns. */
static uint64_t clock_watch(void)
{
	uint64_t now = clock_ns();

	if (gap_ns && last_ns && now - last_ns > gap_ns) {
		serial_puts("dirty: gap ");
		serial_put_dec((now - last_ns) / 1000);
		serial_puts(" us\n");
		now = clock_ns(); /* the line took time too */
	}
	last_ns = now;
	return now;
}

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

/* dirty.mib=0: the memory written once, then only the clock. */
static void idle(uint64_t t0)
{
	uint64_t next = t0 + 1000000000ULL;

	for (;;) {
		uint64_t now = clock_watch();

		if (now >= next) {
			serial_puts("dirty: idle ");
			serial_put_dec((now - t0) / 1000000000ULL);
			serial_putc('\n');
			next += 1000000000ULL;
		}
		cpu_relax();
	}
}

void guest_main(void)
{
	uint64_t pass, page, done = 0, errors = 0, t0;
	uint64_t mib = cmdline_u64("dirty.mib", DIRTY_MIB_S);
	uint64_t rate = mib * 256; /* pages per second */
	bool paced = clock_ok();
	unsigned int r;

	gap_ns = cmdline_u64("dirty.gap_us", 0) * 1000;
	serial_puts("dirty: ");
	serial_put_dec(rate);
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
				/* Ahead of the rate: wait for the clock. */
				while (paced && rate &&
				       done * 1000000000ULL >
					       (clock_watch() - t0) * rate)
					cpu_relax();
			}
		}
		if (!rate && paced) {
			heartbeat(done, pass, errors);
			idle(t0);
		}
	}
}
