/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_CLI_MEM_SIZE_H
#define KEEL_CLI_MEM_SIZE_H

#include <stddef.h>

/*
 * A memory size as xl mem-set and mem-max read it (man/keel.1,
 * mem-set): decimal digits and at most one suffix letter, in either
 * case: t (TiB), g (GiB), m or none (MiB), k (KiB), b (bytes). keel
 * sets memory in whole MiB, so a size that is not one is refused, not
 * rounded.
 *
 * Returns 0 and *@mib, or -EINVAL (not a size) or -ERANGE (too big, or
 * not whole MiB) with a sentence for the user in @why.
 */
int mem_size_parse(const char *s, long long *mib, char *why,
		   size_t size);

#endif /* KEEL_CLI_MEM_SIZE_H */
