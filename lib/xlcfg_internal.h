/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_XLCFG_INTERNAL_H
#define KEEL_XLCFG_INTERNAL_H

/*
 * What the parts of the xl.cfg reader share (xlcfg.h is its interface):
 * the settings xlcfg_syntax.c reads, the disk and vif specification
 * parsers xlcfg.c calls for the items of disk and vif, and the helpers
 * they all use. Nothing outside lib/xlcfg*.c includes this.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/* --- the syntax (xlcfg_syntax.c) ---------------------------------------- */

enum xlcfg_val_type { XLCFG_VAL_STRING, XLCFG_VAL_NUMBER, XLCFG_VAL_LIST };

/*
 * A value as written: a string, a number (its text) or a list of those
 * and of lists (xl's vnuma nests them; the keys keel applies do not).
 */
struct xlcfg_val {
	enum xlcfg_val_type type;
	int line;
	/* XLCFG_VAL_STRING: unquoted; XLCFG_VAL_NUMBER: as written */
	char *str;
	struct xlcfg_val *items; /* XLCFG_VAL_LIST */
	size_t n;
};

/* KEY = VALUE or KEY += VALUE on its line of @file. */
struct xlcfg_setting {
	char *key;
	const char *file; /* the input's name, not owned */
	int line;
	bool append; /* += */
	struct xlcfg_val val;
};

/*
 * Read the @len bytes at @buf (named @file in messages) as xl.cfg
 * syntax, appending its settings in file order to *@sets and *@n (both
 * may start empty; free them with xlcfg_settings_free()). A line that
 * does not read is reported in *@err and skipped, and reading goes on,
 * so that one run names every such line. Returns 0, -EINVAL when some
 * line did not read (the settings that did are kept), or -ENOMEM.
 * Knows no key.
 */
int xlcfg_syntax_parse(const char *buf, size_t len, const char *file,
		       struct xlcfg_setting **sets, size_t *n, char **err);

/*
 * Apply xl's rules for a key given more than once, in place: a later
 * KEY = VALUE replaces the earlier one (with a warning in *@warn when
 * both are in the same input, since a file that sets a key twice was
 * usually edited by mistake), and KEY += VALUE appends to the earlier
 * value (lists item by item, strings as text). Returns 0, -EINVAL with
 * the sentences in *@err, or -ENOMEM. @warn may be NULL.
 */
int xlcfg_settings_merge(struct xlcfg_setting *sets, size_t *n, char **err,
			 char **warn);

/* Free @n settings at @sets; NULL is fine. */
void xlcfg_settings_free(struct xlcfg_setting *sets, size_t n);

/* Decimal without a leading zero, or 0x hex; optionally negative. */
bool xlcfg_is_integer(const char *s);

/* The value of the hex digit @c, or -1. */
int xlcfg_hexval(int c);

/* --- disk and vif items (xlcfg_disk.c, xlcfg_vif.c) --------------------- */

/* Where a conversion reports its errors and warnings. */
struct xlcfg_errs {
	const char *file;	/* the input's name, for "FILE:LINE: " */
	char **err;		/* the caller's error lines */
	char **warn;		/* the caller's warning lines; NULL: none */
};

/*
 * Parse the specification string @v (an item of disk or vif) into a new
 * JSON object in *@out. Returns 0 (perhaps with warnings in *@e->warn),
 * -EINVAL with the sentence in *@e->err, or -ENOMEM.
 */
int xlcfg_disk_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		     struct json_object **out);
int xlcfg_vif_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		    struct json_object **out);

/*
 * xen-tools' partition vdevs (xvda1, xvda2: each a separate image that
 * holds one filesystem), which keel gives the guest as whole disks
 * (keel.cfg(5), "DISKS"). xlcfg_disk_parse() keeps such a name and
 * marks the disk; xlcfg_disk_partitions() then gives each marked disk of
 * @disks a whole-disk vdev nobody else uses, from its partition's disk
 * on, before the disks are ordered. Returns 0 or -ENOMEM.
 */
int xlcfg_disk_partitions(struct json_object *disks);

/*
 * Once the disks are in their final order and the command line is
 * built: warn, at each marked disk's line (in @disks_file), which
 * /dev/vdX the guest finds the partition's filesystem on; rewrite a
 * root=/dev/PARTITION in *@cmdline (may be NULL; replaced by a new
 * string) to that disk, with a warning at @cmd_file:@cmd_line; and
 * take the marks off, so that the model has only its own members.
 * Returns 0 or -ENOMEM.
 */
int xlcfg_disk_partitions_done(const struct xlcfg_errs *e,
			       const char *disks_file,
			       struct json_object *disks,
			       struct json_object **cmdline,
			       const char *cmd_file, int cmd_line);

/*
 * The keys of xl.cfg(5) that keel does not apply (xlcfg_keys.c): if
 * @s's key is one, warn that it is ignored or refuse it, saying why.
 * Returns 0 (ignored, with a warning in *@e->warn), -EINVAL (refused,
 * in *@e->err), -ENOMEM, or -ENOENT when @s's key is not one of them.
 */
int xlcfg_xl_key(const struct xlcfg_errs *e, const struct xlcfg_setting *s);

/*
 * Read the @len bytes at @buf (named @name) as xl.cfg, with
 * @noverrides KEY=VALUE @overrides after them, into the JSON model
 * (xlcfg.c); as xlcfg_read_buf() says, which checked the bytes first.
 */
int xlcfg_parse_xl(const char *buf, size_t len, const char *name,
		   char *const *overrides, size_t noverrides,
		   struct json_object **out, char **err, char **warn);

/* --- helpers (xlcfg.c) --------------------------------------------------- */

/*
 * The most error lines one reading reports; past them, one line says
 * that there are more.
 */
#define XLCFG_MAX_ERRORS 20

/*
 * Add the line "FILE:LINE: message" (or "FILE: message" for @line 0) to
 * *@err, after the lines already there, so that one reading reports
 * every problem it meets (up to XLCFG_MAX_ERRORS). Returns -EINVAL, or
 * -ENOMEM when the message could not be built.
 */
int xlcfg_fail(char **err, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Add the line "FILE:LINE: warning: message" to *@warn; nothing if
 * @warn is NULL. Returns 0, or -ENOMEM.
 */
int xlcfg_warn(char **warn, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* xlcfg_fail() with "In @what '@v': message" at @v's line. */
int xlcfg_spec_fail(const struct xlcfg_errs *e, const char *what,
		    const struct xlcfg_val *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* xlcfg_warn() to @e->warn with "In @what '@v': message". */
int xlcfg_spec_warn(const struct xlcfg_errs *e, const char *what,
		    const struct xlcfg_val *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* *@out = @o; 0, or -ENOMEM when @o is NULL (its allocation failed). */
int xlcfg_new_or_enomem(struct json_object *o, struct json_object **out);

/* Is @s one of the NULL-terminated @list? */
bool xlcfg_in_list(const char *s, const char *const *list);

/* @s without leading and trailing white space (trailing cut in place). */
char *xlcfg_trim(char *s);

#endif /* KEEL_XLCFG_INTERNAL_H */
