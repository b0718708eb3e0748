// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Compiling a schema (jschema_new): one js_node per schema object, each
 * keyword checked and stored in the form validation reads, then every
 * $ref pointed at its node and $ref cycles refused. A keyword outside
 * the subset jschema.h lists is an error here, never silently ignored.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_pointer.h>

#include "jschema_internal.h"

struct js_compiler {
	struct jschema *s;
	char **err;
};

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

static char *ptr_join_idx(const char *base, size_t idx)
{
	char *p;

	return asprintf(&p, "%s/%zu", base, idx) < 0 ? NULL : p;
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
	char *ptr = tok ? js_ptr_join(base, tok) : ptr_join_idx(base, idx);

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
		for (k = 0; k < JS_N_TYPES; k++)
			if (!strcmp(json_object_get_string(name),
				    js_types[k].name))
				break;
		if (k == JS_N_TYPES)
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


static int kw_bound(struct js_compiler *c, struct js_node *n,
		    struct json_object *v, const char *kw, int depth, size_t arg)
{
	if (!js_is_number(v))
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
			    js_show_ptr(ptr));
	json_object_object_foreach(src, key, val) {
		char *kw;

		for (k = 0; k < sizeof(js_keywords) / sizeof(js_keywords[0]);
		     k++)
			if (!strcmp(key, js_keywords[k].name))
				break;
		kw = js_ptr_join(ptr, key);
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
			    js_show_ptr(n->ptr));
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
