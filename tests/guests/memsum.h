/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The memsum test guest's pattern and checksum, shared with the host:
 * a test includes this header to compute what the guest must print.
 *
 * The guest fills every 64-bit word of every RAM page (e820 type 1) at
 * or above MEMSUM_FLOOR with memsum_word(address), reads it all back,
 * and prints the sum (mod 2^64) of what it read:
 *
 *   memsum region 0x200000-0x2000000       (one line per e820 RAM range)
 *   memsum pages=7680 sum=89abcdef01234567 (4 KiB pages, 16 hex digits)
 *   memsum OK                              (or "memsum FAIL ...")
 *
 * so the expected sum for a guest is the sum of memsum_range() over its
 * RAM ranges passed through memsum_clip(). Plain C99, no libc: usable by
 * the freestanding guest and by hosted tests alike.
 */
#ifndef KEEL_TESTS_GUESTS_MEMSUM_H
#define KEEL_TESTS_GUESTS_MEMSUM_H

#include <stdbool.h>
#include <stdint.h>

/* Below: the guest's image, stack, page tables; never written. */
#define MEMSUM_FLOOR 0x200000ULL
/* The guest maps (and so checks) RAM below this only. */
#define MEMSUM_LIMIT (512ULL << 30)
#define MEMSUM_PAGE 4096ULL
#define MEMSUM_SEED 0x6b65656c6d656d73ULL /* "keelmems" */

/*
 * The word memsum stores at guest physical address @addr: a splitmix64
 * step, so neighbouring words and pages differ in every bit.
 */
static inline uint64_t memsum_word(uint64_t addr)
{
	uint64_t z = (addr ^ MEMSUM_SEED) + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Narrow the RAM range [*start, *end) to what memsum covers: whole pages,
 * at or above MEMSUM_FLOOR, below MEMSUM_LIMIT. Returns false if nothing
 * is left.
 */
static inline bool memsum_clip(uint64_t *start, uint64_t *end)
{
	uint64_t s = *start, e = *end;

	if (s < MEMSUM_FLOOR)
		s = MEMSUM_FLOOR;
	if (e > MEMSUM_LIMIT)
		e = MEMSUM_LIMIT;
	s = (s + MEMSUM_PAGE - 1) & ~(MEMSUM_PAGE - 1);
	e &= ~(MEMSUM_PAGE - 1);
	if (s >= e)
		return false;
	*start = s;
	*end = e;
	return true;
}

/*
 * Sum (mod 2^64) of memsum_word() over the words of [start, end), a
 * range memsum_clip() returned.
 */
static inline uint64_t memsum_range(uint64_t start, uint64_t end)
{
	uint64_t sum = 0, a;

	for (a = start; a < end; a += 8)
		sum += memsum_word(a);
	return sum;
}

#endif /* KEEL_TESTS_GUESTS_MEMSUM_H */
