// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Strict JSON: one linear scan of the raw text for what json-c lets
 * through, and one walk of the tree json-c built for what only shows
 * once names are decoded (duplicate members). See json_strict.h.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"

/* --- UTF-8 ------------------------------------------------------------- */

enum utf8_fault {
	UTF8_OK,
	UTF8_STRAY,
	UTF8_OVERLONG,
	UTF8_SURROGATE,
	UTF8_TOO_BIG,
	UTF8_BAD_BYTE,
	UTF8_CUT,	/* a lead byte, then too few continuation bytes */
	UTF8_END,	/* the same, at the very end of the text */
};

static const char *const utf8_faults[] = {
	[UTF8_OK] = "no fault",
	[UTF8_STRAY] = "a continuation byte where a character should start",
	[UTF8_OVERLONG] = "an overlong encoding",
	[UTF8_SURROGATE] = "a UTF-16 surrogate (U+D800 to U+DFFF) encoded as a character",
	[UTF8_TOO_BIG] = "a code point above U+10FFFF",
	[UTF8_BAD_BYTE] = "a byte (0xF8 to 0xFF) that never appears in UTF-8",
	[UTF8_CUT] = "an incomplete multibyte character",
	[UTF8_END] = "an incomplete multibyte character",
};

/*
 * The character at @s (@n > 0 bytes), by RFC 3629's table of
 * well-formed sequences. Returns UTF8_OK with its length in *@len, or
 * what is wrong with *@len the length of the longest well-formed start
 * of a sequence there (at least 1): the bytes one U+FFFD replaces.
 */
static enum utf8_fault utf8_char(const unsigned char *s, size_t n,
				 size_t *len)
{
	unsigned int c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*len = 1;
	if (c < 0x80)
		return UTF8_OK;
	if (c < 0xc0)
		return UTF8_STRAY;
	if (c < 0xc2)
		return UTF8_OVERLONG;
	if (c < 0xe0) {
		need = 2;
	} else if (c < 0xf0) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return c < 0xf8 ? UTF8_TOO_BIG : UTF8_BAD_BYTE;
	}
	for (i = 1; i < need; i++) {
		if (i == n) {
			*len = i;
			return UTF8_END;
		}
		if ((s[i] & 0xc0) != 0x80) {
			*len = i;
			return UTF8_CUT;
		}
		/* Only the second byte's range depends on the first. */
		if (i == 1 && (s[1] < lo || s[1] > hi))
			return c == 0xed ? UTF8_SURROGATE :
			       c == 0xf4 ? UTF8_TOO_BIG : UTF8_OVERLONG;
	}
	*len = need;
	return UTF8_OK;
}

bool json_strict_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (utf8_char(u + i, len - i, &n) != UTF8_OK)
			return false;
		i += n;
	}
	return true;
}

size_t json_strict_utf8_trim(char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), start = len, n;

	/* The last character starts at most three bytes before the end. */
	while (start > 0 && len - start < 4) {
		start--;
		if ((u[start] & 0xc0) != 0x80)
			break;
	}
	if (start < len &&
	    utf8_char(u + start, len - start, &n) == UTF8_END &&
	    start + n == len) {
		s[start] = '\0';
		return start;
	}
	return len;
}

char *json_strict_utf8_repair(const char *s, size_t len, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	enum utf8_fault f;
	char *out, *p;

	/* U+FFFD takes three bytes, and replaces at least one. */
	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc(3 * len + 1);
	if (!out)
		return NULL;
	p = out;
	while (i < len) {
		f = utf8_char(u + i, len - i, &n);
		if (f == UTF8_END)
			break;
		if (f == UTF8_OK) {
			memcpy(p, s + i, n);
			p += n;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
		}
		i += n;
	}
	*p = '\0';
	*out_len = (size_t)(p - out);
	return out;
}

/* --- the scan ---------------------------------------------------------- */

