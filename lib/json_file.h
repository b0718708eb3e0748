/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSON_FILE_H
#define KEEL_JSON_FILE_H

/*
 * How keel's programs write a JSON file that another process, or the
 * same one after a crash, reads back: keeld's definitions and state.json
 * (daemon/registry.c, daemon/lifecycle.c), keel-hv's status file
 * (hypervisor/main.c). One writer, so that every such file is replaced
 * the same careful way.
 */

#include <sys/types.h>

#include <json-c/json.h>

/*
 * Replace the file @path with @o, serialised with json-c's @json_flags
 * (JSON_C_TO_STRING_*) and a newline, atomically: the text is written
 * to PATH.tmp (created close-on-exec, not through a symlink, with
 * exactly @mode whatever the umask), fsync'd, renamed over @path, and
 * the directory is fsync'd, so that a reader or a crash sees the old
 * content or the new, never half of either.
 *
 * Returns 0 or -errno. On a failure before the rename, PATH.tmp is
 * removed and @path is as it was. A failure of the directory's fsync
 * (the last step) means the new content is in place but may not
 * survive a crash.
 */
int json_file_write(const char *path, struct json_object *o, int json_flags,
		    mode_t mode);

#endif /* KEEL_JSON_FILE_H */
