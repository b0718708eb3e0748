// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The man pages against the truths they describe: man/keeld.8 against
 * schemas/keel.openrpc.json (methods, their access, params and errors;
 * error codes; events), lib/jsonrpc.c's error names and keeld's options
 * and configuration keys; man/keel.cfg.5 against
 * schemas/domain.schema.json and lib/xlcfg.c (every key it reads, and
 * its EXAMPLES read as they say). keeld refuses to start when its
 * method table and the OpenRPC document disagree, so table, schema and
 * man page stay one surface (STYLE.md, "One table per surface").
 *
 * Conventions the man pages keep, so that this file can read them:
 *  - a method is a ".TP" entry in keeld.8's METHODS whose tag is
 *    ".B NAME"; inside it, the line after ".B Access" starts with
 *    read-only or read-write;
 *  - an error code is a ".TP" entry ".B \-32xxx" in keeld.8's ERRORS;
 *  - an xl.cfg key is a ".TP" entry ".B KEY = ..." in keel.cfg.5's KEYS,
 *    whose text has "JSON member:" followed by the member's name; KEYS
 *    ends with the subsection "Not supported yet", whose entries (the
 *    same form, or ".BI PARAM= VALUE" for a vif parameter) are refused;
 *  - the first two .nf/.fi blocks of keel.cfg.5's EXAMPLES are an
 *    xl.cfg file and the JSON it reads as.
 * The source tree is $KEEL_SRCDIR (set by `make check`), else the
 * compile-time KEEL_SRCDIR; point KEEL_SRCDIR at a modified copy to
 * see a check fail.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jschema.h"
#include "jsonrpc.h"
#include "runner.h"
#include "xlcfg.h"

/* --- the source tree ----------------------------------------------------- */

static const char *srcdir(void)
{
	const char *s = getenv("KEEL_SRCDIR");

	if (s && *s)
		return s;
#ifdef KEEL_SRCDIR
	return KEEL_SRCDIR;
#else
	ck_abort_msg("cannot find the source tree; set KEEL_SRCDIR");
	return NULL;
#endif
}

/* The file @rel under the source tree, NUL-terminated; caller frees. */
static char *read_src(const char *rel)
{
	char *path, *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", srcdir(), rel), 0);
	f = fopen(path, "re");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(getdelim(&buf, &len, '\0', f) >= 0, 1);
	fclose(f);
	free(path);
	return buf;
}

static struct json_object *load_json(const char *rel)
{
	struct json_object *doc = NULL;
	char *path, *err = NULL;

	ck_assert_int_ge(asprintf(&path, "%s/%s", srcdir(), rel), 0);
	ck_assert_msg(!jschema_load_file(path, &doc, &err), "%s: %s", path,
		      err ? err : "cannot load");
	free(path);
	return doc;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Follow {"$ref": "#/..."} within @doc; anything else is itself. */
static struct json_object *deref(struct json_object *doc,
				 struct json_object *o)
{
	struct json_object *ref = member(o, "$ref"), *target = NULL;
	const char *s;

