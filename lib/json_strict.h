/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSON_STRICT_H
#define KEEL_JSON_STRICT_H

/*
 * What keel refuses in JSON text beyond json-c's own checks, for every
 * reader of untrusted JSON (the JSON-RPC parser, JSON configuration
 * files), and the UTF-8 helpers that go with it.
 *
 * json-c 0.16, even with JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8,
 * accepts overlong UTF-8, UTF-16 surrogates encoded in UTF-8 and code
 * points past U+10FFFF; turns a lone surrogate escape ("\ud800") into
 * U+FFFD; cuts a member name at "\u0000"; keeps the last of two members
 * with the same name; reads NaN, Infinity, "1.", "-.5" and "-01" as
 * numbers; accepts raw control characters in strings; and stores -0 and
 * integers beyond 64 bits as other values. A reader runs json_strict_scan() over
 * the text, json-c over the same text, and json_strict_check() over the
 * tree json-c built; together they accept RFC 8259 JSON in RFC 3629
 * UTF-8 without NUL characters or duplicate member names.
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

/*
 * The deepest nesting json_strict_check() can vouch for; the json-c
 * tokener that builds the tree must refuse anything deeper.
 */
#define JSON_STRICT_MAX_DEPTH 64

enum json_strict_fault {
	JSON_STRICT_OK = 0,
	JSON_STRICT_UTF8,	/* not RFC 3629 UTF-8; what says how */
	JSON_STRICT_SYNTAX,	/* not JSON, though json-c may take it */
	JSON_STRICT_NUL_NAME,	/* a member name holds \u0000 */
	JSON_STRICT_NUL_STRING,	/* a string value holds \u0000 */
	JSON_STRICT_DUPLICATE,	/* a member twice in one object: what */
	JSON_STRICT_TOO_DEEP,	/* deeper than JSON_STRICT_MAX_DEPTH */
};

/* Objects counted without allocating, enough for the usual message. */
#define JSON_STRICT_INLINE 32

struct json_strict_int {
	size_t ordinal;		/* among the text's numbers, from 0 */
	size_t at, len;		/* where its text is */
};

struct json_strict {
	/* The first fault found: what, at which byte offset. */
	enum json_strict_fault fault;
	size_t at;
	/*
	 * A phrase saying what is wrong, for the reader's own sentence
	 * ("an overlong encoding", "NaN is not a JSON number"); for
	 * JSON_STRICT_DUPLICATE, the member's name instead, with quotes,
	 * backslashes and control characters escaped as in JSON (so no
	 * terminal escape gets through) and cut to about 60 bytes, "..."
	 * marking the cut.
	 */
	char what[128];

	/* The rest is private to json_strict.c. */
	const char *text;
	size_t len;
	size_t *members;	/* member count of each object, in order */
	size_t n_objects, objects_cap;
	size_t members_inline[JSON_STRICT_INLINE];
	struct json_strict_int *ints;	/* integers json-c changes */
	size_t n_ints, ints_cap;
	size_t n_numbers;
	bool too_deep;
	size_t deep_at;
	/* json_strict_check()'s walk */
	size_t next_object, next_number, next_int;
};

/*
 * Scan @len bytes of @text into @js (which needs no initialising).
 * Returns 0; -EINVAL with js->fault, js->at and js->what saying what is
 * wrong (the first problem in the text that json-c might let through;
 * anything else is left to json-c, and syntax json-c refuses too may
 * stop the scan unnoticed); or -ENOMEM. Refused: bytes that are not
 * RFC 3629 UTF-8, anywhere; raw control characters in strings; escapes
 * that do not pair a high with a low surrogate; \u0000 in a name or a
 * string; NaN, Infinity and numbers outside JSON's grammar. @js must be
 * disposed of whatever this returns. The text must stay unchanged
 * until then.
 */
int json_strict_scan(struct json_strict *js, const char *text, size_t len);

/*
 * Check @root, what json-c built from the text json_strict_scan()
 * accepted, for a member name that appears twice in one object (json-c
 * keeps the last value, and reads "a" and "\u0061" as the same name).
 * When @keep is not NULL, an integer member of that name in @root (when
 * it is an object) or in each object element of @root (an array: a
 * batch) keeps the exact text it was sent as, where json-c would have
 * changed it (-0, more than 64 bits): serialising it writes that text.
 * Returns 0; -EINVAL with the fault set (JSON_STRICT_DUPLICATE, at the
 * second occurrence's name; JSON_STRICT_TOO_DEEP); or -ENOMEM.
 */
int json_strict_check(struct json_strict *js, struct json_object *root,
		      const char *keep);

/* Release what @js holds; safe to call again. */
void json_strict_dispose(struct json_strict *js);

/* True when @len bytes at @s are RFC 3629 UTF-8. */
bool json_strict_utf8_valid(const char *s, size_t len);

/*
 * Drop an incomplete UTF-8 character from the end of the NUL-terminated
 * @s, such as snprintf() and vsnprintf() leave when they cut a message
 * short inside a multibyte character; returns the new length. The rest
 * of @s is left as it is (jsonrpc_error() replaces any other invalid
 * bytes with U+FFFD).
 */
size_t json_strict_utf8_trim(char *s);

/*
 * A malloc'd, NUL-terminated copy of @len bytes at @s that is valid
 * UTF-8: an incomplete character at the end is dropped, and each other
 * invalid sequence is replaced with U+FFFD. Stores the copy's length in
 * *@out_len. NULL when out of memory.
 */
char *json_strict_utf8_repair(const char *s, size_t len, size_t *out_len);

#endif /* KEEL_JSON_STRICT_H */
