/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_XLCFG_H
#define KEEL_XLCFG_H

/*
 * Reading a domain configuration in either of its file spellings: keel's
 * native JSON, or the syntax of Xen's xl.cfg(5) for the keys keel
 * supports. The xl.cfg reader produces the same JSON model the daemon
 * takes (schemas/domain.schema.json), which is what `keel create -n FILE`
 * prints.
 *
 * Where keel departs from xl, on purpose:
 *  - A key xl does not know is an error (xl ignores it): a misspelt key
 *    silently ignored is how configs rot. xl's own keys that keel does
 *    not apply are ignored with a warning or refused (xlcfg_keys.c).
 *  - A key set twice in one file takes the last value, as in xl, but
 *    with a warning naming both lines.
 *  - `KEY += NUMBER` is refused: xl joins the digits ("5" += "1" is 51).
 *  - Numbers are decimal or 0x hex; a number with a leading zero is
 *    refused, since xl reads it as octal and nobody means that. A number
 *    key also takes a quoted number ("512"), as xl does.
 *  - cpus refuses NUMA nodes ("nodes:0"): keel does no NUMA
 *    placement. A cpus list longer than the domain's vCPUs is refused.
 *  - `rng` and `prefault` (0 or 1) are keel's own: xl has no such keys.
 *  - A quoted string cannot span lines, and cannot contain a NUL byte.
 *  - name and kernel must be set (the schema requires them too).
 *  - Files larger than 1 MiB are refused.
 *  - Every problem in a file is reported, not only the first (up to
 *    XLCFG_MAX_ERRORS lines), each as "FILE:LINE: sentence".
 * Defaults are left to the daemon, except what xl itself derives from the
 * file: cmdline from root/extra, a disk's format (raw) and readonly flag.
 *
 * The reader converts; it does not check keel's limits (a name's length,
 * memory, vCPUs, how many disks): the result is to be validated against
 * schemas/domain.schema.json, as keeld does and `keel create` does
 * before it sends anything, so that each limit is written once.
 */

#include <stddef.h>

struct json_object;

/*
 * Parse a configuration of @len bytes at @buf (need not be
 * NUL-terminated). If its first non-blank byte is '{' it is taken as
 * JSON and returned as is; otherwise it is read as xl.cfg. @name names
 * the input in error messages ("FILE:LINE: ...").
 *
 * Returns 0 and sets *@out to a new json object the caller puts, or a
 * negative errno (-EINVAL for a bad configuration, -ENOMEM) and sets
 * *@err to a malloc'd sentence saying what is wrong and where (NULL if
 * even that could not be allocated); the caller frees it.
 */
int xlcfg_parse_buf(const char *buf, size_t len, const char *name,
		    struct json_object **out, char **err);

/*
 * As xlcfg_parse_buf(), reading the file at @path; "-" reads standard
 * input (named "<stdin>" in messages). Also fails with the negative
 * errno of open() or read(), with a message in *@err.
 */
int xlcfg_parse_file(const char *path, struct json_object **out, char **err);

/*
 * As xlcfg_parse_buf() and xlcfg_parse_file(), with xl's KEY=VALUE
 * overrides (`xl create FILE KEY=VALUE...`): the @noverrides strings at
 * @overrides are read as xl.cfg settings after the file's own, so they
 * win, and are named "<command line>:N" in messages (N counts them from
 * 1). A JSON file takes no overrides. *@err holds one line per problem.
 * If @warn is not NULL, *@warn is set to the warnings, one
 * "FILE:LINE: warning: sentence" a line (a key ignored, a key set twice,
 * a root= that will not exist), or NULL if there are none; the caller
 * frees it, whether the reading succeeded or not.
 */
int xlcfg_read_buf(const char *buf, size_t len, const char *name,
		   char *const *overrides, size_t noverrides,
		   struct json_object **out, char **err, char **warn);
int xlcfg_read_file(const char *path, char *const *overrides,
		    size_t noverrides, struct json_object **out, char **err,
		    char **warn);

#endif /* KEEL_XLCFG_H */