	if (!ref)
		return o;
	s = json_object_get_string(ref);
	ck_assert_msg(s[0] == '#' && !json_pointer_get(doc, s + 1, &target),
		      "dangling $ref %s", s);
	return target;
}

/* --- problems: every disagreement found, reported together -------------- */

struct problems {
	char *text;
	size_t len;
	int n;
};

static void __attribute__((format(printf, 2, 3)))
problem(struct problems *p, const char *fmt, ...)
{
	char *msg, *more;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	more = realloc(p->text, p->len + n + 2);
	ck_assert_ptr_nonnull(more);
	p->text = more;
	memcpy(p->text + p->len, msg, n);
	p->len += n;
	p->text[p->len++] = '\n';
	p->text[p->len] = '\0';
	p->n++;
	free(msg);
}

/* Fail the test with every problem in @p, if there is any. */
static void problems_check(struct problems *p, const char *what)
{
	if (p->n)
		fprintf(stderr, "%s:\n%s", what, p->text);
	ck_assert_msg(p->n == 0, "%s: %d problem(s); the first: %.300s", what,
		      p->n, p->text ? p->text : "");
	free(p->text);
}

/* --- reading a man page ---------------------------------------------------- */

struct man {
	char *buf;
	char **raw;		/* the source lines */
	char **text;		/* each line as plain text (plain()) */
	size_t n;
	const char *name;
};

/* A range of lines [start, end). */
struct span {
	size_t start, end;
};

/* Append the roff text @s, escapes resolved, to @out at *@len. */
static void unescape(const char *s, char *out, size_t *len)
{
	for (; *s; s++) {
		if (*s != '\\') {
			out[(*len)++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case '\0':
			return;
		case 'f':	/* font: \fB, \fR, \f(CW */
			if (s[1] == '(' && s[2] && s[3])
				s += 3;
			else if (s[1])
				s++;
			break;
		case '(':	/* a named glyph: \(dq, \(rs, \(bu */
			if (s[1] && s[2]) {
				if (!strncmp(s + 1, "dq", 2))
					out[(*len)++] = '"';
				else if (!strncmp(s + 1, "rs", 2))
					out[(*len)++] = '\\';
				else
					out[(*len)++] = '*';
				s += 2;
			}
			break;
		case 'e':
			out[(*len)++] = '\\';
			break;
		case '&':
		case '%':
			break;
		default:	/* \-, \ , \. and so on: the character */
			out[(*len)++] = *s;
		}
	}
}

/*
 * @line as plain text: a macro line's arguments (quotes removed,
 * separated by spaces), a text line as it is, escapes resolved.
 */
static char *plain(const char *line)
{
	char *out = malloc(strlen(line) + 1);
	size_t len = 0;

	ck_assert_ptr_nonnull(out);
	if (line[0] == '.' || line[0] == '\'') {
		const char *p = line + 1;

		if (p[0] == '\\' && p[1] == '"') {	/* a comment */
			out[0] = '\0';
			return out;
		}
		p += strcspn(p, " \t");
		while (*p) {
			char arg[4096];
			size_t a = 0;

			p += strspn(p, " \t");
			if (!*p)
				break;
			if (*p == '"') {
				for (p++; *p && *p != '"' && a < sizeof(arg) - 1;
				     p++)
					arg[a++] = *p;
				if (*p)
					p++;
			} else {
				while (*p && *p != ' ' && *p != '\t' &&
				       a < sizeof(arg) - 1)
					arg[a++] = *p++;
			}
			arg[a] = '\0';
			if (len)
				out[len++] = ' ';
			unescape(arg, out, &len);
		}
	} else {
		unescape(line, out, &len);
	}
	out[len] = '\0';
	return out;
}

static void man_load(struct man *m, const char *rel)
{
	char *p;
	size_t cap = 0;

	memset(m, 0, sizeof(*m));
	m->name = rel;
	m->buf = read_src(rel);
	for (p = m->buf; *p;) {
		char *nl = strchr(p, '\n');

		if (m->n == cap) {
			cap = cap ? cap * 2 : 256;
			m->raw = realloc(m->raw, cap * sizeof(*m->raw));
			m->text = realloc(m->text, cap * sizeof(*m->text));
			ck_assert(m->raw && m->text);
		}
		if (nl)
			*nl = '\0';
		m->raw[m->n] = p;
		m->text[m->n] = plain(p);
		m->n++;
		p = nl ? nl + 1 : p + strlen(p);
	}
}

static void man_free(struct man *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->text[i]);
	free(m->text);
	free(m->raw);
	free(m->buf);
}

static bool is_macro(const char *line, const char *macro)
{
	size_t n = strlen(macro);

	return line[0] == '.' && !strncmp(line + 1, macro, n) &&
	       (line[n + 1] == '\0' || line[n + 1] == ' ' ||
		line[n + 1] == '\t');
}

/* The lines of section @name (.SH) or subsection (.SS), after its title. */
static struct span man_section(const struct man *m, const char *name)
{
	const char *macro = NULL;
	struct span s = { 0, 0 };
	size_t i;

	for (i = 0; i < m->n; i++) {
		if ((is_macro(m->raw[i], "SH") || is_macro(m->raw[i], "SS")) &&
		    !strcmp(m->text[i], name)) {
			macro = m->raw[i][2] == 'H' ? "SH" : "SS";
			break;
		}
	}
	ck_assert_msg(macro, "%s has no section %s", m->name, name);
	s.start = i + 1;
	for (i = s.start; i < m->n; i++)
		if (is_macro(m->raw[i], "SH") ||
		    (!strcmp(macro, "SS") && is_macro(m->raw[i], "SS")))
			break;
	s.end = i;
	return s;
}

/* The tag of the .TP entry at line @i (the line after .TP), or NULL. */
static const char *tp_tag(const struct man *m, size_t i)
{
	if (i + 1 >= m->n || !is_macro(m->raw[i], "TP"))
		return NULL;
	return m->text[i + 1];
}

static bool word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Does @word occur in @text, not as part of a longer word? */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		if ((p == text || !word_char(p[-1])) && !word_char(p[n]))
			return true;
	}
	return false;
}

/* Does @word occur as a word in the plain text of lines @s? */
static bool span_has_word(const struct man *m, struct span s,
			  const char *word)
{
	for (size_t i = s.start; i < s.end; i++)
		if (has_word(m->text[i], word))
			return true;
	return false;
}