static int __attribute__((format(printf, 4, 5)))
fault(struct json_strict *js, enum json_strict_fault what, size_t at,
      const char *fmt, ...)
{
	va_list ap;

	js->fault = what;
	js->at = at;
	va_start(ap, fmt);
	vsnprintf(js->what, sizeof(js->what), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read the four hex digits of a \u escape at @s (@n bytes left). */
static bool hex4(const char *s, size_t n, unsigned int *out)
{
	unsigned int v = 0;
	int d;

	if (n < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		d = hexval(s[i]);
		if (d < 0)
			return false;
		v = v << 4 | (unsigned int)d;
	}
	*out = v;
	return true;
}

static bool is_high_surrogate(unsigned int u)
{
	return u >= 0xd800 && u <= 0xdbff;
}

static bool is_low_surrogate(unsigned int u)
{
	return u >= 0xdc00 && u <= 0xdfff;
}

/* Just past the string whose contents start at @i, or @len. */
static size_t string_end(const char *s, size_t len, size_t i)
{
	while (i < len) {
		if (s[i] == '\\')
			i += 2;
		else if (s[i] == '"')
			return i + 1;
		else
			i++;
	}
	return len;
}

/* A \u0000 at @at, in a member name when a colon follows the string. */
static int nul_fault(struct json_strict *js, size_t at)
{
	size_t i = string_end(js->text, js->len, at);

	while (i < js->len && strchr(" \t\r\n", js->text[i]))
		i++;
	if (i < js->len && js->text[i] == ':')
		return fault(js, JSON_STRICT_NUL_NAME, at, "%s",
			     "a member name holds \\u0000");
	return fault(js, JSON_STRICT_NUL_STRING, at, "%s",
		     "a string holds \\u0000");
}

/*
 * Scan the string whose opening quote is at *@pos; leave *@pos just past
 * its closing quote, or at the end of the text (json-c then says that
 * the string is not terminated). Other escapes than \u are json-c's to
 * check.
 */
static int scan_string(struct json_strict *js, size_t *pos)
{
	const unsigned char *s = (const unsigned char *)js->text;
	size_t len = js->len, i = *pos + 1, n;
	unsigned int u, low;
	enum utf8_fault f;

	while (i < len) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c == '"') {
			*pos = i + 1;
			return 0;
		}
		if (c >= 0x80) {
			f = utf8_char(s + i, len - i, &n);
			if (f != UTF8_OK)
				return fault(js, JSON_STRICT_UTF8, i, "%s",
					     utf8_faults[f]);
			i += n;
			continue;
		}
		if (c < 0x20)
			return fault(js, JSON_STRICT_SYNTAX, i,
				     "the control character U+%04X must be escaped in a string (\\u%04x)",
				     c, c);
		if (i + 1 < len && s[i + 1] == 'u' &&
		    hex4(js->text + i + 2, len - i - 2, &u)) {
			if (u == 0)
				return nul_fault(js, i);
			if (is_high_surrogate(u) && i + 7 < len &&
			    s[i + 6] == '\\' && s[i + 7] == 'u' &&
			    hex4(js->text + i + 8, len - i - 8, &low) &&
			    is_low_surrogate(low)) {
				i += 12;
				continue;
			}
			if (is_high_surrogate(u) || is_low_surrogate(u))
				return fault(js, JSON_STRICT_SYNTAX, i,
					     "%.6s is an unpaired UTF-16 surrogate; a high surrogate escape must be followed by a low one",
					     js->text + i);
			i += 6;
			continue;
		}
		i += 2;
	}
	*pos = len;
	return 0;
}

/* The length of NaN, Infinity or -Infinity at @i (json-c reads them). */
static size_t non_number(const char *s, size_t len, size_t i)
{
	size_t sign = i < len && s[i] == '-';

	if (len - i - sign >= 3 && !memcmp(s + i + sign, "NaN", 3))
		return sign + 3;
	if (len - i - sign >= 8 && !memcmp(s + i + sign, "Infinity", 8))
		return sign + 8;
	return 0;
}

/* Note an integer json-c would change, the @ordinal'th number. */
static int add_int(struct json_strict *js, size_t ordinal, size_t at,
		   size_t len)
{
	struct json_strict_int *ints;
	size_t cap;

	if (js->n_ints == js->ints_cap) {
		cap = js->ints_cap ? 2 * js->ints_cap : 4;
		ints = realloc(js->ints, cap * sizeof(*ints));
		if (!ints)
			return -ENOMEM;
		js->ints = ints;
		js->ints_cap = cap;
	}
	js->ints[js->n_ints++] = (struct json_strict_int){
		.ordinal = ordinal, .at = at, .len = len,
	};
	return 0;
}

/*
 * Scan the number (or what json-c takes for one) at *@pos, leaving *@pos
 * past it. JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 */
