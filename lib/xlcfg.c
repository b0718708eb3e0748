// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xl.cfg(5) reader: a lexer and a recursive-descent parser turn the file
 * into a list of settings (key, line, value), then one table of keys
 * converts each setting into its field of the JSON domain model. The
 * decisions where keel departs from xl are listed in xlcfg.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "xlcfg.h"

#define XLCFG_MAX_SIZE (1024 * 1024)
#define XLCFG_MAX_CPUS 4096

/* --- errors ------------------------------------------------------------ */

/*
 * Set *@err to "FILE:LINE: message" (or "FILE: message" for @line 0),
 * keeping the first error if one is already set. Returns -EINVAL, or
 * -ENOMEM when the message could not be built.
 */
static int __attribute__((format(printf, 4, 5)))
fail(char **err, const char *file, int line, const char *fmt, ...)
{
	char *msg, *full;
	va_list ap;
	int n;

	if (*err)
		return -EINVAL;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (line > 0)
		n = asprintf(&full, "%s:%d: %s", file, line, msg);
	else
		n = asprintf(&full, "%s: %s", file, msg);
	free(msg);
	if (n < 0)
		return -ENOMEM;
	*err = full;
	return -EINVAL;
}

static int line_at(const char *buf, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* --- syntax ------------------------------------------------------------ */

enum val_type { VAL_STRING, VAL_NUMBER, VAL_LIST };

struct val {
	enum val_type type;
	int line;
	char *str; /* VAL_STRING: unquoted; VAL_NUMBER: as written */
	struct val *items; /* VAL_LIST */
	size_t n;
};

struct setting {
	char *key;
	int line;
	struct val val;
};

enum tok_type {
	TOK_EOF, TOK_NL, TOK_SEMI, TOK_EQ, TOK_PLUSEQ, TOK_LBRACK, TOK_RBRACK,
	TOK_COMMA, TOK_ID, TOK_STRING, TOK_NUMBER,
};

struct parser {
	const char *file;
	const char *p, *end;
	int line; /* of the next unread byte */
	enum tok_type tok;
	int tok_line;
	char *text; /* owned; for TOK_ID, TOK_STRING and TOK_NUMBER */
	char **err;
	struct setting *sets;
	size_t nsets;
};

static void val_dispose(struct val *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		val_dispose(&v->items[i]);
	free(v->items);
	free(v->str);
}

static void settings_free(struct setting *sets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(sets[i].key);
		val_dispose(&sets[i].val);
	}
	free(sets);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, none past U+10FFFF. */
static bool utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned int c = *s++, n, i, cp, min;

		if (c < 0x80)
			continue;
		if (c < 0xc2 || c > 0xf4)
			return false;
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
		min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
		cp = c & (0x3f >> n);
		for (i = 0; i < n; i++) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*s++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/*
 * Decode the quoted string at ps->p (on its opening quote) with the
 * escapes libxlu accepts.
 */
static int lex_string(struct parser *ps)
{
	static const char simple[] = "\"\"''\\\\a\ab\bf\fn\nr\rt\tv\v";
	char quote = *ps->p, *out;
	const char *s, *e;
	size_t n = 0;

	for (e = ps->p + 1; e < ps->end && *e != quote; e++) {
		if (*e == '\n')
			break;
		if (*e == '\\' && e + 1 < ps->end && e[1] != '\n')
			e++;
	}
	if (e >= ps->end || *e != quote)
		return fail(ps->err, ps->file, ps->line,
			    "This quoted string is not closed on the line it starts on; add the closing %c.",
			    quote);
	out = malloc(e - ps->p);
	if (!out)
		return -ENOMEM;
	for (s = ps->p + 1; s < e; s++) {
		const char *m;
		int c = 0, i;

		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		s++;
		m = *s ? strchr(simple, *s) : NULL;
		if (m && (m - simple) % 2 == 0) {
			out[n++] = m[1];
			continue;
		}
		if (*s == 'x') {
			if (s + 2 >= e || hexval(s[1]) < 0 ||
			    hexval(s[2]) < 0) {
				free(out);
				return fail(ps->err, ps->file, ps->line,
					    "'\\x' must be followed by two hex digits, as in \\x41.");
			}
			c = hexval(s[1]) * 16 + hexval(s[2]);
			s += 2;
		} else if (*s >= '0' && *s <= '7') {
			for (i = 0; i < 3 && s < e && *s >= '0' && *s <= '7';
			     i++)
				c = c * 8 + *s++ - '0';
			s--;
		} else {
			free(out);
			return fail(ps->err, ps->file, ps->line,
				    "'\\%c' is not an escape xl.cfg knows; write \\\\ for a backslash, or use \\n, \\t, \\xHH or \\ooo.",
				    *s);
		}
		if (c == 0 || c > 255) {
			free(out);
			return fail(ps->err, ps->file, ps->line,
				    "A string escape must give a byte from 1 to 255; NUL and larger values cannot be used.");
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	ps->text = out;
	ps->p = e + 1;
	if (!utf8_valid((const unsigned char *)out))
		return fail(ps->err, ps->file, ps->line,
			    "This string is not valid UTF-8; keel's configuration is UTF-8 text.");
	return 0;
}

/* Decimal without a leading zero, or 0x hex; optionally negative. */
static bool is_integer(const char *s)
{
	if (*s == '-')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		for (s += 2; *s; s++)
			if (!isxdigit((unsigned char)*s))
				return false;
		return true;
	}
	if (!isdigit((unsigned char)*s) || (s[0] == '0' && s[1]))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

static bool is_decimal_fraction(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s++ != '.')
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	return !*s;
}

static int lex_word(struct parser *ps, bool number)
{
	const char *s = ps->p, *digits;

	if (number && *s == '-')
		s++;
	while (s < ps->end && (isalnum((unsigned char)*s) || *s == '_' ||
			       (number && *s == '.')))
		s++;
	ps->text = strndup(ps->p, s - ps->p);
	if (!ps->text)
		return -ENOMEM;
	ps->p = s;
	if (!number || is_integer(ps->text) || is_decimal_fraction(ps->text))
		return 0;
	digits = ps->text + (ps->text[0] == '-');
	if (digits[0] == '0' && isdigit((unsigned char)digits[1]))
		return fail(ps->err, ps->file, ps->line,
			    "'%s' starts with 0, which xl reads as octal; write it in decimal without the leading zero, or in hex with 0x.",
			    ps->text);
	return fail(ps->err, ps->file, ps->line,
		    "'%s' is not a number; write a decimal or 0x hex number, or quote it if it is a string.",
		    ps->text);
}

/* Read the next token into ps->tok, freeing the text of the last one. */
static int next(struct parser *ps)
{
	char c;

	free(ps->text);
	ps->text = NULL;
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\r'))
		ps->p++;
	if (ps->p < ps->end && *ps->p == '#') {
		while (ps->p < ps->end && *ps->p != '\n')
			ps->p++;
	}
	ps->tok_line = ps->line;
	if (ps->p >= ps->end) {
		ps->tok = TOK_EOF;
		return 0;
	}
	c = *ps->p;
	if (c == '"' || c == '\'') {
		ps->tok = TOK_STRING;
		return lex_string(ps);
	}
	if (isdigit((unsigned char)c) ||
	    (c == '-' && ps->p + 1 < ps->end &&
	     isdigit((unsigned char)ps->p[1]))) {
		ps->tok = TOK_NUMBER;
		return lex_word(ps, true);
	}
	if (isalpha((unsigned char)c) || c == '_') {
		ps->tok = TOK_ID;
		return lex_word(ps, false);
	}
	ps->p++;
	switch (c) {
	case '\n':
		ps->line++;
		ps->tok = TOK_NL;
		return 0;
	case ';':
		ps->tok = TOK_SEMI;
		return 0;
	case '=':
		ps->tok = TOK_EQ;
		return 0;
	case '[':
		ps->tok = TOK_LBRACK;
		return 0;
	case ']':
		ps->tok = TOK_RBRACK;
		return 0;
	case ',':
		ps->tok = TOK_COMMA;
		return 0;
	case '+':
		if (ps->p < ps->end && *ps->p == '=') {
			ps->p++;
			ps->tok = TOK_PLUSEQ;
			return 0;
		}
		break;
	}
	if (isprint((unsigned char)c))
		return fail(ps->err, ps->file, ps->tok_line,
			    "Unexpected character '%c'; quote strings, as in name = \"web\".",
			    c);
	return fail(ps->err, ps->file, ps->tok_line,
		    "Unexpected byte 0x%02x; an xl.cfg file is plain text.",
		    (unsigned char)c);
}

static int skip_newlines(struct parser *ps)
{
	int rc = 0;

	while (!rc && ps->tok == TOK_NL)
		rc = next(ps);
	return rc;
}

/* Take a scalar token's text into @v and move past it. */
static int take_scalar(struct parser *ps, struct val *v)
{
	v->type = ps->tok == TOK_STRING ? VAL_STRING : VAL_NUMBER;
	v->line = ps->tok_line;
	v->str = ps->text;
	ps->text = NULL;
	return next(ps);
}

static int parse_list(struct parser *ps, struct val *v, const char *key)
{
	int start = ps->tok_line, rc;
	struct val *items;

	v->type = VAL_LIST;
	v->line = start;
	rc = next(ps);
	if (!rc)
		rc = skip_newlines(ps);
	while (!rc && ps->tok != TOK_RBRACK) {
		if (ps->tok == TOK_EOF)
			return fail(ps->err, ps->file, start,
				    "The list for '%s' is never closed; add a ']' after its last item.",
				    key);
		if (ps->tok == TOK_LBRACK)
			return fail(ps->err, ps->file, ps->tok_line,
				    "Lists inside lists are not supported; the items of '%s' are quoted strings or numbers.",
				    key);
		if (ps->tok != TOK_STRING && ps->tok != TOK_NUMBER)
			return fail(ps->err, ps->file, ps->tok_line,
				    "Expected a quoted string or a number in the list for '%s'.",
				    key);
		items = realloc(v->items, (v->n + 1) * sizeof(*items));
		if (!items)
			return -ENOMEM;
		v->items = items;
		memset(&items[v->n], 0, sizeof(*items));
		rc = take_scalar(ps, &items[v->n++]);
		if (!rc)
			rc = skip_newlines(ps);
		if (rc || ps->tok == TOK_RBRACK || ps->tok == TOK_EOF)
			continue;
		if (ps->tok != TOK_COMMA)
			return fail(ps->err, ps->file, ps->tok_line,
				    "Expected ',' or ']' after an item in the list for '%s'.",
				    key);
		rc = next(ps);
		if (!rc)
			rc = skip_newlines(ps);
	}
	return rc ? rc : next(ps);
}

/* KEY = VALUE, up to (not past) the newline, ';' or end of file. */
static int parse_setting(struct parser *ps)
{
	struct setting *s, *sets;
	size_t i;
	int rc;

	sets = realloc(ps->sets, (ps->nsets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	ps->sets = sets;
	s = &sets[ps->nsets++];
	memset(s, 0, sizeof(*s));
	s->key = ps->text;
	s->line = ps->tok_line;
	ps->text = NULL;
	for (i = 0; i + 1 < ps->nsets; i++)
		if (!strcmp(sets[i].key, s->key))
			return fail(ps->err, ps->file, s->line,
				    "'%s' is set twice, on line %d and on line %d; keel refuses repeated keys (xl would silently use the last), so remove one.",
				    s->key, sets[i].line, s->line);
	rc = next(ps);
	if (rc)
		return rc;
	if (ps->tok == TOK_PLUSEQ)
		return fail(ps->err, ps->file, ps->tok_line,
			    "'%s += ...' is not supported; give the whole value with '='.",
			    s->key);
	if (ps->tok != TOK_EQ)
		return fail(ps->err, ps->file, ps->tok_line,
			    "Expected '=' after '%s'; a setting is written KEY = VALUE.",
			    s->key);
	rc = next(ps);
	if (rc)
		return rc;
	if (ps->tok == TOK_STRING || ps->tok == TOK_NUMBER)
		rc = take_scalar(ps, &s->val);
	else if (ps->tok == TOK_LBRACK)
		rc = parse_list(ps, &s->val, s->key);
	else if (ps->tok == TOK_ID)
		return fail(ps->err, ps->file, ps->tok_line,
			    "The value of '%s' must be quoted, as in %s = \"%s\".",
			    s->key, s->key, ps->text);
	else
		return fail(ps->err, ps->file, ps->tok_line,
			    "Expected a value after '%s =': a quoted string, a number or a [list].",
			    s->key);
	if (rc)
		return rc;
	if (ps->tok != TOK_NL && ps->tok != TOK_SEMI && ps->tok != TOK_EOF)
		return fail(ps->err, ps->file, ps->tok_line,
			    "Expected a new line or ';' after the value of '%s'.",
			    s->key);
	return 0;
}

static int parse_settings(struct parser *ps)
{
	int rc = next(ps);

	while (!rc && ps->tok != TOK_EOF) {
		if (ps->tok == TOK_NL || ps->tok == TOK_SEMI)
			rc = next(ps);
		else if (ps->tok == TOK_ID)
			rc = parse_setting(ps);
		else
			rc = fail(ps->err, ps->file, ps->tok_line,
				  "Expected a key at the start of a setting, as in memory = 512.");
	}
	return rc;
}

/* --- semantics --------------------------------------------------------- */

enum field {
	F_NAME, F_UUID, F_MEMORY, F_MAXMEM, F_VCPUS, F_MAXVCPUS, F_CPUS,
	F_CPU_WEIGHT, F_CAP, F_KERNEL, F_RAMDISK, F_CMDLINE, F_ROOT, F_EXTRA,
	F_ON_POWEROFF, F_ON_REBOOT, F_ON_CRASH, F_DISKS, F_NICS, F_COUNT
};

struct conv {
	const char *file;
	char **err;
	struct json_object *out[F_COUNT];
	int line[F_COUNT];
};

struct key_def;
typedef int conv_fn(struct conv *c, const struct key_def *d,
		    const struct setting *s, struct json_object **out);

struct key_def {
	const char *key; /* in xl.cfg */
	const char *json; /* in the model; NULL: feeds another field */
	conv_fn *conv;
	long long min, max; /* for numbers */
	const char *unit;
};

#define cfail(c, line, ...) fail((c)->err, (c)->file, (line), __VA_ARGS__)

static int new_or_enomem(struct json_object *o, struct json_object **out)
{
	*out = o;
	return o ? 0 : -ENOMEM;
}

static int get_string(struct conv *c, const struct setting *s,
		      const char **str)
{
	*str = s->val.str;
	if (s->val.type == VAL_LIST)
		return cfail(c, s->line,
			     "'%s' takes a quoted string, not a list.",
			     s->key);
	return 0;
}

static int conv_int(struct conv *c, const struct key_def *d,
		    const struct setting *s, struct json_object **out)
{
	const char *str;
	long long v;
	char *end;

	if (s->val.type == VAL_LIST)
		return cfail(c, s->line, "'%s' takes a number, not a list.",
			     s->key);
	str = s->val.str;
	if (!is_integer(str))
		return cfail(c, s->line,
			     "'%s' must be a whole number written in decimal or 0x hex, not '%s'.",
			     s->key, str);
	errno = 0;
	v = strtoll(str, &end, 0);
	if (errno == ERANGE || v < d->min || v > d->max)
		return cfail(c, s->line,
			     "'%s' must be between %lld and %lld%s; %s is out of range.",
			     s->key, d->min, d->max, d->unit, str);
	return new_or_enomem(json_object_new_int64(v), out);
}

static int conv_path(struct conv *c, const struct key_def *d,
		     const struct setting *s, struct json_object **out)
{
	const char *str;
	int rc = get_string(c, s, &str);

	if (rc)
		return rc;
	if (!*str)
		return cfail(c, s->line,
			     "'%s' is empty; give the path of a file.", s->key);
	return new_or_enomem(json_object_new_string(str), out);
}

static int conv_string(struct conv *c, const struct key_def *d,
		       const struct setting *s, struct json_object **out)
{
	const char *str;
	int rc = get_string(c, s, &str);

	return rc ? rc : new_or_enomem(json_object_new_string(str), out);
}

static int conv_name(struct conv *c, const struct key_def *d,
		     const struct setting *s, struct json_object **out)
{
	const char *str;
	int rc = get_string(c, s, &str);
	size_t len;

	if (rc)
		return rc;
	len = strlen(str);
	if (len < 1 || len > 64 || str[0] == '-' ||
	    strspn(str, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789_.-") != len)
		return cfail(c, s->line,
			     "The name '%s' is not valid; use 1 to 64 letters, digits, '_', '.' or '-', not starting with '-'.",
			     str);
	return new_or_enomem(json_object_new_string(str), out);
}

static int conv_uuid(struct conv *c, const struct key_def *d,
		     const struct setting *s, struct json_object **out)
{
	char buf[37];
	const char *str;
	int rc = get_string(c, s, &str);
	size_t i;

	if (rc)
		return rc;
	for (i = 0; str[i] && i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? str[i] != '-' : !isxdigit((unsigned char)str[i]))
			break;
		buf[i] = (char)tolower((unsigned char)str[i]);
	}
	if (i != 36 || str[i])
		return cfail(c, s->line,
			     "'%s' is not a UUID; write it as 8-4-4-4-12 hex digits, such as 2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b.",
			     str);
	buf[36] = '\0';
	return new_or_enomem(json_object_new_string(buf), out);
}

static int conv_action(struct conv *c, const struct key_def *d,
		       const struct setting *s, struct json_object **out)
{
	static const char *const ok[] = {
		"destroy", "restart", "preserve", "rename-restart",
	};
	const char *str;
	int rc = get_string(c, s, &str);
	size_t i;

	if (rc)
		return rc;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(str, ok[i]))
			return new_or_enomem(json_object_new_string(str), out);
	if (!strncmp(str, "coredump-", 9) || !strcmp(str, "soft-reset"))
		return cfail(c, s->line,
			     "'%s' = \"%s\" is an xl action keel does not support; use destroy, restart, preserve or rename-restart.",
			     s->key, str);
	return cfail(c, s->line,
		     "'%s' = \"%s\" is not an action; use destroy, restart, preserve or rename-restart.",
		     s->key, str);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* cpus: "0-3,^2", "all"; items apply in order, '^' removes. */
static int conv_cpus(struct conv *c, const struct key_def *d,
		     const struct setting *s, struct json_object **out)
{
	uint8_t set[XLCFG_MAX_CPUS];
	char *copy, *item, *save = NULL, *str;
	size_t len = 0, count = 0;
	bool all = false;
	int rc, i, j;

	if (s->val.type == VAL_LIST)
		return cfail(c, s->line,
			     "'cpus' as a list pins each vCPU separately in xl, which keel does not support; give one string for every vCPU, such as cpus = \"0-3,5\".");
	copy = strdup(s->val.str);
	/* worst case: every CPU its own ",^NNNN" */
	str = malloc(XLCFG_MAX_CPUS * 6 + 8);
	if (!copy || !str) {
		rc = -ENOMEM;
		goto out;
	}
	memset(set, 0, sizeof(set));
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		bool rm = false;
		long lo = -1, hi;
		char *end = item;

		item = trim(item);
		if (!strncmp(item, "node", 4)) {
			rc = cfail(c, s->line,
				   "'cpus' = \"%s\": pinning to NUMA nodes is not supported; list CPU numbers instead.",
				   s->val.str);
			goto out;
		}
		if (!strcmp(item, "all")) {
			all = true;
			memset(set, 1, sizeof(set));
			continue;
		}
		if (*item == '^') {
			rm = true;
			item++;
		}
		if (isdigit((unsigned char)*item))
			lo = strtol(item, &end, 10);
		hi = lo;
		if (lo >= 0 && *end == '-' && isdigit((unsigned char)end[1]))
			hi = strtol(end + 1, &end, 10);
		if (lo < 0 || *end || hi < lo || hi >= XLCFG_MAX_CPUS) {
			rc = cfail(c, s->line,
				   "'cpus' = \"%s\" is not a CPU list; write items such as 3, 0-3, ^2 or all, separated by commas, with CPU numbers below %d.",
				   s->val.str, XLCFG_MAX_CPUS);
			goto out;
		}
		for (; lo <= hi; lo++)
			set[lo] = !rm;
	}
	/* canonical: "all" and its "^a-b" holes, or the "a-b" runs */
	len = sprintf(str, "%s", all ? "all" : "");
	for (i = 0; i < XLCFG_MAX_CPUS; i = j) {
		for (j = i; j < XLCFG_MAX_CPUS && set[j] == set[i]; j++)
			;
		count += set[i] ? j - i : 0;
		if (set[i] == all)
			continue;
		len += sprintf(str + len, "%s%s%d", len ? "," : "",
			       all ? "^" : "", i);
		if (j - 1 > i)
			len += sprintf(str + len, "-%d", j - 1);
	}
	if (!count)
		rc = cfail(c, s->line,
			   "'cpus' = \"%s\" selects no CPU, so the domain could never run.",
			   s->val.str);
	else
		rc = new_or_enomem(json_object_new_string(str), out);
out:
	free(str);
	free(copy);
	return rc;
}

/* --- disk and vif specifications --------------------------------------- */

/* "in disk 'SPEC': message" at the line of the list item */
static int __attribute__((format(printf, 4, 5)))
spec_fail(struct conv *c, const char *what, const struct val *v,
	  const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = cfail(c, v->line, "In %s '%s': %s", what, v->str, msg);
	free(msg);
	return rc;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static const char *const disk_unsupported[] = {
	"backendtype", "backend", "script", "specification", "transport",
	"discard", "no-discard", "direct-io-safe", "trusted", "untrusted",
	"colo", "colo-host", "colo-port", "colo-export", "active-disk",
	"hidden-disk", NULL
};

static bool is_vdev(const char *s)
{
	size_t n;

	if (!strncmp(s, "xvd", 3))
		s += 3;
	else if (!strncmp(s, "vd", 2) || !strncmp(s, "hd", 2) ||
		 !strncmp(s, "sd", 2))
		s += 2;
	else
		return false;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	return n >= 1 && n <= 3 && !s[n];
}

struct disk_spec {
	char *target, *format, *vdev, *access, *devtype;
	bool prefix; /* a legacy "phy:"-style prefix stands for the format */
};

static int disk_set(struct conv *c, const struct val *v, char **field,
		    const char *what, char *value)
{
	if (*field)
		return spec_fail(c, "disk", v, "'%s' is given twice.", what);
	*field = value;
	return 0;
}

/* A legacy target prefix such as "phy:" or "tap:aio:"; 1 if stripped. */
static int disk_prefix(struct conv *c, const struct val *v, char **target)
{
	static const char *const raw[] = { "phy:", "file:", "aio:", "raw:" };
	static const char *const other[] = { "qcow:", "qcow2:", "vhd:",
					     "qed:" };
	char *t = *target;
	size_t i;

	if (!strncmp(t, "tap:", 4) || !strncmp(t, "tap2:", 5))
		t = strchr(t, ':') + 1;
	else if (!strncmp(t, "tapdisk:", 8))
		t += 8;
	for (i = 0; i < 4; i++) {
		if (!strncmp(t, raw[i], strlen(raw[i]))) {
			*target = t + strlen(raw[i]);
			return 1;
		}
		if (!strncmp(t, other[i], strlen(other[i])))
			return spec_fail(c, "disk", v,
					 "the %.*s format is not supported; keel reads raw images only (convert with qemu-img convert -O raw).",
					 (int)strlen(other[i]) - 1, other[i]);
	}
	return 0;
}

static int disk_tokens(struct conv *c, const struct val *v, char *p,
		       struct disk_spec *d)
{
	int rc = 0;

	while (!rc && p && *p) {
		char *tok = p, *eq, *comma;

		while (isspace((unsigned char)*tok))
			tok++;
		if (!strncmp(tok, "target=", 7)) {
			/* xl: target= takes the rest, commas and all */
			return disk_set(c, v, &d->target, "target", tok + 7);
		}
		comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		p = comma ? comma + 1 : NULL;
		tok = trim(tok);
		eq = strchr(tok, '=');
		if (eq) {
			*eq++ = '\0';
			if (!strcmp(tok, "format"))
				rc = disk_set(c, v, &d->format, tok, eq);
			else if (!strcmp(tok, "vdev"))
				rc = disk_set(c, v, &d->vdev, tok, eq);
			else if (!strcmp(tok, "access"))
				rc = disk_set(c, v, &d->access, tok, eq);
			else if (!strcmp(tok, "devtype"))
				rc = disk_set(c, v, &d->devtype, tok, eq);
			else if (in_list(tok, disk_unsupported))
				rc = spec_fail(c, "disk", v,
					       "'%s' is an xl disk option keel does not support.",
					       tok);
			else
				rc = spec_fail(c, "disk", v,
					       "'%s' is not a disk parameter; use target, format, vdev, access or devtype.",
					       tok);
		} else if (in_list(tok, disk_unsupported)) {
			rc = spec_fail(c, "disk", v,
				       "'%s' is an xl disk option keel does not support.",
				       tok);
		} else if (!d->target) {
			d->target = tok;
			rc = disk_prefix(c, v, &d->target);
			d->prefix = rc == 1;
			rc = rc < 0 ? rc : 0;
		} else if (!d->prefix && !d->format) {
			d->format = tok;
		} else if (!d->vdev) {
			d->vdev = tok;
		} else if (!d->access) {
			d->access = tok;
		} else {
			rc = spec_fail(c, "disk", v,
				       "there are more than four positional parameters (target, format, vdev, access).");
		}
	}
	return rc;
}

static bool is_other_format(const char *f)
{
	static const char *const other[] = { "qcow", "qcow2", "vhd", "qed",
					     "empty", NULL };

	return in_list(f, other);
}

/* What a parsed disk specification must hold; sets *@ro. */
static int disk_check(struct conv *c, const struct val *v,
		      const struct disk_spec *d, bool *ro)
{
	size_t n = d->vdev ? strlen(d->vdev) : 0;

	if (!d->target || !*d->target)
		return spec_fail(c, "disk", v,
				 "there is no target; give the image file or block device, as in '/srv/web.img,raw,xvda,rw'.");
	if (d->format && is_other_format(d->format))
		return spec_fail(c, "disk", v,
				 "the %s format is not supported; keel reads raw images only (convert with qemu-img convert -O raw).",
				 d->format);
	if (d->format && *d->format && strcmp(d->format, "raw"))
		return spec_fail(c, "disk", v,
				 "'%s' is not a disk format; keel reads raw images.",
				 d->format);
	if (!n)
		return spec_fail(c, "disk", v,
				 "there is no vdev; give the name the guest sees, such as xvda.");
	if ((n > 6 && !strcmp(d->vdev + n - 6, ":cdrom")) ||
	    (d->devtype && !strcmp(d->devtype, "cdrom")))
		return spec_fail(c, "disk", v,
				 "CD-ROM devices are not supported; keel attaches disks only.");
	if (d->devtype && strcmp(d->devtype, "disk"))
		return spec_fail(c, "disk", v,
				 "devtype '%s' is not valid; the only device type keel supports is disk.",
				 d->devtype);
	if (!is_vdev(d->vdev))
		return spec_fail(c, "disk", v,
				 "vdev '%s' is not a whole-disk name such as xvda, vdb, sda or hdc.",
				 d->vdev);
	*ro = d->access &&
	      (!strcmp(d->access, "r") || !strcmp(d->access, "ro"));
	if (d->access && !*ro && *d->access && strcmp(d->access, "w") &&
	    strcmp(d->access, "rw"))
		return spec_fail(c, "disk", v,
				 "access '%s' is not valid; use r or ro for read-only, w or rw for read-write.",
				 d->access);
	return 0;
}

static int disk_parse(struct conv *c, const struct val *v,
		      struct json_object **out)
{
	struct disk_spec d = { 0 };
	struct json_object *o;
	bool ro = false;
	char *copy;
	int rc;

	copy = strdup(v->str);
	if (!copy)
		return -ENOMEM;
	rc = disk_tokens(c, v, copy, &d);
	if (!rc)
		rc = disk_check(c, v, &d, &ro);
	if (rc)
		goto out;
	o = json_object_new_object();
	rc = -ENOMEM;
	if (!o || json_object_object_add(o, "vdev",
					 json_object_new_string(d.vdev)) ||
	    json_object_object_add(o, "path",
				   json_object_new_string(d.target)) ||
	    json_object_object_add(o, "format",
				   json_object_new_string("raw")) ||
	    json_object_object_add(o, "readonly",
				   json_object_new_boolean(ro))) {
		json_object_put(o);
		goto out;
	}
	*out = o;
	rc = 0;
out:
	free(copy);
	return rc;
}

/* xl-network-configuration(5): RATE[GMK]{B|b}/s[@INTERVAL[s|ms|us]] */
static int vif_rate(struct conv *c, const struct val *v, const char *rate,
		    struct json_object **out)
{
	unsigned long long bytes, usec = 50000, mult = 1;
	const char *p = rate;
	char *end;

	if (!isdigit((unsigned char)*p))
		goto bad;
	errno = 0;
	bytes = strtoull(p, &end, 10);
	if (errno || !bytes || bytes > UINT32_MAX)
		goto range;
	if (*end == 'G' || *end == 'M' || *end == 'K')
		mult = *end == 'G' ? 1000000000 : *end == 'M' ? 1000000 : 1000;
	end += mult > 1;
	if ((*end != 'B' && *end != 'b') || strncmp(end + 1, "/s", 2))
		goto bad;
	bytes *= mult;
	if (*end == 'b')
		bytes /= 8;
	end += 3;
	if (*end == '@') {
		p = end + 1;
		if (!isdigit((unsigned char)*p))
			goto bad;
		usec = strtoull(p, &end, 10);
		if (errno || !usec || usec > UINT32_MAX)
			goto range;
		if (!strcmp(end, "") || !strcmp(end, "s"))
			usec *= 1000000;
		else if (!strcmp(end, "m") || !strcmp(end, "ms"))
			usec *= 1000;
		else if (strcmp(end, "u") && strcmp(end, "us"))
			goto bad;
		end += strlen(end);
		if (usec > UINT32_MAX)
			goto range;
	}
	if (*end)
		goto bad;
	if (!bytes)
		return spec_fail(c, "vif", v,
				 "rate '%s' is less than one byte per second.",
				 rate);
	*out = json_object_new_object();
	if (!*out ||
	    json_object_object_add(*out, "bytes_per_sec",
				   json_object_new_int64((int64_t)bytes)) ||
	    json_object_object_add(*out, "interval_us",
				   json_object_new_int64((int64_t)usec))) {
		json_object_put(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
range:
	return spec_fail(c, "vif", v,
			 "rate '%s' is out of range; the number and the interval must each be from 1 to 4294967295 (the interval at most 4294967295 us).",
			 rate);
bad:
	return spec_fail(c, "vif", v,
			 "rate '%s' is not valid; write it as 10MB/s or 100Mb/s@20ms (B bytes, b bits, K/M/G decimal, interval in s, ms or us).",
			 rate);
}

/* Linux's dev_valid_name(): what a tap or bridge may be called. */
static bool is_ifname(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static int vif_mac(struct conv *c, const struct val *v, const char *mac,
		   struct json_object **out)
{
	char buf[18];
	int i;

	for (i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;

		if (colon ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			break;
		buf[i] = (char)tolower((unsigned char)mac[i]);
	}
	if (i != 17 || mac[17])
		return spec_fail(c, "vif", v,
				 "'%s' is not a MAC address; write six hex pairs, such as 00:16:3e:12:34:56.",
				 mac);
	buf[17] = '\0';
	if (hexval(buf[1]) & 1)
		return spec_fail(c, "vif", v,
				 "MAC address %s is a multicast address; a NIC needs a unicast one (even first byte), such as 00:16:3e:12:34:56.",
				 buf);
	return new_or_enomem(json_object_new_string(buf), out);
}

static const char *const vif_unsupported[] = {
	"ip", "script", "backend", "type", "model", "gatewaydev", "accel",
	"devid", "mtu", "netdev", "trusted", "untrusted", "forwarddev",
	"colo_forward_dev", NULL
};

static int vif_parse(struct conv *c, const struct val *v,
		     struct json_object **out)
{
	struct json_object *o, *field;
	char *copy, *tok, *save = NULL;
	int rc = -ENOMEM;

	o = json_object_new_object();
	copy = strdup(v->str);
	if (!o || !copy)
		goto out;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *key = trim(tok), *val = strchr(key, '=');
		const char *json = key;

		if (!*key)
			continue;
		if (!val) {
			rc = spec_fail(c, "vif", v,
				  "'%s' has no value; vif parameters are written key=value.",
				  key);
			goto out;
		}
		*val = '\0';
		key = trim(key);
		val = trim(val + 1);
		if (!strcmp(key, "vifname"))
			json = "tap";
		if (json_object_object_get_ex(o, json, NULL)) {
			rc = spec_fail(c, "vif", v, "'%s' is given twice.",
				       key);
			goto out;
		}
		field = NULL;
		if (!strcmp(key, "mac")) {
			rc = vif_mac(c, v, val, &field);
		} else if (!strcmp(key, "rate")) {
			rc = vif_rate(c, v, val, &field);
		} else if (!strcmp(key, "bridge") ||
			   !strcmp(key, "vifname")) {
			if (is_ifname(val))
				rc = new_or_enomem(json_object_new_string(val),
						   &field);
			else
				rc = spec_fail(c, "vif", v,
					  "%s '%s' is not a network interface name; use 1 to 15 characters other than '/', ':' and spaces.",
					  key, val);
		} else if (in_list(key, vif_unsupported)) {
			rc = spec_fail(c, "vif", v,
				  "'%s' is an xl vif option keel does not support.",
				  key);
		} else {
			rc = spec_fail(c, "vif", v,
				  "'%s' is not a vif parameter; use mac, bridge, vifname or rate.",
				  key);
		}
		if (!rc && json_object_object_add(o, json, field)) {
			json_object_put(field);
			rc = -ENOMEM;
		}
		if (rc)
			goto out;
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	free(copy);
	return rc;
}

/*
 * disk and vif: a list of specification strings; @unique is the member
 * that no two entries may share.
 */
static int conv_specs(struct conv *c, const struct setting *s,
		      int (*parse)(struct conv *, const struct val *,
				   struct json_object **),
		      const char *unique, struct json_object **out)
{
	struct json_object *arr, *item = NULL;
	size_t i, j;
	int rc;

	if (s->val.type != VAL_LIST)
		return cfail(c, s->line,
			     "'%s' takes a list of quoted specifications, as in %s = [ '...' ].",
			     s->key, s->key);
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < s->val.n; i++) {
		const struct val *v = &s->val.items[i];
		struct json_object *a, *b;

		rc = v->type == VAL_STRING ?
			     parse(c, v, &item) :
			     cfail(c, v->line,
				   "The items of '%s' are quoted specifications, not numbers.",
				   s->key);
		if (!rc && json_object_array_add(arr, item)) {
			json_object_put(item);
			rc = -ENOMEM;
		}
		if (rc)
			goto fail;
		if (!json_object_object_get_ex(item, unique, &a))
			continue;
		for (j = 0; j < i; j++) {
			if (json_object_object_get_ex(
				    json_object_array_get_idx(arr, j), unique,
				    &b) &&
			    !strcmp(json_object_get_string(a),
				    json_object_get_string(b))) {
				rc = cfail(c, v->line,
					   "Two %s entries use %s %s; each must have its own.",
					   s->key, unique,
					   json_object_get_string(a));
				goto fail;
			}
		}
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return rc;
}

static int conv_disks(struct conv *c, const struct key_def *d,
		      const struct setting *s, struct json_object **out)
{
	return conv_specs(c, s, disk_parse, "vdev", out);
}

static int conv_nics(struct conv *c, const struct key_def *d,
		     const struct setting *s, struct json_object **out)
{
	return conv_specs(c, s, vif_parse, "mac", out);
}

/* The keys keel reads, in the order the model prints them. */
static const struct key_def keys[F_COUNT] = {
	[F_NAME] = { "name", "name", conv_name, 0, 0, NULL },
	[F_UUID] = { "uuid", "uuid", conv_uuid, 0, 0, NULL },
	[F_MEMORY] = { "memory", "memory", conv_int, 16, 16777216, " MiB" },
	[F_MAXMEM] = { "maxmem", "maxmem", conv_int, 16, 16777216, " MiB" },
	[F_VCPUS] = { "vcpus", "vcpus", conv_int, 1, 64, "" },
	[F_MAXVCPUS] = { "maxvcpus", "maxvcpus", conv_int, 1, 64, "" },
	[F_CPUS] = { "cpus", "cpus", conv_cpus, 0, 0, NULL },
	[F_CPU_WEIGHT] = { "cpu_weight", "cpu_weight", conv_int, 1, 65535,
			   "" },
	[F_CAP] = { "cap", "cap", conv_int, 0, 6400, " percent" },
	[F_KERNEL] = { "kernel", "kernel", conv_path, 0, 0, NULL },
	[F_RAMDISK] = { "ramdisk", "ramdisk", conv_path, 0, 0, NULL },
	[F_CMDLINE] = { "cmdline", "cmdline", conv_string, 0, 0, NULL },
	[F_ROOT] = { "root", NULL, conv_string, 0, 0, NULL },
	[F_EXTRA] = { "extra", NULL, conv_string, 0, 0, NULL },
	[F_ON_POWEROFF] = { "on_poweroff", "on_poweroff", conv_action, 0, 0,
			    NULL },
	[F_ON_REBOOT] = { "on_reboot", "on_reboot", conv_action, 0, 0, NULL },
	[F_ON_CRASH] = { "on_crash", "on_crash", conv_action, 0, 0, NULL },
	[F_DISKS] = { "disk", "disks", conv_disks, 0, 0, NULL },
	[F_NICS] = { "vif", "nics", conv_nics, 0, 0, NULL },
};

/* Real xl.cfg keys, so that the error can say "not supported". */
static const char *const xl_keys[] = {
	"builder", "type", "pvh", "bootloader", "bootloader_args",
	"bootloader_restrict", "bootloader_user", "pci", "pci_permissive",
	"pci_msitranslate", "pci_seize", "pci_power_mgmt", "vfb", "vkb",
	"vtpm", "vusb", "usb", "usbctrl", "usbdev", "usbdevice", "usbversion",
	"channel", "p9", "pvcalls", "vdispl", "vsnd", "virtio", "dtdev",
	"iomem", "ioports", "irqs", "rdm", "rdm_mem_boundary",
	"device_model_version", "device_model_override", "device_model_args",
	"device_model_args_pv", "device_model_args_hvm",
	"device_model_stubdomain_override", "device_model_stubdomain_seclabel",
	"device_model_user", "stubdomain_kernel", "stubdomain_ramdisk",
	"stubdomain_memory", "seclabel", "init_seclabel", "pool", "cpus_soft",
	"vnuma", "max_grant_frames", "max_maptrack_frames",
	"max_grant_version", "max_event_channels", "nomigrate",
	"driver_domain", "device_tree", "e820_host", "acpi", "acpi_s3",
	"acpi_s4", "acpi_laptop_slate", "apic", "pae", "hpet", "viridian",
	"nx", "hap", "oos", "videoram", "vga", "stdvga", "vnc", "vnclisten",
	"vncdisplay", "vncunused", "vncpasswd", "keymap", "sdl", "opengl",
	"spice", "spicehost", "spiceport", "spicetls_port",
	"spicedisable_ticketing", "spicepasswd", "spiceagent_mouse",
	"spicevdagent", "spice_clipboard_sharing", "spiceusbredirection",
	"serial", "soundhw", "boot", "localtime", "rtc_timeoffset",
	"timer_mode", "tsc_mode", "gfx_passthru", "nestedhvm", "altp2m",
	"altp2mhvm", "xen_platform_pci", "firmware", "bios",
	"bios_path_override", "firmware_override", "acpi_firmware",
	"smbios_firmware", "ms_vm_genid", "cpuid", "shadow_memory",
	"claim_mode", "on_watchdog", "on_soft_reset", "tee", "gic_version",
	"vuart", "blkdev_start", "vpmu", "nr_spis", "dm_restrict",
	"device_model_stubdomain", "vif2", "passthrough", "llc_colors",
	"trap_unmapped_accesses", "mca_caps", "msr_relaxed", "vpt_align",
	"vkb_device", "vif_ioemu", "migration_channel", "xend_config", NULL
};

static int conv_setting(struct conv *c, const struct setting *s)
{
	int i;

	for (i = 0; i < F_COUNT; i++) {
		if (strcmp(keys[i].key, s->key))
			continue;
		c->line[i] = s->line;
		return keys[i].conv(c, &keys[i], s, &c->out[i]);
	}
	if (in_list(s->key, xl_keys))
		return cfail(c, s->line,
			     "'%s' is an xl.cfg key keel does not support; remove it.",
			     s->key);
	return cfail(c, s->line,
		     "unknown key '%s'; keel.cfg(5) lists the keys keel reads.",
		     s->key);
}

static long long field_int(struct conv *c, enum field f, long long dflt)
{
	return c->out[f] ? json_object_get_int64(c->out[f]) : dflt;
}

/* What only the whole file can say: required keys and cross-key limits. */
static int conv_check(struct conv *c)
{
	long long vcpus = field_int(c, F_VCPUS, 1);
	const char *root, *extra;
	char *cmdline;
	int n;

	if (!c->out[F_NAME])
		return cfail(c, 0,
			     "No name is set; add a line such as name = \"web\".");
	if (!c->out[F_KERNEL])
		return cfail(c, 0,
			     "No kernel is set; add a line such as kernel = \"/boot/vmlinuz\".");
	if (c->out[F_CMDLINE] && (c->out[F_ROOT] || c->out[F_EXTRA]))
		return cfail(c, c->line[c->out[F_ROOT] ? F_ROOT : F_EXTRA],
			     "'%s' cannot be combined with 'cmdline' (line %d); put the whole command line in cmdline, or use root and extra without it.",
			     c->out[F_ROOT] ? "root" : "extra",
			     c->line[F_CMDLINE]);
	if (c->out[F_MAXVCPUS] && field_int(c, F_MAXVCPUS, 0) < vcpus)
		return cfail(c, c->line[F_MAXVCPUS],
			     "'maxvcpus' (%lld) is less than 'vcpus' (%lld); maxvcpus is the most vCPUs the domain can have.",
			     field_int(c, F_MAXVCPUS, 0), vcpus);
	if (c->out[F_MAXMEM] && c->out[F_MEMORY] &&
	    field_int(c, F_MAXMEM, 0) < field_int(c, F_MEMORY, 0))
		return cfail(c, c->line[F_MAXMEM],
			     "'maxmem' (%lld MiB) is less than 'memory' (%lld MiB); maxmem is the most memory the domain can have.",
			     field_int(c, F_MAXMEM, 0),
			     field_int(c, F_MEMORY, 0));
	if (field_int(c, F_CAP, 0) > 100 * vcpus)
		return cfail(c, c->line[F_CAP],
			     "'cap' is %lld percent, but %lld vCPU%s can use at most %lld percent; lower cap or raise vcpus.",
			     field_int(c, F_CAP, 0), vcpus, vcpus > 1 ? "s" : "",
			     100 * vcpus);
	if (c->out[F_CMDLINE] || (!c->out[F_ROOT] && !c->out[F_EXTRA]))
		return 0;
	/* xl builds "root=ROOT EXTRA" when cmdline is absent */
	root = c->out[F_ROOT] ? json_object_get_string(c->out[F_ROOT]) : NULL;
	extra = c->out[F_EXTRA] ? json_object_get_string(c->out[F_EXTRA]) :
				  NULL;
	if (root)
		n = asprintf(&cmdline, "root=%s%s%s", root, extra ? " " : "",
			     extra ? extra : "");
	else
		n = asprintf(&cmdline, "%s", extra);
	if (n < 0)
		return -ENOMEM;
	c->out[F_CMDLINE] = json_object_new_string(cmdline);
	free(cmdline);
	return c->out[F_CMDLINE] ? 0 : -ENOMEM;
}

static int parse_xl(const char *buf, size_t len, const char *name,
		    struct json_object **out, char **err)
{
	struct parser ps = {
		.file = name, .p = buf, .end = buf + len, .line = 1, .err = err,
	};
	struct conv c = { .file = name, .err = err };
	struct json_object *o = NULL;
	size_t i;
	int rc;

	rc = parse_settings(&ps);
	free(ps.text);
	for (i = 0; !rc && i < ps.nsets; i++)
		rc = conv_setting(&c, &ps.sets[i]);
	if (!rc)
		rc = conv_check(&c);
	if (!rc) {
		o = json_object_new_object();
		rc = o ? 0 : -ENOMEM;
	}
	for (i = 0; i < F_COUNT; i++) {
		if (!rc && c.out[i] && keys[i].json) {
			if (json_object_object_add(o, keys[i].json,
						   c.out[i]))
				rc = -ENOMEM;
			else
				c.out[i] = NULL;
		}
		json_object_put(c.out[i]);
	}
	settings_free(ps.sets, ps.nsets);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* --- entry points ------------------------------------------------------ */

/* Say what json_strict found wrong, the way this reader says things. */
static int strict_fail(const struct json_strict *js, const char *buf,
		       const char *name, char **err)
{
	int line = line_at(buf, js->at);

	switch (js->fault) {
	case JSON_STRICT_UTF8:
		return fail(err, name, line,
			    "This is not valid UTF-8: %s; keel's configuration is UTF-8 text.",
			    js->what);
	case JSON_STRICT_NUL_NAME:
		return fail(err, name, line,
			    "A member name contains \\u0000, which keel does not accept.");
	case JSON_STRICT_NUL_STRING:
		return fail(err, name, line,
			    "A string contains a NUL character (\\u0000), which keel does not accept.");
	case JSON_STRICT_DUPLICATE:
		return fail(err, name, line,
			    "The member \"%s\" appears twice in one object.",
			    js->what);
	case JSON_STRICT_TOO_DEEP:
		return fail(err, name, line,
			    "This is not valid JSON: it nests arrays and objects deeper than %d levels.",
			    JSON_STRICT_MAX_DEPTH);
	default:
		return fail(err, name, line, "This is not valid JSON: %s.",
			    js->what);
	}
}

static int parse_json(const char *buf, size_t len, const char *name,
		      struct json_object **out, char **err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *o;
	struct json_strict js;
	size_t end, at;
	int rc;

	/*
	 * What json-c lets through (see json_strict.h); the scan checks
	 * every byte's UTF-8, so json-c need not. json-c's default depth
	 * (32) is within what json_strict_check() vouches for.
	 */
	rc = json_strict_scan(&js, buf, len);
	tok = rc == -ENOMEM ? NULL : json_tokener_new();
	if (!tok) {
		rc = -ENOMEM;
		goto out_dispose;
	}
	/* trailing text gets its own message below */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Where json-c has something to say, if anywhere. */
	at = jerr == json_tokener_continue ? len : end;
	if (o)
		while (at < len && isspace((unsigned char)buf[at]))
			at++;
	/* The first problem in the file is the one to report. */
	if (rc && js.at <= at) {
		rc = strict_fail(&js, buf, name, err);
	} else if (jerr == json_tokener_continue) {
		rc = fail(err, name, line_at(buf, len),
			  "The JSON ends before the object is complete.");
	} else if (!o) {
		rc = fail(err, name, line_at(buf, end < len ? end : len),
			  "This is not valid JSON: %s.",
			  json_tokener_error_desc(jerr));
	} else if (at < len) {
		rc = fail(err, name, line_at(buf, at),
			  "Unexpected text after the JSON object; a file holds one domain configuration.");
	} else {
		rc = json_strict_check(&js, o, NULL);
		if (rc == -EINVAL)
			rc = strict_fail(&js, buf, name, err);
	}
	if (rc)
		json_object_put(o);
	else
		*out = o;
out_dispose:
	json_strict_dispose(&js);
	return rc;
}

int xlcfg_parse_buf(const char *buf, size_t len, const char *name,
		    struct json_object **out, char **err)
{
	const char *nul;
	size_t i;

	*out = NULL;
	*err = NULL;
	if (len > XLCFG_MAX_SIZE)
		return fail(err, name, 0,
			    "The file is larger than 1 MiB; a domain configuration is far smaller, so this is probably the wrong file.");
	nul = memchr(buf, '\0', len);
	if (nul)
		return fail(err, name, line_at(buf, nul - buf),
			    "The file contains a NUL byte; a domain configuration is a text file.");
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i < len && buf[i] == '{')
		return parse_json(buf, len, name, out, err);
	return parse_xl(buf, len, name, out, err);
}

int xlcfg_parse_file(const char *path, struct json_object **out, char **err)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	size_t len = 0, cap = 65536;
	char *buf = NULL, *bigger;
	bool is_stdin = !strcmp(path, "-");
	int fd, rc;
	ssize_t n;

	*out = NULL;
	*err = NULL;
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fail(err, name, 0, "Cannot open the file: %s.", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			bigger = realloc(buf, cap);
			if (!bigger) {
				rc = -ENOMEM;
				goto out;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			fail(err, name, 0, "Cannot read the file: %s.",
			     strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len > XLCFG_MAX_SIZE)
			break; /* xlcfg_parse_buf() says why */
	}
	rc = xlcfg_parse_buf(buf, len, name, out, err);
out:
	free(buf);
	if (!is_stdin)
		close(fd);
	return rc;
}