/* The .TP entry of @s whose tag's first word is @name, or {0, 0}. */
static struct span entry(const struct man *m, struct span s,
			 const char *name)
{
	struct span e = { 0, 0 };
	size_t n = strlen(name);

	for (size_t i = s.start; i < s.end; i++) {
		const char *tag = tp_tag(m, i);

		if (tag && !strncmp(tag, name, n) &&
		    (tag[n] == '\0' || tag[n] == ' ')) {
			e.start = i + 1;
			break;
		}
	}
	if (!e.start)
		return e;
	/* to the next entry of the same depth: an .RS block is inside */
	e.end = s.end;
	for (size_t i = e.start + 1, depth = 0; i < s.end; i++) {
		if (is_macro(m->raw[i], "RS"))
			depth++;
		else if (is_macro(m->raw[i], "RE") && depth)
			depth--;
		else if (!depth && (is_macro(m->raw[i], "TP") ||
				    is_macro(m->raw[i], "SS") ||
				    is_macro(m->raw[i], "PP")))
			e.end = i;
		if (e.end != s.end)
			break;
	}
	return e;
}

static bool is_method_name(const char *s)
{
	static regex_t re;
	static bool compiled;

	if (!compiled) {
		ck_assert_int_eq(regcomp(&re,
					 "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$",
					 REG_EXTENDED | REG_NOSUB),
				 0);
		compiled = true;
	}
	return !regexec(&re, s, 0, NULL, 0);
}

/* --- keeld.8 and the OpenRPC document ------------------------------------- */

struct api {
	struct json_object *doc;
	struct json_object *methods;	/* borrowed from doc */
	struct man man;
};

static void api_load(struct api *a)
{
	a->doc = load_json("schemas/keel.openrpc.json");
	a->methods = member(a->doc, "methods");
	ck_assert_msg(json_object_is_type(a->methods, json_type_array) &&
			      json_object_array_length(a->methods) > 0,
		      "keel.openrpc.json has no methods");
	man_load(&a->man, "man/keeld.8");
}

static void api_free(struct api *a)
{
	json_object_put(a->doc);
	man_free(&a->man);
}

static const char *method_name(struct json_object *m)
{
	struct json_object *v = member(m, "name");

	ck_assert_msg(v, "a method without a name in keel.openrpc.json");
	return json_object_get_string(v);
}

static struct json_object *api_method(struct api *a, const char *name)
{
	for (size_t i = 0; i < json_object_array_length(a->methods); i++) {
		struct json_object *m = json_object_array_get_idx(a->methods, i);

		if (!strcmp(method_name(m), name))
			return m;
	}
	return NULL;
}

/* The namespaces the schema's methods use ("host", "domain", ...). */
static bool api_namespace(struct api *a, const char *word, size_t len)
{
	for (size_t i = 0; i < json_object_array_length(a->methods); i++) {
		const char *name = method_name(
			json_object_array_get_idx(a->methods, i));

		if (!strncmp(name, word, len) && name[len] == '.')
			return true;
	}
	return false;
}

START_TEST(test_schema_methods_documented)
{
	struct problems p = { 0 };
	struct span sec;
	struct api a;

	api_load(&a);
	sec = man_section(&a.man, "METHODS");
	for (size_t i = 0; i < json_object_array_length(a.methods); i++) {
		const char *name = method_name(
			json_object_array_get_idx(a.methods, i));

		if (!entry(&a.man, sec, name).start)
			problem(&p, "%s is in keel.openrpc.json but has no entry (.TP, .B %s) in keeld.8's METHODS.",
				name, name);
	}
	problems_check(&p, "methods missing from keeld.8");
	api_free(&a);
}
END_TEST

START_TEST(test_man_methods_exist)
{
	struct problems p = { 0 };
	struct span sec;
	struct api a;
	int entries = 0;

	api_load(&a);
	sec = man_section(&a.man, "METHODS");
	/* Every method-looking entry under METHODS is a real method. */
	for (size_t i = sec.start; i < sec.end; i++) {
		const char *tag = tp_tag(&a.man, i);

		if (!tag || !is_method_name(tag))
			continue;
		entries++;
		if (!api_method(&a, tag))
			problem(&p, "keeld.8:%zu: METHODS documents %s, which keel.openrpc.json does not have.",
				i + 2, tag);
	}
	/*
	 * Anywhere in the page, a word NAMESPACE.WORD in one of the API's
	 * namespaces names a real method: no stale cross-reference.
	 */
	for (size_t i = 0; i < a.man.n; i++) {
		const char *t = a.man.text[i];

		for (const char *w = t; *w;) {
			size_t len = strspn(w, "abcdefghijklmnopqrstuvwxyz"
					       "0123456789_.");
			char word[128];
			const char *dot;

			if (!len) {
				w++;
				continue;
			}
			if ((w == t || !word_char(w[-1])) && len < sizeof(word)) {
				memcpy(word, w, len);
				while (len && word[len - 1] == '.')
					len--;
				word[len] = '\0';
				dot = strchr(word, '.');
				if (dot && !strchr(dot + 1, '.') &&
				    is_method_name(word) &&
				    api_namespace(&a, word, dot - word) &&
				    !api_method(&a, word))
					problem(&p, "keeld.8:%zu: %s is not a method in keel.openrpc.json.",
						i + 1, word);
			}
			w += strspn(w, "abcdefghijklmnopqrstuvwxyz"
				       "0123456789_.");
		}
	}
	ck_assert_int_gt(entries, 0);
	problems_check(&p, "keeld.8 documents methods the schema lacks");
	api_free(&a);
}
END_TEST

