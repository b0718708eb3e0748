// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A JSON Schema validator for the subset of 2020-12 described in
 * jschema.h, in three parts: jschema_compile.c turns a schema into a
 * graph of nodes (one per schema object, $refs resolved to the node
 * they point at) with every keyword checked, so errors in schemas
 * surface when keeld starts, not on some later request;
 * jschema_validate.c walks the nodes and stops at the first error,
 * reporting where it is in the value and what is wrong; this file
 * reads schema documents and holds what the other two share.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jschema_internal.h"

#define JSCHEMA_MAX_FILE (16u << 20)

const struct js_type js_types[JS_N_TYPES] = {
	{ "object", "an object", T_OBJECT },
	{ "array", "an array", T_ARRAY },
	{ "string", "a string", T_STRING },
	{ "integer", "an integer", T_INTEGER },
	{ "number", "a number", T_NUMBER },
	{ "boolean", "a boolean", T_BOOLEAN },
	{ "null", "null", T_NULL },
};

int js_errorv(char **err, const char *fmt, va_list ap)
{
	if (err && !*err && vasprintf(err, fmt, ap) < 0) {
		*err = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}

char *js_ptr_join(const char *base, const char *tok)
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

const char *js_show_ptr(const char *ptr)
{
	return ptr[0] ? ptr : "\"\" (the root)";
}

bool js_is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       json_object_is_type(v, json_type_double);
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
