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

/* A value as written: a string, a number (its text) or a list of those. */
struct xlcfg_val {
	enum xlcfg_val_type type;
	int line;
	/* XLCFG_VAL_STRING: unquoted; XLCFG_VAL_NUMBER: as written */
	char *str;
	struct xlcfg_val *items; /* XLCFG_VAL_LIST */
	size_t n;
};

/* KEY = VALUE on its line. */
struct xlcfg_setting {
	char *key;
	int line;
	struct xlcfg_val val;
};

/*
 * Read the @len bytes at @buf (named @file in messages) as xl.cfg
 * syntax. Returns 0 and the settings in file order in *@sets and *@n
 * (free them with xlcfg_settings_free()), or -EINVAL with the sentence
 * in *@err, or -ENOMEM. Knows no key; a key set twice is refused here.
 */
int xlcfg_syntax_parse(const char *buf, size_t len, const char *file,
		       struct xlcfg_setting **sets, size_t *n, char **err);

/* Free @n settings at @sets; NULL is fine. */
void xlcfg_settings_free(struct xlcfg_setting *sets, size_t n);

/* Decimal without a leading zero, or 0x hex; optionally negative. */
bool xlcfg_is_integer(const char *s);

/* The value of the hex digit @c, or -1. */
int xlcfg_hexval(int c);

/* --- disk and vif items (xlcfg_disk.c, xlcfg_vif.c) --------------------- */

/* Where a conversion reports its first error. */
struct xlcfg_errs {
	const char *file;	/* the input's name, for "FILE:LINE: " */
	char **err;		/* the caller's message slot */
};

/*
 * Parse the specification string @v (an item of disk or vif) into a new
 * JSON object in *@out. Returns 0, -EINVAL with the sentence in
 * *@e->err, or -ENOMEM.
 */
int xlcfg_disk_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		     struct json_object **out);
int xlcfg_vif_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		    struct json_object **out);

/* --- helpers (xlcfg.c) --------------------------------------------------- */

/*
 * Set *@err to "FILE:LINE: message" (or "FILE: message" for @line 0),
 * keeping the first error if one is already set. Returns -EINVAL, or
 * -ENOMEM when the message could not be built.
 */
int xlcfg_fail(char **err, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* xlcfg_fail() with "In @what '@v': message" at @v's line. */
int xlcfg_spec_fail(const struct xlcfg_errs *e, const char *what,
		    const struct xlcfg_val *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* *@out = @o; 0, or -ENOMEM when @o is NULL (its allocation failed). */
int xlcfg_new_or_enomem(struct json_object *o, struct json_object **out);

/* Is @s one of the NULL-terminated @list? */
bool xlcfg_in_list(const char *s, const char *const *list);

/* @s without leading and trailing white space (trailing cut in place). */
char *xlcfg_trim(char *s);

#endif /* KEEL_XLCFG_INTERNAL_H */