/* The plain text of the line after ".B @label" in @e, or NULL. */
static const char *entry_field(const struct man *m, struct span e,
			       const char *label)
{
	for (size_t i = e.start; i + 1 < e.end; i++)
		if (is_macro(m->raw[i], "B") && !strcmp(m->text[i], label))
			return m->text[i + 1];
	return NULL;
}

START_TEST(test_method_access)
{
	struct problems p = { 0 };
	struct span sec;
	struct api a;

	api_load(&a);
	sec = man_section(&a.man, "METHODS");
	for (size_t i = 0; i < json_object_array_length(a.methods); i++) {
		struct json_object *m = json_object_array_get_idx(a.methods, i);
		struct json_object *acc = member(m, "x-keel-access");
		const char *name = method_name(m), *want, *got;
		struct span e = entry(&a.man, sec, name);

		if (!e.start)
			continue;	/* test_schema_methods_documented */
		want = acc ? json_object_get_string(acc) : "(none)";
		if (strcmp(want, "read-only") && strcmp(want, "read-write")) {
			problem(&p, "%s: x-keel-access is %s in keel.openrpc.json, not read-only or read-write.",
				name, want);
			continue;
		}
		got = entry_field(&a.man, e, "Access");
		if (!got)
			problem(&p, "keeld.8: %s's entry has no \".B Access\" line saying read-only or read-write.",
				name);
		else if (strncmp(got, want, strlen(want)))
			problem(&p, "keeld.8: %s is %s in keel.openrpc.json, but its entry's Access says \"%s\".",
				name, want, got);
	}
	problems_check(&p, "method access in keeld.8");
	api_free(&a);
}
END_TEST

START_TEST(test_method_params_errors)
{
	struct problems p = { 0 };
	struct span sec;
	struct api a;

	api_load(&a);
	sec = man_section(&a.man, "METHODS");
	for (size_t i = 0; i < json_object_array_length(a.methods); i++) {
		struct json_object *m = json_object_array_get_idx(a.methods, i);
		struct json_object *params = member(m, "params");
		struct json_object *errors = member(m, "errors");
		const char *name = method_name(m);
		struct span e = entry(&a.man, sec, name);

		if (!e.start)
			continue;
		for (size_t j = 0; j < json_object_array_length(params); j++) {
			struct json_object *d = deref(
				a.doc, json_object_array_get_idx(params, j));
			const char *pname = json_object_get_string(
				member(d, "name"));

			if (!span_has_word(&a.man, e, pname))
				problem(&p, "keeld.8: %s's entry does not mention its param %s.",
					name, pname);
		}
		for (size_t j = 0; j < json_object_array_length(errors); j++) {
			struct json_object *d = deref(
				a.doc, json_object_array_get_idx(errors, j));
			char code[16];

			snprintf(code, sizeof(code), "%d",
				 json_object_get_int(member(d, "code")));
			if (!span_has_word(&a.man, e, code))
				problem(&p, "keeld.8: %s's entry does not list its error %s.",
					name, code);
		}
	}
	problems_check(&p, "method params and errors in keeld.8");
	api_free(&a);
}
END_TEST

/* The code of ERRORS entry @tag ("-32001"), or 0 if it is not one. */
static int tag_code(const char *tag)
{
	char *end;
	long v;

	if (!tag || tag[0] != '-')
		return 0;
	v = strtol(tag, &end, 10);
	return *end || v < -32768 || v > -32000 ? 0 : (int)v;
}

