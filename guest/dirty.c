// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-dirty: a load for live-migration measurements, installed as
 * /bin/keel-dirty in keel's default guest (guest/mkguest.sh).
 *
 *   keel-dirty [-r MIB_PER_S] [-m MIB] [-g GAP_MS]
 *
 * Writes MIB MiB (64 by default) of its own memory once, then rewrites
 * pages of it at MIB_PER_S (0: none), a word per 4 KiB page with a value
 * never zero, so that every page it dirties must be sent again. All the
 * while it reads CLOCK_MONOTONIC in a tight loop and prints a line
 *
 *   keel-dirty: gap MS ms at T s
 *
 * whenever two readings are more than GAP_MS (20) apart: the time the
 * guest itself saw stand still, which a migration's downtime is, as the
 * guest sees it. Every 5 s it prints "keel-dirty: alive T s, dirtied N
 * MiB, largest gap MS ms". It runs until killed. tests/bench/migrate
 * runs it; it has no other use.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long arg(const char *s, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max) {
		fprintf(stderr, "keel-dirty: %s must be 0 to %ld, not \"%s\"\n",
			what, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long rate = 0, mib = 64, gap_ms = 20;
	double start, last, next_alive, largest = 0;
	uint64_t npages, dirtied = 0, stamp = 1;
	unsigned char *mem;
	int c;

	while ((c = getopt(argc, argv, "r:m:g:")) != -1) {
		switch (c) {
		case 'r':
			rate = arg(optarg, 100000, "-r (MiB/s)");
			break;
		case 'm':
			mib = arg(optarg, 1 << 20, "-m (MiB)");
			break;
		case 'g':
			gap_ms = arg(optarg, 1000000, "-g (ms)");
			break;
		default:
			fprintf(stderr, "usage: keel-dirty [-r MIB_PER_S] "
					"[-m MIB] [-g GAP_MS]\n");
			return 2;
		}
	}
	if (mib == 0)
		mib = 1;
	npages = (uint64_t)mib * (1 << 20) / PAGE;
	mem = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "keel-dirty: cannot map %ld MiB: %s\n", mib,
			strerror(errno));
		return 1;
	}
	for (uint64_t i = 0; i < npages; i++)
		*(volatile uint64_t *)(mem + i * PAGE) = stamp;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("keel-dirty: %ld MiB written, dirtying %ld MiB/s, gaps over "
	       "%ld ms reported\n", mib, rate, gap_ms);
	start = last = now_s();
	next_alive = start + 5;
	for (;;) {
		double t = now_s(), gap = t - last;
		uint64_t due;

		if (gap * 1000 > (double)gap_ms)
			printf("keel-dirty: gap %.3f ms at %.3f s\n",
			       gap * 1000, t - start);
		if (gap > largest)
			largest = gap;
		last = t;
		/* Catch up with the rate, a few pages per turn of the loop. */
		due = (uint64_t)((t - start) * (double)rate * (1 << 20) /
				 (double)PAGE);
		for (int n = 0; dirtied < due && n < 16; n++, dirtied++)
			*(volatile uint64_t *)(mem + (dirtied % npages) *
							   PAGE) = ++stamp;
		if (t >= next_alive) {
			printf("keel-dirty: alive %.0f s, dirtied %llu MiB, "
			       "largest gap %.3f ms\n", t - start,
			       (unsigned long long)(dirtied * PAGE >> 20),
			       largest * 1000);
			next_alive += 5;
		}
	}
}
