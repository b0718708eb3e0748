// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The build tree or the installed places (paths.h). A program knows it
 * runs from its build tree by its own executable, /proc/self/exe, lying
 * under the build directory configure was run in: no environment
 * variable to forget, and an installed copy of the same program (whose
 * executable is elsewhere) is never misled by a build tree left on the
 * disk.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"

#ifndef KEEL_ABS_BUILDDIR
#error "KEEL_ABS_BUILDDIR must name the build tree (lib/local.mk)."
#endif
#ifndef KEEL_ABS_SRCDIR
#error "KEEL_ABS_SRCDIR must name the source tree (lib/local.mk)."
#endif
#ifndef KEEL_DATADIR
#error "KEEL_DATADIR must name the installed pkgdatadir (Makefile.am)."
#endif
#ifndef KEEL_SBINDIR
#error "KEEL_SBINDIR must name the installed sbindir (Makefile.am)."
#endif

bool keel_exe_in_build_tree(const char *exe)
{
	/* The build tree as the kernel spells it: no symbolic links. */
	char *root = realpath(KEEL_ABS_BUILDDIR, NULL);
	size_t len;
	bool in;

	if (!root)
		return false;
	len = strlen(root);
	in = !strncmp(exe, root, len) && exe[len] == '/';
	free(root);
	return in;
}

static char *join(const char *dir, const char *name)
{
	char *s;

	if (asprintf(&s, "%s/%s", dir, name) < 0)
		return NULL;
	return s;
}

char *keel_schema_dir_for(const char *exe)
{
	const char *env = getenv(KEEL_ENV_SCHEMA_DIR);

	if (env && *env)
		return strdup(env);
	if (keel_exe_in_build_tree(exe))
		return join(KEEL_ABS_SRCDIR, "schemas");
	return join(KEEL_DATADIR, "schemas");
}

char *keel_hv_path_for(const char *exe)
{
	if (keel_exe_in_build_tree(exe))
		return join(KEEL_ABS_BUILDDIR, "hypervisor/keel-hv");
	return join(KEEL_SBINDIR, "keel-hv");
}

/*
 * This program's executable into @buf; the empty string when it cannot
 * be read (no /proc), which no build tree contains.
 */
static void self_exe(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
}

char *keel_schema_dir(void)
{
	char exe[PATH_MAX];

	self_exe(exe, sizeof(exe));
	return keel_schema_dir_for(exe);
}

char *keel_hv_path(void)
{
	char exe[PATH_MAX];

	self_exe(exe, sizeof(exe));
	return keel_hv_path_for(exe);
}