START_TEST(test_error_codes)
{
	struct json_object *errors, *v;
	struct problems p = { 0 };
	struct span sec;
	struct api a;
	int documented = 0;

	api_load(&a);
	sec = man_section(&a.man, "ERRORS");
	/* every code the schema defines */
	json_pointer_get(a.doc, "/components/errors", &errors);
	ck_assert_ptr_nonnull(errors);
	json_object_object_foreach(errors, key, err)
	{
		char code[16];

		v = member(err, "code");
		snprintf(code, sizeof(code), "%d", json_object_get_int(v));
		if (!entry(&a.man, sec, code).start)
			problem(&p, "The error %s (%s) in keel.openrpc.json has no entry in keeld.8's ERRORS.",
				key, code);
	}
	/* every code lib/jsonrpc.c names, with that name */
	for (int c = -32768; c <= -32000; c++) {
		const char *name = jsonrpc_error_name(c);
		char code[16];
		struct span e;

		if (!strcmp(name, "unknown"))
			continue;
		snprintf(code, sizeof(code), "%d", c);
		e = entry(&a.man, sec, code);
		if (!e.start)
			problem(&p, "The error %s (%s) of lib/jsonrpc.c has no entry in keeld.8's ERRORS.",
				code, name);
		else if (!span_has_word(&a.man, e, name))
			problem(&p, "keeld.8: ERRORS' entry for %s does not give its name %s.",
				code, name);
	}
	/* and no code that keel does not have */
	for (size_t i = sec.start; i < sec.end; i++) {
		int c = tag_code(tp_tag(&a.man, i));

		if (!c)
			continue;
		documented++;
		if (!strcmp(jsonrpc_error_name(c), "unknown"))
			problem(&p, "keeld.8:%zu: ERRORS documents %d, which lib/jsonrpc.c does not define.",
				i + 2, c);
	}
	ck_assert_int_ge(documented, 13);
	problems_check(&p, "error codes in keeld.8");
	api_free(&a);
}
END_TEST

START_TEST(test_events_and_states)
{
	struct json_object *events, *states;
	struct problems p = { 0 };
	struct span ev, life;
	struct api a;

	api_load(&a);
	ev = man_section(&a.man, "EVENTS");
	life = man_section(&a.man, "DOMAIN LIFECYCLE");
	json_pointer_get(a.doc,
			 "/components/schemas/Event/properties/event/enum",
			 &events);
	json_pointer_get(a.doc, "/components/schemas/DomainState/enum",
			 &states);
	ck_assert_ptr_nonnull(events);
	ck_assert_ptr_nonnull(states);
	if (!span_has_word(&a.man, ev, "event"))
		problem(&p, "keeld.8's EVENTS does not name the \"event\" notification.");
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		const char *e = json_object_get_string(
			json_object_array_get_idx(events, i));

		if (!entry(&a.man, ev, e).start)
			problem(&p, "The event %s has no entry in keeld.8's EVENTS.",
				e);
	}
	for (size_t i = 0; i < json_object_array_length(states); i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(states, i));

		if (!span_has_word(&a.man, life, s))
			problem(&p, "The domain state %s is not in keeld.8's DOMAIN LIFECYCLE.",
				s);
	}
	problems_check(&p, "events and states in keeld.8");
	api_free(&a);
}
END_TEST

/*
 * The first group of each match of the extended regex @re in the
 * source file @rel: a crude reading of a table in C, enough for the
 * simple one-line rows it is used on. Returns the count; @out gets
 * the strings.
 */
static size_t scan_source(const char *rel, const char *re, char out[][64],
			  size_t max)
{
	char *src = read_src(rel);
	const char *p = src;
	regmatch_t mt[2];
	size_t n = 0;
	regex_t rx;

	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
	while (n < max && !regexec(&rx, p, 2, mt, 0)) {
		size_t len = (size_t)(mt[1].rm_eo - mt[1].rm_so);

		if (len < 64) {
			memcpy(out[n], p + mt[1].rm_so, len);
			out[n++][len] = '\0';
		}
		p += mt[0].rm_eo;
	}
	regfree(&rx);
	free(src);
	return n;
}

START_TEST(test_keeld_options_and_conf)
{
	char opts[32][64], keys[32][64], want[80];
	struct problems p = { 0 };
	struct span osec, csec;
	size_t nopts, nkeys;
	struct api a;

	api_load(&a);
	osec = man_section(&a.man, "OPTIONS");
	csec = man_section(&a.man, "CONFIGURATION FILE");
	/* main.c's getopt table: { "run-dir", required_argument, ... } */
	nopts = scan_source("daemon/main.c",
			    "\\{ \"([a-z-]+)\", (no|required|optional)_argument",
			    opts, 32);
	ck_assert_int_ge(nopts, 6);
	for (size_t i = 0; i < nopts; i++) {
		bool found = false;

		snprintf(want, sizeof(want), "--%s", opts[i]);
		for (size_t j = osec.start; j < osec.end && !found; j++) {
			const char *tag = tp_tag(&a.man, j);

			found = tag && strstr(tag, want);
		}
		if (!found)
			problem(&p, "keeld's option %s (daemon/main.c) has no entry in keeld.8's OPTIONS.",
				want);
	}
	/* conf.c's keys: if (!strcmp(key, "run_dir")) */
	nkeys = scan_source("daemon/conf.c", "strcmp\\(key, \"([a-z_]+)\"\\)",
			    keys, 32);
	ck_assert_int_ge(nkeys, 4);
	for (size_t i = 0; i < nkeys; i++)
		if (!entry(&a.man, csec, keys[i]).start)
			problem(&p, "keeld.conf's key %s (daemon/conf.c) has no entry in keeld.8's CONFIGURATION FILE.",
				keys[i]);
	problems_check(&p, "keeld's options and configuration in keeld.8");
	api_free(&a);
}
END_TEST

