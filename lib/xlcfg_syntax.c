// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The syntax of xl.cfg(5), as xl's libxlu reads it and with the
 * departures listed in xlcfg.h: a lexer and a recursive-descent parser
 * that turn a file into its list of settings (KEY, line, VALUE), and
 * xl's rules for a key given twice (the last wins, += appends). What
 * the keys mean is xlcfg.c's business; this file knows no key.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg_internal.h"


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
	struct xlcfg_setting *sets;
	size_t nsets;
};

static void val_dispose(struct xlcfg_val *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		val_dispose(&v->items[i]);
	free(v->items);
	free(v->str);
}

static void setting_dispose(struct xlcfg_setting *s)
{
	free(s->key);
	val_dispose(&s->val);
}

void xlcfg_settings_free(struct xlcfg_setting *sets, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		setting_dispose(&sets[i]);
	free(sets);
}

int xlcfg_hexval(int c)
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
		return xlcfg_fail(ps->err, ps->file, ps->line,
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
			if (s + 2 >= e || xlcfg_hexval(s[1]) < 0 ||
			    xlcfg_hexval(s[2]) < 0) {
				free(out);
				return xlcfg_fail(ps->err, ps->file, ps->line,
						  "'\\x' must be followed by two hex digits, as in \\x41.");
			}
			c = xlcfg_hexval(s[1]) * 16 + xlcfg_hexval(s[2]);
			s += 2;
		} else if (*s >= '0' && *s <= '7') {
			for (i = 0; i < 3 && s < e && *s >= '0' && *s <= '7';
			     i++)
				c = c * 8 + *s++ - '0';
			s--;
		} else {
			free(out);
			return xlcfg_fail(ps->err, ps->file, ps->line,
					  "'\\%c' is not an escape xl.cfg knows; write \\\\ for a backslash, or use \\n, \\t, \\xHH or \\ooo.",
					  *s);
		}
		if (c == 0 || c > 255) {
			free(out);
			return xlcfg_fail(ps->err, ps->file, ps->line,
					  "A string escape must give a byte from 1 to 255; NUL and larger values cannot be used.");
		}
		out[n++] = (char)c;
	}
	out[n] = '\0';
	ps->text = out;
	ps->p = e + 1;
	if (!utf8_valid((const unsigned char *)out))
		return xlcfg_fail(ps->err, ps->file, ps->line,
				  "This string is not valid UTF-8; keel's configuration is UTF-8 text.");
	return 0;
}