static int scan_number(struct json_strict *js, size_t *pos)
{
	const char *s = js->text;
	size_t len = js->len, start = *pos, i = start, first, digits, n;
	bool integer = true;

	n = non_number(s, len, i);
	if (n)
		return fault(js, JSON_STRICT_SYNTAX, i,
			     "%.*s is not a JSON number", (int)n, s + i);
	if (s[i] == '-')
		i++;
	/* json-c reads "-.5" */
	if (i == len || !is_digit(s[i]))
		return fault(js, JSON_STRICT_SYNTAX, start, "%s",
			     "a minus sign without a digit after it");
	first = i;
	if (s[i] == '0') {
		i++;
		if (i < len && is_digit(s[i]))
			return fault(js, JSON_STRICT_SYNTAX, first, "%s",
				     "a number with a leading zero");
	} else {
		while (i < len && is_digit(s[i]))
			i++;
	}
	digits = i - first;
	if (i < len && s[i] == '.') {
		integer = false;
		i++;
		if (i == len || !is_digit(s[i]))
			return fault(js, JSON_STRICT_SYNTAX, i, "%s",
				     "a number without digits after its decimal point");
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		integer = false;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == len || !is_digit(s[i]))
			return fault(js, JSON_STRICT_SYNTAX, i, "%s",
				     "a number without digits in its exponent");
		while (i < len && is_digit(s[i]))
			i++;
	}
	/*
	 * json-c reads -0 as 0 and saturates integers past 64 bits; a
	 * double keeps its text. 19 digits may still fit: noting those
	 * too costs nothing but the note.
	 */
	if (integer && (digits >= 19 || (start < first && s[first] == '0')) &&
	    add_int(js, js->n_numbers, start, i - start) < 0)
		return -ENOMEM;
	js->n_numbers++;
	*pos = i;
	return 0;
}

/* A new object in document order; its index in *@idx. */
static int add_object(struct json_strict *js, size_t *idx)
{
	size_t cap, *members;

	if (js->n_objects == js->objects_cap) {
		cap = 2 * js->objects_cap;
		if (js->members == js->members_inline) {
			members = malloc(cap * sizeof(*members));
			if (members)
				memcpy(members, js->members_inline,
				       sizeof(js->members_inline));
		} else {
			members = realloc(js->members,
					  cap * sizeof(*members));
		}
		if (!members)
			return -ENOMEM;
		js->members = members;
		js->objects_cap = cap;
	}
	js->members[js->n_objects] = 0;
	*idx = js->n_objects++;
	return 0;
}

#define NOT_AN_OBJECT SIZE_MAX

int json_strict_scan(struct json_strict *js, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	/* What each open container is: an object's index, or an array. */
	size_t open[JSON_STRICT_MAX_DEPTH], depth = 0, i = 0, n, idx;
	enum utf8_fault f;
	int rc;

	/* Field by field: this runs for every line, and most are small. */
	js->fault = JSON_STRICT_OK;
	js->at = 0;
	js->what[0] = '\0';
	js->text = text;
	js->len = len;
	js->members = js->members_inline;
	js->n_objects = 0;
	js->objects_cap = JSON_STRICT_INLINE;
	js->ints = NULL;
	js->n_ints = js->ints_cap = 0;
	js->n_numbers = 0;
	js->too_deep = false;
	js->deep_at = 0;
	js->next_object = js->next_number = js->next_int = 0;

	while (i < len) {
		switch (s[i]) {
		case '"':
			rc = scan_string(js, &i);
			if (rc)
				return rc;
			continue;
		case '{':
		case '[':
			idx = NOT_AN_OBJECT;
			if (s[i] == '{') {
				rc = add_object(js, &idx);
				if (rc)
					return rc;
			}
			if (depth < JSON_STRICT_MAX_DEPTH) {
				open[depth] = idx;
			} else if (!js->too_deep) {
				js->too_deep = true;
				js->deep_at = i;
			}
			depth++;
			break;
		case '}':
		case ']':
			if (depth)
				depth--;
			break;
		case ':':
			/* In valid JSON, one colon per member. */
			if (depth && depth <= JSON_STRICT_MAX_DEPTH &&
			    open[depth - 1] != NOT_AN_OBJECT)
				js->members[open[depth - 1]]++;
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			rc = scan_number(js, &i);
			if (rc)
				return rc;
			continue;
		case 'N':
		case 'I':
			n = non_number(text, len, i);
			if (n)
				return fault(js, JSON_STRICT_SYNTAX, i,
					     "%.*s is not a JSON number",
					     (int)n, text + i);
			break;
		default:
			if (s[i] >= 0x80) {
				f = utf8_char(s + i, len - i, &n);
				if (f != UTF8_OK)
					return fault(js, JSON_STRICT_UTF8, i,
						     "%s", utf8_faults[f]);
				i += n;
				continue;
			}
			break;
		}
		i++;
	}
	return 0;
}

