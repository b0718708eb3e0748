// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The few string functions of the test guests. gcc may emit calls to
 * memset/memcpy/memcmp even with -ffreestanding, so they must exist;
 * -fno-tree-loop-distribute-patterns keeps it from turning these very
 * loops back into calls to themselves.
 */
#include "guest.h"

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

uint64_t cmdline_u64(const char *key, uint64_t def)
{
	const char *p = boot_cmdline;

	while (*p) {
		const char *k = key, *w = p;
		uint64_t v = 0;

		while (*k && *w == *k) {
			k++;
			w++;
		}
		if (!*k && *w == '=' && w[1] >= '0' && w[1] <= '9') {
			for (w++; *w >= '0' && *w <= '9'; w++)
				v = v * 10 + (uint64_t)(*w - '0');
			if (!*w || *w == ' ')
				return v;
		}
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	return def;
}
