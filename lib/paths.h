/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_PATHS_H
#define KEEL_PATHS_H

#include <stdbool.h>

/*
 * Where keel's programs find their data and each other: the installed
 * places (configure's pkgdatadir and sbindir), or, for a program run
 * from the build tree it was built in, the source tree's schemas/ and
 * the build tree's hypervisor/keel-hv, so that a freshly built keeld
 * works without `make install` (README, "Using it"). An explicit
 * setting (--schema-dir, --hypervisor, keeld.conf's hypervisor) is the
 * caller's business and always wins over these defaults.
 */

/* The environment variable that names the schema directory. */
#define KEEL_ENV_SCHEMA_DIR "KEEL_SCHEMA_DIR"

/*
 * Whether the executable @exe (an absolute path without symbolic links,
 * such as /proc/self/exe's target) lies under the build tree this code
 * was compiled in. False for any other path, and for a build tree that
 * no longer exists.
 */
bool keel_exe_in_build_tree(const char *exe);

/*
 * The directory with keel.openrpc.json and domain.schema.json, for the
 * program @exe: $KEEL_SCHEMA_DIR when it is set and not empty, else the
 * source tree's schemas/ when @exe is in the build tree, else the
 * installed PKGDATADIR/schemas. Returns a string the caller frees, or
 * NULL when out of memory.
 */
char *keel_schema_dir_for(const char *exe);

/*
 * The keel-hv keeld starts for @exe: the build tree's hypervisor/keel-hv
 * when @exe is in the build tree, else the installed SBINDIR/keel-hv.
 * Returns a string the caller frees, or NULL when out of memory.
 */
char *keel_hv_path_for(const char *exe);

/*
 * The two above for the running program (/proc/self/exe; a program whose
 * executable cannot be read is taken to be installed).
 */
char *keel_schema_dir(void);
char *keel_hv_path(void);

#endif /* KEEL_PATHS_H */