/* --- the tree ---------------------------------------------------------- */

/* Append the UTF-8 encoding of @cp at @p; returns the byte after it. */
static char *put_utf8(char *p, unsigned int cp)
{
	if (cp < 0x80) {
		*p++ = (char)cp;
	} else if (cp < 0x800) {
		*p++ = (char)(0xc0 | cp >> 6);
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*p++ = (char)(0xe0 | cp >> 12);
		*p++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (char)(0xf0 | cp >> 18);
		*p++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*p++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*p++ = (char)(0x80 | (cp & 0x3f));
	}
	return p;
}

/*
 * The string of @n bytes at @raw (between the quotes, as scanned and
 * accepted by json-c), decoded into a malloc'd copy; NULL when out of
 * memory. No escape decodes to more bytes than it takes.
 */
static char *decode_string(const char *raw, size_t n)
{
	char *out = malloc(n + 1), *p = out;
	unsigned int u, low;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < n) {
		if (raw[i] != '\\') {
			*p++ = raw[i++];
			continue;
		}
		switch (raw[i + 1]) {
		case 'b':
			*p++ = '\b';
			break;
		case 'f':
			*p++ = '\f';
			break;
		case 'n':
			*p++ = '\n';
			break;
		case 'r':
			*p++ = '\r';
			break;
		case 't':
			*p++ = '\t';
			break;
		case 'u':
			hex4(raw + i + 2, n - i - 2, &u);
			if (is_high_surrogate(u)) {
				hex4(raw + i + 8, n - i - 8, &low);
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (low - 0xdc00);
				i += 6;
			}
			p = put_utf8(p, u);
			i += 4;
			break;
		default: /* '"', '\\', '/' */
			*p++ = raw[i + 1];
			break;
		}
		i += 2;
	}
	*p = '\0';
	return out;
}

/*
 * Write the member name @name into js->what as the reader should see
 * it: JSON's escapes for quotes, backslashes and control characters
 * (no terminal escape sequence gets through), at most about 60 bytes.
 */
static void set_name(struct json_strict *js, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = 0, w, pn;
	char piece[8];

	for (; *s; s += w) {
		w = 1;
		if (*s == '"' || *s == '\\') {
			piece[0] = '\\';
			piece[1] = (char)*s;
			pn = 2;
		} else if (*s < 0x20 || *s == 0x7f) {
			pn = (size_t)snprintf(piece, sizeof(piece), "\\u%04x",
					      *s);
		} else {
			w = *s < 0x80 ? 1 : *s < 0xe0 ? 2 : *s < 0xf0 ? 3 : 4;
			memcpy(piece, s, w);
			pn = w;
		}
		if (n + pn > 60) {
			memcpy(js->what + n, "...", 4);
			return;
		}
		memcpy(js->what + n, piece, pn);
		n += pn;
	}
	js->what[n] = '\0';
}

/*
 * json-c kept fewer members in the @idx'th object than the text has:
 * find the first name that repeats one before it, as json-c decodes
 * names, and report it.
 */
