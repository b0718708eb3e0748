// SPDX-License-Identifier: GPL-2.0-or-later
/* The checks of a PKI directory's files shared by keeld and libkeel. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "pki.h"

int pki_key_check(const char *path, char *why, size_t size)
{
	struct stat st;

	if (stat(path, &st)) {
		int rc = -errno;

		snprintf(why, size, "Cannot use the private key %s: %s.", path,
			 strerror(errno));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, size,
			 "Cannot use the private key %s: it is not a regular file.",
			 path);
		return -EINVAL;
	}
	if (st.st_mode & 077) {
		snprintf(why, size,
			 "Refusing the private key %s: it is readable or writable by group or others (mode %04o); make it private with chmod 600.",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}