/* --- keel.cfg.5, the domain schema and lib/xlcfg.c ------------------------ */

#define MAX_KEYS 64

/* KEYS, where every key keel reads is documented. */
static struct span cfg_keys_section(const struct man *m)
{
	return man_section(m, "KEYS");
}

/* The keys documented in @sec: entries tagged "KEY = ...". */
static size_t cfg_entries(const struct man *m, struct span sec,
			  char keys[][64], struct span *entries)
{
	size_t n = 0;

	for (size_t i = sec.start; i < sec.end && n < MAX_KEYS; i++) {
		const char *tag = tp_tag(m, i);
		size_t len;

		if (!tag)
			continue;
		len = strspn(tag, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (!len || len >= 64 || strncmp(tag + len, " =", 2))
			continue;
		memcpy(keys[n], tag, len);
		keys[n][len] = '\0';
		entries[n] = entry(m, sec, keys[n]);
		n++;
	}
	return n;
}

/* The keys documented in KEYS. */
static size_t cfg_doc_keys(const struct man *m, char keys[][64],
			   struct span *entries)
{
	return cfg_entries(m, cfg_keys_section(m), keys, entries);
}

/* The keys lib/xlcfg.c reads: its table's rows [F_NAME] = { "name", ... */
static size_t cfg_code_keys(char keys[][64])
{
	return scan_source("lib/xlcfg.c",
			   "\\[F_[A-Z_]+\\] = \\{ \"([a-z_]+)\"", keys,
			   MAX_KEYS);
}

/* "name = ...\nkernel = ...\n" without @key, then "@key = @value". */
static int cfg_try(const char *key, const char *value,
		   struct json_object **out, char **err)
{
	char *cfg;
	int n, rc;

	n = asprintf(&cfg, "%s%s%s = %s\n",
		     strcmp(key, "name") ? "name = \"t\"\n" : "",
		     strcmp(key, "kernel") ? "kernel = \"/boot/k\"\n" : "",
		     key, value);
	ck_assert_int_ge(n, 0);
	rc = xlcfg_parse_buf(cfg, (size_t)n, "t.cfg", out, err);
	free(cfg);
	return rc;
}

/*
 * Does xlcfg read @key? It does if some plausible value for it is
 * accepted; *@out is then the model it read.
 */
static bool cfg_accepts(const char *key, struct json_object **out)
{
	static const char *const values[] = {
		"16", "\"/boot/x\"", "\"destroy\"", "\"0\"", "1",
		"\"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b\"",
		"[ \"/srv/x.img,raw,xvda\" ]", "[ \"bridge=br0\" ]",
	};

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *err = NULL;

		*out = NULL;
		if (!cfg_try(key, values[i], out, &err))
			return true;
		free(err);
	}
	return false;
}

/* The member named in an entry's "JSON member:" (first word after it). */
static bool entry_json_member(const struct man *m, struct span e,
			      char *out, size_t size)
{
	for (size_t i = e.start; i < e.end; i++) {
		const char *t = strstr(m->text[i], "JSON member:");
		size_t len;

		if (!t)
			continue;
		t += strlen("JSON member:");
		t += strspn(t, " ");
		if (!*t && i + 1 < e.end)
			t = m->text[i + 1];
		len = strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_");
		if (!len || len >= size)
			return false;
		memcpy(out, t, len);
		out[len] = '\0';
		return true;
	}
	return false;
}

START_TEST(test_cfg_keys_documented)
{
	char doc[MAX_KEYS][64], code[MAX_KEYS][64];
	struct span entries[MAX_KEYS];
	struct problems p = { 0 };
	size_t ndoc, ncode;
	struct man m;

	man_load(&m, "man/keel.cfg.5");
	ndoc = cfg_doc_keys(&m, doc, entries);
	ncode = cfg_code_keys(code);
	ck_assert_msg(ncode >= 10,
		      "lib/xlcfg.c's key table was not found (%zu rows); update cfg_code_keys()",
		      ncode);
	for (size_t i = 0; i < ncode; i++) {
		size_t j;

		for (j = 0; j < ndoc && strcmp(doc[j], code[i]); j++)
			;
		if (j == ndoc)
			problem(&p, "lib/xlcfg.c reads the key %s, which keel.cfg.5's KEYS does not document.",
				code[i]);
	}
	problems_check(&p, "xl.cfg keys missing from keel.cfg.5");
	man_free(&m);
}
END_TEST