static int find_duplicate(struct json_strict *js, size_t idx)
{
	const char *s = js->text;
	size_t len = js->len, i, k = 0, depth = 0, key = 0, key_end = 0;
	struct json_object *seen;
	char *name;
	int rc = -ENOMEM;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			i = string_end(s, len, i + 1) - 1;
		else if (s[i] == '{' && k++ == idx)
			break;
	}
	seen = json_object_new_object();
	if (!seen)
		return -ENOMEM;
	for (i++; i < len; i++) {
		if (s[i] == '"') {
			if (depth == 0)
				key = i;
			i = string_end(s, len, i + 1) - 1;
			if (depth == 0)
				key_end = i;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (depth == 0)
				break;
			depth--;
		} else if (s[i] == ':' && depth == 0) {
			name = decode_string(s + key + 1, key_end - key - 1);
			if (!name)
				goto out_put_seen;
			if (json_object_object_get_ex(seen, name, NULL)) {
				set_name(js, name);
				js->fault = JSON_STRICT_DUPLICATE;
				js->at = key;
				free(name);
				rc = -EINVAL;
				goto out_put_seen;
			}
			rc = json_object_object_add(seen, name, NULL);
			free(name);
			if (rc < 0) {
				rc = -ENOMEM;
				goto out_put_seen;
			}
		}
	}
	/* Not reached when json-c built the tree from this text. */
	rc = fault(js, JSON_STRICT_DUPLICATE, i, "%s", "?");
out_put_seen:
	json_object_put(seen);
	return rc;
}

/*
 * Make the integer @o serialise as the @len bytes at @text, the number
 * it was read from. That the values agree guards the pairing of the
 * scan's numbers with json-c's.
 */
static int keep_text(struct json_object *o, const char *text, size_t len)
{
	char *copy = strndup(text, len);
	bool same;

	if (!copy)
		return -ENOMEM;
	/* json-c saturates the way strtoll() and strtoull() do. */
	if (copy[0] == '-')
		same = strtoll(copy, NULL, 10) == json_object_get_int64(o);
	else
		same = strtoull(copy, NULL, 10) == json_object_get_uint64(o);
	if (!same) {
		free(copy);
		return 0;
	}
	json_object_set_serializer(o, json_object_userdata_to_json_string,
				   copy, json_object_free_userdata);
	return 0;
}

/*
 * Walk @o in document order, as the scan numbered objects and numbers.
 * @keep names the member whose integers keep their text in this object
 * (NULL: none); @kept says @o is such a member.
 */
static int check_value(struct json_strict *js, struct json_object *o,
		       const char *keep, bool kept)
{
	const struct json_strict_int *t;
	size_t i, n, idx, num;
	int rc;

	switch (json_object_get_type(o)) {
	case json_type_object:
		idx = js->next_object++;
		if (idx >= js->n_objects)
			return fault(js, JSON_STRICT_DUPLICATE, 0, "%s", "?");
		if ((size_t)json_object_object_length(o) != js->members[idx])
			return find_duplicate(js, idx);
		json_object_object_foreach(o, key, val) {
			rc = check_value(js, val, NULL,
					 keep && !strcmp(key, keep));
			if (rc)
				return rc;
		}
		return 0;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			rc = check_value(js, json_object_array_get_idx(o, i),
					 NULL, false);
			if (rc)
				return rc;
		}
		return 0;
	case json_type_int:
	case json_type_double:
		num = js->next_number++;
		while (js->next_int < js->n_ints &&
		       js->ints[js->next_int].ordinal < num)
			js->next_int++;
		if (js->next_int == js->n_ints ||
		    js->ints[js->next_int].ordinal != num)
			return 0;
		t = &js->ints[js->next_int++];
		if (kept && json_object_is_type(o, json_type_int))
			return keep_text(o, js->text + t->at, t->len);
		return 0;
	default:
		return 0;
	}
}

int json_strict_check(struct json_strict *js, struct json_object *root,
		      const char *keep)
{
	size_t i, n;
	int rc;

	js->next_object = js->next_number = js->next_int = 0;
	if (js->too_deep)
		return fault(js, JSON_STRICT_TOO_DEEP, js->deep_at,
			     "nesting deeper than %d levels",
			     JSON_STRICT_MAX_DEPTH);
	if (!json_object_is_type(root, json_type_array))
		return check_value(js, root, keep, false);
	/* A batch: @keep applies to each of its objects. */
	n = json_object_array_length(root);
	for (i = 0; i < n; i++) {
		rc = check_value(js, json_object_array_get_idx(root, i), keep,
				 false);
		if (rc)
			return rc;
	}
	return 0;
}

void json_strict_dispose(struct json_strict *js)
{
	if (js->members != js->members_inline)
		free(js->members);
	js->members = js->members_inline;
	js->n_objects = 0;
	js->objects_cap = JSON_STRICT_INLINE;
	free(js->ints);
	js->ints = NULL;
	js->n_ints = js->ints_cap = 0;
}
