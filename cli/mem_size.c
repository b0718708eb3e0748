// SPDX-License-Identifier: GPL-2.0-or-later
/* xl's memory sizes, in keel's unit (mem_size.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_size.h"

/* log2 of the suffix's unit in bytes; -1 for a letter xl does not take. */
static int unit_shift(char c)
{
	switch (tolower((unsigned char)c)) {
	case 't':
		return 40;
	case 'g':
		return 30;
	case '\0': /* xl's default unit is the MiB */
	case 'm':
		return 20;
	case 'k':
		return 10;
	case 'b':
		return 0;
	default:
		return -1;
	}
}

int mem_size_parse(const char *s, long long *mib, char *why,
		   size_t size)
{
	unsigned long long n, max;
	char *end;
	int shift;

	if (!isdigit((unsigned char)s[0])) {
		snprintf(why, size,
			 "\"%s\" is not a memory size; give a number of MiB, or one with a suffix t, g, m, k or b (1g, 512m).",
			 s);
		return -EINVAL;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	shift = strlen(end) > 1 ? -1 : unit_shift(*end);
	if (shift < 0) {
		snprintf(why, size,
			 "\"%s\" is not a memory size: the suffix can be t, g, m, k or b, one letter.",
			 s);
		return -EINVAL;
	}
	/* Bytes, with room to spare: 2^62 is far above any limit. */
	max = (1ULL << 62) >> shift;
	if (errno == ERANGE || n > max) {
		snprintf(why, size, "%s is far more memory than keel can give.",
			 s);
		return -ERANGE;
	}
	n <<= shift;
	if (n & ((1ULL << 20) - 1)) {
		snprintf(why, size,
			 "%s is not a whole number of MiB; keel sets memory in MiB (%llum is the nearest below).",
			 s, n >> 20);
		return -ERANGE;
	}
	*mib = (long long)(n >> 20);
	return 0;
}
