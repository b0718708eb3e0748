/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSCHEMA_H
#define KEEL_JSCHEMA_H

#include <json-c/json.h>

/*
 * A JSON Schema validator over json-c values. keeld checks every
 * JSON-RPC request's params, and every domain configuration, against
 * the schemas in schemas/ with it before a handler runs.
 *
 * It implements a documented subset of JSON Schema 2020-12:
 *
 *   type (a name or an array of names: object, array, string, integer,
 *     number, boolean, null; "integer" also accepts a double with no
 *     fractional part), enum, const
 *   properties, required, additionalProperties (a schema; false refuses
 *     unknown members)
 *   items (one schema for every element), minItems, maxItems, uniqueItems
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers)
 *   minLength, maxLength (counted in UTF-8 code points, as the standard
 *     says), pattern (POSIX extended regex, see below), format ("uuid" is
 *     checked; every other format is an annotation and ignored)
 *   $ref to "#" followed by a JSON pointer into the same document (such
 *     as "#/$defs/NAME", "#/definitions/NAME" or
 *     "#/components/schemas/NAME"), $defs, definitions
 *   allOf, anyOf, oneOf, not, and the boolean schemas true and false
 *   annotations, ignored: title, description, default, examples,
 *     $schema, $id, $comment, readOnly, writeOnly, deprecated
 *
 * Any other keyword is refused when the schema is compiled, with an
 * error naming the keyword and its JSON pointer, so a schema never
 * silently checks less than it says. The same goes for items in its
 * array (tuple) form, $ref to another document, and percent-encoded
 * references.
 *
 * pattern is matched with regcomp(REG_EXTENDED) and, as JSON Schema
 * says, is not implicitly anchored: write ^...$ to match a whole
 * string. Because POSIX and ECMA-262 regular expressions disagree on
 * some spellings, the constructs that would silently mean something
 * else are refused at compile time: \d and other backslash-letter
 * escapes except \w \W \s \S \b \B (write [0-9] for \d), a single
 * backslash inside a bracket expression, (?...) groups, and a
 * quantifier directly after a quantifier (lazy forms such as +?).
 * A string containing a NUL character never matches a pattern.
 *
 * A $ref cycle that does not descend into the value (say {"$ref": "#"}
 * at the root) is refused at compile time. Schemas and values nested
 * more than JSCHEMA_MAX_DEPTH levels deep are refused.
 */

#define JSCHEMA_MAX_DEPTH 64

/* A compiled schema. Holds a reference on its document. */
struct jschema;

/*
 * Compile the subschema of @doc at JSON pointer @pointer ("" for the
 * whole document, or e.g. "/components/schemas/DomainConfig"); $refs
 * resolve against @doc. Takes its own reference on @doc; the caller
 * must not modify @doc afterwards. Returns 0 and the schema in *@out,
 * -ENOENT when nothing is at @pointer, -EINVAL when the schema is
 * malformed or uses a keyword outside the subset above, or -ENOMEM.
 * On -ENOENT and -EINVAL, *@err (if @err is not NULL) is a sentence
 * saying what is wrong, to be freed by the caller.
 */
int jschema_new(struct json_object *doc, const char *pointer,
		struct jschema **out, char **err);

/* Free a compiled schema and drop its reference on the document. */
void jschema_free(struct jschema *s);

/*
 * Read and parse the JSON file at @path into *@doc (a new reference
 * for the caller). Returns 0, -errno when the file cannot be read,
 * -EFBIG past 16 MiB, or -EINVAL when it is not a single JSON value;
 * on failure *@err (if not NULL) is a malloc'd sentence for the caller.
 */
int jschema_load_file(const char *path, struct json_object **doc,
		      char **err);

/*
 * Validate @value (which may be NULL, json-c's null) against @s.
 * Returns 0 if it is valid. Returns -EINVAL if it is not and stores the
 * first error found: *@err_path is the JSON pointer of the offending
 * value ("" for @value itself, "/disks/0/path" below it) and *@err_msg
 * says what is wrong with it ("must be an integer", "is a required
 * member"); both are malloc'd for the caller, and either pointer may be
 * NULL if the caller doesn't want it. Returns -ENOMEM if memory ran
 * out, with nothing stored.
 *
 * The first error is found in a fixed order: type, enum, const, $ref,
 * then the keywords of the value's type (for an object: required
 * members in the schema's order, then properties in the schema's order,
 * then additional members in the object's order; for an array: item
 * counts, then items in order, then uniqueness), then allOf, anyOf,
 * oneOf, not. A missing required member is reported at the member's own
 * path ("/name").
 *
 * Safe to call from several threads at once on the same schema.
 */
int jschema_validate(const struct jschema *s, struct json_object *value,
		     char **err_path, char **err_msg);

#endif /* KEEL_JSCHEMA_H */