START_TEST(test_cfg_keys_accepted)
{
	char doc[MAX_KEYS][64], want[64];
	struct span entries[MAX_KEYS];
	struct problems p = { 0 };
	struct json_object *out;
	char *err = NULL;
	size_t ndoc;
	struct man m;

	man_load(&m, "man/keel.cfg.5");
	ndoc = cfg_doc_keys(&m, doc, entries);
	ck_assert_int_ge(ndoc, 10);
	for (size_t i = 0; i < ndoc; i++) {
		if (!cfg_accepts(doc[i], &out)) {
			problem(&p, "keel.cfg.5 documents the key %s, but lib/xlcfg.c refuses it.",
				doc[i]);
			continue;
		}
		/* the member the page says it becomes is the one it does */
		if (!entry_json_member(&m, entries[i], want, sizeof(want)))
			problem(&p, "keel.cfg.5: the entry for %s has no \"JSON member:\" line.",
				doc[i]);
		else if (!member(out, want))
			problem(&p, "keel.cfg.5 says %s becomes the JSON member %s, but xlcfg reads it as %s.",
				doc[i], want, json_object_to_json_string(out));
		json_object_put(out);
	}
	/* a key nobody has is refused, with its name and line */
	ck_assert_int_eq(cfg_try("frobnicate", "1", &out, &err), -EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_msg(err && strstr(err, "t.cfg:3:") &&
			      strstr(err, "'frobnicate'"),
		      "the error for an unknown key does not name it and its line: %s",
		      err);
	free(err);
	problems_check(&p, "xl.cfg keys in keel.cfg.5");
	man_free(&m);
}
END_TEST

START_TEST(test_cfg_json_members)
{
	struct json_object *schema, *props, *defs;
	struct span entries[MAX_KEYS], json;
	char doc[MAX_KEYS][64], name[64];
	struct problems p = { 0 };
	size_t ndoc;
	struct man m;

	man_load(&m, "man/keel.cfg.5");
	schema = load_json("schemas/domain.schema.json");
	props = member(schema, "properties");
	defs = member(schema, "$defs");
	ck_assert_ptr_nonnull(props);
	json = man_section(&m, "JSON");
	ndoc = cfg_doc_keys(&m, doc, entries);
	/* each key's member is in the schema ... */
	for (size_t i = 0; i < ndoc; i++)
		if (entry_json_member(&m, entries[i], name, sizeof(name)) &&
		    !member(props, name))
			problem(&p, "keel.cfg.5: %s becomes the JSON member %s, which domain.schema.json does not have.",
				doc[i], name);
	/* ... and each member of the schema is documented */
	json_object_object_foreach(props, prop, val)
	{
		bool found = false;

		(void)val;
		for (size_t i = 0; i < ndoc && !found; i++)
			found = entry_json_member(&m, entries[i], name,
						  sizeof(name)) &&
				!strcmp(name, prop);
		if (!found)
			problem(&p, "domain.schema.json's member %s is no key's \"JSON member:\" in keel.cfg.5's KEYS.",
				prop);
		if (!span_has_word(&m, json, prop))
			problem(&p, "domain.schema.json's member %s is not listed in keel.cfg.5's JSON.",
				prop);
	}
	/* the members of a disk, a NIC and a rate */
	json_object_object_foreach(defs, def, d)
	{
		struct json_object *sub = member(d, "properties");

		if (!sub)
			continue;
		json_object_object_foreach(sub, prop2, v2)
		{
			(void)v2;
			if (!span_has_word(&m, json, prop2))
				problem(&p, "domain.schema.json's %s member %s is not in keel.cfg.5's JSON.",
					def, prop2);
		}
	}
	/* the actions, each with an entry */
	{
		struct json_object *acts = NULL;
		struct span all = { 0, m.n };

		json_pointer_get(schema, "/$defs/action/enum", &acts);
		ck_assert_ptr_nonnull(acts);
		for (size_t i = 0; i < json_object_array_length(acts); i++) {
			const char *act = json_object_get_string(
				json_object_array_get_idx(acts, i));

			if (!entry(&m, all, act).start)
				problem(&p, "The action %s has no entry in keel.cfg.5.",
					act);
		}
	}
	problems_check(&p, "JSON members in keel.cfg.5");
	json_object_put(schema);
	man_free(&m);
}
END_TEST

/*
 * Every key of the model does something: neither xlcfg nor keeld refuses
 * one as "not supported yet" any more (the QoS work applied the last of
 * them). Every citation of a keel.cfg(5) section in their messages names
 * a section the page has.
 */
START_TEST(test_cfg_citations)
{
	static const char *const cited_by[] = {
		"lib/xlcfg.c", "lib/xlcfg_disk.c", "lib/xlcfg_vif.c",
		"daemon/domain_methods.c",
	};
	char sections[16][64], yet[4][64];
	struct problems p = { 0 };
	struct man m;

	man_load(&m, "man/keel.cfg.5");
	for (size_t f = 0; f < sizeof(cited_by) / sizeof(cited_by[0]); f++) {
		size_t n = scan_source(cited_by[f],
				       "keel\\.cfg\\(5\\), \\\\\"([^\\\\]+)\\\\\"",
				       sections, 16);

		for (size_t i = 0; i < n; i++) {
			bool found = false;

			for (size_t j = 0; j < m.n && !found; j++)
				found = (is_macro(m.raw[j], "SH") ||
					 is_macro(m.raw[j], "SS")) &&
					!strcmp(m.text[j], sections[i]);
			if (!found)
				problem(&p, "%s cites keel.cfg(5)'s \"%s\", which the page does not have.",
					cited_by[f], sections[i]);
		}
		if (scan_source(cited_by[f], "(not supported yet)", yet, 4))
			problem(&p, "%s still refuses a key as \"not supported yet\".",
				cited_by[f]);
	}
	problems_check(&p, "keel.cfg(5) citations");
	man_free(&m);
}
END_TEST

/* The @nth (from 0) .nf/.fi block of @s as plain text; caller frees. */
static char *nf_block(const struct man *m, struct span s, int nth)
{
	size_t cap = 1, len = 0;
	char *out = NULL;
	bool in = false;

	for (size_t i = s.start; i < s.end; i++) {
		if (is_macro(m->raw[i], "nf")) {
			in = true;
			continue;
		}
		if (is_macro(m->raw[i], "fi")) {
			in = false;
			if (nth-- == 0)
				break;
			continue;
		}
		if (!in || nth || m->raw[i][0] == '.')
			continue;
		cap += strlen(m->raw[i]) + 1;
		out = realloc(out, cap);
		ck_assert_ptr_nonnull(out);
		unescape(m->raw[i], out, &len);
		out[len++] = '\n';
		out[len] = '\0';
	}
	ck_assert_msg(out, "%s's EXAMPLES has too few .nf blocks", m->name);
	return out;
}

START_TEST(test_cfg_example)
{
	struct json_object *got = NULL, *want, *schema, *again = NULL;
	char *cfg, *json, *err = NULL, *path = NULL, *msg = NULL;
	struct jschema *js = NULL;
	struct span ex;
	struct man m;

	man_load(&m, "man/keel.cfg.5");
	ex = man_section(&m, "EXAMPLES");
	cfg = nf_block(&m, ex, 0);
	json = nf_block(&m, ex, 1);
	ck_assert_msg(!xlcfg_parse_buf(cfg, strlen(cfg), "keel.cfg.5", &got,
				       &err),
		      "keel.cfg.5's example does not read: %s", err);
	want = json_tokener_parse(json);
	ck_assert_msg(want, "keel.cfg.5's JSON example is not JSON:\n%s", json);
	ck_assert_msg(json_object_equal(got, want),
		      "keel.cfg.5's example reads as %s, not as the JSON it shows",
		      json_object_to_json_string(got));
	/* the JSON spelling reads as itself and passes the schema */
	ck_assert_int_eq(xlcfg_parse_buf(json, strlen(json), "keel.cfg.5",
					 &again, &err),
			 0);
	ck_assert(json_object_equal(again, want));
	schema = load_json("schemas/domain.schema.json");
	ck_assert_int_eq(jschema_new(schema, "", &js, NULL), 0);
	ck_assert_msg(!jschema_validate(js, want, &path, &msg),
		      "keel.cfg.5's JSON example fails domain.schema.json at %s: %s",
		      path, msg);
	jschema_free(js);
	json_object_put(schema);
	json_object_put(again);
	json_object_put(want);
	json_object_put(got);
	free(json);
	free(cfg);
	man_free(&m);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("docs");
	TCase *tc;

	tc = tcase_create("keeld.8");
	tcase_add_test(tc, test_schema_methods_documented);
	tcase_add_test(tc, test_man_methods_exist);
	tcase_add_test(tc, test_method_access);
	tcase_add_test(tc, test_method_params_errors);
	tcase_add_test(tc, test_error_codes);
	tcase_add_test(tc, test_events_and_states);
	tcase_add_test(tc, test_keeld_options_and_conf);
	suite_add_tcase(s, tc);

	tc = tcase_create("keel.cfg.5");
	tcase_add_test(tc, test_cfg_keys_documented);
	tcase_add_test(tc, test_cfg_keys_accepted);
	tcase_add_test(tc, test_cfg_json_members);
	tcase_add_test(tc, test_cfg_citations);
	tcase_add_test(tc, test_cfg_example);
	suite_add_tcase(s, tc);
	return s;
}
