// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Validating a value against a compiled schema (jschema_validate): a
 * walk of the nodes jschema_compile.c built, in the fixed order
 * jschema.h documents, that stops at the first error and reports the
 * value's JSON pointer and a phrase saying what is wrong with it.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jschema_internal.h"

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
	char *joined = js_ptr_join(x->path, tok);
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

	if (js_is_number(a) && js_is_number(b))
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

	for (k = 0; k < JS_N_TYPES; k++) {
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
				    js_show_ptr(n->not->ptr));
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
