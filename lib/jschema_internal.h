/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSCHEMA_INTERNAL_H
#define KEEL_JSCHEMA_INTERNAL_H

/*
 * What the three parts of the validator share (jschema.h says what it
 * does): the compiled form of a schema, which jschema_compile.c builds
 * and jschema_validate.c walks, and the helpers both use. Nothing
 * outside lib/jschema*.c includes this.
 */

#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "jschema.h"

/* The JSON types, as bits of js_node.types. */
enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_STRING = 1 << 4,
	T_INTEGER = 1 << 5,
	T_NUMBER = 1 << 6,
};

/* Each type's name in a schema and its noun in "must be ..." messages. */
struct js_type {
	const char *name;
	const char *noun;
	unsigned bit;
};

#define JS_N_TYPES 7
extern const struct js_type js_types[JS_N_TYPES];

/* Indexes of js_node.bound[], in the order they are checked. */
enum { B_MIN, B_MAX, B_EXMIN, B_EXMAX, N_BOUNDS };

/* Indexes of js_node.count[]; -1 when the keyword is absent. */
enum { C_MINLEN, C_MAXLEN, C_MINITEMS, C_MAXITEMS, N_COUNTS };

struct js_list {
	struct js_node **v;
	size_t n;
};

struct js_prop {
	const char *name; /* borrowed from the document */
	struct js_node *schema;
};

/*
 * One compiled schema object. Everything borrowed points into the
 * document, which the jschema keeps a reference on. The *_text strings
 * are made at compile time so that validation never has json-c
 * serialise (and so modify) the shared document.
 */
struct js_node {
	char *ptr; /* JSON pointer of this schema in the document */
	struct json_object *src;
	bool never; /* the schema false */
	unsigned types; /* T_* bits; 0 accepts any type */
	struct json_object *enum_vals;
	char *enum_text;
	bool has_const;
	struct json_object *const_val;
	char *const_text;
	struct json_object *bound[N_BOUNDS];
	char *bound_text[N_BOUNDS];
	int64_t count[N_COUNTS];
	bool unique_items;
	bool has_pattern;
	regex_t pattern;
	const char *pattern_src;
	bool format_uuid;
	const char **required;
	size_t n_required;
	struct js_prop *props;
	size_t n_props;
	struct js_node *additional;
	struct js_node *items;
	const char *ref_str; /* the $ref text until it is resolved */
	struct js_node *ref;
	struct js_list all_of, any_of, one_of;
	struct js_node *not;
	int mark; /* cycle search: 0 unvisited, 1 on the path, 2 done */
};

struct jschema {
	struct json_object *doc;
	struct js_node *root;
	struct js_node **nodes; /* every node, for lookup and for freeing */
	size_t n_nodes, cap_nodes;
};

/*
 * Store a sentence made from @fmt in *@err, unless @err is NULL or
 * holds one already (the first error is the one reported). Returns
 * -EINVAL, or -ENOMEM when the sentence could not be made.
 */
int js_errorv(char **err, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * @base + "/" + @tok, with ~ and / escaped as JSON pointer requires;
 * malloc'd, NULL when out of memory.
 */
char *js_ptr_join(const char *base, const char *tok);

/* A schema's pointer in a message: the root's "" is spelled out. */
const char *js_show_ptr(const char *ptr);

/* True for a JSON number, integer or not. */
bool js_is_number(struct json_object *v);

#endif /* KEEL_JSCHEMA_INTERNAL_H */
