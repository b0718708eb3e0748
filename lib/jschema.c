// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A JSON Schema validator for the subset of 2020-12 described in
 * jschema.h. A schema is compiled once into a graph of nodes (one per
 * schema object, $refs resolved to the node they point at) with every
 * keyword checked, so errors in schemas surface when keeld starts, not
 * on some later request. Validation then walks the nodes and stops at
 * the first error, reporting where it is in the value and what is wrong.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <json-c/json_pointer.h>

#include "jschema.h"

#define JSCHEMA_MAX_FILE (16u << 20)

enum {
	T_NULL = 1 << 0,
	T_BOOLEAN = 1 << 1,
	T_OBJECT = 1 << 2,
	T_ARRAY = 1 << 3,
	T_STRING = 1 << 4,
	T_INTEGER = 1 << 5,
	T_NUMBER = 1 << 6,
};

static const struct {
	const char *name;
	const char *noun; /* for "must be ..." */
	unsigned bit;
} js_types[] = {
	{ "object", "an object", T_OBJECT },
	{ "array", "an array", T_ARRAY },
	{ "string", "a string", T_STRING },
	{ "integer", "an integer", T_INTEGER },
	{ "number", "a number", T_NUMBER },
	{ "boolean", "a boolean", T_BOOLEAN },
	{ "null", "null", T_NULL },
};
#define N_TYPES (sizeof(js_types) / sizeof(js_types[0]))

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

struct js_compiler {
	struct jschema *s;
	char **err;
};