bool xlcfg_is_integer(const char *s)
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
	if (!number || xlcfg_is_integer(ps->text) ||
	    is_decimal_fraction(ps->text))
		return 0;
	digits = ps->text + (ps->text[0] == '-');
	if (digits[0] == '0' && isdigit((unsigned char)digits[1]))
		return xlcfg_fail(ps->err, ps->file, ps->line,
				  "'%s' starts with 0, which xl reads as octal; write it in decimal without the leading zero, or in hex with 0x.",
				  ps->text);
	return xlcfg_fail(ps->err, ps->file, ps->line,
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
	ps->tok = TOK_ID; /* not TOK_NL: recover() skips the rest of the line */
	if (isprint((unsigned char)c))
		return xlcfg_fail(ps->err, ps->file, ps->tok_line,
				  "Unexpected character '%c'; quote strings, as in name = \"web\".",
				  c);
	return xlcfg_fail(ps->err, ps->file, ps->tok_line,
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
static int take_scalar(struct parser *ps, struct xlcfg_val *v)
{
	v->type = ps->tok == TOK_STRING ? XLCFG_VAL_STRING : XLCFG_VAL_NUMBER;
	v->line = ps->tok_line;
	v->str = ps->text;
	ps->text = NULL;
	return next(ps);
}

/*
 * How deep lists may nest: xl's deepest (vnuma) is two; the limit keeps
 * a hostile file from exhausting the stack.
 */
#define LIST_MAX_DEPTH 8

static int parse_list(struct parser *ps, struct xlcfg_val *v, const char *key,
		      int depth)
{
	int start = ps->tok_line, rc;
	struct xlcfg_val *items;

	v->type = XLCFG_VAL_LIST;
	v->line = start;
	if (depth > LIST_MAX_DEPTH)
		return xlcfg_fail(ps->err, ps->file, start,
				  "The lists for '%s' nest more than %d deep; no xl.cfg key takes that.",
				  key, LIST_MAX_DEPTH);
	rc = next(ps);
	if (!rc)
		rc = skip_newlines(ps);
	while (!rc && ps->tok != TOK_RBRACK) {
		if (ps->tok == TOK_EOF)
			return xlcfg_fail(ps->err, ps->file, start,
					  "The list for '%s' is never closed; add a ']' after its last item.",
					  key);
		if (ps->tok != TOK_STRING && ps->tok != TOK_NUMBER &&
		    ps->tok != TOK_LBRACK)
			return xlcfg_fail(ps->err, ps->file, ps->tok_line,
					  "Expected a quoted string, a number or a [list] in the list for '%s'.",
					  key);
		items = realloc(v->items, (v->n + 1) * sizeof(*items));
		if (!items)
			return -ENOMEM;
		v->items = items;
		memset(&items[v->n], 0, sizeof(*items));
		if (ps->tok == TOK_LBRACK)
			rc = parse_list(ps, &items[v->n++], key, depth + 1);
		else
			rc = take_scalar(ps, &items[v->n++]);
		if (!rc)
			rc = skip_newlines(ps);
		if (rc || ps->tok == TOK_RBRACK || ps->tok == TOK_EOF)
			continue;
		if (ps->tok != TOK_COMMA)
			return xlcfg_fail(ps->err, ps->file, ps->tok_line,
					  "Expected ',' or ']' after an item in the list for '%s'.",
					  key);
		rc = next(ps);
		if (!rc)
			rc = skip_newlines(ps);
	}
	return rc ? rc : next(ps);
}

/*
 * KEY = VALUE or KEY += VALUE into @s, up to (not past) the newline,
 * ';' or end of file.
 */
static int parse_setting(struct parser *ps, struct xlcfg_setting *s)
{
	int rc;

	s->key = ps->text;
	s->file = ps->file;
	s->line = ps->tok_line;
	ps->text = NULL;
	rc = next(ps);
	if (rc)
		return rc;
	s->append = ps->tok == TOK_PLUSEQ;
	if (ps->tok != TOK_EQ && ps->tok != TOK_PLUSEQ)
		return xlcfg_fail(ps->err, ps->file, ps->tok_line,
				  "Expected '=' after '%s'; a setting is written KEY = VALUE.",
				  s->key);
	rc = next(ps);
	if (rc)
		return rc;
	if (ps->tok == TOK_STRING || ps->tok == TOK_NUMBER)
		rc = take_scalar(ps, &s->val);
	else if (ps->tok == TOK_LBRACK)
		rc = parse_list(ps, &s->val, s->key, 1);
	else if (ps->tok == TOK_ID)
		return xlcfg_fail(ps->err, ps->file, ps->tok_line,
				  "The value of '%s' must be quoted, as in %s = \"%s\".",
				  s->key, s->key, ps->text);
	else
		return xlcfg_fail(ps->err, ps->file, ps->tok_line,
				  "Expected a value after '%s %s': a quoted string, a number or a [list].",
				  s->key, s->append ? "+=" : "=");
	if (rc)
		return rc;
	if (ps->tok != TOK_NL && ps->tok != TOK_SEMI && ps->tok != TOK_EOF)
		return xlcfg_fail(ps->err, ps->file, ps->tok_line,
				  "Expected a new line or ';' after the value of '%s'.",
				  s->key);
	return 0;
}

static int add_setting(struct parser *ps, struct xlcfg_setting *s)
{
	struct xlcfg_setting *sets;

	sets = realloc(ps->sets, (ps->nsets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	ps->sets = sets;
	sets[ps->nsets++] = *s;
	return 0;
}

/*
 * After a line that does not read: go on at the next line that can
 * start a setting, skipping the rest of a broken list (its lines start
 * with a quote, a bracket or a comma, never with a key).
 */
static int recover(struct parser *ps)
{
	bool at_start = ps->tok == TOK_NL;
	const char *s;

	free(ps->text);
	ps->text = NULL;
	for (;;) {
		if (!at_start) {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
			if (ps->p < ps->end) {
				ps->p++;
				ps->line++;
			}
		}
		at_start = false;
		if (ps->p >= ps->end)
			break;
		for (s = ps->p; s < ps->end && (*s == ' ' || *s == '\t' ||
						 *s == '\r');
		     s++)
			;
		if (s == ps->end || *s == '\n' || *s == '#' || *s == '_' ||
		    isalpha((unsigned char)*s))
			break;
	}
	return next(ps);
}

static int parse_settings(struct parser *ps)
{
	int rc = next(ps), failed = 0;

	while (rc != -ENOMEM && ps->tok != TOK_EOF) {
		struct xlcfg_setting s = { 0 };

		if (rc == -EINVAL) {
			failed = rc;
			rc = recover(ps);
			continue;
		}
		if (ps->tok == TOK_NL || ps->tok == TOK_SEMI) {
			rc = next(ps);
			continue;
		}
		if (ps->tok == TOK_ID) {
			rc = parse_setting(ps, &s);
			if (!rc)
				rc = add_setting(ps, &s);
			if (rc) {
				free(s.key);
				val_dispose(&s.val);
			}
			continue;
		}
		rc = xlcfg_fail(ps->err, ps->file, ps->tok_line,
				"Expected a key at the start of a setting, as in memory = 512.");
	}
	return rc == -ENOMEM ? rc : rc ? rc : failed;
}

int xlcfg_syntax_parse(const char *buf, size_t len, const char *file,
		       struct xlcfg_setting **sets, size_t *n, char **err)
{
	struct parser ps = {
		.file = file, .p = buf, .end = buf + len, .line = 1, .err = err,
		.sets = *sets, .nsets = *n,
	};
	int rc = parse_settings(&ps);

	free(ps.text);
	*sets = ps.sets;
	*n = ps.nsets;
	return rc;
}

/* --- a key given more than once ------------------------------------------ */

/* Move @add's items after @prev's, leaving @add with all of them. */
static int list_concat(struct xlcfg_val *prev, struct xlcfg_val *add)
{
	struct xlcfg_val *items;

	if (!prev->n)
		return 0;
	items = realloc(prev->items, (prev->n + add->n) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	if (add->n)
		memcpy(items + prev->n, add->items, add->n * sizeof(*items));
	free(add->items);
	add->items = items;
	add->n += prev->n;
	prev->items = NULL;
	prev->n = 0;
	return 0;
}

/* KEY += VALUE at @add after @prev, as libxlu's xlu__cfg_concat_vals(). */
static int append_value(struct xlcfg_setting *prev, struct xlcfg_setting *add,
			char **err)
{
	struct xlcfg_val *p = &prev->val, *a = &add->val;
	char *joined;

	if ((p->type == XLCFG_VAL_LIST) != (a->type == XLCFG_VAL_LIST))
		return xlcfg_fail(err, add->file, add->line,
				  "'%s += ...' adds a %s to the %s set on line %d; += joins lists to lists and strings to strings.",
				  add->key,
				  a->type == XLCFG_VAL_LIST ? "list" : "string",
				  p->type == XLCFG_VAL_LIST ? "list" : "string",
				  prev->line);
	if (a->type == XLCFG_VAL_LIST)
		return list_concat(p, a);
	if (p->type == XLCFG_VAL_NUMBER || a->type == XLCFG_VAL_NUMBER)
		return xlcfg_fail(err, add->file, add->line,
				  "'%s += %s' would join the digits to '%s' (line %d) as xl does, not add; give the whole value with '='.",
				  add->key, a->str, p->str, prev->line);
	if (asprintf(&joined, "%s%s", p->str, a->str) < 0)
		return -ENOMEM;
	free(a->str);
	a->str = joined;
	return 0;
}

int xlcfg_settings_merge(struct xlcfg_setting *sets, size_t *n, char **err,
			 char **warn)
{
	size_t i, j, kept = 0;
	int rc, failed = 0;

	for (i = 0; i < *n; i++) {
		struct xlcfg_setting *s = &sets[i], *prev = NULL;

		for (j = 0; j < kept; j++)
			if (!strcmp(sets[j].key, s->key))
				prev = &sets[j];
		if (prev && s->append) {
			rc = append_value(prev, s, err);
		} else if (prev && prev->file == s->file) {
			rc = xlcfg_warn(warn, s->file, s->line,
					"'%s' is set again; the value on line %d is not used (xl uses the last one too).",
					s->key, prev->line);
		} else {
			rc = 0;
		}
		if (rc == -ENOMEM)
			return rc;
		failed = failed ? failed : rc;
		if (prev) {
			/* the later setting takes the earlier one's place */
			setting_dispose(prev);
			*prev = *s;
		} else {
			sets[kept++] = *s;
		}
	}
	*n = kept;
	return failed;
}