static int js_errorv(char **err, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int js_errorv(char **err, const char *fmt, va_list ap)
{
	if (err && !*err && vasprintf(err, fmt, ap) < 0) {
		*err = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

static int cerr(struct js_compiler *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int cerr(struct js_compiler *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = js_errorv(c->err, fmt, ap);
	va_end(ap);
	return rc;
}

/* @base + "/" + @tok with ~ and / escaped as JSON pointer requires. */
static char *ptr_join(const char *base, const char *tok)
{
	size_t blen = strlen(base), i, j;
	char *p = malloc(blen + 2 * strlen(tok) + 2);

	if (!p)
		return NULL;
	memcpy(p, base, blen);
	j = blen;
	p[j++] = '/';
	for (i = 0; tok[i]; i++) {
		if (tok[i] == '~' || tok[i] == '/') {
			p[j++] = '~';
			p[j++] = tok[i] == '~' ? '0' : '1';
		} else {
			p[j++] = tok[i];
		}
	}
	p[j] = '\0';
	return p;
}

static char *ptr_join_idx(const char *base, size_t idx)
{
	char *p;

	return asprintf(&p, "%s/%zu", base, idx) < 0 ? NULL : p;
}

/* Schema pointers in messages; the root's is the empty string. */
static const char *show_ptr(const char *ptr)
{
	return ptr[0] ? ptr : "\"\" (the root)";
}

static char *json_text(struct json_object *v)
{
	return strdup(json_object_to_json_string_ext(
		v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int compile_schema(struct js_compiler *c, struct json_object *src,
			  char *ptr, int depth, struct js_node **out);

/* Compile @src found at @base/@tok (or @base/@idx when @tok is NULL). */
static int compile_child(struct js_compiler *c, struct json_object *src,
			 const char *base, const char *tok, size_t idx,
			 int depth, struct js_node **out)
{
	char *ptr = tok ? ptr_join(base, tok) : ptr_join_idx(base, idx);

	if (!ptr)
		return -ENOMEM;
	return compile_schema(c, src, ptr, depth + 1, out);
}

/* Keyword compilers: @kw is the keyword's own pointer, for errors. */
typedef int (*js_kw_fn)(struct js_compiler *c, struct js_node *n,
			struct json_object *v, const char *kw, int depth,
			size_t arg);

static int kw_type(struct js_compiler *c, struct js_node *n,
		   struct json_object *v, const char *kw, int depth, size_t arg)
{
	size_t i, k, len = 1;
	struct json_object *name = v;

	if (json_object_is_type(v, json_type_array)) {
		len = json_object_array_length(v);
		if (len == 0)
			return cerr(c, "Schema keyword %s must not be an empty array.",
				    kw);
	}
	for (i = 0; i < len; i++) {
		if (json_object_is_type(v, json_type_array))
			name = json_object_array_get_idx(v, i);
		if (!json_object_is_type(name, json_type_string))
			return cerr(c, "Schema keyword %s must be a type name or an array of type names.",
				    kw);
		for (k = 0; k < N_TYPES; k++)
			if (!strcmp(json_object_get_string(name),
				    js_types[k].name))
				break;
		if (k == N_TYPES)
			return cerr(c, "Schema keyword %s names the type \"%s\", which is not one of object, array, string, integer, number, boolean, null.",
				    kw, json_object_get_string(name));
		n->types |= js_types[k].bit;
	}
	return 0;
}

static int kw_enum(struct js_compiler *c, struct js_node *n,
		   struct json_object *v, const char *kw, int depth, size_t arg)
{
	char *buf = NULL;
	size_t size = 0, i;
	FILE *f;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return cerr(c, "Schema keyword %s must be a non-empty array.",
			    kw);
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		fputs(i ? ", " : "", f);
		/* Strings unquoted: "is not one of: destroy, restart" */
		fputs(json_object_is_type(e, json_type_string) ?
			      json_object_get_string(e) :
			      json_object_to_json_string_ext(
				      e, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE),
		      f);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	n->enum_vals = v;
	n->enum_text = buf;
	return 0;
}

static int kw_const(struct js_compiler *c, struct js_node *n,
		    struct json_object *v, const char *kw, int depth, size_t arg)
{
	n->has_const = true;
	n->const_val = v;
	n->const_text = json_text(v);
	return n->const_text ? 0 : -ENOMEM;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
}

static int kw_bound(struct js_compiler *c, struct js_node *n,
		    struct json_object *v, const char *kw, int depth, size_t arg)
{
	if (!is_number(v))
		return cerr(c, "Schema keyword %s must be a number.", kw);
	n->bound[arg] = v;
	n->bound_text[arg] = json_text(v);
	return n->bound_text[arg] ? 0 : -ENOMEM;
}

static int kw_count(struct js_compiler *c, struct js_node *n,
		    struct json_object *v, const char *kw, int depth, size_t arg)
{
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return cerr(c, "Schema keyword %s must be a non-negative integer.",
			    kw);
	n->count[arg] = json_object_get_int64(v);
	return 0;
}

static int kw_unique(struct js_compiler *c, struct js_node *n,
		     struct json_object *v, const char *kw, int depth,
		     size_t arg)
{
	if (!json_object_is_type(v, json_type_boolean))
		return cerr(c, "Schema keyword %s must be true or false.", kw);
	n->unique_items = json_object_get_boolean(v);
	return 0;
}

/*
 * Refuse the ECMA-262 spellings that POSIX ERE would accept but read
 * differently (see jschema.h), so that a pattern never quietly checks
 * something other than what its author meant. Returns NULL or why.
 */
static const char *pattern_unportable(const char *p)
{
	size_t i, first = 0;
	bool in_bracket = false;

	for (i = 0; p[i]; i++) {
		char ch = p[i], next = p[i + 1];

		if (in_bracket) {
			if (ch == '[' && (next == ':' || next == '.' ||
					  next == '=')) {
				const char *end = strchr(p + i + 2, next);

				while (end && end[1] != ']')
					end = strchr(end + 1, next);
				if (!end)
					return NULL; /* regcomp reports it */
				i = end + 1 - p;
			} else if (ch == ']' && i > first) {
				in_bracket = false;
			} else if (ch == '\\') {
				if (next != '\\')
					return "a backslash inside a bracket expression is a literal backslash in POSIX regular expressions (write [0-9] rather than [\\d])";
				i++;
			}
			continue;
		}
		switch (ch) {
		case '\\':
			if (next == '\0')
				return NULL;
			if ((next >= 'a' && next <= 'z') ||
			    (next >= 'A' && next <= 'Z') ||
			    (next >= '0' && next <= '9')) {
				if (!strchr("wWsSbB", next))
					return "backslash escapes other than \\w \\W \\s \\S \\b \\B are not POSIX extended regular expressions (write [0-9] for \\d)";
			}
			i++;
			break;
		case '[':
			in_bracket = true;
			first = i + 1;
			if (next == '^')
				first++;
			break;
		case '(':
			if (next == '?')
				return "(?...) groups are not POSIX extended regular expressions";
			break;
		case '*':
		case '+':
		case '?':
		case '}':
			if (next && strchr("*+?{", next))
				return "a quantifier directly after a quantifier (such as the lazy +?) means something else in POSIX extended regular expressions";
			break;
		}
	}
	return NULL;
}

static int kw_pattern(struct js_compiler *c, struct js_node *n,
		      struct json_object *v, const char *kw, int depth,
		      size_t arg)
{
	const char *src, *why;
	char msg[128];
	int rc;

	if (!json_object_is_type(v, json_type_string))
		return cerr(c, "Schema keyword %s must be a string.", kw);
	src = json_object_get_string(v);
	if (strlen(src) != (size_t)json_object_get_string_len(v))
		return cerr(c, "Schema keyword %s must not contain a NUL character.",
			    kw);
	why = pattern_unportable(src);
	if (why)
		return cerr(c, "Schema keyword %s is not supported: %s.", kw,
			    why);
	rc = regcomp(&n->pattern, src, REG_EXTENDED | REG_NOSUB);
	if (rc == REG_ESPACE)
		return -ENOMEM;
	if (rc != 0) {
		regerror(rc, NULL, msg, sizeof(msg));
		return cerr(c, "Schema keyword %s is not a valid POSIX extended regular expression: %s.",
			    kw, msg);
	}
	n->has_pattern = true;
	n->pattern_src = src;
	return 0;
}

static int kw_format(struct js_compiler *c, struct js_node *n,
		     struct json_object *v, const char *kw, int depth,
		     size_t arg)
{
	if (!json_object_is_type(v, json_type_string))
		return cerr(c, "Schema keyword %s must be a string.", kw);
	/* Other formats are annotations in 2020-12 unless asked for. */
	n->format_uuid = !strcmp(json_object_get_string(v), "uuid");
	return 0;
}

static int kw_properties(struct js_compiler *c, struct js_node *n,
			 struct json_object *v, const char *kw, int depth,
			 size_t arg)
{
	size_t i = 0;
	int rc;

	if (!json_object_is_type(v, json_type_object))
		return cerr(c, "Schema keyword %s must be an object whose members are schemas.",
			    kw);
	n->props = calloc(json_object_object_length(v) + 1,
			  sizeof(*n->props));
	if (!n->props)
		return -ENOMEM;
	json_object_object_foreach(v, name, sub) {
		n->props[i].name = name;
		rc = compile_child(c, sub, kw, name, 0, depth,
				   &n->props[i].schema);
		if (rc)
			return rc;
		n->n_props = ++i;
	}
	return 0;
}

static int kw_required(struct js_compiler *c, struct js_node *n,
		       struct json_object *v, const char *kw, int depth,
		       size_t arg)
{
	size_t i, len;

	if (!json_object_is_type(v, json_type_array))
		return cerr(c, "Schema keyword %s must be an array of member names.",
			    kw);
	len = json_object_array_length(v);
	n->required = calloc(len + 1, sizeof(*n->required));
	if (!n->required)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string))
			return cerr(c, "Schema keyword %s must be an array of member names, but item %zu is not a string.",
				    kw, i);
		n->required[i] = json_object_get_string(e);
	}
	n->n_required = len;
	return 0;
}

/* additionalProperties, items and not: a single schema in @arg's slot. */
static int kw_schema(struct js_compiler *c, struct js_node *n,
		     struct json_object *v, const char *kw, int depth,
		     size_t arg)
{
	struct js_node **slot = (struct js_node **)((char *)n + arg);
	char *ptr;

	if (json_object_is_type(v, json_type_array))
		return cerr(c, "Schema keyword %s must be a single schema%s.",
			    kw, arg == offsetof(struct js_node, items) ?
				    " (the array form of items is not supported)" :
				    "");
	ptr = strdup(kw);
	if (!ptr)
		return -ENOMEM;
	return compile_schema(c, v, ptr, depth + 1, slot);
}

/* allOf, anyOf, oneOf: a non-empty array of schemas. */
static int kw_list(struct js_compiler *c, struct js_node *n,
		   struct json_object *v, const char *kw, int depth, size_t arg)
{
	struct js_list *l = (struct js_list *)((char *)n + arg);
	size_t i, len;
	int rc;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return cerr(c, "Schema keyword %s must be a non-empty array of schemas.",
			    kw);
	len = json_object_array_length(v);
	l->v = calloc(len, sizeof(*l->v));
	if (!l->v)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		rc = compile_child(c, json_object_array_get_idx(v, i), kw,
				   NULL, i, depth, &l->v[i]);
		if (rc)
			return rc;
		l->n = i + 1;
	}
	return 0;
}

static int kw_ref(struct js_compiler *c, struct js_node *n,
		  struct json_object *v, const char *kw, int depth, size_t arg)
{
	const char *ref;

	if (!json_object_is_type(v, json_type_string))
		return cerr(c, "Schema keyword %s must be a string.", kw);
	ref = json_object_get_string(v);
	if (ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/') ||
	    strchr(ref, '%'))
		return cerr(c, "Schema keyword %s is \"%s\"; only references into the same document such as \"#/$defs/NAME\", without percent-encoding, are supported.",
			    kw, ref);
	n->ref_str = ref;
	return 0;
}

/* $defs and definitions: compiled now so that errors in them surface. */
static int kw_defs(struct js_compiler *c, struct js_node *n,
		   struct json_object *v, const char *kw, int depth, size_t arg)
{
	struct js_node *unused;
	int rc;

	if (!json_object_is_type(v, json_type_object))
		return cerr(c, "Schema keyword %s must be an object whose members are schemas.",
			    kw);
	json_object_object_foreach(v, name, sub) {
		rc = compile_child(c, sub, kw, name, 0, depth, &unused);
		if (rc)
			return rc;
	}
	return 0;
}

/* Every keyword the validator knows; fn NULL marks an annotation. */
static const struct {
	const char *name;
	js_kw_fn fn;
	size_t arg;
} js_keywords[] = {
	{ "type", kw_type, 0 },
	{ "enum", kw_enum, 0 },
	{ "const", kw_const, 0 },
	{ "minimum", kw_bound, B_MIN },
	{ "maximum", kw_bound, B_MAX },
	{ "exclusiveMinimum", kw_bound, B_EXMIN },
	{ "exclusiveMaximum", kw_bound, B_EXMAX },
	{ "minLength", kw_count, C_MINLEN },
	{ "maxLength", kw_count, C_MAXLEN },
	{ "pattern", kw_pattern, 0 },
	{ "format", kw_format, 0 },
	{ "minItems", kw_count, C_MINITEMS },
	{ "maxItems", kw_count, C_MAXITEMS },
	{ "uniqueItems", kw_unique, 0 },
	{ "items", kw_schema, offsetof(struct js_node, items) },
	{ "properties", kw_properties, 0 },
	{ "required", kw_required, 0 },
	{ "additionalProperties", kw_schema,
	  offsetof(struct js_node, additional) },
	{ "$ref", kw_ref, 0 },
	{ "$defs", kw_defs, 0 },
	{ "definitions", kw_defs, 0 },
	{ "allOf", kw_list, offsetof(struct js_node, all_of) },
	{ "anyOf", kw_list, offsetof(struct js_node, any_of) },
	{ "oneOf", kw_list, offsetof(struct js_node, one_of) },
	{ "not", kw_schema, offsetof(struct js_node, not) },
	{ "title", NULL, 0 },
	{ "description", NULL, 0 },
	{ "default", NULL, 0 },
	{ "examples", NULL, 0 },
	{ "$schema", NULL, 0 },
	{ "$id", NULL, 0 },
	{ "$comment", NULL, 0 },
	{ "readOnly", NULL, 0 },
	{ "writeOnly", NULL, 0 },
	{ "deprecated", NULL, 0 },
};

static int node_add(struct jschema *s, struct js_node *n)
{
	if (s->n_nodes == s->cap_nodes) {
		size_t cap = s->cap_nodes ? 2 * s->cap_nodes : 16;
		struct js_node **v = realloc(s->nodes, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->nodes = v;
		s->cap_nodes = cap;
	}
	s->nodes[s->n_nodes++] = n;
	return 0;
}

/* Compile the schema @src at @ptr (owned by the node from here on). */
static int compile_schema(struct js_compiler *c, struct json_object *src,
			  char *ptr, int depth, struct js_node **out)
{
	struct js_node *n;
	size_t i, k;
	int rc;

	if (!ptr)
		return -ENOMEM;
	n = calloc(1, sizeof(*n));
	if (!n || node_add(c->s, n)) {
		free(n);
		free(ptr);
		return -ENOMEM;
	}
	n->ptr = ptr;
	n->src = src;
	for (i = 0; i < N_COUNTS; i++)
		n->count[i] = -1;
	*out = n;
	if (depth > JSCHEMA_MAX_DEPTH)
		return cerr(c, "The schema at %s is nested more than %d levels deep.",
			    ptr, JSCHEMA_MAX_DEPTH);
	if (json_object_is_type(src, json_type_boolean)) {
		n->never = !json_object_get_boolean(src);
		return 0;
	}
	if (!json_object_is_type(src, json_type_object))
		return cerr(c, "The schema at %s must be an object or a boolean.",
			    show_ptr(ptr));
	json_object_object_foreach(src, key, val) {
		char *kw;

		for (k = 0; k < sizeof(js_keywords) / sizeof(js_keywords[0]);
		     k++)
			if (!strcmp(key, js_keywords[k].name))
				break;
		kw = ptr_join(ptr, key);
		if (!kw)
			return -ENOMEM;
		if (k == sizeof(js_keywords) / sizeof(js_keywords[0]))
			rc = cerr(c, "Schema keyword \"%s\" at %s is not supported by keel's schema validator.",
				  key, kw);
		else if (js_keywords[k].fn)
			rc = js_keywords[k].fn(c, n, val, kw, depth,
					       js_keywords[k].arg);
		else
			rc = 0;
		free(kw);
		if (rc)
			return rc;
	}
	return 0;
}

/* Point each $ref at its node, compiling targets not compiled yet. */
static int resolve_refs(struct js_compiler *c)
{
	struct jschema *s = c->s;
	struct json_object *target;
	size_t i, k;
	int rc;

	/* s->nodes grows as targets are compiled; they are visited too. */
	for (i = 0; i < s->n_nodes; i++) {
		struct js_node *n = s->nodes[i];

		if (!n->ref_str)
			continue;
		if (json_pointer_get(s->doc, n->ref_str + 1, &target))
			return cerr(c, "Schema keyword %s/$ref refers to \"%s\", which is not in the document.",
				    n->ptr, n->ref_str);
		for (k = 0; k < s->n_nodes; k++)
			if (s->nodes[k]->src == target && target)
				break;
		if (k < s->n_nodes) {
			n->ref = s->nodes[k];
			continue;
		}
		rc = compile_schema(c, target, strdup(n->ref_str + 1), 0,
				    &n->ref);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * A path through $ref, allOf, anyOf, oneOf and not that comes back to
 * where it started applies the same schema to the same value forever.
 */
static int find_cycle(struct js_compiler *c, struct js_node *n)
{
	struct js_list *lists[] = { &n->all_of, &n->any_of, &n->one_of };
	size_t i, k;
	int rc = 0;

	if (n->mark == 2)
		return 0;
	if (n->mark == 1)
		return cerr(c, "The schema at %s refers back to itself without descending into the value (a $ref cycle), so it could never finish.",
			    show_ptr(n->ptr));
	n->mark = 1;
	if (n->ref)
		rc = find_cycle(c, n->ref);
	if (!rc && n->not)
		rc = find_cycle(c, n->not);
	for (i = 0; i < 3 && !rc; i++)
		for (k = 0; k < lists[i]->n && !rc; k++)
			rc = find_cycle(c, lists[i]->v[k]);
	n->mark = 2;
	return rc;
}

static void node_free(struct js_node *n)
{
	size_t i;

	free(n->ptr);
	free(n->enum_text);
	free(n->const_text);
	for (i = 0; i < N_BOUNDS; i++)
		free(n->bound_text[i]);
	if (n->has_pattern)
		regfree(&n->pattern);
	free(n->required);
	free(n->props);
	free(n->all_of.v);
	free(n->any_of.v);
	free(n->one_of.v);
	free(n);
}

void jschema_free(struct jschema *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_nodes; i++)
		node_free(s->nodes[i]);
	free(s->nodes);
	json_object_put(s->doc);
	free(s);
}

int jschema_new(struct json_object *doc, const char *pointer,
		struct jschema **out, char **err)
{
	struct js_compiler c = { .err = err };
	struct json_object *src;
	size_t i;
	int rc;

	*out = NULL;
	if (err)
		*err = NULL;
	if (!pointer)
		pointer = "";
	if (!doc || json_pointer_get(doc, pointer, &src)) {
		rc = cerr(&c, "The schema document has nothing at the JSON pointer \"%s\".",
			  pointer);
		return rc == -EINVAL ? -ENOENT : rc;
	}
	c.s = calloc(1, sizeof(*c.s));
	if (!c.s)
		return -ENOMEM;
	c.s->doc = json_object_get(doc);
	rc = compile_schema(&c, src, strdup(pointer), 0, &c.s->root);
	if (!rc)
		rc = resolve_refs(&c);
	for (i = 0; !rc && i < c.s->n_nodes; i++)
		rc = find_cycle(&c, c.s->nodes[i]);
	if (rc) {
		jschema_free(c.s);
		return rc;
	}
	*out = c.s;
	return 0;
}

/* Validation state: where we are in the value, and the first error. */
struct js_vctx {
	char *path;
	size_t len, cap;
	unsigned depth;
	unsigned long progress; /* values found valid so far */
	char *err_path;
	char *err_msg;
};

static int fail(struct js_vctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct js_vctx *x, const char *fmt, ...)
{
	va_list ap;
	int rc;

	x->err_path = strdup(x->path);
	if (!x->err_path)
		return -ENOMEM;
	va_start(ap, fmt);
	rc = vasprintf(&x->err_msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		free(x->err_path);
		x->err_path = x->err_msg = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

static void drop_error(struct js_vctx *x)
{
	free(x->err_path);
	free(x->err_msg);
	x->err_path = x->err_msg = NULL;
}

/* Append "/" + @tok (escaped) to the path; the old length is in *@old. */
static int path_push(struct js_vctx *x, const char *tok, size_t *old)
{
	char *joined = ptr_join(x->path, tok);
	size_t len;

	if (!joined)
		return -ENOMEM;
	len = strlen(joined);
	*old = x->len;
	if (len >= x->cap) {
		char *p = realloc(x->path, len + 64);

		if (!p) {
			free(joined);
			return -ENOMEM;
		}
		x->path = p;
		x->cap = len + 64;
	}
	memcpy(x->path, joined, len + 1);
	x->len = len;
	free(joined);
	return 0;
}

static void path_pop(struct js_vctx *x, size_t old)
{
	x->len = old;
	x->path[old] = '\0';
}

static bool is_integral(struct json_object *v)
{
	double d;

	if (json_object_is_type(v, json_type_int))
		return true;
	if (!json_object_is_type(v, json_type_double))
		return false;
	d = json_object_get_double(v);
	if (d != d || d - d != 0) /* NaN, infinities */
		return false;
	/* Every double this large is a whole number. */
	if (d > 9.0e15 || d < -9.0e15)
		return true;
	return (double)(int64_t)d == d;
}

/* Compare two numbers: <0, 0 or >0 as @a is below, equal or above @b. */
static int num_cmp(struct json_object *a, struct json_object *b)
{
	if (json_object_is_type(a, json_type_int) &&
	    json_object_is_type(b, json_type_int)) {
		int64_t x = json_object_get_int64(a);
		int64_t y = json_object_get_int64(b);

		/* json-c keeps values above INT64_MAX as uint64 */
		if (x == INT64_MAX && y == INT64_MAX) {
			uint64_t ux = json_object_get_uint64(a);
			uint64_t uy = json_object_get_uint64(b);

			return (ux > uy) - (ux < uy);
		}
		return (x > y) - (x < y);
	} else {
		double x = json_object_get_double(a);
		double y = json_object_get_double(b);

		return (x > y) - (x < y);
	}
}

/* JSON equality: numbers by value (1 == 1.0), members in any order. */
static bool js_equal(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a);
	size_t i;

	if (is_number(a) && is_number(b))
		return num_cmp(a, b) == 0;
	if (ta != json_object_get_type(b))
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) ==
			       json_object_get_string_len(b) &&
		       !memcmp(json_object_get_string(a),
			       json_object_get_string(b),
			       json_object_get_string_len(a));
	case json_type_array:
		if (json_object_array_length(a) != json_object_array_length(b))
			return false;
		for (i = 0; i < json_object_array_length(a); i++)
			if (!js_equal(json_object_array_get_idx(a, i),
				      json_object_array_get_idx(b, i)))
				return false;
		return true;
	case json_type_object: {
		struct json_object *bv;

		if (json_object_object_length(a) !=
		    json_object_object_length(b))
			return false;
		json_object_object_foreach(a, key, av) {
			if (!json_object_object_get_ex(b, key, &bv) ||
			    !js_equal(av, bv))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

static bool type_ok(unsigned types, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return types & T_NULL;
	case json_type_boolean:
		return types & T_BOOLEAN;
	case json_type_object:
		return types & T_OBJECT;
	case json_type_array:
		return types & T_ARRAY;
	case json_type_string:
		return types & T_STRING;
	case json_type_int:
	case json_type_double:
		return (types & T_NUMBER) ||
		       ((types & T_INTEGER) && is_integral(v));
	}
	return false;
}

/* "an integer", "a string or null", "an object, an array or null" */
static int fail_type(struct js_vctx *x, unsigned types)
{
	char buf[128] = "";
	unsigned left = __builtin_popcount(types);
	size_t k;

	for (k = 0; k < N_TYPES; k++) {
		if (!(types & js_types[k].bit))
			continue;
		left--;
		strcat(buf, js_types[k].noun);
		if (left > 1)
			strcat(buf, ", ");
		else if (left == 1)
			strcat(buf, " or ");
	}
	return fail(x, "must be %s", buf);
}

static size_t utf8_length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

static bool is_uuid(const char *s, size_t len)
{
	size_t i;

	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i]) {
			return false;
		}
	}
	return true;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

static int v_node(const struct js_node *n, struct json_object *v,
		  struct js_vctx *x);

/* Validate @v, found at member @key (or item @idx) of the current value. */
static int v_child(const struct js_node *n, struct json_object *v,
		   const char *key, size_t idx, struct js_vctx *x)
{
	char num[24];
	size_t old;
	int rc;

	if (!key) {
		snprintf(num, sizeof(num), "%zu", idx);
		key = num;
	}
	rc = path_push(x, key, &old);
	if (rc)
		return rc;
	if (++x->depth > JSCHEMA_MAX_DEPTH)
		rc = fail(x, "is nested more than %d levels deep",
			  JSCHEMA_MAX_DEPTH);
	else
		rc = v_node(n, v, x);
	x->progress += rc == 0;
	x->depth--;
	path_pop(x, old);
	return rc;
}

static int v_number(const struct js_node *n, struct json_object *v,
		    struct js_vctx *x)
{
	static const char *const what[N_BOUNDS] = {
		[B_MIN] = "at least", [B_MAX] = "at most",
		[B_EXMIN] = "greater than", [B_EXMAX] = "less than",
	};
	double d = json_object_get_double(v);
	int i, cmp;
	bool bad;

	if (d != d || d - d != 0)
		return fail(x, "must be a finite number");
	for (i = 0; i < N_BOUNDS; i++) {
		if (!n->bound[i])
			continue;
		cmp = num_cmp(v, n->bound[i]);
		bad = (i == B_MIN && cmp < 0) || (i == B_MAX && cmp > 0) ||
		      (i == B_EXMIN && cmp <= 0) || (i == B_EXMAX && cmp >= 0);
		if (bad)
			return fail(x, "must be %s %s", what[i],
				    n->bound_text[i]);
	}
	return 0;
}

static int v_string(const struct js_node *n, struct json_object *v,
		    struct js_vctx *x)
{
	const char *s = json_object_get_string(v);
	size_t len = json_object_get_string_len(v);
	int64_t chars = utf8_length(s, len);

	if (n->count[C_MINLEN] >= 0 && chars < n->count[C_MINLEN])
		return fail(x, "must be at least %lld character%s long",
			    (long long)n->count[C_MINLEN],
			    plural(n->count[C_MINLEN]));
	if (n->count[C_MAXLEN] >= 0 && chars > n->count[C_MAXLEN])
		return fail(x, "must be at most %lld character%s long",
			    (long long)n->count[C_MAXLEN],
			    plural(n->count[C_MAXLEN]));
	if (n->has_pattern) {
		if (strlen(s) != len)
			return fail(x, "must not contain a NUL character");
		if (regexec(&n->pattern, s, 0, NULL, 0) != 0)
			return fail(x, "must match the pattern %s",
				    n->pattern_src);
	}
	if (n->format_uuid && !is_uuid(s, len))
		return fail(x, "must be a UUID such as 123e4567-e89b-12d3-a456-426614174000");
	return 0;
}

static int v_array(const struct js_node *n, struct json_object *v,
		   struct js_vctx *x)
{
	size_t len = json_object_array_length(v), i, j, old;
	int rc;

	if (n->count[C_MINITEMS] >= 0 && (int64_t)len < n->count[C_MINITEMS])
		return fail(x, "must have at least %lld item%s",
			    (long long)n->count[C_MINITEMS],
			    plural(n->count[C_MINITEMS]));
	if (n->count[C_MAXITEMS] >= 0 && (int64_t)len > n->count[C_MAXITEMS])
		return fail(x, "must have at most %lld item%s",
			    (long long)n->count[C_MAXITEMS],
			    plural(n->count[C_MAXITEMS]));
	for (i = 0; n->items && i < len; i++) {
		rc = v_child(n->items, json_object_array_get_idx(v, i), NULL,
			     i, x);
		if (rc)
			return rc;
	}
	if (!n->unique_items)
		return 0;
	for (j = 1; j < len; j++) {
		for (i = 0; i < j; i++) {
			char num[24];

			if (!js_equal(json_object_array_get_idx(v, i),
				      json_object_array_get_idx(v, j)))
				continue;
			snprintf(num, sizeof(num), "%zu", j);
			rc = path_push(x, num, &old);
			if (rc)
				return rc;
			rc = fail(x, "is the same as item %zu; items must be unique",
				  i);
			path_pop(x, old);
			return rc;
		}
	}
	return 0;
}

static int v_object(const struct js_node *n, struct json_object *v,
		    struct js_vctx *x)
{
	struct json_object *m;
	size_t i, old;
	int rc;

	for (i = 0; i < n->n_required; i++) {
		if (json_object_object_get_ex(v, n->required[i], NULL))
			continue;
		rc = path_push(x, n->required[i], &old);
		if (rc)
			return rc;
		rc = fail(x, "is a required member");
		path_pop(x, old);
		return rc;
	}
	for (i = 0; i < n->n_props; i++) {
		if (!json_object_object_get_ex(v, n->props[i].name, &m))
			continue;
		rc = v_child(n->props[i].schema, m, n->props[i].name, 0, x);
		if (rc)
			return rc;
	}
	if (!n->additional)
		return 0;
	json_object_object_foreach(v, key, val) {
		for (i = 0; i < n->n_props; i++)
			if (!strcmp(key, n->props[i].name))
				break;
		if (i < n->n_props)
			continue;
		if (n->additional->never) {
			rc = path_push(x, key, &old);
			if (rc)
				return rc;
			rc = fail(x, "is not allowed here (unknown member)");
			path_pop(x, old);
			return rc;
		}
		rc = v_child(n->additional, val, key, 0, x);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * anyOf and oneOf. When nothing matches, say why in the way most likely
 * to help: if one alternative got further into the value than any
 * other (it found more members or items valid, or failed deeper), it is
 * probably the one that was meant, so its error is reported; otherwise
 * every alternative's complaint is listed.
 */
static int v_alternatives(const struct js_list *l, bool exactly_one,
			  struct json_object *v, struct js_vctx *x)
{
	size_t i, first = 0, matches = 0, best = 0, best_len = 0, plen;
	unsigned long start, done, best_done = 0;
	char **paths, **msgs, *list = NULL;
	size_t list_size = 0;
	bool tie = false;
	FILE *f;
	int rc = 0;

	paths = calloc(l->n, sizeof(*paths));
	msgs = calloc(l->n, sizeof(*msgs));
	if (!paths || !msgs) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < l->n; i++) {
		start = x->progress;
		rc = v_node(l->v[i], v, x);
		done = x->progress - start;
		if (rc == 0) {
			if (matches++ && exactly_one) {
				rc = fail(x, "matches both alternative %zu and alternative %zu of oneOf, but must match exactly one",
					  first, i);
				goto out_free;
			}
			first = i;
			if (!exactly_one)
				goto out_free;
			continue;
		}
		if (rc != -EINVAL)
			goto out_free;
		paths[i] = x->err_path;
		msgs[i] = x->err_msg;
		x->err_path = x->err_msg = NULL;
		plen = strlen(paths[i]);
		if (i == 0 || done > best_done ||
		    (done == best_done && plen > best_len)) {
			best = i;
			best_len = plen;
			best_done = done;
			tie = false;
		} else if (done == best_done && plen == best_len) {
			tie = true;
		}
	}
	if (matches) {
		rc = 0;
		goto out_free;
	}
	if (!tie) {
		x->err_path = paths[best];
		x->err_msg = msgs[best];
		paths[best] = msgs[best] = NULL;
		rc = -EINVAL;
		goto out_free;
	}
	f = open_memstream(&list, &list_size);
	if (!f) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < l->n; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(paths[i], paths[j]) &&
			    !strcmp(msgs[i], msgs[j]))
				break;
		if (j < i)
			continue; /* said that already */
		fprintf(f, "%s%s%s%s", i ? "; or " : "", paths[i] + x->len,
			paths[i][x->len] ? " " : "", msgs[i]);
	}
	if (fclose(f) != 0) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = fail(x, "matches none of the allowed alternatives: %s", list);
out_free:
	for (i = 0; paths && msgs && i < l->n; i++) {
		free(paths[i]);
		free(msgs[i]);
	}
	free(list);
	free(paths);
	free(msgs);
	return rc;
}

static int v_node(const struct js_node *n, struct json_object *v,
		  struct js_vctx *x)
{
	size_t i;
	int rc;

	if (n->never)
		return fail(x, "is not allowed here");
	if (n->types && !type_ok(n->types, v))
		return fail_type(x, n->types);
	if (n->enum_vals) {
		for (i = 0; i < json_object_array_length(n->enum_vals); i++)
			if (js_equal(v, json_object_array_get_idx(n->enum_vals,
								  i)))
				break;
		if (i == json_object_array_length(n->enum_vals))
			return fail(x, "is not one of: %s", n->enum_text);
	}
	if (n->has_const && !js_equal(v, n->const_val))
		return fail(x, "must be %s", n->const_text);
	if (n->ref) {
		rc = v_node(n->ref, v, x);
		if (rc)
			return rc;
	}
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		rc = v_number(n, v, x);
		break;
	case json_type_string:
		rc = v_string(n, v, x);
		break;
	case json_type_array:
		rc = v_array(n, v, x);
		break;
	case json_type_object:
		rc = v_object(n, v, x);
		break;
	default:
		rc = 0;
		break;
	}
	if (rc)
		return rc;
	for (i = 0; i < n->all_of.n; i++) {
		rc = v_node(n->all_of.v[i], v, x);
		if (rc)
			return rc;
	}
	if (n->any_of.n) {
		rc = v_alternatives(&n->any_of, false, v, x);
		if (rc)
			return rc;
	}
	if (n->one_of.n) {
		rc = v_alternatives(&n->one_of, true, v, x);
		if (rc)
			return rc;
	}
	if (n->not) {
		rc = v_node(n->not, v, x);
		if (rc == 0)
			return fail(x, "must not match the schema at %s",
				    show_ptr(n->not->ptr));
		if (rc != -EINVAL)
			return rc;
		drop_error(x);
	}
	return 0;
}

int jschema_validate(const struct jschema *s, struct json_object *value,
		     char **err_path, char **err_msg)
{
	struct js_vctx x = { 0 };
	int rc;

	if (err_path)
		*err_path = NULL;
	if (err_msg)
		*err_msg = NULL;
	x.path = calloc(1, 64);
	if (!x.path)
		return -ENOMEM;
	x.cap = 64;
	rc = v_node(s->root, value, &x);
	if (rc == -EINVAL) {
		if (err_path) {
			*err_path = x.err_path;
			x.err_path = NULL;
		}
		if (err_msg) {
			*err_msg = x.err_msg;
			x.err_msg = NULL;
		}
	}
	drop_error(&x);
	free(x.path);
	return rc;
}

static int load_error(char **err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int load_error(char **err, int rc, const char *fmt, ...)
{
	va_list ap;
	int erc;

	va_start(ap, fmt);
	erc = js_errorv(err, fmt, ap);
	va_end(ap);
	return erc == -ENOMEM ? -ENOMEM : rc;
}

int jschema_load_file(const char *path, struct json_object **doc,
		      char **err)
{
	struct json_tokener *tok = NULL;
	size_t len = 0, end, line = 1, i;
	char *buf = NULL;
	struct stat st;
	ssize_t got;
	int fd, rc;

	*doc = NULL;
	if (err)
		*err = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return load_error(err, -errno, "Cannot open the schema file %s: %s.",
				  path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = load_error(err, -errno, "Cannot read the schema file %s: %s.",
				path, strerror(errno));
		goto out_close;
	}
	if (st.st_size > (off_t)JSCHEMA_MAX_FILE) {
		rc = load_error(err, -EFBIG, "The schema file %s is larger than %u bytes.",
				path, JSCHEMA_MAX_FILE);
		goto out_close;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size) {
		got = read(fd, buf + len, st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = load_error(err, -errno, "Cannot read the schema file %s: %s.",
					path, strerror(errno));
			goto out_free;
		}
		if (got == 0)
			break;
		len += got;
	}
	buf[len] = '\0';
	tok = json_tokener_new_ex(2 * JSCHEMA_MAX_DEPTH);
	if (!tok) {
		rc = -ENOMEM;
		goto out_free;
	}
	*doc = json_tokener_parse_ex(tok, buf, len + 1);
	end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) == json_tokener_error_parse_eof ||
	    json_tokener_get_error(tok) == json_tokener_continue) {
		rc = load_error(err, -EINVAL, "The schema file %s ends before its JSON value is complete.",
				path);
		goto out_free;
	}
	if (json_tokener_get_error(tok) != json_tokener_success) {
		for (i = 0; i < end && i < len; i++)
			line += buf[i] == '\n';
		rc = load_error(err, -EINVAL, "The schema file %s is not valid JSON: %s at line %zu.",
				path,
				json_tokener_error_desc(
					json_tokener_get_error(tok)),
				line);
		goto out_free;
	}
	/* Anything after the value, other than white space, is an error. */
	for (i = end; i < len && strchr(" \t\r\n", buf[i]) && buf[i]; i++)
		;
	if (i < len) {
		json_object_put(*doc);
		*doc = NULL;
		rc = load_error(err, -EINVAL, "The schema file %s has more after its JSON value.",
				path);
		goto out_free;
	}
	rc = 0;
out_free:
	if (tok)
		json_tokener_free(tok);
	free(buf);
out_close:
	close(fd);
	return rc;
}
